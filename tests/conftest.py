"""Shared fixtures: a fresh, migrated store per test on SQLite, and on PostgreSQL when
QUARTERDECK_TEST_POSTGRES_URL is set (each test gets its own database there).

The migrations run once per test process, into a template (a SQLite file, a PostgreSQL
database); each test's store is a copy of it, which takes milliseconds where running the
migrations again would take about a second."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from streamlit.runtime.scriptrunner.script_cache import ScriptCache
from streamlit.testing.v1 import app_test, local_script_runner

from planning import clock, i18n
from planning.config import CONFIG_DIR_ENV, AppConfig, default_config
from planning.store.engine import create_store_engine, migrate
from tests.config_support import config_copy

# AppTest compiles app.py and the page (ast.parse, for Streamlit's magic) afresh on every run; a
# server compiles each script once per process. CPython 3.11's ast.parse can fail with
# "SystemError: AST constructor recursion depth mismatch" when another thread builds an AST at
# the same moment (CPython issue 106905), which CI saw twice in a page test's run. One script
# cache for the test process, as a server has, parses each script once.
_SCRIPTS = ScriptCache()
app_test.ScriptCache = lambda: _SCRIPTS  # type: ignore[assignment,misc]
local_script_runner.ScriptCache = lambda: _SCRIPTS  # type: ignore[assignment,misc]


POSTGRES_URL_ENV = "QUARTERDECK_TEST_POSTGRES_URL"
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get(POSTGRES_URL_ENV) else [])


def _postgres_engine(schema: str) -> Engine:
    base = os.environ[POSTGRES_URL_ENV]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return create_engine(base, connect_args={"options": f"-csearch_path={schema}"})


def _drop_postgres_schema(schema: str) -> None:
    admin = create_engine(os.environ[POSTGRES_URL_ENV], isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite store brought to the newest migration, copied by each test that needs one."""
    path = tmp_path_factory.mktemp("template") / "store.db"
    eng = create_store_engine(f"sqlite:///{path}")
    migrate(eng)
    eng.dispose()
    return path


def _postgres_admin() -> Engine:
    return create_engine(os.environ[POSTGRES_URL_ENV], isolation_level="AUTOCOMMIT")


def _create_postgres_database(admin: Engine, name: str, template: str | None = None) -> Engine:
    """Create the PostgreSQL database `name` (a copy of `template` if named); an engine on it."""
    copy_of = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"{copy_of}'))
    return create_engine(make_url(os.environ[POSTGRES_URL_ENV]).set(database=name))


def _drop_postgres_database(admin: Engine, name: str) -> None:
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def migrated_postgres_database() -> Iterator[str]:
    """The name of an empty PostgreSQL database brought to the newest migration, the template of
    each test's own database (CREATE DATABASE ... TEMPLATE)."""
    name = f"qd_template_{uuid.uuid4().hex[:12]}"
    admin = _postgres_admin()
    eng = _create_postgres_database(admin, name)
    try:
        migrate(eng)
    finally:
        eng.dispose()
    yield name
    _drop_postgres_database(admin, name)


