"""The benchmark's page measurements, each in child processes: warm reruns under AppTest, the first
render on a cold process, and the peak memory of those processes."""

from __future__ import annotations

import json
import os
import re
import resource
import statistics
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

from bench.data_set import DataSet, _lap, _pk, active_people
from bench.scales import (
    APP_SCRIPT,
    PERSON_PICKER_KEY,
    PROJECT_DIR,
    RESULT_MARK,
    SERVER_MODULES,
    BenchError,
    Scale,
)

# --- measurements in child processes -----------------------------------------------------------


def routed_pages(app: Path = APP_SCRIPT) -> list[str]:
    """The page files app.py's navigation routes to, in its order (e.g. "pages/goals.py")."""
    text = app.read_text(encoding="utf-8")
    # Each row of app.py's PAGES table opens with its page file: ("pages/goals.py", ...).
    return re.findall(r"""^\s*\(\s*["'](pages/[A-Za-z0-9_]+\.py)["']""", text, flags=re.MULTILINE)


def role_people(*, url: str) -> dict[str, int]:
    """The person each role is measured as: the first active person of that role by id."""
    from sqlmodel import Session

    from planning.store.engine import create_store_engine, read_engine

    engine = create_store_engine(url)
    try:
        with Session(read_engine(engine)) as session:
            people = active_people(session)
    finally:
        engine.dispose()
    found: dict[str, int] = {}
    for person in people:
        found.setdefault(person.role.value, _pk(person.id))
    return found


def peak_rss_mb() -> float:
    """This process's high-water resident set size in MB (VmHWM; getrusage where absent)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child_warm(params: dict[str, Any]) -> dict[str, Any]:
    """In a child process: the floor, then every page's first and warm reruns for each role."""
    from streamlit.testing.v1 import AppTest

    from bench.apptest import run_like_a_server

    run_like_a_server()
    runs = int(params["runs"])
    floor = AppTest.from_file(params["floor_script"], default_timeout=120)
    floor.run()
    floor_laps = []
    for _ in range(runs):
        with _lap() as lap:
            floor.run()
        floor_laps.append(lap)
    pages: dict[str, dict[str, Any]] = {}
    for role, person_id in params["people"].items():
        at = AppTest.from_file(params["app"], default_timeout=120)
        at.session_state[PERSON_PICKER_KEY] = person_id
        at.run()
        for page in role_pages(role, params["pages"]):
            at.switch_page(page)
            with _lap() as first:
                at.run()
            error = _exception_text(at)
            laps = []
            for _ in range(runs):
                with _lap() as lap:
                    at.run()
                laps.append(lap)
                error = error or _exception_text(at)
            pages[f"{page}|{role}"] = {
                "first_ms": first.wall_ms,
                "warm_median_ms": statistics.median(lap.wall_ms for lap in laps),
                "warm_median_cpu_ms": statistics.median(lap.cpu_ms for lap in laps),
                "warm_max_ms": max(lap.wall_ms for lap in laps),
                "error": error,
            }
    return {
        "floor_ms": statistics.median(lap.wall_ms for lap in floor_laps),
        "floor_cpu_ms": statistics.median(lap.cpu_ms for lap in floor_laps),
        "pages": pages,
        "peak_rss_mb": peak_rss_mb(),
    }


def role_pages(role: str, pages: Sequence[str]) -> list[str]:
    """The pages a role may open (ui/navigation.py's table); the others lead elsewhere."""
    try:
        from ui.navigation import PAGES_BY_ROLE
    except ImportError:  # an app without role-aware navigation shows every page to everyone
        return list(pages)
    from planning.store.models import Role

    allowed = PAGES_BY_ROLE.get(Role(role))
    return [p for p in pages if allowed is None or p in allowed]


