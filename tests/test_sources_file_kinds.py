"""The export kinds of config/sources.yaml — shopify_orders_csv and ga4_csv, from a local file or
an HTTP(S) URL — and csv_url reading a wide file through a saved column mapping: the fixtures'
worked values arrive, a re-run changes nothing, and a bad or changed file fails the run, recorded,
with nothing written. (The conversion rules themselves: test_sources_shopify.py, _ga4.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from bench.shopify_export import HEADER, PREFIXES, shopify_export
from planning import clock
from planning.config import AppConfig, ConfigError, default_config
from planning.sources.config import load_sources
from planning.sources.mappings import MappingSpec, save_mapping
from planning.sources.runs import FAILED, OK, preview_source, run_source
from planning.sources.status import source_status
from tests.sources_support import config_dir, serve_files, stored

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "formats"
SHOPIFY = FIXTURES / "shopify_orders_export.csv"
GA4 = FIXTURES / "ga4_funnel_export.csv"
WIDE = "Day,Channel,Visits,Orders\n24/11/2026,email,1200,38\n25/11/2026,email,1100,\n"
SPEC = MappingSpec(
    date_column="Day",
    date_format="DD/MM/YYYY",
    dimensions={"channel": "Channel"},
    fixed={"device": "mobile"},
    measures={"sessions": "Visits", "orders": "Orders"},
)


@pytest.fixture(scope="module")
def shop() -> AppConfig:
    """The shipped configuration with the fixture shop's SKU prefixes and time zone."""
    config = default_config()
    shopify = config.settings.imports.shopify_orders.model_copy(update={"sku_prefixes": PREFIXES})
    imports = config.settings.imports.model_copy(update={"shopify_orders": shopify})
    settings = config.settings.model_copy(
        update={"time_zone": "America/New_York", "imports": imports}
    )
    return config.model_copy(update={"settings": settings})


@pytest.fixture
def store(sqlite_engine: Engine) -> Engine:
    """A migrated, empty SQLite store of the test's own."""
    return sqlite_engine


@pytest.fixture(scope="module")
def http_files() -> Iterator[tuple[str, dict[str, bytes]]]:
    with serve_files() as served:
        yield served


def one_source(tmp_path: Path, kind: str, settings: str, shop: AppConfig):  # type: ignore[no-untyped-def]
    body = f"sources:\n  feed:\n    kind: {kind}\n    settings:\n{settings}"
    return load_sources(config_dir(tmp_path, body), shop.metrics).get("feed")


