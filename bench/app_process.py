"""Starting and stopping the app as scripts/start.sh does (`streamlit run server.py`), for the load
benchmark and for the tests that need a real server: one way to launch, wait and stop."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
SERVER_SCRIPT = PROJECT_DIR / "server.py"
# Debian's headless Chromium, as the browser journeys and the load benchmark drive it.
CHROMIUM = os.environ.get("QUARTERDECK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def launch_app(
    *,
    port: int,
    env: Mapping[str, str],
    log: Path,
    script: Path = SERVER_SCRIPT,
    extra: Sequence[str] = (),
    runner: Sequence[str] = ("-m", "streamlit"),
) -> subprocess.Popen[bytes]:
    """Run `streamlit run <script>` headless on a port, its output going to the log file
    (`runner`: what follows the interpreter in place of `-m streamlit`)."""
    command = [
        sys.executable,
        *runner,
        "run",
        str(script),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        *extra,
    ]
    with log.open("wb") as out:
        return subprocess.Popen(
            command, cwd=PROJECT_DIR, env=dict(env), stdout=out, stderr=subprocess.STDOUT
        )


def answers(url: str, process: subprocess.Popen[bytes], *, seconds: float = 60.0) -> bool:
    """Poll a URL until it answers 200 (True), or the process ends or time runs out (False)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                if reply.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)
    return False


def stop_process(process: subprocess.Popen[bytes], *, seconds: float = 10.0) -> None:
    """Terminate a process this caller started (its own id only), killing it if it lingers."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
