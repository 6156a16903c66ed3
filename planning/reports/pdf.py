"""The PDFs of the exports (planning/reports/export.py): landscape A4 pages written with fpdf2,
tables for the figures and the charts as images, in a Unicode font when the machine has one."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fpdf import FPDF

from planning import i18n
from planning.i18n import gettext as _
from planning.i18n import ngettext
from planning.impact.ledger import ImpactEntry
from planning.impact.ledger_views import interval_text, lift_text
from planning.impact.lift_estimate import VERDICT_LABELS
from planning.palette import STATUS_LABELS
from planning.reports.chart_specs import progress_spec, progress_text, share
from planning.reports.export import (
    QuarterReport,
    RoadmapReport,
    day_text,
    impact_figure,
    inline,
    kr_values,
    render,
    standing,
)
from planning.work.initiative_input import field_label

# A Unicode font for PDFs (arrows, dashes, names in any Latin script); without one the core
# Helvetica is used and characters outside Latin-1 are replaced.
FONT_PATHS: tuple[str, ...] = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/arial.ttf",
)


def _font_path() -> Path | None:
    for candidate in FONT_PATHS:
        if Path(candidate).is_file():
            return Path(candidate)
    return None


class _Report(FPDF):
    """A landscape A4 report in one Unicode font, with a footer naming it and the page."""

    def __init__(self, title: str) -> None:
        super().__init__(orientation="landscape", unit="mm", format="A4")
        self.report_title = title
        self.set_title(title)
        self.set_author("Quarterdeck")
        self.set_lang(i18n.language())
        self.set_auto_page_break(auto=True, margin=14)
        found = _font_path()
        self.unicode = found is not None
        if found is not None:
            self.add_font("Body", "", str(found))
            bold = found.with_name(f"{found.stem}-Bold{found.suffix}")
            self.add_font("Body", "B", str(bold if bold.is_file() else found))
            self.family_name = "Body"
        else:
            self.family_name = "Helvetica"

    def text_of(self, text: str) -> str:
        """Text the font can write (outside Latin-1 replaced when there is no Unicode font)."""
        if self.unicode:
            return text
        return text.encode("latin-1", "replace").decode("latin-1")

    def use(self, size: float) -> None:
        """Write in the report's font at `size` points."""
        self.set_font(self.family_name, size=size)

    def footer(self) -> None:
        """The report's name and the page number at the foot of every page."""
        self.set_y(-10)
        self.use(8)
        self.set_text_color(90, 90, 90)
        footer = _("{report} · page {page}").format(report=self.report_title, page=self.page_no())
        self.cell(0, 5, self.text_of(footer), align="R")
        self.set_text_color(0, 0, 0)

    def heading(self, text: str, size: float = 20) -> None:
        """A heading on its own lines."""
        self.use(size)
        self.multi_cell(0, size * 0.5, self.text_of(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def line_of(self, text: str, size: float = 11) -> None:
        """A paragraph."""
        self.use(size)
        self.multi_cell(0, size * 0.5, self.text_of(text), new_x="LMARGIN", new_y="NEXT")

    def grid(
        self, header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[int]
    ) -> None:
        """A table with a header row."""
        self.use(9)
        with self.table(col_widths=tuple(widths), line_height=5, first_row_as_headings=True) as t:
            for values in [header, *rows]:
                row = t.row()
                for value in values:
                    row.cell(self.text_of(value))
        self.ln(3)

    def chart(self, spec: dict[str, Any], *, max_height: float | None = None) -> None:
        """A chart as an image across the page, shrunk to the room left on it."""
        png = render(spec, "png")
        width_px = int.from_bytes(png[16:20], "big")
        height_px = int.from_bytes(png[20:24], "big")
        width = self.epw
        height = width * height_px / width_px
        room = max_height or (self.h - self.b_margin - self.get_y() - 2)
        if height > room:
            width, height = width * room / height, room
        self.image(io.BytesIO(png), x=self.l_margin, w=width, h=height)
        self.ln(3)

    def output_bytes(self) -> bytes:
        """The PDF as bytes."""
        return bytes(self.output())


def goals_pdf(report: QuarterReport) -> bytes:
    """The quarter's report: a cover, then a page per objective."""
    title = _("Goals {period}").format(period=report.period)
    pdf = _Report(f"Quarterdeck · {title}")
    evaluation = report.evaluation
    pdf.add_page()
    pdf.heading(_("{title}: the quarter's report").format(title=title), 26)
    state = (
        _("As of {day} · day {elapsed} of {total} · the quarter is closed.")
        if evaluation.closed
        else _("As of {day} · day {elapsed} of {total} · the quarter is in progress.")
    )
    objectives = len(report.objectives)
    key_results = sum(len(o.objective.key_results) for o in report.objectives)
    pdf.line_of(
        state.format(
            day=day_text(evaluation.as_of),
            elapsed=evaluation.elapsed_days,
            total=evaluation.total_days,
        )
        + " "
        + ngettext("{count} objective", "{count} objectives", objectives).format(count=objectives)
        + ", "
        + ngettext("{count} key result.", "{count} key results.", key_results).format(
            count=key_results
        )
    )
    pdf.ln(4)
    pdf.grid(
        (_("Objective"), _("Owner"), _("Status"), _("Progress"), _("Expected by now")),
        [
            (
                o.objective.title,
                o.objective.owner,
                _(STATUS_LABELS.get(o.objective.status, o.objective.status)),
                _("no data yet") if o.objective.progress is None else share(o.objective.progress),
                share(o.objective.expected),
            )
            for o in report.objectives
        ],
        (110, 45, 35, 30, 35),
    )
    for item in report.objectives:
        objective = item.objective
        pdf.add_page()
        pdf.heading(objective.title, 20)
        pdf.line_of(
            _("{standing} · owner {owner}").format(
                standing=standing(objective), owner=objective.owner
            ),
            12,
        )
        if objective.status_reason:
            pdf.line_of(objective.status_reason, 10)
        if objective.description:
            pdf.line_of(objective.description, 10)
        pdf.ln(2)
        if objective.key_results:
            pdf.grid(
                (
                    _("Key result"),
                    _("Start"),
                    _("Current"),
                    _("Target"),
                    _("Progress"),
                    _("Expected"),
                    _("Status"),
                ),
                [
                    (
                        kr.title,
                        *kr_values(kr, report.currency_symbol),
                        progress_text(kr),
                        share(kr.expected),
                        _(STATUS_LABELS.get(kr.status, kr.status)),
                    )
                    for kr in objective.key_results
                ],
                (85, 30, 30, 30, 40, 22, 30),
            )
        else:
            pdf.line_of(_("No key results yet."), 10)
        if item.initiatives:
            pdf.grid(
                (
                    _("Initiative"),
                    _("Owner"),
                    _("Status"),
                    _("Health"),
                    field_label("percent_complete"),
                    _("When"),
                ),
                [
                    (i.title, i.owner, i.status, i.health, f"{i.percent_complete} %", i.when)
                    for i in item.initiatives
                ],
                (95, 40, 30, 30, 25, 45),
            )
        else:
            pdf.line_of(_("No initiative is linked to these key results."), 10)
        if objective.key_results:
            room = pdf.h - pdf.b_margin - pdf.get_y() - 2
            if room > 30:  # a chart squeezed under a long table would be unreadable
                pdf.chart(inline(progress_spec(objective.key_results)))
    return pdf.output_bytes()


def roadmap_pdf(report: RoadmapReport) -> bytes:
    """The roadmap: a page per swimlane, then the Now / Next / Later board."""
    roadmap = _("Roadmap {scope}").format(scope=report.scope)
    pdf = _Report(f"Quarterdeck · {roadmap}")
    for title, chart, undated in report.lanes:
        pdf.add_page()
        pdf.heading(f"{roadmap}: {title}", 18)
        pdf.line_of(
            _(
                "Bars by health (on track, at risk, off track); dark inner bar: {percent} "
                "complete; pale bar with a diamond: shipped that day; red dashed line: today, "
                "{day}."
            ).format(percent="%", day=day_text(report.today)),
            9,
        )
        pdf.ln(2)
        if chart is not None:
            pdf.chart(inline(chart))
        if undated:
            pdf.line_of(
                _("Not on the timeline yet (no dates): {items}").format(items=", ".join(undated)),
                10,
            )
    pdf.add_page()
    pdf.heading(f"{roadmap}: {_('Now')} / {_('Next')} / {_('Later')}", 18)
    for horizon, rows in report.board:
        pdf.line_of(f"{horizon} · {len(rows)}", 13)
        if rows:
            pdf.grid((_("Initiative"), _("Health"), _("Date"), _("Owner")), rows, (130, 35, 45, 50))
        else:
            pdf.line_of(_("Nothing here."), 10)
    return pdf.output_bytes()


def impact_pdf(entries: Sequence[ImpactEntry]) -> bytes:
    """The impact ledger: its chart when something is measured, and its table."""
    pdf = _Report("Quarterdeck · " + _("Impact ledger"))
    pdf.add_page()
    pdf.heading(_("Impact ledger: expected against realised lift"), 20)
    pdf.grid(
        (
            _("Initiative"),
            _("Metric"),
            _("Shipped"),
            _("Expected"),
            _("Realised"),
            _("Interval"),
            _("Verdict"),
        ),
        [
            (
                e.initiative,
                e.metric_label,
                day_text(e.shipped),
                lift_text(e.expected_lift),
                lift_text(e.realised_lift),
                interval_text(e.ci_low, e.ci_high),
                _(VERDICT_LABELS[e.verdict]),
            )
            for e in entries
        ],
        (75, 45, 28, 25, 25, 40, 35),
    )
    if any(e.measured for e in entries):
        if pdf.h - pdf.b_margin - pdf.get_y() < 60:
            pdf.add_page()
        pdf.chart(impact_figure(entries))
    return pdf.output_bytes()
