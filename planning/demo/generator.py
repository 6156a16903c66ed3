"""The demo data set: three years of daily ecommerce metrics and a team running a quarter on them.

The profile follows DOMAIN.md: a multi-category retailer with about 22,000 sessions a day (in the
last year), conversion about 2.3 %, AOV about $95, growth about 12 % a year and about 6 % daily
noise; weekday and month seasonality; Black Friday and Cyber Monday peaks computed for each year;
channels, devices, a session funnel, six product lines with their own margins, organic search,
email and content publishing measures.

Planted events, dated relative to the last day of data (``end``) so the 28 days after each lift
are in the data:

- checkout redesign, ``end - CHECKOUT_REDESIGN_DAYS``: checkout-to-purchase (orders per checkout
  session) × (1 + CHECKOUT_REDESIGN_LIFT) from that day on;
- free-shipping threshold test, ``end - FREE_SHIPPING_DAYS``: AOV × (1 + FREE_SHIPPING_LIFT) and a
  few more units per order from that day on;
- product content enrichment in Home, ``end - HOME_ENRICHMENT_DAYS``: Home's product view → add
  to cart rate × (1 + HOME_ENRICHMENT_LIFT) from that day on (the overall funnel moves with it,
  by Home's share of product views) and Home's content completeness steps up;
- an outage, ``end - OUTAGE_DAYS`` (moved two weeks earlier if that lands in Cyber Week or at
  Christmas): sessions × OUTAGE_SESSIONS_FACTOR that day.

Each planted event has a done initiative in the loaded demo whose shipped date is the event's
day and whose expected lift is set on the metric it moved. load_demo() writes the data up to the
day before ``today`` together with a team of seven, the current quarter's OKRs (start values
read from the previous quarter of the generated data), about 25 initiatives in every status with
their status history, KR check-ins, decisions and audit events.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import Connection, Engine, MetaData, func, select, text
from sqlmodel import Session, SQLModel, col

from planning.config import AppConfig
from planning.config.metrics import MetricsConfig
from planning.config.scoring import Framework, ScoringInput
from planning.metrics.observations import (
    OBSERVATION_COLUMNS,
    dims_key,
    record_batch,
    upsert_observations,
)
from planning.periods import (
    format_quarter,
    iso_week,
    parse_quarter,
    previous_quarter,
    quarter_bounds,
    quarter_of,
)
from planning.store.engine import PLAN, bump_version, session_scope
from planning.store.models import (
    AuditEvent,
    CheckIn,
    Decision,
    Direction,
    GuardrailRule,
    Health,
    ImportBatch,
    Initiative,
    InitiativeKeyResult,
    InitiativeStatus,
    KeyResult,
    KrKind,
    Objective,
    Person,
    Role,
    StatusUpdate,
    TimeOff,
    WeeklyPlan,
    Window,
    utcnow,
)

# --- planted events ----------------------------------------------------------------------------

CHECKOUT_REDESIGN_DAYS = 70
CHECKOUT_REDESIGN_LIFT = 0.08
FREE_SHIPPING_DAYS = 100
FREE_SHIPPING_LIFT = 0.05
HOME_ENRICHMENT_DAYS = 45
HOME_ENRICHMENT_LIFT = 0.10
OUTAGE_DAYS = 20
OUTAGE_SESSIONS_FACTOR = 0.2

# --- profile -----------------------------------------------------------------------------------

SESSIONS_PER_DAY = 22_000  # mean over the last year, before event days
CONVERSION = 0.023
AOV = 95.0
GROWTH_PER_YEAR = 0.12
DAILY_NOISE = 0.06
PEAK_DAY_NOISE = 0.02  # Cyber Week days
UNITS_PER_ORDER = 1.6

WEEKDAY_FACTORS = (1.08, 1.03, 1.00, 0.98, 0.93, 0.92, 1.05)  # Monday first
MONTH_FACTORS = (0.82, 0.85, 0.95, 0.96, 0.97, 0.98, 1.03, 0.99, 0.96, 1.00, 1.35, 1.30)
DECEMBER_FALL_FROM = 20  # December's factor falls after this day ...
DECEMBER_LAST_FACTOR = 0.90  # ... to this on 31 December

# Days around Black Friday (offset 0, the day after the fourth Thursday of November):
# offset -> (sessions factor, conversion factor). Offset 3 is Cyber Monday.
CYBER_WEEK: dict[int, tuple[float, float]] = {
    -1: (1.3, 1.1),
    0: (2.5, 1.5),
    1: (1.6, 1.2),
    2: (1.7, 1.2),
    3: (2.8, 1.6),
    4: (1.3, 1.1),
}
CYBER_WEEK_AOV_FACTOR = 0.95
CYBER_WEEK_MARGIN_POINTS = -0.05  # deeper discounts that week

# channel: (share of sessions, conversion, mobile share of its sessions, AOV factor)
CHANNELS: dict[str, tuple[float, float, float, float]] = {
    "organic": (0.30, 0.024, 0.68, 1.00),
    "direct": (0.20, 0.028, 0.58, 1.05),
    "paid_search": (0.18, 0.022, 0.66, 0.98),
    "paid_social": (0.10, 0.012, 0.85, 0.90),
    "email": (0.08, 0.045, 0.70, 1.02),
    "affiliate": (0.10, 0.020, 0.62, 0.95),
    "social": (0.04, 0.009, 0.88, 0.90),
}
DEVICES = ("mobile", "desktop")
# Funnel step rates by device (product view / session, add to cart / view, checkout / cart,
# purchase / checkout): their products give mobile ~1.7 % and desktop ~3.0 % conversion.
DEVICE_STEPS = {"mobile": (0.49, 0.17, 0.45, 0.45), "desktop": (0.52, 0.20, 0.56, 0.515)}
DEVICE_AOV = {"mobile": 93.0, "desktop": 127.0}  # relative; scaled so the blend is AOV
# How a cell's conversion difference from its device's is spread over the four steps.
STEP_EXPONENTS = (0.2, 0.4, 0.2, 0.2)

# line: (revenue share, gross margin, share of product views, add-to-cart factor,
#        share of units, required attributes on top SKUs, completeness offset)
PRODUCT_LINES: dict[str, tuple[float, float, float, float, float, int, float]] = {
    "Apparel": (0.30, 0.60, 0.30, 1.05, 0.33, 6400, 0.04),
    "Footwear": (0.15, 0.50, 0.14, 0.95, 0.09, 3600, 0.02),
    "Home": (0.18, 0.38, 0.16, 0.85, 0.15, 4800, -0.08),
    "Beauty": (0.10, 0.63, 0.12, 1.15, 0.18, 3000, 0.03),
    "Electronics": (0.15, 0.20, 0.14, 0.75, 0.05, 4200, -0.03),
    "Accessories": (0.12, 0.62, 0.14, 1.10, 0.20, 2400, 0.02),
}
HOME_COMPLETENESS_STEP = 0.12
COMPLETENESS_AT_DATA_START = 0.60
COMPLETENESS_AT_QUARTER_START = 0.72
COMPLETENESS_AT_END = 0.84

ORGANIC_CTR = {"mobile": 0.031, "desktop": 0.042}
ORGANIC_POSITION = {"mobile": 12.4, "desktop": 10.8}
CAMPAIGN_LIST_SIZE = 95_000
CAMPAIGN_REVENUE_PER_RECIPIENT = 0.10
FLOW_RECIPIENTS_PER_DAY = 3_600
FLOW_REVENUE_PER_RECIPIENT = 0.90
ON_TIME_BEFORE_QUARTER = 0.78
ON_TIME_AT_END = 0.86

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class PlantedEvent:
    """A change planted in the demo data: what it is, its first day, the metric it moved."""

    key: str
    label: str
    day: date
    metric_id: str | None
    lift_pct: float | None


def black_friday(year: int) -> date:
    """The day after the fourth Thursday of November."""
    first = date(year, 11, 1)
    first_thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + timedelta(days=22)


def _in_cyber_week_or_christmas(day: date) -> bool:
    offset = (day - black_friday(day.year)).days
    return min(CYBER_WEEK) <= offset <= max(CYBER_WEEK) or (day.month == 12 and day.day >= 20)


def planted_events(end: date) -> list[PlantedEvent]:
    """The planted events of a data set ending on `end`, in date order."""
    outage = end - timedelta(days=OUTAGE_DAYS)
    if _in_cyber_week_or_christmas(outage):
        outage -= timedelta(days=14)
    events = [
        PlantedEvent(
            "free_shipping",
            "Free-shipping threshold test",
            end - timedelta(days=FREE_SHIPPING_DAYS),
            "aov",
            FREE_SHIPPING_LIFT,
        ),
        PlantedEvent(
            "checkout_redesign",
            "Checkout redesign",
            end - timedelta(days=CHECKOUT_REDESIGN_DAYS),
            "checkout_completion_rate",
            CHECKOUT_REDESIGN_LIFT,
        ),
        PlantedEvent(
            "home_enrichment",
            "Product content enrichment in Home",
            end - timedelta(days=HOME_ENRICHMENT_DAYS),
            "line_add_to_cart_rate",
            HOME_ENRICHMENT_LIFT,
        ),
        PlantedEvent("outage", "Site outage", outage, None, None),
    ]
    return sorted(events, key=lambda e: e.day)


def _first_day(end: date, years: int) -> date:
    try:
        back = end.replace(year=end.year - years)
    except ValueError:  # 29 February
        back = end.replace(year=end.year - years, day=28)
    return back + timedelta(days=1)


# --- generation --------------------------------------------------------------------------------


class _Frames:
    """Collects generated measures as (days × series) arrays and flattens them into rows."""

    def __init__(self, config: MetricsConfig, days: npt.NDArray[np.datetime64]) -> None:
        self.config = config
        self.days = days.astype(object)
        self.parts: list[tuple[str, list[str], FloatArray]] = []

    def add(
        self, measure: str, dims: Sequence[Mapping[str, str]], values: FloatArray, decimals: int
    ) -> None:
        declared = self.config.measures.get(measure)
        if declared is None:
            return
        names = sorted(dims[0]) if dims else []
        if names != sorted(declared.dimensions):
            return
        for name in names:
            allowed = set(self.config.dimensions[name].values)
            if any(d[name] not in allowed for d in dims):
                return
        values = values.reshape(len(self.days), -1)
        self.parts.append(
            (measure, [dims_key(d) for d in dims] or [""], np.round(values, decimals))
        )

    def frame(self) -> pd.DataFrame:
        n = len(self.days)
        measures, keys, days, values = [], [], [], []
        for measure, series_keys, block in self.parts:
            width = len(series_keys)
            measures.append(np.full(n * width, measure, dtype=object))
            keys.append(np.tile(np.asarray(series_keys, dtype=object), n))
            days.append(np.repeat(self.days, width))
            values.append(block.ravel())
        if not self.parts:
            return pd.DataFrame({c: [] for c in OBSERVATION_COLUMNS})
        return pd.DataFrame(
            {
                "measure": np.concatenate(measures),
                "day": np.concatenate(days),
                "dims_key": np.concatenate(keys),
                "value": np.concatenate(values).astype(float),
            }
        )


def _lognormal(
    rng: np.random.Generator, sigma: float | FloatArray, shape: tuple[int, ...]
) -> FloatArray:
    # Mean-one multiplicative noise.
    return np.exp(rng.normal(-0.5 * np.square(sigma), sigma, shape))


def _split_whole(total: FloatArray, weights: FloatArray) -> FloatArray:
    """Split whole-number daily totals over columns by weights; column 0 takes the rounding."""
    shares = weights / weights.sum(axis=1, keepdims=True)
    parts = np.round(total[:, None] * shares)
    parts[:, 0] = total - parts[:, 1:].sum(axis=1)
    return parts


def generate_observations(
    *,
    config: MetricsConfig,
    seed: int,
    end: date,
    years: int = 3,
    fiscal_start_month: int = 1,
) -> pd.DataFrame:
    """Daily demo observations (measure, day, dims_key, value) for `years` years ending on `end`.

    Every measure of the profile that `config` declares with the profile's dimensions is
    generated at every combination of the profile's dimension values (all those of the shipped
    metrics.yaml); measures the profile does not know are left out. The same seed and end
    always give the same frame.
    """
    if years < 1:
        raise ValueError(f"years must be at least 1, got {years}")
    rng = np.random.default_rng([seed & 0xFFFF_FFFF_FFFF_FFFF, end.toordinal()])
    first = _first_day(end, years)
    days = np.arange(np.datetime64(first, "D"), np.datetime64(end, "D") + 1, dtype="datetime64[D]")
    n = len(days)
    index = np.arange(n)
    months = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day_of_month = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    years_back = (days - np.datetime64(end, "D")).astype(np.int64) / 365.25  # <= 0
    events = {e.key: (e.day - first).days for e in planted_events(end)}
    after = {key: index >= offset for key, offset in events.items()}

    # Calendar shape of traffic.
    month_factor = np.asarray(MONTH_FACTORS)[months - 1]
    late_december = (months == 12) & (day_of_month > DECEMBER_FALL_FROM)
    fall = (day_of_month - DECEMBER_FALL_FROM) / (31 - DECEMBER_FALL_FROM)
    month_factor = np.where(
        late_december,
        MONTH_FACTORS[11] + fall * (DECEMBER_LAST_FACTOR - MONTH_FACTORS[11]),
        month_factor,
    )
    seasonal = np.asarray(WEEKDAY_FACTORS)[weekday] * month_factor
    growth = (1 + GROWTH_PER_YEAR) ** years_back
    last_year = index > n - 366
    level = SESSIONS_PER_DAY / float(np.mean((seasonal * growth)[last_year]))

    event_sessions = np.ones(n)
    event_conversion = np.ones(n)
    cyber_week = np.zeros(n, dtype=bool)
    for year in range(first.year, end.year + 1):
        friday = (black_friday(year) - first).days
        for offset, (s_factor, c_factor) in CYBER_WEEK.items():
            i = friday + offset
            if 0 <= i < n:
                event_sessions[i] = s_factor
                event_conversion[i] = c_factor
                cyber_week[i] = True
    outage = np.zeros(n)
    if 0 <= events["outage"] < n:
        outage[events["outage"]] = 1.0
    event_sessions = event_sessions * np.where(outage > 0, OUTAGE_SESSIONS_FACTOR, 1.0)

    # Peak days are planned for and steadier than ordinary days, so Cyber Monday stays on top.
    day_noise = _lognormal(rng, np.where(cyber_week, PEAK_DAY_NOISE, DAILY_NOISE), (n,))
    total_sessions = level * seasonal * growth * event_sessions * day_noise

    # Channel × device cells.
    channels = list(CHANNELS)
    share = np.asarray([CHANNELS[c][0] for c in channels])
    ch_conv = np.asarray([CHANNELS[c][1] for c in channels])
    mobile = np.asarray([CHANNELS[c][2] for c in channels])
    ch_aov = np.asarray([CHANNELS[c][3] for c in channels])
    mix = np.stack([mobile, 1 - mobile], axis=1)  # (C, D)
    dev_conv = np.asarray([math.prod(DEVICE_STEPS[d]) for d in DEVICES])
    dev_steps = np.asarray([DEVICE_STEPS[d] for d in DEVICES])  # (D, 4)
    # Conversion of each cell: the channel's conversion, split over devices in the ratio of
    # the devices' conversions, scaled so the whole site converts at CONVERSION.
    scale = CONVERSION / float(share @ ch_conv)
    cell_conv = scale * ch_conv[:, None] * dev_conv[None, :] / (mix @ dev_conv)[:, None]  # (C, D)
    q = cell_conv / dev_conv[None, :]
    steps = dev_steps[None, :, :] * q[:, :, None] ** np.asarray(STEP_EXPONENTS)  # (C, D, 4)

    cell_weight = share[:, None] * mix
    sessions = np.round(
        total_sessions[:, None, None] * cell_weight[None] * _lognormal(rng, 0.03, (n, *mix.shape))
    )

    lines = list(PRODUCT_LINES)
    view_share = np.asarray([PRODUCT_LINES[x][2] for x in lines])
    line_atc = np.tile(np.asarray([PRODUCT_LINES[x][3] for x in lines]), (n, 1))
    home = lines.index("Home")
    line_atc[after["home_enrichment"], home] *= 1 + HOME_ENRICHMENT_LIFT
    home_lift = (line_atc @ view_share) / float(line_atc[0] @ view_share)  # overall cart lift

    conv_split = event_conversion[:, None, None]
    p_view = steps[None, :, :, 0] * np.ones((n, 1, 1))
    p_cart = (
        steps[None, :, :, 1]
        * (conv_split**0.5)
        * home_lift[:, None, None]
        * _lognormal(rng, 0.03, sessions.shape)
    )
    p_checkout = steps[None, :, :, 2] * conv_split**0.5 * _lognormal(rng, 0.02, sessions.shape)
    redesign = np.where(after["checkout_redesign"], 1 + CHECKOUT_REDESIGN_LIFT, 1.0)
    p_buy = steps[None, :, :, 3] * redesign[:, None, None]

    def draw(counts: FloatArray, rate: FloatArray) -> FloatArray:
        whole = counts.astype(np.int64)
        return rng.binomial(whole, np.clip(rate, 0.0, 1.0)).astype(float)

    product_views = draw(sessions, p_view)
    carts = draw(product_views, p_cart)
    checkouts = draw(carts, p_checkout)
    orders = draw(checkouts, p_buy)

    dev_aov = np.asarray([DEVICE_AOV[d] for d in DEVICES])
    base_orders = cell_weight * cell_conv
    aov_scale = AOV / float(
        (base_orders * ch_aov[:, None] * dev_aov[None, :]).sum() / base_orders.sum()
    )
    aov_time = (
        np.where(cyber_week, CYBER_WEEK_AOV_FACTOR, 1.0)
        * np.where(after["free_shipping"], 1 + FREE_SHIPPING_LIFT, 1.0)
        * 1.02**years_back
    )
    cell_aov = aov_scale * ch_aov[:, None] * dev_aov[None, :]
    revenue = np.round(
        orders * cell_aov[None] * aov_time[:, None, None] * _lognormal(rng, 0.05, orders.shape), 2
    )

    frames = _Frames(config, days)
    cells = [{"channel": c, "device": d} for c in channels for d in DEVICES]
    for measure, block in (
        ("sessions", sessions),
        ("product_view_sessions", product_views),
        ("add_to_cart_sessions", carts),
        ("checkout_sessions", checkouts),
        ("orders", orders),
    ):
        frames.add(measure, cells, block, 0)
    frames.add("net_revenue", cells, revenue, 2)

    # Product lines: split the day's totals so the lines add up to the whole site.
    line_dims = [{"product_line": x} for x in lines]
    total_views = product_views.sum(axis=(1, 2))
    total_carts = carts.sum(axis=(1, 2))
    line_views = _split_whole(
        total_views, view_share[None, :] * _lognormal(rng, 0.03, (n, len(lines)))
    )
    cart_weight = np.maximum(line_views, 1.0) * line_atc
    line_carts = np.minimum(_split_whole(total_carts, cart_weight), line_views)
    frames.add("line_product_view_sessions", line_dims, line_views, 0)
    frames.add("line_add_to_cart_sessions", line_dims, line_carts, 0)

    rev_share = np.tile(np.asarray([PRODUCT_LINES[x][0] for x in lines]), (n, 1))
    holiday = months >= 11
    rev_share[holiday, lines.index("Electronics")] *= 1.3
    rev_share[after["home_enrichment"], home] *= 1 + HOME_ENRICHMENT_LIFT * 0.8
    rev_share = rev_share * _lognormal(rng, 0.02, rev_share.shape)
    rev_share /= rev_share.sum(axis=1, keepdims=True)
    line_revenue = np.round(revenue.sum(axis=(1, 2))[:, None] * rev_share, 2)
    margin = np.asarray([PRODUCT_LINES[x][1] for x in lines])[None, :] + rng.normal(
        0, 0.012, (n, len(lines))
    )
    margin += np.where(cyber_week, CYBER_WEEK_MARGIN_POINTS, 0.0)[:, None]
    margin += np.where((months == 12) & ~late_december & ~cyber_week, -0.02, 0.0)[:, None]
    line_cogs = np.round(line_revenue * (1 - margin), 2)
    frames.add("line_net_revenue", line_dims, line_revenue, 2)
    frames.add("line_cogs", line_dims, line_cogs, 2)

    upo = (
        UNITS_PER_ORDER
        * np.where(cyber_week, 1.09, 1.0)
        * np.where(after["free_shipping"], 1.03, 1.0)
        * _lognormal(rng, 0.02, (n,))
    )
    total_units = np.round(orders.sum(axis=(1, 2)) * upo)
    unit_share = np.asarray([PRODUCT_LINES[x][4] for x in lines])[None, :]
    units = _split_whole(total_units, unit_share * _lognormal(rng, 0.03, (n, len(lines))))
    frames.add("units", line_dims, units, 0)

    # Organic search by device, from the organic channel's sessions.
    device_dims = [{"device": d} for d in DEVICES]
    organic_sessions = sessions[:, channels.index("organic"), :]
    clicks = np.round(organic_sessions * 1.03 * _lognormal(rng, 0.03, organic_sessions.shape))
    ctr = np.asarray([ORGANIC_CTR[d] for d in DEVICES])[None, :] * (1.05**years_back)[:, None]
    impressions = np.round(clicks / (ctr * _lognormal(rng, 0.04, clicks.shape)))
    position = (
        np.asarray([ORGANIC_POSITION[d] for d in DEVICES])[None, :]
        - 0.6 * years_back[:, None]
        + rng.normal(0, 0.25, clicks.shape)
    )
    frames.add("organic_impressions", device_dims, impressions, 0)
    frames.add("organic_clicks", device_dims, clicks, 0)
    frames.add("organic_avg_position", device_dims, np.maximum(position, 1.0), 2)

    # Email: campaigns on send days (more of them before Christmas), flows every day.
    email_dims = [{"email_type": t} for t in ("campaign", "flow")]
    peak_sends = ((months == 11) & (day_of_month >= 15)) | ((months == 12) & (day_of_month <= 22))
    send_day = np.isin(weekday, (1, 3, 5)) | (peak_sends & np.isin(weekday, (0, 4)))
    campaign_recipients = np.where(
        send_day, np.round(CAMPAIGN_LIST_SIZE * 1.10**years_back * _lognormal(rng, 0.05, (n,))), 0.0
    )
    season = month_factor / float(np.mean(MONTH_FACTORS))
    campaign_revenue = np.round(
        campaign_recipients
        * CAMPAIGN_REVENUE_PER_RECIPIENT
        * season
        * np.where(cyber_week, 2.0, 1.0)
        * _lognormal(rng, 0.15, (n,)),
        2,
    )
    flow_recipients = np.round(
        FLOW_RECIPIENTS_PER_DAY * growth * month_factor * _lognormal(rng, 0.08, (n,))
    )
    flow_revenue = np.round(
        flow_recipients * FLOW_REVENUE_PER_RECIPIENT * _lognormal(rng, 0.12, (n,)), 2
    )
    frames.add(
        "email_recipients", email_dims, np.stack([campaign_recipients, flow_recipients], 1), 0
    )
    frames.add("email_revenue", email_dims, np.stack([campaign_revenue, flow_revenue], 1), 2)

    # Content: completeness of top SKUs' attributes and on-time publishing.
    quarter_start, _ = quarter_bounds(quarter_of(end, fiscal_start_month), fiscal_start_month)
    q_index = max((quarter_start - first).days, 1)
    ramp = np.where(
        index < q_index,
        COMPLETENESS_AT_DATA_START
        + (COMPLETENESS_AT_QUARTER_START - COMPLETENESS_AT_DATA_START) * index / q_index,
        COMPLETENESS_AT_QUARTER_START
        + (COMPLETENESS_AT_END - COMPLETENESS_AT_QUARTER_START)
        * (index - q_index)
        / max(n - 1 - q_index, 1),
    )
    required = np.tile(np.asarray([PRODUCT_LINES[x][5] for x in lines], dtype=float), (n, 1))
    template_change = rng.integers(0, max(n - 180, 1), len(lines))
    required *= np.where(index[:, None] >= template_change[None, :], 1.04, 1.0)
    required = np.round(required)
    line_offset = np.tile(np.asarray([PRODUCT_LINES[x][6] for x in lines]), (n, 1))
    line_offset[after["home_enrichment"], home] += HOME_COMPLETENESS_STEP
    noise = rng.normal(0, 0.002, line_offset.shape)
    filled_share = np.clip(ramp[:, None] + line_offset + noise, 0, 1)
    frames.add("content_required_attributes", line_dims, required, 0)
    frames.add("content_filled_attributes", line_dims, np.round(required * filled_share), 0)

    due = rng.poisson(np.where(weekday < 5, 7.0, 1.0)).astype(float)
    on_time_rate = np.where(
        index < q_index,
        ON_TIME_BEFORE_QUARTER,
        ON_TIME_BEFORE_QUARTER
        + (ON_TIME_AT_END - ON_TIME_BEFORE_QUARTER) * (index - q_index) / max(n - 1 - q_index, 1),
    )
    on_time = rng.binomial(due.astype(np.int64), on_time_rate).astype(float)
    frames.add("content_items_due", [], due, 0)
    frames.add("content_items_on_time", [], on_time, 0)
    return frames.frame()


# --- reading the generated data back -----------------------------------------------------------


class _Sums:
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
class _PersonSpec:
    key: str
    name: str
    role: Role
    title: str
    weekly_hours: float
    bau_share: float


TEAM = (
    _PersonSpec("maya", "Maya Lindqvist", Role.director, "Director of Ecommerce", 40, 0.5),
    _PersonSpec("tom", "Tom Okafor", Role.member, "SEO & content lead", 40, 0.3),
    _PersonSpec("priya", "Priya Raman", Role.member, "CRO/UX lead", 40, 0.25),
    _PersonSpec("lucas", "Lucas Moreau", Role.member, "CRM & email lead", 32, 0.35),
    _PersonSpec("ana", "Ana Souza", Role.member, "Merchandising lead", 40, 0.4),
    _PersonSpec("jonas", "Jonas Becker", Role.member, "Ecommerce analyst", 40, 0.45),
    _PersonSpec("helen", "Helen Carter", Role.stakeholder, "CFO", 0, 0.0),
)
EMAIL_DOMAIN = "northwind.example"


# --- goals -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _KrSpec:
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
}


def _round_to(value: float, digits: int) -> float:
    return float(round(value, digits))


def _kr_specs(sums: _Sums, period: str, fiscal_start_month: int) -> list[_KrSpec]:
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
        _KrSpec(
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
        _KrSpec(
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
        _KrSpec(
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
        _KrSpec(
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
        _KrSpec(
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
        _KrSpec(
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
        _KrSpec(
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
        _KrSpec(
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
        _KrSpec(
            key="net_revenue",
            objective="basket",
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
        _KrSpec(
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
        _KrSpec(
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
        _KrSpec(
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
        _KrSpec(
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
        _KrSpec(
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


# --- initiatives -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Step:
    """One status update: its day, status, health, % complete and note."""

    day: date
    status: InitiativeStatus
    health: Health
    percent: int
    note: str


@dataclass(frozen=True)
class _InitiativeSpec:
    key: str
    title: str
    description: str
    owner: str
    effort_weeks: float
    krs: tuple[str, ...]
    history: tuple[_Step, ...]
    start: date | None = None
    target: date | None = None
    shipped: date | None = None
    lift: tuple[str, float] | None = None
    value: float = 0.5  # 0–1: how much it is expected to move its KRs
    confidence: float = 0.5  # 0–1: how sure the team is of that
    urgency: float = 0.5  # 0–1: how much waiting costs
    reach: int = 10_000  # customers per quarter it touches


def _steps(anchor: date, table: str) -> tuple[_Step, ...]:
    """Status updates from a table: days from the anchor, status, health, % complete, note."""
    steps = []
    for line in table.strip().splitlines():
        days, status, health, percent, note = line.split(maxsplit=4)
        steps.append(
            _Step(
                anchor + timedelta(days=int(days)),
                InitiativeStatus(status),
                Health(health),
                int(percent),
                note,
            )
        )
    return tuple(steps)


def _initiative_specs(events: Mapping[str, date], today: date) -> list[_InitiativeSpec]:
    """About 25 initiatives in every status; the planted events' ones ship on the event days."""

    def on(days: int, anchor: date = today) -> date:
        return anchor + timedelta(days=days)

    cr, fs, he = events["checkout_redesign"], events["free_shipping"], events["home_enrichment"]
    # Tables of status updates, newest last; `-9` is nine days before the anchor (today unless
    # the initiative ships a planted event). Some active ones are stale on purpose.
    return [
        _InitiativeSpec(
            key="checkout_redesign",
            title="One-page checkout redesign",
            description="Collapse the four checkout steps into one page with inline "
            "validation and saved addresses.",
            owner="priya",
            effort_weeks=3,
            krs=("conversion", "completion", "mobile_abandonment"),
            start=on(-56, cr),
            target=on(-7, cr),
            shipped=cr,
            lift=("checkout_completion_rate", CHECKOUT_REDESIGN_LIFT),
            value=0.9,
            confidence=0.8,
            urgency=0.7,
            reach=160_000,
            history=_steps(
                cr,
                """
-60 planned     on_track   0 Scoped with engineering: one page, inline validation, saved addresses.
-50 in_progress on_track  20 Design signed off; build started behind a feature flag.
-30 in_progress at_risk   55 Hosted payment fields need a new integration: a week late.
-14 in_progress on_track  85 A/B test live on half the traffic.
0   done        on_track 100 Rolled out to all traffic after the A/B test held its lift.
""",
            ),
        ),
        _InitiativeSpec(
            key="home_enrichment",
            title="Product page enrichment for Home (PIM/DAM)",
            description="Fill missing attributes, dimensions and lifestyle imagery for the "
            "top Home SKUs through the PIM and DAM.",
            owner="tom",
            effort_weeks=2,
            krs=("completeness", "conversion"),
            start=on(-42, he),
            target=on(-3, he),
            shipped=he,
            lift=("line_add_to_cart_rate", HOME_ENRICHMENT_LIFT),
            value=0.7,
            confidence=0.8,
            urgency=0.5,
            reach=60_000,
            history=_steps(
                he,
                """
-45 planned     on_track   0 Top 400 Home SKUs picked; attribute gaps listed from the PIM export.
-35 in_progress on_track  25 Copywriters on dimensions and care; studio booked for lifestyle shots.
-18 in_progress at_risk   60 Imagery late from the studio; text ahead of plan.
0   done        on_track 100 All top Home SKUs enriched and published.
""",
            ),
        ),
        _InitiativeSpec(
            key="free_shipping",
            title="Free-shipping threshold with a progress bar",
            description="Raise the free-shipping threshold and show shoppers how close they "
            "are in the cart and mini-cart.",
            owner="ana",
            effort_weeks=0.5,
            krs=("aov", "units_per_order"),
            start=on(-20, fs),
            target=on(-2, fs),
            shipped=fs,
            lift=("aov", FREE_SHIPPING_LIFT),
            value=0.6,
            confidence=0.8,
            urgency=0.6,
            reach=150_000,
            history=_steps(
                fs,
                """
-24 planned     on_track   0 Threshold modelled with finance: shipping cost per order stays flat.
-12 in_progress on_track  50 Progress bar built for cart and mini-cart.
0   done        on_track 100 Threshold test live for all visitors.
""",
            ),
        ),
        _InitiativeSpec(
            key="full_cost_early",
            title="Show full delivery cost early",
            description="Show delivery cost and date on product pages and in the cart, "
            "before checkout.",
            owner="priya",
            effort_weeks=0.5,
            krs=("mobile_abandonment", "conversion"),
            start=on(-45),
            target=on(-30),
            shipped=on(-32),
            lift=("conversion_rate", 0.02),
            value=0.5,
            confidence=0.8,
            urgency=0.5,
            reach=120_000,
            history=_steps(
                today,
                """
-47 planned     on_track   0 The carrier's delivery estimate API is available.
-40 in_progress on_track  40 Estimate shown on product pages; cart next.
-32 done        on_track 100 Live on product pages and in the cart.
""",
            ),
        ),
        _InitiativeSpec(
            key="abandonment_emails",
            title="Cart and browse abandonment emails",
            description="Triggered emails for carts left for an hour and product views left "
            "for a day.",
            owner="lucas",
            effort_weeks=0.5,
            krs=("net_revenue",),
            start=on(-80),
            target=on(-60),
            shipped=on(-58),
            lift=("email_revenue_per_recipient", 0.06),
            value=0.6,
            confidence=0.8,
            urgency=0.5,
            reach=40_000,
            history=_steps(
                today,
                """
-82 planned     on_track   0 Triggers agreed: cart after one hour, browse after a day.
-70 in_progress on_track  50 Templates built; consent check passed review.
-58 done        on_track 100 Both flows live; revenue tracked in the email report.
""",
            ),
        ),
        _InitiativeSpec(
            key="welcome_flows",
            title="Welcome and post-purchase flows",
            description="A three-email welcome series and a post-purchase flow with care "
            "tips and review requests.",
            owner="lucas",
            effort_weeks=1,
            krs=("net_revenue",),
            start=on(-130),
            target=on(-100),
            shipped=on(-104),
            lift=("email_revenue_per_recipient", 0.04),
            value=0.5,
            confidence=0.8,
            urgency=0.4,
            reach=35_000,
            history=_steps(
                today,
                """
-132 planned     on_track   0 Journeys mapped with customer service.
-118 in_progress on_track  45 Welcome series written; post-purchase flow in design.
-104 done        on_track 100 Both flows live.
""",
            ),
        ),
        _InitiativeSpec(
            key="guest_checkout",
            title="Guest checkout by default",
            description="Let shoppers buy without an account; offer one on the confirmation page.",
            owner="priya",
            effort_weeks=0.5,
            krs=("mobile_abandonment", "completion"),
            start=on(-20),
            target=on(10),
            lift=("conversion_rate", 0.03),
            value=0.6,
            confidence=0.8,
            urgency=0.7,
            reach=140_000,
            history=_steps(
                today,
                """
-22 planned     on_track   0 Legal agreed to guest orders with an account offered after purchase.
-15 in_progress on_track  30 Guest path built; account prompt moved to the confirmation page.
-3  in_progress on_track  70 In QA on mobile; release planned next week.
""",
            ),
        ),
        _InitiativeSpec(
            key="page_speed",
            title="Page speed: image CDN and script diet",
            description="Serve images from a CDN in modern formats and remove unused tags "
            "and scripts.",
            owner="jonas",
            effort_weeks=2,
            krs=("conversion", "organic_sessions"),
            start=on(-35),
            target=on(21),
            lift=("conversion_rate", 0.02),
            value=0.6,
            confidence=0.5,
            urgency=0.6,
            reach=200_000,
            history=_steps(
                today,
                """
-38 planned     on_track   0 Baseline: mobile LCP 3.4 s on product pages.
-28 in_progress on_track  20 Image CDN live on product listing pages.
-9  in_progress at_risk   45 Tag clean-up waits on marketing's sign-off to remove three tags.
""",
            ),
        ),
        _InitiativeSpec(
            key="seo_hub",
            title="SEO content hub",
            description="Twelve topic hubs with buying guides, linked from category pages.",
            owner="tom",
            effort_weeks=3.5,
            krs=("organic_sessions",),
            start=on(-50),
            target=on(40),
            lift=("sessions", 0.04),
            value=0.7,
            confidence=0.5,
            urgency=0.4,
            reach=250_000,
            history=_steps(
                today,
                """
-52 planned     on_track   0 Topic clusters chosen from keyword research: 12 hubs, 80 articles.
-38 in_progress on_track  15 Hub template live; first two hubs in writing.
-20 in_progress on_track  30 Four hubs published; internal links from category pages added.
-4  in_progress at_risk   40 Freelance writing capacity halved; six hubs at risk this quarter.
""",
            ),
        ),
        _InitiativeSpec(
            key="publishing_workflow",
            title="Publishing workflow with automated QA",
            description="Due dates, review states and automated checks for links, alt text "
            "and spelling in the CMS.",
            owner="tom",
            effort_weeks=2,
            krs=("on_time", "qa_defects"),
            start=on(-40),
            target=on(14),
            lift=("on_time_publishing_rate", 0.10),
            value=0.5,
            confidence=0.8,
            urgency=0.6,
            reach=5_000,
            history=_steps(
                today,
                """
-42 planned     on_track   0 Workflow states agreed with the content team.
-30 in_progress on_track  25 Workflow states and due dates set up in the CMS.
-16 in_progress on_track  45 Automated checks for broken links and missing alt text running.
-5  in_progress at_risk   55 Spell-check integration fails on product names; vendor ticket open.
""",
            ),
        ),
        _InitiativeSpec(
            key="recommendations",
            title="Recommendations and bundles on product pages",
            description="Bought-together and complete-the-look recommendations, piloted on "
            "Apparel.",
            owner="ana",
            effort_weeks=2,
            krs=("aov", "units_per_order"),
            start=on(-30),
            target=on(30),
            lift=("units_per_order", 0.06),
            value=0.7,
            confidence=0.5,
            urgency=0.5,
            reach=180_000,
            history=_steps(
                today,
                """
-32 planned     on_track   0 Vendor shortlist down to two; pilot on Apparel.
-24 in_progress on_track  15 Pilot contract signed; product feed connected.
-12 in_progress off_track 30 Feed sync drops a fifth of the SKUs; the vendor's fix has no date.
""",
            ),
        ),
        _InitiativeSpec(
            key="express_checkout",
            title="Express checkout with wallets",
            description="Apple Pay and Google Pay buttons on the cart and product pages.",
            owner="priya",
            effort_weeks=1.5,
            krs=("express_milestone", "completion", "conversion"),
            start=on(-25),
            target=on(25),
            lift=("checkout_completion_rate", 0.04),
            value=0.7,
            confidence=0.8,
            urgency=0.6,
            reach=150_000,
            history=_steps(
                today,
                """
-27 planned     on_track   0 The payment provider supports both wallets.
-18 in_progress on_track  20 Apple Pay domain verified; Google Pay in review.
-2  in_progress on_track  45 Wallet buttons on the cart page in staging.
""",
            ),
        ),
        _InitiativeSpec(
            key="margin_bidding",
            title="Margin-based bidding on paid search",
            description="Bid on gross profit instead of revenue by feeding SKU margins to "
            "the ad platform.",
            owner="jonas",
            effort_weeks=1.5,
            krs=("margin_guardrail", "home_margin"),
            start=on(-40),
            target=on(10),
            lift=("gross_margin_pct", 0.02),
            value=0.6,
            confidence=0.5,
            urgency=0.5,
            reach=90_000,
            history=_steps(
                today,
                """
-42 planned     on_track   0 Approach agreed with the agency.
-33 in_progress on_track  20 Margin per SKU joined to the product feed in a test account.
-16 blocked     off_track 35 Waiting for a weekly COGS file from finance; nobody owns it there yet.
""",
            ),
        ),
        _InitiativeSpec(
            key="structured_data",
            title="Structured data for product pages",
            description="Product, offer and review markup so search results show price and stars.",
            owner="tom",
            effort_weeks=0.5,
            krs=("organic_sessions",),
            start=on(-21),
            target=on(7),
            lift=("organic_ctr", 0.05),
            value=0.4,
            confidence=0.8,
            urgency=0.4,
            reach=100_000,
            history=_steps(
                today,
                """
-23 planned     on_track   0 Markup spec written.
-14 in_progress on_track  40 Product and offer markup validated in staging.
-6  blocked     at_risk   40 Releases frozen until the platform upgrade lands.
""",
            ),
        ),
        _InitiativeSpec(
            key="loyalty",
            title="Loyalty programme pilot",
            description="Points on orders and early access to sales for 5,000 customers.",
            owner="lucas",
            effort_weeks=4,
            krs=("net_revenue",),
            start=on(21),
            target=on(110),
            lift=("orders", 0.03),
            value=0.8,
            confidence=0.5,
            urgency=0.3,
            reach=80_000,
            history=_steps(
                today,
                """
-40 idea        on_track   0 Proposed after the customer survey: points and early access.
-11 planned     on_track   0 Business case approved by finance; the pilot starts next month.
""",
            ),
        ),
        _InitiativeSpec(
            key="site_search",
            title="Site search tuning",
            description="Synonyms, typo tolerance and merchandised results for the top 200 "
            "queries.",
            owner="ana",
            effort_weeks=1,
            krs=("conversion",),
            start=on(7),
            target=on(45),
            lift=("conversion_rate", 0.015),
            value=0.5,
            confidence=0.8,
            urgency=0.5,
            reach=90_000,
            history=_steps(
                today,
                """
-30 idea        on_track   0 Zero-result searches at 11 %; synonyms and typo tolerance fix most.
-6  planned     on_track   0 Scheduled once the recommendations pilot frees merchandising time.
""",
            ),
        ),
        _InitiativeSpec(
            key="home_margin_mix",
            title="Home range margin mix",
            description="Lead Home with own-brand textiles rather than branded small appliances.",
            owner="ana",
            effort_weeks=1,
            krs=("home_margin",),
            start=on(3),
            target=on(35),
            lift=("gross_margin_pct", 0.03),
            value=0.6,
            confidence=0.5,
            urgency=0.6,
            reach=60_000,
            history=_steps(
                today,
                """
-25 idea        on_track   0 Own-brand textiles earn twice the margin of small appliances.
-4  planned     on_track   0 Buying agreed the range list; merchandising rules ready next week.
""",
            ),
        ),
        _InitiativeSpec(
            key="sticky_cart",
            title="Mobile cart: sticky checkout button",
            description="Keep the checkout button in view while shoppers scroll the cart on "
            "phones.",
            owner="priya",
            effort_weeks=0.5,
            krs=("mobile_abandonment",),
            start=on(12),
            target=on(20),
            lift=("conversion_rate", 0.01),
            value=0.4,
            confidence=0.8,
            urgency=0.5,
            reach=100_000,
            history=_steps(
                today,
                """
-19 idea        on_track   0 Heatmaps show mobile shoppers scrolling past the checkout button.
-8  planned     on_track   0 Design ready; scheduled after guest checkout ships.
""",
            ),
        ),
        _InitiativeSpec(
            key="funnel_tracking",
            title="Checkout funnel instrumentation",
            description="Track validation and payment errors in checkout so failed sessions "
            "can be explained.",
            owner="jonas",
            effort_weeks=0.5,
            krs=("completion",),
            start=on(5),
            target=on(19),
            value=0.4,
            confidence=1.0,
            urgency=0.5,
            reach=1_000,
            history=_steps(
                today,
                """
-15 idea        on_track   0 Checkout errors are not tracked; we cannot see why sessions fail.
-7  planned     on_track   0 Event spec agreed with engineering.
""",
            ),
        ),
        _InitiativeSpec(
            key="bnpl",
            title="Buy now, pay later at checkout",
            description="Offer instalments through a payment provider on orders over $150.",
            owner="priya",
            effort_weeks=1,
            krs=("aov", "conversion"),
            lift=("aov", 0.03),
            value=0.5,
            confidence=0.5,
            urgency=0.3,
            reach=60_000,
            history=_steps(
                today,
                """
-33 idea        on_track   0 Two providers pitched; fees of 3–6 % of order value.
-13 idea        on_track   0 Scored in weekly planning; waiting for finance's view on fees.
""",
            ),
        ),
        _InitiativeSpec(
            key="beauty_howto",
            title="Shoppable how-to content for Beauty",
            description="Short how-to videos with tagged products on Beauty category pages.",
            owner="tom",
            effort_weeks=1.5,
            krs=("organic_sessions", "completeness"),
            lift=("sessions", 0.01),
            value=0.4,
            confidence=0.5,
            urgency=0.2,
            reach=40_000,
            history=_steps(
                today,
                """
-26 idea        on_track   0 A supplier offered footage for how-to videos.
-10 idea        on_track   0 Effort estimated with the studio: five person-weeks.
""",
            ),
        ),
        _InitiativeSpec(
            key="back_in_stock",
            title="Back-in-stock alerts",
            description="Let shoppers ask for an email when a sold-out product returns.",
            owner="lucas",
            effort_weeks=0.5,
            krs=("net_revenue",),
            lift=("email_revenue_per_recipient", 0.03),
            value=0.4,
            confidence=0.8,
            urgency=0.4,
            reach=20_000,
            history=_steps(
                today,
                """
-20 idea        on_track   0 Sold-out pages get 4 % of product views.
-9  idea        on_track   0 The email tool supports it; it needs an hourly stock feed.
""",
            ),
        ),
        _InitiativeSpec(
            key="home_bundles",
            title="Bundle builder for Home textiles",
            description="Build a bed set from sheets, covers and pillows at a bundle price.",
            owner="ana",
            effort_weeks=1,
            krs=("aov", "units_per_order"),
            lift=("units_per_order", 0.04),
            value=0.5,
            confidence=0.5,
            urgency=0.3,
            reach=50_000,
            history=_steps(
                today,
                """
-18 idea        on_track   0 A third of Home orders hold bed-set pieces bought separately.
-5  idea        on_track   0 Waits for the recommendations pilot's results.
""",
            ),
        ),
        _InitiativeSpec(
            key="marketplace",
            title="Marketplace expansion",
            description="List Electronics and Home on a large marketplace.",
            owner="maya",
            effort_weeks=5,
            krs=("net_revenue",),
            start=on(-60),
            target=on(60),
            lift=("net_revenue", 0.06),
            value=0.7,
            confidence=0.5,
            urgency=0.4,
            reach=300_000,
            history=_steps(
                today,
                """
-75 idea        on_track   0 Proposed by the board: reach marketplace shoppers.
-60 planned     on_track   0 Fee model and catalogue mapping scoped.
-34 dropped     off_track 10 Dropped: fees leave Electronics at a loss; revisit next year.
""",
            ),
        ),
        _InitiativeSpec(
            key="live_chat",
            title="Live chat in checkout",
            description="A chat window with customer service on the checkout page.",
            owner="jonas",
            effort_weeks=1,
            krs=("completion",),
            start=on(-90),
            target=on(-60),
            lift=("checkout_completion_rate", 0.02),
            value=0.3,
            confidence=0.5,
            urgency=0.3,
            reach=50_000,
            history=_steps(
                today,
                """
-92 planned     on_track   0 Test design agreed with customer service.
-85 in_progress on_track  30 Chat widget in an A/B test on checkout.
-62 dropped     on_track  60 Dropped: no lift on completion after four weeks; agent time is costly.
""",
            ),
        ),
    ]


