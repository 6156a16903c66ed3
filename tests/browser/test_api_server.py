"""`streamlit run server.py` serves the app and the HTTP API on one port: the API answers JSON,
an observation posted to it shows on the open Metrics page without a reload, and Admin lists
the API's import batch."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.browser.conftest import ROOT, Browser, Server

pytestmark = pytest.mark.browser


def call(
    url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_api_and_app_share_one_port(server: Server, browser: Browser) -> None:
    status, health = call(f"{server.url}/api/v1/health")
    assert status == 200
    assert health["status"] == "ok"
    assert health["latest_observation_day"] == "2026-11-25"
    assert health["schema"]["ok"] is True
    status, document = call(f"{server.url}/api/v1/openapi.json")
    assert (status, document["openapi"]) == (200, "3.1.0")
    status, refused = call(
        f"{server.url}/api/v1/observations", body=b"[]", headers={"Content-Type": "text/csv"}
    )
    assert status == 401 and "bearer token" in refused["detail"]

    page = browser.page
    page.goto(f"{server.url}/metrics")  # type: ignore[attr-defined]
    page.get_by_text("Wed 25 Nov 2026").wait_for(timeout=30000)  # type: ignore[attr-defined]
    page.locator('[data-testid="stMetric"]').first.wait_for(timeout=30000)  # type: ignore[attr-defined]

    created = subprocess.run(
        [
            sys.executable,
            "-m",
            "planning",
            "token",
            "create",
            "--name",
            "browser-etl",
            "--scope",
            "write:observations",
        ],
        cwd=ROOT,
        env=server.env,
        check=True,
        capture_output=True,
    )
    token = created.stdout.decode().strip()
    body = json.dumps(
        [
            {"date": "2026-11-26", "measure": m, "value": v, "channel": "email", "device": "mobile"}
            for m, v in (("sessions", 950), ("orders", 40))
        ]
    ).encode()
    status, result = call(
        f"{server.url}/api/v1/observations",
        body=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    assert status == 200, result
    assert (result["added"], result["rows"]) == (2, 2)
    # Two of the day's 138 series: the open page shows the day as partial, not counted yet.
    page.get_by_text("26 Nov partial (2 of 138 series)").wait_for(timeout=10000)  # type: ignore[attr-defined]
    browser.shot("api-server-metrics")
    browser.assert_clean()

    page.goto(f"{server.url}/admin")  # type: ignore[attr-defined]
    page.get_by_role("tab", name="Import history").click(timeout=30000)  # type: ignore[attr-defined]
    history = page.locator('[data-testid="stDataFrame"]:visible').first  # type: ignore[attr-defined]
    history.wait_for(timeout=30000)
    page.wait_for_timeout(1000)  # type: ignore[attr-defined]
    browser.shot("api-server-admin-history")
    browser.assert_clean()
