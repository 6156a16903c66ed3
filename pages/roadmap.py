"""Roadmap (read-only, for everyone and for share-link visitors): a timeline in swimlanes by
objective with each objective's key results beside it, a Now / Next / Later board, and the CSV of
what is shown. The filters live in the URL's query string, so a filtered view can be shared and
reopened exactly."""

from __future__ import annotations

import streamlit as st

from planning import clock, i18n
from planning.formatting import format_count, format_local_moment
from planning.i18n import gettext as _
from planning.i18n import ngettext, pgettext
from planning.periods import quarter_of
from planning.store.engine import STATE_AREAS
from planning.store.models import Role
from planning.work.initiative_status import STATUS_ORDER, status_label
from planning.work.roadmap import (
    HORIZON_LABELS,
    NEXT_WITHIN_DAYS,
    QUERY_KEYS,
    RoadmapFilters,
    filters_from_query,
    filters_to_query,
)
from ui import exports, planning_data
from ui import roadmap_data as data
from ui.charts import draw
from ui.downloads import download_button
from ui.identity import current_person
from ui.pickers import pick_or_none
from ui.quarter_draft_view import roadmap_quarter_notice
from ui.share_access import shared_link
from ui.state import app_config, live_refresh, versions
from ui.tables import show_table
from ui.text import escape_markdown

LANES_PER_PAGE = 4
URL_SEEN = "_roadmap_url"
KEYS = {
    "quarter": "roadmap_quarter",
    "objective": "roadmap_objective",
    "owner": "roadmap_owner",
    "status": "roadmap_status",
}

config = app_config()
fiscal = config.settings.fiscal_year_start_month
today = clock.today()
current = versions()
st.title(_("Roadmap"))
link = shared_link()
lang = i18n.locale_key()
if link is not None:
    st.caption(
        escape_markdown(
            _(
                "Read-only view shared by link ({label}), valid until {moment}. It updates by "
                "itself as the team works."
            ).format(
                label=link.label,
                moment=format_local_moment(link.expires_at),
            )
        )
    )
else:
    st.caption(_("Read-only. Filters are kept in the address bar: copy it to share this view."))

# --- filters, kept in the query string ---------------------------------------------------------
this_quarter = quarter_of(today, fiscal)
quarters = data.quarters(current, today)
objectives = planning_data.objective_choices(current)
owners = planning_data.owners(current)
params = {k: str(st.query_params[k]) for k in QUERY_KEYS if k in st.query_params}
if st.session_state.get(URL_SEEN) != params:
    # The address changed outside the widgets (first visit, a shared link, a reload): it wins.
    wanted, problems = filters_from_query(
        params, default_quarter=this_quarter, objective_ids=objectives, owner_ids=owners
    )
    st.session_state[KEYS["quarter"]] = wanted.quarter
    st.session_state[KEYS["objective"]] = wanted.objective_id
    st.session_state[KEYS["owner"]] = wanted.owner_id
    st.session_state[KEYS["status"]] = list(wanted.statuses)
    if problems:
        st.warning(
            escape_markdown(
                _("Part of this link's filter was left out:") + " " + "; ".join(problems) + "."
            )
        )
quarter_options: list[str | None] = [None, *quarters]
if st.session_state.get(KEYS["quarter"]) not in quarter_options:
    quarter_options.append(st.session_state[KEYS["quarter"]])
# Wide enough for the longest labels, "2026-Q4 (aktuell)" and "Alle Personen" in German.
columns = st.columns([1.5, 1.75, 1.25, 2])
quarter = columns[0].selectbox(
    _("Quarter"),
    quarter_options,
    placeholder=_("All quarters"),
    format_func=lambda q: (
        _("All quarters")
        if q is None
        else (_("{quarter} (current)").format(quarter=q) if q == this_quarter else q)
    ),
    key=KEYS["quarter"],
)
objective_id = pick_or_none(
    columns[1],
    _("Objective"),
    objectives,
    none_label=_("All objectives"),
    key=KEYS["objective"],
)
owner_id = pick_or_none(columns[2], _("Owner"), owners, none_label=_("Everyone"), key=KEYS["owner"])
statuses = columns[3].multiselect(
    _("Status"),
    list(STATUS_ORDER),
    format_func=lambda s: _(status_label(s)),
    placeholder=_("Every status but dropped"),
    key=KEYS["status"],
)
filters = RoadmapFilters(
    quarter=quarter,
    objective_id=objective_id,
    owner_id=owner_id,
    statuses=tuple(s for s in STATUS_ORDER if s in statuses),
)
query = filters_to_query(filters)
for name in QUERY_KEYS:
    if name in query and st.query_params.get(name) != query[name]:
        st.query_params[name] = query[name]
    elif name not in query and name in st.query_params:
        del st.query_params[name]
st.session_state[URL_SEEN] = query

roadmap_quarter_notice(
    person=None if link is not None else current_person(),
    versions=current,
    quarter=quarter,
    this_quarter=this_quarter,
)
asked = int(st.session_state.get("roadmap_page", 1))
shown, drawn = data.counts(current, filters, today)
if shown == 0:
    everything = RoadmapFilters(statuses=tuple(STATUS_ORDER))
    if data.counts(current, everything, today)[0] == 0:
        viewer = None if link is not None else current_person()
        st.info(_("The roadmap is empty: there is no initiative yet. Initiatives are added there."))
        if viewer is not None and viewer.role != Role.stakeholder:
            st.page_link(
                "pages/initiatives.py", label=_("Add an initiative"), icon=":material/checklist:"
            )
    else:
        st.info(_("Nothing on the roadmap matches these filters."))
    live_refresh(STATE_AREAS)
    st.stop()

