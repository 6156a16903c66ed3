"""Reading a request body by hand: its media type and charset, its bytes up to a limit (413 as
soon as it is known to be over), and JSON that is refused with the reason where it is broken.

FastAPI's own body parsing is not used for imports: a body is JSON or CSV, read in chunks under
the size limit, and a bad one is answered with every problem the importer finds."""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from api.answers import error, problems
from planning.formatting import format_count
from planning.i18n import gettext as _
from planning.parse_reasons import json_reason


async def read_body(request: Request, limit: int) -> bytes | Response:
    """The request body, or a 413 answer as soon as it is known to exceed `limit` bytes."""
    too_large = error(
        413,
        _("The body is larger than {limit} bytes; send it in parts.").format(
            limit=format_count(limit)
        ),
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return too_large
    size = 0
    chunks: list[bytes] = []
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return too_large
        chunks.append(chunk)
    return b"".join(chunks)


def media_type(request: Request) -> tuple[str, str]:
    """The body's media type and charset (lower case, empty when not given)."""
    header = request.headers.get("content-type", "")
    media, *params = (part.strip() for part in header.split(";"))
    charset = ""
    for param in params:
        key, _sep, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media.lower(), charset


def _reject_constant(name: str) -> Any:
    raise ValueError(
        _("{name} is not a JSON number; leave the observation out instead").format(name=name)
    )


def _object_once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are each given once: with a key twice the later would silently
    win (`"value": 1200, "value": 12` wrote 12)."""
    found = dict(pairs)
    if len(found) == len(pairs):
        return found
    seen: set[str] = set()
    for key, _value in pairs:
        if key in seen:
            break
        seen.add(key)
    raise ValueError(
        _("an object gives the key {key} twice; give each key once").format(key=repr(key))
    )


def parse_json(body: bytes) -> Any | Response:
    """The parsed JSON body, or a 422 answer saying where it is broken."""

    def broken(reason: str) -> Response:
        return problems(
            _("The body is not valid JSON; nothing was written."),
            [{"index": None, "field": "", "reason": reason}],
        )

    try:
        # A byte order mark, as Windows tools write one, is read past as a CSV body's is.
        content = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return broken(
            _("the body is not UTF-8 text (byte {position} cannot be read)").format(
                position=exc.start + 1
            )
        )
    if not content.strip():
        return broken(_("the body is empty; send a JSON list of observations"))
    try:
        parsed = json.loads(
            content, parse_constant=_reject_constant, object_pairs_hook=_object_once
        )
    except json.JSONDecodeError as exc:
        return broken(
            _("line {line}, column {column}: {reason}").format(
                reason=json_reason(exc.msg), line=exc.lineno, column=exc.colno
            )
        )
    except ValueError as exc:
        if "integer string conversion" in str(exc):
            return broken(_("a number in the body has too many digits"))
        return broken(str(exc))
    except RecursionError:
        return broken(_("the body is nested too deeply to be a list of observations"))
    # A \uD800-style escape decodes to half of a character pair, which no text can hold: refuse
    # it here rather than fail when the answer or the store has to encode it.
    if _SURROGATE_ESCAPE.search(content) and _has_lone_surrogate(parsed):
        return broken(
            _(
                "the body holds an escape for half a character (a lone surrogate such as "
                "\\ud800); send whole Unicode characters"
            )
        )
    return parsed


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(value: Any) -> bool:
    """Whether any text in a parsed JSON value (keys included) cannot be encoded as UTF-8."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
    return False