def batches(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return [r[0] for r in connection.execute(text("SELECT source FROM import_batch")).all()]


def test_a_shopify_export_in_a_folder_is_synced_and_reread_each_run(
    tmp_path: Path, shop: AppConfig, store: Engine
) -> None:
    export = tmp_path / "exports" / "orders_export.csv"
    export.parent.mkdir()
    export.write_bytes(SHOPIFY.read_bytes())
    source = one_source(tmp_path, "shopify_orders_csv", f"      path: {export}\n", shop)
    assert source.measures() == ["orders", "net_revenue", "units", "line_net_revenue"]
    first = run_source(engine=store, config=shop, source=source, trigger="command")
    assert first.status == OK, first.error
    assert (first.rows, first.added) == (20, 20)
    values = stored(store)
    # The worked example of test_sources_shopify.py: 162 + (60 - 20) on the 24th.
    assert values[("net_revenue", "channel=direct|device=desktop", "2026-11-24")] == 202
    assert values[("line_net_revenue", "product_line=Apparel", "2026-11-24")] == 81
    assert values[("units", "product_line=Footwear", "2026-11-26")] == 1
    assert batches(store) == ["source:feed"]
    again = run_source(engine=store, config=shop, source=source, trigger="command")
    assert (again.added, again.updated, again.unchanged) == (0, 0, 20)
    # A new export lands in the folder: the next run reads it (#1006's refund is taken back).
    export.write_text(
        SHOPIFY.read_text(encoding="utf-8").replace(",99.20,", ",0.00,"), encoding="utf-8"
    )
    later = run_source(engine=store, config=shop, source=source, trigger="command")
    assert later.status == OK, later.error
    assert later.updated >= 1
    assert stored(store)[("net_revenue", "channel=direct|device=desktop", "2026-11-26")] == 90


def test_a_ga4_report_at_a_url_is_synced(
    tmp_path: Path, shop: AppConfig, store: Engine, http_files: tuple[str, dict[str, bytes]]
) -> None:
    base, files = http_files
    files["/funnel.csv"] = GA4.read_bytes()
    source = one_source(tmp_path, "ga4_csv", f"      url: {base}/funnel.csv\n", shop)
    outcome = run_source(engine=store, config=shop, source=source, trigger="schedule")
    assert outcome.status == OK, outcome.error
    assert outcome.rows == 27
    values = stored(store)
    # Organic Search on mobile (1,200) and on tablet (100): tablet maps to mobile.
    assert values[("sessions", "channel=organic|device=mobile", "2026-11-24")] == 1300
    assert values[("checkout_sessions", "channel=organic|device=mobile", "2026-11-24")] == 52
    assert not any(k[0] == "orders" for k in values)


def test_a_ga4_source_recording_purchases_is_stale_for_orders_too(
    tmp_path: Path, shop: AppConfig, store: Engine
) -> None:
    export = tmp_path / "funnel.csv"
    export.write_bytes(GA4.read_bytes())
    ga4 = shop.settings.imports.ga4.model_copy(update={"record_orders": True})
    imports = shop.settings.imports.model_copy(update={"ga4": ga4})
    config = shop.model_copy(
        update={"settings": shop.settings.model_copy(update={"imports": imports})}
    )
    body = f"sources:\n  feed:\n    kind: ga4_csv\n    settings:\n      path: {export}\n"
    sources = load_sources(config_dir(tmp_path, body), config.metrics)
    funnel = ["sessions", "add_to_cart_sessions", "checkout_sessions"]
    with Session(store) as session:
        assert list(source_status(session=session, sources=sources)[0].measures) == funnel
    outcome = run_source(engine=store, config=config, source=sources.get("feed"), trigger="command")
    assert outcome.status == OK, outcome.error
    assert stored(store)[("orders", "channel=organic|device=mobile", "2026-11-24")] == 24
    later = clock.utcnow() + timedelta(days=3)
    with Session(store) as session:
        status = source_status(session=session, sources=sources, now=later)[0]
    assert list(status.measures) == [*funnel, "orders"]
    assert status.stale


@pytest.mark.parametrize(
    ("kind", "fixture", "old", "new", "expected"),
    [
        (
            "shopify_orders_csv",
            SHOPIFY,
            "Lineitem quantity,",
            "Quantity,",
            "header changed: no column 'Lineitem quantity'",
        ),
        ("shopify_orders_csv", SHOPIFY, ",USD,", ",CAD,", "in CAD but Quarterdeck counts"),
        ("shopify_orders_csv", SHOPIFY, "AP-100-M", "ZZ-100-M", "line 2"),
        ("ga4_csv", GA4, "Device category", "Platform", "no column 'Device category'"),
        ("ga4_csv", GA4, "20261125,Paid Social", "2026-11-25,Paid Social", "line 20"),
    ],
)
def test_a_bad_or_changed_export_fails_the_run_and_writes_nothing(
    tmp_path: Path,
    shop: AppConfig,
    store: Engine,
    http_files: tuple[str, dict[str, bytes]],
    kind: str,
    fixture: Path,
    old: str,
    new: str,
    expected: str,
) -> None:
    base, files = http_files
    good = fixture.read_text(encoding="utf-8")
    assert old in good
    name = f"/{tmp_path.name}.csv"
    files[name] = good.encode()
    source = one_source(tmp_path, kind, f"      url: {base}{name}\n", shop)
    assert run_source(engine=store, config=shop, source=source, trigger="command").ok
    before = stored(store)
    files[name] = good.replace(old, new).encode()
    outcome = run_source(engine=store, config=shop, source=source, trigger="command")
    assert outcome.status == FAILED
    assert expected in outcome.error
    assert stored(store) == before  # the previous data stays
    assert len(batches(store)) == 1
    with store.connect() as connection:
        recorded = connection.execute(
            text("SELECT status, error FROM source_run ORDER BY id DESC LIMIT 1")
        ).one()
    assert recorded[0] == FAILED and expected in recorded[1]


def test_an_export_kind_takes_a_file_location_only(tmp_path: Path, shop: AppConfig) -> None:
    with pytest.raises(ConfigError, match="give exactly one of url, url_secret or path"):
        one_source(
            tmp_path, "ga4_csv", "      url: https://x.example/a.csv\n      path: /a\n", shop
        )
    with pytest.raises(ConfigError) as refused:
        one_source(
            tmp_path, "shopify_orders_csv", "      path: /a.csv\n      currency: EUR\n", shop
        )
    assert "sources.feed.settings.currency" in str(refused.value)


def test_a_missing_export_file_fails_the_run_naming_it(
    tmp_path: Path, shop: AppConfig, store: Engine
) -> None:
    missing = tmp_path / "nowhere" / "orders_export.csv"
    source = one_source(tmp_path, "shopify_orders_csv", f"      path: {missing}\n", shop)
    outcome = run_source(engine=store, config=shop, source=source, trigger="command")
    assert outcome.status == FAILED
    assert f"cannot read {missing}" in outcome.error


def test_csv_url_reads_a_wide_file_through_a_saved_mapping(
    tmp_path: Path, shop: AppConfig, store: Engine, http_files: tuple[str, dict[str, bytes]]
) -> None:
    base, files = http_files
    files["/wide.csv"] = WIDE.encode()
    source = one_source(
        tmp_path,
        "csv_url",
        f"      url: {base}/wide.csv\n      mapping: ' Analyst sheet'\n",
        shop,
    )
    assert source.settings.mapping == "Analyst sheet"  # type: ignore[attr-defined]
    # Not saved yet: the run fails naming the mapping, and nothing is written.
    missing = run_source(engine=store, config=shop, source=source, trigger="command")
    assert missing.status == FAILED
    assert "no saved column mapping named 'Analyst sheet'" in missing.error
    assert stored(store) == {}
    assert "'Analyst sheet'" in preview_source(engine=store, config=shop, source=source).error
    with Session(store) as session:
        save_mapping(
            session=session, actor=None, name="Analyst sheet", spec=SPEC, metrics=shop.metrics
        )
        session.commit()
    outcome = run_source(engine=store, config=shop, source=source, trigger="command")
    assert outcome.status == OK, outcome.error
    assert outcome.added == 3  # the empty Orders cell of the 25th is no observation
    assert stored(store) == {
        ("sessions", "channel=email|device=mobile", "2026-11-24"): 1200,
        ("orders", "channel=email|device=mobile", "2026-11-24"): 38,
        ("sessions", "channel=email|device=mobile", "2026-11-25"): 1100,
    }
    # A bad cell fails the run by its line, keeping what is stored.
    files["/wide.csv"] = (WIDE + "26/11/2026,email,lots,4\n").encode()
    bad = run_source(engine=store, config=shop, source=source, trigger="command")
    assert bad.status == FAILED
    assert "line 4" in bad.error and "'lots' is not a number" in bad.error
    assert len(stored(store)) == 3


def test_a_mapping_name_is_checked_when_sources_yaml_loads(tmp_path: Path, shop: AppConfig) -> None:
    with pytest.raises(ConfigError, match=r"sources\.feed\.settings\.mapping"):
        one_source(tmp_path, "csv_url", "      path: /a.csv\n      mapping: '  '\n", shop)


def test_the_bench_export_has_the_fixtures_shape() -> None:
    fixture_header = SHOPIFY.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert fixture_header == HEADER
    data = shopify_export(40).decode()
    rows = data.splitlines()
    assert len(rows) == 41
    assert all(len(r.split(",")) == len(HEADER) for r in rows)


def test_a_failed_file_run_reads_in_german_and_writes_nothing(
    tmp_path: Path, shop: AppConfig, store: Engine
) -> None:
    from planning import i18n

    changed = tmp_path / "changed.csv"
    changed.write_text(SHOPIFY.read_text(encoding="utf-8").replace("Lineitem quantity,", "Q,"))
    unmapped = tmp_path / "unmapped.csv"
    unmapped.write_text(SHOPIFY.read_text(encoding="utf-8").replace("AP-100-M", "ZZ-100-M"))
    wide = tmp_path / "wide.csv"
    wide.write_text(WIDE)
    missing = tmp_path / "nowhere" / "orders_export.csv"
    cases = {
        "changed": ("shopify_orders_csv", f"      path: {changed}\n"),
        "unmapped": ("shopify_orders_csv", f"      path: {unmapped}\n"),
        "missing": ("shopify_orders_csv", f"      path: {missing}\n"),
        "no mapping": ("csv_url", f"      path: {wide}\n      mapping: Analyst sheet\n"),
    }
    errors = {}
    i18n.use_team_locale("de")  # a run record is kept in the team's language
    with i18n.use_locale("de"):
        for case, (kind, settings) in cases.items():
            folder = tmp_path / case.replace(" ", "_")
            folder.mkdir()
            source = one_source(folder, kind, settings, shop)
            outcome = run_source(engine=store, config=shop, source=source, trigger="command")
            assert outcome.status == FAILED
            errors[case] = outcome.error
    assert errors["changed"].startswith(
        "die Datei kann nicht importiert werden: dies ist kein Shopify-Bestellexport, oder seine "
        "Kopfzeile hat sich geändert: keine Spalte 'Lineitem quantity'"
    )
    assert errors["unmapped"] == (
        "1 fehlerhafte Zeile, nichts geschrieben: Zeile 2, Spalte Lineitem sku: keine Produktlinie "
        "für diesen Artikel (SKU 'ZZ-100-M'): ordnen Sie ihn in settings.yaml unter "
        "imports.shopify_orders.product_lines oder sku_prefixes zu"
    )
    assert errors["missing"].startswith(f"{missing} kann nicht gelesen werden: ")
    assert errors["no mapping"].startswith(
        "es gibt keine gespeicherte Spaltenzuordnung namens 'Analyst sheet': speichern Sie sie "
        "unter Verwaltung → Datenimport"
    )
    assert stored(store) == {}
    assert batches(store) == []
    with store.connect() as connection:
        recorded = connection.execute(text("SELECT error FROM source_run ORDER BY id")).all()
    assert [r[0] for r in recorded] == list(errors.values())
