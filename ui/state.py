"""Process-wide resources and the live-data check, for pages.

One engine per process, handed out by a StoreGate kept in st.cache_resource: a store that cannot
be opened or fails in use stops each page with one message saying why, and is tried again on a
later run after a short back-off (a failed open is never cached). Reads are cached with a bound
and keyed by the store's data-version counters, so any write (from this process, another app
process on the same PostgreSQL, the CLI or the API) makes the next read fresh, and an unchanged
store costs one cheap version query.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any, NoReturn, TypeVar

import numpy as np
import pandas as pd
import streamlit as st
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlmodel import Session

from planning.config import AppConfig, ConfigError, load_config
from planning.i18n import gettext as _
from planning.startup.bootstrap import open_store
from planning.store import gate as store_access
from planning.store.engine import StoreError, data_versions, database_url, read_engine
from planning.store.gate import DATABASE_ERRORS, StoreGate
from ui.navigation import hold_address
from ui.text import escape_markdown


class Versions(str):
    """The store's data versions as one run read them: (area, counter) pairs to the app (iterate
    it, or make a dict of it), and one short string to Streamlit's cache, which hashes a string
    in one step where a tuple of pairs took a walk over every pair (about 7 µs against 90 for
    each cached call of each run)."""

    pairs: tuple[tuple[str, int], ...]

    def __new__(cls, pairs: Iterable[tuple[str, int]]) -> Versions:
        found = tuple(pairs)
        made = super().__new__(cls, ";".join(f"{area}={count}" for area, count in found))
        made.pairs = found
        return made

    def __iter__(self) -> Iterator[tuple[str, int]]:  # type: ignore[override]
        return iter(self.pairs)

    def __reduce__(self) -> tuple[type[Versions], tuple[tuple[tuple[str, int], ...]]]:
        return Versions, (self.pairs,)


Read = TypeVar("Read", bound=Callable[..., Any])
K = TypeVar("K")
V = TypeVar("V")
RUN_VERSIONS = "_run_versions"  # what this run read (ui.state.read_versions)
SEEN_VERSIONS = "_seen_versions"  # what the page on screen was drawn from
JUST_READ = "_versions_just_read"  # set by read_versions, taken by the next live check


@st.cache_resource(show_spinner=False)
def _load_config() -> AppConfig:
    return load_config()


def app_config() -> AppConfig:
    """The validated configuration; a mistake stops the page with one clear message."""
    try:
        return _load_config()
    except ConfigError as exc:
        _stop(f"Quarterdeck cannot start because of a configuration mistake.\n\n{exc}")


@st.cache_resource(show_spinner=False)
def _store() -> StoreGate:
    # Pages call app_config() before the store, so the configuration has loaded by now.
    config = app_config()
    url = database_url()
    return StoreGate(lambda: open_store(config=config, url=url), url=url)


def engine() -> Engine:
    """The process's one engine, migrated, with demo data on a first start; a store that cannot
    be used stops the page with one clear message (which store, what is wrong, what to do)."""
    gate = _store()
    try:
        if gate.is_open:
            return gate.engine()
        with st.spinner(_("Preparing the store (the first start loads demo data)…")):
            return gate.engine()
    except StoreError as exc:
        _stop_for_store(exc)


def read_session() -> Session:
    """A short session on the process's engine, marked for read-only work."""
    return Session(read_engine(engine()))


def _stop_for_store(exc: StoreError) -> NoReturn:
    """End the run with why the store cannot be used, and keep trying while the page is open."""
    # Shown as text: a location or a driver's reason may hold markdown characters (postgres:***@).
    # The router has set the team's language before the first read (ui.language.start_language);
    # the reason itself is the store's one English sentence, shared by every request.
    st.error(
        _(
            "Quarterdeck cannot open its store: {reason}. This page tries again every few "
            "seconds and opens by itself once the store can be used."
        ).format(reason=escape_markdown(str(exc)))
    )
    _retry_store()
    hold_address()
    st.stop()
    raise AssertionError("st.stop() ends the script")  # never reached


