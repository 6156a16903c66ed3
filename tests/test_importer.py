"""Importing observations: whole-file validation with every bad row reported, one-transaction
writes, idempotent re-imports, CSV and Excel, and a preview that writes nothing."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from openpyxl.worksheet._reader import WorkSheetParser
from sqlalchemy import Engine, text
from sqlmodel import Session

import planning.metrics.import_file as import_file
import planning.metrics.observations as observations_module
from planning import i18n
from planning.access.permissions import PermissionDenied
from planning.config import AppConfig
from planning.metrics.import_checks import RowProblem, validate
from planning.metrics.import_file import ImportFileError, read_table
from planning.metrics.importer import check_file, import_observations, preview
from planning.sources.formats import MAPPING, convert, import_in_format, read_cells
from planning.sources.mappings import MappingSpec, get_mapping, save_mapping
from planning.store.engine import data_versions
from tests.sources_support import director_and_member, store_counts, stored

HEADER = "date,measure,value,channel,device,product_line"
GOOD_ROWS = [
    "2026-01-05,sessions,1000,email,mobile,",
    "2026-01-05,orders,30,email,mobile,",
    "2026-01-06,sessions,10000,organic,desktop,",
    "2026-01-06,net_revenue,2500.5,organic,desktop,",
    "2026-01-06,units,12,,,Footwear",
    "2026-01-06,content_items_due,4,,,",
]


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


def run_import(engine: Engine, config: AppConfig, data: bytes, filename: str = "obs.csv"):  # type: ignore[no-untyped-def]
    return import_observations(
        engine=engine,
        actor=None,
        data=data,
        filename=filename,
        source="upload",
        config=config.metrics,
    )


# --- good files ----------------------------------------------------------------------------------


def test_good_file_is_written_with_its_batch(engine: Engine, config: AppConfig) -> None:
    data = csv_bytes(*GOOD_ROWS)
    versions_before = dict(data_versions(engine))
    result = run_import(engine, config, data)

    assert result.ok and result.problems == []
    assert (result.added, result.updated, result.unchanged) == (6, 0, 0)
    assert stored(engine) == {
        ("sessions", "channel=email|device=mobile", "2026-01-05"): 1000.0,
        ("orders", "channel=email|device=mobile", "2026-01-05"): 30.0,
        ("sessions", "channel=organic|device=desktop", "2026-01-06"): 10000.0,
        ("net_revenue", "channel=organic|device=desktop", "2026-01-06"): 2500.5,
        ("units", "product_line=Footwear", "2026-01-06"): 12.0,
        ("content_items_due", "", "2026-01-06"): 4.0,
    }
    with engine.connect() as conn:
        batch = conn.execute(
            text(
                "SELECT id, source, filename, rows_added, rows_updated, checksum, actor_id "
                "FROM import_batch"
            )
        ).one()
    assert batch[0] == result.batch_id
    assert tuple(batch[1:]) == ("upload", "obs.csv", 6, 0, hashlib.sha256(data).hexdigest(), None)
    assert dict(data_versions(engine)).get("observations", 0) == (
        versions_before.get("observations", 0) + 1
    )


def test_reimporting_the_same_file_changes_nothing(engine: Engine, config: AppConfig) -> None:
    data = csv_bytes(*GOOD_ROWS)
    run_import(engine, config, data)
    before = stored(engine)

    again = run_import(engine, config, data)

    assert (again.added, again.updated, again.unchanged) == (0, 0, 6)
    assert stored(engine) == before
    assert store_counts(engine) == (6, 2)


def test_a_changed_value_is_updated_in_place(engine: Engine, config: AppConfig) -> None:
    run_import(engine, config, csv_bytes(*GOOD_ROWS))
    changed = [row.replace(",30,", ",31,") for row in GOOD_ROWS]

    result = run_import(engine, config, csv_bytes(*changed))

    assert (result.added, result.updated, result.unchanged) == (0, 1, 5)
    assert stored(engine)[("orders", "channel=email|device=mobile", "2026-01-05")] == 31.0
    assert store_counts(engine)[0] == 6


def test_a_bulk_write_counts_right_and_gives_the_page_cache_back(
    engine: Engine, config: AppConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writes of many rows run with a larger SQLite page cache; the counts and the connection's
    own cache size must come out as for a small write."""
    import planning.metrics.observations as observations_module

    monkeypatch.setattr(observations_module, "BULK_CACHE_ROWS", 1)
    run_import(engine, config, csv_bytes(*GOOD_ROWS))
    changed = [row.replace(",30,", ",31,") for row in GOOD_ROWS]
    more = "2026-01-07,orders,5,email,mobile,"

    result = run_import(engine, config, csv_bytes(*changed, more))

    assert (result.added, result.updated, result.unchanged) == (1, 1, 5)
    assert stored(engine)[("orders", "channel=email|device=mobile", "2026-01-05")] == 31.0
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -2000


def test_rows_in_any_order_are_stored_under_their_own_keys(
    engine: Engine, config: AppConfig
) -> None:
    rows = [
        "2026-01-07,orders,7,email,mobile,",
        "2026-01-05,orders,5,email,mobile,",
        "2026-01-06,sessions,60,organic,desktop,",
        "2026-01-06,orders,6,email,mobile,",
        "2026-01-05,sessions,50,organic,desktop,",
    ]
    run_import(engine, config, csv_bytes(*rows))

    assert stored(engine) == {
        ("orders", "channel=email|device=mobile", "2026-01-05"): 5.0,
        ("orders", "channel=email|device=mobile", "2026-01-06"): 6.0,
        ("orders", "channel=email|device=mobile", "2026-01-07"): 7.0,
        ("sessions", "channel=organic|device=desktop", "2026-01-05"): 50.0,
        ("sessions", "channel=organic|device=desktop", "2026-01-06"): 60.0,
    }


def test_columns_may_come_in_any_order_and_case_with_spaces(
    engine: Engine, config: AppConfig
) -> None:
    data = csv_bytes(
        " email , 2026-01-05 , sessions , mobile , 1000 ",
        header="Channel,Date,Measure,Device,Value",
    )
    result = run_import(engine, config, data)
    assert result.added == 1
    assert stored(engine) == {("sessions", "channel=email|device=mobile", "2026-01-05"): 1000.0}


