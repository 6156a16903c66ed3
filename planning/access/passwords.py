"""Password sign-in: Argon2 hashes, slowed-down guessing, and sign-ins that survive a reload.

The flow in password mode: the sign-in form posts to the server's /session/sign-in route, which
calls attempt_sign_in(); a correct password yields a one-time code, which the same request
exchanges with start_session() for a session token kept in an HttpOnly cookie. Every page run
then calls person_for_session() with the cookie's token, and /session/end calls end_session().

Only digests are stored: an Argon2 hash of each password (Person.password_hash) and the SHA-256
of each session token and one-time code (SignInSession.token_hash). Sign-ins and sign-outs are
not plan changes, so they are not written to the audit trail and do not refresh open pages.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import ColumnElement, delete, func, or_
from sqlmodel import Session, col, select

from planning.config.settings import AuthSettings
from planning.formatting import format_count
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.store.models import Person, PersonRead, utcnow
from planning.store.models_access import SignInAttempt, SignInSession

REFUSED = N_("That email and password do not match an active account.")
CODE_SECONDS = 60
MAX_PASSWORD_LENGTH = 1024
_CODE_PREFIX = "code:"  # codes and session tokens never share a digest

_hasher = PasswordHasher()


# --- passwords ---------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    """The Argon2id hash of a password (salted, so hashing twice gives two different strings)."""
    return _hasher.hash(password)


@cache
def _stand_in_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def verify_password(*, password_hash: str | None, password: str) -> bool:
    """Whether a password matches a stored hash; no hash (or a damaged one) never matches.

    Without a hash a stand-in is checked anyway, so an unknown email takes as long to refuse as
    a wrong password.
    """
    try:
        return _hasher.verify(password_hash or _stand_in_hash(), password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_problems(password: object, *, min_length: int) -> list[str]:
    """Why a new password cannot be used (empty list when it can)."""
    if not isinstance(password, str):
        return [_("the password must be text")]
    if len(password) < min_length:
        return [
            _("the password must be at least {count} characters long").format(
                count=format_count(min_length)
            )
        ]
    if len(password) > MAX_PASSWORD_LENGTH:
        return [
            _("the password must be at most {count} characters long").format(
                count=format_count(MAX_PASSWORD_LENGTH)
            )
        ]
    if not password.strip():
        return [_("the password cannot be only spaces")]
    return []


def normalise_email(email: object) -> str:
    """An email as it is compared: without outer spaces, in lower case."""
    return email.strip().lower() if isinstance(email, str) else ""


def token_digest(token: str) -> str:
    """The SHA-256 hex digest under which a session token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _code_digest(code: str) -> str:
    return token_digest(_CODE_PREFIX + code)


def _new_secret(
    session: Session,
    person_id: int,
    *,
    digest: Callable[[str], str],
    now: datetime,
    lasts: timedelta,
) -> str:
    """A fresh random secret for the person, stored by its digest as a row lasting `lasts`."""
    secret = secrets.token_urlsafe(32)
    session.add(
        SignInSession(
            person_id=person_id, token_hash=digest(secret), created_at=now, expires_at=now + lasts
        )
    )
    session.flush()
    return secret


# --- slowing down guesses ----------------------------------------------------------------------


def retry_delay(*, failures: int, settings: AuthSettings, threshold: int | None = None) -> int:
    """Seconds a further try must wait after the last failure, given recent failures.

    No wait below the threshold (max_failed_attempts unless given); at it, first_delay_seconds;
    doubling with each further failure, capped at max_delay_seconds. With 5, 30 s and 900 s:
    4 failures → 0, 5 → 30, 6 → 60, 7 → 120, 10 → 900 (960 capped).
    """
    limit = settings.max_failed_attempts if threshold is None else threshold
    if failures < limit:
        return 0
    extra = failures - limit
    if extra >= 32:  # far beyond any cap; keeps the power small
        return settings.max_delay_seconds
    return min(settings.first_delay_seconds * 2**extra, settings.max_delay_seconds)


def client_key(client: object) -> str | None:
    """A client's address as failed sign-ins are counted under it (None: an unknown client)."""
    if not isinstance(client, str) or not client.strip():
        return None
    return client.strip().lower()[:64]


