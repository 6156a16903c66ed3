"""The benchmark of DESIGN.md §7: build a data set at a scale, measure the app against its budgets.

``python -m planning bench --scale small|large --out FILE`` builds, in a temporary folder, a
SQLite store and a configuration folder, then measures in one run:

- the floor: the median warm rerun of a one-line Streamlit page (``st.write``) under AppTest;
- every page of app.py's navigation, as each role that may open it (ui/navigation.py; the
  director at the small scale, all three roles at the large): the median of warm reruns under
  AppTest in one process (the same process as the floor; AppTest there keeps compiled scripts
  between runs and the router as a server does, see bench/apptest.py) and the first
  render on a cold process: a fresh Python process per page and role that, before the clock
  starts, has done only what ``streamlit run server.py``
  does before the first visitor arrives (import Streamlit and server.py, whose HTTP API imports
  pandas, SQLAlchemy and the store's models). The timed first run then imports the rest of the
  app (pages, ui/, charts), opens and checks the store (Alembic), and computes every cached
  read; the one-line floor page's cold run is reported beside it (``floor_cold_ms``);
- evaluating every key result of the current quarter (value, progress, pace, status, forecast),
  the median of several runs each in a fresh read session;
- importing a CSV file of every observation of the data set end to end through
  planning.metrics.importer (read, validate, write) into an empty store, against a bare sqlite3
  ``executemany`` of the same rows into a table with the observation table's own definition;
- syncing the same observations from PostgreSQL with a ``sql`` data source (one wide table and
  one query per group of measures sharing their dimensions) into an empty store, when
  QUARTERDECK_BENCH_POSTGRES_URL names a server (``postgresql+psycopg://user@host/db``);
- peak memory: the high-water resident set (``VmHWM``) of the processes that ran the pages.

With ``--store postgresql+psycopg://…`` the same measurements run on PostgreSQL: the data set,
the import's empty store and the bare table each live in a schema unique to the run (dropped at
the end, whatever happens), the import writes through COPY (planning.metrics.observations) and
is compared with a bare COPY of the same rows into a table ``LIKE`` the observation table
(``INCLUDING ALL``: its key and indexes); the sync row, which writes into SQLite, is left out.
``--load N,…`` measures concurrent sessions against the real server instead (bench/load.py).

The large data set widens the shipped metrics.yaml instead of changing it: the bench's own
config folder splits each declared channel into 3 values, each device into 2 and each product
line into 10 (``email`` becomes ``email``, ``email_2``, ``email_3``), and every demo series is
spread over the new combinations with per-day random shares that add up to the demo's values,
so totals and the demo's key results keep their meaning while the store holds about one
million daily observations over three years. Weighted-average values (organic position) are
copied with a little noise instead of split. On top of the demo's team, goals and initiatives
the bench adds people, objectives with key results cloned from the demo's (with filters varied
over the widened dimensions), check-ins, initiatives cloned from the demo's with weekly status
histories, their key-result links and one audit event per record.

This module is part of planning/ and never imports Streamlit at import time: only the child
processes that measure the pages import ``streamlit.testing`` (inside their functions), because
measuring the pages is the point. Page timings are only meaningful on an otherwise idle machine;
other work on the same cores shows up in every number.
"""

from __future__ import annotations

import json
import math
import os
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planning import clock

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy import Engine
    from sqlmodel import Session

    from planning.config import AppConfig
    from planning.config.metrics import MetricsConfig

PROJECT_DIR = Path(__file__).resolve().parent.parent
APP_SCRIPT = PROJECT_DIR / "app.py"
RESULT_MARK = "BENCH-RESULT "

# DESIGN.md §7.
FLOOR_FACTOR = 20
WARM_LIMIT_MS = 250.0
COLD_LIMIT_MS = 2000.0
KR_EVAL_LIMIT_MS = 300.0
BACKTEST_LIMIT_MS = 2000.0  # the forecast backtest, worked out once per observations version
BACKTEST_RUNS = 3
IMPORT_MIN_ROWS_PER_S = 100_000.0
IMPORT_MIN_SHARE = 0.25
SYNC_MIN_ROWS_PER_S = 100_000.0
# The PostgreSQL server the sync row reads from (a schema of its own, dropped after); without it
# the row says "not measured".
BENCH_POSTGRES_ENV = "QUARTERDECK_BENCH_POSTGRES_URL"
MEMORY_LIMIT_MB = 500.0