def test_file_without_dimension_columns_for_undimensioned_measures(
    engine: Engine, config: AppConfig
) -> None:
    data = csv_bytes(
        "2026-01-05,content_items_due,4",
        "2026-01-05,content_items_on_time,3",
        header="date,measure,value",
    )
    result = run_import(engine, config, data)
    assert (result.added, result.updated) == (2, 0)


def test_bom_prefixed_utf8_is_accepted(engine: Engine, config: AppConfig) -> None:
    data = b"\xef\xbb\xbf" + csv_bytes(*GOOD_ROWS)
    result = run_import(engine, config, data)
    assert result.added == 6


def test_xlsx_round_trip(engine: Engine, config: AppConfig) -> None:
    frame = pd.DataFrame(
        {
            "date": ["2026-01-05", datetime(2026, 1, 6)],
            "measure": ["sessions", "units"],
            "value": [1000, 12.5],
            "channel": ["email", None],
            "device": ["mobile", None],
            "product_line": [None, "Home"],
        }
    )
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False, engine="openpyxl")

    result = run_import(engine, config, buffer.getvalue(), filename="Observations.XLSX")

    assert (result.added, result.updated) == (2, 0)
    assert stored(engine) == {
        ("sessions", "channel=email|device=mobile", "2026-01-05"): 1000.0,
        ("units", "product_line=Home", "2026-01-06"): 12.5,
    }
    # The same rows as CSV hit the same series and days.
    again = run_import(
        engine,
        config,
        csv_bytes("2026-01-05,sessions,1000,email,mobile,", "2026-01-06,units,12.5,,,Home"),
    )
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)


def test_xlsx_bad_row_reports_its_spreadsheet_row(engine: Engine, config: AppConfig) -> None:
    frame = pd.DataFrame(
        {
            "date": ["2026-01-05", "2026-01-06"],
            "measure": ["sessions", "sessions"],
            "value": [1, -2],
            "channel": ["email", "email"],
            "device": ["mobile", "mobile"],
        }
    )
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False, engine="openpyxl")
    result = run_import(engine, config, buffer.getvalue(), filename="obs.xlsx")
    assert [(p.line, p.column) for p in result.problems] == [(3, "value")]
    assert store_counts(engine) == (0, 0)


def test_director_actor_is_recorded_and_others_are_refused(
    engine: Engine, config: AppConfig
) -> None:
    director, member = director_and_member(engine)
    upload: dict[str, Any] = {
        "engine": engine,
        "data": csv_bytes(*GOOD_ROWS),
        "filename": "a.csv",
        "source": "upload",
        "config": config.metrics,
    }
    with pytest.raises(PermissionDenied, match="director"):
        import_observations(actor=member, **upload)
    assert store_counts(engine) == (0, 0)

    result = import_observations(actor=director, **upload)
    with engine.connect() as conn:
        actor_id = conn.execute(
            text("SELECT actor_id FROM import_batch WHERE id = :i"), {"i": result.batch_id}
        ).scalar_one()
    assert actor_id == director.id


