"""Admin → Data import under AppTest with the formats a shop already has: a Shopify orders export
and a GA4 report are recognised by their header and previewed through their rules; a wide file
is mapped column by column, the mapping saved under a name and offered again; bad files keep
Confirm disabled and write nothing; members never reach the upload."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
import yaml
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from planning.config import CONFIG_DIR_ENV, DEFAULT_CONFIG_DIR
from planning.sources.mappings import list_mappings
from planning.store.engine import create_store_engine
from planning.store.models import Role
from tests.test_page_admin import counts, open_admin, preview_tiles, shown

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "formats"
SHOPIFY = FIXTURES / "shopify_orders_export.csv"
GA4 = FIXTURES / "ga4_funnel_export.csv"
WIDE = "Day,Visits,Purchases\n2026-11-27,1200,38\n2026-11-28,1300,41\n"


@pytest.fixture
def shop_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped configuration with the fixture shop's SKU prefixes."""
    folder = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR, folder)
    path = folder / "settings.yaml"
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    settings["imports"]["shopify_orders"]["sku_prefixes"] = {
        "AP-": "Apparel",
        "FW-": "Footwear",
        "HM-": "Home",
        "BT-": "Beauty",
        "AC-": "Accessories",
    }
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    monkeypatch.setenv(CONFIG_DIR_ENV, str(folder))


def upload(at: AppTest, name: str, content: bytes) -> AppTest:
    at.file_uploader[0].set_value((name, content, "text/csv")).run()
    assert not at.exception
    return at


def stored(url: str, measure: str, dims_key: str, day: str) -> float | None:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        row = conn.execute(
            "SELECT o.value FROM observation o JOIN series s ON s.id = o.series_id "
            "WHERE s.measure = ? AND s.dims_key = ? AND o.day = ?",
            (measure, dims_key, day),
        ).fetchone()
    return None if row is None else float(row[0])


def test_a_shopify_export_is_recognised_previewed_and_imported(
    shop_settings: None, app_store: str
) -> None:
    before_rows, before_batches = counts(app_store)
    at = upload(open_admin(app_store), "orders_export.csv", SHOPIFY.read_bytes())
    assert at.radio(key="admin_format_0").value == "shopify_orders"
    assert "Recognised by its header as: Shopify orders export" in " ".join(
        c.value for c in at.caption
    )
    assert "4 orders counted; left out: 1 cancelled, 1 test" in shown(at.info)
    assert preview_tiles(at)["Observations"] == "20"
    assert counts(app_store) == (before_rows, before_batches)
    at.button(key="admin_confirm_import").click().run()
    assert not at.exception
    assert "Imported orders_export.csv" in shown(at.success)
    assert counts(app_store)[1] == before_batches + 1
    # The shipped team day is UTC: #1002 (Home, 40 after its refund) falls on the 25th, and the
    # 24th's orders are #1001 alone.
    assert stored(app_store, "line_net_revenue", "product_line=Home", "2026-11-25") == 40
    assert stored(app_store, "orders", "channel=direct|device=desktop", "2026-11-24") == 1
    assert stored(app_store, "net_revenue", "channel=direct|device=desktop", "2026-11-24") == 162


def test_a_shopify_export_with_unmapped_products_cannot_be_confirmed(app_store: str) -> None:
    before = counts(app_store)
    at = upload(open_admin(app_store), "orders_export.csv", SHOPIFY.read_bytes())
    assert "orders_export.csv has 7 problems" in shown(at.tabs[0].error)
    problems = at.tabs[0].dataframe[-1].value
    assert list(problems["line"]) == [2, 3, 4, 8, 9, 10, 11]
    assert at.button(key="admin_confirm_import").disabled
    assert counts(app_store) == before


def test_two_currencies_are_refused_on_upload(shop_settings: None, app_store: str) -> None:
    data = (FIXTURES / "shopify_orders_two_currencies.csv").read_bytes()
    at = upload(open_admin(app_store), "orders_export.csv", data)
    assert "the export mixes currencies (EUR on lines 8 and 12" in shown(at.tabs[0].error)
    assert at.button(key="admin_confirm_import").disabled


def test_a_ga4_export_is_recognised_and_previewed(app_store: str) -> None:
    at = upload(open_admin(app_store), "Funnel.csv", GA4.read_bytes())
    assert at.radio(key="admin_format_0").value == "ga4"
    assert preview_tiles(at)["Observations"] == "27"
    assert not at.button(key="admin_confirm_import").disabled


def test_a_wide_file_is_mapped_saved_and_offered_again(app_store: str) -> None:
    before_rows, before_batches = counts(app_store)
    at = upload(open_admin(app_store), "sheet.csv", WIDE.encode())
    assert at.radio(key="admin_format_0").value == "mapping"
    assert at.selectbox(key="admin_mapping_0").value == "New mapping…"
    assert at.selectbox(key="admin_map_0_date").value == "Day"
    # Nothing to preview until a measure column is chosen.
    assert "Choose the column of at least one measure" in shown(at.info)
    assert at.button(key="admin_confirm_import").disabled
    at.selectbox(key="admin_map_0_measure_sessions").set_value("Visits").run()
    at.selectbox(key="admin_map_0_measure_orders").set_value("Purchases").run()
    assert "The mapping is not complete" in shown(at.warning)
    at.selectbox(key="admin_map_0_dim_channel").set_value("every row: email").run()
    at.selectbox(key="admin_map_0_dim_device").set_value("every row: mobile").run()
    assert not at.exception
    assert preview_tiles(at) == {
        "Observations": "4",
        "Would add": "4",
        "Would update": "0",
        "Left as they are": "0",
    }
    at.text_input(key="admin_map_0_name").set_value("Analyst sheet").run()
    at.button(key="admin_map_0_save").click().run()
    assert not at.exception
    assert "Saved the mapping Analyst sheet" in shown(at.success)
    engine = create_store_engine(app_store)
    with Session(engine) as session:
        saved = list_mappings(session=session)
    engine.dispose()
    assert [m.name for m in saved] == ["Analyst sheet"]
    assert saved[0].spec.measures == {"sessions": "Visits", "orders": "Purchases"}

    at.button(key="admin_confirm_import").click().run()
    assert not at.exception
    assert "4 added, 0 updated, 0 unchanged" in shown(at.success)
    assert counts(app_store) == (before_rows + 4, before_batches + 1)
    assert stored(app_store, "sessions", "channel=email|device=mobile", "2026-11-28") == 1300

    # The next upload of the same shape is offered the saved mapping.
    at = upload(at, "sheet-2.csv", WIDE.replace("2026-11-2", "2026-11-1").encode())
    assert at.selectbox(key="admin_mapping_1").value == "Analyst sheet"
    assert "Reads date: Day" in " ".join(c.value for c in at.caption).replace("\\", "")
    assert not at.button(key="admin_confirm_import").disabled


def test_members_never_reach_the_upload(app_store: str) -> None:
    at = open_admin(app_store, Role.member)
    assert len(at.file_uploader) == 0
    assert not [b for b in at.button if b.label in {"Confirm import", "Save mapping"}]


def test_rows_dated_after_today_are_pointed_out_before_confirming(app_store: str) -> None:
    # Today is 26 Nov 2026; 2036 is a mistyped 2026.
    data = b"date,measure,value,channel,device\n2036-11-25,sessions,1200,email,mobile\n"
    at = upload(open_admin(app_store), "week.csv", data)
    assert any(
        "1 row is dated after today, the latest 25 Nov 2036" in info.value for info in at.info
    )
    assert not at.button(key="admin_confirm_import").disabled
