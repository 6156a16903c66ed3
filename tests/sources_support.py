"""Helpers for the data-source and import tests: a director and a member who upload, a config
folder with a sources.yaml, source databases on the machine's PostgreSQL and MariaDB servers
(tables unique to each test), and a local HTTP server that serves files the test puts in a dict."""

from __future__ import annotations

import http.server
import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

from sqlalchemy import Engine, create_engine, text
from sqlmodel import Session

from planning.config import DEFAULT_CONFIG_DIR
from planning.store.models import Person, Role
from tests.postgres_support import postgres_schema

PG_SOURCE_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MARIADB_SOURCE_URL = "mysql+pymysql://root@127.0.0.1:3306/test"


def director_and_member(engine: Engine) -> tuple[Person, Person]:
    """Add Dana, a director, and Milo, a member; both, still readable after the commit."""
    with Session(engine, expire_on_commit=False) as session:
        director = Person(name="Dana", email="dana@example.com", role=Role.director)
        member = Person(name="Milo", email="milo@example.com", role=Role.member)
        session.add_all([director, member])
        session.commit()
    return director, member


def stored(engine: Engine) -> dict[tuple[str, str, str], float]:
    """Every stored observation keyed by (measure, dims_key, ISO day)."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT s.measure, s.dims_key, o.day, o.value FROM observation o "
                "JOIN series s ON s.id = o.series_id"
            )
        ).all()
    return {(m, k, str(d)[:10]): float(v) for m, k, d, v in rows}


def store_counts(engine: Engine) -> tuple[int, int]:
    """(observation rows, import batches) in the store."""
    with engine.connect() as conn:
        observations = conn.execute(text("SELECT COUNT(*) FROM observation")).scalar_one()
        batches = conn.execute(text("SELECT COUNT(*) FROM import_batch")).scalar_one()
    return int(observations), int(batches)


def config_dir(tmp_path: Path, sources_yaml: str | None) -> Path:
    """A copy of the shipped config folder with the given sources.yaml (None: no file)."""
    folder = tmp_path / "config"
    folder.mkdir(exist_ok=True)
    for name in ("settings.yaml", "metrics.yaml", "scoring.yaml"):
        shutil.copy(DEFAULT_CONFIG_DIR / name, folder / name)
    if sources_yaml is not None:
        (folder / "sources.yaml").write_text(sources_yaml, encoding="utf-8")
    return folder


@contextmanager
def postgres_source() -> Iterator[tuple[str, Engine]]:
    """A schema of its own on the test PostgreSQL: (its SQLAlchemy URL, an engine on it)."""
    with postgres_schema(PG_SOURCE_BASE, "src") as (url, _):
        engine = create_engine(url)
        try:
            yield url, engine
        finally:
            engine.dispose()


@contextmanager
def mariadb_table() -> Iterator[tuple[str, str, Engine]]:
    """A table name of its own in MariaDB's test database: (URL, table name, engine)."""
    table = f"src_{uuid.uuid4().hex[:10]}"
    engine = create_engine(MARIADB_SOURCE_URL)
    try:
        yield MARIADB_SOURCE_URL, table, engine
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DROP TABLE IF EXISTS `{table}`"))
        engine.dispose()


class _Files(http.server.BaseHTTPRequestHandler):
    files: ClassVar[dict[str, bytes]] = {}

    def do_GET(self) -> None:
        body = self.files.get(self.path)
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serve_files() -> Iterator[tuple[str, dict[str, bytes]]]:
    """A local HTTP server on a free port: (its base URL, the {path: body} dict it serves)."""
    files: dict[str, bytes] = {}
    handler = type("Handler", (_Files,), {"files": files})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", files
    finally:
        server.shutdown()
        server.server_close()
