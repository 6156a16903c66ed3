"""The demo quarter's team and goals: people, time off, objectives and key results."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from planning.demo.generator import GROWTH_PER_YEAR, FloatArray
from planning.periods import format_quarter, parse_quarter, previous_quarter, quarter_bounds
from planning.store.models import Direction, GuardrailRule, KrKind, Role, Window

# --- reading the generated data back -----------------------------------------------------------


class WindowSums:
    """Window totals over a generated frame, for KR start values and targets."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.first = min(frame["day"]) if len(frame) else date.max
        self.parts: dict[str, tuple[npt.NDArray[np.datetime64], list[dict[str, str]], FloatArray]]
        self.parts = {}
        for measure, group in frame.groupby("measure", sort=False):
            days = np.asarray(group["day"].tolist(), dtype="datetime64[D]")
            keys = [
                dict(p.split("=", 1) for p in k.split("|")) if k else {} for k in group["dims_key"]
            ]
            self.parts[str(measure)] = (days, keys, group["value"].to_numpy(dtype=float))

    def _select(
        self, measure: str, first: date, last: date, filters: Mapping[str, str]
    ) -> tuple[npt.NDArray[np.datetime64], FloatArray]:
        if measure not in self.parts:  # a measure this configuration does not declare
            return np.asarray([], dtype="datetime64[D]"), np.asarray([], dtype=float)
        days, keys, values = self.parts[measure]
        wanted = np.asarray([all(k.get(n) == v for n, v in filters.items()) for k in keys])
        in_window = (days >= np.datetime64(first, "D")) & (days <= np.datetime64(last, "D"))
        mask = wanted & in_window
        return days[mask], values[mask]

    def total(
        self, measure: str, first: date, last: date, filters: Mapping[str, str] | None = None
    ) -> float:
        """Sum of a measure over a window and filter."""
        return float(self._select(measure, first, last, filters or {})[1].sum())

    def latest(
        self, measure: str, first: date, last: date, filters: Mapping[str, str] | None = None
    ) -> float:
        """Sum over series of a snapshot measure on the last day of the window with data."""
        days, values = self._select(measure, first, last, filters or {})
        if len(days) == 0:
            return 0.0
        return float(values[days == days.max()].sum())

    def ratio(
        self,
        numerator: str,
        denominator: str,
        first: date,
        last: date,
        filters: Mapping[str, str] | None = None,
    ) -> float:
        """SUM(numerator) / SUM(denominator) over the window."""
        bottom = self.total(denominator, first, last, filters)
        return self.total(numerator, first, last, filters) / bottom if bottom else 0.0


# --- the team ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonSpec:
    """One member of the demo team: their key in the story, name, role, title and hours."""

    key: str
    name: str
    role: Role
    title: str
    weekly_hours: float
    bau_share: float


TEAM = (
    PersonSpec("maya", "Maya Lindqvist", Role.director, "Director of Ecommerce", 40, 0.5),
    PersonSpec("tom", "Tom Okafor", Role.member, "SEO & content lead", 40, 0.3),
    PersonSpec("priya", "Priya Raman", Role.member, "CRO/UX lead", 40, 0.25),
    PersonSpec("lucas", "Lucas Moreau", Role.member, "CRM & email lead", 32, 0.35),
    PersonSpec("ana", "Ana Souza", Role.member, "Merchandising lead", 40, 0.4),
    PersonSpec("jonas", "Jonas Becker", Role.member, "Ecommerce analyst", 40, 0.45),
    PersonSpec("helen", "Helen Carter", Role.stakeholder, "CFO", 0, 0.0),
)
EMAIL_DOMAIN = "northwind.example"
# Who is away: (person's key, first and last day as days from today, note).
TIME_OFF = (
    ("tom", 10, 14, "Holiday"),
    ("lucas", 22, 24, "CRM conference"),
    ("priya", -12, -11, "Training"),
)


# --- goals -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KrSpec:
    """One key result of the demo quarter, with the confidences and notes of its check-ins."""

    key: str
    objective: str
    title: str
    owner: str
    kind: KrKind
    metric_id: str | None = None
    filters: Mapping[str, str] | None = None
    direction: Direction | None = None
    start: float | None = None
    target: float | None = None
    window: Window = Window.period_to_date
    total_target: bool = False
    rule: GuardrailRule | None = None
    threshold: float | None = None
    unit: str = ""
    done: bool = False
    confidence: tuple[int, ...] = (6,)
    notes: tuple[str, ...] = ("On plan.",)


OBJECTIVES = {
    "checkout": (
        "Make checkout effortless on every device",
        "priya",
        "Fewer shoppers lost between cart and order, on mobile first.",
    ),
    "basket": (
        "Grow profitable basket size",
        "ana",
        "Bigger baskets without buying them with discounts.",
    ),
    "discovery": (
        "Win discovery through SEO and content",
        "tom",
        "More shoppers find us through search, and product pages answer their questions.",
    ),
    "company": (
        "Grow profitable online revenue",
        "maya",
        "The company's aim for the shop this quarter: the team objectives align to it, and their "
        "key results for conversion, basket value and organic traffic count towards it.",
    ),
}
# Alignment: (objective, its parents), and (key result, another objective it counts towards,
# weight there).
ALIGNMENT: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("checkout", ("company",)),
    ("basket", ("company",)),
    ("discovery", ("company",)),
)
CONTRIBUTIONS = (
    ("conversion", "company", 1.0),
    ("aov", "company", 1.0),
    ("organic_sessions", "company", 0.5),
)