def test_failure_while_recording_the_batch_leaves_the_store_as_it_was(
    engine: Engine, config: AppConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_import(engine, config, csv_bytes(*GOOD_ROWS))
    before = stored(engine)

    def broken(**_: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(observations_module, "record_batch", broken)
    changed = [row.replace(",30,", ",99,") for row in GOOD_ROWS] + [
        "2026-01-07,orders,5,email,mobile,"
    ]
    with pytest.raises(RuntimeError):
        run_import(engine, config, csv_bytes(*changed))

    assert stored(engine) == before
    assert store_counts(engine) == (6, 1)


# --- bad rows ------------------------------------------------------------------------------------

# Each case: one bad row placed on line 3 after a good row; the problem expected there.
BAD_ROWS = {
    "impossible date": (
        "2026-02-30,sessions,5,email,mobile,",
        "date",
        "2026-02-30 is not a real date",
    ),
    "day-first date": ("05/01/2026,sessions,5,email,mobile,", "date", "not in YYYY-MM-DD form"),
    "unpadded date": ("2026-1-5,sessions,5,email,mobile,", "date", "not in YYYY-MM-DD form"),
    "missing date": (",sessions,5,email,mobile,", "date", "date is missing"),
    "date outside the calendar": (
        "1999-12-31,sessions,5,email,mobile,",
        "date",
        "outside the range",
    ),
    "unknown measure": (
        "2026-01-07,sesions,5,email,mobile,",
        "measure",
        "unknown measure 'sesions'; did you mean 'sessions'?",
    ),
    "missing measure": ("2026-01-07,,5,email,mobile,", "measure", "measure is missing"),
    "text value": (
        "2026-01-07,sessions,12abc,email,mobile,",
        "value",
        "value '12abc' is not a number",
    ),
    "comma decimal": ('2026-01-07,sessions,"1,5",email,mobile,', "value", "is not a number"),
    "NaN value": (
        "2026-01-07,sessions,NaN,email,mobile,",
        "value",
        "value 'NaN' is not a finite number",
    ),
    "infinite value": (
        "2026-01-07,sessions,inf,email,mobile,",
        "value",
        "value 'inf' is not a finite number",
    ),
    "missing value": ("2026-01-07,sessions,,email,mobile,", "value", "value is missing"),
    "negative count": (
        "2026-01-07,orders,-3,email,mobile,",
        "value",
        "value -3 is negative; orders is a count measure",
    ),
    "negative money": (
        "2026-01-07,net_revenue,-10.5,email,mobile,",
        "value",
        "net_revenue is a money measure",
    ),
    "missing declared dimension": (
        "2026-01-07,sessions,5,email,,",
        "device",
        "device is missing; sessions is recorded by channel, device",
    ),
    "undeclared dimension value": (
        "2026-01-07,sessions,5,email,tablet,",
        "device",
        "'tablet' is not a declared device value",
    ),
    "wrong case of a dimension value": (
        "2026-01-07,units,5,,,apparel",
        "product_line",
        "did you mean 'Apparel'?",
    ),
    "value in a dimension the measure lacks": (
        "2026-01-07,units,5,email,,Home",
        "channel",
        "units does not have the dimension channel",
    ),
    "duplicate row": ("2026-01-05,sessions,7,email,mobile,", "", "duplicate of line 2"),
}


@pytest.mark.parametrize("case", list(BAD_ROWS), ids=list(BAD_ROWS))
def test_each_bad_row_is_reported_and_nothing_is_written(
    engine: Engine, config: AppConfig, case: str
) -> None:
    run_import(engine, config, csv_bytes(*GOOD_ROWS))
    before, counts_before = stored(engine), store_counts(engine)
    row, column, reason = BAD_ROWS[case]
    # The good row changes a stored value, so writing anything would show.
    data = csv_bytes("2026-01-05,sessions,1234,email,mobile,", row)

    result = run_import(engine, config, data)

    assert not result.ok and result.batch_id is None
    assert (result.added, result.updated) == (0, 0)
    assert len(result.problems) == 1
    problem = result.problems[0]
    assert (problem.line, problem.column) == (3, column)
    assert reason in problem.reason
    assert stored(engine) == before
    assert store_counts(engine) == counts_before


def test_a_mixed_file_lists_every_bad_row_in_file_order(engine: Engine, config: AppConfig) -> None:
    data = csv_bytes(
        "2026-01-05,sessions,1000,email,mobile,",  # line 2, good
        "2026-02-30,orders,-1,email,mobile,",  # line 3, bad date and negative value
        "2026-01-05,orders,30,email,mobile,",  # line 4, good
        "",  # line 5, blank: skipped but counted
        "2026-01-06,sessions,5,,mobile,Home",  # line 6, missing channel, undeclared product line
        "2026-01-05,sessions,1000,email,mobile,",  # line 7, duplicate of line 2
        "2026-01-06,bogus,5,email,mobile,",  # line 8, unknown measure
    )
    result = run_import(engine, config, data)

    assert [(p.line, p.column) for p in result.problems] == [
        (3, "date"),
        (3, "value"),
        (6, "channel"),
        (6, "product_line"),
        (7, ""),
        (8, "measure"),
    ]
    assert result.problems[4].reason == "duplicate of line 2: same measure, date and dimensions"
    assert str(result.problems[0]) == "line 3, column date: 2026-02-30 is not a real date"
    assert str(result.problems[4]).startswith("line 7: duplicate of line 2")
    assert store_counts(engine) == (0, 0)


def test_dimension_column_absent_for_a_measure_that_declares_it(
    engine: Engine, config: AppConfig
) -> None:
    data = csv_bytes("2026-01-05,sessions,10,email", header="date,measure,value,channel")
    result = run_import(engine, config, data)
    assert result.problems == [
        RowProblem(2, "device", "device is missing; sessions is recorded by channel, device")
    ]


def test_bad_row_deep_in_a_large_file_is_found_at_its_line(config: AppConfig) -> None:
    days = pd.date_range("2020-01-01", periods=2000).strftime("%Y-%m-%d")
    rows = [
        f"{d},sessions,{i},{c},mobile," for i, d in enumerate(days) for c in ("email", "organic")
    ]
    rows[3210] = rows[3210].replace(",mobile,", ",tablet,")
    table = read_table(data=csv_bytes(*rows), filename="big.csv", config=config.metrics)

    validation = validate(table=table, config=config.metrics)

    assert [(p.line, p.column) for p in validation.problems] == [(3212, "device")]
    assert len(validation.frame) == len(rows) - 1


def test_validate_numbers_a_plain_table_like_a_csv(config: AppConfig) -> None:
    table = pd.DataFrame(
        {
            "date": ["2026-01-05", "2026-01-32"],
            "measure": ["orders", "orders"],
            "value": ["1", "2"],
            "channel": ["email", "email"],
            "device": ["mobile", "mobile"],
        }
    )
    validation = validate(table=table, config=config.metrics)
    assert [(p.line, p.column) for p in validation.problems] == [(3, "date")]
    assert validation.frame.to_dict("records") == [
        {
            "measure": "orders",
            "day": date(2026, 1, 5),
            "dims_key": "channel=email|device=mobile",
            "value": 1.0,
        }
    ]


# --- files that cannot be read -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "obs.csv", "the file is empty"),
        (b"\n\n  \n", "obs.csv", "the file is empty"),
        (HEADER.encode() + b"\n", "obs.csv", "header but no data rows"),
        (
            csv_bytes("2026-01-05,sessions,1,email,mobile,,red", header=HEADER + ",colour"),
            "obs.csv",
            "unknown column 'colour'",
        ),
        (
            csv_bytes("2026-01-05,sessions", header="date,measure"),
            "obs.csv",
            "missing required column: value",
        ),
        (b"date;measure;value\n2026-01-05;sessions;1\n", "obs.csv", "';' between cells"),
        (
            "date,measure,value\n2026-01-05,caf\u00e9,1\n".encode("latin-1"),
            "obs.csv",
            "not UTF-8 text",
        ),
        (
            csv_bytes("2026-01-05,sessions,1,email,mobile,,extra"),
            "obs.csv",
            "line 2 has 7 cells but the first line has 6",
        ),
        (
            csv_bytes("2026-01-05,sessions,1", header="date,measure,value,measure"),
            "obs.csv",
            "named more than once",
        ),
        (csv_bytes(*GOOD_ROWS), "obs.xls", "use a .csv or .xlsx file"),
        (csv_bytes(*GOOD_ROWS), "obs.xlsx", "not a readable .xlsx workbook"),
    ],
    ids=[
        "empty",
        "blank lines only",
        "header only",
        "unknown column",
        "missing column",
        "semicolons",
        "latin-1",
        "too many cells",
        "repeated column",
        "xls",
        "csv named xlsx",
    ],
)
def test_unreadable_files_raise_and_write_nothing(
    engine: Engine, config: AppConfig, data: bytes, filename: str, message: str
) -> None:
    with pytest.raises(ImportFileError, match=message.replace("(", r"\(").replace(".", r"\.")):
        run_import(engine, config, data, filename=filename)
    assert store_counts(engine) == (0, 0)


