"""One colour per status everywhere (planning.palette): the Roadmap's bars, the Goals page's
progress chart and the weekly digest paint on track, at risk, off track and too early alike, and
each colour carries a white label legibly. Status is never told by colour alone: each chart and
the digest name it too."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pandas as pd
import pytest

from planning.okrs.evaluation_results import KrEvaluation
from planning.palette import (
    STATUS_COLOURS,
    STATUS_LABELS,
    TEXT_ON_COLOUR,
    VERDICT_COLOURS,
    contrast_ratio,
)
from planning.reports.digest import KrLine, WeeklyDigest
from planning.reports.digest_render import digest_html
from planning.work.initiative_status import HEALTH_LABELS
from tests.evaluation_support import kr_eval
from ui.goals_charts import progress_spec
from ui.roadmap_chart import lane_spec

HEALTHS = ("on_track", "at_risk", "off_track")
TODAY = date(2026, 11, 26)


def kr(status: str, number: int) -> KrEvaluation:
    return kr_eval(
        key_result_id=number, title=f"KR {number}", status=status, progress=0.5, expected=0.5
    )


def roadmap_colours() -> dict[str, str]:
    """Each health's bar colour in a Roadmap lane, by the label the lane shows for it."""
    items = pd.DataFrame(
        {
            "id": range(1, 4),
            "title": [f"Work {h}" for h in HEALTHS],
            "owner": "Maya",
            "status": "in_progress",
            "health": list(HEALTHS),
            "percent_complete": 40,
            "start_date": date(2026, 11, 2),
            "end_date": date(2026, 12, 18),
            "progress_date": date(2026, 11, 20),
            "target_date": date(2026, 12, 18),
            "shipped_date": None,
        }
    )
    chart = lane_spec(items, domain=(date(2026, 11, 1), date(2026, 12, 31)), today=TODAY)
    bars = chart.spec["layer"][0]["encoding"]
    assert {"field": "health", "type": "nominal", "title": "Health"} in bars["tooltip"]
    scale = bars["color"]["scale"]
    by_label = dict(zip(scale["domain"], scale["range"], strict=True))
    labels = {HEALTH_LABELS[h]: h for h in HEALTHS}
    return {labels[label]: colour for label, colour in by_label.items()}


def goals_colours() -> dict[str, str]:
    """Each status's bar colour in the Goals page's progress chart, with the label beside it."""
    chart = progress_spec([kr(status, n) for n, status in enumerate(STATUS_COLOURS, start=1)])
    assert chart.rows is not None
    rows = chart.rows.to_pylist()
    labels = {label: status for status, label in STATUS_LABELS.items()}
    assert {"field": "status", "type": "nominal", "title": "Status"} in (
        chart.spec["layer"][0]["encoding"]["tooltip"]
    )
    return {labels[row["status"]]: row["color"] for row in rows}


def digest_colours() -> dict[str, str]:
    """Each status's pill colour in the digest's key results, read from the HTML."""
    lines = tuple(
        KrLine(
            objective="Objective",
            key_result=f"KR {status}",
            owner="Maya",
            current="1",
            previous="1",
            progress=0.5,
            previous_progress=0.5,
            status=status,
            previous_status=status,
        )
        for status in STATUS_COLOURS
    )
    digest = WeeklyDigest(
        company="Shop",
        week="2026-W48",
        monday=date(2026, 11, 23),
        sunday=date(2026, 11, 29),
        reference_day=TODAY,
        data_through=date(2026, 11, 25),
        period="2026-Q4",
        period_note="",
        key_results=lines,
        shipped=(),
        impacts=(),
        stale=(),
        stale_after_days=7,
        decisions=(),
        plan_changes=(),
        plan_note="",
        interval=0.8,
        generated_at=datetime(2026, 11, 26, 9, tzinfo=UTC),
    )
    pill = r'<span class="pill" style="background:(#[0-9a-f]{6})">([^<]+)</span>'
    pills = re.findall(pill, digest_html(digest))
    labels = {label: status for status, label in STATUS_LABELS.items()}
    return {labels[label]: colour for colour, label in pills}


def test_roadmap_goals_and_digest_paint_each_status_alike() -> None:
    roadmap, goals, digest = roadmap_colours(), goals_colours(), digest_colours()
    assert set(roadmap) == set(HEALTHS)
    assert set(goals) == set(digest) == set(STATUS_COLOURS)
    for status in STATUS_COLOURS:
        assert goals[status] == digest[status] == STATUS_COLOURS[status], status
        if status in roadmap:
            assert roadmap[status] == goals[status], status
    assert len(set(STATUS_COLOURS.values())) == len(STATUS_COLOURS)  # four tellable colours


@pytest.mark.parametrize(("name", "colour"), [*STATUS_COLOURS.items(), *VERDICT_COLOURS.items()])
def test_a_white_label_on_each_colour_is_legible(name: str, colour: str) -> None:
    # WCAG AA for normal text: the digest's pills are 12 px white labels on these colours.
    assert contrast_ratio(TEXT_ON_COLOUR, colour) >= 4.5, name


def test_contrast_ratio_matches_the_wcag_formula() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
