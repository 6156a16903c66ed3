"""A Shopify orders export (tests/fixtures/formats/shopify_orders_export.csv, Shopify's own header)
turned into daily orders, net revenue, units and net revenue by product line, with the values
worked out by hand from the fixture; hostile files refused with nothing written.

The fixture, in the shop's time zone (-0500):
- #1001 (Nov 24, 09:15): 2 × sweater (AP-) at 45 + 1 × runner (FW-) at 90, code WELCOME10 takes
  18 off: Subtotal 162 → Apparel 81, Footwear 81 (split 90:90).
- #1002 (Nov 24, 20:40, i.e. Nov 25 01:40 UTC): 1 × throw (HM-) at 60, 20 refunded → 40.
- #1003 cancelled, #1004 a test order (tag `test`, gateway `bogus`): left out.
- #1005 (Nov 25, 14:30): serum (BT-) 30, belt (AC-) 40, sweater (AP-) 45 → 115.
- #1006 (Nov 26, 08:05): runner at 90, refunded 99.20 with its shipping and tax → 0, still an order.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine

from bench.shopify_export import PREFIXES
from planning import i18n
from planning.config import AppConfig
from planning.metrics.import_file import ImportFileError
from planning.metrics.importer import ImportResult
from planning.sources.formats import SHOPIFY_ORDERS, detect_format, import_in_format
from planning.sources.shopify_orders import parse_shopify_orders
from planning.store.models import Person, Role
from tests.sources_support import store_counts, stored

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "formats"
EXPORT = FIXTURES / "shopify_orders_export.csv"
TWO_CURRENCIES = FIXTURES / "shopify_orders_two_currencies.csv"


def shop_config(
    config: AppConfig, time_zone: str = "America/New_York", **rules: object
) -> AppConfig:
    """The shipped configuration with the shop's SKU prefixes, time zone and any other rules."""
    shopify = config.settings.imports.shopify_orders.model_copy(
        update={"sku_prefixes": PREFIXES, **rules}
    )
    imports = config.settings.imports.model_copy(update={"shopify_orders": shopify})
    settings = config.settings.model_copy(update={"time_zone": time_zone, "imports": imports})
    return config.model_copy(update={"settings": settings})


def values(table) -> dict[tuple[str, str, str], float]:  # type: ignore[no-untyped-def]
    """{(date, measure, product line or channel/device): value} of a converted table."""
    out = {}
    for row in table.itertuples(index=False):
        where = row.product_line or f"{row.channel}/{row.device}"
        out[(row.date, row.measure, where)] = float(row.value)
    return out


def edited(**replace: str) -> bytes:
    """The fixture with some text replaced (old=new pairs given as a dict)."""
    content = EXPORT.read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in content, old
        content = content.replace(old, new)
    return content.encode("utf-8")


def import_orders(
    engine: Engine,
    config: AppConfig,
    data: bytes,
    actor: Person | None = None,
    source: str = "cli",
) -> ImportResult:
    """Import a Shopify orders export (the shop's settings) as `actor` from `source`."""
    upload = {"filename": "orders_export.csv", "fmt": "shopify_orders", "source": source}
    return import_in_format(
        engine=engine, actor=actor, data=data, config=shop_config(config), **upload
    )


def test_worked_example_in_the_shops_time_zone(config: AppConfig) -> None:
    converted = parse_shopify_orders(data=EXPORT.read_bytes(), config=shop_config(config))
    assert converted.problems == []
    assert values(converted.table) == {
        ("2026-11-24", "orders", "direct/desktop"): 2,
        ("2026-11-24", "net_revenue", "direct/desktop"): 202,  # 162 + (60 - 20)
        ("2026-11-25", "orders", "direct/desktop"): 1,
        ("2026-11-25", "net_revenue", "direct/desktop"): 115,
        ("2026-11-26", "orders", "direct/desktop"): 1,
        ("2026-11-26", "net_revenue", "direct/desktop"): 0,
        ("2026-11-24", "units", "Apparel"): 2,
        ("2026-11-24", "units", "Footwear"): 1,
        ("2026-11-24", "units", "Home"): 1,
        ("2026-11-25", "units", "Beauty"): 1,
        ("2026-11-25", "units", "Accessories"): 1,
        ("2026-11-25", "units", "Apparel"): 1,
        ("2026-11-26", "units", "Footwear"): 1,
        ("2026-11-24", "line_net_revenue", "Apparel"): 81,
        ("2026-11-24", "line_net_revenue", "Footwear"): 81,
        ("2026-11-24", "line_net_revenue", "Home"): 40,
        ("2026-11-25", "line_net_revenue", "Beauty"): 30,
        ("2026-11-25", "line_net_revenue", "Accessories"): 40,
        ("2026-11-25", "line_net_revenue", "Apparel"): 45,
        ("2026-11-26", "line_net_revenue", "Footwear"): 0,
    }
    assert converted.notes == [
        "4 orders counted; left out: 1 cancelled, 1 test, 0 with a skipped financial status."
    ]
    # Each row points at the first line behind it: #1002 starts on line 4 and its Notes cell
    # spans two lines, so #1005 starts on line 8.
    lines = {(r.date, r.measure, r.product_line): int(i) for i, r in converted.table.iterrows()}
    assert lines[("2026-11-25", "units", "Beauty")] == 8


