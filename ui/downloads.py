"""Download buttons for a server many people use at once: the file is built when its button is
clicked, and it stays on the server until the browser has fetched it.

Streamlit keeps the file a clicked button builds (a deferred download) in no session's list of
files in use, so whichever session's script run ends second after it (a page opening, the live
check every few seconds, a rerun after a write) deletes it. With a room of open pages that can come
before the browser asks for it: the browser gets "not found" and saves a broken download named
after the file's id (`0a1b….pdf`) instead of `roadmap-2026-Q4.pdf`. So each file built here is
also listed as the clicking session's own, in a place of its own per button, for a minute: a run
of the session starts by forgetting its files, so keep_held lists them again first thing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st
from streamlit import runtime
from streamlit.delta_generator import DeltaGenerator
from streamlit.runtime.scriptrunner import (
    ScriptRunContext,
    add_script_run_ctx,
    get_script_run_ctx,
)

HELD = "quarterdeck-download:"  # where a built file is listed for its session, per button key
KEEP_SECONDS = 60.0  # far longer than a browser takes to fetch a file it was just given


@dataclass(frozen=True)
class Held:
    """A built file kept listed for the session that clicked for it."""

    data: bytes
    mime: str
    file_name: str
    until: float  # time.monotonic() after which it is let go


_held: dict[str, dict[str, Held]] = {}  # session id -> button key -> its last file
_lock = threading.Lock()


def download_button(
    label: str,
    build: Callable[[], bytes | str],
    *,
    file_name: str,
    mime: str,
    key: str,
    where: DeltaGenerator | None = None,
    help: str | None = None,
) -> None:
    """A download button (in `where`, else the page) whose file `build` makes when it is clicked,
    kept for this session until the browser has it; a click never reruns the page."""
    ctx = get_script_run_ctx()

    def made() -> bytes:
        content = build()
        data = content.encode("utf-8") if isinstance(content, str) else content
        hold(ctx, data, mime=mime, file_name=file_name, slot=key)
        return data

    (where or st).download_button(
        label,
        data=made,
        file_name=file_name,
        mime=mime,
        icon=":material/download:",
        on_click="ignore",
        key=key,
        help=help,
    )


def hold(
    ctx: ScriptRunContext | None, data: bytes, *, mime: str, file_name: str, slot: str
) -> None:
    """List a file just built as the clicking session's own for a minute (the same bytes, type
    and name are the same file to Streamlit), in place of what the slot held."""
    if ctx is None or not runtime.exists():
        return  # no server (a bare script or a unit test): nothing is collected either
    held = Held(data=data, mime=mime, file_name=file_name, until=time.monotonic() + KEEP_SECONDS)
    with _lock:
        _held.setdefault(ctx.session_id, {})[slot] = held
    # The click's file is built on a server thread that belongs to no session, and Streamlit
    # lists what is added under the adding thread's session: add it from a short thread given
    # the clicking session's context.
    worker = threading.Thread(target=_list, args=(held, slot), name="quarterdeck-download-hold")
    add_script_run_ctx(worker, ctx)
    worker.start()
    worker.join()


def keep_held() -> None:
    """First thing in a run: list this session's files of the last minute again (the run has
    just forgotten them) and let go of every session's older ones."""
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None or not runtime.exists():
        return
    now = time.monotonic()
    with _lock:
        for session_id in list(_held):
            fresh = {slot: f for slot, f in _held[session_id].items() if f.until > now}
            if fresh:
                _held[session_id] = fresh
            else:
                del _held[session_id]
        mine = dict(_held.get(ctx.session_id, {}))
    for slot, held in mine.items():
        _list(held, slot)


def _list(held: Held, slot: str) -> None:
    runtime.get_instance().media_file_mgr.add(
        held.data, held.mime, HELD + slot, file_name=held.file_name, is_for_static_download=True
    )
