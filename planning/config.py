"""Configuration: the three YAML files in config/, validated with pydantic at load.

A mistake in a file raises ConfigError naming the file, the key and the reason, so the app and the
CLI can show one clear line instead of a traceback.
"""

from __future__ import annotations

import ast
import itertools
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from planning import clock

CONFIG_DIR_ENV = "QUARTERDECK_CONFIG_DIR"
DEFAULT_CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
Fraction = Annotated[float, Field(ge=0, le=1)]


class ConfigError(Exception):
    """A configuration file is wrong: which file, which key, and why."""

    def __init__(self, file: str, key: str, reason: str) -> None:
        self.file = file
        self.key = key
        self.reason = reason
        where = f"{file}: {key}" if key else file
        super().__init__(f"{where}: {reason}")


class Strict(BaseModel):
    """Base for config models: unknown keys are mistakes, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- settings.yaml -----------------------------------------------------------------------------


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
    zone, and how a failing channel is retried."""

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
    okr: OkrSettings = OkrSettings()
    capacity: CapacitySettings = CapacitySettings()
    updates: UpdateSettings = UpdateSettings()
    demo: DemoSettings = DemoSettings()
    live: LiveSettings = LiveSettings()
    metrics: MetricSettings = MetricSettings()
    storage: StorageSettings = StorageSettings()
    impact: ImpactSettings = ImpactSettings()
    auth: AuthSettings = AuthSettings()
    notify: NotifySettings = NotifySettings()

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. Europe/Berlin)") from None
        return value


# --- metrics.yaml ------------------------------------------------------------------------------


class Dimension(Strict):
    label: str
    values: list[str] = Field(min_length=1)
    value_labels: dict[str, str] = {}  # how a value is shown, e.g. paid_search: Paid search

    def value_label(self, value: str) -> str:
        """A value as people read it: its declared label, else title-cased ("Paid Search")."""
        return self.value_labels.get(value) or value.replace("_", " ").title()


# The plausible range of one day's value of a measure unless metrics.yaml says otherwise: wide
# enough for any real shop, narrow enough that sums over years stay far from float overflow.
DEFAULT_MAX_VALUE = 1e12
DEFAULT_MIN_VALUE = -1e12
# No declared bound may go past this: a quarter of days at the bound must still add up.
VALUE_BOUND_LIMIT = 1e15


class Measure(Strict):
    """A base measure stored by day and by its declared dimensions."""

    label: str
    unit: Literal["count", "money", "ratio", "position", "percent"] = "count"
    aggregation: Literal["sum", "last"] = "sum"
    dimensions: list[Identifier] = []
    description: str = ""
    min_value: float = DEFAULT_MIN_VALUE
    max_value: float = DEFAULT_MAX_VALUE

    @model_validator(mode="after")
    def _plausible_range(self) -> Measure:
        for name in ("min_value", "max_value"):
            bound = getattr(self, name)
            if not -VALUE_BOUND_LIMIT <= bound <= VALUE_BOUND_LIMIT:  # also refuses nan
                raise ValueError(
                    f"{name} must be a number from {-VALUE_BOUND_LIMIT:g} to "
                    f"{VALUE_BOUND_LIMIT:g}, got {bound!r}"
                )
        if self.min_value >= self.max_value:
            raise ValueError(
                f"min_value ({self.min_value:g}) must be below max_value ({self.max_value:g})"
            )
        return self


MetricFormat = Literal["number", "money", "percent", "decimal"]


class MetricBase(Strict):
    label: str
    format: MetricFormat = "number"
    description: str = ""
    higher_is_better: bool = True


class SimpleMetric(MetricBase):
    """A base measure aggregated by its own aggregation (sum or last)."""

    type: Literal["simple"]
    measure: Identifier


class SnapshotMetric(MetricBase):
    """The last value of a measure in the window."""

    type: Literal["snapshot"]
    measure: Identifier


class RatioMetric(MetricBase):
    """SUM(numerator) / SUM(denominator) over the whole window and filter."""

    type: Literal["ratio"]
    numerator: Identifier
    denominator: Identifier
    min_denominator: Annotated[float, Field(ge=0)] = 0.0


class WeightedAverageMetric(MetricBase):
    """SUM(value × weight) / SUM(weight), paired by day and dimensions."""

    type: Literal["weighted_average"]
    value: Identifier
    weight: Identifier


class DerivedMetric(MetricBase):
    """An arithmetic expression over measures and metrics, evaluated after aggregation."""

    type: Literal["derived"]
    expression: str


Metric = Annotated[
    SimpleMetric | SnapshotMetric | RatioMetric | WeightedAverageMetric | DerivedMetric,
    Field(discriminator="type"),
]

