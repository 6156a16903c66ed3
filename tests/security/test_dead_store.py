"""A store that cannot be opened never stops the server, and comes back by itself.

Each broken store: a file of random bytes, a folder where the file should be, a truncated SQLite
file, a read-only SQLite file, and PostgreSQL down. A read-only file is made with `chattr +i`
(immutable): the tests run as root, whom file modes do not stop, but who cannot write an immutable
file either, so SQLite opens it read-only exactly as it opens a mode-444 file for another user;
`chattr -i` repairs it. The `?mode=ro` URL (the same read-only connection, asked for) is used
where no repair is needed. PostgreSQL "down" is a port where nothing listens; "back" is a small
forwarder started on that port to the real server (never stopped: others use it), in a fresh
schema.

For each: `streamlit run server.py` starts, `/_stcore/health` answers 200 and `/api/v1/health`
503 with the reason; the API's other routes answer 503 with it; every page under AppTest shows the
one message and nothing else; and once the store is repaired, the same process (server or AppTest)
answers 200 and renders pages. The gate's back-off is pinned with a fake clock. The command line
refuses an import into a read-only store in one `error:` line.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.testclient import TestClient
from streamlit.testing.v1 import AppTest

from api.app import api_app
from api.context import ApiContext
from bench.app_process import free_port, launch_app, stop_process
from planning.cli.main import main
from planning.config import AppConfig
from planning.store import gate as store_access
from planning.store.engine import DATABASE_URL_ENV
from planning.store.gate import StoreGate, StoreUnavailable
from tests.page_text import plain
from tests.postgres_support import postgres_schema

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PAGES = [
    "pages/this_week.py",
    "pages/goals.py",
    "pages/planning.py",
    "pages/initiatives.py",
    "pages/roadmap.py",
    "pages/metrics.py",
    "pages/impact.py",
    "pages/admin.py",
]
POSTGRES_URL = os.environ.get(
    "QUARTERDECK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
RESTORE = (
    "replace the file with a backup, or restore an export into a new file "
    "(`python -m planning restore DIR`) and point QUARTERDECK_DATABASE_URL at it"
)
READ_ONLY = (
    "is read-only (Quarterdeck saves sign-ins, updates and imports there); make the file and its "
    "folder writable by the user that runs Quarterdeck, or point QUARTERDECK_DATABASE_URL at a "
    "writable store"
)
PAGE_END = (
    ". This page tries again every few seconds and opens by itself once the store can be used."
)
CASES = ["garbage", "folder", "truncated", "read_only", "postgres_down"]


class Forwarder:
    """A local port that refuses connections until started, then forwards each to PostgreSQL:
    PostgreSQL down and back up (stop drops every connection, as a restart does)."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.port = free_port()
        self._target = (target_host, target_port)
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):  # wakes the thread blocked in accept()
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            for conn in self._open:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()
            self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self._target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for conn in (source, sink):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)


@dataclass
class Broken:
    """A store in a broken state, what the message must say of it, and how to repair it."""

    url: str
    where: str
    says: str  # what is wrong and what to do, as the message words it
    repair: Callable[[], None]
    break_again: Callable[[], None] | None = None  # for a store that goes away while in use


def _chattr(flag: str, path: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["chattr", flag, str(path)], capture_output=True, check=False)


def _postgres_reachable() -> bool:
    parsed = make_url(POSTGRES_URL)
    try:
        with socket.create_connection((parsed.host or "127.0.0.1", parsed.port or 5432), 2):
            return True
    except OSError:
        return False


