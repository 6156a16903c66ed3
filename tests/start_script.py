"""scripts/start.sh started for real, on a free port and a temporary store.

The script sets up .venv in the project and then execs its streamlit; the copy it runs here sits
in a temporary project whose files link to this one, with a setup step that does nothing and a
.venv/bin/streamlit that is the test run's own.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.app_process import free_port

ROOT = Path(__file__).resolve().parents[1]
LINKED = ("app.py", "server.py", "api", "assets", "config", "pages", "planning", "ui", ".streamlit")


def answers(host: str, port: int) -> bool:
    """Whether something accepts a TCP connection at host:port."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@dataclass
class Started:
    """A running scripts/start.sh: its port and the log it has written so far."""

    port: int
    log_file: Path

    def log(self) -> str:
        """What the server printed (stdout and stderr together)."""
        return self.log_file.read_text(encoding="utf-8", errors="replace")


def _project_copy(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    for name in LINKED:
        (project / name).symlink_to(ROOT / name)
    shutil.copy(ROOT / "scripts" / "start.sh", project / "scripts" / "start.sh")
    (project / "scripts" / "setup.sh").write_text("#!/usr/bin/env bash\ntrue\n")
    (project / ".venv" / "bin").mkdir(parents=True)
    (project / ".venv" / "bin" / "streamlit").symlink_to(Path(sys.executable).parent / "streamlit")
    return project


@contextmanager
def start_script(
    tmp_path: Path, *, env: dict[str, str] | None = None, wait_on: str = "127.0.0.1"
) -> Iterator[Started]:
    """Run `bash scripts/start.sh` until its health check answers at `wait_on`; stop it after."""
    project = _project_copy(tmp_path)
    port = free_port()
    full_env = dict(os.environ)
    full_env.update(
        PORT=str(port),
        QUARTERDECK_DATABASE_URL=f"sqlite:///{tmp_path / 'store.db'}",
        QUARTERDECK_DEMO="0",
        **(env or {}),
    )
    log_file = tmp_path / "start.log"
    with log_file.open("wb") as out:
        process = subprocess.Popen(
            ["bash", "scripts/start.sh"],
            cwd=project,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started = Started(port=port, log_file=log_file)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                url = f"http://{wait_on}:{port}/_stcore/health"
                with urllib.request.urlopen(url, timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    failed = "scripts/start.sh did not start:\n" + started.log()
                    raise AssertionError(failed) from None
                time.sleep(0.3)
        yield started
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
