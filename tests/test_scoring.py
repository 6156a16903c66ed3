"""Scoring frameworks, ranking and the value/effort matrix, pinned with worked examples."""

from __future__ import annotations

from typing import Any

import pytest

from planning.config import AppConfig
from planning.config.scoring import EffortConversion, Framework, Matrix, Quadrants, ScoringConfig
from planning.work.scoring import (
    Ranked,
    ScoreResult,
    effort_input,
    expected_value,
    ice_ease,
    matrix_splits,
    quadrant,
    rank,
    rice_effort_months,
    score,
    score_all,
    validate_inputs,
    wsjf_job_size,
)

RICE_OK = {"reach": 3000, "impact": 2, "confidence": 0.8}
ICE_OK = {"impact": 8, "confidence": 7}
WSJF_OK = {"business_value": 8, "time_criticality": 5, "risk_reduction": 3}


def _score(
    config: AppConfig,
    framework_id: str,
    inputs: dict[str, Any],
    *,
    effort_weeks: float | None = 13,
    **kwargs: Any,
) -> ScoreResult:
    framework = config.scoring.frameworks[framework_id]
    return score(
        framework_id,
        framework,
        {framework_id: inputs},
        effort_weeks=effort_weeks,
        effort=config.scoring.effort,
        **kwargs,
    )


# --- one effort, converted for each framework --------------------------------------------------


@pytest.mark.parametrize(
    ("weeks", "months"),
    [(13, 3.0), (26, 6.0), (52, 12.0), (4.5, 4.5 * 12 / 52), (1, 0.5), (0, 0.5), (2.1, 0.5)],
)
def test_rice_effort_in_person_months_from_person_weeks(
    config: AppConfig, weeks: float, months: float
) -> None:
    # person-weeks / (52 / 12), never below 0.5 person-months
    assert rice_effort_months(weeks, config.scoring.effort) == pytest.approx(months)


@pytest.mark.parametrize(
    ("weeks", "size"),
    [(0, 1), (1, 1), (1.5, 2), (2, 2), (3, 3), (4, 3), (6, 5), (8, 5), (13, 8), (20, 13),
     (26, 13), (27, 20), (200, 20)],
)  # fmt: skip
def test_wsjf_job_size_is_the_step_the_person_weeks_fall_in(
    config: AppConfig, weeks: float, size: float
) -> None:
    assert wsjf_job_size(weeks, config.scoring.effort) == size


@pytest.mark.parametrize(
    ("weeks", "ease"), [(0.5, 10), (1, 10), (2, 9), (3, 8), (4, 7), (5, 6), (8, 5), (13, 4),
                        (20, 3), (52, 2), (53, 1)]
)  # fmt: skip
def test_ice_ease_falls_as_the_person_weeks_grow(
    config: AppConfig, weeks: float, ease: float
) -> None:
    assert ice_ease(weeks, config.scoring.effort) == ease


def test_a_configured_scale_changes_the_conversion() -> None:
    conversion = EffortConversion.model_validate(
        {
            "rice_minimum_months": 1,
            "job_size": [{"up_to_weeks": 4, "value": 2}, {"value": 13}],
            "ease": [{"up_to_weeks": 4, "value": 9}, {"value": 3}],
        }
    )
    assert rice_effort_months(1, conversion) == 1
    assert (wsjf_job_size(4, conversion), wsjf_job_size(4.5, conversion)) == (2, 13)
    assert (ice_ease(4, conversion), ice_ease(5, conversion)) == (9, 3)


# --- RICE --------------------------------------------------------------------------------------


def test_rice_worked_example(config: AppConfig) -> None:
    # 13 person-weeks = 3 person-months: 3000 reach × 2 impact × 0.8 confidence / 3 = 1600
    result = _score(config, "rice", RICE_OK, effort_weeks=13)
    assert result.score == pytest.approx(1600)
    assert result.problems == ()


def test_rice_effort_divides_and_counts_at_least_half_a_month(config: AppConfig) -> None:
    # 1 person-week counts as the 0.5 person-month minimum: 3000 × 2 × 0.8 / 0.5 = 9600
    assert _score(config, "rice", RICE_OK, effort_weeks=1).score == pytest.approx(9600)
    # A stored RICE effort from before is ignored: the person-weeks decide.
    stale = {**RICE_OK, "effort_months": 100}
    assert _score(config, "rice", stale, effort_weeks=13).score == pytest.approx(1600)


