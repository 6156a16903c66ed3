"""The API's answers that are not data: the JSON error bodies (401 to 503) and the guard that
turns a store that cannot be used into a 503 and anything unexpected into a logged 500."""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from planning import i18n
from planning.formatting import format_count
from planning.i18n import N_, ngettext
from planning.i18n import gettext as _
from planning.store import gate as store_access
from planning.store.engine import StoreError, database_url
from planning.store.gate import DATABASE_ERRORS, StoreUnavailable, store_failure

log = logging.getLogger("quarterdeck.api")

MAX_PROBLEMS_LISTED = 10_000
INTERNAL_ERROR = N_("Internal error; the server log has the details.")

Handler = Callable[[Request], Awaitable[Response]]
Failed = Callable[[BaseException], StoreUnavailable | None]


class Refused(Exception):
    """A request answered before its handler runs (a missing token, a lacking scope)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def error(
    status: int, detail: str, headers: dict[str, str] | None = None, **extra: str
) -> Response:
    """A JSON error body: {"detail": ...} plus any extra fields."""
    return JSONResponse({"detail": detail, **extra}, status_code=status, headers=headers)


def problems(detail: str, found: list[dict[str, Any]]) -> Response:
    """A 422 listing every problem (the first MAX_PROBLEMS_LISTED when there are more)."""
    total = len(found)
    if total > MAX_PROBLEMS_LISTED:
        detail += _(" (the first {listed} of {total} are listed)").format(
            listed=format_count(MAX_PROBLEMS_LISTED), total=format_count(total)
        )
        found = found[:MAX_PROBLEMS_LISTED]
    return JSONResponse({"detail": detail, "problems": found}, status_code=422)


def problems_found(n: int) -> str:
    """'1 problem', '2 problems' (in the answer's language)."""
    return ngettext("{count} problem", "{count} problems", n).format(count=format_count(n))


def unavailable(exc: StoreError) -> Response:
    """503 with why the store cannot be used and when to retry."""
    retry = {"Retry-After": str(math.ceil(store_access.RETRY_SECONDS))}
    if isinstance(exc, StoreUnavailable) and exc.busy:
        return error(503, _("The store is busy; retry shortly."), retry)
    body = {
        "detail": _("The store cannot be used: {reason}.").format(reason=exc),
        "status": "unavailable",
    }
    return JSONResponse(body, status_code=503, headers=retry)


def over_time(seconds: float, what: str) -> Response:
    """503 for a request that ran past its time box (nothing written)."""
    return error(
        503,
        _(
            "The request ran past its time box of {seconds} s while {what}; nothing was "
            "written. Retry later, or send the data in smaller parts."
        ).format(seconds=_seconds(seconds), what=what),
        {"Retry-After": "5"},
    )


def _seconds(value: float) -> str:
    """A time box in seconds as the answer's locale writes it ('30', '0.5'; German '0,5')."""
    return f"{value:g}" if i18n.english_formats() else i18n.decimal_text(value, decimals=3)


def guarded(handler: Handler, failed: Failed | None = None) -> Handler:
    """Answer 503 when the store cannot be reached or used (saying why) and 500 (logged) for
    anything unexpected; a Refused request gets its answer. Given `failed` (the context's), a
    store failing in use is dropped and retried. Starlette's and FastAPI's own exceptions (404,
    405, validation) go on to the app's exception handlers."""
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException

    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except (HTTPException, RequestValidationError):
            raise
        except Refused as refused:
            return refused.response
        except StoreError as exc:  # the gate has logged it once; not again on every request
            return unavailable(exc)
        except DATABASE_ERRORS as exc:
            failure = failed(exc) if failed else store_failure(exc, database_url())
            if failure is not None:
                log.warning("%s %s: %s", request.method, request.url.path, failure)
                return unavailable(failure)
            log.exception("%s %s failed", request.method, request.url.path)
            return error(500, _(INTERNAL_ERROR))
        except Exception:
            log.exception("%s %s failed", request.method, request.url.path)
            return error(500, _(INTERNAL_ERROR))

    run.__name__ = getattr(handler, "__name__", "handler")
    run.__doc__ = handler.__doc__
    return run
