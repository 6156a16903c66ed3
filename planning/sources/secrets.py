"""Credentials a source names: read at run time from the environment or .streamlit/secrets.toml.

A secret's value is never written to the store, a log or an error message: `Secrets` remembers
every value it handed out so the runner can blank them out of any error text.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from planning.i18n import gettext as _

SECRETS_FILE_ENV = "QUARTERDECK_SECRETS_FILE"
DEFAULT_SECRETS_FILE = Path(__file__).resolve().parents[2] / ".streamlit" / "secrets.toml"
SECRET_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
HIDDEN = "***"


class SecretError(LookupError):
    """A named secret is not set anywhere (the message names it, never a value)."""


def secrets_file() -> Path:
    """The secrets.toml file read for secrets (QUARTERDECK_SECRETS_FILE overrides it)."""
    return Path(os.environ.get(SECRETS_FILE_ENV) or DEFAULT_SECRETS_FILE)


def _from_file(name: str, path: Path) -> str | None:
    try:
        data: Any = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SecretError(
            _("{path} cannot be read as TOML ({reason})").format(
                path=path, reason=type(exc).__name__
            )
        ) from None
    for part in name.split("."):  # `sources.warehouse_url` reads [sources] warehouse_url
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    if isinstance(data, dict | list):
        raise SecretError(
            _("secret {name} in {path} is a table, not a single value").format(name=name, path=path)
        )
    return str(data)


class Secrets:
    """Resolves secret names for one run and remembers the values, to hide them from errors."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path
        self._seen: set[str] = set()

    def __call__(self, name: str) -> str:
        """The value of the secret `name`: an environment variable first, else secrets.toml."""
        if not SECRET_NAME.fullmatch(name):
            raise SecretError(f"{name!r} is not a secret name (letters, digits, _ and dots)")
        value = os.environ.get(name) if "." not in name else None
        path = self._path or secrets_file()
        if value is None:
            value = _from_file(name, path)
        if value is None or value == "":
            raise SecretError(
                _(
                    "secret {name} is not set: set the environment variable {name} or add "
                    '{name} = "…" to {path}'
                ).format(name=name, path=path)
            )
        self._remember(value)
        return value

    def _remember(self, value: str) -> None:
        self._seen.add(value)
        # A URL's password may appear alone (or URL-decoded) in a driver's message.
        try:
            password = urlsplit(value).password
        except ValueError:
            password = None
        if password:
            self._seen.add(password)
            self._seen.add(unquote(password))

    def scrub(self, message: str) -> str:
        """The message with every secret value handed out so far replaced by ***."""
        for value in sorted(self._seen, key=len, reverse=True):
            if len(value) >= 4:
                message = message.replace(value, HIDDEN)
        return message


def check_secret_name(value: str) -> str:
    """A pydantic validator's body: the name must be usable as a variable or TOML key."""
    if not SECRET_NAME.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a secret name: use letters, digits and _ (an environment "
            "variable such as WAREHOUSE_URL, or a secrets.toml key such as sources.warehouse_url)"
        )
    return value
