"""Bearer tokens for the HTTP API: created and revoked by a director (or at the command line),
stored as a SHA-256 digest, each granting one or more scopes.

A token is 32 random bytes (URL-safe text) behind the prefix `qd_`; it is shown once, when it is
created. Because the token is long and random, a plain SHA-256 is enough to store it safely (a slow
password hash only matters for guessable secrets). Revoked tokens stay listed, never deleted, so
the import batches they wrote still name them.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from planning.access.permissions import can_delegate_api_access, require_director
from planning.access.secret_links import (
    note_last_use,
    record_revoked,
    token_digest,
    use_is_stale,
)
from planning.formatting import format_count, format_local_moment
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.store.audit import record_created
from planning.store.models import Person, PersonRead, utcnow
from planning.store.models_access import ApiToken
from planning.validation import text_problems

WRITE_OBSERVATIONS = "write:observations"
READ_OKRS = "read:okrs"
SCOPES: dict[str, str] = {
    WRITE_OBSERVATIONS: N_("import observations (POST /api/v1/observations)"),
    READ_OKRS: N_(
        "read the OKR evaluation and the dependencies between initiatives "
        "(GET /api/v1/okrs, /api/v1/dependencies)"
    ),
}
TOKEN_PREFIX = "qd_"
NAME_MAX = 80
# last_used_at is advanced at most this often, so busy clients do not write on every request.


class TokenError(ValueError):
    """A token request that cannot be carried out (bad name or scope, unknown or revoked id)."""


class TokenLapsed(TokenError):
    """A token whose creator can no longer give the access it grants (demoted, deactivated or
    removed): it no longer opens the API, though it was never revoked."""


@dataclass(frozen=True)
class CreatedToken:
    """A new token: the secret, shown once, and the stored record."""

    secret: str
    token: ApiTokenInfo


@dataclass(frozen=True)
class ApiTokenInfo:
    """A token as listed: everything but its digest."""

    id: int
    name: str
    scopes: tuple[str, ...]
    created_by: int | None
    created_by_name: str  # "command line" when no person created it
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    lapsed: bool = False  # its creator is no longer an active director

    @property
    def active(self) -> bool:
        """Whether the token still opens the API."""
        return self.revoked_at is None and not self.lapsed


def parse_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    """The known scopes asked for, in canonical order; TokenError names any unknown one."""
    wanted = {s.strip() for s in scopes if s and s.strip()}
    if not wanted:
        raise TokenError(_("give at least one scope: {scopes}").format(scopes=", ".join(SCOPES)))
    unknown = sorted(wanted - SCOPES.keys())
    if unknown:
        raise TokenError(
            _("unknown scope {names}; use {scopes}").format(
                names=", ".join(repr(u) for u in unknown), scopes=(" " + _("or") + " ").join(SCOPES)
            )
        )
    return tuple(s for s in SCOPES if s in wanted)


def _clean_name(name: str) -> str:
    cleaned = " ".join(str(name).split())
    if not cleaned:
        raise TokenError(_("give the token a name that says who uses it, e.g. nightly-etl"))
    if len(cleaned) > NAME_MAX:
        raise TokenError(
            _("the token name is {length} characters; keep it to {limit}").format(
                length=format_count(len(cleaned)), limit=format_count(NAME_MAX)
            )
        )
    problems = text_problems(cleaned, what=N_("the token name"))
    if problems:
        raise TokenError("; ".join(problems))
    return cleaned


def _info(token: ApiToken, people: dict[int, Person]) -> ApiTokenInfo:
    assert token.id is not None
    creator = "command line"
    lapsed = False
    if token.created_by is not None:
        person = people.get(token.created_by)
        creator = person.name if person is not None else f"person {token.created_by}"
        lapsed = person is None or not can_delegate_api_access(person)
    return ApiTokenInfo(
        id=token.id,
        name=token.name,
        scopes=tuple(token.scopes.split()),
        created_by=token.created_by,
        created_by_name=creator,
        created_at=token.created_at,
        revoked_at=token.revoked_at,
        last_used_at=token.last_used_at,
        lapsed=lapsed,
    )


def _people(session: Session) -> dict[int, Person]:
    return {int(p.id): p for p in session.exec(select(Person)).all() if p.id is not None}


def create_token(
    *,
    session: Session,
    actor: Person | PersonRead | None,
    name: str,
    scopes: Iterable[str],
) -> CreatedToken:
    """Create a token with the given scopes; `actor` None stands for the command line.

    Returns the secret, which is not stored and cannot be shown again.
    """
    if actor is not None:
        require_director(actor, N_("create API tokens"))
    cleaned = _clean_name(name)
    granted = parse_scopes(scopes)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=cleaned,
        token_hash=token_digest(secret),
        scopes=" ".join(granted),
        created_by=actor.id if actor is not None else None,
        created_at=utcnow(),
    )
    record_created(
        session=session, actor=actor, entity="api_token", record=token, exclude={"token_hash"}
    )
    return CreatedToken(secret=secret, token=_info(token, _people(session)))


def revoke_token(
    *, session: Session, actor: Person | PersonRead | None, token_id: int
) -> ApiTokenInfo:
    """Revoke a token so it no longer opens the API; revoking twice is refused."""
    if actor is not None:
        require_director(actor, N_("revoke API tokens"))
    token = session.get(ApiToken, token_id, with_for_update=True)
    if token is None:
        raise TokenError(_("there is no API token with id {id}").format(id=token_id))
    if token.revoked_at is not None:
        raise TokenError(
            _("API token {id} ({name}) was already revoked on {moment}").format(
                id=token_id, name=token.name, moment=format_local_moment(token.revoked_at)
            )
        )
    record_revoked(session=session, actor=actor, entity="api_token", record=token, now=utcnow())
    return _info(token, _people(session))


def list_tokens(*, session: Session, include_revoked: bool = True) -> list[ApiTokenInfo]:
    """Every token, newest first, without digests."""
    query = select(ApiToken).order_by(col(ApiToken.id).desc())
    if not include_revoked:
        query = query.where(col(ApiToken.revoked_at).is_(None))
    people = _people(session)
    return [_info(t, people) for t in session.exec(query).all()]


def authenticate(*, session: Session, secret: str) -> ApiToken | None:
    """The active token with this secret; None for an unknown or revoked one. Reads only.

    Raises TokenLapsed when the token's creator can no longer give API access (see
    planning.access.permissions.can_delegate_api_access); command-line tokens have no creator to
    lose.
    """
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = session.exec(
        select(ApiToken).where(ApiToken.token_hash == token_digest(secret))
    ).first()
    if token is None or token.revoked_at is not None:
        return None
    reason = lapsed_reason(session=session, token=token)
    if reason:
        raise TokenLapsed(reason)
    return token


def lapsed_reason(*, session: Session, token: ApiToken) -> str | None:
    """Why a token no longer acts for its creator, or None while it does."""
    if token.created_by is None:
        return None
    creator = session.get(Person, token.created_by)
    if creator is None:
        return (
            f"The token {token.name!r} was created by someone no longer on the team: a token "
            "works only while the director who created it is an active director."
        )
    if can_delegate_api_access(creator):
        return None
    now = "deactivated" if not creator.active else f"a {creator.role.value}"
    return (
        f"The token {token.name!r} was created by {creator.name}, who is now {now}: a token "
        "works only while the director who created it is an active director."
    )


def note_use(*, session: Session, token_id: int, now: datetime | None = None) -> bool:
    """Advance a token's last use, at most once per LAST_USED_GRANULARITY; True if written.

    Bookkeeping, not a change anyone makes: no audit event, no data version.
    """
    return note_last_use(
        session=session, record=session.get(ApiToken, token_id), now=now or utcnow()
    )


def stale_use(token: ApiToken, now: datetime | None = None) -> bool:
    """Whether note_use would write for this token now (saves opening a write transaction)."""
    return use_is_stale(token, now or utcnow())


def has_scope(token: ApiToken, scope: str) -> bool:
    """Whether a token grants a scope."""
    return scope in token.scopes.split()
