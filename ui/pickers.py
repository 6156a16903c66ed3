"""Pickers shared by the pages: a select box whose first choice is "none of these", and one
that picks a record by its name."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import TypeVar

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

Key = TypeVar("Key", bound=Hashable)
Record = TypeVar("Record")


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


def pick_record(
    label: str, records: Mapping[Key, Record], name: Callable[[Record], str], *, key: str
) -> Record:
    """A select box over `records` (id -> record, at least one) that shows each by `name`;
    the record picked."""
    chosen = st.selectbox(label, list(records), format_func=lambda k: name(records[k]), key=key)
    return records[chosen]