# Each key result: what kind it is, its metric and filter (dimension=value), which way it should
# move (a guardrail: its rule) and its window. "-" marks none.
KEY_RESULTS = """
# key              kind      metric                   filter            way        window
conversion         metric    conversion_rate          -                 increase   period_to_date
completion         metric    checkout_completion_rate -                 increase   trailing_28d
mobile_abandonment metric    cart_abandonment_rate    device=mobile     decrease   trailing_28d
express_milestone  milestone -                        -                 -          period_to_date
aov                metric    aov                      -                 increase   period_to_date
margin_guardrail   guardrail gross_margin_pct         -                 stay_above period_to_date
home_margin        metric    gross_margin_pct         product_line=Home increase   period_to_date
units_per_order    metric    units_per_order          -                 increase   period_to_date
net_revenue        metric    net_revenue              -                 increase   period_to_date
organic_sessions   metric    sessions                 channel=organic   increase   period_to_date
completeness       metric    content_completeness     -                 increase   period_to_date
on_time            metric    on_time_publishing_rate  -                 increase   period_to_date
qa_defects         manual    -                        -                 decrease   period_to_date
content_standards  milestone -                        -                 -          period_to_date
"""
# Each key result's objective, owner and title, then the confidences and notes of its weekly
# check-ins (used in turn, from the quarter's first week).
KrStory = tuple[str, str, str, str, tuple[str, ...]]
KR_STORIES: dict[str, KrStory] = {
    "conversion": (
        "checkout",
        "priya",
        "Conversion rate up",
        "7 7 6 6 7 6",
        (
            "Redesigned checkout holding its lift; traffic mix steady.",
            "Paid social pulls the blended rate down; mobile is still the gap.",
            "Guest checkout in QA should add the next step up.",
        ),
    ),
    "completion": (
        "checkout",
        "priya",
        "Checkout completion up",
        "7 8 8 7 8 8",
        (
            "One-page checkout at full traffic; completion up as in the test.",
            "Wallet buttons next; payment errors down since the fix.",
            "Tracking the 28-day rate weekly with the analyst.",
        ),
    ),
    "mobile_abandonment": (
        "checkout",
        "priya",
        "Mobile cart abandonment down",
        "5 5 4 5 4 4",
        (
            "Abandonment moves slowly; guest checkout is the big lever.",
            "Delivery cost shown early helped desktop more than mobile.",
            "Sticky cart button planned to help small screens.",
        ),
    ),
    "express_milestone": (
        "checkout",
        "priya",
        "Express checkout with wallets live",
        "6 7 7 7 6 7",
        (
            "Apple Pay domain verified.",
            "Google Pay review submitted.",
            "Buttons in staging; release after the payment provider's sign-off.",
        ),
    ),
    "aov": (
        "basket",
        "ana",
        "Average order value up",
        "6 6 5 5 6 5",
        (
            "Free-shipping threshold is holding AOV up.",
            "Recommendations pilot slipping; bundles wait on it.",
            "Electronics promotions pull AOV up and margin down: watching both.",
        ),
    ),
    "margin_guardrail": (
        "basket",
        "jonas",
        "Gross margin stays above its floor",
        "8 8 7 8 7 7",
        (
            "Margin comfortably above the floor.",
            "Discount depth reviewed weekly with finance.",
            "Electronics share up a little; still inside the guardrail.",
        ),
    ),
    "home_margin": (
        "basket",
        "ana",
        "Home gross margin up",
        "5 5 5 4 5 4",
        (
            "Range list agreed with buying; rules go live next week.",
            "Own-brand textiles now lead the Home landing page.",
            "Branded small appliances are still a third of Home revenue.",
        ),
    ),
    "units_per_order": (
        "basket",
        "ana",
        "Units per order up",
        "5 4 4 4 3 4",
        (
            "Bundles depend on the recommendations pilot.",
            "Feed sync issue blocks the pilot; units flat.",
            "Free-shipping bar adds a little; not enough alone.",
        ),
    ),
    "net_revenue": (
        "company",
        "maya",
        "Net revenue for the quarter",
        "7 7 6 7 7 6",
        (
            "Tracking ahead of last year's shape.",
            "The outage cost most of a day; recovering.",
            "Peak plan agreed with the team.",
        ),
    ),
    "organic_sessions": (
        "discovery",
        "tom",
        "Organic sessions up 20 % year on year",
        "6 6 5 5 5 4",
        (
            "The content hub's first clusters are indexed.",
            "Structured data release frozen; rich results on hold.",
            "Writer capacity is the constraint for the rest of the quarter.",
        ),
    ),
    "completeness": (
        "discovery",
        "tom",
        "Content completeness on top SKUs",
        "7 7 7 8 8 8",
        (
            "Home enrichment done; Electronics next.",
            "The PIM completeness report is now weekly.",
            "Suppliers send missing attributes faster since the template change.",
        ),
    ),
    "on_time": (
        "discovery",
        "tom",
        "On-time publishing",
        "6 6 6 5 6 6",
        (
            "Due dates in the CMS make slips visible.",
            "Automated QA catches issues before review.",
            "Spell-check integration still failing; manual checks meanwhile.",
        ),
    ),
    "qa_defects": (
        "discovery",
        "tom",
        "QA defects in published content",
        "6 6 5 6 6 5",
        (
            "Counted from the weekly QA sample of 50 items.",
            "Broken links gone since the automated check.",
            "Spelling in product names is still the main defect.",
        ),
    ),
    "content_standards": (
        "discovery",
        "ana",
        "Content standards for top SKUs signed off",
        "8 9 10",
        (
            "Draft standards shared with category managers.",
            "Feedback from buying folded in.",
            "Signed off by merchandising and buying.",
        ),
    ),
}