def test_empty_trailing_columns_from_spreadsheets_are_ignored(
    engine: Engine, config: AppConfig
) -> None:
    data = b"date,measure,value,,\n2026-01-05,content_items_due,4,,\n"
    assert run_import(engine, config, data).added == 1


# --- preview -------------------------------------------------------------------------------------


def test_preview_counts_against_the_store_without_writing(
    engine: Engine, config: AppConfig
) -> None:
    run_import(engine, config, csv_bytes(*GOOD_ROWS))
    rows = [row.replace(",30,", ",31,") for row in GOOD_ROWS] + [
        "2026-01-07,orders,5,email,mobile,",
        "2026-01-07,units,3,,,Beauty",
    ]
    validation = validate(
        table=read_table(data=csv_bytes(*rows), filename="next.csv", config=config.metrics),
        config=config.metrics,
    )
    before = stored(engine)

    with Session(engine) as session:
        counts = preview(session=session, validation=validation)

    assert (counts.rows, counts.would_add, counts.would_update, counts.would_leave) == (8, 2, 1, 5)
    assert stored(engine) == before
    # The preview agrees with what the import then does.
    result = run_import(engine, config, csv_bytes(*rows))
    assert (result.added, result.updated, result.unchanged) == (2, 1, 5)


def test_preview_of_an_empty_store_adds_everything(engine: Engine, config: AppConfig) -> None:
    validation = validate(
        table=read_table(data=csv_bytes(*GOOD_ROWS), filename="a.csv", config=config.metrics),
        config=config.metrics,
    )
    with Session(engine) as session:
        counts = preview(session=session, validation=validation)
    assert (counts.would_add, counts.would_update, counts.would_leave) == (6, 0, 0)
    assert store_counts(engine) == (0, 0)


# --- files as real tools save them ---------------------------------------------------------------

REAL_FILES = Path(__file__).parent / "fixtures" / "real_files"


def test_a_german_excel_csv_is_refused_for_its_semicolons_not_a_row_width(
    engine: Engine, config: AppConfig
) -> None:
    # German Excel's "CSV UTF-8": BOM, CRLF, ';' between cells, a decimal comma in a value.
    data = (REAL_FILES / "german_excel_semicolons.csv").read_bytes()
    with pytest.raises(ImportFileError, match="';' between cells") as refused:
        run_import(engine, config, data, filename="Umsatz Dezember.csv")
    # German Excel always saves a CSV with ';': its workbook is the way in.
    assert str(refused.value).endswith(
        "; the file seems to use ';' between cells, as Excel saves a CSV in German and other "
        "languages with a decimal comma: upload the workbook as .xlsx instead, or save it with "
        "commas"
    )
    with i18n.use_locale("de"), pytest.raises(ImportFileError, match="mit ';'"):
        run_import(engine, config, data, filename="Umsatz Dezember.csv")
    assert store_counts(engine) == (0, 0)


def _workbook_bytes() -> bytes:
    buffer = io.BytesIO()
    pd.DataFrame({"date": ["2026-12-01"], "measure": ["sessions"], "value": [5]}).to_excel(
        buffer, index=False
    )
    return buffer.getvalue()


def test_a_workbook_named_csv_says_it_is_a_workbook(engine: Engine, config: AppConfig) -> None:
    with pytest.raises(ImportFileError, match=r"zip archive, such as an Excel workbook: name it"):
        run_import(engine, config, _workbook_bytes(), filename="export.csv")
    with i18n.use_locale("de"), pytest.raises(ImportFileError, match="ZIP-Archiv"):
        import_in_format(
            engine=engine,
            actor=None,
            data=_workbook_bytes(),
            filename="orders_export.csv",
            fmt="shopify_orders",
            source="cli",
            config=config,
        )
    assert store_counts(engine) == (0, 0)


def test_a_decimal_comma_says_how_to_write_the_number(engine: Engine, config: AppConfig) -> None:
    data = csv_bytes(
        '2026-12-01,net_revenue,"1.234,56",email,mobile,', '2026-12-01,orders,"12,5",email,mobile,'
    )
    result = run_import(engine, config, data)
    assert [str(p) for p in result.problems] == [
        "line 2, column value: value '1.234,56' is not a number: write a decimal point and no "
        "thousands separator, e.g. 1234.56",
        "line 3, column value: value '12,5' is not a number: write a decimal point and no "
        "thousands separator, e.g. 1234.56",
    ]
    with i18n.use_locale("de"):
        german = run_import(engine, config, data)
    assert "schreiben Sie einen Dezimalpunkt" in german.problems[0].reason
    assert store_counts(engine) == (0, 0)


def test_text_that_only_python_reads_as_a_number_is_not_called_infinite(
    engine: Engine, config: AppConfig
) -> None:
    data = csv_bytes(
        "2026-12-01,sessions,1_000,email,mobile,",
        "2026-12-02,sessions,\u0661\u0662,email,mobile,",
        "2026-12-03,sessions,1e400,email,mobile,",
    )
    reasons = [p.reason for p in run_import(engine, config, data).problems]
    assert reasons == [
        "value '1_000' is not a number",
        "value '\u0661\u0662' is not a number",
        "value '1e400' is not a finite number",
    ]
    assert store_counts(engine) == (0, 0)


def test_a_runaway_cell_is_quoted_short(engine: Engine, config: AppConfig) -> None:
    runaway = "email " * 100_000
    data = csv_bytes(
        f"2026-12-01,sessions,1,{runaway},mobile,",
        f"2026-12-01,{runaway},1,email,mobile,",
        f"{runaway},sessions,1,email,desktop,",
        f"2026-12-02,sessions,{runaway},email,mobile,",
    )
    problems = run_import(engine, config, data).problems
    assert len(problems) == 4
    assert all(len(p.reason) < 300 for p in problems), [len(p.reason) for p in problems]
    assert "'email email" in problems[0].reason
    assert store_counts(engine) == (0, 0)


