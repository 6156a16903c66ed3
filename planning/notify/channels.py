"""Delivery through Apprise: one URL scheme for SMTP email, Slack, Microsoft Teams and JSON
webhooks, so a channel is a line of configuration rather than a client library each.

Email goes as HTML with a plain-text part (Apprise derives it from the HTML; links are written out
in full so the text keeps them), to the person's address. Email clients do not show SVG reliably,
so every inline SVG chart (the digest's impact chart) is turned into a PNG image sent with the
email and shown in its place (`cid:`); if that conversion fails the SVG stays. Chat channels get
the message's Markdown, which Apprise turns into each service's own format. Every send has a timeout
(settings.yaml `notify.send_timeout_seconds`), so a channel that does not answer fails quickly and
is retried later; an outcome names the channel, never its URL. A run's emails do not come through
here one connection each: planning.notify.smtp sends them over one SMTP session.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from urllib.parse import urlencode

import apprise
from apprise.attachment.memory import AttachMemory

from planning.notify.secrets import NotifySecrets, redact
from planning.store.models_notify import OutboxMessage

# Apprise logs the services it talks to; keep its chatter (which may name hosts) out of the logs.
logging.getLogger("apprise").setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class Delivery:
    """How one send went: delivered, or why not (permanent: retrying cannot help)."""

    ok: bool
    outcome: str
    permanent: bool = False


_SVG = re.compile(r"<svg\b.*?</svg>", re.DOTALL | re.IGNORECASE)


def charts_as_png(html: str) -> tuple[str, list[tuple[str, bytes]]]:
    """The HTML with each inline SVG replaced by an image of it (`cid:chart-N.png`), and those
    images as (file name, PNG bytes); an SVG that cannot be converted stays as it is."""
    try:
        import vl_convert
    except ImportError:  # without the converter the email keeps its SVG
        return html, []
    images: list[tuple[str, bytes]] = []

    def replace(match: re.Match[str]) -> str:
        try:
            png = vl_convert.svg_to_png(match.group(0), scale=2.0)
        except Exception:  # a chart that cannot be drawn keeps its SVG; the email still goes
            return match.group(0)
        name = f"chart-{len(images) + 1}.png"
        images.append((name, png))
        width = re.search(r'width="(\d+)', match.group(0))
        size = f' width="{width.group(1)}"' if width else ""
        # The chart's own label (in the message's language, already escaped) is the image's text.
        label = re.search(r'aria-label="([^"]*)"', match.group(0))
        alt = label.group(1) if label else "Chart"
        return f'<img src="cid:{name}" alt="{alt}"{size} style="max-width:100%">'

    return _SVG.sub(replace, html), images


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
            body, images = charts_as_png(message.body_html)
            attachments = apprise.AppriseAttachment(
                [AttachMemory(content=png, name=name, mimetype="image/png") for name, png in images]
            )
            ok = service.notify(
                title=message.subject,
                body=body,
                body_format=apprise.NotifyFormat.HTML,
                attach=attachments if images else None,
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