def test_days_follow_the_team_time_zone(config: AppConfig) -> None:
    # In UTC, #1002 (20:40 -0500) falls on 25 November.
    converted = parse_shopify_orders(data=EXPORT.read_bytes(), config=shop_config(config, "UTC"))
    got = values(converted.table)
    assert got[("2026-11-24", "orders", "direct/desktop")] == 1
    assert got[("2026-11-24", "net_revenue", "direct/desktop")] == 162
    assert got[("2026-11-25", "orders", "direct/desktop")] == 2
    assert got[("2026-11-25", "net_revenue", "direct/desktop")] == 155
    assert got[("2026-11-25", "line_net_revenue", "Home")] == 40
    # The shop's days are not the team's: a daily export holds part of two team days, and
    # importing it would replace a whole day with that part, so the preview says so.
    assert converted.notes[1] == (
        "1 order falls on another day in the team's time zone (UTC) than in the shop's: the "
        "first and last day of this file may hold only part of their orders, and importing it "
        "replaces what is stored for them. Set time_zone in settings.yaml to the shop's time "
        "zone to count the shop's days."
    )
    with i18n.use_locale("de"):
        german = parse_shopify_orders(data=EXPORT.read_bytes(), config=shop_config(config, "UTC"))
    assert german.notes[1].startswith("1 Bestellung fällt in der Zeitzone des Teams (UTC) auf")


def test_days_by_payment_leave_unpaid_orders_out(config: AppConfig) -> None:
    data = edited(
        **{"#1005,di@example.com,paid,2026-11-25 14:30:05 -0500": ("#1005,di@example.com,pending,")}
    )
    by_creation = values(parse_shopify_orders(data=data, config=shop_config(config)).table)
    assert by_creation[("2026-11-25", "orders", "direct/desktop")] == 1
    by_payment = parse_shopify_orders(data=data, config=shop_config(config, date="paid"))
    got = values(by_payment.table)
    assert ("2026-11-25", "orders", "direct/desktop") not in got
    assert "1 not paid yet" in by_payment.notes[0]


def test_test_orders_are_found_by_configurable_tags_and_gateways(config: AppConfig) -> None:
    counted_too = shop_config(config, test_tags=[], test_payment_methods=[])
    got = values(parse_shopify_orders(data=EXPORT.read_bytes(), config=counted_too).table)
    assert got[("2026-11-25", "orders", "direct/desktop")] == 2  # #1004 and #1005
    assert got[("2026-11-25", "net_revenue", "direct/desktop")] == 160
    by_gateway_only = shop_config(config, test_tags=[], test_payment_methods=["Bogus"])
    got = values(parse_shopify_orders(data=EXPORT.read_bytes(), config=by_gateway_only).table)
    assert got[("2026-11-25", "orders", "direct/desktop")] == 1


def test_taxes_come_off_when_prices_include_them(config: AppConfig) -> None:
    converted = parse_shopify_orders(
        data=EXPORT.read_bytes(), config=shop_config(config, prices_include_taxes=True)
    )
    got = values(converted.table)
    assert got[("2026-11-24", "net_revenue", "direct/desktop")] == pytest.approx(
        162 - 12.96 + 60 - 20 - 4.80
    )


def test_product_lines_from_a_mapped_column(config: AppConfig) -> None:
    by_vendor = shop_config(
        config,
        sku_prefixes={},
        product_line_column="Vendor",
        product_lines={"Northwind": "Home"},
    )
    got = values(parse_shopify_orders(data=EXPORT.read_bytes(), config=by_vendor).table)
    assert got[("2026-11-24", "line_net_revenue", "Home")] == 202
    assert got[("2026-11-24", "units", "Home")] == 4