def _child_cold(params: dict[str, Any]) -> dict[str, Any]:
    """In a fresh child process: the first render of one page straight from its URL."""
    import importlib

    from streamlit.testing.v1 import AppTest

    from bench.apptest import run_like_a_server

    run_like_a_server()
    for module in params.get("preload", []):
        importlib.import_module(module)
    if params.get("preload"):
        from ui.preload import map_module_files, page_modules, settle_collector  # as the server

        page_modules()
        map_module_files()
        settle_collector()
    at = AppTest.from_file(params["app"], default_timeout=120)
    if params.get("person_id") is not None:
        at.session_state[PERSON_PICKER_KEY] = params["person_id"]
    if params.get("page"):
        at.switch_page(params["page"])  # before the first run: the page is opened by its file
    with _lap() as cold:
        at.run()
    return {
        "cold_ms": cold.wall_ms,
        "cold_cpu_ms": cold.cpu_ms,
        "error": _exception_text(at),
        "peak_rss_mb": peak_rss_mb(),
    }


def _exception_text(at: Any) -> str | None:
    if not at.exception:
        return None
    return "; ".join(str(e.message) for e in at.exception)


CHILDREN: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "warm": _child_warm,
    "cold": _child_cold,
}


def _run_child(kind: str, params: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", kind, json.dumps(params)],
        cwd=PROJECT_DIR,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            return dict(json.loads(line[len(RESULT_MARK) :]))
    tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
    raise BenchError(f"the {kind} measurement process failed: {' | '.join(tail)}")


def measure_pages(
    *,
    data: DataSet,
    scale: Scale,
    runs: int,
    directory: Path,
    pages: Sequence[str],
    log: Callable[[str], None],
) -> dict[str, Any]:
    """The floor, every page's warm median for each role, and each page's cold first render."""
    floor_script = directory / "floor.py"
    floor_script.write_text('import streamlit as st\n\nst.write("hi")\n', encoding="utf-8")
    env = {
        "QUARTERDECK_DATABASE_URL": data.url,
        "QUARTERDECK_CONFIG_DIR": str(data.config_dir),
        "QUARTERDECK_DEMO": "0",
    }
    people = role_people(url=data.url)
    roles = {role: people[role] for role in scale.roles if role in people}
    app = str(APP_SCRIPT)
    log(f"  warm reruns ({runs} per page) as {', '.join(roles)}…")
    warm = _run_child(
        "warm",
        {
            "app": app,
            "floor_script": str(floor_script),
            "pages": list(pages),
            "people": roles,
            "runs": runs,
        },
        env,
    )
    floor_cold = _run_child("cold", {"app": str(floor_script)}, env)
    cold: dict[str, dict[str, Any]] = {}
    for key in warm["pages"]:  # the pages each role may open
        page, role = key.split("|")
        log(f"  cold first render of {page} as {role}…")
        cold[key] = _run_child(
            "cold",
            {"app": app, "page": page, "person_id": roles[role], "preload": SERVER_MODULES},
            env,
        )
    results: dict[str, dict[str, Any]] = {}
    for page in pages:
        per_role: dict[str, dict[str, Any]] = {}
        for role in roles:
            key = f"{page}|{role}"
            if key not in warm["pages"]:
                continue
            measured = warm["pages"][key]
            per_role[role] = {
                "warm_median_ms": measured["warm_median_ms"],
                "warm_max_ms": measured["warm_max_ms"],
                "warm_median_cpu_ms": measured["warm_median_cpu_ms"],
                "first_in_process_ms": measured["first_ms"],
                "cold_ms": cold[key]["cold_ms"],
                "cold_cpu_ms": cold[key]["cold_cpu_ms"],
                "errors": list(
                    dict.fromkeys(e for e in (measured["error"], cold[key]["error"]) if e)
                ),
            }
        if per_role:
            results[Path(page).stem] = {
                "warm_median_ms": max(r["warm_median_ms"] for r in per_role.values()),
                "cold_ms": max(r["cold_ms"] for r in per_role.values()),
                "roles": per_role,
            }
    return {
        "floor_ms": warm["floor_ms"],
        "floor_cpu_ms": warm["floor_cpu_ms"],
        "floor_cold_ms": floor_cold["cold_ms"],
        "pages": results,
        "page_process_rss_mb": {
            "warm": warm["peak_rss_mb"],
            "cold_max": max((c["peak_rss_mb"] for c in cold.values()), default=0.0),
        },
        "peak_rss_mb": max(
            [warm["peak_rss_mb"], *(c["peak_rss_mb"] for c in cold.values())],
        ),
    }
