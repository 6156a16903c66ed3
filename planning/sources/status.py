"""How each configured source is doing: its last run, its last good run and whether it is stale,
for Admin → Sources, /api/v1/health and the "data through …" notes on pages."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from planning import clock, i18n
from planning.config import AppConfig, ConfigError
from planning.i18n import gettext as _
from planning.sources.config import SourcesConfig, load_sources
from planning.sources.runs import OK, RUNNING, as_day


@dataclass(frozen=True)
class RunInfo:
    """One recorded run, as Admin lists it."""

    id: int
    trigger: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    rows: int
    rows_added: int
    rows_updated: int
    through_day: date | None
    error: str  # in the reader's language (as written, for a run recorded before languages)
    notes: tuple[str, ...] = ()  # the converter's notes, in the reader's language

    @property
    def seconds(self) -> float | None:
        """How long the run took (None while it runs)."""
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class SourceStatus:
    """A configured source beside its runs: last run, last good run, freshness."""

    name: str
    title: str
    kind: str
    schedule: str
    freshness: timedelta
    measures: tuple[str, ...]
    last_run: RunInfo | None
    last_ok: RunInfo | None
    stale: bool

    @property
    def through_day(self) -> date | None:
        """The last day the source's good runs have delivered."""
        return self.last_ok.through_day if self.last_ok else None

    def note(self) -> str:
        """The sentence a page shows when the source is stale."""
        if self.last_ok is None or self.last_ok.finished_at is None:
            return _("no data yet ({source} has never synced)").format(source=self.title)
        since = moment(self.last_ok.finished_at)
        through = self.through_day.isoformat() if self.through_day else _("no day yet")
        return _("data through {day} ({source} has not synced since {moment})").format(
            day=through, source=self.title, moment=since
        )


def moment(value: datetime) -> str:
    """A stored UTC moment as `YYYY-MM-DD HH:MM UTC`."""
    return f"{_utc(value):%Y-%m-%d %H:%M} UTC"


def _utc(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=clock.utcnow().tzinfo)
    return value


_COLUMNS = (
    "id, source, trigger, started_at, finished_at, status, rows, rows_added, rows_updated, "
    "through_day, error, measures, error_words, notes"
)


def _by_language(stored: Any) -> dict[str, Any]:
    """A run's words by language code, from their JSON text ({} when none were kept)."""
    try:
        found = json.loads(stored) if stored else {}
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _info(row: Any) -> RunInfo:
    notes: Any = i18n.for_reader(_by_language(row.notes), [])
    return RunInfo(
        id=int(row.id),
        trigger=str(row.trigger),
        started_at=_utc(row.started_at),
        finished_at=_utc(row.finished_at) if row.finished_at is not None else None,
        status=str(row.status),
        rows=int(row.rows),
        rows_added=int(row.rows_added),
        rows_updated=int(row.rows_updated),
        through_day=as_day(row.through_day),
        error=str(i18n.for_reader(_by_language(row.error_words), row.error or "")),
        notes=tuple(str(n) for n in notes) if isinstance(notes, list) else (),
    )


def source_status(
    *, session: Session, sources: SourcesConfig, now: datetime | None = None
) -> list[SourceStatus]:
    """Every configured source with its last run and last good run, in the file's order."""
    now = now or clock.utcnow()
    names = list(sources.sources)
    if not names:
        return []
    latest: dict[str, Any] = {}
    latest_ok: dict[str, Any] = {}
    for name in names:
        latest[name] = session.execute(
            text(f"SELECT {_COLUMNS} FROM source_run WHERE source = :s ORDER BY id DESC LIMIT 1"),
            {"s": name},
        ).first()
        latest_ok[name] = session.execute(
            text(
                f"SELECT {_COLUMNS} FROM source_run WHERE source = :s AND status = :ok "
                "ORDER BY id DESC LIMIT 1"
            ),
            {"s": name, "ok": OK},
        ).first()
    found = []
    for name, source in sources.sources.items():
        last = latest[name]
        good = latest_ok[name]
        # What the settings say the source holds, and what its last good run wrote besides
        # (a GA4 report's orders, a mapping's measures).
        written = [m for m in str(good.measures).split(",") if m] if good is not None else []
        measures = list(dict.fromkeys([*source.measures(), *written]))
        ok_info = _info(good) if good is not None else None
        stale = (
            ok_info is None
            or ok_info.finished_at is None
            or now - ok_info.finished_at > source.freshness
        )
        found.append(
            SourceStatus(
                name=name,
                title=source.title,
                kind=source.kind,
                schedule=source.schedule.text,
                freshness=source.freshness,
                measures=tuple(measures),
                last_run=_info(last) if last is not None else None,
                last_ok=ok_info,
                stale=stale,
            )
        )
    return found


def stale_notes(
    statuses: Iterable[SourceStatus], measures: Iterable[str] | None = None
) -> list[str]:
    """The notes for stale sources that feed any of `measures` (every stale source when None;
    a source that does not say what it writes counts as feeding everything)."""
    wanted = set(measures) if measures is not None else None
    notes = []
    for status in statuses:
        if not status.stale:
            continue
        if wanted is not None and status.measures and not wanted & set(status.measures):
            continue
        notes.append(status.note())
    return notes


def is_running(status: SourceStatus) -> bool:
    """Whether the source's newest run has not finished."""
    return status.last_run is not None and status.last_run.status == RUNNING


def health_entry(statuses: Iterable[SourceStatus]) -> dict[str, Any]:
    """The `sources` part of /api/v1/health: each source's state, last run and error."""
    items: list[dict[str, Any]] = []
    for status in statuses:
        last = status.last_run
        items.append(
            {
                "name": status.name,
                "kind": status.kind,
                "stale": status.stale,
                "last_run": None
                if last is None
                else {
                    "status": last.status,
                    "started_at": last.started_at.isoformat(),
                    "finished_at": last.finished_at.isoformat() if last.finished_at else None,
                    "rows": last.rows,
                    "error": last.error or None,
                    "notes": list(last.notes),
                },
                "last_success_at": status.last_ok.finished_at.isoformat()
                if status.last_ok and status.last_ok.finished_at
                else None,
                "data_through": status.through_day.isoformat() if status.through_day else None,
            }
        )
    failing = [i["name"] for i in items if i["last_run"] and i["last_run"]["status"] == "failed"]
    stale = [i["name"] for i in items if i["stale"]]
    return {"ok": not failing and not stale, "failing": failing, "stale": stale, "items": items}


def sources_health(*, session: Session, config: AppConfig) -> dict[str, Any]:
    """The `sources` entry of /api/v1/health (a wrong sources.yaml is reported, not raised)."""
    try:
        sources = load_sources(config.directory or None, config.metrics)
    except ConfigError as exc:
        return {"ok": False, "failing": [], "stale": [], "items": [], "error": str(exc)}
    return health_entry(source_status(session=session, sources=sources))
