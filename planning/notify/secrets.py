"""Channel URLs and the link secret: read from environment variables or .streamlit/secrets.toml,
never stored in the database and never written to a log or an outbox row.

Environment variables win over the file:

- `QUARTERDECK_NOTIFY_EMAIL_URL`, `..._SLACK_URL`, `..._TEAMS_URL`, `..._WEBHOOK_URL`: an Apprise
  URL per channel (`mailtos://user:password@smtp.example.com?from=...`,
  `https://hooks.slack.com/services/...`, a Teams workflow URL, `json://host/path`);
- `QUARTERDECK_NOTIFY_LINK_SECRET`: the key that signs the links in reminders.

In .streamlit/secrets.toml the same values sit under `[notify]` as `email`, `slack`, `teams`,
`webhook` and `link_secret`.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from planning.i18n import N_

CHANNELS: tuple[str, ...] = ("email", "slack", "teams", "webhook")
CHANNEL_LABELS = {  # translated where shown: _(CHANNEL_LABELS[channel])
    "email": N_("Email"),
    "slack": "Slack",
    "teams": "Microsoft Teams",
    "webhook": "Webhook",
}
PROJECT_DIR = Path(__file__).resolve().parents[2]
SECRETS_FILE = PROJECT_DIR / ".streamlit" / "secrets.toml"
SECRETS_FILE_ENV = "QUARTERDECK_SECRETS_FILE"
LINK_SECRET_ENV = "QUARTERDECK_NOTIFY_LINK_SECRET"
MIN_SECRET_LENGTH = 16


def channel_env(channel: str) -> str:
    """The environment variable holding a channel's URL."""
    return f"QUARTERDECK_NOTIFY_{channel.upper()}_URL"


@dataclass(frozen=True)
class NotifySecrets:
    """The channels set up on this server and the link secret; repr never shows a value."""

    urls: dict[str, str] = field(default_factory=dict, repr=False)
    link_secret: bytes = field(default=b"", repr=False)

    def configured(self) -> tuple[str, ...]:
        """The channels that have a URL, in the usual order."""
        return tuple(c for c in CHANNELS if self.urls.get(c))

    def __repr__(self) -> str:
        state = "set" if self.link_secret else "unset"
        return f"NotifySecrets(channels={self.configured()}, link_secret={state})"


def _file_section(path: Path) -> dict[str, object]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
        return {}
    section = data.get("notify", {})
    return section if isinstance(section, dict) else {}


def load_secrets(environ: dict[str, str] | None = None, path: Path | None = None) -> NotifySecrets:
    """The channel URLs and link secret from the environment, else the secrets file."""
    env = os.environ if environ is None else environ
    file = path or Path(env.get(SECRETS_FILE_ENV) or SECRETS_FILE)
    section = _file_section(file)
    urls: dict[str, str] = {}
    for channel in CHANNELS:
        value = env.get(channel_env(channel)) or section.get(channel) or ""
        if isinstance(value, str) and value.strip():
            urls[channel] = value.strip()
    secret = env.get(LINK_SECRET_ENV) or section.get("link_secret") or ""
    return NotifySecrets(urls=urls, link_secret=str(secret).encode("utf-8"))


def redact(text: str, secrets: NotifySecrets) -> str:
    """Text with every channel URL and the link secret replaced, for outcomes and logs."""
    for channel, url in secrets.urls.items():
        if url:
            text = text.replace(url, f"<{channel} URL>")
    if secrets.link_secret:
        text = text.replace(secrets.link_secret.decode("utf-8", "replace"), "<link secret>")
    return text
