"""Delivery through Apprise: one URL scheme for SMTP email, Slack, Microsoft Teams and JSON
webhooks, so a channel is a line of configuration rather than a client library each.

Email goes as HTML with a plain-text part (Apprise derives it from the HTML; links are written out
in full so the text keeps them), to the person's address. Chat channels get the message's
Markdown, which Apprise turns into each service's own format. Every send has a timeout
(settings.yaml `notify.send_timeout_seconds`), so a channel that does not answer fails quickly and
is retried later; an outcome names the channel, never its URL.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlencode

import apprise

from planning.notify.secrets import NotifySecrets, redact
from planning.store.models import OutboxMessage

# Apprise logs the services it talks to; keep its chatter (which may name hosts) out of the logs.
logging.getLogger("apprise").setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class Delivery:
    """How one send went: delivered, or why not (permanent: retrying cannot help)."""

    ok: bool
    outcome: str
    permanent: bool = False


def _email_url(url: str, address: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode({'to': address})}"


def deliver(
    *, message: OutboxMessage, email: str, secrets: NotifySecrets, timeout: float
) -> Delivery:
    """Send one outbox message on its channel; never raises."""
    channel = message.channel
    url = secrets.urls.get(channel)
    if not url:
        return Delivery(False, f"no {channel} channel is set up on this server", permanent=True)
    if channel == "email":
        if not email or "@" not in email:
            return Delivery(False, "the person has no email address", permanent=True)
        url = _email_url(url, email)
    try:
        service = apprise.Apprise.instantiate(url)
    except Exception:  # a malformed URL must not stop the other sends
        service = None
    if service is None:
        return Delivery(
            False, f"the {channel} channel's URL is not one Apprise can use", permanent=True
        )
    service.socket_connect_timeout = timeout
    service.socket_read_timeout = timeout
    try:
        if channel == "email":
            ok = service.notify(
                title=message.subject,
                body=message.body_html,
                body_format=apprise.NotifyFormat.HTML,
            )
        else:
            ok = service.notify(
                title=message.subject,
                body=message.body_markdown,
                body_format=apprise.NotifyFormat.MARKDOWN,
            )
    except Exception as exc:  # a plugin's own error is a failed attempt, not a crash
        return Delivery(
            False, redact(f"the {channel} channel failed: {type(exc).__name__}", secrets)
        )
    if ok:
        return Delivery(True, f"sent by {channel}")
    return Delivery(False, f"the {channel} channel refused the message or did not answer")