def _sqlite_copy(template: Path, tmp_path: Path) -> Engine:
    target = tmp_path / "store.db"
    shutil.copy(template, target)
    return create_store_engine(f"sqlite:///{target}")


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A freshly migrated, empty store on each configured backend."""
    yield from fresh_store(request, request.param, tmp_path)


@pytest.fixture
def twin_engine(request: pytest.FixtureRequest, engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    """A second freshly migrated, empty store on the same backend as `engine` (a restore's or a
    copy's target), copied from the template like `engine`."""
    yield from fresh_store(request, engine.dialect.name, tmp_path / "twin")


def fresh_store(request: pytest.FixtureRequest, backend: str, folder: Path) -> Iterator[Engine]:
    """A copy of the migrated template on `backend`, dropped (PostgreSQL) when the fixture that
    yields from it ends: a test's, or a module's store shared by its tests."""
    if backend == "sqlite":
        folder.mkdir(parents=True, exist_ok=True)
        eng = _sqlite_copy(request.getfixturevalue("migrated_sqlite_file"), folder)
        yield eng
        eng.dispose()
        return
    template = request.getfixturevalue("migrated_postgres_database")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = _postgres_admin()
    eng = _create_postgres_database(admin, name, template=template)
    try:
        yield eng
    finally:
        eng.dispose()
        _drop_postgres_database(admin, name)


@pytest.fixture
def sqlite_engine(migrated_sqlite_file: Path, tmp_path: Path) -> Iterator[Engine]:
    """A freshly migrated SQLite store, for tests about SQLite itself."""
    eng = _sqlite_copy(migrated_sqlite_file, tmp_path)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def config() -> AppConfig:
    """The shipped configuration."""
    return default_config()


DEMO_TODAY = date(2026, 11, 26)

# The suite runs on a pinned day, so it passes on any calendar day: the demo store, the pages under
# AppTest and every server the browser tests start (they inherit the environment) agree on today.
# A test that needs another day pins it itself (monkeypatch.setenv or clock.pin).
os.environ[clock.TODAY_ENV] = DEMO_TODAY.isoformat()


@pytest.fixture(scope="session")
def demo_store_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite store with the demo data set loaded once per test run (as of DEMO_TODAY)."""
    from planning.demo.loader import load_demo

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    eng = create_store_engine(f"sqlite:///{path}")
    migrate(eng)
    load_demo(engine=eng, config=default_config(), seed=42, today=DEMO_TODAY)
    eng.dispose()
    return path


@pytest.fixture(scope="session")
def demo_store_as_of(tmp_path_factory: pytest.TempPathFactory) -> Callable[[date], Path]:
    """Demo stores loaded as of other days (a few seconds each), each built once per test run:
    call it with the day; the store holds that day's quarter of goals and data up to the day
    before."""
    from planning.demo.loader import load_demo

    built: dict[date, Path] = {}

    def build(day: date) -> Path:
        if day not in built:
            path = tmp_path_factory.mktemp(f"demo-{day.isoformat()}") / "demo.db"
            eng = create_store_engine(f"sqlite:///{path}")
            migrate(eng)
            load_demo(engine=eng, config=default_config(), seed=42, today=day)
            eng.dispose()
            built[day] = path
        return built[day]

    return build


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The benchmark's small data set (a store and its configuration folder), the load tests'
    store: built once for each test module that uses it."""
    from bench.data_set import build_data_set
    from bench.scales import SCALES

    directory = tmp_path_factory.mktemp("load-store")
    build_data_set(directory=directory, scale=SCALES["small"], today=clock.today(), log=print)
    return directory


@pytest.fixture
def demo_engine(demo_store_file: Path, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a private copy of the demo store (goals of 2026-Q4, data through the day
    before DEMO_TODAY)."""
    target = tmp_path / "demo-copy.db"
    shutil.copy(demo_store_file, target)
    engine = create_store_engine(f"sqlite:///{target}")
    yield engine
    engine.dispose()


@pytest.fixture
def new_quarter_engine(
    demo_store_as_of: Callable[[date], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Engine]:
    """An engine on a private copy of the demo store as of 31 Dec 2026, with today pinned to
    1 Jan 2027: the first day of the quarter after the store's."""
    monkeypatch.setenv("QUARTERDECK_TODAY", "2027-01-01")
    target = tmp_path / "store.db"
    shutil.copy(demo_store_as_of(date(2026, 12, 31)), target)
    engine = create_store_engine(f"sqlite:///{target}")
    yield engine
    engine.dispose()


@pytest.fixture
def team_zone() -> Iterator[None]:
    """A test that moves the team to another time zone leaves it in UTC."""
    yield
    clock.use_time_zone("UTC")


@pytest.fixture
def berlin_team(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, team_zone: None) -> Iterator[None]:
    """The app reads a configuration whose team works in Europe/Berlin; the clock is unpinned
    and back in UTC afterwards."""
    monkeypatch.setenv(
        CONFIG_DIR_ENV, str(config_copy(tmp_path / "config", time_zone="Europe/Berlin"))
    )
    yield
    clock.pin(None)


@pytest.fixture
def output(capsys: pytest.CaptureFixture[str]) -> Callable[[], tuple[str, str]]:
    """Read what was printed since the last call: (stdout, stderr)."""

    def read() -> tuple[str, str]:
        captured = capsys.readouterr()
        return captured.out, captured.err

    return read


@pytest.fixture
def demo_cli(demo_store_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The command line pointed at a private copy of the demo store; the store's URL."""
    from tests.cli_support import point_cli_at

    shutil.copy(demo_store_file, tmp_path / "cli.db")
    return point_cli_at(tmp_path / "cli.db", monkeypatch)


@pytest.fixture
def cli_store(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """A freshly migrated SQLite store that the command line uses (its URL in the environment)."""
    from planning.store.engine import DATABASE_URL_ENV

    monkeypatch.setenv(DATABASE_URL_ENV, sqlite_engine.url.render_as_string(hide_password=False))
    return sqlite_engine


def use_app_store(source: Path, target: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the app under AppTest at a private copy of a store file, with empty caches."""
    shutil.copy(source, target)
    return point_app_at(target, monkeypatch)


def demo_app_on(
    day: date,
    demo_store_as_of: Callable[[date], Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> str:
    """The app under AppTest on a private copy of the demo store loaded as of `day`, its clock
    pinned to that day; the store's URL."""
    monkeypatch.setenv(clock.TODAY_ENV, day.isoformat())
    return use_app_store(demo_store_as_of(day), tmp_path / "app.db", monkeypatch)


def point_app_at(path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the app under AppTest at the store file `path` (no demo loaded on start), caches
    empty; the store's URL."""
    import streamlit as st

    url = f"sqlite:///{path}"
    monkeypatch.setenv("QUARTERDECK_DATABASE_URL", url)
    monkeypatch.setenv("QUARTERDECK_DEMO", "0")
    st.cache_resource.clear()
    st.cache_data.clear()
    return url


@pytest.fixture
def app_store(
    demo_store_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A private copy of the demo store that the app under AppTest uses; caches start empty."""
    import streamlit as st

    yield use_app_store(demo_store_file, tmp_path / "app.db", monkeypatch)
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def app_engine(app_store: str) -> Iterator[Engine]:
    """An engine on the app's private store copy, to arrange and check what the pages show."""
    engine = create_store_engine(app_store)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def _clock_unpinned_after_each_test() -> Iterator[None]:
    """A test that pins the clock in code (clock.pin) leaves it as it found it."""
    yield
    clock.pin(None)


@pytest.fixture(autouse=True)
def _english_team_after_each_test() -> Iterator[None]:
    """A test that makes the team German (through its settings or i18n) or gives the run a
    language of its own leaves an English team and no run language, as the other tests expect."""
    yield
    i18n.use_team_locale("en", currency="USD")
    i18n.set_language(None)


@pytest.fixture(autouse=True)
def _apptest_runs_the_router() -> Iterator[None]:
    """Every AppTest run goes through app.py's st.navigation, as a browser session does.

    AppTest resets Streamlit's "pages/ folder" flag before each run, so from the second run on it
    would execute the page file alone (the pre-st.navigation behaviour) and ui.routing would rerun
    it through the router, losing the click that started the run. Marking the flag off before
    Streamlit looks at the folder keeps every run on the router, clicks included.
    """
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self: PagesManager, *args: object, **kwargs: object) -> None:
        PagesManager.uses_pages_directory = False
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    PagesManager.__init__ = init  # type: ignore[method-assign]
    try:
        yield
    finally:
        PagesManager.__init__ = original  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _page_errors_raise() -> Iterator[None]:
    """Pages run with error details on, as in development: an exception on a page reaches the
    test as AppTest's exception (.streamlit/config.toml turns details off for the real server,
    where ui.page_errors shows a message with an error id instead)."""
    from streamlit import config

    before = config.get_option("client.showErrorDetails")
    config.set_option("client.showErrorDetails", "full")
    try:
        yield
    finally:
        config.set_option("client.showErrorDetails", before)