KR_EVAL_RUNS = 5
# What `streamlit run server.py` imports when the server starts, before anyone opens a page
# (its lifespan then loads the pages' own imports: ui.preload.page_modules).
SERVER_MODULES = ["server"]
KRS_PER_OBJECTIVE = 5
PERSON_PICKER_KEY = "demo_person_id"  # ui/identity.py's picker; set before the first run


@dataclass(frozen=True)
class Scale:
    """How big the data set is and how much the bench measures."""

    name: str
    years: int
    widen: tuple[tuple[str, int], ...]  # (dimension, values each declared value becomes)
    people: int
    key_results: int
    initiatives: int
    status_updates: int
    warm_runs: int
    roles: tuple[str, ...]
    dependencies: int = 0  # between the added initiatives, none closing a loop
    # Budgets that differ by scale (issue 22 gives the xl data set its own).
    kr_eval_limit_ms: float = KR_EVAL_LIMIT_MS
    cold_limit_ms: float = COLD_LIMIT_MS
    warm_limit_ms: float | None = WARM_LIMIT_MS  # a cap on 20 × floor; None: 20 × floor alone
    memory_limit_mb: float = MEMORY_LIMIT_MB


SCALES: dict[str, Scale] = {
    "small": Scale(
        name="small",
        years=1,
        widen=(),
        people=10,
        key_results=30,
        initiatives=100,
        status_updates=1_000,
        warm_runs=3,
        roles=("director",),
        dependencies=150,
    ),
    "large": Scale(
        name="large",
        years=3,
        widen=(("channel", 3), ("device", 2), ("product_line", 10)),
        people=20,
        key_results=300,
        initiatives=2_000,
        status_updates=50_000,
        warm_runs=15,
        roles=("director", "member", "stakeholder"),
        dependencies=3_000,
    ),
    # Ten times the large data: five years (the demo's most), each channel split into 15 values,
    # each device into 3 and each product line into 40: 10,013,784 daily observations.
    "xl": Scale(
        name="xl",
        years=5,
        widen=(("channel", 15), ("device", 3), ("product_line", 40)),
        people=60,
        key_results=1_000,
        initiatives=20_000,
        status_updates=200_000,
        warm_runs=5,
        roles=("director", "member", "stakeholder"),
        dependencies=10_000,
        kr_eval_limit_ms=1000.0,
        cold_limit_ms=3000.0,
        warm_limit_ms=None,
        memory_limit_mb=1024.0,
    ),
}


class BenchError(RuntimeError):
    """The benchmark could not measure something (a page raised, a child process failed)."""


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
    from sqlalchemy import func, select
    from sqlmodel import Session

    from planning.config import load_config
    from planning.demo.generator import generate_observations
    from planning.demo.loader import load_demo
    from planning.metrics.observations import record_batch, upsert_observations
    from planning.periods import quarter_of
    from planning.store.engine import create_store_engine, migrate, read_engine, session_scope
    from planning.store.models import (
        AuditEvent,
        CheckIn,
        Initiative,
        KeyResult,
        Objective,
        Observation,
        Person,
        StatusUpdate,
    )

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
            tally = {
                name: int(session.execute(select(func.count()).select_from(model)).scalar_one())
                for name, model in (
                    ("observations", Observation),
                    ("people", Person),
                    ("objectives", Objective),
                    ("key_results", KeyResult),
                    ("check_ins", CheckIn),
                    ("initiatives", Initiative),
                    ("status_updates", StatusUpdate),
                    ("audit_events", AuditEvent),
                )
            }
    finally:
        engine.dispose()
    return DataSet(url=url, config_dir=config_dir, period=period, observations=frame, counts=tally)


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


# --- measurements in this process --------------------------------------------------------------


def measure_backtest(*, url: str, config_dir: Path) -> dict[str, Any]:
    """The forecast backtest (planning.okrs.backtest) from scratch: its store read and the
    replay, scoring and fitting, the median of a few runs past its cache."""
    from sqlmodel import Session

    from planning.config import load_config
    from planning.okrs.backtest import assess, read_histories
    from planning.okrs.evaluation_reads import data_as_of
    from planning.store.engine import create_store_engine, read_engine

    config = load_config(config_dir)
    engine = create_store_engine(url)
    laps: list[_Lap] = []
    forecasts = 0
    try:
        for _ in range(BACKTEST_RUNS):
            with _lap() as lap, Session(read_engine(engine)) as session:
                as_of = data_as_of(session=session, config=config)
                histories, periods = read_histories(session=session, config=config, as_of=as_of)
                quality = assess(
                    histories, periods=periods, fiscal=config.settings.fiscal_year_start_month
                )
            laps.append(lap)
            forecasts = quality.calibrated.n
    finally:
        engine.dispose()
    return {
        "backtest_ms": statistics.median(lap.wall_ms for lap in laps),
        "backtest_cpu_ms": statistics.median(lap.cpu_ms for lap in laps),
        "backtest_forecasts": forecasts,
    }


