"""Loading the demo shop's observations and its quarter's story into an empty (or reset) store."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, MetaData, func, select, text
from sqlmodel import Session, SQLModel, col

from planning.config import AppConfig
from planning.config.scoring import Framework, ScoringInput
from planning.demo.generator import generate_observations, planted_events
from planning.demo.story_goals import (
    ALIGNMENT,
    CONTRIBUTIONS,
    EMAIL_DOMAIN,
    OBJECTIVES,
    TEAM,
    TIME_OFF,
    KrSpec,
    WindowSums,
    kr_specs,
)
from planning.demo.story_initiatives import (
    DEPENDENCIES,
    InitiativeSpec,
    decisions,
    underway_initiatives,
)
from planning.demo.story_pipeline import pipeline_initiatives
from planning.formatting import format_count
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.metrics.observations import record_batch, upsert_observations
from planning.periods import iso_week, quarter_bounds, quarter_of
from planning.store.engine import bump_plan, session_scope
from planning.store.models import (
    AuditEvent,
    CheckIn,
    Decision,
    Initiative,
    InitiativeDependency,
    InitiativeKeyResult,
    KeyResult,
    KrKind,
    Objective,
    Person,
    StatusUpdate,
    TimeOff,
    WeeklyPlan,
    utcnow,
)
from planning.store.models_alignment import KrContribution, ObjectiveAlignment
from planning.store.models_metrics import ImportBatch

# --- scores --------------------------------------------------------------------------------------


def _fit(spec: ScoringInput, level: float) -> float:
    """A value on an input's scale for a level between 0 (lowest) and 1 (highest)."""
    level = min(max(level, 0.0), 1.0)
    if spec.scale:
        ordered = sorted(spec.scale)
        return float(ordered[round(level * (len(ordered) - 1))])
    low, high = float(spec.minimum or 0.0), float(spec.maximum or 0.0)
    value = low + level * (high - low)
    if low.is_integer() and high.is_integer() and high - low >= 2:
        return float(round(value))
    return round(value, 2)


def _clamp_to(spec: ScoringInput, value: float) -> float:
    """A raw estimate kept inside an input's bounds (or snapped to its nearest scale value)."""
    if spec.scale:
        return float(min(spec.scale, key=lambda allowed: abs(allowed - value)))
    low = spec.minimum if spec.minimum is not None else value
    high = spec.maximum if spec.maximum is not None else value
    return float(min(max(value, low), high))


def _scores(
    spec: InitiativeSpec, frameworks: Mapping[str, Framework]
) -> dict[str, dict[str, float]]:
    """Inputs for every configured framework, each on that framework's own scale."""
    size = min(max((spec.effort_weeks - 1) / 15, 0.0), 1.0)  # 0 for a week, 1 for 16 weeks
    levels: dict[str, float] = {
        "confidence": spec.confidence,
        "ease": 1 - size,
        "time_criticality": spec.urgency,
        "risk_reduction": 0.2 + 0.5 * spec.urgency,
        "customer_experience": (spec.value + spec.confidence) / 2,
    }
    # RICE takes estimates in its own units: customers reached and a confidence. Its effort, like
    # WSJF's job size and ICE's ease, comes from the initiative's person-weeks (scoring.yaml).
    raw: dict[str, float] = {"reach": float(spec.reach), "confidence": spec.confidence}
    out: dict[str, dict[str, float]] = {}
    for framework_id, framework in frameworks.items():
        inputs: dict[str, float] = {}
        for input_id, input_spec in framework.inputs.items():
            if framework.formula == "rice" and input_id in raw:
                value = _clamp_to(input_spec, raw[input_id])
            else:
                value = _fit(input_spec, levels.get(input_id, spec.value))
            inputs[input_id] = int(value) if value.is_integer() else value
        out[framework_id] = inputs
    return out


# --- loading -----------------------------------------------------------------------------------


class DemoAlreadyLoaded(Exception):
    """The store already holds data, so the demo data set was not loaded."""


@dataclass(frozen=True)
class DemoSummary:
    """What load_demo() wrote."""

    period: str
    first_day: date
    last_day: date
    observations: int
    series: int
    people: int
    time_off: int
    objectives: int
    key_results: int
    check_ins: int
    initiatives: int
    status_updates: int
    decisions: int
    audit_events: int

    def counts(self) -> dict[str, int]:
        """The row counts alone, by kind of record."""
        return {k: v for k, v in asdict(self).items() if isinstance(v, int)}


# Tables whose rows survive a reset: the schema version, the calendar, and the data-version
# counters (they only move forward, so open pages notice that everything changed).
_KEPT_TABLES = frozenset({"alembic_version", "calendar_day", "store_state"})
_LOCK_KEY = 0x51_44_44_45  # PostgreSQL advisory lock serialising concurrent demo loads