def _fit(spec: ScoringInput, level: float) -> float:
    """A value on an input's scale for a level between 0 (lowest) and 1 (highest)."""
    level = min(max(level, 0.0), 1.0)
    if spec.scale:
        ordered = sorted(spec.scale)
        return float(ordered[round(level * (len(ordered) - 1))])
    low, high = float(spec.minimum or 0.0), float(spec.maximum or 0.0)
    value = low + level * (high - low)
    if low.is_integer() and high.is_integer() and high - low >= 2:
        return float(round(value))
    return round(value, 2)


def _clamp_to(spec: ScoringInput, value: float) -> float:
    """A raw estimate kept inside an input's bounds (or snapped to its nearest scale value)."""
    if spec.scale:
        return float(min(spec.scale, key=lambda allowed: abs(allowed - value)))
    low = spec.minimum if spec.minimum is not None else value
    high = spec.maximum if spec.maximum is not None else value
    return float(min(max(value, low), high))


def _scores(
    spec: _InitiativeSpec, frameworks: Mapping[str, Framework]
) -> dict[str, dict[str, float]]:
    """Inputs for every configured framework, each on that framework's own scale."""
    size = min(max((spec.effort_weeks - 1) / 15, 0.0), 1.0)  # 0 for a week, 1 for 16 weeks
    levels: dict[str, float] = {
        "confidence": spec.confidence,
        "ease": 1 - size,
        "time_criticality": spec.urgency,
        "risk_reduction": 0.2 + 0.5 * spec.urgency,
        "customer_experience": (spec.value + spec.confidence) / 2,
    }
    # RICE takes estimates in its own units: customers reached and a confidence. Its effort, like
    # WSJF's job size and ICE's ease, comes from the initiative's person-weeks (scoring.yaml).
    raw: dict[str, float] = {"reach": float(spec.reach), "confidence": spec.confidence}
    out: dict[str, dict[str, float]] = {}
    for framework_id, framework in frameworks.items():
        inputs: dict[str, float] = {}
        for input_id, input_spec in framework.inputs.items():
            if framework.formula == "rice" and input_id in raw:
                value = _clamp_to(input_spec, raw[input_id])
            else:
                value = _fit(input_spec, levels.get(input_id, spec.value))
            inputs[input_id] = int(value) if value.is_integer() else value
        out[framework_id] = inputs
    return out


