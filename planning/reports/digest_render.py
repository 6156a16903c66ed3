"""The weekly digest (planning.reports.digest) as Markdown and as one standalone HTML file.

People's text (titles, names, notes, decisions) is text in both: Markdown escapes it with the one
escaper the pages use (planning.formatting.escape_markdown); the HTML comes from a Jinja2
template (templates/digest.html) with autoescaping on, so nothing a person typed can become
markup or template code. The HTML needs no network and runs no script: styles are inline and the
impact chart is inline SVG. Statuses and verdicts take their colours from planning.palette, and
always carry their label.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache

from jinja2 import Environment

from planning import i18n
from planning.formatting import (
    escape_markdown,
    format_count,
    format_day,
    format_span_start,
    html_templates,
    unbroken,
)
from planning.i18n import N_, ngettext, pgettext
from planning.i18n import gettext as _
from planning.impact.ledger import ImpactEntry
from planning.impact.ledger_views import interval_text, lift_text
from planning.impact.lift_estimate import VERDICT_LABELS
from planning.palette import STATUS_LABELS, status_colour, verdict_colour
from planning.reports.digest import KrLine, WeeklyDigest

IMPACT_HEADER = [
    N_("Initiative"),
    N_("Metric"),
    N_("Shipped"),
    N_("Expected"),
    N_("Realised"),
    N_("Interval"),
    N_("Verdict"),
]
KR_HEADER = [
    N_("Objective"),
    N_("Key result"),
    N_("Owner"),
    N_("Value"),
    N_("Progress"),
    N_("Week"),
    N_("Status"),
]
SHIPPED_HEADER = [N_("Initiative"), N_("Owner"), N_("Shipped"), N_("Expected lift")]
STALE_HEADER = [N_("Initiative"), N_("Owner"), N_("Status"), N_("Last update"), N_("Days")]
DECISIONS_HEADER = [N_("Day"), N_("Decision"), N_("Initiative"), "By"]  # By: pgettext("author")
PLAN_HEADER = [N_("Initiative"), N_("Change"), N_("Before"), N_("After")]


# --- text both renderings share ----------------------------------------------------------------


def _header(names: Sequence[str]) -> list[str]:
    """A table's headings in the reader's language ("By" read as the author's column)."""
    return [pgettext("author", name) if name == "By" else _(name) for name in names]


def _signed_percent(figure: float) -> str:
    """A whole signed percentage in the team's format: +5 % (German with a no-break space)."""
    if i18n.english_formats():
        return f"{figure:+.0f} %"
    text = i18n.fixed_text(figure, decimals=0)
    return (text if text.startswith(("-", "\u2212")) else "+" + text) + "\u00a0%"


def _share(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "—"
    if i18n.english_formats():
        return f"{value * 100:.0f} %"
    return i18n.percent_text(value, decimals=0)


def _points(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "—"
    points = round(value * 100)
    if i18n.english_formats():
        return "±0 pts" if points == 0 else f"{points:+d} pts"
    figure = "±0" if points == 0 else f"{points:+d}"
    return _("{points} pts").format(points=figure)


def _status_word(status: str | None) -> str:
    if status is None:
        return "—"
    if status in STATUS_LABELS:
        return _(STATUS_LABELS[status])
    return status.replace("_", " ").capitalize()


def _status_move(line: KrLine) -> str:
    if line.previous_status is None or line.previous_status == line.status:
        return _status_word(line.status)
    return _("{status} (was {before})").format(
        status=_status_word(line.status), before=_status_word(line.previous_status)
    )


def _title(digest: WeeklyDigest) -> str:
    return _("Weekly digest · {week}").format(week=digest.week)


def _subtitle(digest: WeeklyDigest) -> str:
    through = (
        _("data through {day}").format(day=format_day(digest.data_through, weekday=True))
        if digest.data_through
        else _("no metric data yet")
    )
    week = (
        f"{format_span_start(digest.monday, digest.sunday, weekday=True)} – "
        f"{format_day(digest.sunday, weekday=True)}"
    )
    return f"{digest.company} · {week} · {through}"


def _impact_row(digest: WeeklyDigest, entry: ImpactEntry) -> list[str]:
    verdict = _(VERDICT_LABELS[entry.verdict])
    if entry.measured and not entry.seasonally_adjusted:
        verdict += " " + _("(not seasonally adjusted)")
    if entry.verdict == "not_enough_data":
        verdict += " " + _("(ready {day})").format(day=format_day(entry.ready_on, year=False))
    if digest.new_impact(entry):
        verdict += " · " + _("new this week")
    where = "" if not entry.filters else f" ({entry.where})"
    return [
        entry.initiative,
        entry.metric_label + where,
        format_day(entry.shipped),
        lift_text(entry.expected_lift),
        lift_text(entry.realised_lift),
        interval_text(entry.ci_low, entry.ci_high),
        verdict,
    ]


def _impact_note(digest: WeeklyDigest) -> str:
    return _(
        "Realised lift: the metric's change over the post window against the pre window, net "
        "of last year's change over the same weeks, with its {interval} interval."
    ).format(interval=_share(digest.interval))


def _stale_note(digest: WeeklyDigest) -> str:
    return ngettext(
        "In progress or blocked, with no status update for more than {count} day.",
        "In progress or blocked, with no status update for more than {count} days.",
        digest.stale_after_days,
    ).format(count=digest.stale_after_days)


def _generated(digest: WeeklyDigest) -> str:
    return _("Generated by Quarterdeck on {day} at {time}.").format(
        # the zone's abbreviation tells the two passes of the autumn night's repeated hour apart
        day=format_day(digest.generated_at.date()),
        time=f"{digest.generated_at:%H:%M %Z}".strip(),
    )


def _words(digest: WeeklyDigest) -> dict[str, str]:
    """The digest's headings and its sections' sentences for when they are empty."""
    return {
        "key_results": _("Key results · {period}").format(period=digest.period),
        "no_key_results": _("No key results in {period}.").format(period=digest.period),
        "shipped": _("Shipped this week"),
        "no_shipped": _("Nothing shipped this week."),
        "impact": _("Realised impact"),
        "no_impact": _("No shipped initiative has an expected lift yet."),
        "stale": _("Stale updates"),
        "no_stale": _("Every initiative under way has a recent status update."),
        "decisions": _("Decisions"),
        "no_decisions": _("No decisions logged this week."),
        "plan": _("What changed in the plan"),
    }


def _impact_rows(digest: WeeklyDigest) -> list[list[str]]:
    return [_impact_row(digest, entry) for entry in digest.impacts]


def _kr_row(line: KrLine) -> list[str]:
    return [
        line.objective,
        line.key_result,
        line.owner,
        line.current,
        _share(line.progress),
        _points(line.progress_change),
        _status_move(line),
    ]


def _shipped_rows(digest: WeeklyDigest, *, none: str = "—") -> list[list[str]]:
    """Shipped work; `none` stands for no expected lift."""
    return [
        [s.initiative, s.owner, format_day(s.shipped, weekday=True, year=False), s.expected or none]
        for s in digest.shipped
    ]


def _stale_rows(digest: WeeklyDigest) -> list[list[str]]:
    return [
        [
            s.initiative,
            s.owner,
            s.status,
            format_day(s.last_update) if s.last_update else _("never"),
            format_count(s.days_since),
        ]
        for s in digest.stale
    ]


def _decision_rows(digest: WeeklyDigest) -> list[list[str]]:
    return [
        [format_day(d.decided_on, weekday=True, year=False), d.text, d.initiative or "—", d.author]
        for d in digest.decisions
    ]


def _plan_rows(digest: WeeklyDigest) -> list[list[str]]:
    return [[p.initiative, p.change, p.before, p.after] for p in digest.plan_changes]


@dataclass(frozen=True)
class Section:
    """One section of the digest, in both renderings: its key in `words`, a note always shown
    under the heading (`lead`), a note shown only above a table, the table's header and rows; in
    HTML also its right-aligned and unbroken columns and a chart above the table."""

    key: str
    header: list[str]
    rows: Sequence[Sequence[object]]
    lead: str | None = None
    note: str | None = None
    numeric: tuple[int, ...] = ()
    nowrap: tuple[int, ...] = ()
    chart: ImpactChart | None = None


def _sections(
    digest: WeeklyDigest,
    *,
    key_results: Sequence[Sequence[object]],
    shipped: Sequence[Sequence[object]],
    impacts: Sequence[Sequence[object]],
    chart: ImpactChart | None = None,
) -> list[Section]:
    """The digest's sections in order, with the rows each rendering gives the first three (the
    plan has no sentence for an empty section)."""
    return [
        Section(
            "key_results",
            _header(KR_HEADER),
            key_results,
            lead=digest.period_note,
            numeric=(3, 5),
            nowrap=(4,),
        ),
        Section("shipped", _header(SHIPPED_HEADER), shipped),
        Section(
            "impact",
            _header(IMPACT_HEADER),
            impacts,
            note=_impact_note(digest),
            numeric=(3, 4, 5),
            nowrap=(2,),
            chart=chart,
        ),
        Section(
            "stale",
            _header(STALE_HEADER),
            _stale_rows(digest),
            note=_stale_note(digest),
            numeric=(4,),
        ),
        Section("decisions", _header(DECISIONS_HEADER), _decision_rows(digest)),
        Section("plan", _header(PLAN_HEADER), _plan_rows(digest), lead=digest.plan_note),
    ]


def _figures_held(section: Section) -> Section:
    """The section with each figure (its right-aligned and unbroken columns) kept on one line
    where HTML wraps: "53.16 %" never leaves its "%" on the next line of a narrow table."""
    figures = {*section.numeric, *section.nowrap}
    rows = [
        [_held(value) if column in figures else value for column, value in enumerate(row)]
        for row in section.rows
    ]
    return replace(section, rows=rows)


def _held(value: object) -> object:
    """A figure cell's text (or its bar's figure) with no-break spaces; a pill as it is."""
    if isinstance(value, str):
        return unbroken(value)
    if isinstance(value, Bar):
        return replace(value, text=unbroken(value.text))
    return value


# --- Markdown ----------------------------------------------------------------------------------


def _md_table(
    header: Sequence[str], rows: Sequence[Sequence[object]], *, plain: bool = False
) -> list[str]:
    """A Markdown table; every cell kept on one line, and escaped unless `plain`."""

    def cell(value: object) -> str:
        if plain:  # as typed, but a | of its own would start a new column
            return " ".join(str(value).split()).replace("|", "\\|")
        return escape_markdown(str(value), inline=True)

    def cells(values: Sequence[object]) -> str:
        return "| " + " | ".join(cell(v) for v in values) + " |"

    return [cells(header), "|" + "|".join("---" for _ in header) + "|"] + [
        cells(row) for row in rows
    ]


def digest_markdown(digest: WeeklyDigest, *, plain: bool = False) -> str:
    """The digest as Markdown; every piece of text is escaped. `plain` leaves people's text as
    typed, for a reader who sees the Markdown as it is (an email's plain-text part), where a
    backslash before every colon, bracket and dollar sign would only be in the way."""
    words = _words(digest)
    subtitle = _subtitle(digest) if plain else escape_markdown(_subtitle(digest))
    out = [f"# {_title(digest)}", "", subtitle, ""]
    sections = _sections(
        digest,
        key_results=list(map(_kr_row, digest.key_results)),
        shipped=_shipped_rows(digest),
        impacts=_impact_rows(digest),
    )
    if not plain:  # rendered as HTML (the Impact page's preview); plain text keeps its spaces
        sections = [_figures_held(section) for section in sections]
    for section in sections:
        out += [f"## {words[section.key]}", ""]
        if section.lead is not None:
            out += [section.lead, ""]
        if section.rows:
            if section.note is not None:
                out += [section.note, ""]
            out += [*_md_table(section.header, section.rows, plain=plain), ""]
        elif empty := words.get(f"no_{section.key}"):
            out += [empty, ""]
    out.append(_generated(digest))
    return "\n".join(out) + "\n"


# --- HTML --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pill:
    """A label on its status or verdict colour."""

    text: str
    colour: str


@dataclass(frozen=True)
class Bar:
    """A progress bar filled to `width` per cent, with its figure beside it."""

    width: int
    text: str


@dataclass(frozen=True)
class ChartRow:
    """One measured initiative in the impact chart: positions in SVG units, already rounded."""

    y: str
    text_y: str
    label: str
    colour: str
    low: str
    high: str
    realised: str
    diamond: str  # the expected lift's diamond as an SVG path
    title: str


@dataclass(frozen=True)
class ImpactChart:
    """The impact chart's geometry: a dot at the realised lift with its interval as a bar, and a
    diamond at the expected lift, one row per measured initiative."""

    width: int
    height: int
    left: int
    zero: str
    top: int
    bottom: int
    ticks: tuple[tuple[str, str], ...]  # (x, label)
    rows: tuple[ChartRow, ...]


def _tick_step(span: float) -> float:
    for step in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0):
        if span / step <= 8:
            return step
    return 2.0


def impact_chart(entries: Sequence[ImpactEntry], *, width: int = 900) -> ImpactChart | None:
    """The chart of the measured entries; None when none is measured."""
    measured = [e for e in entries if e.measured and e.ci_low is not None and e.ci_high is not None]
    if not measured:
        return None
    values = [0.0]
    for e in measured:
        values += [e.expected_lift, float(e.ci_low or 0), float(e.ci_high or 0)]
    low, high = min(values), max(values)
    pad = (high - low) * 0.08 or 0.01
    low, high = low - pad, high + pad
    left, right, row, top = 300, 30, 30, 26
    plot = width - left - right
    height = top + row * len(measured) + 34

    def x(value: float) -> float:
        return left + (value - low) / (high - low) * plot

    ticks = []
    step = _tick_step(high - low)
    tick = math.ceil(low / step) * step
    while tick <= high:
        ticks.append((f"{x(tick):.1f}", _signed_percent(tick * 100)))
        tick += step
    rows = []
    for i, e in enumerate(measured):
        y = top + row * i + row / 2
        ex = x(e.expected_lift)
        rows.append(
            ChartRow(
                y=f"{y:.1f}",
                text_y=f"{y + 4:.1f}",
                label=e.initiative if len(e.initiative) <= 44 else e.initiative[:43] + "…",
                colour=verdict_colour(e.verdict),
                low=f"{x(float(e.ci_low or 0)):.1f}",
                high=f"{x(float(e.ci_high or 0)):.1f}",
                realised=f"{x(float(e.realised_lift or 0)):.1f}",
                diamond=(
                    f"M {ex:.1f} {y - 7:.1f} L {ex + 6:.1f} {y:.1f} L {ex:.1f} {y + 7:.1f} "
                    f"L {ex - 6:.1f} {y:.1f} Z"
                ),
                title=_("{verdict}: realised {realised}, expected {expected}").format(
                    verdict=_(VERDICT_LABELS[e.verdict]),
                    realised=lift_text(e.realised_lift),
                    expected=lift_text(e.expected_lift),
                ),
            )
        )
    return ImpactChart(
        width=width,
        height=height,
        left=left,
        zero=f"{x(0):.1f}",
        top=top,
        bottom=height - 30,
        ticks=tuple(ticks),
        rows=tuple(rows),
    )


@cache
def _templates() -> Environment:
    """The digest's templates, every value autoescaped (autoescape is on for any template name)."""
    return html_templates("planning.reports", keep_trailing_newline=True)


def digest_html(digest: WeeklyDigest, *, url: str | None = None) -> str:
    """The digest as one standalone HTML file: inline styles and SVG, no script, and no links
    out but the one to the app at `url` when given (the emailed digest)."""
    key_results = []
    for line in digest.key_results:
        row: list[object] = list(_kr_row(line))
        progress = line.progress
        if progress is not None and not math.isnan(progress):
            row[4] = Bar(round(max(0.0, min(1.0, progress)) * 100), _share(progress))
        row[6] = Pill(_status_move(line), status_colour(line.status))
        key_results.append(row)
    impacts = []
    for entry in digest.impacts:
        cells: list[object] = list(_impact_row(digest, entry))
        if entry.measured:
            cells[-1] = Pill(str(cells[-1]), verdict_colour(entry.verdict))
        impacts.append(cells)
    return (
        _templates()
        .get_template("digest.html")
        .render(
            digest=digest,
            title=_title(digest),
            subtitle=_subtitle(digest),
            words=_words(digest),
            chart_label=_("Expected and realised lift"),
            chart_legend=_(
                "● realised lift and its interval · ◇ expected · dashed line: no change"
            ),
            lang=i18n.language(),
            sections=[
                _figures_held(section)
                for section in _sections(
                    digest,
                    key_results=key_results,
                    shipped=_shipped_rows(digest, none=""),
                    impacts=impacts,
                    chart=impact_chart(digest.impacts),
                )
            ],
            generated=_generated(digest),
            url=url,
            open_url=_("Open Quarterdeck"),
        )
    )
