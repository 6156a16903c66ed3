"""Alembic environment: migrations run against the store's engine, in batch mode on SQLite."""

from alembic import context
from sqlalchemy import Engine, create_engine
from sqlmodel import SQLModel

import planning.store.models
import planning.store.models_locale  # noqa: F401  (each person's language)

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    """Run migrations on the engine handed over by planning.store.engine.migrate, or on the URL."""
    config = context.config
    engine: Engine | None = config.attributes.get("engine")
    if engine is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
