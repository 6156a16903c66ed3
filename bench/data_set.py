"""The benchmark's data set: its configuration folder (the shipped one, widened at the large scale),
its observations and its store (the demo grown to the scale's team, goals and initiatives)."""

from __future__ import annotations

import math
import shutil
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy import Engine
    from sqlmodel import Session

    from planning.config import AppConfig
    from planning.config.metrics import MetricsConfig
    from planning.store.models import Person

from bench.scales import KRS_PER_OBJECTIVE, BenchError, Scale

# --- the configuration folder ------------------------------------------------------------------


def sub_value(value: str, index: int) -> str:
    """The index-th value a declared dimension value is split into (the first keeps its name)."""
    return value if index == 0 else f"{value}_{index + 1}"


def write_config(*, directory: Path, scale: Scale, source: Path | None = None) -> Path:
    """Write the bench's configuration folder: the shipped one with widened dimension values."""
    import yaml

    from planning.config import DEFAULT_CONFIG_DIR, load_config

    source = source or DEFAULT_CONFIG_DIR
    directory.mkdir(parents=True, exist_ok=True)
    metrics = yaml.safe_load((source / "metrics.yaml").read_text(encoding="utf-8"))
    for name, factor in scale.widen:
        values = metrics["dimensions"][name]["values"]
        metrics["dimensions"][name]["values"] = [
            sub_value(v, k) for v in values for k in range(factor)
        ]
    (directory / "metrics.yaml").write_text(yaml.safe_dump(metrics, sort_keys=False), "utf-8")
    settings = yaml.safe_load((source / "settings.yaml").read_text(encoding="utf-8")) or {}
    demo = dict(settings.get("demo") or {})
    demo.update(load_on_first_start=False, years=scale.years)
    settings["demo"] = demo
    (directory / "settings.yaml").write_text(yaml.safe_dump(settings, sort_keys=False), "utf-8")
    shutil.copy(source / "scoring.yaml", directory / "scoring.yaml")
    load_config(directory)  # the bench's folder must be a valid configuration
    return directory


# --- observations ------------------------------------------------------------------------------