def measure_kr_evaluation(*, url: str, config_dir: Path, period: str) -> dict[str, Any]:
    """Evaluate every key result of the period several times; each run in a fresh session."""
    from sqlmodel import Session

    from planning.config import load_config
    from planning.okrs.evaluation import evaluate_period
    from planning.store.engine import create_store_engine, read_engine

    config = load_config(config_dir)
    engine = create_store_engine(url)
    try:
        laps: list[_Lap] = []
        evaluated = 0
        for _ in range(KR_EVAL_RUNS):
            with _lap() as lap, Session(read_engine(engine)) as session:
                evaluation = evaluate_period(session=session, config=config, period=period)
            laps.append(lap)
            evaluated = sum(len(o.key_results) for o in evaluation.objectives)
    finally:
        engine.dispose()
    return {
        "kr_eval_ms": statistics.median(lap.wall_ms for lap in laps),
        "kr_eval_cpu_ms": statistics.median(lap.cpu_ms for lap in laps),
        "kr_eval_first_ms": laps[0].wall_ms,
        "key_results_evaluated": evaluated,
    }


def measure_import(
    *,
    frame: pd.DataFrame,
    config_dir: Path,
    directory: Path,
    log: Callable[[str], None],
    postgres: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    """Import every observation as one CSV file into an empty store, and write the same rows
    into an identical bare table in the same run: by executemany on SQLite, by COPY in a schema
    of its own when `postgres` (postgres_schemas' factory) is given."""
    from planning.config import load_config
    from planning.metrics.importer import import_observations
    from planning.store.engine import create_store_engine, migrate

    config = load_config(config_dir)
    data = interchange_csv(frame=frame, config=config.metrics)
    path = directory / "import.db"
    target = postgres("import") if postgres else f"sqlite:///{path}"
    engine = create_store_engine(target)
    try:
        migrate(engine)
        start = time.perf_counter()
        result = import_observations(
            engine=engine,
            actor=None,
            data=data,
            filename="bench.csv",
            source="cli",
            config=config.metrics,
        )
        seconds = time.perf_counter() - start
    finally:
        engine.dispose()
    if result.problems:
        raise BenchError(f"the bench CSV was refused: {result.problems[0]}")
    rows = result.added
    log(f"  import of {rows:,} rows ({len(data) / 1e6:.0f} MB of CSV): {seconds:.1f} s")
    if postgres:
        bare = bare_copy(source=target, target=postgres("bare"))
        log(f"  bare COPY of the same rows: {bare['seconds']:.1f} s")
        return {
            "import_rows": rows,
            "import_seconds": seconds,
            "import_rows_per_s": rows / seconds,
            "bare_method": "COPY",
            "bare_rows_per_s": rows / bare["seconds"],
            "csv_megabytes": len(data) / 1e6,
        }
    bare = bare_executemany(store=path, directory=directory)
    log(f"  bare executemany of the same rows: {bare['seconds']:.1f} s")
    return {
        "import_rows": rows,
        "import_seconds": seconds,
        "import_rows_per_s": rows / seconds,
        "bare_method": "executemany",
        "bare_rows_per_s": rows / bare["seconds"],
        "sqlite_executemany_rows_per_s": rows / bare["seconds"],
        "csv_megabytes": len(data) / 1e6,
    }


def bare_copy(*, source: str, target: str) -> dict[str, float]:
    """COPY the observation rows of the store at `source` into a table with the same definition
    (LIKE ... INCLUDING ALL: key and indexes) in the schema `target` uses, rows in key order as
    the import sends them; times the COPY and the commit."""
    from sqlalchemy import text

    from planning.store.engine import create_store_engine

    engine = create_store_engine(source)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT series_id, day, value FROM observation ORDER BY series_id, day")
            ).all()
            source_schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    finally:
        engine.dispose()
    lines = "".join(f"{s}\t{d.isoformat()}\t{v!r}\n" for s, d, v in rows)
    engine = create_store_engine(target)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(
                f'CREATE TABLE observation (LIKE "{source_schema}".observation INCLUDING ALL)'
            )
        raw = engine.raw_connection()
        try:
            driver = raw.driver_connection
            assert driver is not None
            start = time.perf_counter()
            statement = "COPY observation (series_id, day, value) FROM STDIN"
            with driver.cursor() as cursor, cursor.copy(statement) as copy:
                copy.write(lines.encode("utf-8"))
            driver.commit()
            seconds = time.perf_counter() - start
        finally:
            raw.close()
    finally:
        engine.dispose()
    return {"rows": float(len(rows)), "seconds": seconds}