# --- loading -----------------------------------------------------------------------------------


class DemoAlreadyLoaded(Exception):
    """The store already holds data, so the demo data set was not loaded."""


@dataclass(frozen=True)
class DemoSummary:
    """What load_demo() wrote."""

    period: str
    first_day: date
    last_day: date
    observations: int
    series: int
    people: int
    time_off: int
    objectives: int
    key_results: int
    check_ins: int
    initiatives: int
    status_updates: int
    decisions: int
    audit_events: int

    def counts(self) -> dict[str, int]:
        """The row counts alone, by kind of record."""
        return {k: v for k, v in asdict(self).items() if isinstance(v, int)}


# Tables whose rows survive a reset: the schema version, the calendar, and the data-version
# counters (they only move forward, so open pages notice that everything changed).
_KEPT_TABLES = frozenset({"alembic_version", "calendar_day", "store_state"})
_LOCK_KEY = 0x51_44_44_45  # PostgreSQL advisory lock serialising concurrent demo loads


def _stamp(day: date, hour: int, minute: int = 0) -> datetime:
    """A UTC timestamp at a time of day; on the current day, never later than now."""
    stamp = datetime.combine(day, time(hour % 24, minute), tzinfo=UTC)
    now = utcnow()
    return now if day == now.date() and stamp > now else stamp