_ALLOWED_EXPR_NODES = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.USub,
    ast.UAdd,
    ast.Constant,
    ast.Name,
    ast.Load,
)


def expression_names(expression: str) -> list[str]:
    """Names an arithmetic expression refers to; ValueError if it is not plain arithmetic."""
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"expression {expression!r} is not valid arithmetic") from exc
    names: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_EXPR_NODES):
            raise ValueError(
                f"expression {expression!r} may only use numbers, names, + - * / and brackets"
            )
        if isinstance(node, ast.Constant) and not isinstance(node.value, int | float):
            raise ValueError(f"expression {expression!r} has a constant that is not a number")
        if isinstance(node, ast.Name) and node.id not in names:
            names.append(node.id)
    return names


class MetricsConfig(Strict):
    """metrics.yaml: dimensions, base measures and the metrics computed from them."""

    dimensions: dict[Identifier, Dimension] = {}
    measures: dict[Identifier, Measure] = Field(min_length=1)
    metrics: dict[Identifier, Metric] = {}
    kpi_tiles: list[Identifier] = []
    funnel: list[Identifier] = []

    def metric_measures(self, metric_id: str) -> list[str]:
        """Every base measure a metric is computed from, derived metrics followed through."""
        metric = self.metrics[metric_id]
        if isinstance(metric, DerivedMetric):
            found: list[str] = []
            for name in expression_names(metric.expression):
                parts = [name] if name in self.measures else self.metric_measures(name)
                found.extend(p for p in parts if p not in found)
            return found
        return [ref for _, ref in _measure_refs(metric)]

    def filters_text(self, filters: Mapping[str, str]) -> str:
        """Filters as people read them, e.g. "Channel: Paid search · Device: Mobile"; "all"."""
        parts = []
        for name, value in sorted(filters.items()):
            dimension = self.dimensions.get(name)
            if dimension is None:
                parts.append(f"{name.replace('_', ' ').capitalize()}: {value}")
            else:
                parts.append(f"{dimension.label}: {dimension.value_label(value)}")
        return " · ".join(parts) or "all"

    def metric_dimensions(self, metric_id: str) -> list[str]:
        """Dimensions every measure of a metric declares: the ones it can be filtered by."""
        measures = self.metric_measures(metric_id)
        shared = set(self.measures[measures[0]].dimensions)
        for measure in measures[1:]:
            shared &= set(self.measures[measure].dimensions)
        return [d for d in self.dimensions if d in shared]

    def check_references(self) -> list[tuple[str, str]]:
        """Cross-references that pydantic cannot check alone: (key, reason) for each problem."""
        problems: list[tuple[str, str]] = []
        for mid, measure in self.measures.items():
            for i, dim in enumerate(measure.dimensions):
                if dim not in self.dimensions:
                    problems.append(
                        (f"measures.{mid}.dimensions.{i}", f"unknown dimension {dim!r}")
                    )
        for mid, metric in self.metrics.items():
            same_measure = isinstance(metric, SimpleMetric) and metric.measure == mid
            if mid in self.measures and not same_measure:
                problems.append(
                    (f"metrics.{mid}", "only a simple metric of that measure may share its id")
                )
        for mid, metric in self.metrics.items():
            for field, ref in _measure_refs(metric):
                if ref not in self.measures:
                    problems.append((f"metrics.{mid}.{field}", f"unknown measure {ref!r}"))
            if isinstance(metric, WeightedAverageMetric):
                value, weight = self.measures.get(metric.value), self.measures.get(metric.weight)
                if value and weight and sorted(value.dimensions) != sorted(weight.dimensions):
                    problems.append(
                        (
                            f"metrics.{mid}.weight",
                            "value and weight measures must declare the same dimensions",
                        )
                    )
            if isinstance(metric, DerivedMetric):
                try:
                    names = expression_names(metric.expression)
                except ValueError as exc:
                    problems.append((f"metrics.{mid}.expression", str(exc)))
                    continue
                for name in names:
                    if name == mid:
                        problems.append((f"metrics.{mid}.expression", "refers to itself"))
                    elif name not in self.measures and name not in self.metrics:
                        problems.append(
                            (
                                f"metrics.{mid}.expression",
                                f"unknown measure or metric {name!r}",
                            )
                        )
        problems.extend(self._derived_cycles())
        for i, tile in enumerate(self.kpi_tiles):
            if tile not in self.metrics:
                problems.append((f"kpi_tiles.{i}", f"unknown metric {tile!r}"))
        for i, step in enumerate(self.funnel):
            if step not in self.measures:
                problems.append((f"funnel.{i}", f"unknown measure {step!r}"))
        return problems

    def _derived_cycles(self) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []

        def visit(mid: str, path: tuple[str, ...]) -> None:
            metric = self.metrics.get(mid)
            if not isinstance(metric, DerivedMetric):
                return
            try:
                names = expression_names(metric.expression)
            except ValueError:
                return
            for name in names:
                if name in path:
                    problems.append(
                        (
                            f"metrics.{path[0]}.expression",
                            "circular reference: " + " -> ".join((*path, name)),
                        )
                    )
                    return
                visit(name, (*path, name))

        for mid in self.metrics:
            if not any(p[0] == f"metrics.{mid}.expression" for p in problems):
                visit(mid, (mid,))
        return problems