def widen_observations(
    *, frame: pd.DataFrame, config: MetricsConfig, widen: Mapping[str, int], seed: int
) -> pd.DataFrame:
    """Spread each series over the sub-values of its widened dimensions (see the module doc).

    Additive values are split by per-day random shares that sum to the original value (whole
    numbers stay whole, money keeps cents); the same dimension values get the same shares for
    every measure, so funnels and ratios stay consistent within a series.
    """
    import numpy as np
    import pandas as pd

    from planning.config.metrics import WeightedAverageMetric
    from planning.metrics.observations import dims_key, parse_dims_key

    copied = {m.value for m in config.metrics.values() if isinstance(m, WeightedAverageMetric)}
    parts: list[pd.DataFrame] = []
    for (measure, key), block in frame.groupby(["measure", "dims_key"], sort=False):
        dims = parse_dims_key(str(key))
        combos: list[tuple[dict[str, str], float]] = [(dict(dims), 1.0)]
        for name in sorted(dims):
            factor = widen.get(name, 1)
            if factor <= 1:
                continue
            shares = np.arange(factor, 0, -1, dtype=float)
            shares /= shares.sum()
            combos = [
                ({**d, name: sub_value(dims[name], k)}, share * float(shares[k]))
                for d, share in combos
                for k in range(factor)
            ]
        if len(combos) == 1:
            parts.append(block)
            continue
        values = block["value"].to_numpy(dtype=float)
        n, width = len(values), len(combos)
        rng = np.random.default_rng([seed, zlib.crc32(str(key).encode())])
        if measure in copied:
            spread = np.round(values[:, None] * rng.lognormal(0.0, 0.03, (n, width)), 2)
        else:
            weights = np.array([s for _, s in combos])[None, :] * rng.gamma(50, 1 / 50, (n, width))
            weights /= weights.sum(axis=1, keepdims=True)
            scale = 1.0 if bool(np.all(values == np.round(values))) else 100.0
            spread = np.floor(values[:, None] * weights * scale) / scale
            # The first column takes what flooring left over, so every day's total is unchanged.
            spread[:, 0] = np.round(values - spread[:, 1:].sum(axis=1), 2)
        parts.append(
            pd.DataFrame(
                {
                    "measure": measure,
                    "day": np.repeat(block["day"].to_numpy(), width),
                    "dims_key": np.tile(np.array([dims_key(d) for d, _ in combos]), n),
                    "value": spread.ravel(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def interchange_csv(*, frame: pd.DataFrame, config: MetricsConfig) -> bytes:
    """The observations as long CSV in the interchange format (date, measure, value, dims)."""
    return interchange_frame(frame=frame, config=config).to_csv(index=False).encode("utf-8")


def interchange_frame(*, frame: pd.DataFrame, config: MetricsConfig) -> pd.DataFrame:
    """The observations as a long table in the interchange format (date, measure, value, dims)."""
    import pandas as pd

    from planning.metrics.observations import parse_dims_key

    keys = frame["dims_key"].unique()
    parsed = {k: parse_dims_key(str(k)) for k in keys}
    table = pd.DataFrame(
        {
            "date": frame["day"].astype(str),
            "measure": frame["measure"],
            "value": frame["value"],
        }
    )
    for name in config.dimensions:
        lookup = {k: dims.get(name, "") for k, dims in parsed.items()}
        table[name] = frame["dims_key"].map(lookup)
    return table


# --- the store ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataSet:
    """What the bench built: where, and how many of each record."""

    url: str
    config_dir: Path
    period: str
    observations: pd.DataFrame
    counts: dict[str, int]


def build_data_set(
    *,
    directory: Path,
    scale: Scale,
    today: date,
    seed: int = 42,
    log: Callable[[str], None],
    url: str | None = None,
) -> DataSet:
    """Build the configuration folder of a scale in `directory` and its store there (SQLite), or
    at `url` (an empty PostgreSQL schema)."""
    from sqlmodel import Session

    from planning.config import load_config
    from planning.demo.generator import generate_observations
    from planning.demo.loader import load_demo
    from planning.metrics.observations import record_batch, upsert_observations
    from planning.periods import quarter_of
    from planning.store.engine import create_store_engine, migrate, read_engine, session_scope

    config_dir = write_config(directory=directory / "config", scale=scale)
    config = load_config(config_dir)
    url = url or f"sqlite:///{directory / 'bench.db'}"
    engine = create_store_engine(url)
    try:
        migrate(engine)
        with _timed(log, "demo data set"):
            load_demo(engine=engine, config=config, seed=seed, today=today)
        fiscal = config.settings.fiscal_year_start_month
        frame = generate_observations(
            config=config.metrics,
            seed=seed,
            end=today - timedelta(days=1),
            years=scale.years,
            fiscal_start_month=fiscal,
        )
        if scale.widen:
            with _timed(log, "widened observations"):
                frame = widen_observations(
                    frame=frame, config=config.metrics, widen=dict(scale.widen), seed=seed
                )
                with session_scope(engine) as session:
                    counts = upsert_observations(connection=session.connection(), frame=frame)
                    record_batch(
                        session=session,
                        actor=None,
                        source="cli",
                        filename=f"bench {scale.name}",
                        counts=counts,
                        checksum="",
                    )
        period = quarter_of(today, fiscal)
        with _timed(log, "people, goals, initiatives and status history"):
            grow_plan(engine=engine, config=config, scale=scale, period=period, seed=seed)
        if engine.dialect.name == "postgresql":
            advance_sequences(engine)
        with Session(read_engine(engine)) as session:
            tally = record_counts(session)
    finally:
        engine.dispose()
    return DataSet(url=url, config_dir=config_dir, period=period, observations=frame, counts=tally)


def record_counts(session: Session, kinds: Sequence[str] | None = None) -> dict[str, int]:
    """How many records of each kind the store holds: of every kind, or of those in `kinds`."""
    from sqlalchemy import func, select

    from planning.store.models import (
        AuditEvent,
        CheckIn,
        Initiative,
        KeyResult,
        Objective,
        Person,
        StatusUpdate,
    )
    from planning.store.models_metrics import Observation

    models: dict[str, Any] = {
        "observations": Observation,
        "people": Person,
        "objectives": Objective,
        "key_results": KeyResult,
        "check_ins": CheckIn,
        "initiatives": Initiative,
        "status_updates": StatusUpdate,
        "audit_events": AuditEvent,
    }
    return {
        kind: int(session.execute(select(func.count()).select_from(models[kind])).scalar_one())
        for kind in kinds or models
    }


def active_people(session: Session) -> list[Person]:
    """The team's active people, by id (the order the bench deals out roles and sessions in)."""
    from sqlmodel import col, select

    from planning.store.models import Person

    query = select(Person).where(Person.active == True).order_by(col(Person.id))  # noqa: E712
    return list(session.exec(query).all())


def advance_sequences(engine: Engine) -> None:
    """On PostgreSQL, move each id sequence past the ids the bench inserted itself (executemany
    with explicit ids leaves the sequences behind), so the app's own inserts do not collide."""
    from sqlalchemy import text
    from sqlmodel import SQLModel

    with engine.begin() as connection:
        for table in SQLModel.metadata.sorted_tables:
            if "id" not in table.c or not table.c.id.primary_key:
                continue
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                )
            )


def with_search_path(url: str, schema: str) -> str:
    """A PostgreSQL URL whose connections use `schema` (libpq's options parameter)."""
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


class Schemas:
    """Creates schemas unique to one run on a PostgreSQL server and remembers them."""

    def __init__(self, url: str) -> None:
        import uuid

        from sqlalchemy import create_engine

        self.url = url
        self.run = uuid.uuid4().hex[:8]
        self.made: list[str] = []
        self.admin = create_engine(url, isolation_level="AUTOCOMMIT")

    def __call__(self, purpose: str) -> str:
        """Create the schema for a purpose; the URL whose connections use it."""
        from sqlalchemy import text

        schema = f"bench_{self.run}_{purpose}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        self.made.append(schema)
        return with_search_path(self.url, schema)

    def drop(self) -> None:
        """Drop every schema this run created."""
        from sqlalchemy import text

        with self.admin.connect() as connection:
            for schema in self.made:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        self.admin.dispose()


@contextmanager
def postgres_schemas(url: str) -> Iterator[Schemas]:
    """Schemas unique to this run on the server at `url`, all dropped at the end; yields the
    callable that creates one for a purpose and returns the URL that uses it."""
    schemas = Schemas(url)
    try:
        yield schemas
    finally:
        schemas.drop()


def _filter_choices(config: MetricsConfig, metric_id: str) -> list[dict[str, str]]:
    """Filters a key result on a metric may take: none, or one value of a shared dimension."""
    if metric_id not in config.metrics:
        return [{}]
    choices: list[dict[str, str]] = [{}]
    for name in config.metric_dimensions(metric_id):
        choices.extend({name: value} for value in config.dimensions[name].values)
    return choices


def grow_plan(*, engine: Engine, config: AppConfig, scale: Scale, period: str, seed: int) -> None:
    """Add people, objectives, key results, check-ins, initiatives and status updates (with
    their audit events) to a store holding the demo data set, up to the scale's counts."""
    import random

    from planning.store.engine import PLAN, bump_version, session_scope
    from planning.store.models import AuditEvent

    rng = random.Random(seed)
    with session_scope(engine) as session:
        audit: list[dict[str, Any]] = []
        owners = _grow_people(session, scale, audit)
        key_results = _grow_goals(session, config, scale, period, owners, rng, audit)
        _grow_initiatives(session, scale, owners, key_results, rng, audit)
        _insert(session, AuditEvent, audit)
        bump_version(session, PLAN)


def _audit_row(entity: str, entity_id: int, after: dict[str, Any]) -> dict[str, Any]:
    from planning.store.models import utcnow

    return {"at": utcnow(), "entity": entity, "entity_id": entity_id, "action": "bench",
            "after": after}  # fmt: skip


def _grow_people(session: Session, scale: Scale, audit: list[dict[str, Any]]) -> list[int]:
    """Members (and every seventh a stakeholder) up to the scale; returns who can own work."""
    from sqlmodel import col, select

    from planning.store.models import Person, Role

    people = list(session.exec(select(Person).order_by(col(Person.id))).all())
    added: list[Person] = []
    for k in range(len(people), scale.people):
        role = Role.stakeholder if k % 7 == 6 else Role.member
        added.append(
            Person(
                name=f"Bench {role.value.title()} {k + 1}",
                email=f"bench{k + 1}@bench.example",
                role=role,
                title="Benchmark teammate",
                weekly_hours=0 if role == Role.stakeholder else 40,
                bau_share=0.3,
            )
        )
    session.add_all(added)
    session.flush()
    for person in added:
        audit.append(_audit_row("person", _pk(person.id), {"name": person.name}))
    return [_pk(p.id) for p in people + added if p.role != Role.stakeholder]


def _grow_goals(
    session: Session,
    config: AppConfig,
    scale: Scale,
    period: str,
    owners: Sequence[int],
    rng: Any,
    audit: list[dict[str, Any]],
) -> list[int]:
    """Objectives of five key results cloned from the period's, with their check-ins; returns
    every key result id of the period."""
    from sqlmodel import col, select

    from planning.store.models import CheckIn, KeyResult, Objective

    objectives = list(session.exec(select(Objective).where(Objective.period == period)).all())
    templates = list(
        session.exec(
            select(KeyResult).where(col(KeyResult.objective_id).in_([o.id for o in objectives]))
        ).all()
    )
    check_ins_of: dict[int, list[CheckIn]] = {}
    for check_in in session.exec(
        select(CheckIn).where(col(CheckIn.key_result_id).in_([t.id for t in templates]))
    ).all():
        check_ins_of.setdefault(check_in.key_result_id, []).append(check_in)
    wanted = max(scale.key_results - len(templates), 0)
    grown: list[Objective] = []
    for k in range(math.ceil(wanted / KRS_PER_OBJECTIVE)):
        model = objectives[k % len(objectives)]
        grown.append(
            Objective(
                period=period,
                title=f"{model.title} (team {k + 1})",
                description=model.description,
                owner_id=owners[k % len(owners)],
            )
        )
    session.add_all(grown)
    session.flush()
    added: list[KeyResult] = []
    for k in range(wanted):
        template = templates[k % len(templates)]
        filters = dict(template.filters)
        if template.metric_id and k % 3:
            filters = rng.choice(_filter_choices(config.metrics, template.metric_id))
        fields = template.model_dump(
            exclude={"id", "objective_id", "owner_id", "filters", "version"}
        )
        added.append(
            KeyResult(
                **fields,
                objective_id=_pk(grown[k // KRS_PER_OBJECTIVE].id),
                owner_id=owners[k % len(owners)],
                filters=filters,
            )
        )
    session.add_all(added)
    session.flush()
    for objective in grown:
        audit.append(_audit_row("objective", _pk(objective.id), {"title": objective.title}))
    check_ins: list[dict[str, Any]] = []
    for k, kr in enumerate(added):
        audit.append(_audit_row("key_result", _pk(kr.id), {"filters": kr.filters}))
        for old in check_ins_of.get(_pk(templates[k % len(templates)].id), []):
            copied = old.model_dump(exclude={"id", "key_result_id", "author_id"})
            check_ins.append({**copied, "key_result_id": _pk(kr.id), "author_id": kr.owner_id})
    first = _next_id(session, CheckIn)
    _insert(session, CheckIn, check_ins, first_id=first)
    for k, row in enumerate(check_ins):
        audit.append(_audit_row("check_in", first + k, {"key_result_id": row["key_result_id"]}))
    return [_pk(kr.id) for kr in templates + added]


def _grow_initiatives(
    session: Session,
    scale: Scale,
    owners: Sequence[int],
    key_results: Sequence[int],
    rng: Any,
    audit: list[dict[str, Any]],
) -> None:
    """Initiatives cloned from the demo's (dates shifted by up to two months), each linked to
    one or two key results and with a weekly status history following its model's."""
    from sqlmodel import col, select

    from planning.store.models import (
        Initiative,
        InitiativeDependency,
        InitiativeKeyResult,
        StatusUpdate,
    )

    models = list(session.exec(select(Initiative).order_by(col(Initiative.id))).all())
    histories: dict[int, list[StatusUpdate]] = {}
    for update in session.exec(select(StatusUpdate).order_by(col(StatusUpdate.id))).all():
        histories.setdefault(update.initiative_id, []).append(update)
    count = max(scale.initiatives - len(models), 0)
    existing = sum(len(h) for h in histories.values())
    wanted = max(scale.status_updates - existing, count)
    per_initiative, extra = divmod(wanted, max(count, 1))
    first = _next_id(session, Initiative)
    rows: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for k in range(count):
        model = models[k % len(models)]
        history = histories.get(_pk(model.id)) or []
        shift = timedelta(days=rng.randint(-60, 60))
        initiative_id, owner = first + k, owners[k % len(owners)]
        row = model.model_dump(exclude={"id", "version"})
        row.update(
            id=initiative_id,
            version=1,
            title=f"{model.title} #{k + 1}",
            owner_id=owner,
            start_date=_shifted(model.start_date, shift),
            target_date=_shifted(model.target_date, shift),
            shipped_date=_shifted(model.shipped_date, shift),
            created_at=model.created_at - timedelta(days=7 * (per_initiative + 1)),
        )
        rows.append(row)
        for kr_id in rng.sample(list(key_results), k=1 + k % 2):
            links.append({"initiative_id": initiative_id, "key_result_id": kr_id})
        last = history[-1].created_at if history else model.updated_at
        posts = per_initiative + (1 if k < extra else 0)
        for n in range(posts):
            step = history[n * len(history) // posts] if history else None
            updates.append(
                {
                    "initiative_id": initiative_id,
                    "status": step.status if step else model.status,
                    "health": step.health if step else model.health,
                    "percent_complete": step.percent_complete if step else 0,
                    "note": step.note if step else "Weekly update.",
                    "author_id": owner,
                    "created_at": last - timedelta(days=7 * (posts - 1 - n)),
                }
            )
    _insert(session, Initiative, rows)
    _insert(session, InitiativeKeyResult, links)
    _insert(session, InitiativeDependency, _dependencies(scale, first, count, rng))
    first_update = _next_id(session, StatusUpdate)
    _insert(session, StatusUpdate, updates, first_id=first_update)
    for row in rows:
        audit.append(_audit_row("initiative", row["id"], {"title": row["title"]}))
    for k, posted in enumerate(updates):
        after = {"initiative_id": posted["initiative_id"]}
        audit.append(_audit_row("status_update", first_update + k, after))


def _dependencies(scale: Scale, first: int, count: int, rng: Any) -> list[dict[str, Any]]:
    """Distinct pairs among the added initiatives, the earlier one blocking the later (so no pair
    closes a loop), mostly between neighbours as real plans chain their work."""
    from planning.store.models import utcnow

    pairs: set[tuple[int, int]] = set()
    wanted = min(scale.dependencies, count * (count - 1) // 2)
    while len(pairs) < wanted:
        a = rng.randrange(count - 1)
        b = min(count - 1, a + 1 + int(rng.expovariate(1 / 20)))
        pairs.add((first + a, first + b))
    now = utcnow()
    return [{"blocker_id": a, "blocked_id": b, "created_at": now} for a, b in sorted(pairs)]


def _pk(value: int | None) -> int:
    if value is None:
        raise BenchError("a record was not flushed before its id was needed")
    return int(value)


def _shifted(day: date | None, shift: timedelta) -> date | None:
    return None if day is None else day + shift


def _next_id(session: Session, model: Any) -> int:
    from sqlalchemy import func, select

    table = model.__table__
    return int(session.execute(select(func.max(table.c.id))).scalar_one() or 0) + 1


def _insert(
    session: Session, model: Any, rows: Sequence[dict[str, Any]], first_id: int | None = None
) -> None:
    """Insert many rows with one executemany (explicit ids when first_id is given)."""
    if not rows:
        return
    if first_id is not None:
        rows = [{**row, "id": first_id + k} for k, row in enumerate(rows)]
    session.execute(model.__table__.insert(), list(rows))


@contextmanager
def _timed(log: Callable[[str], None], what: str) -> Iterator[None]:
    start = time.perf_counter()
    log(f"  {what}…")
    yield
    log(f"  {what}: {time.perf_counter() - start:.1f} s")


@dataclass
class _Lap:
    """Wall-clock and CPU time of one measured step, in milliseconds."""

    wall_ms: float = 0.0
    cpu_ms: float = 0.0


@contextmanager
def _lap() -> Iterator[_Lap]:
    """Time a step by the wall clock (what budgets are about) and by this process's CPU time
    (all its threads), which other work on the machine inflates far less."""
    lap = _Lap()
    wall, cpu = time.perf_counter(), time.process_time()
    yield lap
    lap.wall_ms = (time.perf_counter() - wall) * 1000
    lap.cpu_ms = (time.process_time() - cpu) * 1000