def _content_tables(connection: Connection) -> list[Any]:
    meta = MetaData()
    meta.reflect(bind=connection)
    return [t for t in meta.sorted_tables if t.name not in _KEPT_TABLES]


def _refuse_if_not_empty(connection: Connection, tables: Sequence[Any]) -> None:
    held = [t.name for t in tables if connection.execute(select(t).limit(1)).first() is not None]
    if not held:
        return
    by_name = {t.name: t for t in tables}
    parts = []
    for name, label in (("person", "people"), ("observation", "observations")):
        if name in by_name:
            count = connection.execute(select(func.count()).select_from(by_name[name])).scalar()
            if count:
                parts.append(f"{count:,} {label}")
    what = ", ".join(parts) or "records in " + ", ".join(held)
    raise DemoAlreadyLoaded(
        f"the store already holds data ({what}); the demo data set only loads into an empty "
        "store or replaces everything on reset"
    )


def _checksum(frame: pd.DataFrame) -> str:
    hashed = pd.util.hash_pandas_object(frame.astype({"day": str}), index=False)
    return hashlib.sha256(hashed.to_numpy().tobytes()).hexdigest()


def load_demo(
    *, engine: Engine, config: AppConfig, seed: int, today: date, reset: bool = False
) -> DemoSummary:
    """Load the demo data set into the store in one transaction, data up to the day before today.

    Raises DemoAlreadyLoaded, writing nothing, when the store holds data and `reset` is false;
    with `reset` every record except the schema version, calendar and data-version counters is
    deleted first.
    """
    fiscal = config.settings.fiscal_year_start_month
    end = today - timedelta(days=1)
    frame = generate_observations(
        config=config.metrics,
        seed=seed,
        end=end,
        years=config.settings.demo.years,
        fiscal_start_month=fiscal,
    )
    events = {e.key: e.day for e in planted_events(end)}
    period = quarter_of(today, fiscal)
    with session_scope(engine) as session:
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        tables = _content_tables(connection)
        if reset:
            for table in reversed(tables):
                connection.execute(table.delete())
        else:
            _refuse_if_not_empty(connection, tables)

        people = _add_team(session, today)
        counts = upsert_observations(connection=connection, frame=frame)
        record_batch(
            session=session,
            actor=None,
            source="demo",
            filename=f"demo seed {seed}, {frame['day'].min()} to {end}",
            counts=counts,
            checksum=_checksum(frame),
        )
        krs, check_ins = _add_goals(
            session,
            people,
            _kr_specs(_Sums(frame), period, fiscal),
            period,
            quarter_bounds(period, fiscal)[0],
            today,
        )
        initiatives, updates = _add_initiatives(
            session, people, krs, _initiative_specs(events, today), config
        )
        decisions = _add_decisions(session, people, initiatives, events, today)
        session.flush()
        _add_last_weeks_plan(session, people, config, today)
        audit = _add_audit(session)
        bump_version(session, PLAN)
        session.flush()
        summary = DemoSummary(
            period=period,
            first_day=min(frame["day"]),
            last_day=end,
            observations=len(frame),
            series=int(frame[["measure", "dims_key"]].drop_duplicates().shape[0]),
            people=len(people),
            time_off=_count(session, TimeOff),
            objectives=_count(session, Objective),
            key_results=len(krs),
            check_ins=check_ins,
            initiatives=len(initiatives),
            status_updates=updates,
            decisions=decisions,
            audit_events=audit,
        )
    return summary