def measure_sync(
    *,
    frame: pd.DataFrame,
    config_dir: Path,
    directory: Path,
    postgres_url: str,
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Put the observations in PostgreSQL as wide tables (one per group of measures with the same
    dimensions), then time one run of a `sql` source reading them into an empty SQLite store."""
    import uuid

    from sqlalchemy import create_engine, text

    from planning.config import load_config
    from planning.sources.config import load_sources
    from planning.sources.runs import run_source
    from planning.store.engine import create_store_engine, migrate

    config = load_config(config_dir)
    long = interchange_frame(frame=frame, config=config.metrics)
    groups: dict[tuple[str, ...], list[str]] = {}
    for measure in long["measure"].unique():
        dims = tuple(sorted(config.metrics.measures[str(measure)].dimensions))
        groups.setdefault(dims, []).append(str(measure))
    schema = f"bench_sync_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    source_url = (
        f"{postgres_url}{'&' if '?' in postgres_url else '?'}options=-csearch_path%3D{schema}"
    )
    queries = []
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        loading = create_engine(source_url)
        with loading.begin() as connection:
            for number, (dims, measures) in enumerate(groups.items()):
                part = long[long["measure"].isin(measures)]
                wide = part.pivot_table(
                    index=["date", *dims], columns="measure", values="value", aggfunc="first"
                ).reset_index()
                columns = ["date", *dims, *measures]
                wide = wide.reindex(columns=columns)
                table = f"g{number}"
                definition = ", ".join(
                    [
                        "date DATE",
                        *(f"{d} TEXT" for d in dims),
                        *(f"{m} DOUBLE PRECISION" for m in measures),
                    ]
                )
                connection.exec_driver_sql(f"CREATE TABLE {table} ({definition})")
                raw = connection.connection.dbapi_connection
                assert raw is not None
                with raw.cursor().copy(
                    f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)"
                ) as copy:
                    copy.write(wide.to_csv(index=False, header=False).encode("utf-8"))
                queries.append(
                    "        - sql: SELECT * FROM " + table + "\n"
                    "          date: date\n"
                    f"          dimensions: [{', '.join(dims)}]\n"
                    f"          measures: [{', '.join(measures)}]\n"
                )
        loading.dispose()
        sync_dir = directory / "sync-config"
        shutil.copytree(config_dir, sync_dir, dirs_exist_ok=True)
        (sync_dir / "sources.yaml").write_text(
            "sources:\n  bench:\n    kind: sql\n    settings:\n"
            "      url_secret: QUARTERDECK_BENCH_SOURCE_URL\n      queries:\n" + "".join(queries),
            encoding="utf-8",
        )
        os.environ["QUARTERDECK_BENCH_SOURCE_URL"] = source_url
        source = load_sources(sync_dir, config.metrics).get("bench")
        path = directory / "sync.db"
        engine = create_store_engine(f"sqlite:///{path}")
        try:
            migrate(engine)
            start, cpu = time.perf_counter(), time.process_time()
            outcome = run_source(engine=engine, config=config, source=source, trigger="command")
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        finally:
            engine.dispose()
            path.unlink(missing_ok=True)
    finally:
        os.environ.pop("QUARTERDECK_BENCH_SOURCE_URL", None)
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
    if not outcome.ok:
        raise BenchError(f"the bench sync failed: {outcome.error}")
    log(f"  sync of {outcome.rows:,} rows from PostgreSQL: {seconds:.1f} s ({cpu:.1f} s CPU)")
    return {
        "sync_rows": outcome.rows,
        "sync_seconds": seconds,
        "sync_cpu_seconds": cpu,
        "sync_rows_per_s": outcome.rows / seconds,
    }


def bare_executemany(*, store: Path, directory: Path) -> dict[str, float]:
    """executemany the store's observation rows into a new file with the same table definition
    (and indexes) and the pragmas the import writes with (WAL, synchronous NORMAL, the bulk page
    cache), rows in key order as the import sends them; times the executemany and the commit."""
    from planning.metrics.observations import BULK_CACHE_KIB

    source = sqlite3.connect(store)
    try:
        ddl = [
            sql
            for (sql,) in source.execute(
                "SELECT sql FROM sqlite_master WHERE tbl_name = 'observation' AND sql IS NOT NULL "
                "ORDER BY type DESC"  # the table before its indexes
            )
        ]
        rows = source.execute(
            "SELECT series_id, day, value FROM observation ORDER BY series_id, day"
        ).fetchall()
    finally:
        source.close()
    target_path = directory / "bare.db"
    target_path.unlink(missing_ok=True)
    target = sqlite3.connect(target_path, isolation_level=None)
    try:
        target.execute("PRAGMA journal_mode=WAL")
        target.execute("PRAGMA synchronous=NORMAL")
        target.execute(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
        for sql in ddl:
            target.execute(sql)
        start = time.perf_counter()
        target.execute("BEGIN")
        target.executemany("INSERT INTO observation (series_id, day, value) VALUES (?, ?, ?)", rows)
        target.execute("COMMIT")
        seconds = time.perf_counter() - start
    finally:
        target.close()
    return {"rows": float(len(rows)), "seconds": seconds}


# --- measurements in child processes -----------------------------------------------------------


def routed_pages(app: Path = APP_SCRIPT) -> list[str]:
    """The page files app.py's navigation routes to, in its order (e.g. "pages/goals.py")."""
    text = app.read_text(encoding="utf-8")
    return re.findall(r"""st\.Page\(\s*["'](pages/[A-Za-z0-9_]+\.py)["']""", text)


def role_people(*, url: str) -> dict[str, int]:
    """The person each role is measured as: the first active person of that role by id."""
    from sqlmodel import Session, col, select

    from planning.store.engine import create_store_engine, read_engine
    from planning.store.models import Person

    engine = create_store_engine(url)
    try:
        with Session(read_engine(engine)) as session:
            people = session.exec(
                select(Person).where(Person.active == True).order_by(col(Person.id))  # noqa: E712
            ).all()
    finally:
        engine.dispose()
    found: dict[str, int] = {}
    for person in people:
        found.setdefault(person.role.value, _pk(person.id))
    return found


def peak_rss_mb() -> float:
    """This process's high-water resident set size in MB (VmHWM; getrusage where absent)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child_warm(params: dict[str, Any]) -> dict[str, Any]:
    """In a child process: the floor, then every page's first and warm reruns for each role."""
    from streamlit.testing.v1 import AppTest

    from bench.apptest import run_like_a_server

    run_like_a_server()
    runs = int(params["runs"])
    floor = AppTest.from_file(params["floor_script"], default_timeout=120)
    floor.run()
    floor_laps = []
    for _ in range(runs):
        with _lap() as lap:
            floor.run()
        floor_laps.append(lap)
    pages: dict[str, dict[str, Any]] = {}
    for role, person_id in params["people"].items():
        at = AppTest.from_file(params["app"], default_timeout=120)
        at.session_state[PERSON_PICKER_KEY] = person_id
        at.run()
        for page in role_pages(role, params["pages"]):
            at.switch_page(page)
            with _lap() as first:
                at.run()
            error = _exception_text(at)
            laps = []
            for _ in range(runs):
                with _lap() as lap:
                    at.run()
                laps.append(lap)
                error = error or _exception_text(at)
            pages[f"{page}|{role}"] = {
                "first_ms": first.wall_ms,
                "warm_median_ms": statistics.median(lap.wall_ms for lap in laps),
                "warm_median_cpu_ms": statistics.median(lap.cpu_ms for lap in laps),
                "warm_max_ms": max(lap.wall_ms for lap in laps),
                "error": error,
            }
    return {
        "floor_ms": statistics.median(lap.wall_ms for lap in floor_laps),
        "floor_cpu_ms": statistics.median(lap.cpu_ms for lap in floor_laps),
        "pages": pages,
        "peak_rss_mb": peak_rss_mb(),
    }


def role_pages(role: str, pages: Sequence[str]) -> list[str]:
    """The pages a role may open (ui/navigation.py's table); the others lead elsewhere."""
    try:
        from ui.navigation import PAGES_BY_ROLE
    except ImportError:  # an app without role-aware navigation shows every page to everyone
        return list(pages)
    from planning.store.models import Role

    allowed = PAGES_BY_ROLE.get(Role(role))
    return [p for p in pages if allowed is None or p in allowed]


def _child_cold(params: dict[str, Any]) -> dict[str, Any]:
    """In a fresh child process: the first render of one page straight from its URL."""
    import importlib

    from streamlit.testing.v1 import AppTest

    from bench.apptest import run_like_a_server

    run_like_a_server()
    for module in params.get("preload", []):
        importlib.import_module(module)
    if params.get("preload"):
        from ui.preload import page_modules  # what the server's lifespan loads at start-up

        page_modules()
    at = AppTest.from_file(params["app"], default_timeout=120)
    if params.get("person_id") is not None:
        at.session_state[PERSON_PICKER_KEY] = params["person_id"]
    if params.get("page"):
        at.switch_page(params["page"])  # before the first run: the page is opened by its file
    with _lap() as cold:
        at.run()
    return {
        "cold_ms": cold.wall_ms,
        "cold_cpu_ms": cold.cpu_ms,
        "error": _exception_text(at),
        "peak_rss_mb": peak_rss_mb(),
    }


def _exception_text(at: Any) -> str | None:
    if not at.exception:
        return None
    return "; ".join(str(e.message) for e in at.exception)


CHILDREN: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "warm": _child_warm,
    "cold": _child_cold,
}


