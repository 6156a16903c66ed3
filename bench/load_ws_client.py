"""One browser tab's side of Streamlit's websocket protocol, for the load benchmark's ws driver.

A tab does what the Streamlit frontend does to the server, and only that: on its first visit it
asks for the index page, the health and host-config probes and the static files the index page
names (once per tab, as a browser with an empty cache does), opens /_stcore/stream with the
"streamlit" subprotocol (and the permessage-deflate extension a browser negotiates) and sends a
rerun_script naming the page and the address's query string. Later page opens are clicks in the
sidebar: a rerun_script with the page's script hash. A widget change is a rerun_script carrying
the widget states this tab has set (a button's trigger only once), and every rerun names the
cacheable messages already received, so the server sends references to them rather than the
messages again, as it does for a browser. While the page is open the tab sends the reruns the
live-refresh fragment's timer asks for (`auto_rerun`), serialised with the person's own actions.

An action is settled when the script_finished that ends the run it started has arrived (every
message before it has then arrived too): the first finish after a new_session that is not
"finished early for a rerun" (a page that calls st.rerun() after a write runs twice; both count).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

from bench.load_setup import LoadError

# The static files a first visit fetches: the index page's module script, preloads and styles.
ASSET_RE = re.compile(r'<(?:script|link)[^>]*?(?:src|href)="\./(static/[^"]+\.(?:js|css))"')
PROBES = ("_stcore/health", "_stcore/host-config")
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # a local server, no proxy
FINAL = {
    ForwardMsg.FINISHED_SUCCESSFULLY,
    ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
}


@dataclass
class Run:
    """What one action caused: its runs' elements, timings and how it ended."""

    sent: float
    started: float | None = None
    first_finished: float | None = None
    finished: float | None = None
    full_runs: int = 0
    elements: list[Element] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def problems(self) -> list[str]:
        """Exceptions and error messages the runs drew (what a person would see as a fault)."""
        found = []
        for element in self.elements:
            kind = element.WhichOneof("type")
            if kind == "exception":
                found.append(f"exception: {element.exception.type} {element.exception.message}")
            elif kind == "alert" and element.alert.format == element.alert.ERROR:
                found.append(f"error message: {element.alert.body}")
        return [p.strip().splitlines()[0][:160] for p in found]

    def shows(self, text: str) -> bool:
        """Whether a success or info message, heading or text of these runs contains `text`."""
        return any(text in _text_of(e) for e in self.elements)


def _text_of(element: Element) -> str:
    kind = element.WhichOneof("type")
    if kind == "alert":
        return str(element.alert.body)
    if kind == "heading":
        return str(element.heading.body)
    if kind == "markdown":
        return str(element.markdown.body)
    return ""


