"""The scoring inputs of one framework as form fields (the Initiatives page's create and edit
forms). Effort is not among them: every framework derives its effort input from the initiative's
person-weeks (scoring.yaml `effort`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import streamlit as st

from planning import i18n
from planning.config.scoring import EffortConversion, Framework
from planning.i18n import gettext as _
from planning.validation import is_number
from planning.work.scoring import effort_input_text
from ui.number_entry import NumberField, number_field


def _number(value: Any) -> float | None:
    return float(value) if is_number(value) else None


def _scale_value(value: float) -> str:
    """A step of an input's scale as written (0.5; German 0,5)."""
    return f"{value:g}" if i18n.english_formats() else i18n.decimal_text(value, decimals=6)


def score_fields(
    framework: Framework,
    *,
    stored: Mapping[str, Any] | None,
    key_prefix: str,
    prefill_defaults: bool,
) -> dict[str, float | NumberField | None]:
    """One field per input of `framework` inside the caller's form: a picked step of a scale
    (None if blank), or a NumberField for a typed figure (read with read_numbers on submit).

    Fields start from the stored inputs; a new initiative's start from scoring.yaml's defaults
    when `prefill_defaults`, so it is scored as soon as it is created.
    """
    entered: dict[str, float | NumberField | None] = {}
    columns = st.columns(max(len(framework.inputs), 1))
    for column, (input_id, spec) in zip(columns, framework.inputs.items(), strict=False):
        start = _number((stored or {}).get(input_id))
        if start is None and prefill_defaults:
            start = _number(spec.default)
        key = f"{key_prefix}_{input_id}"
        if spec.scale is not None:
            options = [float(v) for v in spec.scale]
            index = next(
                (n for n, v in enumerate(options) if start is not None and math.isclose(v, start)),
                None,
            )
            entered[input_id] = column.selectbox(
                _(spec.label),
                options,
                index=index,
                format_func=_scale_value,
                key=key,
                help=_(spec.help) or None,
            )
        else:
            entered[input_id] = number_field(
                _(spec.label),
                value=start,
                key=key,
                where=column,
                minimum=_number(spec.minimum),
                maximum=_number(spec.maximum),
                help=_(spec.help) or None,
            )
    return entered


def score_caption(
    framework: Framework, conversion: EffortConversion, effort_weeks: float | None = None
) -> str:
    """What the score fields are for, and where the framework's effort input comes from."""
    text = _("Scoring inputs for {framework}, the framework weekly planning ranks by.").format(
        framework=framework.label
    )
    if framework.formula in {"rice", "wsjf", "ice", "expected_value"}:
        derived = (
            effort_input_text(framework.formula, effort_weeks, conversion)
            if effort_weeks is not None
            else ""
        )
        text += " " + (
            _("Its effort comes from the person-weeks (now {derived}).").format(derived=derived)
            if derived
            else _("Its effort comes from the person-weeks.")
        )
    return text


def changed_scores(
    entered: Mapping[str, float | None], stored: Mapping[str, Any] | None
) -> dict[str, float] | None:
    """The inputs to save when any field differs from what is stored, else None (no change)."""
    stored = stored or {}
    differs = any(
        (value is None) != (_number(stored.get(k)) is None)
        or (value is not None and not math.isclose(value, float(stored[k])))
        for k, value in entered.items()
    )
    if not differs:
        return None
    return {k: v for k, v in entered.items() if v is not None}
