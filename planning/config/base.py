"""What every configuration model shares: unknown keys are mistakes, values are immutable, and
ids are lower-case identifiers."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
Fraction = Annotated[float, Field(ge=0, le=1)]


class Strict(BaseModel):
    """Base for config models: unknown keys are mistakes, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)