def _count(session: Session, model: type[SQLModel]) -> int:
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def _add_team(session: Session, today: date) -> dict[str, Person]:
    people: dict[str, Person] = {}
    for spec in TEAM:
        first_name = spec.name.split()[0].lower()
        person = Person(
            name=spec.name,
            email=f"{first_name}@{EMAIL_DOMAIN}",
            role=spec.role,
            title=spec.title,
            weekly_hours=spec.weekly_hours,
            bau_share=spec.bau_share,
        )
        session.add(person)
        people[spec.key] = person
    session.flush()
    for key, start, end, note in (
        ("tom", 10, 14, "Holiday"),
        ("lucas", 22, 24, "CRM conference"),
        ("priya", -12, -11, "Training"),
    ):
        session.add(
            TimeOff(
                person_id=_id(people[key]),
                start_date=today + timedelta(days=start),
                end_date=today + timedelta(days=end),
                note=note,
            )
        )
    return people


def _id(row: Any) -> int:
    assert row.id is not None, "row must be flushed first"
    return int(row.id)


def _check_in_days(period_start: date, today: date) -> list[date]:
    """Weekly check-in days of the quarter so far (at least one)."""
    days = []
    day = period_start + timedelta(days=4)
    while day < today:
        days.append(day)
        day += timedelta(days=7)
    return days or [max(period_start, today - timedelta(days=1))]