def _stamp(day: date, hour: int, minute: int = 0) -> datetime:
    """A UTC timestamp at a time of day; on the current day, never later than now."""
    stamp = datetime.combine(day, time(hour % 24, minute), tzinfo=UTC)
    now = utcnow()
    return now if day == now.date() and stamp > now else stamp


def _content_tables(connection: Connection) -> list[Any]:
    meta = MetaData()
    meta.reflect(bind=connection)
    return [t for t in meta.sorted_tables if t.name not in _KEPT_TABLES]


def _refuse_if_not_empty(connection: Connection, tables: Sequence[Any]) -> None:
    held = [t.name for t in tables if connection.execute(select(t).limit(1)).first() is not None]
    if not held:
        return
    by_name = {t.name: t for t in tables}
    parts = []
    for name, label in (
        ("person", N_("{count} people")),
        ("observation", N_("{count} observations")),
    ):
        if name in by_name:
            count = connection.execute(select(func.count()).select_from(by_name[name])).scalar()
            if count:
                parts.append(_(label).format(count=format_count(count)))
    what = ", ".join(parts) or _("records in {tables}").format(tables=", ".join(held))
    raise DemoAlreadyLoaded(
        _(
            "the store already holds data ({what}); the demo data set only loads into an empty "
            "store or replaces everything on reset"
        ).format(what=what)
    )


def _checksum(frame: pd.DataFrame) -> str:
    hashed = pd.util.hash_pandas_object(frame.astype({"day": str}), index=False)
    return hashlib.sha256(hashed.to_numpy().tobytes()).hexdigest()


def load_demo(
    *, engine: Engine, config: AppConfig, seed: int, today: date, reset: bool = False
) -> DemoSummary:
    """Load the demo data set into the store in one transaction, data up to the day before today.

    With the observations come a team of seven, the current quarter's OKRs (start values read
    from the previous quarter of the generated data), about 25 initiatives in every status with
    their status history, KR check-ins, decisions, last week's plan and audit events.
    Raises DemoAlreadyLoaded, writing nothing, when the store holds data and `reset` is false;
    with `reset` every record except the schema version, calendar and data-version counters is
    deleted first.
    """
    fiscal = config.settings.fiscal_year_start_month
    end = today - timedelta(days=1)
    frame = generate_observations(
        config=config.metrics,
        seed=seed,
        end=end,
        years=config.settings.demo.years,
        fiscal_start_month=fiscal,
    )
    events = {e.key: e.day for e in planted_events(end)}
    period = quarter_of(today, fiscal)
    with session_scope(engine) as session:
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        tables = _content_tables(connection)
        if reset:
            for table in reversed(tables):
                connection.execute(table.delete())
        else:
            _refuse_if_not_empty(connection, tables)

        people = _add_team(session, today)
        counts = upsert_observations(connection=connection, frame=frame)
        record_batch(
            session=session,
            actor=None,
            source="demo",
            filename=f"demo seed {seed}, {frame['day'].min()} to {end}",
            counts=counts,
            checksum=_checksum(frame),
        )
        krs, check_ins = _add_goals(
            session,
            people,
            kr_specs(WindowSums(frame), period, fiscal),
            period,
            quarter_bounds(period, fiscal)[0],
            today,
        )
        specs = underway_initiatives(events, today) + pipeline_initiatives(today)
        initiatives, updates = _add_initiatives(session, people, krs, specs, config)
        _add_dependencies(session, initiatives)
        decided = _add_decisions(session, people, initiatives, events, today)
        session.flush()
        _add_last_weeks_plan(session, people, config, today)
        audit = _add_audit(session)
        bump_plan(session)  # everything changed: every area
        session.flush()
        summary = DemoSummary(
            period=period,
            first_day=min(frame["day"]),
            last_day=end,
            observations=len(frame),
            series=int(frame[["measure", "dims_key"]].drop_duplicates().shape[0]),
            people=len(people),
            time_off=_count(session, TimeOff),
            objectives=_count(session, Objective),
            key_results=len(krs),
            check_ins=check_ins,
            initiatives=len(initiatives),
            status_updates=updates,
            decisions=decided,
            audit_events=audit,
        )
    return summary