def _retry_store() -> None:
    """While the message is on screen, ask the gate every back-off period; rerun the whole page
    once the store opens (the gate makes the attempts, so many open pages do not add up)."""

    @st.fragment(run_every=max(store_access.RETRY_SECONDS, 1.0))
    def _retry() -> None:
        try:
            _store().engine()
        except StoreError:
            return
        st.rerun(scope="app")

    _retry()


def _store_failed(exc: Exception) -> None:
    """Stop the page when an error met reading the store says the store cannot be used (the
    engine is dropped and reopened after the back-off); return for any other error."""
    failure = _store().failed(exc)
    if failure is not None:
        _stop_for_store(failure)


def _stop(message: str) -> NoReturn:
    """End the run with one error message in place of the page."""
    st.error(message)
    st.stop()
    raise AssertionError("st.stop() ends the script")  # never reached


def read_versions() -> Versions:
    """Read the store's data versions for this run; the router calls it first on every run, so
    a store that went away since it opened is noticed here, before the page draws anything."""
    try:
        current = Versions(data_versions(engine()))
    except DATABASE_ERRORS as exc:
        _store_failed(exc)
        raise
    st.session_state[RUN_VERSIONS] = current
    st.session_state[SEEN_VERSIONS] = current
    st.session_state[JUST_READ] = True
    return current


def versions() -> Versions:
    """The store's data versions as this run read them; pages pass them to cached reads as part
    of the key. One query per run, however many parts of the page ask."""
    current: Versions | None = st.session_state.get(RUN_VERSIONS)
    return current if current is not None else read_versions()


def read_only(value: Any) -> Any:
    """What a shared read hands its caller: the cached object where nothing can change it in
    place, else a cheap copy whose changes stay in the copy.

    A frame or series is a shallow copy: with pandas' copy-on-write it shares the cached data
    until the caller writes, and the write (a cell, a new column, a drop in place) lands in the
    copy only. A NumPy array is a view that refuses writes. A Pydantic model (PersonRead) is a
    copy. A tuple is protected item by item; frozen dataclasses and plain values pass as they
    are. A list, dict or set could be changed for every later reader, so it is refused.
    """
    if isinstance(value, pd.DataFrame | pd.Series):
        return value.copy(deep=False)
    if isinstance(value, np.ndarray):
        view = value.view()
        view.flags.writeable = False
        return view
    if isinstance(value, BaseModel):
        return value.model_copy()
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        # Thousands of records (ideas, ledger entries) pass as they are: check their types once.
        if all(_as_is(kind) for kind in set(map(type, value))):
            return value
        return tuple(read_only(item) for item in value)
    if isinstance(value, list | dict | set):
        raise TypeError(
            f"a shared read returned a {type(value).__name__}, which a page could change for "
            "every later reader; return a tuple, a frozen dataclass or a frame"
        )
    return value


@functools.cache
def _as_is(kind: type) -> bool:
    """Whether read_only hands a value of this type on untouched (a frozen dataclass, a string,
    a number, a date, a named tuple, a read-only mapping)."""
    if issubclass(kind, pd.DataFrame | pd.Series | np.ndarray | BaseModel | list | dict | set):
        return False
    return not issubclass(kind, tuple) or hasattr(kind, "_fields")


def frozen_lists(found: Mapping[K, Iterable[V]]) -> Mapping[K, tuple[V, ...]]:
    """Lists by key as a shared read may hand them out: tuples in a mapping no reader can change
    (read_only passes a MappingProxyType on as it is)."""
    return MappingProxyType({key: tuple(items) for key, items in found.items()})


