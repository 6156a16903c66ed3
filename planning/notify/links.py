"""Signed links in reminders: one click opens This week with the owed item's form picked.

A link carries `?nudge=TOKEN`. The token names the person, the item (`update:12`,
`check_in:5`), its purpose and its expiry, signed with HMAC-SHA256 under the link secret
(planning.notify.secrets). It grants nothing: it never signs anyone in and never writes; the page
only picks the form when the person signed in (or picked, in demo mode) is the one it names.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from planning import clock
from planning.formatting import format_day
from planning.i18n import gettext as _

NUDGE_PARAM = "nudge"
PURPOSE = "form"  # the only thing a token may do: pick a form on This week
TOKEN_MAX = 300


class LinkError(ValueError):
    """A token that cannot be used: the message says why, in words a person reads (in the
    language of the run that checked it)."""


@dataclass(frozen=True)
class FormLink:
    """What a valid token asks for: this person's form for this item."""

    person_id: int
    item: str
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, payload: str) -> bytes:
    return hmac.new(secret, payload.encode("utf-8"), hashlib.sha256).digest()


def sign(*, secret: bytes, person_id: int, item: str, expires_at: datetime) -> str:
    """A token for one person's form of one item, valid until `expires_at`."""
    if not secret:
        raise LinkError("no link secret is set up (QUARTERDECK_NOTIFY_LINK_SECRET)")
    payload = f"{PURPOSE}|{person_id}|{item}|{int(expires_at.timestamp())}"
    return f"{_b64(payload.encode('utf-8'))}.{_b64(_mac(secret, payload))}"


def verify(*, secret: bytes, token: object, now: datetime) -> FormLink:
    """The form a token asks for; LinkError when it is forged, altered, of another purpose or
    expired."""
    if not secret:
        raise LinkError(_("links from reminders are not set up on this server"))
    if not isinstance(token, str) or len(token) > TOKEN_MAX or token.count(".") != 1:
        raise LinkError(_("this link is not one Quarterdeck made"))
    body, signature = token.split(".")
    try:
        payload = _unb64(body).decode("utf-8")
        given = _unb64(signature)
    except (ValueError, UnicodeDecodeError):
        raise LinkError(_("this link is not one Quarterdeck made")) from None
    if not hmac.compare_digest(given, _mac(secret, payload)):
        raise LinkError(_("this link is not one Quarterdeck made, or it was altered"))
    parts = payload.split("|")
    if len(parts) != 4 or parts[0] != PURPOSE or not parts[1].isdigit():
        raise LinkError(_("this link does not open a form"))
    try:
        expires_at = datetime.fromtimestamp(int(parts[3]), UTC)
    except (ValueError, OverflowError):
        raise LinkError(_("this link is not one Quarterdeck made")) from None
    if now >= expires_at:
        day = format_day(clock.day_of(expires_at))
        raise LinkError(_("this link expired on {day}").format(day=day))
    return FormLink(person_id=int(parts[1]), item=parts[2], expires_at=expires_at)


def form_url(*, base_url: str, token: str) -> str:
    """The address that opens This week with the token's form picked."""
    return f"{base_url.rstrip('/')}/?{urlencode({NUDGE_PARAM: token})}"
