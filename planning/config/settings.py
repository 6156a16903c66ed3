"""settings.yaml: product-wide settings (company, currency, fiscal year, time zone) and the
settings of each part of the product (OKRs, capacity, updates, demo, live refresh, metrics,
storage, impact, sign-in)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from planning import i18n
from planning.config.base import Fraction, Strict


class OkrSettings(Strict):
    on_track_margin: Fraction = 0.10
    at_risk_margin: Fraction = 0.25
    too_early_days: Annotated[int, Field(ge=0)] = 7
    confidence_gap: Fraction = 0.3

    @model_validator(mode="after")
    def _margins_ordered(self) -> OkrSettings:
        if self.at_risk_margin < self.on_track_margin:
            raise ValueError("at_risk_margin must be at least on_track_margin")
        return self


class CapacitySettings(Strict):
    hours_per_person_week: Annotated[float, Field(gt=0, le=168)] = 40.0
    working_days_per_week: Annotated[int, Field(ge=1, le=7)] = 5


class UpdateSettings(Strict):
    stale_after_days: Annotated[int, Field(ge=1)] = 7


class DemoSettings(Strict):
    load_on_first_start: bool = True
    seed: int = 42
    years: Annotated[int, Field(ge=1, le=5)] = 3


class LiveSettings(Strict):
    refresh_seconds: Annotated[float, Field(gt=0, le=3600)] = 5.0


class MetricSettings(Strict):
    # A day counts (metrics, KRs, digest, impact) once every expected series has arrived for it,
    # or at the latest this many hours after the day ends in the team's time zone.
    complete_after_hours: Annotated[float, Field(ge=0, le=168)] = 24.0


class StorageSettings(Strict):
    sqlite_busy_timeout_ms: Annotated[int, Field(ge=0)] = 15000


class ImpactSettings(Strict):
    post_window_days: Annotated[int, Field(ge=7, le=182)] = 28
    bootstrap_samples: Annotated[int, Field(ge=200, le=20000)] = 1000
    interval: Annotated[float, Field(ge=0.5, le=0.99)] = 0.90
    min_coverage: Fraction = 0.8


class AuthSettings(Strict):
    """How people sign in, and how long a sign-in lasts (password mode)."""

    mode: Literal["demo", "password", "oidc"] = "demo"
    session_days: Annotated[int, Field(ge=1, le=365)] = 14
    min_password_length: Annotated[int, Field(ge=8, le=128)] = 10
    max_failed_attempts: Annotated[int, Field(ge=1, le=100)] = 5
    failure_window_minutes: Annotated[int, Field(ge=1, le=1440)] = 15
    first_delay_seconds: Annotated[int, Field(ge=1, le=3600)] = 30
    max_delay_seconds: Annotated[int, Field(ge=1, le=86400)] = 900
    account_max_failed_attempts: Annotated[int, Field(ge=1, le=100_000)] = 50
    oidc_provider: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]*$", max_length=64)] = ""

    @model_validator(mode="after")
    def _delays_ordered(self) -> AuthSettings:
        if self.max_delay_seconds < self.first_delay_seconds:
            raise ValueError("max_delay_seconds must be at least first_delay_seconds")
        if self.account_max_failed_attempts < self.max_failed_attempts:
            raise ValueError(
                "account_max_failed_attempts (all clients together) must be at least "
                "max_failed_attempts (one client)"
            )
        return self


class ShopifyOrdersSettings(Strict):
    """How a Shopify orders export becomes orders, net revenue, units and line revenue."""

    # created: the day an order was placed (Created at); paid: the day it was paid (Paid at),
    # leaving out orders not paid yet.
    date: Literal["created", "paid"] = "created"
    # The export says nothing of marketing channel or device, but orders and net_revenue are
    # recorded by them: every Shopify order is recorded under these values.
    channel: str = "direct"
    device: str = "desktop"
    # An order is a test order when its Tags hold one of these tags or its Payment Method is one
    # of these gateways (Shopify's test gateway is "bogus"); test orders are left out.
    test_tags: list[str] = ["test"]
    test_payment_methods: list[str] = ["bogus"]
    # Orders with these financial statuses are left out (besides cancelled and test orders).
    skip_financial_statuses: list[str] = ["voided"]
    # Set when the shop's prices include tax: Taxes is then taken off Subtotal.
    prices_include_taxes: bool = False
    # The product line of a line item: this column's value (mapped through product_lines, or
    # used as it is when it names a declared product line), else the longest matching SKU prefix.
    product_line_column: str = "Lineitem product type"
    product_lines: dict[str, str] = {}
    sku_prefixes: dict[str, str] = {}


# GA4's default channel groups and device categories that have an obvious counterpart among the
# shipped dimension values; anything else must be mapped in settings (imports.ga4).
GA4_DEFAULT_CHANNELS = {
    "Organic Search": "organic",
    "Direct": "direct",
    "Paid Search": "paid_search",
    "Paid Social": "paid_social",
    "Email": "email",
    "Affiliates": "affiliate",
    "Organic Social": "social",
}
GA4_DEFAULT_DEVICES = {"desktop": "desktop", "mobile": "mobile", "tablet": "mobile"}


class Ga4Settings(Strict):
    """How a GA4 report exported as CSV becomes the funnel measures."""

    # Added to (and overriding) the default mappings above: a GA4 value -> a dimension value.
    channels: dict[str, str] = {}
    devices: dict[str, str] = {}
    # Record GA4's purchases as `orders` (by channel and device). Off by default: a shop that
    # imports its Shopify orders would otherwise count every order twice.
    record_orders: bool = False


class ImportSettings(Strict):
    """The file formats read besides the interchange format (README: Connect your data)."""

    shopify_orders: ShopifyOrdersSettings = ShopifyOrdersSettings()
    ga4: Ga4Settings = Ga4Settings()


WEEKDAYS: tuple[str, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def _clock_time(value: Any) -> Any:
    """A time of day written HH:MM; YAML reads an unquoted 09:00 as a number, so say to quote it."""
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError('write the time in quotes as "HH:MM" (e.g. "09:00")')
    if not isinstance(value, str):
        raise ValueError(f'a time of day is written "HH:MM", got {value!r}')
    hours, _, minutes = value.strip().partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and len(hours) <= 2):
        raise ValueError(f'{value!r} is not a time of day written "HH:MM" (e.g. "09:00")')
    if int(hours) > 23 or int(minutes) > 59:
        raise ValueError(f"{value!r} is not a time of day (00:00 to 23:59)")
    return f"{int(hours):02d}:{minutes}"


class NotifySettings(Strict):
    """When reminders, escalations, the digest and roadmap summaries go out, in the team's time
    zone, how a failing channel is retried, whether the server sends by itself and how long the
    outbox keeps what went out."""

    enabled: bool = False  # the server runs due notifications on its own (off: only the command)
    run_every_minutes: Annotated[int, Field(ge=1, le=60)] = 5
    retention_days: Annotated[int, Field(ge=14, le=3650)] = 90
    check_in_day: Weekday = "monday"
    check_in_time: str = "09:00"
    digest_day: Weekday = "friday"
    digest_time: str = "17:00"
    catch_up_hours: Annotated[int, Field(ge=1, le=72)] = 12
    link_valid_days: Annotated[int, Field(ge=1, le=30)] = 7
    base_url: Annotated[str, Field(pattern=r"^https?://[^\s]+$")] = "http://localhost:8501"
    max_attempts: Annotated[int, Field(ge=1, le=50)] = 6
    first_retry_seconds: Annotated[int, Field(ge=1, le=86400)] = 60
    max_retry_seconds: Annotated[int, Field(ge=1, le=604800)] = 3600
    send_timeout_seconds: Annotated[float, Field(gt=0, le=120)] = 10.0
    claim_timeout_minutes: Annotated[int, Field(ge=1, le=1440)] = 10

    @field_validator("check_in_time", "digest_time", mode="before")
    @classmethod
    def _time_of_day(cls, value: Any) -> Any:
        return _clock_time(value)

    @model_validator(mode="after")
    def _retries_ordered(self) -> NotifySettings:
        if self.max_retry_seconds < self.first_retry_seconds:
            raise ValueError("max_retry_seconds must be at least first_retry_seconds")
        return self


class Settings(Strict):
    """settings.yaml: product-wide settings."""

    company: str = "Quarterdeck demo store"
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    currency_symbol: str = "$"
    fiscal_year_start_month: Annotated[int, Field(ge=1, le=12)] = 1
    time_zone: str = "UTC"
    locale: str = "en"  # the team's language and number, amount and date formats (en, de, de_CH…)
    okr: OkrSettings = OkrSettings()
    capacity: CapacitySettings = CapacitySettings()
    updates: UpdateSettings = UpdateSettings()
    demo: DemoSettings = DemoSettings()
    live: LiveSettings = LiveSettings()
    metrics: MetricSettings = MetricSettings()
    storage: StorageSettings = StorageSettings()
    impact: ImpactSettings = ImpactSettings()
    auth: AuthSettings = AuthSettings()
    imports: ImportSettings = ImportSettings()
    notify: NotifySettings = NotifySettings()

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if not i18n.valid_locale(value):
            raise ValueError(f"{value!r} is not a locale (e.g. en, de or de_CH)")
        return value

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. Europe/Berlin)") from None
        return value