def test_unmapped_product_lines_are_listed_by_line(config: AppConfig) -> None:
    converted = parse_shopify_orders(data=EXPORT.read_bytes(), config=config)
    assert [(p.line, p.column) for p in converted.problems] == [
        (2, "Lineitem sku"),
        (3, "Lineitem sku"),
        (4, "Lineitem sku"),
        (8, "Lineitem sku"),
        (9, "Lineitem sku"),
        (10, "Lineitem sku"),
        (11, "Lineitem sku"),
    ]
    assert "SKU 'AP-100-M'" in converted.problems[0].reason
    assert "sku_prefixes" in converted.problems[0].reason


def test_import_writes_once_and_a_rerun_changes_nothing(engine: Engine, config: AppConfig) -> None:
    first = import_orders(engine, config, EXPORT.read_bytes())
    assert first.ok and (first.added, first.updated, first.unchanged) == (20, 0, 0)
    again = import_orders(engine, config, EXPORT.read_bytes())
    assert (again.added, again.updated, again.unchanged) == (0, 0, 20)
    assert store_counts(engine) == (20, 2)
    revenue = [
        v for (m, _, day), v in stored(engine).items() if (m, day) == ("net_revenue", "2026-11-24")
    ]
    assert revenue == [202]


def test_two_currencies_are_refused_naming_them_and_their_lines(
    engine: Engine, config: AppConfig
) -> None:
    with pytest.raises(ImportFileError) as refused:
        import_orders(engine, config, TWO_CURRENCIES.read_bytes())
    assert str(refused.value) == (
        "the export mixes currencies (EUR on lines 8 and 12; USD on lines 2, 4 and 11); "
        "Quarterdeck counts money in one currency (USD, settings.yaml): export the USD orders only"
    )
    assert store_counts(engine) == (0, 0)


def test_orders_in_another_currency_than_the_teams_are_refused(config: AppConfig) -> None:
    data = EXPORT.read_text(encoding="utf-8").replace(",USD,", ",CAD,").encode()
    with pytest.raises(ImportFileError, match="in CAD but Quarterdeck counts money in USD"):
        parse_shopify_orders(data=data, config=shop_config(config))


def test_a_changed_header_is_refused(config: AppConfig) -> None:
    data = edited(**{"Lineitem quantity,": "Quantity,"})
    with pytest.raises(ImportFileError, match="header changed: no column 'Lineitem quantity'"):
        parse_shopify_orders(data=data, config=shop_config(config))


def test_malformed_formula_and_huge_cells_are_listed_and_nothing_is_written(
    engine: Engine, config: AppConfig
) -> None:
    data = edited(
        **{
            "2,Merino Crew Sweater - M,45.00": '2,Merino Crew Sweater - M,"=HYPERLINK(""http://x"",""45"")"',
            "1,Linen Throw,60.00": "1.5,Linen Throw,60.00",
            "USD,115.00,": "USD,1e308,",
            "2026-11-26 08:05:00 -0500": "yesterday",
            "1,Vitamin C Serum,30.00": "-1,Vitamin C Serum,30.00",
        }
    )
    converted = parse_shopify_orders(data=data, config=shop_config(config))
    found = {(p.line, p.column): p.reason for p in converted.problems}
    assert found == {
        (2, "Lineitem price"): '\'=HYPERLINK("http://x","45")\' is not a number',
        (4, "Lineitem quantity"): "quantity 1.5 is not whole",
        (8, "Subtotal"): "1e308 is beyond 1e+10, too large to be real",
        (8, "Lineitem quantity"): "-1 is negative",
        (11, "Created at"): "'yesterday' is not a Shopify time such as 2026-11-24 09:15:02 -0500",
    }
    result = import_orders(engine, config, data)
    assert not result.ok and len(result.problems) == 5
    assert store_counts(engine) == (0, 0)


def test_a_formula_in_a_product_line_cell_never_reaches_the_store(config: AppConfig) -> None:
    by_vendor = shop_config(config, sku_prefixes={}, product_line_column="Vendor")
    data = EXPORT.read_text(encoding="utf-8").replace(",Northwind,", ",=cmd|' /C calc'!A0,")
    converted = parse_shopify_orders(data=data.encode(), config=by_vendor)
    assert converted.problems and all(p.column == "Vendor" for p in converted.problems)
    assert "no product line for this item (Vendor \"=cmd|' /C calc'!A0\"" in (
        converted.problems[0].reason
    )


def test_a_row_with_too_many_cells_refuses_the_file(config: AppConfig) -> None:
    content = EXPORT.read_text(encoding="utf-8").splitlines()
    content[2] += ",extra"
    with pytest.raises(ImportFileError, match="line 3 has 80 cells but the header has 79"):
        parse_shopify_orders(data="\n".join(content).encode(), config=shop_config(config))