def _count(session: Session, model: type[SQLModel]) -> int:
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def _add_team(session: Session, today: date) -> dict[str, Person]:
    people: dict[str, Person] = {}
    for spec in TEAM:
        first_name = spec.name.split()[0].lower()
        fields = asdict(spec)  # a person's own fields, and their key in the story
        del fields["key"]
        person = Person(email=f"{first_name}@{EMAIL_DOMAIN}", **fields)
        session.add(person)
        people[spec.key] = person
    session.flush()
    for key, start, end, note in TIME_OFF:
        session.add(
            TimeOff(
                person_id=_id(people[key]),
                start_date=today + timedelta(days=start),
                end_date=today + timedelta(days=end),
                note=note,
            )
        )
    return people


def _id(row: Any) -> int:
    assert row.id is not None, "row must be flushed first"
    return int(row.id)


def _check_in_days(period_start: date, today: date) -> list[date]:
    """Weekly check-in days of the quarter so far (at least one)."""
    days = []
    day = period_start + timedelta(days=4)
    while day < today:
        days.append(day)
        day += timedelta(days=7)
    return days or [max(period_start, today - timedelta(days=1))]


def _add_goals(
    session: Session,
    people: Mapping[str, Person],
    specs: Sequence[KrSpec],
    period: str,
    period_start: date,
    today: date,
) -> tuple[dict[str, KeyResult], int]:
    objectives: dict[str, Objective] = {}
    for key, (title, owner, description) in OBJECTIVES.items():
        objective = Objective(
            period=period, title=title, description=description, owner_id=_id(people[owner])
        )
        session.add(objective)
        objectives[key] = objective
    session.flush()
    krs: dict[str, KeyResult] = {}
    for spec in specs:
        kr = KeyResult(
            objective_id=_id(objectives[spec.objective]),
            title=spec.title,
            owner_id=_id(people[spec.owner]),
            kind=spec.kind,
            metric_id=spec.metric_id,
            filters=dict(spec.filters or {}),
            direction=spec.direction,
            start_value=spec.start,
            target_value=spec.target,
            window=spec.window,
            total_target=spec.total_target,
            guardrail_rule=spec.rule,
            threshold=spec.threshold,
            unit=spec.unit,
            done=spec.done,
        )
        session.add(kr)
        krs[spec.key] = kr
    session.flush()
    _add_alignment(session, objectives, krs)
    days = _check_in_days(period_start, today)
    written = 0
    for spec in specs:
        kr_days = days
        if spec.kind == KrKind.milestone and spec.done:
            kr_days = days[: len(spec.notes)]
        for k, day in enumerate(kr_days):
            last = k == len(kr_days) - 1
            if spec.kind == KrKind.milestone and spec.done:
                note = spec.notes[len(spec.notes) - len(kr_days) + k]
                confidence = spec.confidence[len(spec.confidence) - len(kr_days) + k]
            else:
                note = spec.notes[k % len(spec.notes)]
                confidence = spec.confidence[k % len(spec.confidence)]
            value = None
            if spec.kind == KrKind.manual and spec.start is not None and spec.target is not None:
                # Manual values move about a tenth of the way to target each week.
                step = (spec.target - spec.start) * 0.1 * (k + 1)
                value = round(spec.start + step, 1)
            session.add(
                CheckIn(
                    key_result_id=_id(krs[spec.key]),
                    confidence=confidence,
                    note=note,
                    value=value,
                    done=(spec.done and last) if spec.kind == KrKind.milestone else None,
                    author_id=_id(people[spec.owner]),
                    created_at=_stamp(day, 10 + k % 6, (7 * len(spec.key)) % 60),
                )
            )
            written += 1
    return krs, written


def _add_initiatives(
    session: Session,
    people: Mapping[str, Person],
    krs: Mapping[str, KeyResult],
    specs: Sequence[InitiativeSpec],
    config: AppConfig,
) -> tuple[dict[str, Initiative], int]:
    initiatives: dict[str, Initiative] = {}
    analyst = people["jonas"]
    for spec in specs:
        latest = spec.history[-1]
        initiative = Initiative(
            title=spec.title,
            description=spec.description,
            owner_id=_id(people[spec.owner]),
            status=latest.status,
            health=latest.health,
            start_date=spec.start,
            target_date=spec.target,
            shipped_date=spec.shipped,
            effort_weeks=spec.effort_weeks,
            percent_complete=latest.percent,
            scores=_scores(spec, config.scoring.frameworks),
            lift_metric=spec.lift[0] if spec.lift else None,
            lift_pct=spec.lift[1] if spec.lift else None,
            lift_estimator_id=_id(analyst) if spec.lift else None,
            created_at=_stamp(spec.history[0].day, 9),
            updated_at=_stamp(latest.day, 9 + len(spec.history)),
        )
        session.add(initiative)
        initiatives[spec.key] = initiative
    session.flush()
    written = 0
    for spec in specs:
        initiative = initiatives[spec.key]
        for kr_key in spec.krs:
            session.add(
                InitiativeKeyResult(initiative_id=_id(initiative), key_result_id=_id(krs[kr_key]))
            )
        for k, step in enumerate(spec.history, start=1):
            session.add(
                StatusUpdate(
                    initiative_id=_id(initiative),
                    status=step.status,
                    health=step.health,
                    percent_complete=step.percent,
                    note=step.note,
                    author_id=_id(people[spec.owner]),
                    created_at=_stamp(step.day, 9 + k),
                )
            )
            written += 1
    return initiatives, written


