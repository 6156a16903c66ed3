"""Configuration mistakes stop start-up with one message naming the file, the key and the reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from planning.config import DEFAULT_CONFIG_DIR, ConfigError, default_config, load_config


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A writable copy of the shipped config directory."""
    target = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR, target)
    return target


def edit(config_dir: Path, name: str, change) -> None:  # type: ignore[no-untyped-def]
    path = config_dir / name
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_shipped_config_loads() -> None:
    config = load_config(DEFAULT_CONFIG_DIR)
    assert config.scoring.active in config.scoring.frameworks
    for required in [
        "sessions",
        "product_view_sessions",
        "add_to_cart_sessions",
        "checkout_sessions",
        "orders",
        "net_revenue",
    ]:
        assert config.metrics.measures[required].dimensions == ["channel", "device"]
    for required in ["line_net_revenue", "line_cogs", "units"]:
        assert config.metrics.measures[required].dimensions == ["product_line"]
    for metric in [
        "conversion_rate",
        "aov",
        "revenue_per_session",
        "cart_abandonment_rate",
        "gross_margin_pct",
        "product_view_rate",
        "add_to_cart_rate",
        "cart_to_checkout_rate",
        "checkout_completion_rate",
    ]:
        assert metric in config.metrics.metrics


def _set(path: list[str], value: object):  # type: ignore[no-untyped-def]
    def change(data: dict) -> None:  # type: ignore[type-arg]
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


def _delete(path: list[str]):  # type: ignore[no-untyped-def]
    def change(data: dict) -> None:  # type: ignore[type-arg]
        node = data
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return change


def _both(first, second):  # type: ignore[no-untyped-def]
    def change(data: dict) -> None:  # type: ignore[type-arg]
        first(data)
        second(data)

    return change


MISTAKES = [
    # (file, change, expected key, words expected in the reason)
    ("settings.yaml", _set(["colour"], "blue"), "colour", "unknown key"),
    ("settings.yaml", _set(["okr", "on_track_margin"], "ten"), "okr.on_track_margin", "number"),
    ("settings.yaml", _set(["okr", "at_risk_margin"], 0.05), "okr", "at least on_track_margin"),
    ("settings.yaml", _set(["fiscal_year_start_month"], 13), "fiscal_year_start_month", "12"),
    ("settings.yaml", _set(["currency"], "dollars"), "currency", "pattern"),
    (
        "settings.yaml",
        _set(["metrics", "complete_after_hours"], 500),
        "metrics.complete_after_hours",
        "less than or equal to 168",
    ),
    (
        "settings.yaml",
        _set(["capacity", "hours_per_person_week"], -5),
        "capacity.hours_per_person_week",
        "greater than 0",
    ),
    (
        "metrics.yaml",
        _set(["metrics", "conversion_rate", "denominator"], "visits"),
        "metrics.conversion_rate.denominator",
        "unknown measure 'visits'",
    ),
    (
        "metrics.yaml",
        _set(["metrics", "aov", "type"], "median"),
        "metrics.aov",
        "does not match any of the expected tags",
    ),
    (
        "metrics.yaml",
        _set(["measures", "sessions", "dimensions"], ["channel", "browser"]),
        "measures.sessions.dimensions.1",
        "unknown dimension 'browser'",
    ),
    (
        "metrics.yaml",
        _set(["metrics", "gross_margin_pct", "expression"], "__import__('os')"),
        "metrics.gross_margin_pct.expression",
        "may only use numbers",
    ),
    (
        "metrics.yaml",
        _set(["metrics", "gross_margin_pct", "expression"], "(line_net_revenue - cogs"),
        "metrics.gross_margin_pct.expression",
        "not valid arithmetic",
    ),
    (
        "metrics.yaml",
        _both(
            _set(["metrics", "gross_profit", "expression"], "gross_margin_pct * line_net_revenue"),
            _set(["metrics", "gross_margin_pct", "expression"], "gross_profit / line_net_revenue"),
        ),
        "metrics.gross_margin_pct.expression",
        "circular reference",
    ),
    (
        "metrics.yaml",
        _set(["metrics", "organic_position", "weight"], "email_recipients"),
        "metrics.organic_position.weight",
        "same dimensions",
    ),
    ("metrics.yaml", _delete(["measures", "orders", "label"]), "measures.orders.label", "missing"),
    (
        "metrics.yaml",
        _both(
            _set(["measures", "sessions", "min_value"], 100),
            _set(["measures", "sessions", "max_value"], 10),
        ),
        "measures.sessions",
        "min_value (100) must be below max_value (10)",
    ),
    (
        "metrics.yaml",
        _set(["measures", "orders", "max_value"], 1e300),
        "measures.orders",
        "max_value must be a number from -1e+15 to 1e+15",
    ),
    ("metrics.yaml", _set(["kpi_tiles"], ["net_revenue", "profit"]), "kpi_tiles.1", "'profit'"),
    (
        "scoring.yaml",
        _set(["frameworks", "weighted", "weights", "ease"], "high"),
        "frameworks.weighted.weights.ease",
        "number",
    ),
    (
        "scoring.yaml",
        _set(["frameworks", "weighted", "weights", "ease"], 0.5),
        "frameworks.weighted",
        "sum to 1",
    ),
    ("scoring.yaml", _set(["active"], "moscow"), "", "active framework 'moscow'"),
    (
        "scoring.yaml",
        _set(["frameworks", "rice", "formula"], "magic"),
        "frameworks.rice.formula",
        "rice",
    ),
    (
        "scoring.yaml",
        _delete(["frameworks", "ice", "inputs", "impact", "maximum"]),
        "frameworks.ice.inputs.impact",
        "minimum and maximum",
    ),
    (
        "scoring.yaml",
        _set(
            ["frameworks", "rice", "inputs", "effort_months"],
            {"label": "Effort (person-months)", "minimum": 0.5, "maximum": 120},
        ),
        "",
        "frameworks.rice.inputs.effort_months: RICE takes it from the initiative's effort",
    ),
    (
        "scoring.yaml",
        _set(["effort", "job_size", 2, "value"], 4),
        "effort",
        "job_size: 4 is not one of 1, 2, 3, 5, 8, 13, 20",
    ),
    (
        "scoring.yaml",
        _set(["effort", "ease", 0, "value"], 11),
        "effort",
        "ease: 11 is outside 1–10",
    ),
    (
        "scoring.yaml",
        _set(["effort", "job_size", 6], {"up_to_weeks": 60, "value": 20}),
        "effort",
        "the last step needs no up_to_weeks",
    ),
    ("scoring.yaml", _set(["effort", "rice_minimum_months"], 0), "effort.rice_minimum_months", "0"),
]