def test_settings_naming_undeclared_values_are_refused(config: AppConfig) -> None:
    with pytest.raises(ImportFileError, match=r"imports.shopify_orders.channel: 'web'"):
        parse_shopify_orders(data=EXPORT.read_bytes(), config=shop_config(config, channel="web"))
    with pytest.raises(ImportFileError, match="'Toys' is not a declared product line"):
        parse_shopify_orders(
            data=EXPORT.read_bytes(), config=shop_config(config, sku_prefixes={"T-": "Toys"})
        )


def test_only_directors_import_and_a_member_writes_nothing(
    engine: Engine, config: AppConfig
) -> None:
    from sqlmodel import Session

    from planning.access.permissions import PermissionDenied

    with Session(engine, expire_on_commit=False) as session:
        member = Person(name="Milo", email="milo@example.com", role=Role.member)
        session.add(member)
        session.commit()
    with pytest.raises(PermissionDenied, match="director"):
        import_orders(engine, config, EXPORT.read_bytes(), actor=member, source="upload")
    assert store_counts(engine) == (0, 0)


def test_a_header_of_thousands_of_columns_or_another_encoding_is_refused(
    config: AppConfig,
) -> None:
    wide = ",".join(f"c{i}" for i in range(5000)) + "\n" + ",".join("1" * 5000) + "\n"
    with pytest.raises(ImportFileError, match="the header has 5,000 columns; at most 500"):
        parse_shopify_orders(data=wide.encode(), config=shop_config(config))
    with pytest.raises(ImportFileError, match="not UTF-8 text"):
        parse_shopify_orders(
            data=EXPORT.read_text(encoding="utf-8").replace("Merino", "Mérino").encode("cp1252"),
            config=shop_config(config),
        )


def test_an_export_saved_as_utf16_reads_as_the_original(config: AppConfig) -> None:
    # Excel's "Unicode Text" and some download tools write UTF-16 with a byte order mark.
    original = parse_shopify_orders(data=EXPORT.read_bytes(), config=shop_config(config))
    for encoding in ("utf-16", "utf-16-be"):
        data = EXPORT.read_text(encoding="utf-8").encode(encoding)
        if encoding == "utf-16-be":
            data = b"\xfe\xff" + data
        converted = parse_shopify_orders(data=data, config=shop_config(config))
        assert values(converted.table) == values(original.table)
        assert converted.notes == original.notes


def test_an_export_saved_by_a_german_spreadsheet_is_told_about_its_semicolons(
    config: AppConfig,
) -> None:
    # Opened in Excel set to German and saved again: ';' between cells.
    data = EXPORT.read_text(encoding="utf-8").replace(",", ";").encode()
    # Recognised on upload, so the refusal is Shopify's, not the long format's.
    assert detect_format(data, "orders_export.csv") == SHOPIFY_ORDERS
    with pytest.raises(ImportFileError) as refused:
        parse_shopify_orders(data=data, config=shop_config(config))
    assert "not a Shopify orders export" in str(refused.value)
    assert str(refused.value).endswith(
        "; the file seems to use ';' between cells, as a spreadsheet in German and other languages "
        "with a decimal comma saves it again: upload the export as downloaded, not saved again"
    )


def test_refusals_row_problems_and_notes_read_in_german_and_nothing_is_written(
    engine: Engine, config: AppConfig
) -> None:
    from planning import i18n

    bad_cells = edited(
        **{
            "1,Linen Throw,60.00": "1.5,Linen Throw,60.00",
            "USD,115.00,": "USD,1e308,",
            "2026-11-26 08:05:00 -0500": "yesterday",
            "1,Vitamin C Serum,30.00": "-1,Vitamin C Serum,30.00",
        }
    )
    wide = ",".join(f"c{i}" for i in range(5000)) + "\n" + ",".join("1" * 5000) + "\n"
    with i18n.use_locale("de"):
        with pytest.raises(ImportFileError) as mixed:
            import_orders(engine, config, TWO_CURRENCIES.read_bytes())
        with pytest.raises(ImportFileError) as too_wide:
            import_orders(engine, config, wide.encode())
        result = import_orders(engine, config, bad_cells)
        lines = [str(p) for p in result.problems]
        notes = parse_shopify_orders(data=EXPORT.read_bytes(), config=shop_config(config)).notes
    assert str(mixed.value) == (
        "der Export mischt Währungen (EUR in Zeilen 8 und 12; USD in Zeilen 2, 4 und 11); "
        "Quarterdeck rechnet Geld in einer Währung (USD, settings.yaml): exportieren Sie nur die "
        "Bestellungen in USD"
    )
    assert str(too_wide.value) == "die Kopfzeile hat 5.000 Spalten; höchstens 500"
    assert lines == [
        "Zeile 4, Spalte Lineitem quantity: Menge 1.5 ist keine ganze Zahl",
        "Zeile 8, Spalte Lineitem quantity: -1 ist negativ",
        "Zeile 8, Spalte Subtotal: 1e308 liegt über 1e+10, zu groß, um echt zu sein",
        "Zeile 11, Spalte Created at: 'yesterday' ist keine Shopify-Zeitangabe wie "
        "2026-11-24 09:15:02 -0500",
    ]
    assert notes == [
        "Bestellungen gezählt: 4; ausgelassen: 1 storniert, 1 Test, 0 mit übersprungenem "
        "Zahlungsstatus."
    ]
    assert store_counts(engine) == (0, 0)


