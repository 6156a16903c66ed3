"""Pickers shared by the pages: a select box whose first choice is "none of these", one that
picks a record by its name, and filters on a metric's dimensions whose first choice is "All"."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, TypeVar

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from planning.config.metrics import Dimension
from planning.i18n import gettext as _

Key = TypeVar("Key", bound=Hashable)
Record = TypeVar("Record")
ALL = "All"  # a dimension filter's first choice: no filter


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


def dimension_filter(
    where: DeltaGenerator,
    label: str,
    spec: Dimension,
    *,
    key: str,
    now: str | None = None,
    on_change: Callable[..., None] | None = None,
    args: tuple[Any, ...] = (),
) -> str | None:
    """A select box of one dimension's values after "All", starting at `now` if it is one; the
    value picked, or None for "All"."""
    options = [ALL, *spec.values]
    picked: str = where.selectbox(
        label,
        options,
        index=options.index(now) if now in options else 0,
        format_func=lambda v: _("All") if v == ALL else spec.value_label(v),
        key=key,
        on_change=on_change,
        args=args,
    )
    return None if picked == ALL else picked


def dimension_filters(
    dimensions: Sequence[str],
    specs: Mapping[str, Dimension],
    *,
    now: Mapping[str, str],
    key: Callable[[str], str],
    label: Callable[[Dimension], str] = lambda spec: spec.label,
    on_change: Callable[..., None] | None = None,
    args: tuple[Any, ...] = (),
) -> dict[str, str]:
    """A `dimension_filter` per dimension side by side, each starting at its value in `now`;
    the filters chosen (dimension -> value), "All" left out. `key` names each picker's key."""
    chosen: dict[str, str] = {}
    for col, dim in zip(st.columns(max(1, len(dimensions))), dimensions, strict=False):
        spec = specs[dim]
        picked = dimension_filter(
            col,
            label(spec),
            spec,
            key=key(dim),
            now=now.get(dim),
            on_change=on_change,
            args=args,
        )
        if picked is not None:
            chosen[dim] = picked
    return chosen