def _run_child(kind: str, params: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", kind, json.dumps(params)],
        cwd=PROJECT_DIR,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            return dict(json.loads(line[len(RESULT_MARK) :]))
    tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
    raise BenchError(f"the {kind} measurement process failed: {' | '.join(tail)}")


def measure_pages(
    *,
    data: DataSet,
    scale: Scale,
    runs: int,
    directory: Path,
    pages: Sequence[str],
    log: Callable[[str], None],
) -> dict[str, Any]:
    """The floor, every page's warm median for each role, and each page's cold first render."""
    floor_script = directory / "floor.py"
    floor_script.write_text('import streamlit as st\n\nst.write("hi")\n', encoding="utf-8")
    env = {
        "QUARTERDECK_DATABASE_URL": data.url,
        "QUARTERDECK_CONFIG_DIR": str(data.config_dir),
        "QUARTERDECK_DEMO": "0",
    }
    people = role_people(url=data.url)
    roles = {role: people[role] for role in scale.roles if role in people}
    app = str(APP_SCRIPT)
    log(f"  warm reruns ({runs} per page) as {', '.join(roles)}…")
    warm = _run_child(
        "warm",
        {
            "app": app,
            "floor_script": str(floor_script),
            "pages": list(pages),
            "people": roles,
            "runs": runs,
        },
        env,
    )
    floor_cold = _run_child("cold", {"app": str(floor_script)}, env)
    cold: dict[str, dict[str, Any]] = {}
    for key in warm["pages"]:  # the pages each role may open
        page, role = key.split("|")
        log(f"  cold first render of {page} as {role}…")
        cold[key] = _run_child(
            "cold",
            {"app": app, "page": page, "person_id": roles[role], "preload": SERVER_MODULES},
            env,
        )
    results: dict[str, dict[str, Any]] = {}
    for page in pages:
        per_role: dict[str, dict[str, Any]] = {}
        for role in roles:
            key = f"{page}|{role}"
            if key not in warm["pages"]:
                continue
            measured = warm["pages"][key]
            per_role[role] = {
                "warm_median_ms": measured["warm_median_ms"],
                "warm_max_ms": measured["warm_max_ms"],
                "warm_median_cpu_ms": measured["warm_median_cpu_ms"],
                "first_in_process_ms": measured["first_ms"],
                "cold_ms": cold[key]["cold_ms"],
                "cold_cpu_ms": cold[key]["cold_cpu_ms"],
                "errors": list(
                    dict.fromkeys(e for e in (measured["error"], cold[key]["error"]) if e)
                ),
            }
        if per_role:
            results[Path(page).stem] = {
                "warm_median_ms": max(r["warm_median_ms"] for r in per_role.values()),
                "cold_ms": max(r["cold_ms"] for r in per_role.values()),
                "roles": per_role,
            }
    return {
        "floor_ms": warm["floor_ms"],
        "floor_cpu_ms": warm["floor_cpu_ms"],
        "floor_cold_ms": floor_cold["cold_ms"],
        "pages": results,
        "page_process_rss_mb": {
            "warm": warm["peak_rss_mb"],
            "cold_max": max((c["peak_rss_mb"] for c in cold.values()), default=0.0),
        },
        "peak_rss_mb": max(
            [warm["peak_rss_mb"], *(c["peak_rss_mb"] for c in cold.values())],
        ),
    }


# --- the whole run -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One measurement against its budget."""

    what: str
    value: str
    budget: str
    ok: bool
    cpu: str = ""  # the same step's CPU time, where measured


def _cpu(measured: Mapping[str, Any], key: str) -> str:
    value = measured.get(key)
    return "" if value is None else f"{float(value):.0f} ms"


def checks(result: Mapping[str, Any]) -> list[Check]:
    """Every measurement of a result beside its DESIGN.md §7 budget."""
    floor = float(result["floor_ms"])
    scale = SCALES.get(str(result.get("scale")), SCALES["large"])
    cap = scale.warm_limit_ms
    warm_limit = FLOOR_FACTOR * floor if cap is None else min(FLOOR_FACTOR * floor, cap)
    warm_budget = "20 × floor" if cap is None else f"min of 20 × floor, {cap:.0f}"
    cold_limit, kr_limit, memory_limit = (
        scale.cold_limit_ms,
        scale.kr_eval_limit_ms,
        scale.memory_limit_mb,
    )
    found = [
        Check(
            "floor: one-line page, warm rerun",
            f"{floor:.1f} ms",
            "(reference)",
            True,
            cpu=f"{float(result.get('floor_cpu_ms', 0.0)):.1f} ms",
        )
    ]
    for name, page in result["pages"].items():
        for role, measured in page["roles"].items():
            warm = float(measured["warm_median_ms"])
            cold = float(measured["cold_ms"])
            errors = measured.get("errors") or []
            found.append(
                Check(
                    f"{name} ({role}): warm rerun, median",
                    f"{warm:.0f} ms",
                    f"≤ {warm_limit:.0f} ms ({warm_budget})",
                    warm <= warm_limit and not errors,
                    cpu=_cpu(measured, "warm_median_cpu_ms"),
                )
            )
            found.append(
                Check(
                    f"{name} ({role}): cold first render",
                    f"{cold:.0f} ms",
                    f"< {cold_limit:.0f} ms",
                    cold < cold_limit and not errors,
                    cpu=_cpu(measured, "cold_cpu_ms"),
                )
            )
            for error in errors:
                found.append(Check(f"{name} ({role}): page raised", error[:60], "no error", False))
    kr = float(result["kr_eval_ms"])
    found.append(
        Check(
            f"evaluate all {result['counts']['key_results']} key results",
            f"{kr:.0f} ms",
            f"< {kr_limit:.0f} ms",
            kr < kr_limit,
            cpu=_cpu(result, "kr_eval_cpu_ms"),
        )
    )
    if "backtest_ms" in result:
        backtest = float(result["backtest_ms"])
        found.append(
            Check(
                f"forecast backtest ({int(result.get('backtest_forecasts', 0)):,} forecasts)",
                f"{backtest:.0f} ms",
                f"< {BACKTEST_LIMIT_MS:.0f} ms",
                backtest < BACKTEST_LIMIT_MS,
                cpu=_cpu(result, "backtest_cpu_ms"),
            )
        )
    rate = float(result["import_rows_per_s"])
    bare = float(result.get("bare_rows_per_s") or result["sqlite_executemany_rows_per_s"])
    method = str(result.get("bare_method", "executemany"))
    found.append(
        Check(
            "CSV import, rows/s",
            f"{rate:,.0f}",
            f"≥ {IMPORT_MIN_ROWS_PER_S:,.0f}",
            rate >= IMPORT_MIN_ROWS_PER_S,
        )
    )
    found.append(
        Check(
            f"CSV import vs bare {method}",
            f"{rate / bare:.0%} of {bare:,.0f} rows/s",
            f"≥ {IMPORT_MIN_SHARE:.0%}",
            rate >= IMPORT_MIN_SHARE * bare,
        )
    )
    if "sync_rows_per_s" in result:
        synced = float(result["sync_rows_per_s"])
        found.append(
            Check(
                f"sync from PostgreSQL ({int(result['sync_rows']):,} rows), rows/s",
                f"{synced:,.0f}",
                f"≥ {SYNC_MIN_ROWS_PER_S:,.0f}",
                synced >= SYNC_MIN_ROWS_PER_S,
                cpu=f"{float(result.get('sync_cpu_seconds', 0.0)) * 1000:.0f} ms",
            )
        )
    else:
        found.append(
            Check(
                "sync from PostgreSQL, rows/s",
                "not measured",
                f"≥ {SYNC_MIN_ROWS_PER_S:,.0f} "
                + (
                    "(it writes into SQLite)"
                    if result.get("store") == "postgresql"
                    else f"(set {BENCH_POSTGRES_ENV})"
                ),
                True,
            )
        )
    if "load" in result:
        from bench.load import load_checks

        found.extend(load_checks(result["load"]))
    memory = float(result["peak_rss_mb"])
    found.append(
        Check(
            "peak memory of the app's processes",
            f"{memory:.0f} MB",
            f"< {memory_limit:.0f} MB",
            memory < memory_limit,
        )
    )
    return found


def render_table(found: Sequence[Check]) -> str:
    """The checks as a Markdown table (also readable on a terminal)."""
    lines = ["| measurement | value | CPU time | budget | |", "|---|---:|---:|---|---|"]
    for check in found:
        mark = "pass" if check.ok else "FAIL"
        lines.append(f"| {check.what} | {check.value} | {check.cpu} | {check.budget} | {mark} |")
    return "\n".join(lines)


def run_benchmark(
    *,
    scale: Scale,
    out: Path | None = None,
    runs: int | None = None,
    today: date | None = None,
    keep: Path | None = None,
    store: str | None = None,
    log: Callable[[str], None] = lambda message: print(message, file=sys.stderr),
) -> dict[str, Any]:
    """Build the scale's data set in a temporary folder (or `keep`), measure everything, write
    the JSON to `out` and return it. With `store` (a postgresql+psycopg:// URL) the stores are
    schemas of their own on that server, dropped at the end, and the import is compared with a
    bare COPY."""
    if store is not None and not store.startswith("postgresql"):
        raise BenchError(f"--store takes a postgresql+psycopg:// URL, not {store!r}")
    with ExitStack() as stack:
        schemas = stack.enter_context(postgres_schemas(store)) if store else None
        return _run_benchmark(
            scale=scale, out=out, runs=runs, today=today, keep=keep, schemas=schemas, log=log
        )


def _run_benchmark(
    *,
    scale: Scale,
    out: Path | None,
    runs: int | None,
    today: date | None,
    keep: Path | None,
    schemas: Callable[[str], str] | None,
    log: Callable[[str], None],
) -> dict[str, Any]:
    today = today or clock.today()
    runs = runs or scale.warm_runs
    pages = routed_pages()
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="quarterdeck-bench-") as scratch:
        directory = keep or Path(scratch)
        if (directory / "bench.db").exists():
            raise BenchError(f"{directory} already holds a bench store; give --keep a new folder")
        directory.mkdir(parents=True, exist_ok=True)
        where = "a PostgreSQL schema" if schemas else str(directory)
        log(f"building the {scale.name} data set in {where}")
        data = build_data_set(
            directory=directory,
            scale=scale,
            today=today,
            log=log,
            url=schemas("store") if schemas else None,
        )
        log("evaluating key results…")
        kr = measure_kr_evaluation(url=data.url, config_dir=data.config_dir, period=data.period)
        log("backtesting the forecasts…")
        kr.update(measure_backtest(url=data.url, config_dir=data.config_dir))
        log("importing a CSV file…")
        imported = measure_import(
            frame=data.observations,
            config_dir=data.config_dir,
            directory=directory,
            log=log,
            postgres=schemas,
        )
        (directory / "import.db").unlink(missing_ok=True)
        (directory / "bare.db").unlink(missing_ok=True)
        synced: dict[str, Any] = {}
        postgres_url = os.environ.get(BENCH_POSTGRES_ENV)
        if schemas:
            log("sync from PostgreSQL not measured: it writes into a SQLite store")
        elif postgres_url:
            log("syncing from PostgreSQL…")
            synced = measure_sync(
                frame=data.observations,
                config_dir=data.config_dir,
                directory=directory,
                postgres_url=postgres_url,
                log=log,
            )
        else:
            log(f"sync from PostgreSQL not measured: {BENCH_POSTGRES_ENV} is not set")
        log("measuring the pages…")
        measured = measure_pages(
            data=data, scale=scale, runs=runs, directory=directory, pages=pages, log=log
        )
    result: dict[str, Any] = {
        "scale": scale.name,
        "store": "postgresql" if schemas else "sqlite",
        "postgres_schemas": list(getattr(schemas, "made", [])),
        "measured_at": clock.wall_time().astimezone().isoformat(timespec="seconds"),
        "today": today.isoformat(),
        "warm_runs": runs,
        "cpu_count": os.cpu_count(),
        "load_average": list(os.getloadavg()),
        "counts": data.counts,
        "floor_ms": measured["floor_ms"],
        "floor_cpu_ms": measured["floor_cpu_ms"],
        "floor_cold_ms": measured["floor_cold_ms"],
        "pages": measured["pages"],
        **kr,
        **imported,
        **synced,
        "peak_rss_mb": measured["peak_rss_mb"],
        "page_process_rss_mb": measured["page_process_rss_mb"],
        "seconds": time.perf_counter() - began,
    }
    found = checks(result)
    result["budgets_met"] = all(c.ok for c in found)
    result["failed"] = [c.what for c in found if not c.ok]
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def _child_main(argv: Sequence[str]) -> int:
    kind, params = argv[0], json.loads(argv[1])
    result = CHILDREN[kind](params)
    print(RESULT_MARK + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