@pytest.fixture(params=CASES)
def broken(
    request: pytest.FixtureRequest, tmp_path: Path, demo_store_file: Path
) -> Iterator[Broken]:
    """One broken store (and, after the test, nothing left immutable or in PostgreSQL)."""
    case = request.param
    path = tmp_path / "store.db"

    def restore_copy() -> None:
        if path.is_dir():
            path.rmdir()
        shutil.copy(demo_store_file, path)

    if case == "garbage":
        path.write_bytes(os.urandom(8192))
        yield Broken(
            f"sqlite:///{path}", str(path), f"is not a SQLite database; {RESTORE}", restore_copy
        )
    elif case == "folder":
        path.mkdir()
        says = (
            "is a folder, not a database file; point QUARTERDECK_DATABASE_URL at a file "
            "(sqlite:///path/to/quarterdeck.db)"
        )
        yield Broken(f"sqlite:///{path}", str(path), says, restore_copy)
    elif case == "truncated":
        data = demo_store_file.read_bytes()
        path.write_bytes(data[: len(data) // 2])
        says = f"is damaged, perhaps truncated (database disk image is malformed); {RESTORE}"
        yield Broken(f"sqlite:///{path}", str(path), says, restore_copy)
    elif case == "read_only":
        shutil.copy(demo_store_file, path)
        made = _chattr("+i", path)
        if made.returncode != 0:
            pytest.skip(f"chattr +i is not allowed here: {made.stderr.decode().strip()}")
        try:
            yield Broken(
                f"sqlite:///{path}",
                str(path),
                READ_ONLY,
                lambda: _chattr("-i", path).check_returncode(),
            )
        finally:
            _chattr("-i", path)
    else:
        if not _postgres_reachable():
            pytest.skip(f"no PostgreSQL at {POSTGRES_URL} to come back to")
        base = make_url(POSTGRES_URL)
        with postgres_schema(POSTGRES_URL) as (_, schema):
            forwarder = Forwarder(base.host or "127.0.0.1", base.port or 5432)
            url = base.set(
                host="127.0.0.1", port=forwarder.port, query={"options": f"-csearch_path={schema}"}
            )
            where = url.render_as_string(hide_password=True)
            says = "cannot be reached (connection failed: connection to server at"
            try:
                yield Broken(
                    url.render_as_string(hide_password=False),
                    where,
                    says,
                    forwarder.start,
                    break_again=forwarder.stop,
                )
            finally:
                forwarder.stop()


def expected(broken: Broken) -> str:
    """The reason as the store's failure states it: where, what is wrong, what to do."""
    return f"the store at {broken.where} {broken.says}"


# --- the gate: retried after a short back-off, never cached as failed -----------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_failed_open_is_retried_after_the_back_off_and_not_before(tmp_path: Path) -> None:
    clock = FakeClock()
    attempts: list[float] = []
    good = create_engine(f"sqlite:///{tmp_path / 'x.db'}")

    def opener() -> Engine:
        attempts.append(clock.now)
        if len(attempts) < 3:
            raise OperationalError("connect", {}, Exception("unable to open database file"))
        return good

    gate = StoreGate(opener, url=f"sqlite:///{tmp_path / 'x.db'}", retry_seconds=5, clock=clock)
    for _ in range(20):  # a page run or request after another: one attempt, not twenty
        with pytest.raises(StoreUnavailable, match="cannot be opened"):
            gate.engine()
    clock.now += 4.9
    with pytest.raises(StoreUnavailable):
        gate.engine()
    assert attempts == [100.0]
    clock.now += 0.1
    with pytest.raises(StoreUnavailable):
        gate.engine()
    assert attempts == [100.0, 105.0]
    clock.now += 5
    assert gate.engine() is good and gate.engine() is good
    assert attempts == [100.0, 105.0, 110.0]


def test_an_engine_failing_in_use_is_dropped_and_reopened_but_a_bug_or_a_lock_keeps_it(
    tmp_path: Path,
) -> None:
    clock = FakeClock()
    opened: list[Engine] = []

    def opener() -> Engine:
        opened.append(create_engine(f"sqlite:///{tmp_path / 'x.db'}"))
        return opened[-1]

    gate = StoreGate(opener, url=f"sqlite:///{tmp_path / 'x.db'}", retry_seconds=5, clock=clock)
    first = gate.engine()
    bug = IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed: person.email"))
    assert gate.failed(bug) is None
    locked = OperationalError("BEGIN", {}, Exception("database is locked"))
    busy = gate.failed(locked)
    assert busy is not None and busy.busy
    assert gate.engine() is first
    gone = gate.failed(OperationalError("SELECT", {}, Exception("disk I/O error")))
    assert gone is not None and not gone.busy
    with pytest.raises(StoreUnavailable, match=r"cannot be read or written \(disk I/O error\)"):
        gate.engine()
    clock.now += 5
    assert gate.engine() is not first
    assert len(opened) == 2


# --- the real server starts, says why, and recovers -----------------------------------------------


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return reply.status, dict(reply.headers), reply.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _wait_for(check: Callable[[], bool], seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"{what} within {seconds} s; server log:\n{log.read_text()}")


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[[str], tuple[str, Path]]]:
    """Start `streamlit run server.py` on a free port on a given store; stopped after the test."""
    started: list[subprocess.Popen[bytes]] = []

    def start(url: str) -> tuple[str, Path]:
        port = free_port()
        env = dict(os.environ)
        env.update({DATABASE_URL_ENV: url, "QUARTERDECK_DEMO": "0"})
        log = tmp_path / "server.log"
        process = launch_app(port=port, env=env, log=log)
        started.append(process)
        base = f"http://127.0.0.1:{port}"
        _wait_for(
            lambda: process.poll() is None and _get(f"{base}/_stcore/health")[0] == 200,
            60,
            "the server did not start",
            log,
        )
        return base, log

    yield start
    for process in started:
        stop_process(process)


def _health(base: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    status, headers, body = _get(f"{base}/api/v1/health")
    return status, json.loads(body), headers


def test_the_server_starts_on_a_broken_store_says_why_and_recovers_without_a_restart(
    broken: Broken, serve: Callable[[str], tuple[str, Path]]
) -> None:
    base, log = serve(broken.url)

    status, body, headers = _health(base)
    assert status == 503
    assert body["status"] == "unavailable"
    assert body["detail"].startswith(f"The store cannot be used: {expected(broken)}")
    assert headers["retry-after"] == "5"
    assert _get(f"{base}/_stcore/health")[0] == 200  # the app itself is up

    broken.repair()
    _wait_for(lambda: _health(base)[0] == 200, 30, "health did not come back", log)
    assert _health(base)[1]["status"] == "ok"

    if broken.break_again is not None:  # PostgreSQL restarted while the server runs
        broken.break_again()
        _wait_for(lambda: _health(base)[0] == 503, 30, "health did not notice", log)
        broken.repair()
        _wait_for(lambda: _health(base)[0] == 200, 30, "health did not come back again", log)

    output = log.read_text()
    assert "Traceback" not in output and "startup failed" not in output, output


# --- the API answers 503 with the reason ----------------------------------------------------------


def test_every_api_route_answers_503_with_the_reason_and_recovers(
    broken: Broken, config: AppConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATABASE_URL_ENV, broken.url)
    monkeypatch.setenv("QUARTERDECK_DEMO", "0")
    monkeypatch.setattr(store_access, "RETRY_SECONDS", 0.2)
    auth = {"Authorization": "Bearer qd_anything"}
    with TestClient(api_app(ApiContext(config=config)), raise_server_exceptions=False) as client:
        for method, path, options in [
            ("GET", "/api/v1/health", {}),
            ("GET", "/api/v1/okrs", {"headers": auth}),
            ("POST", "/api/v1/observations", {"headers": auth, "json": []}),
        ]:
            response = client.request(method, path, **options)
            assert response.status_code == 503, (path, response.text)
            body = response.json()
            assert set(body) == {"detail", "status"} and body["status"] == "unavailable"
            assert body["detail"].startswith(f"The store cannot be used: {expected(broken)}")
            assert body["detail"].endswith(".") and int(response.headers["retry-after"]) >= 1
        broken.repair()
        time.sleep(0.3)
        response = client.get("/api/v1/health")
        assert response.status_code == 200, response.text
        assert client.get("/api/v1/okrs", headers=auth).status_code == 401  # the store answers


# --- every page shows the one message, then renders once the store is back ------------------------


def test_every_page_says_why_in_one_message_and_renders_once_the_store_is_back(
    broken: Broken, monkeypatch: pytest.MonkeyPatch
) -> None:
    import streamlit as st

    monkeypatch.setenv(DATABASE_URL_ENV, broken.url)
    monkeypatch.setenv("QUARTERDECK_DEMO", "0")
    monkeypatch.setattr(store_access, "RETRY_SECONDS", 0.2)
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        at = AppTest.from_file(APP, default_timeout=60).run()
        for page in PAGES:
            at.switch_page(page).run()
            assert not at.exception, (page, at.exception)
            [message] = at.error
            shown = plain(message.value)
            assert shown.startswith(f"Quarterdeck cannot open its store: {expected(broken)}")
            assert shown.endswith(PAGE_END)
            assert not at.title and not at.markdown and not at.warning, page  # nothing else

        broken.repair()
        time.sleep(0.3)
        at.switch_page("pages/this_week.py").run()  # the same process, the next page run
        assert not at.exception
        assert not at.error, [e.value for e in at.error]
        assert at.title, "the page did not render"
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()


# --- the command line -----------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["mode=ro URL", "immutable file"])
def test_an_import_into_a_read_only_store_is_one_error_line(
    how: str,
    tmp_path: Path,
    demo_store_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = tmp_path / "store.db"
    shutil.copy(demo_store_file, store)
    rows = tmp_path / "rows.csv"
    rows.write_text("date,measure,value,channel,device\n2026-11-20,sessions,100,email,mobile\n")
    if how == "mode=ro URL":
        monkeypatch.setenv(DATABASE_URL_ENV, f"sqlite:///file:{store}?mode=ro&uri=true")
    else:
        monkeypatch.setenv(DATABASE_URL_ENV, f"sqlite:///{store}")
        made = _chattr("+i", store)
        if made.returncode != 0:
            pytest.skip(f"chattr +i is not allowed here: {made.stderr.decode().strip()}")
    before = store.read_bytes()
    try:
        assert main(["import", str(rows)]) == 1
    finally:
        _chattr("-i", store)
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"error: the store at {store} {READ_ONLY}\n"
    assert store.read_bytes() == before
    assert not (ROOT / "file:").exists()  # a file: URL names a file, not a folder to create


@pytest.mark.browser
def test_in_a_browser_the_page_says_why_then_opens_by_itself_once_the_store_is_repaired(
    tmp_path: Path, demo_store_file: Path, serve: Callable[[str], tuple[str, Path]]
) -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    store = tmp_path / "store.db"
    store.write_bytes(os.urandom(8192))
    base, _ = serve(f"sqlite:///{store}")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = chromium.new_page()
        page.goto(f"{base}/metrics")
        alert = page.locator('[data-testid="stAlertContentError"]')
        alert.wait_for(timeout=30000)
        assert alert.count() == 1
        assert alert.inner_text().startswith(
            f"Quarterdeck cannot open its store: the store at {store} is not a SQLite database"
        )
        assert page.locator('[data-testid="stException"]').count() == 0

        shutil.copy(demo_store_file, store)  # repaired: the open page comes back by itself
        page.get_by_text("Data through").wait_for(timeout=30000)
        assert page.locator('[data-testid="stAlertContentError"]').count() == 0
        assert page.locator('[data-testid="stException"]').count() == 0
        chromium.close()


def test_a_bad_statement_is_a_bug_not_an_unavailable_store(tmp_path: Path) -> None:
    import sqlite3

    from planning.store.gate import store_failure

    url = f"sqlite:///{tmp_path / 'x.db'}"

    def sqlite_error(kind: type[Exception], reason: str) -> Exception:
        wrapper = IntegrityError if kind is sqlite3.IntegrityError else OperationalError
        return wrapper("SQL", {}, kind(reason))

    for reason in ("no such table: person", 'near "SELEC": syntax error'):
        assert store_failure(sqlite_error(sqlite3.OperationalError, reason), url) is None
    nulls = "NOT NULL constraint failed: person.full_name"
    assert store_failure(sqlite_error(sqlite3.IntegrityError, nulls), url) is None
    full = store_failure(sqlite_error(sqlite3.OperationalError, "database or disk is full"), url)
    assert full is not None
    assert str(full).endswith("cannot grow (database or disk is full); free space on its disk")
