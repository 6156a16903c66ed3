"""Process-wide resources and the live-data check, for pages.

One engine per process (st.cache_resource). Reads are cached with a bound and keyed by the store's
data-version counters, so any write (from this process, another app process on the same
PostgreSQL, the CLI or the API) makes the next read fresh, and an unchanged store costs one cheap
version query.
"""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from planning.bootstrap import open_store
from planning.config import AppConfig, ConfigError, load_config
from planning.store import data_versions
from ui.routing import require_router

Versions = tuple[tuple[str, int], ...]


@st.cache_resource(show_spinner=False)
def _load_config() -> AppConfig:
    return load_config()


def app_config() -> AppConfig:
    """The validated configuration; a mistake stops the page with one clear message.

    Every page calls this first, so it is also where a page run outside the router is sent back
    through it (see ui.routing).
    """
    require_router()
    try:
        return _load_config()
    except ConfigError as exc:
        st.error(f"Quarterdeck cannot start because of a configuration mistake.\n\n{exc}")
        st.stop()
        raise  # st.stop() ends the script; this keeps type checkers content


@st.cache_resource(show_spinner="Preparing the store (the first start loads demo data)…")
def _engine() -> Engine:
    return open_store(config=app_config())


def engine() -> Engine:
    """The process's one engine, migrated, with demo data on a first start."""
    return _engine()


def versions() -> Versions:
    """The store's data versions now; pages pass them to cached reads as part of the key."""
    current = data_versions(engine())
    st.session_state["_seen_versions"] = current
    return current


def clear_after_write() -> None:
    """Drop cached reads after a write so the next render reads fresh data."""
    st.cache_data.clear()


def live_refresh() -> None:
    """Re-run the page when the store's data changes while it is open (checked every few s)."""
    every = app_config().settings.live.refresh_seconds

    @st.fragment(run_every=every)
    def _check() -> None:
        seen = st.session_state.get("_seen_versions")
        if seen is not None and data_versions(engine()) != seen:
            st.rerun(scope="app")

    _check()