def _measure_refs(metric: Any) -> list[tuple[str, str]]:
    if isinstance(metric, SimpleMetric | SnapshotMetric):
        return [("measure", metric.measure)]
    if isinstance(metric, RatioMetric):
        return [("numerator", metric.numerator), ("denominator", metric.denominator)]
    if isinstance(metric, WeightedAverageMetric):
        return [("value", metric.value), ("weight", metric.weight)]
    return []


# --- scoring.yaml ------------------------------------------------------------------------------


class ScoringInput(Strict):
    """One input of a scoring framework and the values it accepts."""

    label: str
    scale: list[float] | None = None
    minimum: float | None = None
    maximum: float | None = None
    default: float | None = None
    help: str = ""

    @model_validator(mode="after")
    def _has_bounds(self) -> ScoringInput:
        if self.scale is None and (self.minimum is None or self.maximum is None):
            raise ValueError("give either a scale (list of allowed values) or minimum and maximum")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError("minimum is above maximum")
        return self


class Framework(Strict):
    """A scoring framework: a built-in formula, or a weighted sum of named criteria."""

    label: str
    formula: Literal["rice", "ice", "wsjf", "weighted", "expected_value"]
    description: str = ""
    inputs: dict[Identifier, ScoringInput] = {}
    weights: dict[Identifier, float] = {}

    @model_validator(mode="after")
    def _weights(self) -> Framework:
        if self.formula == "weighted":
            if not self.weights:
                raise ValueError("a weighted framework needs weights for its criteria")
            missing = [k for k in self.weights if k not in self.inputs]
            if missing:
                raise ValueError(f"weights name criteria that are not inputs: {missing}")
            total = sum(self.weights.values())
            if abs(total - 1.0) > 1e-6:
                raise ValueError(f"weights must sum to 1, they sum to {total:g}")
        return self


class Quadrants(Strict):
    quick_wins: str = "Quick wins"
    big_bets: str = "Big bets"
    fill_ins: str = "Fill-ins"
    money_pits: str = "Money pits"


class Matrix(Strict):
    value_split: float | None = None
    effort_split: float | None = None
    quadrants: Quadrants = Quadrants()


# WSJF's job size and ICE's ease are derived from the initiative's effort, not entered.
WSJF_STEPS: tuple[float, ...] = (1, 2, 3, 5, 8, 13, 20)
EASE_RANGE: tuple[float, float] = (1, 10)
# The input each built-in formula takes from the initiative's effort in person-weeks.
EFFORT_INPUT_OF_FORMULA: dict[str, str] = {
    "rice": "effort_months",
    "ice": "ease",
    "wsjf": "job_size",
}


class EffortStep(Strict):
    """Efforts up to and including `up_to_weeks` person-weeks (no limit when left out) map to
    `value`."""

    up_to_weeks: float | None = Field(default=None, ge=0)
    value: float


def _check_steps(steps: list[EffortStep], name: str) -> None:
    limits = [s.up_to_weeks for s in steps]
    if not steps or limits[-1] is not None:
        raise ValueError(f"{name}: the last step needs no up_to_weeks (it takes any larger effort)")
    bounded = [limit for limit in limits[:-1] if limit is not None]
    if len(bounded) != len(steps) - 1:
        raise ValueError(f"{name}: only the last step may leave out up_to_weeks")
    if any(b <= a for a, b in itertools.pairwise(bounded)):
        raise ValueError(f"{name}: up_to_weeks must rise from one step to the next")