def _round_to(value: float, digits: int) -> float:
    return float(round(value, digits))


def kr_specs(sums: WindowSums, period: str, fiscal_start_month: int) -> list[KrSpec]:
    """The quarter's key results, with start values read from the previous quarter's data."""
    first, last = quarter_bounds(previous_quarter(period), fiscal_start_month)
    fiscal_year, quarter = parse_quarter(period)
    ly_first, ly_last = quarter_bounds(format_quarter(fiscal_year - 1, quarter), fiscal_start_month)

    def quarter_total(measure: str, filters: Mapping[str, str] | None = None) -> float:
        if ly_first >= sums.first:
            return sums.total(measure, ly_first, ly_last, filters)
        # Without last year's quarter, grow the previous quarter's total by a year of growth.
        return sums.total(measure, first, last, filters) * (1 + GROWTH_PER_YEAR)

    mobile = {"device": "mobile"}
    home = {"product_line": "Home"}
    organic = {"channel": "organic"}
    conversion = sums.ratio("orders", "sessions", first, last)
    completion = sums.ratio("orders", "checkout_sessions", first, last)
    abandonment = 1 - sums.ratio("orders", "add_to_cart_sessions", first, last, mobile)
    aov = sums.ratio("net_revenue", "orders", first, last)
    margin = 1 - sums.ratio("line_cogs", "line_net_revenue", first, last)
    home_margin = 1 - sums.ratio("line_cogs", "line_net_revenue", first, last, home)
    upo = sums.ratio("units", "orders", first, last)
    required = sums.latest("content_required_attributes", first, last)
    filled = sums.latest("content_filled_attributes", first, last)
    completeness = filled / required if required else 0.0
    on_time = sums.ratio("content_items_on_time", "content_items_due", first, last)
    # Start and target of the key results that have them.
    values = {
        "conversion": (_round_to(conversion, 4), _round_to(conversion * 1.12, 4)),
        "completion": (_round_to(completion, 4), _round_to(completion * 1.10, 4)),
        "mobile_abandonment": (_round_to(abandonment, 4), _round_to(abandonment - 0.05, 4)),
        "aov": (_round_to(aov, 2), float(round(aov * 1.07))),
        "home_margin": (_round_to(home_margin, 4), _round_to(home_margin + 0.04, 3)),
        "units_per_order": (_round_to(upo, 2), _round_to(upo + 0.15, 2)),
        "net_revenue": (0.0, float(round(quarter_total("net_revenue") * 1.15, -3))),
        "organic_sessions": (0.0, float(round(quarter_total("sessions", organic) * 1.20, -3))),
        "completeness": (_round_to(completeness, 4), 0.95),
        "on_time": (_round_to(on_time, 4), 0.95),
        "qa_defects": (6.0, 2.0),
    }
    # What only some key results have.
    extras: dict[str, dict[str, Any]] = {
        # A floor a point and a half under last quarter's margin, in whole percent.
        "margin_guardrail": {"threshold": math.floor((margin - 0.015) * 100) / 100},
        "net_revenue": {"total_target": True},
        "organic_sessions": {"total_target": True},
        "qa_defects": {"unit": "%"},
        "content_standards": {"done": True},
    }
    specs = []
    for line in KEY_RESULTS.strip().splitlines()[1:]:
        key, kind, metric, filters, way, window = line.split()
        objective, owner, title, confidence, notes = KR_STORIES[key]
        guardrail = kind == KrKind.guardrail
        start, target = values.get(key, (None, None))
        specs.append(
            KrSpec(
                key=key,
                objective=objective,
                title=title,
                owner=owner,
                kind=KrKind(kind),
                metric_id=None if metric == "-" else metric,
                filters=None if filters == "-" else dict([filters.split("=")]),
                direction=None if guardrail or way == "-" else Direction(way),
                start=start,
                target=target,
                window=Window(window),
                rule=GuardrailRule(way) if guardrail else None,
                confidence=tuple(int(level) for level in confidence.split()),
                notes=notes,
                **extras.get(key, {}),
            )
        )
    return specs
