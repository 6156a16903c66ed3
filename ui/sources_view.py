"""Data sources in the app: Admin's "Sources" tab (each source's last run, rows, duration, last
error and freshness; run one now or preview it) and the "data through … (<source> has not synced
since …)" notes that Metrics and Goals show for stale sources."""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa
import streamlit as st
from sqlmodel import Session

from planning.access.permissions import PermissionDenied
from planning.config import ConfigError
from planning.sources.config import SourcesConfig, load_sources
from planning.sources.kinds import KINDS
from planning.sources.runs import BUSY, FAILED, preview_source, run_source
from planning.sources.status import SourceStatus, moment, source_status, stale_notes
from planning.store.engine import read_engine
from planning.store.models import PersonRead
from ui.state import Versions, app_config, clear_after_write, engine
from ui.text import escape_markdown, refusal_message

FLASH = "admin_sources_flash"
PREVIEW = "admin_sources_preview"
PICK = "admin_sources_pick"


def _sources() -> SourcesConfig:
    config = app_config()
    return load_sources(config.directory or None, config.metrics)


def _statuses(sources: SourcesConfig) -> list[SourceStatus]:
    with Session(read_engine(engine())) as session:
        return source_status(session=session, sources=sources)


# A run's record changes without a data version (a failed run writes no observation), so the
# notes live a minute at most.
@st.cache_data(ttl=60, max_entries=16, show_spinner=False)
def _notes(versions: Versions, measures: tuple[str, ...] | None) -> list[str]:
    del versions
    try:
        sources = _sources()
    except ConfigError:
        return []
    if not sources.sources:
        return []
    return stale_notes(_statuses(sources), measures)


def stale_source_notes(versions: Versions, measures: Iterable[str] | None = None) -> None:
    """Warn, once per stale source feeding any of `measures` (all sources when None)."""
    wanted = tuple(sorted(set(measures))) if measures is not None else None
    for note in _notes(versions, wanted):
        st.warning(note[0].upper() + note[1:], icon=":material/sync_problem:")


def _duration(status: SourceStatus) -> float | None:
    return status.last_run.seconds if status.last_run else None


def _freshness(status: SourceStatus) -> str:
    if not status.stale:
        through = status.through_day.isoformat() if status.through_day else "—"
        return f"fresh (data through {through})"
    return "stale: " + status.note()


def sources_tab(person: PersonRead) -> None:
    """Admin → Sources: the configured sources, their runs, and run now / preview."""
    st.subheader("Data sources")
    flash = st.session_state.pop(FLASH, None)
    if flash:
        (st.error if flash[0] == "error" else st.success)(flash[1])
    try:
        sources = _sources()
    except ConfigError as exc:
        st.error(f"sources.yaml has a mistake, so no source runs: {exc}")
        return
    if not sources.sources:
        st.info(
            f"No data sources are configured. Add them to {sources.path} (see the README's "
            "“Connect your data”): a database query, a file at a URL or your Shopify and GA4 "
            "exports, synced on a schedule."
        )
        return
    st.caption(
        f"From {sources.path}. Each run is checked whole like an upload and written in one "
        "transaction, or not at all; times in UTC."
    )
    statuses = _statuses(sources)
    st.dataframe(
        pa.Table.from_pylist(
            [
                {
                    "source": s.title,
                    "kind": KINDS[s.kind].label if s.kind in KINDS else s.kind,
                    "schedule": s.schedule,
                    "last run": moment(s.last_run.started_at) if s.last_run else "never",
                    "status": s.last_run.status if s.last_run else "",
                    "rows": s.last_run.rows if s.last_run else None,
                    "seconds": _duration(s),
                    "freshness": _freshness(s),
                    "last error": s.last_run.error if s.last_run else "",
                }
                for s in statuses
            ]
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "rows": st.column_config.NumberColumn(format="localized"),
            "seconds": st.column_config.NumberColumn(format="%.1f"),
        },
    )
    for status in statuses:
        if status.last_run and status.last_run.status == FAILED:
            st.error(
                f"{escape_markdown(status.title)}: the last run failed and wrote nothing — "
                f"{escape_markdown(status.last_run.error)}"
            )
    names = list(sources.sources)
    name = st.selectbox("Source", names, key=PICK, format_func=lambda n: sources.sources[n].title)
    run_col, preview_col = st.columns(2)
    if run_col.button("Run now", key="admin_sources_run", type="primary"):
        try:
            with st.spinner(f"Running {name}…"):
                outcome = run_source(
                    engine=engine(),
                    config=app_config(),
                    source=sources.get(name),
                    trigger="admin",
                    actor=person,
                )
        except PermissionDenied as exc:
            st.error(refusal_message(exc))
            return
        clear_after_write()
        _notes.clear()  # a run's record changes without a data version
        st.session_state.pop(PREVIEW, None)
        if outcome.status == FAILED:
            st.session_state[FLASH] = ("error", f"{name} failed, nothing written: {outcome.error}")
        elif outcome.status == BUSY:
            st.session_state[FLASH] = ("error", f"{name}: {outcome.error}; try again shortly.")
        else:
            st.session_state[FLASH] = (
                "ok",
                f"{name}: {outcome.rows:,} rows — added {outcome.added:,}, updated "
                f"{outcome.updated:,}, unchanged {outcome.unchanged:,}.",
            )
        st.rerun()
    if preview_col.button("Preview", key="admin_sources_preview_button"):
        with st.spinner(f"Fetching {name}…"):
            st.session_state[PREVIEW] = preview_source(
                engine=engine(), config=app_config(), source=sources.get(name)
            )
    preview = st.session_state.get(PREVIEW)
    if preview is not None and preview.source == name:
        if preview.error:
            st.error(f"A run now would fail and write nothing: {preview.error}")
        else:
            window = f" from {preview.since:%d %b %Y}" if preview.since else ""
            st.info(
                f"A run now would read {preview.rows:,} rows{window}: add "
                f"{preview.would_add:,}, change {preview.would_update:,}, leave "
                f"{preview.would_leave:,} as they are. Nothing was written."
            )
            if not preview.sample.empty:
                st.dataframe(preview.sample, hide_index=True, width="stretch")
