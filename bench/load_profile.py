"""A sampling profile of the server under load (py-spy is not installed here).

`python -m bench.load_profile OUT run server.py ...` is `streamlit run server.py ...` with a
thread that looks at every other thread's Python stack every few milliseconds and counts, per
function, the samples it was on a stack (cumulative) and on top of one (self), leaving out
threads that are waiting (their top frame a select, a lock or a queue). The load benchmark
starts the server this way when QUARTERDECK_LOAD_PROFILE names a folder, one OUT file per step;
the counts are written every few seconds and when the server stops. Threads are grouped as the
script runs ("ScriptRunner" threads), the server's event loop (the main thread: websocket
messages, compression, HTTP) and the rest (thread pools, the scheduler).
"""

from __future__ import annotations

import atexit
import json
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from types import FrameType

from bench.app_process import PROJECT_DIR

PROFILE_ENV = "QUARTERDECK_LOAD_PROFILE"
EVERY_S = 0.005
WRITE_EVERY_S = 5.0
TOP = 250
# A thread whose top frame is one of these is waiting, not working.
IDLE = {
    "select",
    "poll",
    "wait",
    "acquire",
    "sleep",
    "get",
    "_wait_for_tstate_lock",
    "accept",
    "readinto",
    "recv",
    "_worker",
    "epoll",
    "run_forever",
    "_run_once",
}


class Sampler(threading.Thread):
    """Counts where the process's threads spend their time, by sampling their stacks."""

    def __init__(self, out: Path) -> None:
        super().__init__(name="load-profile", daemon=True)
        self.out = out
        self.main = threading.main_thread().ident
        self.groups: Counter[str] = Counter()
        self.cumulative: Counter[str] = Counter()
        self.own: Counter[str] = Counter()
        self.ticks = 0

    def run(self) -> None:
        """Sample until the process ends, writing the counts now and then."""
        written = time.monotonic()
        while True:
            time.sleep(EVERY_S)
            self.sample()
            if time.monotonic() - written > WRITE_EVERY_S:
                self.write()
                written = time.monotonic()

    def sample(self) -> None:
        """One look at every thread's stack."""
        self.ticks += 1
        names = {t.ident: t.name for t in threading.enumerate()}
        for ident, frame in sys._current_frames().items():
            if ident == self.ident or frame.f_code.co_name in IDLE:
                continue
            name = names.get(ident, "")
            group = "script" if "ScriptRunner" in name else "event loop"
            self.groups[group if group == "script" or ident == self.main else "other"] += 1
            self.own[_where(frame)] += 1
            seen: set[str] = set()
            current: FrameType | None = frame
            while current is not None:
                where = _where(current)
                if where not in seen:
                    seen.add(where)
                    self.cumulative[where] += 1
                current = current.f_back

    def write(self) -> None:
        """The counts so far, as JSON."""
        report = {
            "every_ms": EVERY_S * 1000,
            "ticks": self.ticks,
            "busy_samples_by_group": dict(self.groups),
            "cumulative": self.cumulative.most_common(TOP),
            "self": self.own.most_common(TOP),
        }
        self.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")


def _where(frame: FrameType) -> str:
    code = frame.f_code
    path = str(code.co_filename)
    for marker in ("site-packages/", f"{PROJECT_DIR}/", "/lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{path}:{code.co_name}"


def main() -> None:
    """Run Streamlit's command line with the sampler going."""
    out = Path(sys.argv[1])
    sys.argv = ["streamlit", *sys.argv[2:]]
    sampler = Sampler(out)
    sampler.start()
    atexit.register(sampler.write)
    from streamlit.web.cli import main as streamlit_main

    streamlit_main()


if __name__ == "__main__":
    main()
