"""Cached reads for the Admin page (the pattern of ui/data.py): API tokens and import history.

Each function takes the store's data versions first, so any write makes the next call fresh.
"""

from __future__ import annotations

import streamlit as st

from planning.access.api_tokens import ApiTokenInfo, list_tokens
from planning.metrics.observations import ImportBatchInfo, import_history
from ui.state import Versions, read_session

ENTRIES = 16


# A token's last use changes without a data version, so this entry lives a minute at most.
@st.cache_data(ttl=60, max_entries=ENTRIES, show_spinner=False)
def api_tokens(versions: Versions) -> list[ApiTokenInfo]:
    """Every API token, newest first (without digests)."""
    del versions
    with read_session() as session:
        return list_tokens(session=session)


@st.cache_data(ttl=600, max_entries=ENTRIES, show_spinner=False)
def import_batches(versions: Versions, limit: int = 200) -> list[ImportBatchInfo]:
    """The latest import batches, newest first."""
    del versions
    with read_session() as session:
        return import_history(session=session, limit=limit)
