"""Scoring many initiatives at once gives, row for row, what score() gives one at a time."""

from __future__ import annotations

import random
from typing import Any

import pytest

from planning.config import AppConfig
from planning.config.scoring import EffortConversion, Framework
from planning.work.scoring import score
from planning.work.scoring_batch import score_many

FRAMEWORKS = ("rice", "ice", "wsjf", "weighted", "expected_value")


def _one_by_one(
    framework_id: str,
    framework: Framework,
    scores: list[dict[str, Any]],
    efforts: list[Any],
    baselines: list[Any],
    lifts: list[Any],
    effort: EffortConversion,
) -> list[Any]:
    return [
        score(
            framework_id,
            framework,
            stored,
            effort_weeks=weeks,
            baseline_weekly_value=base,
            lift_pct=lift,
            effort=effort,
        )
        for stored, weeks, base, lift in zip(scores, efforts, baselines, lifts, strict=True)
    ]


def _inputs(framework: Framework, rng: random.Random) -> dict[str, Any]:
    """Inputs for every input of a framework: mostly valid, now and then something wrong."""
    found: dict[str, Any] = {}
    for name, spec in framework.inputs.items():
        if spec.scale is not None:
            value: Any = rng.choice(spec.scale)
        else:
            low, high = float(spec.minimum or 0), float(spec.maximum or 1)
            value = rng.choice([low, high, rng.uniform(low, high), round(rng.uniform(low, high))])
        roll = rng.random()
        if roll < 0.03:
            continue  # missing
        if roll < 0.05:
            value = "lots"
        elif roll < 0.07:
            value = float("inf")
        elif roll < 0.09:
            value = (spec.maximum or 100) * 2  # off the scale or above the maximum
        elif roll < 0.10:
            value = True
        elif roll < 0.12 and spec.scale is not None:
            value = value * (1 + 1e-12)  # within the scale's tolerance
        found[name] = value
    return found


@pytest.mark.parametrize("framework_id", FRAMEWORKS)
def test_many_rows_score_as_they_do_one_by_one(config: AppConfig, framework_id: str) -> None:
    framework = config.scoring.frameworks[framework_id]
    rng = random.Random(7)
    scores: list[dict[str, Any]] = []
    efforts: list[Any] = []
    baselines: list[Any] = []
    lifts: list[Any] = []
    for _ in range(600):
        kind = rng.random()
        if kind < 0.03:
            scores.append({})
        elif kind < 0.05:
            scores.append({framework_id: "not a mapping"})
        else:
            scores.append({framework_id: _inputs(framework, rng), "other": {"x": 1}})
        efforts.append(
            rng.choice(
                [rng.uniform(0, 60), rng.choice([0, 1, 2, 4, 13, 26, 52, 80]), 1 + 5e-10, None, -1]
            )
        )
        baselines.append(rng.choice([12_000.0, 530.5, None, float("nan")]))
        lifts.append(rng.choice([0.05, -0.02, 0.3, None]))
    expected = _one_by_one(
        framework_id, framework, scores, efforts, baselines, lifts, config.scoring.effort
    )
    found = score_many(
        framework_id,
        framework,
        scores,
        effort_weeks=efforts,
        baseline_weekly_value=baselines,
        lift_pct=lifts,
        effort=config.scoring.effort,
    )
    assert found == expected
    # Both kinds of row are there: scored ones and ones with reasons.
    assert any(r.score is not None for r in found)
    assert any(r.problems for r in found)


def test_worked_examples_for_every_framework(config: AppConfig) -> None:
    frameworks = config.scoring.frameworks
    effort = config.scoring.effort
    stored = {
        "rice": {"reach": 3000, "impact": 2, "confidence": 0.8},
        "ice": {"impact": 8, "confidence": 7},
        "wsjf": {"business_value": 8, "time_criticality": 5, "risk_reduction": 3},
        "weighted": {"revenue_impact": 5, "customer_experience": 4, "strategic_fit": 3, "ease": 2},
        "expected_value": {"confidence": 0.5},
    }
    found = {
        framework_id: score_many(
            framework_id,
            frameworks[framework_id],
            [stored, {}],
            effort_weeks=[13, 13],
            baseline_weekly_value=[10_000.0, 10_000.0],
            lift_pct=[0.04, 0.04],
            effort=effort,
        )
        for framework_id in FRAMEWORKS
    }
    # 13 person-weeks: RICE 3 person-months, WSJF job size 8, ICE ease 4.
    assert found["rice"][0].score == pytest.approx(3000 * 2 * 0.8 / 3)
    assert found["ice"][0].score == pytest.approx(8 * 7 * 4)
    assert found["wsjf"][0].score == pytest.approx((8 + 5 + 3) / 8)
    assert found["weighted"][0].score == pytest.approx(0.4 * 5 + 0.25 * 4 + 0.2 * 3 + 0.15 * 2)
    assert found["expected_value"][0].score == pytest.approx(10_000 * 0.04 * 0.5 / 13)
    for framework_id in FRAMEWORKS:  # the unscored row says why, as score() does
        assert found[framework_id][1].score is None
        assert found[framework_id][1].problems == (
            f"not scored with {frameworks[framework_id].label} yet",
        )


def test_a_framework_missing_a_formula_input_is_refused_for_every_row() -> None:
    framework = Framework.model_validate(
        {
            "label": "Broken",
            "formula": "rice",
            "inputs": {"reach": {"label": "R", "minimum": 0, "maximum": 10}},
        }
    )
    found = score_many("broken", framework, [{"broken": {"reach": 3}}] * 2, effort_weeks=[4, 4])
    assert [r.score for r in found] == [None, None]
    assert all("has no input 'impact'" in r.problems[0] for r in found)


def test_no_rows_no_results(config: AppConfig) -> None:
    assert score_many("rice", config.scoring.frameworks["rice"], [], effort_weeks=[]) == []