class Tab:
    """One browser tab on the app, speaking Streamlit's protocol."""

    def __init__(self, *, base: str, query: str, timeout_s: float) -> None:
        self.base = base
        self.query = query
        self.timeout_s = timeout_s
        self.page: dict[tuple[int, ...], Element] = {}
        self.pages: dict[str, str] = {}  # url path ("" for the default page) -> script hash
        self.page_hash = ""
        self.widgets: dict[str, WidgetState] = {}
        self.cache: dict[str, ForwardMsg] = {}
        self.fragments: dict[str, float] = {}  # live-refresh fragment id -> interval (s)
        self.lock = asyncio.Lock()
        self.on_fragment: Callable[[str, Run], None] = lambda kind, run: None
        self._socket: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._timer: asyncio.Task[None] | None = None
        self._run: Run | None = None
        self._seen_paths: set[tuple[int, ...]] = set()
        self.closed_reason: str | None = None

    # --- connecting -----------------------------------------------------------------------

    async def visit(self, path: str) -> Run:
        """A first visit: the HTTP requests a browser makes, the websocket, the page's run."""
        started = time.perf_counter()
        await asyncio.to_thread(self._fetch_first_visit, path)
        from websockets.asyncio.client import connect
        from websockets.typing import Origin, Subprotocol

        parts = urlsplit(self.base)
        self._socket = await connect(
            f"ws://{parts.netloc}/_stcore/stream",
            subprotocols=[Subprotocol("streamlit")],
            origin=Origin(self.base),
            max_size=None,
            open_timeout=self.timeout_s,
            ping_interval=None,
            proxy=None,  # the server is local: never through a proxy the environment names
        )
        self._reader = asyncio.create_task(self._read())
        self._timer = asyncio.create_task(self._live_refresh())
        async with self.lock:
            run = await self._send_and_wait(page_name=path, started=started)
        return run

    def _fetch_first_visit(self, path: str) -> None:
        """Index page, probes and the static files the index page names, as a browser does."""
        index = self._get(f"{path}?{self.query}" if self.query else path).decode(errors="replace")
        for probe in PROBES:
            self._get(probe)
        for asset in dict.fromkeys(ASSET_RE.findall(index)):
            self._get(asset)

    def _get(self, path: str) -> bytes:
        request = urllib.request.Request(
            f"{self.base}/{path}", headers={"Accept-Encoding": "gzip, deflate, br"}
        )
        with DIRECT.open(request, timeout=self.timeout_s) as reply:
            return bytes(reply.read())

    async def close(self) -> None:
        """Close the tab (its socket and timers)."""
        for task in (self._timer, self._reader):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self._socket is not None:
            with contextlib.suppress(Exception):
                await self._socket.close()

    # --- actions --------------------------------------------------------------------------

    async def open(self, path: str) -> Run:
        """Click the page in the sidebar (a rerun with its script hash)."""
        wanted = self.pages.get(path)
        if wanted is None:
            raise LoadError(f"no page {path!r} in the sidebar")
        async with self.lock:
            return await self._send_and_wait(page_script_hash=wanted)

    async def change(self, *states: WidgetState) -> Run:
        """Set widget values (a trigger counts once) and wait for the rerun they cause."""
        async with self.lock:
            return await self._send_and_wait(changes=states)

    async def _send_and_wait(
        self,
        *,
        page_name: str | None = None,
        page_script_hash: str | None = None,
        changes: tuple[WidgetState, ...] = (),
        fragment_id: str | None = None,
        started: float | None = None,
    ) -> Run:
        if self.closed_reason is not None:
            raise LoadError(f"the connection is closed ({self.closed_reason})")
        message = BackMsg()
        state = message.rerun_script
        state.query_string = self.query
        state.page_script_hash = page_script_hash or self.page_hash
        if page_name is not None:
            state.page_name = page_name
        if fragment_id is not None:
            state.fragment_id = fragment_id
            state.is_auto_rerun = True
        for widget in changes:  # a click is sent once; later reruns do not repeat it
            if widget.WhichOneof("value") != "trigger_value":
                self.widgets[widget.id] = widget
        on_page = self._widget_ids()
        sent = {wid: w for wid, w in self.widgets.items() if wid in on_page}
        sent.update((w.id, w) for w in changes)
        state.widget_states.widgets.extend(sent.values())
        state.cached_message_hashes.extend(self.cache)
        run = Run(sent=started if started is not None else time.perf_counter())
        self._run = run
        await self._socket.send(message.SerializeToString())
        try:
            await asyncio.wait_for(run.done.wait(), timeout=self.timeout_s)
        except TimeoutError:
            raise LoadError(f"no finished run within {self.timeout_s:.0f} s") from None
        finally:
            self._run = None
        if self.closed_reason is not None and run.finished is None:
            raise LoadError(f"the connection dropped ({self.closed_reason})")
        return run

    # --- what the page holds --------------------------------------------------------------

    def _widget_ids(self) -> set[str]:
        ids = set()
        for element in self.page.values():
            kind = element.WhichOneof("type")
            widget = getattr(element, kind) if kind else None
            wid = getattr(widget, "id", "")
            if wid:
                ids.add(str(wid))
        return ids

    def find(self, kind: str, label: str | None = None) -> list[Any]:
        """The page's elements of a kind (e.g. "selectbox"), with that label when given."""
        found = []
        for path in sorted(self.page):
            element = self.page[path]
            if element.WhichOneof("type") != kind:
                continue
            widget = getattr(element, kind)
            if label is None or getattr(widget, "label", None) == label:
                found.append(widget)
        return found

    def heading(self, title: str) -> bool:
        """Whether the page's title (its h1) reads `title`."""
        return any(h.tag == "h1" and h.body == title for h in self.find("heading"))

    # --- receiving ------------------------------------------------------------------------

    async def _read(self) -> None:
        try:
            async for data in self._socket:
                message = ForwardMsg()
                message.ParseFromString(data)
                self._handle(message)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.closed_reason = f"{type(exc).__name__}: {exc}"[:160]
        else:
            self.closed_reason = "closed by the server"
        if self._run is not None:
            self._run.done.set()

    def _handle(self, message: ForwardMsg) -> None:
        if message.HasField("ref_hash"):
            cached = self.cache.get(message.ref_hash)
            if cached is None:
                self.closed_reason = "a reference to a message this tab never received"
                if self._run is not None:
                    self._run.done.set()
                return
            resolved = ForwardMsg()
            resolved.CopyFrom(cached)
            resolved.metadata.CopyFrom(message.metadata)
            message = resolved
        elif message.metadata.cacheable and message.hash:
            self.cache[message.hash] = message
        kind = message.WhichOneof("type")
        run = self._run
        if kind == "new_session":
            self._started(message, run)
        elif kind == "navigation":
            self._note_pages(message.navigation.app_pages, message.navigation.page_script_hash)
        elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            path = tuple(message.metadata.delta_path)
            self.page[path] = message.delta.new_element
            self._seen_paths.add(path)
            if run is not None:
                run.elements.append(message.delta.new_element)
        elif kind == "page_info_changed":
            self.query = message.page_info_changed.query_string
        elif kind == "auto_rerun":
            self.fragments[message.auto_rerun.fragment_id] = float(message.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            for fragment in message.stop_auto_rerun.fragment_ids:
                self.fragments.pop(fragment, None)
        elif kind == "script_finished":
            self._finished(message, run)

    def _started(self, message: ForwardMsg, run: Run | None) -> None:
        full = not message.metadata.run.fragment_ids
        if full:
            self.page_hash = message.new_session.page_script_hash
            self._note_pages(message.new_session.app_pages, self.page_hash)
            self.fragments.clear()  # the run registers the page's timers again
            self._seen_paths = set()
        if run is not None:
            if run.started is None:
                run.started = time.perf_counter()
            run.full_runs += int(full)

    def _finished(self, message: ForwardMsg, run: Run | None) -> None:
        status = message.script_finished
        if status == ForwardMsg.FINISHED_SUCCESSFULLY:
            # As the browser does, elements the finished run did not draw leave the page.
            for path in [p for p in self.page if p not in self._seen_paths]:
                del self.page[path]
        if run is None or run.started is None:
            return  # a run this tab did not ask for (nothing is pending)
        now = time.perf_counter()
        if run.first_finished is None:
            run.first_finished = now
        if status in FINAL:
            run.finished = now
            run.done.set()

    def _note_pages(self, pages: Any, current: str) -> None:
        for page in pages:
            self.pages[str(page.url_pathname)] = str(page.page_script_hash)
            if page.is_default:
                self.pages[""] = str(page.page_script_hash)
        if current:
            self.page_hash = current

    # --- the live-refresh fragment's timer ------------------------------------------------

    async def _live_refresh(self) -> None:
        """Send each registered fragment's auto-rerun on its interval, as the frontend's timer
        does; a person's action in progress goes first (the check waits for it)."""
        due: dict[str, float] = {}
        while self.closed_reason is None:
            await asyncio.sleep(0.25)
            now = time.monotonic()
            for fragment, interval in list(self.fragments.items()):
                if fragment not in due:
                    due[fragment] = now + interval
                    continue
                if now < due[fragment]:
                    continue
                due[fragment] = now + interval
                if self.lock.locked() or fragment not in self.fragments:
                    continue  # the timer ticks on; this tick falls on a run in progress
                async with self.lock:
                    if fragment not in self.fragments:
                        continue
                    try:
                        run = await self._send_and_wait(fragment_id=fragment)
                    except LoadError as exc:
                        self.on_fragment(f"error: {exc}", Run(sent=now))
                        continue
                    self.on_fragment("rerun" if run.full_runs else "check", run)
            for gone in [f for f in due if f not in self.fragments]:
                del due[gone]


def trigger(widget_id: str) -> WidgetState:
    """A button's click."""
    return WidgetState(id=widget_id, trigger_value=True)


def text(widget_id: str, value: str) -> WidgetState:
    """A text input's, text area's or select box's value (select boxes send the option shown;
    the data editor sends its edits as JSON text)."""
    return WidgetState(id=widget_id, string_value=value)