def test_rice_without_an_effort_estimate_has_no_score(config: AppConfig) -> None:
    result = _score(config, "rice", RICE_OK, effort_weeks=None)
    assert result.score is None
    assert result.problems == ("no effort estimate in person-weeks",)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("impact", 4, "Impact 4 is not one of 3, 2, 1, 0.5, 0.25"),
        ("confidence", 0.7, "Confidence 0.7 is not one of 1, 0.8, 0.5"),
        ("reach", -5, "Reach (customers per quarter) -5 is below the minimum 0"),
    ],
)
def test_rice_refuses_values_off_its_published_scales(
    config: AppConfig, name: str, value: float, message: str
) -> None:
    result = _score(config, "rice", {**RICE_OK, name: value})
    assert result.score is None
    assert result.problems == (message,)


def test_rice_reads_a_stored_scores_dict_with_other_frameworks_beside_it(
    config: AppConfig,
) -> None:
    stored = {"rice": RICE_OK, "ice": ICE_OK}
    result = score("rice", config.scoring.frameworks["rice"], stored, effort_weeks=13)
    assert result.framework_id == "rice"
    assert result.score == pytest.approx(1600)


# --- ICE ---------------------------------------------------------------------------------------


def test_ice_worked_example(config: AppConfig) -> None:
    # 6 person-weeks give ease 6: 8 × 7 × 6 = 336
    result = _score(config, "ice", ICE_OK, effort_weeks=6)
    assert result.score == pytest.approx(336)


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"impact": 0, "confidence": 7}, "Impact 0 is below the minimum 1"),
        ({"impact": 8, "confidence": 11}, "Confidence 11 is above the maximum 10"),
    ],
)
def test_ice_refuses_values_outside_one_to_ten(
    config: AppConfig, inputs: dict[str, Any], message: str
) -> None:
    result = _score(config, "ice", inputs)
    assert result.score is None
    assert result.problems == (message,)


def test_ice_accepts_its_bounds(config: AppConfig) -> None:
    # Up to a person-week is as easy as it gets: 1 × 10 × 10 = 100
    assert _score(config, "ice", {"impact": 1, "confidence": 10}, effort_weeks=1).score == 100


# --- WSJF --------------------------------------------------------------------------------------


def test_wsjf_worked_example(config: AppConfig) -> None:
    # 6 person-weeks give job size 5: (8 + 5 + 3) / 5 = 3.2
    assert _score(config, "wsjf", WSJF_OK, effort_weeks=6).score == pytest.approx(3.2)
    # 13 person-weeks give job size 8: 16 / 8 = 2
    assert _score(config, "wsjf", WSJF_OK, effort_weeks=13).score == pytest.approx(2)


def test_wsjf_refuses_a_value_off_the_fibonacci_scale(config: AppConfig) -> None:
    result = _score(config, "wsjf", {**WSJF_OK, "business_value": 4})
    assert result.score is None
    assert result.problems == ("Business value 4 is not one of 1, 2, 3, 5, 8, 13, 20",)


# --- weighted ----------------------------------------------------------------------------------


def test_weighted_with_the_shipped_criteria(config: AppConfig) -> None:
    inputs = {"revenue_impact": 5, "customer_experience": 3, "strategic_fit": 4, "ease": 2}
    # 0.4 × 5 + 0.25 × 3 + 0.2 × 4 + 0.15 × 2 = 2 + 0.75 + 0.8 + 0.3 = 3.85
    assert _score(config, "weighted", inputs).score == pytest.approx(3.85)


def test_a_team_defined_weighted_framework_scores_without_code() -> None:
    scoring = ScoringConfig.model_validate(
        {
            "active": "seo",
            "frameworks": {
                "seo": {
                    "label": "SEO value",
                    "formula": "weighted",
                    "inputs": {
                        "search_volume": {"label": "Search volume", "minimum": 0, "maximum": 10},
                        "difficulty": {"label": "Difficulty", "scale": [1, 3, 9]},
                        "margin": {"label": "Margin", "minimum": 0, "maximum": 10},
                    },
                    "weights": {"search_volume": 0.5, "difficulty": 0.3, "margin": 0.2},
                }
            },
        }
    )
    stored = {"seo": {"search_volume": 6, "difficulty": 9, "margin": 5}}
    # 0.5 × 6 + 0.3 × 9 + 0.2 × 5 = 3 + 2.7 + 1 = 6.7
    result = score("seo", scoring.frameworks["seo"], stored)
    assert result.score == pytest.approx(6.7)

    refused = score("seo", scoring.frameworks["seo"], {"seo": {**stored["seo"], "difficulty": 2}})
    assert refused.problems == ("Difficulty 2 is not one of 1, 3, 9",)