# The timeline and the board are drawn here after the downloads under them: a rerun (after
# any write, by the live check) lists the buttons' files again before its slow part, so a
# click on a button the browser still shows from the previous run finds its file.
drawing = st.container()

# --- export (drawn before the timeline and board above it) ------------------------------------
st.caption(
    _(
        "{shown} initiatives shown ({drawn} on the timeline). The CSV holds exactly these rows."
    ).format(shown=format_count(shown), drawn=format_count(drawn))
)
download_button(
    _("Download the roadmap as CSV"),
    lambda: data.csv_export(current, filters, today),
    file_name=f"roadmap-{filters.quarter or 'all-quarters'}.csv",
    mime="text/csv",
    key="roadmap_csv",
)
st.markdown(
    "**" + _("Take the roadmap into a meeting") + "** " + _("(timeline and board, as filtered)")
)
exports.offer(
    view="roadmap",
    scope=filters.quarter or "all-quarters",
    build=lambda fmt: exports.roadmap_file(current, filters, today, fmt, lang),
    key="roadmap_export",
    what=_("the roadmap"),
)


def _lane(lane: data.Lane) -> None:
    with st.container(border=True):
        left, right = st.columns([4, 3], gap="medium")
        with left:
            st.markdown(f"**{escape_markdown(lane.title)}**")
            if lane.spec is not None:
                draw(lane.spec)
            if lane.undated:
                st.caption(
                    escape_markdown(
                        _("Not on the timeline yet (no dates): {work}").format(work=lane.undated)
                    )
                )
            if lane.waits:
                st.caption(escape_markdown(_("Dependencies: {work}").format(work=lane.waits)))
        with right:
            if lane.standing is None:
                st.caption(_("Work not linked to an objective's key results."))
                return
            st.markdown(lane.standing)
            if lane.key_results is None:
                st.caption(_("No key results yet."))
                return
        # Under the timeline, the lane's full width: start, now and target, the raw progress
        # beside its bar and the status all fit at 1,440 px.
        show_table(
            lane.key_results,
            {
                "key_result": st.column_config.TextColumn(_("Key result"), width="medium"),
                "values": st.column_config.TextColumn(_("Start → now → target"), width="medium"),
                "bar": st.column_config.ProgressColumn(
                    _("Progress"), min_value=0, max_value=100, format=" ", width=90
                ),
                "progress": st.column_config.TextColumn(_("Where it stands"), width=170),
                "status": st.column_config.TextColumn(_("Status"), width=105),
            },
            fold=ngettext(
                "{count} key result", "{count} key results", len(lane.key_results)
            ).format(count=format_count(len(lane.key_results))),
        )


with drawing:
    # --- timeline with each objective's key results beside it ----------------------------------
    st.subheader(_("Timeline"))
    st.caption(
        _(
            "Bars by health: 🟢 on track · 🟠 at risk · 🔴 off track. Dark inner bar: {percent} "
            "complete. "
            "Pale bar with ◆: shipped on that day. Red dashed line: today. “waits on …” under a "
            "bar: the work it depends on; red with ⚑: it starts before that work ends, on the day "
            "of the red tick."
        ).format(percent="%")
    )
    view = data.view(current, filters, today, asked, LANES_PER_PAGE, lang)
    timeline = view.timeline
    if asked > timeline.pages and "roadmap_page" in st.session_state:
        st.session_state["roadmap_page"] = timeline.pages  # the filters left fewer pages
    for lane in timeline.lanes:
        _lane(lane)
    if timeline.pages > 1:
        st.pagination(timeline.pages, key="roadmap_page")

    # --- Now / Next / Later --------------------------------------------------------------------
    st.subheader(_("Now / Next / Later"))
    st.caption(
        _(
            "Now: in progress, blocked, or planned and already started. Next: planned to start "
            "within {weeks} weeks (or not yet dated). Later: ideas and work planned further out. "
            "Shipped: done."
        ).format(weeks=NEXT_WITHIN_DAYS // 7)
    )
    top, bottom = st.columns(2, gap="medium"), st.columns(2, gap="medium")
    for column, board_column in zip([*top, *bottom], view.board, strict=True):
        with column:
            st.markdown(f"**{_(HORIZON_LABELS[board_column.horizon])}** · {board_column.count}")
            if board_column.rows is None:
                st.caption(_("Nothing here."))
                continue
            show_table(
                board_column.rows,
                {
                    "health": st.column_config.TextColumn(_("Health"), width=60),
                    "initiative": st.column_config.TextColumn(_("Initiative"), width=205),
                    "when": st.column_config.TextColumn(
                        {"shipped": _("Shipped"), "now": pgettext("date", "Target")}.get(
                            board_column.horizon, _("Starts")
                        ),
                        width=95,
                    ),
                    "owner": st.column_config.TextColumn(_("Owner"), width=120),
                },
                fold=ngettext(
                    "Show {count} initiative", "Show all {count} initiatives", board_column.count
                ).format(count=format_count(board_column.count)),
            )

live_refresh(STATE_AREAS)
