"""Opening the store at start-up: migrate, check it can be written, then load the demo data on a
first start."""

from __future__ import annotations

import os
from contextlib import suppress
from datetime import date

from sqlalchemy import Engine

from planning import clock
from planning.config import AppConfig
from planning.store.engine import create_store_engine, is_empty, migrate
from planning.store.gate import check_writable

DEMO_ENV = "QUARTERDECK_DEMO"


def demo_wanted(config: AppConfig) -> bool:
    """Whether a first start on an empty store should load the demo data set."""
    if os.environ.get(DEMO_ENV, "").strip() in {"0", "false", "no", "off"}:
        return False
    return config.settings.demo.load_on_first_start


def open_store(*, config: AppConfig, url: str | None = None, today: date | None = None) -> Engine:
    """Create the engine, apply migrations, check the store can be written and, on an empty
    store, load the demo if wanted. Whatever fails is raised as it is, the engine closed."""
    engine = create_store_engine(
        url, busy_timeout_ms=config.settings.storage.sqlite_busy_timeout_ms
    )
    try:
        migrate(engine)
        check_writable(engine)
        if demo_wanted(config) and is_empty(engine):
            from planning.demo.loader import DemoAlreadyLoaded, load_demo

            # Another process starting at the same moment may load it first; that is fine.
            with suppress(DemoAlreadyLoaded):
                load_demo(
                    engine=engine,
                    config=config,
                    seed=config.settings.demo.seed,
                    today=today or clock.today(),
                )
    except BaseException:
        engine.dispose()
        raise
    return engine
