"""Pickers shared by the pages: a select box whose first choice is "none of these"."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

from streamlit.delta_generator import DeltaGenerator

Key = TypeVar("Key", bound=Hashable)


def pick_or_none(
    where: DeltaGenerator, label: str, names: Mapping[Key, str], *, none_label: str, key: str
) -> Key | None:
    """A select box of `names` (key -> shown name) whose first choice, None, reads
    `none_label` ("All objectives", "Everyone", "Keep as is")."""
    return where.selectbox(
        label,
        [None, *names],
        placeholder=none_label,
        format_func=lambda k: none_label if k is None else names[k],
        key=key,
    )
