"""Languages and local formats: the words a person reads in their language, the numbers, amounts
and dates in the team's.

- Words: `gettext` (imported as `_`), `ngettext` and `pgettext` (one English word read two
  ways, told apart by a context) look a message up in the catalogue of the active language
  (locales/<lang>/LC_MESSAGES/quarterdeck.mo, or its .po when the .mo is missing or older).
  English is the source language: its messages are the msgids themselves. A string defined at
  import time (a module constant) is only marked with `N_` and translated where it is shown.
- Who reads which language: settings.yaml `locale` is the team's (English by default); a person's
  own choice (planning.access.languages) wins for them. The router sets it for each run with
  `set_language`; it lives in a context variable, so one visitor's language never leaks into
  another's run.
- Formats: numbers, percentages, amounts and dates follow the team's locale (`use_team_locale`,
  set when settings.yaml is loaded), through Babel: in German 1.234,56 €, 12,5 %, 6. Dez. 2026.

Names from configuration and data (objectives, key results, metrics, people) are never
translated: only the product's own words are.
"""

from __future__ import annotations

import gettext as _gettext
import io
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from functools import cache
from pathlib import Path
from typing import TypeVar

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import numbers as babel_numbers

DOMAIN = "quarterdeck"
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
SOURCE_LANGUAGE = "en"
# The languages a person can choose, each named in itself (as the picker shows it).
LANGUAGES: dict[str, str] = {"en": "English", "de": "Deutsch"}

_team_locale = SOURCE_LANGUAGE
_team_currency = "USD"
T = TypeVar("T")  # what a reader's words are kept as (a text, a list of notes)
_language: ContextVar[str | None] = ContextVar("quarterdeck_language", default=None)
_formats: ContextVar[str | None] = ContextVar("quarterdeck_formats", default=None)


def known_language(code: object) -> bool:
    """Whether `code` is a language Quarterdeck speaks ('en', 'de')."""
    return isinstance(code, str) and code in LANGUAGES


def valid_locale(code: str) -> bool:
    """Whether Babel knows `code` as a locale (settings.yaml `locale`, e.g. de or de_CH)."""
    try:
        Locale.parse(code)
    except (UnknownLocaleError, ValueError, TypeError):
        return False
    return True


def use_team_locale(code: str, *, currency: str = "USD") -> None:
    """The team's locale (settings.yaml `locale`) and currency, for every run and process."""
    global _team_locale, _team_currency
    _team_locale = code
    _team_currency = currency


def team_locale() -> str:
    """The team's locale: its formats, and the language of whoever has not chosen one."""
    return _team_locale


def team_currency() -> str:
    """The team's currency code (settings.yaml `currency`)."""
    return _team_currency


def team_language() -> str:
    """The team's language: its locale's language when Quarterdeck speaks it, else English."""
    base = _team_locale.replace("-", "_").split("_")[0]
    return base if base in LANGUAGES else SOURCE_LANGUAGE


def set_language(code: str | None) -> None:
    """The language of this run (the router calls it once per run); None: the team's."""
    _language.set(code if known_language(code) else None)


def language() -> str:
    """The language this run's words are in."""
    return _language.get() or team_language()


def format_locale() -> str:
    """The locale numbers, amounts and dates are written in (the team's unless overridden)."""
    return _formats.get() or _team_locale


def english_formats() -> bool:
    """Whether formats are English ones, written exactly as Quarterdeck always has."""
    return format_locale().replace("-", "_").split("_")[0] == SOURCE_LANGUAGE


@contextmanager
def use_locale(code: str, *, formats: str | None = None) -> Iterator[None]:
    """Words in `code` and formats in `formats` (default: `code` too) inside the block."""
    words = _language.set(code)
    shapes = _formats.set(formats or code)
    try:
        yield
    finally:
        _formats.reset(shapes)
        _language.reset(words)


# --- words ---------------------------------------------------------------------------------------


def catalogue_path(code: str, suffix: str = ".po") -> Path:
    """Where a language's catalogue lives (.po as written, .mo as compiled)."""
    return LOCALES_DIR / code / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


