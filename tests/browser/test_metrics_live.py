"""In a real browser: the Metrics page renders cleanly and shows new data within 10 s, with no
reload, when observations are imported from the command line in another process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.conftest import ROOT, Browser, Server

pytestmark = pytest.mark.browser


def test_metrics_page_picks_up_a_cli_import_within_ten_seconds(
    server: Server, browser: Browser, tmp_path: Path
) -> None:
    page = browser.page
    page.goto(f"{server.url}/metrics")  # type: ignore[attr-defined]
    page.get_by_text("Data through").wait_for(timeout=30000)  # type: ignore[attr-defined]
    page.get_by_text("Wed 25 Nov 2026").wait_for(timeout=5000)  # type: ignore[attr-defined]
    page.locator('[data-testid="stMetric"]').first.wait_for(timeout=30000)  # type: ignore[attr-defined]
    page.wait_for_timeout(1500)  # type: ignore[attr-defined]
    browser.shot("metrics-director")
    browser.assert_clean()

    csv = tmp_path / "new-day.csv"
    csv.write_text(
        "date,measure,value,channel,device\n"
        "2026-11-26,sessions,950,email,mobile\n"
        "2026-11-26,orders,40,email,mobile\n"
    )
    subprocess.run(
        [sys.executable, "-m", "planning", "import", str(csv)],
        cwd=ROOT,
        env=server.env,
        check=True,
        capture_output=True,
    )
    # The open page shows the new day by itself within two refreshes (live.refresh_seconds: 5):
    # two series of the day's 138 have arrived, so it is shown as partial, not counted yet.
    page.get_by_text("26 Nov partial (2 of 138 series)").wait_for(timeout=10000)  # type: ignore[attr-defined]
    page.wait_for_timeout(1000)  # type: ignore[attr-defined]
    browser.shot("metrics-after-import")
    browser.assert_clean()
