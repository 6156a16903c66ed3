"""Refused input: one error carrying every reason, so a form can list them all at once."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any


class InputError(ValueError):
    """Input that cannot be saved; `problems` holds one readable line per reason."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems) or ("the input is not valid",)
        super().__init__("; ".join(self.problems))


def is_number(value: Any) -> bool:
    """A real, finite number (booleans are not numbers here)."""
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def clean_text(value: Any, *, what: str, max_length: int, required: bool) -> tuple[str, list[str]]:
    """Text stripped of outer spaces, and the problems with it (empty, too long, not text)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        return "", [f"{what} must be text"]
    text = value.strip()
    if required and not text:
        return text, [f"{what} is required"]
    if len(text) > max_length:
        return text, [f"{what} is {len(text):,} characters long; the limit is {max_length:,}"]
    return text, []