def shared_read(*, ttl: int, max_entries: int) -> Callable[[Read], Read]:
    """Cache a large read-only result the way st.cache_data does (keyed by its arguments, with a
    bound), but without unpickling it for every caller.

    Unpickling a quarter's evaluation or a 2,000-row backlog costs several milliseconds on every
    rerun; sharing it costs nothing. What a caller gets cannot change the cached result
    (read_only: frames as copy-on-write copies, tuples and frozen dataclasses as they are), so a
    page that edits a frame it read leaves the next read as it was.
    """

    def wrap(func: Read) -> Read:
        cached = st.cache_resource(ttl=ttl, max_entries=max_entries, show_spinner=False)(func)
        # Arguments are passed on by name: Streamlit looks a positional argument's name up in
        # the function's signature on every call, which costs more than hashing a short value.
        names = [
            p.name
            for p in inspect.signature(func).parameters.values()
            if p.kind == inspect.Parameter.POSITIONAL_OR_KEYWORD
        ]

        @functools.wraps(func)
        def read(*args: Any, **kwargs: Any) -> Any:
            given = names[: len(args)]
            if len(args) == len(given) and kwargs.keys().isdisjoint(given):
                kwargs = {**dict(zip(given, args, strict=True)), **kwargs}
                args = ()
            return read_only(cached(*args, **kwargs))

        return read  # type: ignore[return-value]

    return wrap


NARROWED = "~narrowed"  # marks versions cut down to some areas (depends_on), never a counter


def narrow(current: Iterable[tuple[str, int]], areas: tuple[str, ...]) -> Versions:
    """The data versions of `areas` alone, from a run's full set (an area no write has touched
    yet is at 0). Versions already narrowed by a caller must hold every area asked for: a read
    cannot depend on more than the read that calls it."""
    held = dict(current)
    if NARROWED in held:
        missing = [area for area in areas if area not in held]
        if missing:
            raise ValueError(
                f"a cached read keyed by {', '.join(k for k in held if k != NARROWED)} calls one "
                f"that also depends on {', '.join(missing)}: key the caller by those too"
            )
    return Versions(((NARROWED, 0), *((area, held.get(area, 0)) for area in sorted(areas))))


def depends_on(*areas: str) -> Callable[[Read], Read]:
    """Key a cached read (taking the run's data versions first) by the versions of these areas
    only (planning.store.engine AREAS), so a write elsewhere leaves it cached for everyone: a
    status update does not make the quarter's goals evaluate again. Put it above the cache
    decorator."""

    def wrap(func: Read) -> Read:
        @functools.wraps(func)
        def read(current: Versions, *args: Any, **kwargs: Any) -> Any:
            return func(narrow(current, areas), *args, **kwargs)

        return read  # type: ignore[return-value]

    return wrap


def forget_inputs(keys: Iterable[str]) -> None:
    """Drop these widgets' values from the session, so their form shows empty on the next run
    (after a create or a post, a second click must not write the same again)."""
    for key in keys:
        st.session_state.pop(key, None)


def clear_after_write() -> None:
    """After a write, make this session's next run read the store's data versions afresh.

    Nothing is emptied: every cached read is keyed by the data versions it depends on, and the
    write advanced the counters of what it changed, so exactly the reads it affects are read
    fresh, here and in every other app process, and the rest stay cached for all sessions.
    """
    st.session_state.pop(RUN_VERSIONS, None)


def _watched(current: Iterable[tuple[str, int]], areas: tuple[str, ...] | None) -> Versions:
    return Versions(current) if areas is None else narrow(current, areas)


def live_refresh(areas: tuple[str, ...] | None = None) -> None:
    """Re-run the page when the store's data changes while it is open (checked every few s):
    any data, or only that of `areas` (planning.store.engine), for a page that draws no more."""
    every = app_config().settings.live.refresh_seconds

    @st.fragment(run_every=every)
    def _check() -> None:
        if st.session_state.pop(JUST_READ, False):
            return  # a full run read them moments ago; the next check, seconds later, looks
        seen = st.session_state.get(SEEN_VERSIONS)
        try:
            changed = seen is not None and _watched(data_versions(engine()), areas) != _watched(
                seen, areas
            )
        except DATABASE_ERRORS as exc:
            if _store().failed(exc) is None:
                raise
            changed = True  # the full run says why the store cannot be used
        if changed:
            st.rerun(scope="app")

    _check()
