"""effort once per initiative, in person-weeks

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06

RICE's effort (person-months), WSJF's job size and ICE's ease are no longer stored among an
initiative's scoring inputs: each is derived from the initiative's one effort in person-weeks
(scoring.yaml `effort`). This drops them from the stored inputs. An initiative with no effort
(0 person-weeks) that had a RICE effort gets it converted: person-months × 52 / 12. Downgrading
puts the derived values back under the default conversion, so the previous version scores as
before.
"""

import json
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INITIATIVE = sa.table(
    "initiative",
    sa.column("id", sa.Integer),
    sa.column("effort_weeks", sa.Float),
    sa.column("scores", sa.JSON),
)


def _formulas() -> dict[str, str]:
    """Framework id -> formula from scoring.yaml; the built-in ids when it cannot be read."""
    from planning.config import ConfigError, load_config

    try:
        return {fid: f.formula for fid, f in load_config().scoring.frameworks.items()}
    except (ConfigError, OSError):
        return {"rice": "rice", "ice": "ice", "wsjf": "wsjf"}


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _rows() -> list[tuple[int, float, dict[str, Any]]]:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_INITIATIVE.c.id, _INITIATIVE.c.effort_weeks, _INITIATIVE.c.scores)
    )
    out = []
    for initiative_id, effort, scores in rows:
        if isinstance(scores, str):
            scores = json.loads(scores)
        out.append((initiative_id, float(effort or 0), dict(scores or {})))
    return out


def _save(initiative_id: int, effort: float, scores: Mapping[str, Any]) -> None:
    op.get_bind().execute(
        sa.update(_INITIATIVE)
        .where(_INITIATIVE.c.id == initiative_id)
        .values(effort_weeks=effort, scores=dict(scores))
    )


def upgrade() -> None:
    from planning.config.scoring import EFFORT_INPUT_OF_FORMULA

    formulas = _formulas()
    for initiative_id, effort, scores in _rows():
        changed = False
        new_effort = effort
        for framework_id, inputs in scores.items():
            derived = EFFORT_INPUT_OF_FORMULA.get(formulas.get(framework_id, ""))
            if not isinstance(inputs, dict) or derived not in inputs:
                continue
            value = inputs.pop(derived)
            changed = True
            months = _number(value)
            if derived == "effort_months" and new_effort <= 0 and months and months > 0:
                new_effort = round(months * 52 / 12, 2)
        if changed:
            _save(initiative_id, new_effort, scores)


def downgrade() -> None:
    from planning.work.scoring import effort_input

    formulas = _formulas()
    for initiative_id, effort, scores in _rows():
        changed = False
        for framework_id, inputs in scores.items():
            derived = effort_input(formulas.get(framework_id, ""), effort)
            if isinstance(inputs, dict) and inputs and derived is not None:
                inputs[derived[0]] = derived[1]
                changed = True
        if changed:
            _save(initiative_id, effort, scores)
