"""The demo quarter's team and goals: people, time off, objectives and key results."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

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
    up, down = Direction.increase, Direction.decrease
    return [
        KrSpec(
            key="conversion",
            objective="checkout",
            title="Conversion rate up",
            owner="priya",
            kind=KrKind.metric,
            metric_id="conversion_rate",
            direction=up,
            start=_round_to(conversion, 4),
            target=_round_to(conversion * 1.12, 4),
            confidence=(7, 7, 6, 6, 7, 6),
            notes=(
                "Redesigned checkout holding its lift; traffic mix steady.",
                "Paid social pulls the blended rate down; mobile is still the gap.",
                "Guest checkout in QA should add the next step up.",
            ),
        ),
        KrSpec(
            key="completion",
            objective="checkout",
            title="Checkout completion up",
            owner="priya",
            kind=KrKind.metric,
            metric_id="checkout_completion_rate",
            direction=up,
            start=_round_to(completion, 4),
            target=_round_to(completion * 1.10, 4),
            window=Window.trailing_28d,
            confidence=(7, 8, 8, 7, 8, 8),
            notes=(
                "One-page checkout at full traffic; completion up as in the test.",
                "Wallet buttons next; payment errors down since the fix.",
                "Tracking the 28-day rate weekly with the analyst.",
            ),
        ),
        KrSpec(
            key="mobile_abandonment",
            objective="checkout",
            title="Mobile cart abandonment down",
            owner="priya",
            kind=KrKind.metric,
            metric_id="cart_abandonment_rate",
            filters=mobile,
            direction=down,
            start=_round_to(abandonment, 4),
            target=_round_to(abandonment - 0.05, 4),
            window=Window.trailing_28d,
            confidence=(5, 5, 4, 5, 4, 4),
            notes=(
                "Abandonment moves slowly; guest checkout is the big lever.",
                "Delivery cost shown early helped desktop more than mobile.",
                "Sticky cart button planned to help small screens.",
            ),
        ),
        KrSpec(
            key="express_milestone",
            objective="checkout",
            title="Express checkout with wallets live",
            owner="priya",
            kind=KrKind.milestone,
            confidence=(6, 7, 7, 7, 6, 7),
            notes=(
                "Apple Pay domain verified.",
                "Google Pay review submitted.",
                "Buttons in staging; release after the payment provider's sign-off.",
            ),
        ),
        KrSpec(
            key="aov",
            objective="basket",
            title="Average order value up",
            owner="ana",
            kind=KrKind.metric,
            metric_id="aov",
            direction=up,
            start=_round_to(aov, 2),
            target=float(round(aov * 1.07)),
            confidence=(6, 6, 5, 5, 6, 5),
            notes=(
                "Free-shipping threshold is holding AOV up.",
                "Recommendations pilot slipping; bundles wait on it.",
                "Electronics promotions pull AOV up and margin down: watching both.",
            ),
        ),
        KrSpec(
            key="margin_guardrail",
            objective="basket",
            title="Gross margin stays above its floor",
            owner="jonas",
            kind=KrKind.guardrail,
            metric_id="gross_margin_pct",
            rule=GuardrailRule.stay_above,
            # A floor a point and a half under last quarter's margin, in whole percent.
            threshold=math.floor((margin - 0.015) * 100) / 100,
            confidence=(8, 8, 7, 8, 7, 7),
            notes=(
                "Margin comfortably above the floor.",
                "Discount depth reviewed weekly with finance.",
                "Electronics share up a little; still inside the guardrail.",
            ),
        ),
        KrSpec(
            key="home_margin",
            objective="basket",
            title="Home gross margin up",
            owner="ana",
            kind=KrKind.metric,
            metric_id="gross_margin_pct",
            filters=home,
            direction=up,
            start=_round_to(home_margin, 4),
            target=_round_to(home_margin + 0.04, 3),
            confidence=(5, 5, 5, 4, 5, 4),
            notes=(
                "Range list agreed with buying; rules go live next week.",
                "Own-brand textiles now lead the Home landing page.",
                "Branded small appliances are still a third of Home revenue.",
            ),
        ),
        KrSpec(
            key="units_per_order",
            objective="basket",
            title="Units per order up",
            owner="ana",
            kind=KrKind.metric,
            metric_id="units_per_order",
            direction=up,
            start=_round_to(upo, 2),
            target=_round_to(upo + 0.15, 2),
            confidence=(5, 4, 4, 4, 3, 4),
            notes=(
                "Bundles depend on the recommendations pilot.",
                "Feed sync issue blocks the pilot; units flat.",
                "Free-shipping bar adds a little; not enough alone.",
            ),
        ),
        KrSpec(
            key="net_revenue",
            objective="company",
            title="Net revenue for the quarter",
            owner="maya",
            kind=KrKind.metric,
            metric_id="net_revenue",
            direction=up,
            start=0.0,
            target=float(round(quarter_total("net_revenue") * 1.15, -3)),
            total_target=True,
            confidence=(7, 7, 6, 7, 7, 6),
            notes=(
                "Tracking ahead of last year's shape.",
                "The outage cost most of a day; recovering.",
                "Peak plan agreed with the team.",
            ),
        ),
        KrSpec(
            key="organic_sessions",
            objective="discovery",
            title="Organic sessions up 20 % year on year",
            owner="tom",
            kind=KrKind.metric,
            metric_id="sessions",
            filters=organic,
            direction=up,
            start=0.0,
            target=float(round(quarter_total("sessions", organic) * 1.20, -3)),
            total_target=True,
            confidence=(6, 6, 5, 5, 5, 4),
            notes=(
                "The content hub's first clusters are indexed.",
                "Structured data release frozen; rich results on hold.",
                "Writer capacity is the constraint for the rest of the quarter.",
            ),
        ),
        KrSpec(
            key="completeness",
            objective="discovery",
            title="Content completeness on top SKUs",
            owner="tom",
            kind=KrKind.metric,
            metric_id="content_completeness",
            direction=up,
            start=_round_to(completeness, 4),
            target=0.95,
            confidence=(7, 7, 7, 8, 8, 8),
            notes=(
                "Home enrichment done; Electronics next.",
                "The PIM completeness report is now weekly.",
                "Suppliers send missing attributes faster since the template change.",
            ),
        ),
        KrSpec(
            key="on_time",
            objective="discovery",
            title="On-time publishing",
            owner="tom",
            kind=KrKind.metric,
            metric_id="on_time_publishing_rate",
            direction=up,
            start=_round_to(on_time, 4),
            target=0.95,
            confidence=(6, 6, 6, 5, 6, 6),
            notes=(
                "Due dates in the CMS make slips visible.",
                "Automated QA catches issues before review.",
                "Spell-check integration still failing; manual checks meanwhile.",
            ),
        ),
        KrSpec(
            key="qa_defects",
            objective="discovery",
            title="QA defects in published content",
            owner="tom",
            kind=KrKind.manual,
            direction=down,
            start=6.0,
            target=2.0,
            unit="%",
            confidence=(6, 6, 5, 6, 6, 5),
            notes=(
                "Counted from the weekly QA sample of 50 items.",
                "Broken links gone since the automated check.",
                "Spelling in product names is still the main defect.",
            ),
        ),
        KrSpec(
            key="content_standards",
            objective="discovery",
            title="Content standards for top SKUs signed off",
            owner="ana",
            kind=KrKind.milestone,
            done=True,
            confidence=(8, 9, 10),
            notes=(
                "Draft standards shared with category managers.",
                "Feedback from buying folded in.",
                "Signed off by merchandising and buying.",
            ),
        ),
    ]
