"""The meeting's exports on the demo store: the Goals report as a PDF with a cover and a page per
objective, the roadmap and the impact ledger as PDF, PNG and SVG, read back the way a reader's
tools read them; and `python -m planning report` refusing bad input without writing a file."""

from __future__ import annotations

import io
import os
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine
from sqlmodel import Session

from planning import clock, i18n
from planning.cli.main import main
from planning.config import CONFIG_DIR_ENV, default_config
from planning.okrs.evaluation import period_goals
from planning.reports import export
from planning.store.engine import DATABASE_URL_ENV, create_store_engine
from planning.work.roadmap import RoadmapFilters, board, roadmap_items
from tests.config_support import GERMAN_TEAM, config_copy

CONFIG = default_config()
QUARTER = "2026-Q4"


@pytest.fixture
def demo(
    demo_store_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Engine]:
    """A private copy of the demo store, also the one the command line uses."""
    target = tmp_path / "demo.db"
    shutil.copy(demo_store_file, target)
    monkeypatch.setenv(DATABASE_URL_ENV, f"sqlite:///{target}")
    engine = create_store_engine(f"sqlite:///{target}")
    yield engine
    engine.dispose()


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header (its IHDR chunk)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def svg_root(data: bytes) -> ET.Element:
    root = ET.fromstring(data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def svg_text(root: ET.Element) -> str:
    return " ".join(t.strip() for t in root.itertext() if t.strip())


def pdf_pages(data: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(data))
    return [" ".join((page.extract_text() or "").split()) for page in reader.pages]


def quarter_report(engine: Engine) -> export.QuarterReport:
    """What the goals exports draw for the quarter, as of today."""
    with Session(engine) as session:
        return export.quarter_report(
            session=session, config=CONFIG, period=QUARTER, today=clock.today()
        )


def test_the_goals_report_has_a_cover_and_a_page_per_objective(demo: Engine) -> None:
    today = clock.today()
    with Session(demo) as session:
        data = export.export_goals(
            session=session, config=CONFIG, period=QUARTER, today=today, fmt="pdf"
        )
        evaluation = period_goals(session=session, config=CONFIG, period=QUARTER, today=today)
    pages = pdf_pages(data)
    assert len(evaluation.objectives) == 4
    assert len(pages) == len(evaluation.objectives) + 1
    assert f"Goals {QUARTER}: the quarter's report" in pages[0]
    for objective in evaluation.objectives:
        assert objective.title in pages[0]  # the cover lists every objective
    for page, objective in zip(pages[1:], evaluation.objectives, strict=True):
        assert page.startswith(objective.title)
        assert "Key result Start Current Target Progress" in page
        for kr in objective.key_results:
            assert kr.title in page
    reader = PdfReader(io.BytesIO(data))
    assert reader.metadata is not None and reader.metadata.title == f"Quarterdeck · Goals {QUARTER}"


def test_a_key_results_start_current_and_target_are_written_as_its_unit_reads_them(
    demo: Engine,
) -> None:
    report = quarter_report(demo)
    pages = pdf_pages(export.goals_pdf(report))
    first = report.objectives[0].objective
    kr = next(k for k in first.key_results if k.kind != "milestone")
    start, current, target = export.kr_values(kr, report.currency_symbol)
    assert f"{kr.title} {start} {current} {target}" in pages[1]
    # Its initiatives are listed with their status written out.
    assert report.objectives[0].initiatives
    for item in report.objectives[0].initiatives:
        assert item.title in pages[1]


def test_goals_images_are_drawn_at_twice_the_chart_size_and_name_every_key_result(
    demo: Engine,
) -> None:
    report = quarter_report(demo)
    spec = export.goals_figure(report)
    png = export.render(spec, "png")
    svg = export.render(spec, "svg")
    root = svg_root(svg)
    width, height = png_size(png)
    svg_width, svg_height = float(root.attrib["width"]), float(root.attrib["height"])
    assert (width, height) == (round(svg_width * 2), round(svg_height * 2))
    assert width > 2 * export.FIGURE_WIDTH  # the plot plus its labels, at slide resolution
    text = svg_text(root)
    for item in report.objectives:
        assert item.objective.title in text
        for kr in item.objective.key_results:
            assert kr.title in text


def test_the_roadmap_exports_its_lanes_and_its_board(demo: Engine) -> None:
    today = clock.today()
    filters = RoadmapFilters(quarter=QUARTER)
    with Session(demo) as session:
        items = roadmap_items(session=session, filters=filters, today=today)
        pdf = export.export_roadmap(
            session=session, config=CONFIG, filters=filters, today=today, fmt="pdf"
        )
        svg = export.export_roadmap(
            session=session, config=CONFIG, filters=filters, today=today, fmt="svg"
        )
        png = export.export_roadmap(
            session=session, config=CONFIG, filters=filters, today=today, fmt="png"
        )
    lanes = list(dict.fromkeys(items["objective"].fillna("No objective")))
    pages = pdf_pages(pdf)
    assert len(pages) == len(lanes) + 1  # a page per swimlane, then the board
    for page, lane in zip(pages, lanes, strict=False):
        assert f"Roadmap {QUARTER}: {lane}" in page
    assert "Now / Next / Later" in pages[-1]
    columns = board(items)
    for title in columns["now"]["title"]:
        assert title in pages[-1]
    text = svg_text(svg_root(svg))
    assert "Now / Next / Later" in text
    assert f"Now · {len(columns['now'])}" in text
    width, height = png_size(png)
    assert width > 2 * export.FIGURE_WIDTH and height > width / 2


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "nothing on the roadmap matches these filters"),
        ("de", "nichts auf der Roadmap passt zu diesen Filtern"),
    ],
)
def test_a_filter_that_keeps_nothing_is_refused(demo: Engine, language: str, message: str) -> None:
    with (
        i18n.use_locale(language),
        Session(demo) as session,
        pytest.raises(export.ExportError) as refused,
    ):
        export.export_roadmap(
            session=session,
            config=CONFIG,
            filters=RoadmapFilters(quarter="2031-Q1"),
            today=clock.today(),
            fmt="png",
        )
    assert str(refused.value) == message


