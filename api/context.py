"""What the API's routes work with: the configuration and the store, opened on first use."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from datetime import date
from functools import cached_property
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from planning import clock
from planning.config import AppConfig, load_config
from planning.startup.bootstrap import open_store
from planning.store.engine import (
    StoreError,
    alembic_config,
    database_url,
    read_engine,
)
from planning.store.gate import StoreGate, StoreUnavailable, store_failure

MAX_BODY_BYTES = 50 * 1024 * 1024
TIME_BOX_SECONDS = 30.0


class ApiContext:
    """What the routes work with: the configuration and the store, opened on first use.

    The server passes nothing and gets the configured store (migrated, demo data on a first
    start), through a StoreGate: a store that cannot be opened is tried again on a later request
    after a short back-off, never cached as failed. Tests pass their own configuration and engine.
    """

    def __init__(
        self,
        *,
        config: AppConfig | None = None,
        engine: Engine | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        time_box_seconds: float = TIME_BOX_SECONDS,
        today: Callable[[], date] = clock.today,
    ) -> None:
        self._config = config
        self._engine = engine
        self._gate: StoreGate | None = None
        self._lock = threading.Lock()
        self.max_body_bytes = max_body_bytes
        self.time_box_seconds = time_box_seconds
        self.today = today

    @property
    def config(self) -> AppConfig:
        """The validated configuration (loaded from config/ on first use)."""
        if self._config is None:
            with self._lock:
                if self._config is None:
                    self._config = load_config()
        return self._config

    @property
    def engine(self) -> Engine:
        """The store's engine (opened, migrated and seeded on first use); StoreError says why
        the store cannot be used."""
        if self._engine is not None:
            return self._engine
        return self.gate.engine()

    @property
    def gate(self) -> StoreGate:
        """What opens the configured store, and retries it after a failure."""
        if self._gate is None:
            config = self.config
            with self._lock:
                if self._gate is None:
                    url = database_url()
                    self._gate = StoreGate(lambda: open_store(config=config, url=url), url=url)
        return self._gate

    def read_session(self) -> Session:
        """A short session on the store, marked for read-only work."""
        return Session(read_engine(self.engine))

    def failed(self, exc: BaseException) -> StoreUnavailable | None:
        """What an error met using the store says about it (None: nothing, a bug); the server's
        own store is then dropped, to be opened again after the back-off."""
        if self._engine is not None:
            return store_failure(exc, self._engine.url)
        return self.gate.failed(exc)

    @cached_property
    def expected_revision(self) -> str:
        """The newest migration this code knows."""
        from alembic.script import ScriptDirectory

        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        return str(head)

    @cached_property
    def document(self) -> dict[str, Any]:
        """The OpenAPI document FastAPI generates for this configuration."""
        from api.app import api_app

        return api_app(self).openapi()

    def close(self) -> None:
        """Release the store's connections if this context opened them."""
        if self._gate is not None:
            self._gate.close()

    @asynccontextmanager
    async def lifespan(self, _app: object) -> AsyncIterator[None]:
        """Open the store when the server starts (so the first request is fast) and close it.

        The server starts whatever state the store is in: pages and answers say why it cannot be
        used (the gate logs it) until it can."""
        with suppress(StoreError):  # the gate has logged why
            await run_in_threadpool(lambda: self.engine)
        try:
            yield None
        finally:
            self.close()