def _with_columns(*names: str) -> bytes:
    """The fixture with columns added at the end, "999.00" in each row (CSV-written, so the
    Notes cell that spans lines stays whole)."""
    records = list(csv.reader(io.StringIO(EXPORT.read_text(encoding="utf-8"))))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*records[0], *names])
    writer.writerows([*record, *["999.00"] * len(names)] for record in records[1:])
    return out.getvalue().encode()


def test_a_column_the_rules_read_named_twice_is_refused_not_guessed(
    engine: Engine, config: AppConfig
) -> None:
    # A hand-edited export with a second Subtotal: taking the first would be a guess.
    data = _with_columns("Subtotal", "x; DROP TABLE observation;--")
    with pytest.raises(ImportFileError, match="named more than once in the header: subtotal"):
        import_orders(engine, config, data)
    assert store_counts(engine) == (0, 0)
    # A repeated column the rules do not read changes nothing.
    converted = parse_shopify_orders(data=_with_columns("Vendor"), config=shop_config(config))
    assert converted.problems == []


def test_an_export_pasted_twice_is_refused_instead_of_counting_items_twice(
    engine: Engine, config: AppConfig
) -> None:
    # Two exports pasted into one file: each order's rows again after the others. Read before as
    # extra line items of the first copy, the units of every order doubled.
    records = list(csv.reader(io.StringIO(EXPORT.read_text(encoding="utf-8"))))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([*records, *records[1:]])
    result = import_orders(engine, config, out.getvalue().encode())
    reappearing = [p for p in result.problems if p.column == "Name"]
    assert [p.reason.split(":")[0] for p in reappearing] == [
        f"order {name} appears again after other orders"
        for name in ("#1001", "#1002", "#1003", "#1004", "#1005", "#1006")
    ]
    assert store_counts(engine) == (0, 0)
    with i18n.use_locale("de"):
        german = import_orders(engine, config, out.getvalue().encode())
    assert "kommt nach anderen Bestellungen erneut vor" in german.problems[0].reason


def test_an_export_sorted_in_a_spreadsheet_is_read_as_exported(config: AppConfig) -> None:
    # Sorted by Created at, as a spreadsheet sorts: the extra line items (blank there) go last,
    # apart from their orders' first rows. Apart is not twice: every order counts once.
    records = list(csv.reader(io.StringIO(EXPORT.read_text(encoding="utf-8"))))
    created = records[0].index("Created at")
    body = sorted(records[1:], key=lambda r: (r[created] == "", r[created]))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([records[0], *body])
    converted = parse_shopify_orders(data=out.getvalue().encode(), config=shop_config(config))
    assert converted.problems == []
    exported = parse_shopify_orders(data=EXPORT.read_bytes(), config=shop_config(config))
    assert values(converted.table) == values(exported.table)


def test_the_command_line_prints_what_the_export_left_out_and_moved(
    cli_store: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from planning.cli.main import main
    from planning.config import CONFIG_DIR_ENV
    from tests.config_support import config_copy

    found = config_copy(tmp_path / "config", time_zone="UTC")
    settings = yaml.safe_load((found / "settings.yaml").read_text())
    settings["imports"]["shopify_orders"]["sku_prefixes"] = PREFIXES
    (found / "settings.yaml").write_text(yaml.safe_dump(settings))
    monkeypatch.setenv(CONFIG_DIR_ENV, str(found))

    assert main(["import", str(EXPORT), "--format", "shopify_orders"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        "4 orders counted; left out: 1 cancelled, 1 test, 0 with a skipped financial status."
    )
    assert out[1].startswith("1 order falls on another day in the team's time zone (UTC)")
    assert out[2].startswith("added ")