# --- expected value ----------------------------------------------------------------------------


def test_expected_value_worked_example() -> None:
    # $50,000 a week × 8 % lift × 0.5 confidence / 4 person-weeks = $500 per person-week
    value = expected_value(
        baseline_weekly_value=50_000, lift_pct=0.08, confidence=0.5, effort_weeks=4
    )
    assert value == pytest.approx(500)


@pytest.mark.parametrize(
    ("weeks", "baseline", "lift", "score"),
    [
        pytest.param(13, 52_000, 0.1, 200, id="52,000 x 0.1 x 0.5 over 13 weeks is 200"),
        pytest.param(4, 50_000, 0.08, 500, id="50,000 x 0.08 x 0.5 over 4 weeks is 500"),
    ],
)
def test_expected_value_divides_by_the_person_weeks_themselves(
    config: AppConfig, weeks: float, baseline: float, lift: float, score: float
) -> None:
    """Through the framework: weekly value × lift × confidence over the person-weeks as given."""
    assert effort_input("expected_value", weeks, config.scoring.effort) is None
    result = _score(
        config,
        "expected_value",
        {"confidence": 0.5},
        effort_weeks=weeks,
        baseline_weekly_value=baseline,
        lift_pct=lift,
    )
    assert result.score == pytest.approx(score)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"effort_weeks": 0}, "effort 0 person-weeks leaves nothing to divide by"),
        ({"effort_weeks": None}, "no effort estimate in person-weeks"),
        ({"lift_pct": None}, "no expected lift"),
        ({"baseline_weekly_value": None}, "no baseline weekly value for the linked metric"),
    ],
)
def test_expected_value_without_effort_lift_or_baseline_has_no_score(
    config: AppConfig, kwargs: dict[str, Any], message: str
) -> None:
    arguments = {"effort_weeks": 4, "baseline_weekly_value": 50_000, "lift_pct": 0.08, **kwargs}
    result = _score(config, "expected_value", {"confidence": 0.5}, **arguments)
    assert result.score is None
    assert result.problems == (message,)


def test_expected_value_refuses_zero_effort_directly() -> None:
    with pytest.raises(ValueError, match="above 0 person-weeks"):
        expected_value(baseline_weekly_value=50_000, lift_pct=0.08, confidence=0.5, effort_weeks=0)


# --- validation --------------------------------------------------------------------------------


def test_validate_inputs_reports_every_bad_input(config: AppConfig) -> None:
    framework = config.scoring.frameworks["rice"]
    problems = validate_inputs(framework, {"reach": "lots", "impact": 4, "confidence": True})
    assert problems == [
        "Reach (customers per quarter) 'lots' is not a number",
        "Impact 4 is not one of 3, 2, 1, 0.5, 0.25",
        "Confidence True is not a number",
    ]


def test_validate_inputs_refuses_not_a_number_and_infinity(config: AppConfig) -> None:
    framework = config.scoring.frameworks["ice"]
    problems = validate_inputs(framework, {"impact": float("nan"), "confidence": float("inf")})
    assert problems == ["Impact nan is not a number", "Confidence inf is not a number"]


def test_validate_inputs_ignores_keys_the_framework_does_not_name(config: AppConfig) -> None:
    framework = config.scoring.frameworks["ice"]
    assert validate_inputs(framework, {"impact": 8, "confidence": 7, "old": 99}) == []


def test_an_unscored_initiative_is_told_so(config: AppConfig) -> None:
    result = score("wsjf", config.scoring.frameworks["wsjf"], {"rice": RICE_OK})
    assert result.score is None
    assert result.problems == ("not scored with WSJF yet",)


