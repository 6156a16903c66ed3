"""Read-only share links: a director hands the roadmap to people without an account.

A link carries a random token (24 random bytes as URL-safe text) that is shown once, when the
link is created; only its SHA-256 is stored, which is safe for a long random secret. A link has a
label saying who it is for, an expiry (1 to MAX_VALID_DAYS days after creation) and can be
revoked; expired and revoked links stay listed. Opening the app with `?share=<token>` resolves the
token to one of: valid, expired, revoked or unknown, and only a valid one shows the roadmap.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlencode, urlsplit, urlunsplit

from sqlmodel import Session, col, select

from planning.access.permissions import Actor, require_director
from planning.access.secret_links import note_last_use, record_revoked, token_digest
from planning.formatting import format_count, format_local_moment
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.store.audit import record_created
from planning.store.models import Person, utcnow
from planning.store.models_access import ShareLink
from planning.validation import InputError, is_number, text_problems

ENTITY = "share_link"
LABEL_MAX = 120
MAX_VALID_DAYS = 365
DEFAULT_VALID_DAYS = 30
TOKEN_MAX = 200  # longer text is never a token; refused before hashing
SHARE_PARAM = "share"
# last_used_at is advanced at most this often, so a busy link does not write on every visit.


class LinkState(StrEnum):
    valid = "valid"
    expired = "expired"
    revoked = "revoked"
    unknown = "unknown"


@dataclass(frozen=True)
class ShareLinkInfo:
    """A share link as listed: everything but its token's digest."""

    id: int
    label: str
    created_by: int
    created_by_name: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    def state(self, now: datetime | None = None) -> LinkState:
        """Whether the link opens the roadmap now: revoked wins over expired."""
        if self.revoked_at is not None:
            return LinkState.revoked
        if (now or utcnow()) >= self.expires_at:
            return LinkState.expired
        return LinkState.valid


@dataclass(frozen=True)
class CreatedShareLink:
    """A new link: its token (shown once, never stored) and the stored record."""

    token: str
    link: ShareLinkInfo


@dataclass(frozen=True)
class Resolution:
    """What a token opens: its state, and the link when the token is known."""

    state: LinkState
    link: ShareLinkInfo | None


def share_url(*, base_url: str, token: str) -> str:
    """The link to hand out: the app's address with `?share=<token>` (path kept, query replaced)."""
    parts = urlsplit(base_url)
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit((parts.scheme, parts.netloc, path, urlencode({SHARE_PARAM: token}), ""))


def _clean_label(label: object) -> tuple[str, list[str]]:
    if not isinstance(label, str):
        return "", [_("the label must be text")]
    cleaned = " ".join(label.split())
    if not cleaned:
        return cleaned, [_("give the link a label that says who it is for, e.g. Board, December")]
    if len(cleaned) > LABEL_MAX:
        return cleaned, [
            _("the label is {length} characters long; keep it to {limit}").format(
                length=format_count(len(cleaned)), limit=format_count(LABEL_MAX)
            )
        ]
    return cleaned, text_problems(cleaned, what=N_("the label"))


def _valid_days(days: object) -> tuple[int, list[str]]:
    if not isinstance(days, int | float) or not is_number(days) or not float(days).is_integer():
        return 0, [
            _("the expiry must be a whole number of days, got {value}").format(value=repr(days))
        ]
    whole = int(days)
    if not 1 <= whole <= MAX_VALID_DAYS:
        return whole, [
            _("a link is valid for 1 to {limit} days, not {days}").format(
                limit=format_count(MAX_VALID_DAYS), days=format_count(whole)
            )
        ]
    return whole, []


def _names(session: Session) -> dict[int, str]:
    return {int(p.id): p.name for p in session.exec(select(Person)).all() if p.id is not None}


def _info(link: ShareLink, names: dict[int, str]) -> ShareLinkInfo:
    assert link.id is not None
    return ShareLinkInfo(
        id=link.id,
        label=link.label,
        created_by=link.created_by,
        created_by_name=names.get(link.created_by, f"#{link.created_by}"),
        created_at=link.created_at,
        expires_at=link.expires_at,
        revoked_at=link.revoked_at,
        last_used_at=link.last_used_at,
    )


def create_share_link(
    *,
    session: Session,
    actor: Actor,
    label: str,
    valid_days: int = DEFAULT_VALID_DAYS,
    now: datetime | None = None,
) -> CreatedShareLink:
    """Create a read-only roadmap link valid for `valid_days` days (directors only).

    Returns the token, which is not stored and cannot be shown again.
    """
    require_director(actor, N_("create share links"))
    cleaned, problems = _clean_label(label)
    days, found = _valid_days(valid_days)
    problems += found
    if problems:
        raise InputError(problems)
    assert actor.id is not None
    now = now or utcnow()
    token = secrets.token_urlsafe(24)
    link = ShareLink(
        label=cleaned,
        token_hash=token_digest(token),
        created_by=actor.id,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    record_created(session=session, actor=actor, entity=ENTITY, record=link, exclude={"token_hash"})
    return CreatedShareLink(token=token, link=_info(link, _names(session)))


def revoke_share_link(
    *, session: Session, actor: Actor, link_id: int, now: datetime | None = None
) -> ShareLinkInfo:
    """Revoke a link so it no longer opens the roadmap (directors only); twice is refused."""
    require_director(actor, N_("revoke share links"))
    link = session.get(ShareLink, link_id, with_for_update=True)
    if link is None:
        raise InputError([_("there is no share link with id {id}").format(id=link_id)])
    if link.revoked_at is not None:
        raise InputError(
            [
                _("the link “{label}” was already revoked on {moment}").format(
                    label=link.label, moment=format_local_moment(link.revoked_at)
                )
            ]
        )
    record_revoked(session=session, actor=actor, entity=ENTITY, record=link, now=now or utcnow())
    return _info(link, _names(session))


def list_share_links(*, session: Session) -> list[ShareLinkInfo]:
    """Every share link, newest first, without digests."""
    names = _names(session)
    links = session.exec(select(ShareLink).order_by(col(ShareLink.id).desc())).all()
    return [_info(link, names) for link in links]


def resolve(*, session: Session, token: str | None, now: datetime | None = None) -> Resolution:
    """What a token from a URL opens: valid, expired, revoked or unknown. Reads only."""
    if not token or not isinstance(token, str) or len(token) > TOKEN_MAX:
        return Resolution(LinkState.unknown, None)
    link = session.exec(
        select(ShareLink).where(ShareLink.token_hash == token_digest(token.strip()))
    ).first()
    if link is None:
        return Resolution(LinkState.unknown, None)
    info = _info(link, _names(session))
    return Resolution(info.state(now), info)


def note_use(*, session: Session, link_id: int, now: datetime | None = None) -> bool:
    """Advance a link's last use, at most once per LAST_USED_GRANULARITY; True if written.

    Bookkeeping, not a change anyone makes: no audit event, no data version.
    """
    return note_last_use(
        session=session, record=session.get(ShareLink, link_id), now=now or utcnow()
    )