def test_a_workbook_that_cannot_be_opened_is_explained_in_the_readers_language(
    engine: Engine, config: AppConfig
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("report.txt", "not a workbook")
    with i18n.use_locale("de"):
        with pytest.raises(ImportFileError, match=r"\(sie ist ein ZIP-Archiv ohne Arbeitsmappe"):
            run_import(engine, config, buffer.getvalue(), filename="Umsatz.xlsx")
        with pytest.raises(ImportFileError, match=r"\(sie ist kein ZIP-Archiv"):
            run_import(engine, config, csv_bytes(*GOOD_ROWS), filename="Umsatz.xlsx")
        with pytest.raises(ImportFileError, match=r"^die Datei ist leer$"):
            read_cells(b"", "Umsatz.xlsx")  # an empty workbook offered for a column mapping
    assert store_counts(engine) == (0, 0)


def test_a_tab_separated_text_file_is_told_about_its_tabs(
    engine: Engine, config: AppConfig
) -> None:
    # Excel's "Text (Tab delimited)" renamed .csv; a decimal comma in a value as well.
    data = (
        b"date\tmeasure\tvalue\tchannel\tdevice\r\n"
        b"2026-12-01\tnet_revenue\t1234,5\temail\tmobile\r\n"
        b"2026-12-01\tsessions\t1234\temail\tmobile\r\n"
    )
    with pytest.raises(ImportFileError, match="tabs between cells, save it as CSV UTF-8"):
        run_import(engine, config, data, filename="Umsatz.csv")
    assert store_counts(engine) == (0, 0)


def test_a_utf16_file_is_read_like_utf8(engine: Engine, config: AppConfig) -> None:
    # "Unicode Text" from Excel and some exporters: UTF-16 with a byte order mark.
    text = HEADER + "\r\n" + "\r\n".join(GOOD_ROWS) + "\r\n"
    result = run_import(engine, config, text.encode("utf-16"))
    assert (result.problems, result.added) == ([], 6)
    # Tab-separated, as Excel saves Unicode Text: told about the tabs, nothing written.
    with pytest.raises(ImportFileError, match="tabs between cells"):
        run_import(engine, config, text.replace(",", "\t").encode("utf-16"))
    # Half a character (a lone surrogate) after the byte order mark.
    with pytest.raises(ImportFileError, match="UTF-16 text but byte 5 cannot be read"):
        run_import(engine, config, b"\xff\xfed\x00\x00\xd8")
    assert store_counts(engine) == (6, 1)


def test_rows_dated_after_today_are_pointed_out_before_and_after_the_import(
    engine: Engine, config: AppConfig
) -> None:
    # Today is pinned to 2026-11-26; 2036 is 2026 mistyped. The rows went in without a word and
    # counted nowhere, for years.
    rows = [*GOOD_ROWS, "2036-11-25,sessions,900,email,mobile,", "2026-11-27,units,2,,,Home"]
    note = (
        "2 rows are dated after today, the latest 25 Nov 2036: they are written, but count only "
        "once their day is over and complete. Check their dates if that is a mistake."
    )
    with Session(engine) as session:
        check = check_file(
            session=session, data=csv_bytes(*rows), filename="w.csv", config=config.metrics
        )
    assert check.preview is not None and check.preview.notes == [note]
    result = run_import(engine, config, csv_bytes(*rows))
    assert result.ok and result.notes == [note]
    # A file of past days says nothing.
    assert run_import(engine, config, csv_bytes(*GOOD_ROWS)).notes == []
    with i18n.use_locale("de"), Session(engine) as session:
        check = check_file(
            session=session, data=csv_bytes(*rows), filename="w.csv", config=config.metrics
        )
    assert check.preview is not None
    assert check.preview.notes[0].startswith("2 Zeilen tragen ein Datum nach heute")


def test_thousands_spaces_and_apostrophes_say_how_to_write_the_number(
    engine: Engine, config: AppConfig
) -> None:
    # French and Scandinavian spreadsheets group thousands with a (no-break) space, Swiss ones
    # with an apostrophe; English ones with a comma before a decimal point.
    cells = ["1 234", "1\u00a0234,5", "1\u202f234", "1'234.50", "12,345.6"]
    rows = [f'2026-01-0{i + 1},sessions,"{cell}",email,mobile,' for i, cell in enumerate(cells)]
    result = run_import(engine, config, csv_bytes(*rows))
    assert [p.reason for p in result.problems] == [
        f"value {cell!r} is not a number: write a decimal point and no thousands separator, "
        "e.g. 1234.56"
        for cell in cells
    ]
    assert store_counts(engine) == (0, 0)


# --- hostile workbooks ---------------------------------------------------------------------------


def workbook_bytes(header: list[str], rows: int) -> bytes:
    """A workbook whose first sheet has `header` and `rows` rows of good observations."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(header)
    for number in range(rows):
        sheet.append([f"2026-01-{1 + number % 28:02d}", "sessions", number, "email", "mobile"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_member(workbook: bytes, name: str, content: bytes, copies: int = 1) -> bytes:
    """The workbook with extra members `name` (numbered when there are several copies)."""
    buffer = io.BytesIO(workbook)
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        for copy in range(copies):
            archive.writestr(f"{name}{copy}" if copies > 1 else name, content)
    return buffer.getvalue()


@pytest.fixture
def rows_parsed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many sheet rows the workbook reader has parsed, counted as it parses them."""
    seen: list[int] = []
    original = WorkSheetParser.parse_row

    def counting(self: WorkSheetParser, element: Any) -> Any:
        seen.append(1)
        return original(self, element)

    monkeypatch.setattr(WorkSheetParser, "parse_row", counting)
    return seen


@pytest.fixture
def part_bytes_read(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How many unpacked bytes have been read from each part of a zip archive."""
    read: dict[str, int] = {}
    original = zipfile.ZipExtFile.read

    def counting(self: zipfile.ZipExtFile, n: int = -1) -> bytes:
        data = original(self, n)
        read[self.name] = read.get(self.name, 0) + len(data)
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counting)
    return read


GOOD_SHEET_HEADER = ["date", "measure", "value", "channel", "device"]
SHEET = "xl/worksheets/sheet1.xml"


def test_a_workbook_with_a_wrong_header_is_refused_having_read_only_its_first_row(
    engine: Engine, config: AppConfig, rows_parsed: list[int], part_bytes_read: dict[str, int]
) -> None:
    data = workbook_bytes(["date", "measure", "amount", "channel", "device"], 20_000)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_size = archive.getinfo(SHEET).file_size
    part_bytes_read.clear()
    with pytest.raises(ImportFileError, match=r"^missing required column: value \(the header"):
        run_import(engine, config, data, filename="obs.xlsx")
    assert len(rows_parsed) == 1
    # The sheet's XML is read in chunks: only the first, not the sheet whole, as opening it with
    # openpyxl's read-only workbook would (to find its size, which openpyxl's files leave out).
    assert sheet_size > 1_000_000 and part_bytes_read[SHEET] < sheet_size / 10
    assert store_counts(engine) == (0, 0)

    rows_parsed.clear()
    wide = GOOD_SHEET_HEADER + [f"extra {n}" for n in range(100)]
    with pytest.raises(ImportFileError, match=r"^the header has 105 columns; an observations"):
        run_import(engine, config, workbook_bytes(wide, 5_000), filename="obs.xlsx")
    assert len(rows_parsed) == 1

    # A good header reads on to the end.
    rows_parsed.clear()
    assert run_import(engine, config, workbook_bytes(GOOD_SHEET_HEADER, 28), "obs.xlsx").added == 28
    assert len(rows_parsed) == 29


def test_a_padded_workbook_is_refused_from_its_zip_directory(
    engine: Engine, config: AppConfig, rows_parsed: list[int]
) -> None:
    # 20 MB of padding packed into about 20 kB, beside a good sheet.
    data = with_member(workbook_bytes(GOOD_SHEET_HEADER, 3), "xl/media/pad.bin", bytes(20_000_000))
    assert len(data) < 100_000
    with pytest.raises(
        ImportFileError,
        match=r"^the workbook's part xl/media/pad\.bin unpacks to \S+ times its packed size, "
        r"more than the 100 times a real workbook does: it is refused unread$",
    ):
        run_import(engine, config, data, filename="obs.xlsx")
    with i18n.use_locale("de"):
        with pytest.raises(ImportFileError, match=r"mehr als das 100-Fache"):
            run_import(engine, config, data, filename="obs.xlsx")
        with pytest.raises(ImportFileError, match=r"mehr als das 100-Fache"):
            read_cells(data, "Umsatz.xlsx")  # offered for a column mapping
    assert rows_parsed == []
    assert store_counts(engine) == (0, 0)


def test_a_workbook_unpacking_past_the_upload_limit_is_refused_unread(
    engine: Engine, config: AppConfig, rows_parsed: list[int]
) -> None:
    # 201 parts of 1 MB each: none packs suspiciously well on its own, together they pass 200 MB.
    data = with_member(
        workbook_bytes(GOOD_SHEET_HEADER, 3), "xl/media/part", bytes(1_000_000), copies=201
    )
    with pytest.raises(
        ImportFileError,
        match=r"^the workbook unpacks to 201 MB, more than the 200 MB a file may have; ",
    ):
        run_import(engine, config, data, filename="obs.xlsx")
    with (
        i18n.use_locale("de"),
        pytest.raises(ImportFileError, match=r"^die Arbeitsmappe wird entpackt 201 MB groß"),
    ):
        run_import(engine, config, data, filename="obs.xlsx")
    assert rows_parsed == []
    assert store_counts(engine) == (0, 0)


def test_a_sheet_past_the_row_limit_is_refused_without_reading_on(
    engine: Engine, config: AppConfig, rows_parsed: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_file, "MAX_SHEET_ROWS", 10)
    data = workbook_bytes(GOOD_SHEET_HEADER, 1_000)
    with pytest.raises(
        ImportFileError, match=r"^the sheet has more than 10 rows, the most a sheet can hold$"
    ):
        run_import(engine, config, data, filename="obs.xlsx")
    assert len(rows_parsed) == 11
    assert store_counts(engine) == (0, 0)


def rewritten(workbook: bytes, part: str, change: Callable[[bytes], bytes]) -> bytes:
    """The workbook with one part's bytes changed."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(workbook)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = source.read(info.filename)
            target.writestr(info.filename, change(content) if info.filename == part else content)
    return out.getvalue()


def understated(workbook: bytes, part: str, size: int) -> bytes:
    """The workbook with `part` declared `size` bytes unpacked, in its local header and in the
    zip's directory, though it unpacks to more."""
    data = bytearray(workbook)
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        info = archive.getinfo(part)
        directory_at = archive.start_dir
    struct.pack_into("<I", data, info.header_offset + 22, size)
    entry = data.index(b"PK\x01\x02", directory_at)
    while data[entry + 46 : entry + 46 + len(part)] != part.encode():
        entry = data.index(b"PK\x01\x02", entry + 4)
    struct.pack_into("<I", data, entry + 24, size)
    return bytes(data)


def test_a_workbook_whose_parts_are_not_what_they_say_is_refused(
    engine: Engine, config: AppConfig, part_bytes_read: dict[str, int]
) -> None:
    good = workbook_bytes(GOOD_SHEET_HEADER, 20_000)
    # A sheet declaring 10 kB that unpacks to megabytes is read no further than 10 kB.
    lying = understated(good, SHEET, 10_000)
    part_bytes_read.clear()
    with pytest.raises(
        ImportFileError,
        match=r"^the file is not a readable \.xlsx workbook \(a part of it does not unpack to "
        r"what the zip's directory says\)$",
    ):
        run_import(engine, config, lying, filename="obs.xlsx")
    assert part_bytes_read.get(SHEET, 0) <= 10_000
    # A sheet whose XML breaks off is explained, not a server error.
    broken = rewritten(good, SHEET, lambda xml: xml.replace(b"</sheetData>", b"<row><c></row>"))
    with pytest.raises(
        ImportFileError,
        match=r"^the file is not a readable \.xlsx workbook \(a part of it is not well-formed "
        r"XML: ",
    ):
        run_import(engine, config, broken, filename="obs.xlsx")
    with (
        i18n.use_locale("de"),
        pytest.raises(ImportFileError, match=r"ist kein wohlgeformtes XML: "),
    ):
        run_import(engine, config, broken, filename="obs.xlsx")
    assert store_counts(engine) == (0, 0)


# --- a workbook offered for a column mapping: the same reader, limits and refusals -------------

WIDE_SPEC = MappingSpec(
    date_column="Day",
    fixed={"channel": "email", "device": "mobile"},
    measures={"sessions": "Visits", "orders": "Orders"},
)


def wide_workbook(header: list[str], rows: int) -> bytes:
    """A wide workbook: `header`, then `rows` rows of a day and two counts."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(header)
    for number in range(rows):
        sheet.append([f"2026-01-{1 + number % 28:02d}", number, number // 10])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def import_mapped(engine: Engine, config: AppConfig, data: bytes, filename: str = "wide.xlsx"):  # type: ignore[no-untyped-def]
    """Import a wide file through the saved mapping "wide" (WIDE_SPEC), saving it first."""
    with Session(engine) as session:
        if get_mapping(session=session, name="wide") is None:
            save_mapping(
                session=session, actor=None, name="wide", spec=WIDE_SPEC, metrics=config.metrics
            )
            session.commit()
    return import_in_format(
        engine=engine,
        actor=None,
        data=data,
        filename=filename,
        fmt="mapping:wide",
        source="upload",
        config=config,
    )


def test_a_mapping_workbook_with_a_wrong_header_is_refused_having_read_only_its_first_row(
    engine: Engine, config: AppConfig, rows_parsed: list[int], part_bytes_read: dict[str, int]
) -> None:
    data = wide_workbook(["Day", "Visits", "Bestellungen"], 20_000)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_size = archive.getinfo(SHEET).file_size
    part_bytes_read.clear()
    with pytest.raises(
        ImportFileError,
        match=r"^the file has no column 'Orders' that the mapping reads \(its header: Day, "
        r"Visits, Bestellungen\)$",
    ):
        import_mapped(engine, config, data)
    assert len(rows_parsed) == 1
    assert sheet_size > 1_000_000 and part_bytes_read[SHEET] < sheet_size / 10
    assert store_counts(engine) == (0, 0)

    rows_parsed.clear()
    wide = ["Day", "Visits", "Orders", *(f"extra {n}" for n in range(600))]
    with pytest.raises(ImportFileError, match=r"^the header has 603 columns; at most 500$"):
        import_mapped(engine, config, wide_workbook(wide, 5_000))
    assert len(rows_parsed) == 1

    # A good header reads on to the end: 28 days of sessions and of orders.
    rows_parsed.clear()
    assert import_mapped(engine, config, wide_workbook(["Day", "Visits", "Orders"], 28)).added == 56
    assert len(rows_parsed) == 29


def test_a_mapping_workbook_past_the_row_limit_is_refused_without_reading_on(
    engine: Engine, config: AppConfig, rows_parsed: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_file, "MAX_SHEET_ROWS", 10)
    with pytest.raises(
        ImportFileError, match=r"^the sheet has more than 10 rows, the most a sheet can hold$"
    ):
        import_mapped(engine, config, wide_workbook(["Day", "Visits", "Orders"], 1_000))
    assert len(rows_parsed) == 11
    assert store_counts(engine) == (0, 0)


def compound_file(*streams: str) -> bytes:
    """An OLE2 compound file (an old .xls, or the wrapper Excel saves a password-protected
    workbook in) of one FAT sector and one directory sector naming `streams`, all empty."""
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound file signature
    # Minor and major version, byte order, sector and mini-sector shifts.
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    # One FAT sector, the directory in sector 1, the mini-stream cutoff, no mini FAT, no DIFAT.
    struct.pack_into("<IIIIIIIII", header, 44, 1, 1, 0, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0, 0)
    header[80:] = b"\xff" * (512 - 80)  # the other DIFAT slots are free
    fat = struct.pack("<II", 0xFFFFFFFD, 0xFFFFFFFE) + b"\xff" * 504

    def entry(name: str, kind: int, child: int, right: int) -> bytes:
        encoded = (name + "\0").encode("utf-16-le")
        return struct.pack(
            "<64sHBBIII16sI16sIQ",
            encoded,
            len(encoded),
            kind,
            1,
            0xFFFFFFFF,
            right,
            child,
            b"",
            0,
            b"",
            0xFFFFFFFE,
            0,
        )

    entries = [entry("Root Entry", 5, 1 if streams else 0xFFFFFFFF, 0xFFFFFFFF)]
    for number, name in enumerate(streams, start=1):
        entries.append(
            entry(name, 2, 0xFFFFFFFF, number + 1 if number < len(streams) else 0xFFFFFFFF)
        )
    directory = b"".join(entries).ljust(512, b"\0")
    return bytes(header) + fat + directory


def book_after(first: str, *, data_sheet: bool = True) -> bytes:
    """A workbook whose first sheet is a chart sheet (`first` "chart") or an empty sheet
    ("empty"), with a wide sheet after it or nothing else."""
    book = openpyxl.Workbook()
    if first == "chart":
        empty = book.active
        assert empty is not None
        book.remove(empty)
        book.create_chartsheet("Chart")
    if data_sheet:
        sheet = book.create_sheet("Data")
        sheet.append(["Day", "Visits", "Orders"])
        sheet.append(["2026-01-05", 1200, 38])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "refusal", "german"),
    [
        (
            with_member(
                wide_workbook(["Day", "Visits", "Orders"], 3), "xl/media/pad.bin", bytes(20_000_000)
            ),
            r"^the workbook's part xl/media/pad\.bin unpacks to \S+ times its packed size",
            "mehr als das 100-Fache",
        ),
        (
            b"Day,Visits,Orders\n2026-01-05,1200,38\n",
            r"^the file is not a readable \.xlsx workbook \(it is not a zip archive, as every "
            r"\.xlsx file is\)$",
            "keine lesbare .xlsx-Arbeitsmappe",
        ),
        (
            compound_file("EncryptionInfo", "EncryptedPackage"),
            r"^the workbook is password-protected \(encrypted\) and cannot be read: remove the "
            r"password in Excel",
            "Passwort",
        ),
        (
            compound_file("Workbook"),
            r"^the file is an old Excel workbook \(\.xls\) named \.xlsx: save it as \.xlsx",
            ".xls",
        ),
        (
            book_after("chart", data_sheet=False),
            r"^the workbook holds only charts, no sheet of cells: put the data on a sheet$",
            "Diagramm",
        ),
        (
            book_after("empty"),
            r"^the workbook's first sheet is empty: put the data on the first sheet$",
            "erste Blatt",
        ),
    ],
    ids=[
        "zip bomb",
        "not a zip",
        "encrypted",
        "old xls",
        "only a chart sheet",
        "empty first sheet",
    ],
)
def test_a_hostile_workbook_is_refused_alike_for_a_mapping_and_the_long_format(
    engine: Engine, config: AppConfig, data: bytes, refusal: str, german: str
) -> None:
    with pytest.raises(ImportFileError, match=refusal):
        import_mapped(engine, config, data)
    with pytest.raises(ImportFileError, match=refusal):
        run_import(engine, config, data, filename="obs.xlsx")
    with pytest.raises(ImportFileError, match=refusal):
        read_cells(data, "wide.xlsx")  # the mapping editor reading the header
    with i18n.use_locale("de"), pytest.raises(ImportFileError) as in_german:
        import_mapped(engine, config, data)
    assert german in str(in_german.value)
    assert store_counts(engine) == (0, 0)


def test_a_chart_sheet_before_the_data_is_passed_over(engine: Engine, config: AppConfig) -> None:
    result = import_mapped(engine, config, book_after("chart"))
    assert (result.added, result.problems) == (2, [])


def test_a_mapping_workbook_keeps_its_sheet_row_numbers_and_column_names(
    config: AppConfig,
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([])  # a title row left empty
    sheet.append(["Day", "Visits", "Orders", None, "Visits"])
    sheet.append(["2026-01-05", 1200, 38])
    sheet.append([])
    sheet.append(["2026-01-06", "lots", 40])
    buffer = io.BytesIO()
    book.save(buffer)
    cells = read_cells(buffer.getvalue(), "wide.xlsx")
    assert list(cells.columns) == ["Day", "Visits", "Orders", "Unnamed: 3", "Visits.1"]
    assert list(cells.index) == [3, 5]
    converted = convert(
        data=buffer.getvalue(), filename="wide.xlsx", fmt=MAPPING, config=config, mapping=WIDE_SPEC
    )
    assert converted.problems == [RowProblem(5, "Visits", "'lots' is not a number")]


# --- missing values: the same in a CSV and a workbook ------------------------------------------

MISSING_WORDS = ["NA", "N/A", "null", "-", "#N/A"]


def same_rows(rows: list[list[Any]], stem: str) -> list[tuple[bytes, str]]:
    """The rows as a CSV and as a workbook (an empty cell left empty in both; "#N/A" in the
    workbook is Excel's error cell, which Excel writes as #N/A in a CSV)."""
    text = "".join(",".join(str(cell) for cell in row) + "\n" for row in rows)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append([None if cell == "" else cell for cell in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return [(text.encode(), f"{stem}.csv"), (buffer.getvalue(), f"{stem}.xlsx")]


@pytest.mark.parametrize("cell", ["", *MISSING_WORDS])
def test_a_missing_value_is_refused_alike_in_a_csv_and_a_workbook(
    engine: Engine, config: AppConfig, cell: str
) -> None:
    results = [
        run_import(engine, config, data, filename=name)
        for data, name in same_rows(
            [
                ["date", "measure", "value", "channel", "device"],
                ["2026-01-05", "sessions", 1200, "email", "mobile"],
                ["2026-01-06", "sessions", cell, "email", "mobile"],
            ],
            "obs",
        )
    ]
    reason = (
        "value is missing"
        if cell == ""
        else f"value {cell!r} stands for no value: a row without a value cannot be imported, "
        "leave it out of the file"
    )
    assert [result.problems for result in results] == [[RowProblem(3, "value", reason)]] * 2
    assert store_counts(engine) == (0, 0)


@pytest.mark.parametrize("cell", MISSING_WORDS)
def test_a_word_for_no_value_in_a_mapped_column_is_refused_alike_in_a_csv_and_a_workbook(
    engine: Engine, config: AppConfig, cell: str
) -> None:
    files = same_rows(
        [["Day", "Visits", "Orders"], ["2026-01-05", 1200, 38], ["2026-01-06", 1300, cell]],
        "wide",
    )
    reason = f"{cell!r} stands for no value: leave the cell empty where there is none"
    for data, name in files:
        result = import_mapped(engine, config, data, filename=name)
        assert [(p.line, p.column) for p in result.problems] == [(3, "Orders")]
        assert result.problems[0].reason.startswith(reason)
    assert store_counts(engine) == (0, 0)


def test_an_empty_mapped_cell_is_no_observation_in_a_csv_and_a_workbook(
    engine: Engine, config: AppConfig
) -> None:
    files = same_rows(
        [["Day", "Visits", "Orders"], ["2026-01-05", 1200, 38], ["2026-01-06", 1300, ""]],
        "wide",
    )
    tables = [
        convert(data=data, filename=name, fmt=MAPPING, config=config, mapping=WIDE_SPEC).table
        for data, name in files
    ]
    assert [sorted(zip(t["date"], t["measure"], t["value"], strict=True)) for t in tables] == [
        [
            ("2026-01-05", "orders", "38"),
            ("2026-01-05", "sessions", "1200"),
            ("2026-01-06", "sessions", "1300"),
        ]
    ] * 2
