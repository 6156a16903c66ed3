"""Data sources in the app: Admin's "Sources" tab (each source's last run, rows, duration, last
error and freshness; run one now or preview it) and the "data through … (<source> has not synced
since …)" notes that Metrics and Goals show for stale sources."""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa
import streamlit as st

from planning import i18n
from planning.access.permissions import PermissionDenied
from planning.config import ConfigError
from planning.formatting import format_count, format_day
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.sources.config import SourcesConfig, load_sources
from planning.sources.kinds import KINDS
from planning.sources.runs import BUSY, FAILED, preview_source, run_source
from planning.sources.status import SourceStatus, moment, source_status, stale_notes
from planning.store.models import PersonRead
from ui import grid_formats
from ui.state import Versions, app_config, clear_after_write, engine, read_session
from ui.tables import show_table
from ui.text import escape_markdown, refusal_message

FLASH = "admin_sources_flash"
PREVIEW = "admin_sources_preview"
PICK = "admin_sources_pick"
# A run's status (planning.sources.runs), in words.
RUN_STATES = {
    "ok": N_("ok"),
    "failed": N_("failed"),
    "running": N_("running"),
    "interrupted": N_("interrupted"),
    "busy": N_("busy"),
}


def _sources() -> SourcesConfig:
    config = app_config()
    return load_sources(config.directory or None, config.metrics)


def _statuses(sources: SourcesConfig) -> list[SourceStatus]:
    with read_session() as session:
        return source_status(session=session, sources=sources)


# A run's record changes without a data version (a failed run writes no observation), so the
# notes live a minute at most.
@st.cache_data(ttl=60, max_entries=16, show_spinner=False)
def _notes(versions: Versions, measures: tuple[str, ...] | None, language: str) -> list[str]:
    del versions, language  # the notes are written in the reader's language
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
    for note in _notes(versions, wanted, i18n.locale_key()):
        st.warning(note[0].upper() + note[1:], icon=":material/sync_problem:")


def _duration(status: SourceStatus) -> float | None:
    return status.last_run.seconds if status.last_run else None


def _freshness(status: SourceStatus) -> str:
    if not status.stale:
        through = status.through_day.isoformat() if status.through_day else "—"
        return _("fresh (data through {day})").format(day=through)
    return _("stale: {note}").format(note=status.note())


def _show_notes(heading: str, notes: Iterable[str]) -> None:
    """A run's notes on what it read (the converter's, as an import preview shows them)."""
    lines = "\n".join(f"- {escape_markdown(note)}" for note in notes)
    st.info(f"{heading}\n\n{lines}", icon=":material/info:")


