"""The Goals page's present mode (?present=1): one objective per screen in large type, to put on
the meeting room's screen.

The objective's status is written out beside its icon, each key result reads start → now →
target with its progress, and Previous / Next move through the quarter (buttons, or the Left and
Right arrow keys). The objective shown is kept in the address (?slide=2), so a reload stays on it.
"""

from __future__ import annotations

import streamlit as st

from planning.formatting import percent_held
from planning.i18n import gettext as _
from planning.okrs.evaluation_results import PeriodEvaluation
from planning.palette import STATUS_ICONS, STATUS_LABELS
from planning.reports.chart_specs import progress_text, share
from planning.reports.export import kr_values
from planning.validation import whole_number
from ui.text import escape_markdown

PRESENT_PARAM = "present"
SLIDE_PARAM = "slide"

# Large type for the room, in the objective's container only (the controls keep their size).
_LARGE = """
<style>
.st-key-qd-present h2 { font-size: 3rem; line-height: 1.15; }
.st-key-qd-present p, .st-key-qd-present li { font-size: 1.6rem; line-height: 1.45; }
</style>
"""


def presenting() -> bool:
    """Whether the address asks for present mode."""
    return st.query_params.get(PRESENT_PARAM) == "1"


def _slide(count: int) -> int:
    raw = st.query_params.get(SLIDE_PARAM, "1")
    number = whole_number(raw) or 1
    return min(max(1, number), count)


def _go(slide: int) -> None:
    st.query_params[SLIDE_PARAM] = str(slide)


def _leave() -> None:
    for name in (PRESENT_PARAM, SLIDE_PARAM):
        if name in st.query_params:
            del st.query_params[name]


def enter_button(period: str) -> None:
    """The button that starts presenting the quarter."""
    if st.button(
        _("Present {quarter}").format(quarter=period),
        icon=":material/slideshow:",
        key="goals_present",
        help=_("One objective per screen in large type; the arrow keys move between them."),
    ):
        st.query_params[PRESENT_PARAM] = "1"
        st.query_params[SLIDE_PARAM] = "1"
        st.rerun()


def present(evaluation: PeriodEvaluation, *, currency_symbol: str) -> None:
    """Show one objective of the quarter on the whole screen, with the way to the others."""
    objectives = evaluation.objectives
    if not objectives:
        st.info(_("{quarter} has no objectives to present.").format(quarter=evaluation.period))
        st.button(_("Leave presenting"), on_click=_leave, key="present_leave")
        return
    slide = _slide(len(objectives))
    objective = objectives[slide - 1]
    st.html(_LARGE)
    status = _(STATUS_LABELS.get(objective.status, objective.status))
    progress = _("no data yet") if objective.progress is None else share(objective.progress)
    lines = [
        _("Objective {number} of {count} · {quarter} · owner {owner}").format(
            number=slide,
            count=len(objectives),
            quarter=evaluation.period,
            owner=escape_markdown(objective.owner),
        ),
        f"## {escape_markdown(objective.title)}",
        f"{STATUS_ICONS.get(objective.status, '')} **{status}** · "
        + _("progress {progress} (expected by now {expected})").format(
            progress=progress, expected=share(objective.expected)
        ),
    ]
    if objective.status_reason:
        lines.append(escape_markdown(objective.status_reason))
    for kr in objective.key_results:
        start, current, target = kr_values(kr, currency_symbol)
        if kr.kind == "milestone":  # "done" / "not done"
            start, current, target = _(start), _(current), _(target)
        lines.append(
            f"- {STATUS_ICONS.get(kr.status, '')} **{escape_markdown(kr.title)}**: "
            f"{_(STATUS_LABELS.get(kr.status, kr.status))} · "
            f"{escape_markdown(f'{start} → {current} → {target}')} · {progress_text(kr)}"
        )
    if not objective.key_results:
        lines.append(_("No key results yet."))
    with st.container(key="qd-present"):
        st.markdown(percent_held("\n\n".join(lines)))
    left, middle, right = st.columns(3)
    left.button(
        _("Previous objective"),
        on_click=_go,
        args=(slide - 1,),
        disabled=slide == 1,
        shortcut="Left",
        key="present_previous",
        width="stretch",
    )
    middle.button(_("Leave presenting"), on_click=_leave, key="present_leave", width="stretch")
    right.button(
        _("Next objective"),
        on_click=_go,
        args=(slide + 1,),
        disabled=slide == len(objectives),
        shortcut="Right",
        key="present_next",
        width="stretch",
    )
