"""Reading a source's file: from an HTTP(S) URL (written in the YAML or kept as a secret when it
carries a token) or from a local path, with a time limit and a size limit."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, model_validator

from planning.config.base import Strict
from planning.i18n import N_, said
from planning.i18n import gettext as _
from planning.sources.secrets import check_secret_name

SecretName = Annotated[str, AfterValidator(check_secret_name)]
USER_AGENT = "Quarterdeck-sources/1"


class FetchError(RuntimeError):
    """A source's data could not be fetched (said without any secret)."""


class FileLocation(Strict):
    """Where a file is: exactly one of `url`, `url_secret` (the URL is a secret) or `path`."""

    url: str | None = None
    url_secret: SecretName | None = None
    path: str | None = None
    timeout_seconds: Annotated[float, Field(gt=0, le=600)] = 60
    max_megabytes: Annotated[float, Field(gt=0, le=2000)] = 200

    @model_validator(mode="after")
    def _one_place(self) -> FileLocation:
        given = [n for n in ("url", "url_secret", "path") if getattr(self, n)]
        if len(given) != 1:
            raise ValueError("give exactly one of url, url_secret or path")
        if self.url is not None:
            check_http_url(self.url)
        return self

    def shown(self) -> str:
        """The location as it may be shown: a secret URL by its host only."""
        if self.path:
            return self.path
        if self.url:
            return self.url
        return _("the URL in secret {name}").format(name=self.url_secret)


def check_http_url(url: str) -> str:
    """Refuse anything but an http or https URL with a host."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"{url!r} is not an http:// or https:// URL")
    return url


def read_location(location: Any, secret: Callable[[str], str]) -> bytes:
    """The bytes of the file a FileLocation names; FetchError when it cannot be read."""
    limit = int(location.max_megabytes * 1_000_000)
    if location.path:
        path = Path(location.path)
        try:
            size = path.stat().st_size
            if size > limit:
                raise FetchError(
                    said(
                        N_("{path} is {size} MB, above max_megabytes"),
                        path=path,
                        size=f"{size / 1e6:.0f}",
                    )
                )
            return path.read_bytes()
        except OSError as exc:
            raise FetchError(
                said(N_("cannot read {path}: {reason}"), path=path, reason=exc.strerror or exc)
            ) from None
    url = location.url or secret(location.url_secret)
    try:
        check_http_url(url)
    except ValueError:
        raise FetchError(
            said(N_("{location} is not an http:// or https:// URL"), location=location.shown())
        ) from None
    return http_get(url, timeout=location.timeout_seconds, limit=limit, shown=location.shown())


def http_get(url: str, *, timeout: float, limit: int, shown: str) -> bytes:
    """GET a URL's body, refusing an error answer, a timeout or a body above `limit` bytes."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            body: bytes = answer.read(limit + 1)
    except urllib.error.HTTPError as exc:
        raise FetchError(
            said(
                N_("{location} answered {code} {reason}"),
                location=shown,
                code=exc.code,
                reason=exc.reason,
            )
        ) from None
    except urllib.error.URLError as exc:
        raise FetchError(
            said(N_("{location} cannot be reached ({reason})"), location=shown, reason=exc.reason)
        ) from None
    except TimeoutError:
        raise FetchError(
            said(
                N_("{location} did not answer within {seconds} s"),
                location=shown,
                seconds=f"{timeout:g}",
            )
        ) from None
    except OSError as exc:
        raise FetchError(
            said(N_("{location} cannot be read ({reason})"), location=shown, reason=exc)
        ) from None
    if len(body) > limit:
        raise FetchError(
            said(
                N_("{location} is larger than max_megabytes ({size} MB)"),
                location=shown,
                size=f"{limit / 1e6:g}",
            )
        )
    return body