def test_the_impact_ledger_exports_its_table_and_chart(demo: Engine) -> None:
    with Session(demo) as session:
        entries = export.impact_entries(session=session, config=CONFIG)
        pdf = export.export_impact(session=session, config=CONFIG, fmt="pdf")
        svg = export.export_impact(session=session, config=CONFIG, fmt="svg")
    [page] = pdf_pages(pdf)
    for entry in entries:
        assert entry.initiative in page
    text = svg_text(svg_root(svg))
    for entry in entries:
        if entry.measured:
            assert entry.initiative in text


@pytest.mark.parametrize("fmt", ["gif", "", "PDF "])
def test_a_format_is_checked(fmt: str) -> None:
    if fmt.strip().lower() == "pdf":
        assert export.check_format(fmt) == "pdf"
    else:
        with pytest.raises(export.ExportError, match="unknown format"):
            export.check_format(fmt)


# --- the command line --------------------------------------------------------------------------


def test_report_writes_the_quarters_pdf(
    demo: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "q4.pdf"
    assert main(["report", "--period", QUARTER, "--format", "pdf", "--out", str(out)]) == 0
    assert f"wrote {QUARTER} goals as PDF to {out}" in capsys.readouterr().out
    pages = pdf_pages(out.read_bytes())
    assert len(pages) == 5 and "the quarter's report" in pages[0]


def test_a_german_teams_report_is_written_in_german(
    demo: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = config_copy(tmp_path / "config", **GERMAN_TEAM)
    monkeypatch.setenv(CONFIG_DIR_ENV, str(config))
    out = tmp_path / "q4.pdf"
    try:
        assert main(["report", "--period", QUARTER, "--out", str(out)]) == 0
    finally:
        i18n.use_team_locale("en", currency="USD")  # loading the team's settings set German
    pages = pdf_pages(out.read_bytes())
    assert len(pages) == 5
    assert f"Ziele {QUARTER}: Bericht zum Quartal" in pages[0]
    assert "Stand 25. Nov. 2026 · Tag 56 von 92 · das Quartal läuft. 4 Objectives" in pages[0]
    assert "Objective Verantwortlich Status Fortschritt Bis jetzt erwartet" in pages[0]
    assert f"Quarterdeck · Ziele {QUARTER} · Seite 1" in pages[0]
    assert "Schlüsselergebnis Beginn Aktuell Ziel Fortschritt Erwartet Status" in pages[1]
    assert "the quarter's report" not in pages[0] and "Key result" not in pages[1]


@pytest.mark.parametrize(("view", "fmt"), [("goals", "png"), ("roadmap", "svg"), ("impact", "png")])
def test_report_writes_each_view_as_an_image(
    demo: Engine, tmp_path: Path, view: str, fmt: str
) -> None:
    out = tmp_path / f"out.{fmt}"
    assert main(["report", "--view", view, "--format", fmt, "--out", str(out)]) == 0
    data = out.read_bytes()
    if fmt == "png":
        width, _ = png_size(data)
        assert width > 2 * export.FIGURE_WIDTH
    else:
        svg_root(data)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--period", "2026-Q7"], "--period 2026-Q7: '2026-Q7' is not a quarter"),
        (["--period", "2019-Q1"], "2019-Q1 has no objectives to report on"),
        (["--format", "gif"], "invalid choice: 'gif'"),
        (["--view", "slides"], "invalid choice: 'slides'"),
    ],
)
def test_report_refuses_bad_input_and_writes_nothing(
    demo: Engine,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    arguments: list[str],
    message: str,
) -> None:
    out = tmp_path / "q.pdf"
    assert main(["report", *arguments, "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_a_refused_export_is_said_in_german_and_writes_nothing(
    demo: Engine,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(CONFIG_DIR_ENV, str(config_copy(tmp_path / "config", **GERMAN_TEAM)))
    out = tmp_path / "q.pdf"
    try:
        assert main(["report", "--period", "2019-Q1", "--out", str(out)]) == 2
    finally:
        i18n.use_team_locale("en", currency="USD")  # loading the team's settings set German
    with i18n.use_locale("de"), pytest.raises(export.ExportError) as unknown:
        export.check_format("gif")
    assert "2019-Q1 hat keine Objectives, über die berichtet werden kann" in capsys.readouterr().err
    assert str(unknown.value) == "unbekanntes Format 'gif': verwenden Sie eines von pdf, png, svg"
    assert not out.exists()


def test_report_refuses_a_folder_it_cannot_write_to(
    demo: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere" / "q4.pdf"
    assert main(["report", "--out", str(missing)]) == 2
    assert f"the folder {missing.parent} does not exist" in capsys.readouterr().err
    assert not missing.parent.exists()
    assert main(["report", "--out", str(tmp_path)]) == 2
    assert "is a folder; name a file" in capsys.readouterr().err
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        assert main(["report", "--out", str(locked / "q4.pdf")]) == 2
        assert "permission denied" in capsys.readouterr().err
        assert list(locked.iterdir()) == []


def test_report_defaults_to_this_quarter(
    demo: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert clock.today() == date(2026, 11, 26)
    out = tmp_path / "now.pdf"
    assert main(["report", "--out", str(out)]) == 0
    assert "wrote 2026-Q4 goals as PDF" in capsys.readouterr().out
