"""Impact ledger entries made directly, for tests of what is worked out or drawn from them."""

from __future__ import annotations

from datetime import date

from planning.impact.ledger import ImpactEntry
from planning.impact.lift_estimate import impact_windows


def impact_entry(
    *,
    shipped: date,
    expected: float,
    realised: float | None,
    verdict: str,
    estimator_id: int | None = None,
    initiative_id: int = 1,
    initiative: str = "x",
    half_width: float = 0.01,
) -> ImpactEntry:
    """A 28-day AOV entry with an interval of ± half_width around the realised lift."""
    return ImpactEntry(
        initiative_id=initiative_id,
        initiative=initiative,
        status="done",
        owner_id=1,
        owner="o",
        estimator_id=estimator_id,
        estimator=f"P{estimator_id}",
        metric_id="aov",
        metric_label="AOV",
        value_format="money",
        higher_is_better=True,
        filters={},
        filter_source="",
        shipped=shipped,
        windows=impact_windows(shipped, 28),
        expected_lift=expected,
        verdict=verdict,
        realised_lift=realised,
        ci_low=None if realised is None else realised - half_width,
        ci_high=None if realised is None else realised + half_width,
    )
