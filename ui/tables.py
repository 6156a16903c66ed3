"""How the pages show a read-only table: across the page, without the index."""

from __future__ import annotations

from typing import Any

import streamlit as st


def show_table(rows: Any, columns: dict[str, Any] | None = None) -> None:
    """A read-only table across the page, without the index, its columns labelled."""
    st.dataframe(rows, hide_index=True, width="stretch", column_config=columns)
