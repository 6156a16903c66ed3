"""The access tables: API tokens, share links to the roadmap, sign-in sessions and failed
sign-in attempts (planning.access). Every secret is stored as its hash only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from planning import clock


class ApiToken(SQLModel, table=True):
    """A bearer token for the HTTP API: only its SHA-256 is kept; revoked tokens stay listed."""

    __tablename__ = "api_token"
    __table_args__ = (UniqueConstraint("token_hash", name="uq_api_token_hash"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80)
    token_hash: str = Field(max_length=64)
    scopes: str = Field(max_length=200)  # space-separated, e.g. "read:okrs write:observations"
    created_by: int | None = Field(default=None, foreign_key="person.id")  # None: command line
    created_at: datetime = Field(default_factory=clock.utcnow)
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


class ShareLink(SQLModel, table=True):
    """A read-only link to the Roadmap for people without an account; the token is stored hashed."""

    __tablename__ = "share_link"
    __table_args__ = (UniqueConstraint("token_hash", name="uq_share_link_hash"),)
    id: int | None = Field(default=None, primary_key=True)
    label: str = Field(max_length=120)
    token_hash: str = Field(max_length=64)
    created_by: int = Field(foreign_key="person.id")
    created_at: datetime = Field(default_factory=clock.utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


class SignInSession(SQLModel, table=True):
    """A password sign-in that lasts across browser reloads (cookie holds the token; hash here)."""

    __tablename__ = "sign_in_session"
    __table_args__ = (UniqueConstraint("token_hash", name="uq_sign_in_session_hash"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    token_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=clock.utcnow)
    expires_at: datetime
    ended_at: datetime | None = None


class SignInAttempt(SQLModel, table=True):
    """A failed password sign-in, counted per client and account to slow down guessing."""

    __tablename__ = "sign_in_attempt"
    __table_args__ = (Index("ix_sign_in_attempt_email_at", "email", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    at: datetime = Field(default_factory=clock.utcnow)
    client: str | None = Field(default=None, max_length=64)  # the requester's address
