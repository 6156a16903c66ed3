"""Every table of the store, registered on ``SQLModel.metadata``: Alembic's env, backup and
restore import this module, so each sees all the tables in foreign-key order.

A new table goes in ``planning/store/models_<concept>.py`` (with its migration), imported here.
"""

from __future__ import annotations

from sqlmodel import SQLModel

from planning.store import (  # noqa: F401  (each module registers its tables)
    models,
    models_access,
    models_alignment,
    models_forecast,
    models_locale,
    models_metrics,
    models_notify,
    models_rollups,
    models_scenarios,
    models_trash,
)

metadata = SQLModel.metadata
