"""The demo shop's observations: three years of daily ecommerce metrics with planted events."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt
import pandas as pd

from planning.config.metrics import MetricsConfig
from planning.metrics.observations import OBSERVATION_COLUMNS, dims_key
from planning.periods import quarter_bounds, quarter_of

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
    """The planted events of a data set ending on `end`, in date order.

    Each is dated relative to `end` so the 28 days after its lift are in the data:

    - checkout redesign, ``end - CHECKOUT_REDESIGN_DAYS``: checkout-to-purchase (orders per
      checkout session) × (1 + CHECKOUT_REDESIGN_LIFT) from that day on;
    - free-shipping threshold test, ``end - FREE_SHIPPING_DAYS``: AOV × (1 + FREE_SHIPPING_LIFT)
      and a few more units per order from that day on;
    - product content enrichment in Home, ``end - HOME_ENRICHMENT_DAYS``: Home's product view →
      add to cart rate × (1 + HOME_ENRICHMENT_LIFT) from that day on (the overall funnel moves
      with it, by Home's share of product views) and Home's content completeness steps up;
    - an outage, ``end - OUTAGE_DAYS`` (moved two weeks earlier if that lands in Cyber Week or at
      Christmas): sessions × OUTAGE_SESSIONS_FACTOR that day.

    Each planted event has a done initiative in the loaded demo whose shipped date is the event's
    day and whose expected lift is set on the metric it moved.
    """
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

    The profile follows DOMAIN.md: a multi-category retailer with about 22,000 sessions a day (in
    the last year), conversion about 2.3 %, AOV about $95, growth about 12 % a year and about 6 %
    daily noise; weekday and month seasonality; Black Friday and Cyber Monday peaks computed for
    each year; channels, devices, a session funnel, six product lines with their own margins,
    organic search, email and content publishing measures, and the planted events.

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
