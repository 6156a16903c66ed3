"""Two writers at once: the first holds its written, uncommitted transaction while the second
starts and waits on it, as two people saving the same thing at the same moment do."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine
from sqlmodel import Session

from planning.store.engine import session_scope

# Long enough for the second writer to reach the first one's rows and wait on them.
HOLD = 0.5


def second_writer_waits(
    engine: Engine,
    *,
    first: Callable[[Session], object],
    second: Callable[[], object],
) -> Exception | None:
    """Run `first` in a transaction kept open after it has written, start `second` in another
    thread and give it HOLD seconds to reach the first one's rows, then let the first commit;
    the exception `second` raised, or None when it succeeded."""
    first_holds, second_started = threading.Event(), threading.Event()
    failures: list[Exception] = []

    def run_first() -> None:
        with session_scope(engine) as session:
            first(session)
            session.flush()  # written, not yet committed
            first_holds.set()
            second_started.wait(10)
            time.sleep(HOLD)

    def run_second() -> None:
        first_holds.wait(10)
        second_started.set()
        try:
            second()
        except Exception as exc:  # handed to the test, which asserts on it
            failures.append(exc)

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return failures[0] if failures else None
