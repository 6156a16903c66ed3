"""Numbers people type, read the way their team writes them: in a German team "1.234,5" and
"1234,5" are 1234.5, in an English one "1,234.5" and "1234.5". A form field shows its value in
that same way (`entry_text`) and reads back what was typed (`read_number`); what cannot be read
for certain is refused with a sentence that names the field and what was typed.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

from babel import Locale
from babel import numbers as babel_numbers

from planning.i18n import gettext as _

# Longer than any figure a planning form holds (a trillion with ten decimals and separators).
MAX_LENGTH = 40
# Spaces a person may type between digits where the locale groups with a (narrow) no-break space.
_SPACES = (" ", "\u00a0", "\u202f")
_MINUSES = ("\u2212", "\u2013")  # the minus sign and the en dash, as word processors write "-"
_SHOWN_TYPED = 24  # characters of what was typed quoted back in a refusal
_DIRECTION_MARKS = str.maketrans("", "", "\u200e\u200f\u061c")


class NumberEntryError(ValueError):
    """What was typed into a number field could not be taken; the message says why."""


def entry_text(value: float | None, *, locale: str, currency: str | None = None) -> str:
    """A field's value as `read_number` reads it back: grouped, up to ten decimals without
    trailing zeros ('1.234,5'), or as an amount with its currency and at least two decimals
    ('1.234,50 €', '95,456 €'), so saving a form unchanged keeps every figure; '' for none."""
    if value is None or not math.isfinite(value):
        return ""
    if currency is None:
        return babel_numbers.format_decimal(value, format=_decimal_pattern(locale), locale=locale)
    pattern = Locale.parse(locale).currency_formats["standard"].pattern.split(";")[0]
    return babel_numbers.format_currency(
        value,
        currency,
        format=pattern.replace(".00", ".00########"),
        locale=locale,
        currency_digits=False,
    )


def example_text(*, locale: str) -> str:
    """How a number is written in `locale`, to show in a refusal ('1.234,5' in German)."""
    return babel_numbers.format_decimal(1234.5, format=_decimal_pattern(locale), locale=locale)


def _decimal_pattern(locale: str) -> str:
    """`locale`'s own number pattern, so its grouping ('#,##,##0' in India, where 250000 is
    2,50,000), with up to ten decimals instead of its usual three."""
    pattern = Locale.parse(locale).decimal_formats[None].pattern.split(";")[0]
    whole = re.sub(r"\.[0#]+", "", pattern)
    return re.sub(r"0(?=[^0#,]*$)", "0.##########", whole, count=1)


def read_number(
    text: str,
    *,
    field: str,
    locale: str,
    minimum: float | None = None,
    maximum: float | None = None,
    required: bool = False,
    currency: str | None = None,
    percent: bool = False,
) -> float | None:
    """The number typed into `field`, read with `locale`'s decimal and group separators; None
    when left empty (refused when `required`). Only ASCII digits, the locale's separators, one
    leading sign and, for an amount or a percentage, its currency or % sign are taken; the
    grouping must be the locale's (German "1.2345" is refused, not read as 12345). Raises
    NumberEntryError naming the field and what was typed."""
    typed = text.strip()
    if not typed:
        if required:
            raise NumberEntryError(_("{field}: enter a number.").format(field=field))
        return None
    number = _parsed(typed, locale=locale, currency=currency, percent=percent)
    if number is None:
        raise NumberEntryError(
            _("{field}: “{typed}” is not a number; write it like {example}.").format(
                field=field, typed=_quoted(typed), example=example_text(locale=locale)
            )
        )
    if minimum is not None and number < minimum:
        raise NumberEntryError(
            _("{field}: {typed} is below the lowest allowed, {minimum}.").format(
                field=field, typed=_quoted(typed), minimum=entry_text(minimum, locale=locale)
            )
        )
    if maximum is not None and number > maximum:
        raise NumberEntryError(
            _("{field}: {typed} is above the highest allowed, {maximum}.").format(
                field=field, typed=_quoted(typed), maximum=entry_text(maximum, locale=locale)
            )
        )
    return number


def _parsed(typed: str, *, locale: str, currency: str | None, percent: bool) -> float | None:
    """`typed` as a finite number in `locale`, or None when it is not one for certain."""
    if len(typed) > MAX_LENGTH:
        return None
    # Babel writes amounts in right-to-left locales with direction marks no one types.
    typed = typed.translate(_DIRECTION_MARKS)
    if currency is not None:
        for mark in (babel_numbers.get_currency_symbol(currency, locale=locale), currency):
            typed = typed.replace(mark, "")
    if percent:
        typed = typed.removesuffix("%")
    group = babel_numbers.get_group_symbol(locale)
    decimal = babel_numbers.get_decimal_symbol(locale)
    typed = typed.strip(" \u00a0\u202f")
    for minus in _MINUSES:
        typed = typed.replace(minus, "-")
    typed = re.sub(r"^([-+])[ \u00a0\u202f]+", r"\1", typed)  # "-EUR 5" once EUR is gone
    if group in _SPACES:
        for space in _SPACES:
            typed = typed.replace(space, group)
    if group == "\u2019":  # Swiss German groups with a right quote; keyboards type '
        typed = typed.replace("'", group)
    allowed = f"[0-9{re.escape(group + decimal)}]*"
    if not re.fullmatch(rf"[-+]?[0-9]{allowed}|[-+]?{re.escape(decimal)}[0-9]+", typed):
        return None
    try:
        value: Decimal = babel_numbers.parse_decimal(typed, locale=locale, strict=True)
    except babel_numbers.NumberFormatError:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _quoted(typed: str) -> str:
    """What was typed, cut short when long, to quote in a sentence."""
    return typed if len(typed) <= _SHOWN_TYPED else typed[:_SHOWN_TYPED] + "…"