def _add_last_weeks_plan(
    session: Session, people: Mapping[str, Person], config: AppConfig, today: date
) -> None:
    """Last week's committed plan, as the backlog stood then, so "since last week" has a story.

    Statuses and health are those of each initiative's latest update before last week's plan was
    committed (Monday 09:00); initiatives created or first planned after it are left out.
    """
    from planning.work.backlog import ranked_backlog
    from planning.work.weekly_plan import snapshot_rows

    monday = today - timedelta(days=today.weekday() + 7)
    committed = datetime.combine(monday, time(9), tzinfo=UTC)
    backlog = ranked_backlog(session=session, config=config, framework_id=config.scoring.active)
    then: dict[int, StatusUpdate] = {}
    for update in session.scalars(select(StatusUpdate).order_by(col(StatusUpdate.created_at))):
        if update.created_at <= committed:
            then[update.initiative_id] = update
    rows = []
    for row in snapshot_rows(backlog):
        earlier = then.get(row["id"])
        if earlier is None or earlier.status in {"done", "dropped"}:
            continue
        row.update(status=earlier.status.value, health=earlier.health.value)
        rows.append(row)
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    session.add(
        WeeklyPlan(
            week=iso_week(monday),
            framework=config.scoring.active,
            snapshot=rows,
            note="Checkout first: wallets and guest checkout before the holiday code freeze.",
            committed_by=_id(people["maya"]),
            committed_at=committed,
        )
    )
    session.flush()


def _add_decisions(
    session: Session,
    people: Mapping[str, Person],
    initiatives: Mapping[str, Initiative],
    events: Mapping[str, date],
    today: date,
) -> int:
    director = _id(people["maya"])
    rows = decisions(events, today)
    for day, note, key in rows:
        session.add(
            Decision(
                decided_on=day,
                text=note,
                initiative_id=_id(initiatives[key]),
                author_id=director,
                created_at=_stamp(day, 16),
            )
        )
    return len(rows)


def _add_dependencies(session: Session, initiatives: Mapping[str, Initiative]) -> None:
    """The demo's "blocks / blocked by" links between initiatives."""
    session.flush()
    for blocker, blocked in DEPENDENCIES:
        session.add(
            InitiativeDependency(
                blocker_id=_id(initiatives[blocker]), blocked_id=_id(initiatives[blocked])
            )
        )
    session.flush()


def _add_alignment(
    session: Session, objectives: Mapping[str, Objective], krs: Mapping[str, KeyResult]
) -> None:
    """Team objectives under the company one, and key results counting towards it too."""
    for key, parents in ALIGNMENT:
        objective = objectives[key]
        objective.parent_id = _id(objectives[parents[0]])
        session.add(objective)
        for parent in parents[1:]:
            session.add(
                ObjectiveAlignment(objective_id=_id(objective), parent_id=_id(objectives[parent]))
            )
    for kr_key, objective_key, weight in CONTRIBUTIONS:
        session.add(
            KrContribution(
                key_result_id=_id(krs[kr_key]),
                objective_id=_id(objectives[objective_key]),
                weight=weight,
            )
        )
    session.flush()


_AUDITED: tuple[tuple[type[SQLModel], str], ...] = (
    (Person, "person"),
    (TimeOff, "time_off"),
    (Objective, "objective"),
    (KeyResult, "key_result"),
    (ObjectiveAlignment, "objective_alignment"),
    (KrContribution, "kr_contribution"),
    (CheckIn, "check_in"),
    (Initiative, "initiative"),
    (InitiativeDependency, "initiative_dependency"),
    (StatusUpdate, "status_update"),
    (Decision, "decision"),
    (ImportBatch, "import_batch"),
)


def _add_audit(session: Session) -> int:
    """One "demo" audit event for every record the demo created (observations aside)."""
    events = []
    for model, entity in _AUDITED:
        for row in session.exec(select(model)).scalars():  # type: ignore[call-overload]
            after = row.model_dump(mode="json", exclude={"password_hash"})
            events.append(AuditEvent(entity=entity, entity_id=row.id, action="demo", after=after))
    session.add_all(events)
    return len(events)