@pytest.mark.parametrize(("file", "change", "key", "reason"), MISTAKES)
def test_config_mistake_names_file_key_and_reason(
    config_dir: Path,
    file: str,
    change,
    key: str,
    reason: str,  # type: ignore[no-untyped-def]
) -> None:
    edit(config_dir, file, change)
    with pytest.raises(ConfigError) as caught:
        load_config(config_dir)
    err = caught.value
    assert err.file.endswith(file)
    assert err.key == key
    assert reason.lower() in err.reason.lower()
    assert file in str(err) and reason.lower() in str(err).lower()


def test_bad_yaml_names_file_and_line(config_dir: Path) -> None:
    (config_dir / "scoring.yaml").write_text("active: rice\nframeworks: [unclosed\n")
    with pytest.raises(ConfigError) as caught:
        load_config(config_dir)
    assert caught.value.file.endswith("scoring.yaml")
    assert caught.value.key.startswith("line ")
    assert "not valid YAML" in caught.value.reason


def test_missing_file(config_dir: Path) -> None:
    (config_dir / "metrics.yaml").unlink()
    with pytest.raises(ConfigError, match=r"metrics\.yaml: file not found"):
        load_config(config_dir)


def test_top_level_must_be_mapping(config_dir: Path) -> None:
    (config_dir / "settings.yaml").write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_config(config_dir)


def test_team_can_add_weighted_framework_without_code(config_dir: Path) -> None:
    def add(data: dict) -> None:  # type: ignore[type-arg]
        data["frameworks"]["seo_value"] = {
            "label": "SEO value",
            "formula": "weighted",
            "inputs": {
                "traffic": {"label": "Traffic", "minimum": 1, "maximum": 5},
                "effort": {"label": "Ease", "minimum": 1, "maximum": 5},
            },
            "weights": {"traffic": 0.7, "effort": 0.3},
        }

    edit(config_dir, "scoring.yaml", add)
    assert "seo_value" in load_config(config_dir).scoring.frameworks


def test_the_app_shows_a_configuration_mistake_instead_of_a_page(
    app_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    from planning.config import CONFIG_DIR_ENV
    from planning.store.engine import PROJECT_DIR

    folder = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR, folder)
    settings = folder / "settings.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace("refresh_seconds: 5", "refresh_seconds: -5"),
        encoding="utf-8",
    )
    monkeypatch.setenv(CONFIG_DIR_ENV, str(folder))

    at = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=60).run()

    assert not at.exception
    [error] = at.error
    assert error.value.startswith("Quarterdeck cannot start because of a configuration mistake.")
    assert "settings.yaml" in error.value and "refresh_seconds" in error.value
    assert not at.title


def test_filters_read_as_labels_never_raw_identifiers() -> None:
    metrics = default_config().metrics
    assert metrics.filters_text({"channel": "paid_search", "device": "mobile"}) == (
        "Channel: Paid search · Device: Mobile"
    )
    assert metrics.filters_text({"channel": "affiliate"}) == "Channel: Affiliate"
    assert metrics.filters_text({}) == "all"