def _add_goals(
    session: Session,
    people: Mapping[str, Person],
    specs: Sequence[_KrSpec],
    period: str,
    period_start: date,
    today: date,
) -> tuple[dict[str, KeyResult], int]:
    objectives: dict[str, Objective] = {}
    for key, (title, owner, description) in OBJECTIVES.items():
        objective = Objective(
            period=period, title=title, description=description, owner_id=_id(people[owner])
        )
        session.add(objective)
        objectives[key] = objective
    session.flush()
    krs: dict[str, KeyResult] = {}
    for spec in specs:
        kr = KeyResult(
            objective_id=_id(objectives[spec.objective]),
            title=spec.title,
            owner_id=_id(people[spec.owner]),
            kind=spec.kind,
            metric_id=spec.metric_id,
            filters=dict(spec.filters or {}),
            direction=spec.direction,
            start_value=spec.start,
            target_value=spec.target,
            window=spec.window,
            total_target=spec.total_target,
            guardrail_rule=spec.rule,
            threshold=spec.threshold,
            unit=spec.unit,
            done=spec.done,
        )
        session.add(kr)
        krs[spec.key] = kr
    session.flush()
    days = _check_in_days(period_start, today)
    written = 0
    for spec in specs:
        kr_days = days
        if spec.kind == KrKind.milestone and spec.done:
            kr_days = days[: len(spec.notes)]
        for k, day in enumerate(kr_days):
            last = k == len(kr_days) - 1
            if spec.kind == KrKind.milestone and spec.done:
                note = spec.notes[len(spec.notes) - len(kr_days) + k]
                confidence = spec.confidence[len(spec.confidence) - len(kr_days) + k]
            else:
                note = spec.notes[k % len(spec.notes)]
                confidence = spec.confidence[k % len(spec.confidence)]
            value = None
            if spec.kind == KrKind.manual and spec.start is not None and spec.target is not None:
                # Manual values move about a tenth of the way to target each week.
                step = (spec.target - spec.start) * 0.1 * (k + 1)
                value = round(spec.start + step, 1)
            session.add(
                CheckIn(
                    key_result_id=_id(krs[spec.key]),
                    confidence=confidence,
                    note=note,
                    value=value,
                    done=(spec.done and last) if spec.kind == KrKind.milestone else None,
                    author_id=_id(people[spec.owner]),
                    created_at=_stamp(day, 10 + k % 6, (7 * len(spec.key)) % 60),
                )
            )
            written += 1
    return krs, written