def _wait_words(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minutes"


@dataclass(frozen=True)
class SignInOutcome:
    """What a sign-in attempt led to: a person and a one-time code, or why not."""

    person: PersonRead | None
    code: str | None
    message: str
    retry_after: int = 0

    @property
    def ok(self) -> bool:
        """Whether the person may go on (the code is to be exchanged for a session)."""
        return self.person is not None and self.code is not None


def _active_person(session: Session, email: str) -> Person | None:
    if not email:
        return None
    query = select(Person).where(
        func.lower(col(Person.email)) == email, col(Person.active).is_(True)
    )
    return session.exec(query).first()


def _lock_account(session: Session, email: str) -> None:
    """Hold every person row with this email until the transaction ends.

    Counting recent failures, checking the password and recording a failure must be one step, or
    concurrent tries would all read the same count and all be checked. On PostgreSQL the row lock
    (SELECT ... FOR UPDATE) makes tries for one account wait for each other; on SQLite the write
    transaction already began IMMEDIATE (planning/store/engine.py), so every writer waits its turn.
    An email of no one has no row to lock, and no password to find either: its tries cannot succeed.
    """
    if email:
        session.execute(
            select(Person.id).where(func.lower(col(Person.email)) == email).with_for_update()
        )


def _of_client(client: str | None) -> ColumnElement[bool]:
    if client is None:
        return col(SignInAttempt.client).is_(None)
    return col(SignInAttempt.client) == client


def _failures(
    session: Session, *, email: str, since: datetime, only: ColumnElement[bool] | None = None
) -> tuple[int, datetime | None]:
    """How many failures an email had since a time (all clients, or `only` one) and the last."""
    query = select(func.count(), func.max(col(SignInAttempt.at))).where(
        col(SignInAttempt.email) == email, col(SignInAttempt.at) > since
    )
    if only is not None:
        query = query.where(only)
    found = session.execute(query).one()
    return int(found[0]), found[1]


def _seconds_left(
    *, failures: int, last: datetime | None, threshold: int, settings: AuthSettings, now: datetime
) -> int:
    wait = retry_delay(failures=failures, settings=settings, threshold=threshold)
    if not wait or last is None:
        return 0
    ready_at = last + timedelta(seconds=wait)
    return max(1, math.ceil((ready_at - now).total_seconds())) if now < ready_at else 0


def attempt_sign_in(
    *,
    session: Session,
    email: str,
    password: str,
    settings: AuthSettings,
    now: datetime | None = None,
    client: str | None = None,
) -> SignInOutcome:
    """Check an email and password; on success return a one-time code, else one refusal.

    An unknown email, an inactive person, a person without a password and a wrong password all
    get the same message and count as a failure for that email from that client (the
    requester's address; None counts as one unknown client). Tries are refused unchecked until
    the wait is over after too many recent failures from this client for this email
    (max_failed_attempts), or from all clients together (account_max_failed_attempts); see
    retry_delay. A success clears this client's failures for the email only.
    """
    now = now or utcnow()
    key = normalise_email(email)[:254]
    source = client_key(client)
    window_start = now - timedelta(minutes=settings.failure_window_minutes)
    _lock_account(session, key)
    mine, my_last = _failures(session, email=key, since=window_start, only=_of_client(source))
    everyone, last = _failures(session, email=key, since=window_start)
    # This client's failures for the account and everyone's, each against its own threshold.
    counted = (
        (mine, my_last, settings.max_failed_attempts),
        (everyone, last, settings.account_max_failed_attempts),
    )
    left = max(
        _seconds_left(failures=failures, last=at, threshold=limit, settings=settings, now=now)
        for failures, at, limit in counted
    )
    if left:
        return SignInOutcome(
            person=None,
            code=None,
            message=(
                "Too many wrong passwords for this email. For your safety, try again in "
                f"{_wait_words(left)}."
            ),
            retry_after=left,
        )
    person = _active_person(session, key)
    given = password if isinstance(password, str) else ""
    good = verify_password(password_hash=person.password_hash if person else None, password=given)
    if person is None or not good or person.id is None:
        session.execute(
            delete(SignInAttempt).where(
                col(SignInAttempt.email) == key, col(SignInAttempt.at) <= window_start
            )
        )
        session.add(SignInAttempt(email=key, at=now, client=source))
        session.flush()
        return SignInOutcome(person=None, code=None, message=REFUSED)
    session.execute(
        delete(SignInAttempt).where(col(SignInAttempt.email) == key, _of_client(source))
    )
    code = _new_secret(
        session, person.id, digest=_code_digest, now=now, lasts=timedelta(seconds=CODE_SECONDS)
    )
    return SignInOutcome(person=PersonRead.model_validate(person), code=code, message="")


# --- sessions ----------------------------------------------------------------------------------


def _session_row(
    session: Session, secret: object, *, digest: Callable[[str], str], lock: bool
) -> SignInSession | None:
    """The sign-in row stored under the secret's digest (locked for the change if `lock`); None
    when there is none or the secret is not a string of 1 to 200 characters."""
    if not isinstance(secret, str) or not secret or len(secret) > 200:
        return None
    query = select(SignInSession).where(col(SignInSession.token_hash) == digest(secret))
    return session.exec(query.with_for_update() if lock else query).first()


def start_session(
    *, session: Session, code: str, settings: AuthSettings, now: datetime | None = None
) -> str | None:
    """Exchange a one-time code (once, within a minute) for a session token; None if it fails."""
    now = now or utcnow()
    row = _session_row(session, code, digest=_code_digest, lock=True)
    if row is None or row.ended_at is not None or row.expires_at <= now:
        return None
    row.ended_at = now
    person = session.get(Person, row.person_id)
    if person is None or not person.active:
        return None
    # Rows of this person that can no longer open anything are dropped as a new one starts.
    session.execute(
        delete(SignInSession).where(
            col(SignInSession.person_id) == row.person_id,
            col(SignInSession.id) != row.id,
            or_(col(SignInSession.expires_at) <= now, col(SignInSession.ended_at).is_not(None)),
        )
    )
    return _new_secret(
        session,
        row.person_id,
        digest=token_digest,
        now=now,
        lasts=timedelta(days=settings.session_days),
    )


def person_for_session(
    *, session: Session, token: str | None, now: datetime | None = None
) -> PersonRead | None:
    """The active person a session token belongs to, or None (unknown, expired or ended)."""
    now = now or utcnow()
    row = _session_row(session, token, digest=token_digest, lock=False)
    if row is None or row.ended_at is not None or row.expires_at <= now:
        return None
    person = session.get(Person, row.person_id)
    if person is None or not person.active:
        return None
    return PersonRead.model_validate(person)


def end_session(*, session: Session, token: str | None, now: datetime | None = None) -> bool:
    """End the session of a token (sign-out); False when there was no open one."""
    row = _session_row(session, token, digest=token_digest, lock=True)
    if row is None or row.ended_at is not None:
        return False
    row.ended_at = now or utcnow()
    session.add(row)
    session.flush()
    return True


def end_sessions_of(*, session: Session, person_id: int, now: datetime | None = None) -> int:
    """End every open session of a person (password reset, deactivation); how many ended."""
    now = now or utcnow()
    rows = session.exec(
        select(SignInSession).where(
            col(SignInSession.person_id) == person_id,
            col(SignInSession.ended_at).is_(None),
            col(SignInSession.expires_at) > now,
        )
    ).all()
    for row in rows:
        row.ended_at = now
        session.add(row)
    session.flush()
    return len(rows)


def anyone_can_sign_in(*, session: Session) -> bool:
    """Whether at least one active person has a password (else password mode needs the CLI)."""
    query = select(Person.id).where(
        col(Person.active).is_(True), col(Person.password_hash).is_not(None)
    )
    return session.exec(query.limit(1)).first() is not None


# --- how the server and the app meet -----------------------------------------------------------

SESSION_COOKIE = "quarterdeck_session"
SIGN_IN_PATH = "/session/sign-in"  # POST email, password, next: check, set the cookie, go on
END_PATH = "/session/end"  # POST next: end the session, clear the cookie, go on


def safe_next(path: object) -> str:
    """A local path to go on to after a sign-in step; anything else becomes "/"."""
    if not isinstance(path, str) or not path.startswith("/") or path.startswith("//"):
        return "/"
    if "\\" in path or any(ord(c) < 32 for c in path) or len(path) > 500:
        return "/"
    return path
