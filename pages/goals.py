"""Goals: a quarter's objectives and key results against their pace, with status, forecast and
owner confidence; one key result's detail (chart, check-ins, linked initiatives) with the
check-in form; and for directors, shaping the goals, OKRs as a file, and closing the quarter."""

from __future__ import annotations

import streamlit as st

from planning import clock, i18n
from planning.access.permissions import is_director
from planning.formatting import format_whole_percent
from planning.i18n import gettext as _
from planning.periods import next_quarter, previous_quarter, quarter_bounds, quarter_of
from planning.store.engine import STATE_AREAS
from ui import (
    exports,
    forecast_quality,
    goals_alignment,
    goals_detail,
    goals_present,
    goals_shape,
)
from ui import goals_data as data
from ui import goals_view as view_parts
from ui.address import QUARTER_PARAM, keep_in_address, quarter_in_address
from ui.flash import show_flash
from ui.identity import current_person
from ui.quarter_draft_view import empty_quarter
from ui.sources_view import stale_source_notes
from ui.state import app_config, live_refresh, versions

config = app_config()
fiscal = config.settings.fiscal_year_start_month
st.title(_("Goals"))
person = current_person()
current = versions()
today = clock.today()
show_flash(view_parts.FLASH)

# Quarters around today, and any quarter that has goals.
this_quarter = quarter_of(today, fiscal)
around = [this_quarter]
for _step in range(4):
    around.insert(0, previous_quarter(around[0]))
around += [next_quarter(this_quarter), next_quarter(next_quarter(this_quarter))]
# The quarter lives in the address (?quarter=2026-Q4): a reload or a shared link keeps it.
wanted = quarter_in_address(this_quarter)
periods = sorted(set(around) | set(data.periods_with_goals(current)) | {wanted})
controls = st.columns([2, 3, 2])
period = controls[0].selectbox(
    _("Quarter"),
    periods,
    index=periods.index(wanted),
    format_func=lambda p: _("{quarter} (current)").format(quarter=p) if p == this_quarter else p,
    key="goals_period",
)
keep_in_address(QUARTER_PARAM, period)
show = controls[1].selectbox(
    _("Show"),
    list(view_parts.SHOW_LABELS),
    format_func=lambda s: _(view_parts.SHOW_LABELS[s]),
    key="goals_show",
)
first_day, last_day = quarter_bounds(period, fiscal)
view = view_parts.View(
    config=config,
    person=person,
    director=person is not None and is_director(person),
    versions=current,
    period=period,
    today=today,
    first_day=first_day,
    last_day=last_day,
    evaluation=data.period_goals(current, period, today),
)
evaluation = view.evaluation
if goals_present.presenting():
    goals_present.present(evaluation, currency_symbol=config.settings.currency_symbol)
    live_refresh(STATE_AREAS)  # the room's screen follows the team's check-ins
    st.stop()
view_parts.quarter_banner(view)
if not evaluation.closed:  # a closed quarter's values are frozen: a late source changes nothing
    stale_source_notes(current, view_parts.key_result_measures(view))

if not evaluation.objectives:
    empty_quarter(
        person=person,
        versions=current,
        period=period,
        this_quarter=this_quarter,
        closed=evaluation.closed,
    )
shown = view_parts.shown_objectives(view, show)
if evaluation.objectives and not shown:
    st.info(
        _("No objective of {quarter} matches “{filter}”.").format(
            quarter=period, filter=_(view_parts.SHOW_LABELS[show])
        )
    )
# A page of objectives at a time keeps a large quarter quick to read and to redraw.
pages = max(1, -(-len(shown) // view_parts.PAGE_SIZE))
page = min(max(1, int(st.session_state.get("goals_page", 1))), pages)
if "goals_page" in st.session_state and st.session_state["goals_page"] != page:
    st.session_state["goals_page"] = page  # the filter left fewer pages
on_page = shown[(page - 1) * view_parts.PAGE_SIZE : page * view_parts.PAGE_SIZE]
widths = view_parts.kr_table_widths()
for block in view_parts.objective_page(
    current,
    period,
    today,
    tuple(o.objective_id for o in on_page),
    i18n.locale_key(),
    _view=view,
):
    view_parts.objective_block(block, widths)
if pages > 1:
    st.pagination(pages, key="goals_page")
goals_alignment.alignment_section(view)
if evaluation.objectives:
    with st.expander(_("Take it into the meeting"), icon=":material/co_present:"):
        st.caption(
            _(
                "The PDF is {quarter}'s report: a cover, then a page per objective with its key "
                "results (start, now, target, progress) and initiatives. The images hold the "
                "progress charts. Present shows one objective per screen in large type."
            ).format(quarter=period)
        )
        goals_present.enter_button(period)
        exports.offer(
            view="goals",
            scope=period,
            build=lambda fmt: exports.goals_file(current, period, today, fmt, i18n.locale_key()),
            key="goals_export",
            # The images are the progress charts, which need a key result to draw.
            formats=(("pdf", "png", "svg") if evaluation.key_results() else ("pdf",)),
            what=_("the goals of {quarter}").format(quarter=period),
        )
    st.caption(
        _(
            "Bars show raw progress from start to target (beyond 100 % is overachievement); the "
            "black tick is where the pace says a key result should be by now. Forecasts carry an "
            "80 % band; the probability is the chance of reaching the target by the quarter's "
            "end (for a guardrail, judged on its window's value, the chance that value still "
            "holds). ⚠ gap marks an owner's confidence more than {gap} away from it."
        ).format(gap=format_whole_percent(config.settings.okr.confidence_gap))
    )
    if not evaluation.closed:
        forecast_quality.quality_expander(current, today)

labels = view_parts.kr_labels(current, period, today, i18n.locale_key(), _view=view)
selected = None
if labels:
    st.header(_("Key result detail"))
    if st.session_state.get(view_parts.KR_KEY) not in labels:
        key_results = evaluation.key_results()
        mine = [kr.key_result_id for kr in key_results if person and kr.owner_id == person.id]
        st.session_state[view_parts.KR_KEY] = mine[0] if mine else key_results[0].key_result_id
    picked = st.selectbox(
        _("Key result"), list(labels), format_func=lambda i: labels[i], key=view_parts.KR_KEY
    )
    selected = evaluation.key_result(picked)
    if selected is not None:
        goals_detail.kr_detail(view, selected)

if view.director:
    st.header(_("Shape the quarter"))
    goals_shape.shape_the_quarter(view, selected, data.owner_names(current))
goals_shape.okr_file_section(view)

live_refresh(STATE_AREAS)
