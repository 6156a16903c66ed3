"""Column mappings for wide files: saved by directors under a name (audited), refused for others,
applied to a wide file with worked values, and reused by the command line's
`import FILE --format shopify_orders|ga4|mapping:NAME`."""

from __future__ import annotations

import io
import sqlite3
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from planning import i18n
from planning.access.permissions import PermissionDenied
from planning.cli.main import main
from planning.config import CONFIG_DIR_ENV, AppConfig
from planning.metrics.import_file import ImportFileError
from planning.sources.formats import (
    INTERCHANGE,
    MAPPING,
    SHOPIFY_ORDERS,
    convert,
    detect_format,
    import_converted,
)
from planning.sources.mappings import (
    MappingError,
    MappingRead,
    MappingSpec,
    get_mapping,
    list_mappings,
    save_mapping,
)
from planning.store.engine import DATABASE_URL_ENV, create_store_engine
from planning.store.models import AuditEvent, Person
from planning.store.models_metrics import ColumnMapping
from tests.sources_support import director_and_member

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "formats"
REAL_FILES = Path(__file__).resolve().parent / "fixtures" / "real_files"
WIDE = (
    "Day,Channel,Visits,Orders,Revenue\n"
    "24/11/2026,email,1200,38,3610.50\n"
    "24/11/2026,organic,5400,,\n"
    "25/11/2026,email,1300,41,3900\n"
)
SPEC = MappingSpec(
    date_column="Day",
    date_format="DD/MM/YYYY",
    dimensions={"channel": "Channel"},
    fixed={"device": "mobile"},
    measures={"sessions": "Visits", "orders": "Orders", "net_revenue": "Revenue"},
)


def save(
    engine: Engine, actor: Person | None, name: str, spec: MappingSpec, config: AppConfig
) -> MappingRead:
    """Save a column mapping as `actor` and commit it."""
    with Session(engine) as session:
        saved = save_mapping(
            session=session, actor=actor, name=name, spec=spec, metrics=config.metrics
        )
        session.commit()
    return saved


def test_wide_files_are_told_apart_from_the_other_formats() -> None:
    assert detect_format(WIDE.encode(), "sheet.csv") == MAPPING
    assert detect_format(b"date,measure,value\n", "long.csv") == INTERCHANGE
    assert detect_format(b"day;measure;value\n1;2;3\n", "semi.csv") == INTERCHANGE
    export = (FIXTURES / "shopify_orders_export.csv").read_bytes()
    assert detect_format(export, "orders_export.csv") == SHOPIFY_ORDERS


def test_a_wide_file_read_through_a_mapping(config: AppConfig) -> None:
    converted = convert(
        data=WIDE.encode(), filename="sheet.csv", fmt=MAPPING, config=config, mapping=SPEC
    )
    assert converted.problems == []
    rows = {
        (r.date, r.measure, r.channel, r.device, int(i)): r.value
        for i, r in converted.table.iterrows()
    }
    # Empty cells are no observation: organic has sessions only.
    assert rows == {
        ("2026-11-24", "sessions", "email", "mobile", 2): "1200",
        ("2026-11-24", "sessions", "organic", "mobile", 3): "5400",
        ("2026-11-25", "sessions", "email", "mobile", 4): "1300",
        ("2026-11-24", "orders", "email", "mobile", 2): "38",
        ("2026-11-25", "orders", "email", "mobile", 4): "41",
        ("2026-11-24", "net_revenue", "email", "mobile", 2): "3610.50",
        ("2026-11-25", "net_revenue", "email", "mobile", 4): "3900",
    }


def test_bad_cells_of_a_wide_file_name_their_line_and_column(
    engine: Engine, config: AppConfig
) -> None:
    data = (
        WIDE.replace("25/11/2026", "2026-11-25")
        .replace("5400", "=1+1")
        .replace("organic", "tiktok")
        .replace("3610.50", "-3")
        .encode()
    )
    converted = convert(data=data, filename="sheet.csv", fmt=MAPPING, config=config, mapping=SPEC)
    result = import_converted(
        engine=engine,
        actor=None,
        converted=converted,
        data=data,
        filename="sheet.csv",
        source="upload",
        config=config,
    )
    # The file's own column names, except where the importer's rule is about the value itself.
    assert [(p.line, p.column) for p in result.problems] == [
        (2, "value"),
        (3, "Channel"),
        (3, "Visits"),
        (4, "Day"),
    ]
    assert result.problems[2].reason == "'=1+1' is not a number"
    assert "negative" in result.problems[0].reason
    assert "'tiktok' is not a declared channel value" in result.problems[1].reason
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM observation")).scalar_one() == 0


