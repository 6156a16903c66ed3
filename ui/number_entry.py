"""Number fields that read the team's way of writing numbers: a text field showing its value in
the team's locale (1.234,5 in a German team, where Streamlit's number input would insist on
1234.5), read on submit by planning.numbers. A form reads its fields with `read_numbers`: any
that cannot be read are listed under the form and nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from planning import i18n
from planning.numbers import NumberEntryError, entry_text, read_number
from planning.validation import InputError
from ui.text import refusal_message


@dataclass(frozen=True)
class NumberField:
    """What was typed into one number field, and the rule it is read by."""

    label: str
    text: str
    minimum: float | None = None
    maximum: float | None = None
    required: bool = False
    money: bool = False
    percent: bool = False
    scale: float = 1.0

    def value(self) -> float | None:
        """The typed number divided by `scale` (2.5 typed in a percent field: 0.025); None
        when empty. Raises NumberEntryError with a sentence naming the field."""
        number = read_number(
            self.text,
            field=self.label,
            locale=i18n.format_locale(),
            minimum=self.minimum,
            maximum=self.maximum,
            required=self.required,
            currency=i18n.team_currency() if self.money else None,
            percent=self.percent,
        )
        return None if number is None else number / self.scale


def field_text(value: float | None, *, money: bool = False) -> str:
    """A value as a number field shows it, in the team's format ('1.234,5'; '' for none)."""
    currency = i18n.team_currency() if money else None
    return entry_text(value, locale=i18n.format_locale(), currency=currency)


def number_field(
    label: str,
    *,
    value: float | None,
    key: str,
    where: Any = st,
    minimum: float | None = None,
    maximum: float | None = None,
    required: bool = False,
    money: bool = False,
    percent: bool = False,
    scale: float = 1.0,
    help: str | None = None,
) -> NumberField:
    """A text field for a number, showing `value` (as typed: 2.5 for 2.5 % with scale 100) in
    the team's format; what the person typed, to read with `read_numbers` on submit. Once the
    field has a value of its own (typed, or set through the session state) `value` is not used."""
    shown = "" if key in st.session_state else field_text(value, money=money)
    text = where.text_input(label, value=shown, key=key, help=help)
    return NumberField(
        label=label,
        text=text or "",
        minimum=minimum,
        maximum=maximum,
        required=required,
        money=money,
        percent=percent,
        scale=scale,
    )


def read_numbers(fields: Mapping[str, Any]) -> dict[str, Any] | None:
    """`fields` with each NumberField replaced by its number; None when any cannot be read,
    after listing every such field under the form (the caller then writes nothing)."""
    read: dict[str, Any] = {}
    problems: list[str] = []
    for name, field in fields.items():
        if not isinstance(field, NumberField):
            read[name] = field
            continue
        try:
            read[name] = field.value()
        except NumberEntryError as exc:
            problems.append(str(exc))
    if problems:
        st.error(refusal_message(InputError(problems)))
        return None
    return read
