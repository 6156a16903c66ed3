"""A GA4 report exported as CSV (tests/fixtures/formats/ga4_funnel_export.csv: GA4's `#` comment
lines, YYYYMMDD dates, Session default channel group, Device category) turned into the funnel
measures by channel and device, with values worked out by hand; hostile files refused whole.

On 24 November the fixture has Organic Search on mobile (1,200 sessions, 96 add to carts, 48
checkouts, 22 purchases) and on tablet (100, 8, 4, 2); tablet maps to mobile by default, so
organic/mobile records 1,300, 104, 52 (and 24 orders when purchases are recorded).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from planning.config import AppConfig
from planning.metrics.import_file import ImportFileError
from planning.metrics.importer import ImportResult
from planning.sources.formats import GA4, detect_format, import_in_format
from planning.sources.ga4 import parse_ga4

EXPORT = Path(__file__).resolve().parent / "fixtures" / "formats" / "ga4_funnel_export.csv"


def ga4_config(config: AppConfig, **rules: object) -> AppConfig:
    ga4 = config.settings.imports.ga4.model_copy(update=rules)
    imports = config.settings.imports.model_copy(update={"ga4": ga4})
    settings = config.settings.model_copy(update={"imports": imports})
    return config.model_copy(update={"settings": settings})


def values(table) -> dict[tuple[str, str, str], float]:  # type: ignore[no-untyped-def]
    return {
        (r.date, r.measure, f"{r.channel}/{r.device}"): float(r.value)
        for r in table.itertuples(index=False)
    }


def edited(old: str, new: str) -> bytes:
    content = EXPORT.read_text(encoding="utf-8")
    assert old in content
    return content.replace(old, new).encode()


def test_the_export_is_recognised_by_its_header() -> None:
    assert detect_format(EXPORT.read_bytes(), "Ecommerce_funnel.csv") == GA4


def test_worked_example_with_the_default_mappings(config: AppConfig) -> None:
    converted = parse_ga4(data=EXPORT.read_bytes(), config=config)
    assert converted.problems == []
    got = values(converted.table)
    assert len(got) == 27  # 9 day/channel/device cells × 3 measures; purchases not recorded
    assert got[("2026-11-24", "sessions", "organic/mobile")] == 1300
    assert got[("2026-11-24", "add_to_cart_sessions", "organic/mobile")] == 104
    assert got[("2026-11-24", "checkout_sessions", "organic/mobile")] == 52
    assert got[("2026-11-24", "sessions", "organic/desktop")] == 800
    assert got[("2026-11-24", "sessions", "paid_search/mobile")] == 400
    assert got[("2026-11-25", "sessions", "paid_social/mobile")] == 350
    assert got[("2026-11-25", "checkout_sessions", "email/desktop")] == 9
    assert sum(v for k, v in got.items() if k[1] == "sessions") == 5420
    assert not any(k[1] == "orders" for k in got)
    assert "imports.ga4.record_orders is off" in converted.notes[1]
    # The organic/mobile row of the 24th starts at the first GA4 line behind it (line 11).
    lines = {
        (r.date, r.measure, r.channel, r.device): int(i) for i, r in converted.table.iterrows()
    }
    assert lines[("2026-11-24", "sessions", "organic", "mobile")] == 11


def test_purchases_become_orders_when_asked(config: AppConfig) -> None:
    converted = parse_ga4(data=EXPORT.read_bytes(), config=ga4_config(config, record_orders=True))
    got = values(converted.table)
    assert got[("2026-11-24", "orders", "organic/mobile")] == 24
    assert got[("2026-11-25", "orders", "direct/desktop")] == 16
    transactions = EXPORT.read_text(encoding="utf-8").replace("Ecommerce purchases", "Transactions")
    again = parse_ga4(data=transactions.encode(), config=ga4_config(config, record_orders=True))
    assert values(again.table) == got


def test_settings_override_the_default_mapping(config: AppConfig) -> None:
    converted = parse_ga4(
        data=EXPORT.read_bytes(), config=ga4_config(config, devices={"tablet": "desktop"})
    )
    got = values(converted.table)
    assert got[("2026-11-24", "sessions", "organic/desktop")] == 900
    assert got[("2026-11-24", "sessions", "organic/mobile")] == 1200


def import_ga4(engine: Engine, config: AppConfig, data: bytes) -> ImportResult:
    """Import a GA4 export as the command line does."""
    return import_in_format(
        engine=engine,
        actor=None,
        data=data,
        filename="ga4.csv",
        fmt="ga4",
        source="cli",
        config=config,
    )


def test_unmapped_channels_are_listed_with_their_lines(engine: Engine, config: AppConfig) -> None:
    data = edited("20261125,Paid Social", "20261125,Referral").replace(
        b"20261124,Email", b"20261124,Unassigned"
    )
    with pytest.raises(ImportFileError) as refused:
        import_ga4(engine, config, data)
    assert str(refused.value) == (
        "GA4 channel values with no channel to record them under: 'Unassigned' (line 15); "
        "'Referral' (line 20). Map each in settings.yaml under imports.ga4.channels to one of: "
        "organic, direct, paid_search, paid_social, email, affiliate, social"
    )
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM observation")).scalar_one() == 0
    mapped = ga4_config(config, channels={"Referral": "affiliate", "Unassigned": "direct"})
    got = values(parse_ga4(data=data, config=mapped).table)
    assert got[("2026-11-25", "sessions", "affiliate/mobile")] == 350
    assert got[("2026-11-24", "sessions", "direct/mobile")] == 300


def test_a_mapping_to_an_undeclared_value_is_refused(config: AppConfig) -> None:
    with pytest.raises(ImportFileError, match=r"imports.ga4.devices.smart tv: 'tv'"):
        parse_ga4(data=EXPORT.read_bytes(), config=ga4_config(config, devices={"smart tv": "tv"}))


def test_bad_cells_are_listed_and_nothing_is_written(engine: Engine, config: AppConfig) -> None:
    data = (
        edited("20261124,Organic Search,desktop,800", "2026-11-24,Organic Search,desktop,800")
        .replace(
            b"20261124,Direct,desktop,500,45", b'20261124,Direct,desktop,"=HYPERLINK(""x"")",45'
        )
        .replace(b"20261124,Email,mobile,300,30", b"20261124,Email,mobile,-300,30")
        .replace(b"20261125,Email,desktop,150,15,9,7", b"20261125,Email,desktop,150,15,9")
        .replace(b"20261125,Direct,desktop,520,47", b"20261125,Direct,desktop,9e99,47")
        .replace(b"20261125,Organic Search,mobile", b"20261131,Organic Search,mobile")
    )
    result = import_ga4(engine, config, data)
    assert [(p.line, p.column, p.reason) for p in result.problems] == [
        (12, "Date", "'2026-11-24' is not a GA4 date (YYYYMMDD)"),
        (14, "Sessions", "'=HYPERLINK(\"x\")' is not a number"),
        (15, "Sessions", "-300 is negative"),
        (17, "Date", "'20261131' is not a GA4 date (YYYYMMDD)"),
        (18, "Sessions", "9e99 is beyond 1e+10, too large to be real"),
        (19, "", "the row has 6 cells but the header has 7"),
    ]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM import_batch")).scalar_one() == 0


def test_the_dated_table_is_found_among_several(config: AppConfig) -> None:
    chart = "# Chart\nNth day,Sessions\n0000,2600\n0001,2120\n\n"
    content = EXPORT.read_text(encoding="utf-8")
    at = content.index("Date,Session")
    data = (content[:at] + chart + content[at:]).encode()
    converted = parse_ga4(data=data, config=config)
    assert values(converted.table) == values(
        parse_ga4(data=EXPORT.read_bytes(), config=config).table
    )


def test_a_changed_header_is_refused(config: AppConfig) -> None:
    with pytest.raises(ImportFileError, match="no column 'Device category'"):
        parse_ga4(data=edited("Device category", "Platform"), config=config)
    with pytest.raises(ImportFileError, match="no table with Date and Sessions"):
        parse_ga4(data=edited("Date,", "Week,"), config=config)


def test_refusals_and_bad_cells_read_in_german_and_nothing_is_written(
    engine: Engine, config: AppConfig
) -> None:
    from planning import i18n

    unmapped = edited("20261125,Paid Social", "20261125,Referral")
    bad_cells = (
        edited("20261124,Organic Search,desktop,800", "2026-11-24,Organic Search,desktop,800")
        .replace(b"20261124,Email,mobile,300,30", b"20261124,Email,mobile,-300,30")
        .replace(b"20261125,Email,desktop,150,15,9,7", b"20261125,Email,desktop,150,15,9")
    )
    with i18n.use_locale("de"):
        with pytest.raises(ImportFileError) as refused:
            import_ga4(engine, config, unmapped)
        with pytest.raises(ImportFileError) as header_only:
            header = b"Date,Sessions,Device category,Session default channel group\n"
            parse_ga4(data=header, config=config)
        result = import_ga4(engine, config, bad_cells)
        notes = parse_ga4(data=EXPORT.read_bytes(), config=config).notes
    assert str(refused.value) == (
        "GA4-Werte für channel ohne channel, unter dem sie erfasst werden: 'Referral' "
        "(Zeile 20). Ordnen Sie jeden in settings.yaml unter imports.ga4.channels einem dieser "
        "Werte zu: organic, direct, paid_search, paid_social, email, affiliate, social"
    )
    assert str(header_only.value) == "die GA4-Tabelle hat eine Kopfzeile, aber keine Zeilen"
    assert [(p.line, p.column, p.reason) for p in result.problems] == [
        (12, "Date", "'2026-11-24' ist kein GA4-Datum (YYYYMMDD)"),
        (15, "Sessions", "-300 ist negativ"),
        (19, "", "die Zeile hat 6 Zellen, die Kopfzeile aber 7"),
    ]
    assert notes[0] == (
        "10 GA4-Zeilen gelesen: sessions, add_to_cart_sessions, checkout_sessions nach channel "
        "und device."
    )
    assert "Käufe werden nicht als Bestellungen erfasst" in notes[1]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM observation")).scalar_one() == 0
        assert conn.execute(text("SELECT COUNT(*) FROM import_batch")).scalar_one() == 0


def test_a_count_column_named_twice_is_refused_not_guessed(
    engine: Engine, config: AppConfig
) -> None:
    data = edited("Ecommerce purchases", "Sessions")
    with pytest.raises(ImportFileError, match="named more than once in the header: sessions"):
        import_ga4(engine, config, data)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM observation")).scalar_one() == 0


@pytest.mark.parametrize("cell", ["1.200", "2.000"])
def test_a_thousands_point_is_refused_not_read_as_a_fraction_of_a_session(
    engine: Engine, config: AppConfig, cell: str
) -> None:
    # Through a German spreadsheet, 1,200 sessions come back as "1.200": read as 1.2 before, and
    # 2,000 as "2.000", which reads as a whole 2.
    data = edited(
        "20261124,Organic Search,mobile,1200,96", f'20261124,Organic Search,mobile,"{cell}",96'
    )
    result = import_ga4(engine, config, data)
    assert [(p.line, p.column, p.reason) for p in result.problems] == [
        (
            11,
            "Sessions",
            f"'{cell}' is not a whole number: GA4 counts are whole, write them without a "
            "thousands separator (1200, not 1.200)",
        )
    ]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM observation")).scalar_one() == 0


def test_a_report_saved_with_semicolons_or_as_utf16(config: AppConfig) -> None:
    text = EXPORT.read_text(encoding="utf-8")
    with pytest.raises(ImportFileError, match="upload the export as downloaded, not saved again"):
        parse_ga4(data=text.replace(",", ";").encode(), config=config)
    assert detect_format(text.replace(",", ";").encode(), "ga4.csv") == GA4
    utf16 = parse_ga4(data=text.encode("utf-16"), config=config)
    assert utf16.table.equals(parse_ga4(data=EXPORT.read_bytes(), config=config).table)
    assert detect_format(text.encode("utf-16"), "ga4.csv") == GA4