def test_a_mapping_that_does_not_fit_the_file_is_refused(config: AppConfig) -> None:
    data = WIDE.replace("Visits", "Sessions").encode()
    with pytest.raises(ImportFileError, match="the file has no column 'Visits'"):
        convert(data=data, filename="sheet.csv", fmt=MAPPING, config=config, mapping=SPEC)


def test_a_wide_file_without_a_mapping_or_an_unknown_format_is_refused_in_german(
    config: AppConfig,
) -> None:
    data = WIDE.encode()
    with i18n.use_locale("de"):
        with pytest.raises(ImportFileError) as no_mapping:
            convert(data=data, filename="sheet.csv", fmt=MAPPING, config=config)
        with pytest.raises(ImportFileError) as unknown:
            convert(data=data, filename="sheet.csv", fmt="xlsx", config=config)
    assert str(no_mapping.value) == "eine breite Datei braucht eine Spaltenzuordnung"
    assert str(unknown.value) == "unbekanntes Dateiformat 'xlsx'"


def test_directors_save_mappings_audited_and_members_are_refused(
    engine: Engine, config: AppConfig
) -> None:
    director, member = director_and_member(engine)
    with pytest.raises(PermissionDenied, match="director"):
        save(engine, member, "Analyst sheet", SPEC, config)
    with Session(engine) as session:
        assert list_mappings(session=session) == []

    saved = save(engine, director, "  Analyst sheet ", SPEC, config)
    assert saved.name == "Analyst sheet"
    changed = SPEC.model_copy(update={"fixed": {"device": "desktop"}})
    save(engine, director, "Analyst sheet", changed, config)
    with Session(engine) as session:
        found = get_mapping(session=session, name="Analyst sheet")
        assert found is not None and found.spec == changed
        assert len(session.exec(select(ColumnMapping)).all()) == 1
        events = session.exec(
            select(AuditEvent).where(AuditEvent.entity == "column_mapping").order_by(AuditEvent.id)
        ).all()
    assert [(e.action, e.actor_id) for e in events] == [
        ("create", director.id),
        ("update", director.id),
    ]
    assert events[1].before is not None and events[1].before["spec"]["fixed"] == {
        "device": "mobile"
    }


def test_mappings_that_do_not_fit_the_metrics_are_not_saved(
    engine: Engine, config: AppConfig
) -> None:
    director, _ = director_and_member(engine)
    no_device = SPEC.model_copy(update={"fixed": {}})
    with pytest.raises(MappingError, match="fixed value for device"):
        save(engine, director, "x", no_device, config)
    with pytest.raises(MappingError, match="give the mapping a name"):
        save(engine, director, "  ", SPEC, config)
    with pytest.raises(ValueError, match="at least one measure"):
        MappingSpec(date_column="Day", measures={})


# --- the command line ---------------------------------------------------------------------------


@pytest.fixture
def cli_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.db"
    monkeypatch.setenv(DATABASE_URL_ENV, f"sqlite:///{path}")
    monkeypatch.delenv(CONFIG_DIR_ENV, raising=False)
    return path


def counts(store: Path) -> tuple[int, int]:
    with sqlite3.connect(store) as conn:
        rows = conn.execute("SELECT COUNT(*) FROM observation").fetchone()[0]
        batches = conn.execute("SELECT COUNT(*) FROM import_batch").fetchone()[0]
    return int(rows), int(batches)