def _add_initiatives(
    session: Session,
    people: Mapping[str, Person],
    krs: Mapping[str, KeyResult],
    specs: Sequence[_InitiativeSpec],
    config: AppConfig,
) -> tuple[dict[str, Initiative], int]:
    initiatives: dict[str, Initiative] = {}
    analyst = people["jonas"]
    for spec in specs:
        latest = spec.history[-1]
        initiative = Initiative(
            title=spec.title,
            description=spec.description,
            owner_id=_id(people[spec.owner]),
            status=latest.status,
            health=latest.health,
            start_date=spec.start,
            target_date=spec.target,
            shipped_date=spec.shipped,
            effort_weeks=spec.effort_weeks,
            percent_complete=latest.percent,
            scores=_scores(spec, config.scoring.frameworks),
            lift_metric=spec.lift[0] if spec.lift else None,
            lift_pct=spec.lift[1] if spec.lift else None,
            lift_estimator_id=_id(analyst) if spec.lift else None,
            created_at=_stamp(spec.history[0].day, 9),
            updated_at=_stamp(latest.day, 9 + len(spec.history)),
        )
        session.add(initiative)
        initiatives[spec.key] = initiative
    session.flush()
    written = 0
    for spec in specs:
        initiative = initiatives[spec.key]
        for kr_key in spec.krs:
            session.add(
                InitiativeKeyResult(initiative_id=_id(initiative), key_result_id=_id(krs[kr_key]))
            )
        for k, step in enumerate(spec.history, start=1):
            session.add(
                StatusUpdate(
                    initiative_id=_id(initiative),
                    status=step.status,
                    health=step.health,
                    percent_complete=step.percent,
                    note=step.note,
                    author_id=_id(people[spec.owner]),
                    created_at=_stamp(step.day, 9 + k),
                )
            )
            written += 1
    return initiatives, written