def sources_tab(person: PersonRead) -> None:
    """Admin → Sources: the configured sources, their runs, and run now / preview."""
    st.subheader(_("Data sources"))
    flash = st.session_state.pop(FLASH, None)
    if flash:
        (st.error if flash[0] == "error" else st.success)(flash[1])
    try:
        sources = _sources()
    except ConfigError as exc:
        st.error(_("sources.yaml has a mistake, so no source runs: {reason}").format(reason=exc))
        return
    if not sources.sources:
        st.info(
            _(
                "No data sources are configured. Add them to {path} (see the README's “Connect "
                "your data”): a database query, a file at a URL or your Shopify and GA4 exports, "
                "synced on a schedule."
            ).format(path=sources.path)
        )
        return
    st.caption(
        _(
            "From {path}. Each run is checked whole like an upload and written in one "
            "transaction, or not at all; times in UTC."
        ).format(path=sources.path)
    )
    rows, seconds, notes, error = _("rows"), _("seconds"), _("notes"), _("last error")
    text = st.column_config.TextColumn
    statuses = _statuses(sources)
    show_table(
        pa.Table.from_pylist(
            [
                {
                    _("source"): s.title,
                    _("kind"): _(KINDS[s.kind].label) if s.kind in KINDS else s.kind,
                    _("schedule"): _("manual") if s.schedule == "manual" else s.schedule,
                    _("last run"): moment(s.last_run.started_at) if s.last_run else _("never"),
                    _("status"): (
                        _(RUN_STATES.get(s.last_run.status, s.last_run.status))
                        if s.last_run
                        else ""
                    ),
                    rows: s.last_run.rows if s.last_run else None,
                    seconds: _duration(s),
                    _("freshness"): _freshness(s),
                    notes: " ".join(s.last_run.notes) if s.last_run else "",
                    error: s.last_run.error if s.last_run else "",
                }
                for s in statuses
            ]
        ),
        # Fixed widths that together fit beside the sidebar at 1,366 px, so notes and last error
        # are in view; the text wraps in the cells and both are written out in full below.
        {
            _("source"): text(width=90),
            _("kind"): text(width=110),
            _("schedule"): text(width=70),
            _("last run"): text(width=95),
            _("status"): text(width=105),
            rows: st.column_config.NumberColumn(format=grid_formats.whole_format(), width=50),
            seconds: st.column_config.NumberColumn(
                format=grid_formats.decimal_format("%.1f"), width=60
            ),
            _("freshness"): text(width=110),
            notes: text(width=105),
            error: text(width=105),
        },
        wrap=True,
    )
    for status in statuses:
        if status.last_run and status.last_run.status == FAILED:
            st.error(
                _("{source}: the last run failed and wrote nothing — {reason}").format(
                    source=escape_markdown(status.title),
                    reason=escape_markdown(status.last_run.error),
                )
            )
        if status.last_run and status.last_run.notes:
            _show_notes(
                _("{source}: notes on what the last run read:").format(
                    source=escape_markdown(status.title)
                ),
                status.last_run.notes,
            )
    names = list(sources.sources)
    name = st.selectbox(
        _("Source"), names, key=PICK, format_func=lambda n: sources.sources[n].title
    )
    run_col, preview_col = st.columns(2)
    if run_col.button(_("Run now"), key="admin_sources_run", type="primary"):
        try:
            with st.spinner(_("Running {source}…").format(source=name)):
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
            st.session_state[FLASH] = (
                "error",
                _("{source} failed, nothing written: {reason}").format(
                    source=name, reason=outcome.error_text()
                ),
            )
        elif outcome.status == BUSY:
            st.session_state[FLASH] = (
                "error",
                _("{source}: {reason}; try again shortly.").format(
                    source=name, reason=outcome.error_text()
                ),
            )
        else:
            st.session_state[FLASH] = (
                "ok",
                _(
                    "{source}: {rows} rows — added {added}, updated {updated}, unchanged "
                    "{unchanged}."
                ).format(
                    source=name,
                    rows=format_count(outcome.rows),
                    added=format_count(outcome.added),
                    updated=format_count(outcome.updated),
                    unchanged=format_count(outcome.unchanged),
                ),
            )
        st.rerun()
    if preview_col.button(_("Preview"), key="admin_sources_preview_button"):
        with st.spinner(_("Fetching {source}…").format(source=name)):
            st.session_state[PREVIEW] = preview_source(
                engine=engine(), config=app_config(), source=sources.get(name)
            )
    preview = st.session_state.get(PREVIEW)
    if preview is not None and preview.source == name:
        if preview.error:
            st.error(
                _("A run now would fail and write nothing: {reason}").format(reason=preview.error)
            )
        else:
            counts = {
                "rows": format_count(preview.rows),
                "add": format_count(preview.would_add),
                "change": format_count(preview.would_update),
                "leave": format_count(preview.would_leave),
            }
            if preview.since:
                text = _(
                    "A run now would read {rows} rows from {day}: add {add}, change {change}, "
                    "leave {leave} as they are. Nothing was written."
                ).format(day=format_day(preview.since), **counts)
            else:
                text = _(
                    "A run now would read {rows} rows: add {add}, change {change}, leave "
                    "{leave} as they are. Nothing was written."
                ).format(**counts)
            st.info(text)
            if preview.notes:
                _show_notes(_("Notes on what a run now would read:"), preview.notes)
            if not preview.sample.empty:
                show_table(preview.sample)