@cache
def translations(code: str) -> _gettext.NullTranslations:
    """A language's translations: the compiled .mo when it is current, else its .po compiled in
    memory (a fresh checkout works before `pybabel compile`); English and unknown codes read
    the msgids themselves."""
    if code == SOURCE_LANGUAGE or not known_language(code):
        return _gettext.NullTranslations()
    po, mo = catalogue_path(code), catalogue_path(code, ".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as handle:
            return _gettext.GNUTranslations(handle)
    if not po.exists():
        return _gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalog = read_po(handle, locale=code)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def gettext(message: str) -> str:
    """`message` in this run's language (the English text when it has no translation)."""
    if not message:
        return message  # gettext("") would be the catalogue's header
    return translations(language()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural form for `count`, in this run's language."""
    return translations(language()).ngettext(singular, plural, count)


def pgettext(context: str, message: str) -> str:
    """`message` in this run's language where the same English word reads differently by its
    use (`context`: "author" for a table's "By" column, against "By" a breakdown)."""
    return translations(language()).pgettext(context, message)


def word_for(words: Mapping[str, str], key: str) -> str:
    """`key`'s word in `words` (marked with N_), in this run's language; a key not listed reads
    as itself with its underscores as spaces."""
    found = words.get(key)
    return gettext(found) if found else key.replace("_", " ")


def N_(message: str) -> str:
    """Mark `message` for the catalogue without translating it yet (module constants)."""
    return message


_ = gettext


def sentence_pattern(sentence: str, fields: Mapping[str, str]) -> re.Pattern[str]:
    """An English message with {placeholders}, as stored in English, as a pattern that finds it
    again (to write it in the reader's language): its words as written, each placeholder a named
    group matching `fields[name]` (any text when not named)."""
    pattern = ""
    for literal, field in re.findall(r"([^{]*)(?:\{(\w+)\})?", sentence):
        pattern += re.escape(literal)
        if field:
            pattern += f"(?P<{field}>{fields.get(field, '.+')})"
    return re.compile(pattern, re.DOTALL)


class Words(str):
    """Words written now in this run's language that can be written again in any other: the
    text itself, plus the `render` that wrote it (called again under another language).

    A converter's notes are Words, so a source run can keep them in every language its readers
    read; everywhere else they are the plain text they read as."""

    render: Callable[[], str]

    def __new__(cls, render: Callable[[], str]) -> Words:
        """The text `render` writes in this run's language, kept with `render`."""
        words = super().__new__(cls, render())
        words.render = render
        return words

    def in_language(self, code: str) -> str:
        """The same words in the language `code` (formats stay this run's)."""
        with use_locale(code, formats=format_locale()):
            return self.render()

    def __reduce__(self) -> tuple[type[str], tuple[str]]:
        """Pickled (a cache, another process) as the plain text it reads as."""
        return (str, (str(self),))


def said(message: str, **fields: object) -> Words:
    """A message marked with N_, its fields filled in, as Words (a reason that an exception
    carries and a source run keeps in every language)."""
    return Words(lambda: gettext(message).format(**fields))


def in_every_language(text: str) -> dict[str, str]:
    """`text` in each language Quarterdeck speaks: Words written again in each, any other text
    as it is."""
    if isinstance(text, Words):
        return {code: text.in_language(code) for code in LANGUAGES}
    return dict.fromkeys(LANGUAGES, str(text))


def for_reader(texts: Mapping[str, T], fallback: T) -> T:
    """What `texts` (by language code) holds for this run's language, else the team's, else
    `fallback` (a record written before it kept its words in every language)."""
    for code in (language(), team_language()):
        if code in texts:
            return texts[code]
    return fallback


# --- formats -------------------------------------------------------------------------------------


def decimal_text(value: float, *, decimals: int = 2, group: bool = True) -> str:
    """A number in the format locale, at most `decimals` decimals, no trailing zeros."""
    pattern = ("#,##0" if group else "0") + ("." + "#" * decimals if decimals else "")
    return babel_numbers.format_decimal(value, format=pattern, locale=format_locale())


def fixed_text(value: float, *, decimals: int) -> str:
    """A number in the format locale with exactly `decimals` decimals."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return babel_numbers.format_decimal(value, format=pattern, locale=format_locale())


def percent_text(value: float, *, decimals: int = 2) -> str:
    """A share (0.125) as the format locale writes a percentage (12,5 % in German)."""
    return f"{decimal_text(value * 100, decimals=decimals)}\u00a0%"


def currency_text(value: float, *, currency: str | None = None, decimals: bool = True) -> str:
    """An amount in the team's currency as the format locale writes it (1.234,56 €)."""
    code = currency or _team_currency
    if decimals:
        return babel_numbers.format_currency(value, code, locale=format_locale())
    pattern = Locale.parse(format_locale()).currency_formats["standard"].pattern
    pattern = pattern.split(";")[0].replace(".00", "")
    return babel_numbers.format_currency(
        value, code, format=pattern, locale=format_locale(), currency_digits=False
    )


def compact_text(value: float, *, currency: str | None = None) -> str:
    """A large number (millions) shortened as the format locale does (1,23 Mio. €)."""
    if currency is not None:
        return babel_numbers.format_compact_currency(
            value, currency, locale=format_locale(), fraction_digits=2
        )
    return babel_numbers.format_compact_decimal(value, locale=format_locale(), fraction_digits=2)


def decimal_symbol() -> str:
    """The format locale's decimal separator ('.' in English, ',' in German)."""
    return babel_numbers.get_decimal_symbol(format_locale())


def group_symbol() -> str:
    """The format locale's thousands separator (',' in English, '.' in German)."""
    return babel_numbers.get_group_symbol(format_locale())


def date_text(day: date, *, weekday: bool = False, year: bool = True) -> str:
    """A day as the format locale writes it (6. Dez. 2026; with weekday So., 6. Dez. 2026)."""
    skeleton = ("yMMM" if year else "MMM") + ("Ed" if weekday else "d")
    return babel_dates.format_skeleton(skeleton, day, locale=format_locale())


def month_name(month: int) -> str:
    """A month's name in the format locale (1: January; German Januar)."""
    return str(babel_dates.get_month_names("wide", locale=format_locale())[month])


def locale_key() -> str:
    """This run's language and formats in one string, for caches of text shown to people."""
    return f"{language()}|{format_locale()}|{_team_currency}"


@contextmanager
def use_locale_key(key: str) -> Iterator[None]:
    """The language and formats of a `locale_key()` inside the block (work done later or on
    another thread for a run, such as a file built when its download is clicked); '' changes
    nothing."""
    if not key:
        yield
        return
    words, formats, *_rest = [*key.split("|"), "", ""]
    with use_locale(words or language(), formats=formats or None):
        yield


def vega_locale() -> dict[str, object] | None:
    """The format locale for Vega-Lite charts (axis numbers, amounts, month and day names), or
    None in English, where charts keep Vega's own formats."""
    if english_formats():
        return None
    code = format_locale()
    place = Locale.parse(code)
    symbol = babel_numbers.get_currency_symbol(_team_currency, locale=code)
    pattern = place.currency_formats["standard"].pattern.split(";")[0]
    before = pattern.startswith("¤")
    space = "\u00a0" if "\u00a0" in pattern or " " in pattern else ""
    months = babel_dates.get_month_names("wide", locale=code)
    short_months = babel_dates.get_month_names("abbreviated", locale=code)
    days = babel_dates.get_day_names("wide", locale=code)
    short_days = babel_dates.get_day_names("abbreviated", locale=code)
    # Babel counts days from Monday (0); d3 from Sunday.
    sunday_first = [6, 0, 1, 2, 3, 4, 5]
    percent = place.percent_formats[None].pattern.split(";")[0]
    return {
        "number": {
            "decimal": babel_numbers.get_decimal_symbol(code),
            "thousands": babel_numbers.get_group_symbol(code),
            "grouping": [3],
            "currency": [symbol + space, ""] if before else ["", space + symbol],
            # German writes 10 % (a no-break space before the sign); d3 puts the sign after.
            "percent": percent.lstrip("#,0.") if percent.endswith("%") else "%",
        },
        "time": {
            "dateTime": "%A, %e. %B %Y, %X",
            "date": "%d.%m.%Y",
            "time": "%H:%M:%S",
            "periods": ["AM", "PM"],
            "days": [str(days[d]) for d in sunday_first],
            "shortDays": [str(short_days[d]) for d in sunday_first],
            "months": [str(months[m]) for m in range(1, 13)],
            "shortMonths": [str(short_months[m]) for m in range(1, 13)],
        },
    }


# CLDR date pattern letters and the d3 time format directives that write them.
_D3_DIRECTIVES = {
    "d": "%-d",
    "dd": "%d",
    "M": "%-m",
    "MM": "%m",
    "MMM": "%b",
    "LLL": "%b",
    "MMMM": "%B",
    "y": "%Y",
}


def _d3_time_format(skeleton: str) -> str:
    """A CLDR skeleton's pattern in the format locale as a d3 time format (d. MMM -> %-d. %b)."""
    pattern = Locale.parse(format_locale()).datetime_skeletons[skeleton].pattern
    out = []
    for found in re.finditer(r"'[^']*'|([A-Za-z])\1*|[^A-Za-z']+", pattern):
        token = found.group(0)
        if found.group(1):  # a run of one pattern letter
            out.append(_D3_DIRECTIVES.get(token, token))
        else:  # literal text, quoted or not
            out.append(token.strip("'").replace("%", "%%"))
    return "".join(out)


def vega_day_format(english: str = "%d %b") -> str:
    """A chart's d3 format for a day and month: `english` in English formats, else the format
    locale's order (German %-d. %b: 1. Sept.)."""
    return english if english_formats() else _d3_time_format("MMMd")


def vega_date_axis() -> dict[str, str] | None:
    """The labels of a time axis as the format locale writes dates (26. Nov., November, 2026),
    for each granularity Vega picks; None in English, where charts keep Vega's own (Nov 26)."""
    if english_formats():
        return None
    day = _d3_time_format("MMMd")
    return {
        "year": "%Y",
        "quarter": _d3_time_format("yMMM"),
        "month": "%B",
        "week": day,
        "date": day,
        "hours": "%H:%M",
        "minutes": "%H:%M",
    }