def _add_last_weeks_plan(
    session: Session, people: Mapping[str, Person], config: AppConfig, today: date
) -> None:
    """Last week's committed plan, as the backlog stood then, so "since last week" has a story.

    Statuses and health are those of each initiative's latest update before last week's plan was
    committed (Monday 09:00); initiatives created or first planned after it are left out.
    """
    from planning.work.backlog import ranked_backlog
    from planning.work.weekly_plan import snapshot_rows

    monday = today - timedelta(days=today.weekday() + 7)
    committed = datetime.combine(monday, time(9), tzinfo=UTC)
    backlog = ranked_backlog(session=session, config=config, framework_id=config.scoring.active)
    then: dict[int, StatusUpdate] = {}
    for update in session.scalars(select(StatusUpdate).order_by(col(StatusUpdate.created_at))):
        if update.created_at <= committed:
            then[update.initiative_id] = update
    rows = []
    for row in snapshot_rows(backlog):
        earlier = then.get(row["id"])
        if earlier is None or earlier.status in {"done", "dropped"}:
            continue
        row.update(status=earlier.status.value, health=earlier.health.value)
        rows.append(row)
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    session.add(
        WeeklyPlan(
            week=iso_week(monday),
            framework=config.scoring.active,
            snapshot=rows,
            note="Checkout first: wallets and guest checkout before the holiday code freeze.",
            committed_by=_id(people["maya"]),
            committed_at=committed,
        )
    )
    session.flush()


def _add_decisions(
    session: Session,
    people: Mapping[str, Person],
    initiatives: Mapping[str, Initiative],
    events: Mapping[str, date],
    today: date,
) -> int:
    outage = events["outage"]
    director = _id(people["maya"])
    rows = [
        (
            events["checkout_redesign"] - timedelta(days=2),
            "Roll the one-page checkout out to all traffic: the A/B test held checkout "
            "completion up about 8 % with no drop in AOV.",
            "checkout_redesign",
        ),
        (
            outage + timedelta(days=1),
            f"After the outage on {outage:%d %B}, page speed work adds CDN failover before any "
            "new feature.",
            "page_speed",
        ),
        (
            today - timedelta(days=34),
            "Drop marketplace expansion this quarter: marketplace fees leave Electronics at a "
            "loss.",
            "marketplace",
        ),
    ]
    for day, note, key in rows:
        session.add(
            Decision(
                decided_on=day,
                text=note,
                initiative_id=_id(initiatives[key]),
                author_id=director,
                created_at=_stamp(day, 16),
            )
        )
    return len(rows)


_AUDITED: tuple[tuple[type[SQLModel], str], ...] = (
    (Person, "person"),
    (TimeOff, "time_off"),
    (Objective, "objective"),
    (KeyResult, "key_result"),
    (CheckIn, "check_in"),
    (Initiative, "initiative"),
    (StatusUpdate, "status_update"),
    (Decision, "decision"),
    (ImportBatch, "import_batch"),
)


def _add_audit(session: Session) -> int:
    """One "demo" audit event for every record the demo created (observations aside)."""
    events = []
    for model, entity in _AUDITED:
        for row in session.exec(select(model)).scalars():  # type: ignore[call-overload]
            after = row.model_dump(mode="json", exclude={"password_hash"})
            events.append(AuditEvent(entity=entity, entity_id=row.id, action="demo", after=after))
    session.add_all(events)
    return len(events)