def test_a_framework_missing_an_input_its_formula_needs_is_reported() -> None:
    framework = Framework.model_validate(
        {
            "label": "RICE",
            "formula": "rice",
            "inputs": {
                "reach": {"label": "Reach", "minimum": 0, "maximum": 10},
                "impact": {"label": "Impact", "scale": [1, 2, 3]},
            },
        }
    )
    result = score("rice", framework, {"rice": {"reach": 1, "impact": 1}}, effort_weeks=13)
    assert result.score is None
    assert result.problems == (
        "scoring.yaml: frameworks.rice uses the rice formula but has no input 'confidence'",
    )


def test_score_all_compares_every_framework(config: AppConfig) -> None:
    stored = {"rice": RICE_OK, "ice": ICE_OK}
    results = score_all(config.scoring, stored, effort_weeks=13)
    assert set(results) == set(config.scoring.frameworks)
    assert results["rice"].score == pytest.approx(1600)
    assert results["ice"].score == pytest.approx(8 * 7 * 4)
    assert not results["wsjf"].scored


# --- ranking -----------------------------------------------------------------------------------


def test_rank_by_score_with_ties_broken_by_id_and_unscored_last() -> None:
    ranked = rank({7: 3.2, 3: None, 5: 9.0, 2: 3.2, 9: None, 4: 1.0})
    assert ranked == [
        Ranked(id=5, score=9.0, rank=1),
        Ranked(id=2, score=3.2, rank=2),
        Ranked(id=7, score=3.2, rank=3),
        Ranked(id=4, score=1.0, rank=4),
        Ranked(id=3, score=None, rank=None),
        Ranked(id=9, score=None, rank=None),
    ]


def test_rank_does_not_depend_on_input_order() -> None:
    items = {1: 2.0, 2: 2.0, 3: None, 4: 5.0}
    reversed_items = dict(reversed(list(items.items())))
    assert rank(items) == rank(reversed_items)


# --- value/effort matrix -----------------------------------------------------------------------

NAMES = Quadrants()


def test_quadrant_names_the_four_corners() -> None:
    assert quadrant(9, 1, 5, 4, NAMES) == "Quick wins"
    assert quadrant(9, 8, 5, 4, NAMES) == "Big bets"
    assert quadrant(2, 1, 5, 4, NAMES) == "Fill-ins"
    assert quadrant(2, 8, 5, 4, NAMES) == "Money pits"


def test_a_point_on_a_split_counts_as_high() -> None:
    assert quadrant(5, 1, 5, 4, NAMES) == "Quick wins"
    assert quadrant(2, 4, 5, 4, NAMES) == "Money pits"
    assert quadrant(5, 4, 5, 4, NAMES) == "Big bets"


def test_quadrant_uses_the_configured_names() -> None:
    names = Quadrants(quick_wins="Do now", money_pits="Avoid")
    assert quadrant(9, 1, 5, 4, names) == "Do now"
    assert quadrant(1, 9, 5, 4, names) == "Avoid"


def test_matrix_splits_at_the_median_of_an_odd_count() -> None:
    value_split, effort_split = matrix_splits([10, 2, 6], [3, 1, 8], Matrix())
    assert (value_split, effort_split) == (6, 3)
    assert value_split is not None and effort_split is not None
    # The middle item sits on both splits and so counts as high value, high effort.
    assert quadrant(6, 3, value_split, effort_split, NAMES) == "Big bets"
    assert quadrant(10, 1, value_split, effort_split, NAMES) == "Quick wins"


def test_matrix_splits_at_the_median_of_an_even_count() -> None:
    value_split, effort_split = matrix_splits([10, 2, 6, 4], [3, 1, 8, 2], Matrix())
    # Medians: (4 + 6) / 2 = 5 and (2 + 3) / 2 = 2.5
    assert (value_split, effort_split) == (5, 2.5)
    assert value_split is not None and effort_split is not None
    assert quadrant(4, 2, value_split, effort_split, NAMES) == "Fill-ins"
    assert quadrant(6, 3, value_split, effort_split, NAMES) == "Big bets"


def test_matrix_splits_skip_unscored_items_and_honour_configured_splits() -> None:
    assert matrix_splits([1, None, 3], [None, None], Matrix()) == (2, None)
    assert matrix_splits([1, 2, 3], [1, 2, 30], Matrix(value_split=100)) == (100, 2)