class EffortConversion(Strict):
    """How the initiative's one effort (person-weeks) becomes each framework's effort input."""

    rice_minimum_months: float = Field(default=0.5, gt=0)
    job_size: list[EffortStep] = [
        EffortStep(up_to_weeks=1, value=1),
        EffortStep(up_to_weeks=2, value=2),
        EffortStep(up_to_weeks=4, value=3),
        EffortStep(up_to_weeks=8, value=5),
        EffortStep(up_to_weeks=13, value=8),
        EffortStep(up_to_weeks=26, value=13),
        EffortStep(value=20),
    ]
    ease: list[EffortStep] = [
        EffortStep(up_to_weeks=1, value=10),
        EffortStep(up_to_weeks=2, value=9),
        EffortStep(up_to_weeks=3, value=8),
        EffortStep(up_to_weeks=4, value=7),
        EffortStep(up_to_weeks=6, value=6),
        EffortStep(up_to_weeks=8, value=5),
        EffortStep(up_to_weeks=13, value=4),
        EffortStep(up_to_weeks=26, value=3),
        EffortStep(up_to_weeks=52, value=2),
        EffortStep(value=1),
    ]

    @model_validator(mode="after")
    def _scales(self) -> EffortConversion:
        _check_steps(self.job_size, "job_size")
        _check_steps(self.ease, "ease")
        sizes = [s.value for s in self.job_size]
        off = [f"{v:g}" for v in sizes if v not in WSJF_STEPS]
        if off:
            steps = ", ".join(f"{v:g}" for v in WSJF_STEPS)
            raise ValueError(f"job_size: {', '.join(off)} is not one of {steps}")
        if sizes != sorted(sizes):
            raise ValueError("job_size: a larger effort cannot have a smaller job size")
        low, high = EASE_RANGE
        eases = [s.value for s in self.ease]
        off = [f"{v:g}" for v in eases if not low <= v <= high]
        if off:
            raise ValueError(f"ease: {', '.join(off)} is outside {low:g}–{high:g}")
        if eases != sorted(eases, reverse=True):
            raise ValueError("ease: a larger effort cannot be easier")
        return self


class ScoringConfig(Strict):
    """scoring.yaml: frameworks, the active one, the effort conversion and the matrix."""

    active: Identifier
    frameworks: dict[Identifier, Framework] = Field(min_length=1)
    effort: EffortConversion = EffortConversion()
    matrix: Matrix = Matrix()

    @model_validator(mode="after")
    def _active_exists(self) -> ScoringConfig:
        if self.active not in self.frameworks:
            raise ValueError(f"active framework {self.active!r} is not among the frameworks")
        for framework_id, framework in self.frameworks.items():
            derived = EFFORT_INPUT_OF_FORMULA.get(framework.formula)
            if derived is not None and derived in framework.inputs:
                raise ValueError(
                    f"frameworks.{framework_id}.inputs.{derived}: {framework.label} takes it from "
                    "the initiative's effort in person-weeks (see effort:); remove this input"
                )
        return self


# --- loading -----------------------------------------------------------------------------------


class AppConfig(Strict):
    """The three configuration files, loaded and cross-checked."""

    settings: Settings
    metrics: MetricsConfig
    scoring: ScoringConfig
    directory: str = ""


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _read_yaml(path: Path) -> dict[str, Any]:
    shown = _display(path)
    if not path.exists():
        raise ConfigError(shown, "", "file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(shown, where, f"not valid YAML: {problem}") from None
    except UnicodeDecodeError:
        raise ConfigError(shown, "", "not a UTF-8 text file") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(shown, "", "the top level must be a mapping of keys to values")
    return data


def _validate(model: type[Strict], data: dict[str, Any], path: Path) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(p) for p in err["loc"] if not _is_union_tag(p)]
        reason = _reason(err)
        raise ConfigError(_display(path), ".".join(loc), reason) from None


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and part in {
        "simple",
        "snapshot",
        "ratio",
        "weighted_average",
        "derived",
    }


def _reason(err: Any) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if kind.endswith("_parsing") or kind.endswith("_type"):
        return f"{msg.lower()} (got {err.get('input')!r})"
    return msg


def load_config(directory: str | Path | None = None) -> AppConfig:
    """Load and validate settings.yaml, metrics.yaml and scoring.yaml; raise ConfigError."""
    base = Path(directory or os.environ.get(CONFIG_DIR_ENV) or DEFAULT_CONFIG_DIR)
    settings = _validate(Settings, _read_yaml(base / "settings.yaml"), base / "settings.yaml")
    metrics_path = base / "metrics.yaml"
    metrics = _validate(MetricsConfig, _read_yaml(metrics_path), metrics_path)
    problems = metrics.check_references()
    if problems:
        key, reason = problems[0]
        raise ConfigError(_display(metrics_path), key, reason)
    scoring_path = base / "scoring.yaml"
    scoring = _validate(ScoringConfig, _read_yaml(scoring_path), scoring_path)
    clock.use_time_zone(settings.time_zone)
    try:
        clock.today()  # a pinned day that is not a day is a configuration mistake
    except clock.ClockError as exc:
        raise ConfigError("the environment", clock.TODAY_ENV, str(exc)) from None
    return AppConfig(settings=settings, metrics=metrics, scoring=scoring, directory=str(base))


@cache
def default_config() -> AppConfig:
    """The configuration from the default directory, loaded once per process."""
    return load_config()