def test_command_line_imports_in_each_format(
    cli_store: Path,
    tmp_path: Path,
    config: AppConfig,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ga4 = FIXTURES / "ga4_funnel_export.csv"
    assert main(["import", str(ga4), "--format", "ga4"]) == 0
    # The converter's notes come first, as the preview shows them.
    assert capsys.readouterr().out.splitlines() == [
        "10 GA4 rows read: sessions, add_to_cart_sessions, checkout_sessions by channel and "
        "device.",
        "Purchases are not recorded as orders (imports.ga4.record_orders is off in settings.yaml).",
        "added 27, updated 0, unchanged 0",
    ]

    sheet = tmp_path / "sheet.csv"
    sheet.write_text(WIDE, encoding="utf-8")
    assert main(["import", str(sheet), "--format", "mapping:Analyst sheet"]) == 1
    assert "no saved column mapping named 'Analyst sheet'" in capsys.readouterr().err
    engine = create_store_engine(f"sqlite:///{cli_store}")
    save(engine, None, "Analyst sheet", SPEC, config)
    engine.dispose()
    assert main(["import", str(sheet), "--format", "mapping:Analyst sheet"]) == 0
    # Email and organic sessions on mobile on the 24th came from GA4 already: updated.
    assert capsys.readouterr().out.splitlines() == [
        "3 rows read into 7 observations.",
        "added 5, updated 2, unchanged 0",
    ]

    # The shipped settings map no SKU to a product line: every line item is listed, none written.
    before = counts(cli_store)
    export = FIXTURES / "shopify_orders_export.csv"
    assert main(["import", str(export), "--format", "shopify_orders"]) == 1
    err = capsys.readouterr().err
    assert "line 2, column Lineitem sku: no product line for this item" in err
    assert "7 problems in" in err and "nothing was imported" in err
    assert counts(cli_store) == before

    assert main(["import", str(export), "--format", "excel"]) == 1
    assert "unknown format 'excel': use shopify_orders, ga4 or mapping:NAME" in (
        capsys.readouterr().err
    )
    assert counts(cli_store) == before


def test_a_wide_workbook_is_read_through_a_mapping_too(config: AppConfig) -> None:
    import io

    import pandas as pd

    sheet = pd.DataFrame(
        {
            "Day": pd.to_datetime(["2026-11-24", "2026-11-25"]),
            "Channel": ["email", "email"],
            "Visits": [1200, 1300],
            "Orders": [38, None],
            "Revenue": [3610.5, 3900.0],
        }
    )
    buffer = io.BytesIO()
    sheet.to_excel(buffer, index=False)
    spec = SPEC.model_copy(update={"date_format": "YYYY-MM-DD"})
    converted = convert(
        data=buffer.getvalue(), filename="sheet.xlsx", fmt=MAPPING, config=config, mapping=spec
    )
    assert converted.problems == []
    rows = {(r.date, r.measure, int(i)): float(r.value) for i, r in converted.table.iterrows()}
    assert rows == {
        ("2026-11-24", "sessions", 2): 1200,
        ("2026-11-25", "sessions", 3): 1300,
        ("2026-11-24", "orders", 2): 38,
        ("2026-11-24", "net_revenue", 2): 3610.5,
        ("2026-11-25", "net_revenue", 3): 3900,
    }


@pytest.mark.parametrize(
    ("data", "filename", "german"),
    [
        (b"not a zip", "sheet.xlsx", "die Datei ist keine lesbare .xlsx-Arbeitsmappe"),
        (b"Day,Visits\n", "sheet.csv", None),
        (b"Day,Visits\n2026-11-24,1\n", "sheet.ods", ".ods"),
        (b"Day,Visits\n2026-11-24,1\n", "sheet", None),
    ],
    ids=["unreadable workbook", "header only", "other suffix", "no suffix"],
)
def test_a_file_the_mapping_editor_cannot_read_is_explained_in_the_readers_language(
    data: bytes, filename: str, german: str | None
) -> None:
    from planning import i18n
    from planning.sources.formats import read_cells

    with pytest.raises(ImportFileError) as english:
        read_cells(data, filename)
    with i18n.use_locale("de"), pytest.raises(ImportFileError) as in_german:
        read_cells(data, filename)
    assert str(in_german.value) != str(english.value)
    if german is not None:
        assert german in str(in_german.value)


def test_a_mapping_refused_or_a_wide_file_with_bad_cells_reads_in_german_and_writes_nothing(
    engine: Engine, config: AppConfig
) -> None:
    from planning import i18n

    director, _ = director_and_member(engine)
    no_device = SPEC.model_copy(update={"fixed": {}})
    bad_cells = WIDE.replace("25/11/2026", "2026-11-25").replace("5400", "=1+1").encode()
    renamed = WIDE.replace("Visits", "Sessions").encode()
    with i18n.use_locale("de"):
        with pytest.raises(MappingError) as unnamed:
            save(engine, director, "  ", SPEC, config)
        with pytest.raises(MappingError) as incomplete:
            save(engine, director, "x", no_device, config)
        with pytest.raises(ImportFileError) as no_column:
            convert(data=renamed, filename="sheet.csv", fmt=MAPPING, config=config, mapping=SPEC)
        converted = convert(
            data=bad_cells, filename="sheet.csv", fmt=MAPPING, config=config, mapping=SPEC
        )
        result = import_converted(
            engine=engine,
            actor=None,
            converted=converted,
            data=bad_cells,
            filename="sheet.csv",
            source="upload",
            config=config,
        )
    assert str(unnamed.value) == "geben Sie der Zuordnung einen Namen"
    assert str(incomplete.value) == (
        "sessions wird nach channel, device erfasst: ordnen Sie device eine Spalte oder einen "
        "festen Wert zu; orders wird nach channel, device erfasst: ordnen Sie device eine Spalte "
        "oder einen festen Wert zu; net_revenue wird nach channel, device erfasst: ordnen Sie "
        "device eine Spalte oder einen festen Wert zu"
    )
    assert str(no_column.value).startswith(
        "die Datei hat keine Spalte 'Visits', die die Zuordnung liest (ihre Kopfzeile: Day, "
    )
    assert [(p.line, p.column, p.reason) for p in result.problems] == [
        (3, "Visits", "'=1+1' ist keine Zahl"),
        (4, "Day", "'2026-11-25' ist kein Datum im Format DD/MM/YYYY"),
    ]
    assert converted.notes == ["3 Zeilen in 4 Beobachtungen gelesen."]
    with Session(engine) as session:
        assert list_mappings(session=session) == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM observation")).scalar_one() == 0


# --- a German analyst's sheet, as Excel saves it -------------------------------------------------

GERMAN_SPEC = MappingSpec(
    date_column="Tag",
    date_format="DD.MM.YYYY",
    dimensions={"channel": "Kanal"},
    fixed={"device": "mobile"},
    measures={"sessions": "Sitzungen", "net_revenue": "Umsatz (€)"},
)


def test_a_german_workbooks_date_cells_are_read_under_a_dd_mm_yyyy_mapping(
    engine: Engine, config: AppConfig
) -> None:
    # Excel keeps a date cell as a date whatever it shows (here 01.12.2026, German Excel's way).
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Tag", "Kanal", "Sitzungen", "Umsatz (€)"])
    for day, channel, sessions, revenue in (
        (datetime(2026, 12, 31), "email", 1234, 2345.67),
        (datetime(2027, 1, 1), "email", 980, 1020.5),
        (datetime(2028, 2, 29), "organic", 15, 30),
    ):
        sheet.append([day, channel, sessions, revenue])
        sheet.cell(row=sheet.max_row, column=1).number_format = "DD.MM.YYYY"
    buffer = io.BytesIO()
    workbook.save(buffer)
    converted = convert(
        data=buffer.getvalue(),
        filename="Analyse.xlsx",
        fmt=MAPPING,
        config=config,
        mapping=GERMAN_SPEC,
    )
    assert converted.problems == []
    assert sorted(set(converted.table["date"])) == ["2026-12-31", "2027-01-01", "2028-02-29"]
    result = import_converted(
        engine=engine,
        actor=None,
        converted=converted,
        data=buffer.getvalue(),
        filename="Analyse.xlsx",
        source="cli",
        config=config,
    )
    assert (result.added, result.problems) == (6, [])


def test_a_german_excel_wide_csv_is_told_about_its_semicolons_and_decimal_commas(
    config: AppConfig,
) -> None:
    data = (REAL_FILES / "german_excel_wide.csv").read_bytes()
    with i18n.use_locale("de"), pytest.raises(ImportFileError, match="mit ';'"):
        convert(data=data, filename="Analyse.csv", fmt=MAPPING, config=config, mapping=GERMAN_SPEC)
    # Saved with commas, the decimal commas are named with the way to write them.
    commas = data.replace(b";", b",").replace(b"2.345,67", b'"2.345,67"')
    commas = commas.replace(b"1.020,50", b'"1.020,50"')
    converted = convert(
        data=commas, filename="Analyse.csv", fmt=MAPPING, config=config, mapping=GERMAN_SPEC
    )
    assert [str(p) for p in converted.problems] == [
        f"line {line}, column Umsatz (€): value '{cell}' is not a number: write a decimal point "
        "and no thousands separator, e.g. 1234.56"
        for line, cell in ((2, "2.345,67"), (3, "1.020,50"))
    ]
