"""The Roadmap under AppTest on a copy of the demo store: filters read from and written to the
query string, swimlanes with each objective's key results, the Now / Next / Later board, the CSV
of what is shown, nothing editable; share links that open the Roadmap and nothing else (or say
why not); and people's text shown as text on the Roadmap and the Initiatives page."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from planning import clock
from planning.access.share_links import create_share_link, revoke_share_link
from planning.config import default_config
from planning.okrs.evaluation import period_goals
from planning.periods import quarter_of
from planning.store.engine import create_store_engine, read_engine, session_scope
from planning.store.models import (
    Initiative,
    InitiativeKeyResult,
    InitiativeStatus,
    Role,
)
from planning.work.initiative_input import InitiativeDraft, NewStatusUpdate
from planning.work.initiative_status import HEALTH_LABELS
from planning.work.initiatives import create_initiative
from planning.work.roadmap import (
    RoadmapFilters,
    board,
    export_csv,
    filters_to_query,
    roadmap_items,
    timeline_items,
)
from planning.work.status_updates import post_status_update
from tests.app_pages import APP, next_year_conversion_kr, open_admin_tab, open_as, people
from tests.page_text import TRICKS, assert_shown_as_text, dataframe_cells, phone_stacks, plain

PAGE = "pages/roadmap.py"
CONFIG = default_config()


def today() -> date:
    return clock.today()


def open_roadmap(person_id: int, query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["demo_person_id"] = person_id
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if not at.title or at.title[0].value != "Roadmap":  # a stakeholder lands on it directly
        at.switch_page(PAGE).run()
    assert not at.exception
    assert at.title[0].value == "Roadmap"
    return at


def items_for(engine: Engine, filters: RoadmapFilters) -> Any:
    with Session(read_engine(engine)) as session:
        return roadmap_items(session=session, filters=filters, today=today())


def board_titles(at: AppTest) -> dict[str, list[str]]:
    """The board's columns as shown: column name -> initiative titles (in order)."""
    columns: list[tuple[str, int]] = []
    for m in at.markdown:
        text = plain(m.value)
        name, _, count = text.partition(" · ")
        if name.strip("*") in {"Now", "Next", "Later", "Shipped"} and count.isdigit():
            columns.append((name.strip("*"), int(count)))
    tables = iter(d.value for d in at.dataframe if "when" in d.value.columns)
    return {name: list(next(tables)["initiative"]) if n else [] for name, n in columns}


Click = Callable[[], Any]  # what a download button calls when it is clicked


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, tuple[Click, str | None]]]:
    """Every file a page offers on a download button in this test, by file name: what a click on
    the button calls to build it, and its mime type."""
    offered: dict[str, tuple[Click, str | None]] = {}
    original = MediaFileManager.add_deferred

    def keep(
        self: Any,
        data_callable: Click,
        mimetype: str | None,
        coordinates: str,
        file_name: str | None = None,
        **options: Any,
    ) -> str:
        if file_name is not None:
            offered[file_name] = (data_callable, mimetype)
        return original(self, data_callable, mimetype, coordinates, file_name, **options)

    monkeypatch.setattr(MediaFileManager, "add_deferred", keep)
    yield offered


def _busiest_objective_and_owner(engine: Engine) -> tuple[int, int]:
    """An objective and an owner that together still leave work on the roadmap."""
    every = items_for(engine, RoadmapFilters(quarter=quarter_of(today())))
    linked = every[every["objective_id"].notna()]
    pair = linked.groupby(["objective_id", "owner_id"]).size().sort_values().index[-1]
    return int(pair[0]), int(pair[1])


def test_filters_come_from_the_query_string_and_stay_in_it(app_store: str) -> None:
    engine = create_store_engine(app_store)
    [stakeholder] = people(engine, Role.stakeholder)
    objective_id, owner_id = _busiest_objective_and_owner(engine)
    quarter = quarter_of(today())
    query = {
        "quarter": quarter,
        "objective": str(objective_id),
        "owner": str(owner_id),
        "status": "in_progress,blocked,planned",
    }
    at = open_roadmap(stakeholder.id, query)
    assert at.selectbox(key="roadmap_quarter").value == quarter
    assert at.selectbox(key="roadmap_objective").value == objective_id
    assert at.selectbox(key="roadmap_owner").value == owner_id
    assert at.multiselect(key="roadmap_status").value == ["planned", "in_progress", "blocked"]
    filters = RoadmapFilters(quarter, objective_id, owner_id, ("planned", "in_progress", "blocked"))
    expected = items_for(engine, filters)
    assert not expected.empty
    columns = board(expected)
    assert board_titles(at) == {
        "Now": list(columns["now"]["title"]),
        "Next": list(columns["next"]["title"]),
        "Later": list(columns["later"]["title"]),
        "Shipped": list(columns["shipped"]["title"]),
    }
    # The address bar keeps exactly these filters (canonical order), ready to be shared.
    assert filters_in_address(at) == filters_to_query(filters)


def test_changing_a_filter_rewrites_the_query_string(app_store: str) -> None:
    engine = create_store_engine(app_store)
    [stakeholder] = people(engine, Role.stakeholder)
    at = open_roadmap(stakeholder.id)
    # The quarter is always explicit.
    assert filters_in_address(at) == {"quarter": quarter_of(today())}
    at.multiselect(key="roadmap_status").select("blocked").run()
    assert at.query_params["status"] == "blocked"
    assert set(board_titles(at)["Now"]) == set(
        items_for(engine, RoadmapFilters(quarter=quarter_of(today()), statuses=("blocked",)))[
            "title"
        ]
    )
    at.selectbox(key="roadmap_quarter").set_value(None).run()
    assert at.query_params["quarter"] == "all"
    at.multiselect(key="roadmap_status").set_value([]).run()
    assert "status" not in at.query_params


def test_bad_filters_in_a_link_are_named_and_dropped(app_store: str) -> None:
    engine = create_store_engine(app_store)
    [stakeholder] = people(engine, Role.stakeholder)
    at = open_roadmap(stakeholder.id, {"objective": "abc", "status": "shipped", "quarter": "Q9"})
    warning = plain(at.warning[0].value)
    assert "quarter 'Q9' is not a quarter like 2026-Q4" in warning
    assert "objective 'abc' is not an objective" in warning
    assert "status 'shipped' is not one of" in warning
    assert filters_in_address(at) == {"quarter": quarter_of(today())}


def test_each_lane_shows_its_objectives_key_results_beside_it(app_store: str) -> None:
    engine = create_store_engine(app_store)
    [stakeholder] = people(engine, Role.stakeholder)
    quarter = quarter_of(today())
    with Session(read_engine(engine)) as session:
        evaluation = period_goals(session=session, config=CONFIG, period=quarter, today=today())
    at = open_roadmap(stakeholder.id)
    kr_tables = [d.value for d in at.dataframe if "key_result" in d.value.columns]
    lanes = list(dict.fromkeys(items_for(engine, RoadmapFilters(quarter=quarter))["objective"]))
    with_krs = [o for o in evaluation.objectives if o.title in lanes and o.key_results]
    assert [list(t["key_result"]) for t in kr_tables] == [
        [kr.title for kr in o.key_results] for o in with_krs
    ]
    # The bar is clamped; the figure beside it is the raw progress, as the Goals page shows it.
    assert [list(t["bar"]) for t in kr_tables] == [
        [
            None if kr.progress is None else round(100 * min(max(kr.progress, 0.0), 1.0))
            for kr in o.key_results
        ]
        for o in with_krs
    ]
    assert [list(t["progress"]) for t in kr_tables] == [
        [kr.no_progress_reason or f"{100 * kr.progress:.0f} %" for kr in o.key_results]
        for o in with_krs
    ]
    # Start, current and target in the metric's unit, beside the bar.
    conversion = next(kr for o in with_krs for kr in o.key_results if kr.value_format == "percent")
    row = next(
        t[t["key_result"] == conversion.title].iloc[0]
        for t in kr_tables
        if conversion.title in list(t["key_result"])
    )
    start, current, target = row["values"].split(" → ")
    assert start == f"{100 * conversion.start:.2f} %"
    assert current.endswith(" %") and target.endswith(" %")
    lane_heads = [plain(m.value) for m in at.markdown if "progress" in plain(m.value)]
    assert len(lane_heads) == len(with_krs)


def test_a_key_result_without_data_says_so_beside_its_lane(
    app_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUARTERDECK_TODAY", "2027-01-01")
    engine = create_store_engine(app_store)
    [stakeholder] = people(engine, Role.stakeholder)
    owner = people(engine, Role.member)[0].id
    with session_scope(engine) as session:
        kr = next_year_conversion_kr(session, owner)
        work = Initiative(
            title="January checkout fixes",
            owner_id=owner,
            status=InitiativeStatus.planned,
            start_date=date(2027, 1, 4),
            target_date=date(2027, 2, 26),
        )
        session.add_all([kr, work])
        session.flush()
        session.add(InitiativeKeyResult(initiative_id=work.id, key_result_id=kr.id))
    at = open_roadmap(stakeholder.id)
    kr_tables = [d.value for d in at.dataframe if "key_result" in d.value.columns]
    table = next(t for t in kr_tables if "Conversion up in Q1" in list(t["key_result"]))
    row = table[table["key_result"] == "Conversion up in Q1"].iloc[0]
    assert pd.isna(row["bar"])  # no bar at 0 %
    assert row["progress"] == "no data yet in this window"
    assert row["status"].endswith("Too early")
    assert row["values"] == "2.4 % → — → 2.7 %"
    assert any("progress no data yet in this window" in plain(m.value) for m in at.markdown)


def filters_in_address(at: AppTest) -> dict[str, str]:
    """The query string but demo mode's "as" (the person acted as, kept for a reload)."""
    return {k: v for k, v in at.query_params.items() if k != "as"}


def chart_data(at: AppTest) -> list[list[pd.DataFrame]]:
    """The data sets of every Vega-Lite chart on the page, chart by chart: its rows as sent
    beside the spec, then any set written in a layer of the spec itself."""
    found = []
    for chart in at.get("vega_lite_chart"):
        buffers = [chart.proto.data.data] if chart.proto.data.data else []
        buffers += [d.data.data for d in chart.proto.datasets]
        sets = [pa.ipc.open_stream(b).read_all().to_pandas() for b in buffers]
        for layer in json.loads(chart.proto.spec).get("layer", []):
            if "values" in layer.get("data", {}):
                sets.append(pd.DataFrame(layer["data"]["values"]))
        found.append(sets)
    return found


def test_timeline_draws_each_lanes_dated_work_with_progress_shipping_and_today(
    app_store: str,
) -> None:
    engine = create_store_engine(app_store)
    [stakeholder] = people(engine, Role.stakeholder)
    quarter = quarter_of(today())
    drawn = timeline_items(items_for(engine, RoadmapFilters(quarter=quarter)))
    at = open_roadmap(stakeholder.id)
    charts = chart_data(at)
    lanes = list(dict.fromkeys(drawn["objective"]))
    assert len(charts) == len(lanes)
    for lane, datasets in zip(lanes, charts, strict=True):
        bars = next(d for d in datasets if "title" in d.columns)
        [rule] = [d for d in datasets if "today" in d.columns]
        part = drawn[drawn["objective"] == lane]
        assert list(bars["title"]) == list(part["title"])
        assert list(bars["start"]) == [d.isoformat() for d in part["start_date"]]
        assert list(bars["end"]) == [d.isoformat() for d in part["end_date"]]
        assert list(bars["health"]) == [HEALTH_LABELS[h] for h in part["health"]]
        expected_labels = [
            "shipped" if s == "done" else f"{p} %"
            for s, p in zip(part["status"], part["percent_complete"], strict=True)
        ]
        assert list(bars["label"]) == expected_labels
        shipped = [d.isoformat() if isinstance(d, date) else None for d in part["shipped_date"]]
        assert [None if pd.isna(v) else v for v in bars["shipped"]] == shipped
        assert list(rule["today"]) == [today().isoformat()]


def test_csv_export_holds_exactly_the_rows_shown(
    app_store: str, downloads: dict[str, tuple[Click, str | None]]
) -> None:
    engine = create_store_engine(app_store)
    [stakeholder] = people(engine, Role.stakeholder)
    objective_id, _ = _busiest_objective_and_owner(engine)
    quarter = quarter_of(today())
    at = open_roadmap(stakeholder.id, {"quarter": quarter, "objective": str(objective_id)})
    [button] = [b for b in at.download_button if b.key == "roadmap_csv"]
    assert button.label == "Download the roadmap as CSV"
    click, mime = downloads[f"roadmap-{quarter}.csv"]
    data = click()
    expected = items_for(engine, RoadmapFilters(quarter=quarter, objective_id=objective_id))
    assert mime == "text/csv"
    assert data.decode("utf-8") == export_csv(expected)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    shown = {t for titles in board_titles(at).values() for t in titles}
    assert len(rows) == len(expected) + 1 == len(shown) + 1
    assert {row[1] for row in rows[1:]} == shown


def test_nothing_on_the_roadmap_can_be_edited(app_store: str) -> None:
    engine = create_store_engine(app_store)
    [director] = people(engine, Role.director)
    at = open_roadmap(director.id)  # even a director only reads here
    assert not at.get("form")
    assert not at.text_input and not at.text_area and not at.number_input and not at.slider
    assert not at.checkbox and not at.date_input
    assert [b.label for b in at.button] == []
    # The CSV, and the PDF, PNG and SVG to take into a meeting.
    assert len(at.download_button) == 4


# --- share links -------------------------------------------------------------------------------


def make_link(engine: Engine, *, days: int = 30, now: datetime | None = None) -> tuple[str, int]:
    [director] = people(engine, Role.director)
    with session_scope(engine) as session:
        created = create_share_link(
            session=session, actor=director, label="Board", valid_days=days, now=now
        )
    return created.token, created.link.id


def open_shared(token: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["share"] = token
    at.run()
    assert not at.exception
    return at


def test_a_share_link_opens_the_roadmap_and_nothing_else(app_store: str) -> None:
    engine = create_store_engine(app_store)
    token, _ = make_link(engine)
    at = open_shared(token)
    assert at.title[0].value == "Roadmap"
    assert "Read-only view shared by link (Board)" in plain(at.caption[0].value)
    assert len(at.sidebar) == 0  # no identity picker, no page list
    assert "demo_person_id" not in at.session_state
    assert board_titles(at)  # the roadmap itself is there
    # The navigation holds the Roadmap alone: no other page can be opened.
    with pytest.raises(ValueError, match=r"Known pages: \['[^']*roadmap\.py'\]"):
        at.switch_page("pages/initiatives.py")
    # Filtering keeps the token in the address bar.
    at.multiselect(key="roadmap_status").select("in_progress").run()
    assert at.query_params["share"] == token and at.query_params["status"] == "in_progress"
    assert at.title[0].value == "Roadmap"
    # Losing the token from the query string does not open the rest of the app.
    del at.query_params["share"]
    at.run()
    assert at.title[0].value == "Roadmap" and len(at.sidebar) == 0
    assert at.query_params["share"] == token


def test_a_share_links_visitor_reads_its_expiry_in_the_teams_time(
    app_store: str, berlin_team: None
) -> None:
    # A Berlin team's stakeholder read "valid until 26 Dec 2026 09:00 UTC" for 10:00 CET.
    engine = create_store_engine(app_store)
    token, _ = make_link(engine, now=datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    at = open_shared(token)
    caption = plain(at.caption[0].value)
    assert "valid until 26 Dec 2026 10:00 CET." in caption
    assert "UTC" not in caption


def test_a_director_creating_a_share_link_reads_its_expiry_in_the_teams_time(
    app_store: str, berlin_team: None
) -> None:
    clock.pin("2026-11-26T09:00:00+00:00")
    [director] = people(create_store_engine(app_store), Role.director)
    at = open_admin_tab(director.id, "Share links")
    at.text_input(key="admin_share_label").input("Board")
    [create] = [b for b in at.button if b.label == "Create share link"]
    create.click().run()
    assert not at.exception
    [created] = [plain(s.value) for s in at.success if "created" in s.value]
    assert created.startswith("Link “Board” created, valid until 26 Dec 2026 10:")
    assert " CET. Copy it now" in created
    [revoke] = [s for s in at.selectbox if s.label == "Revoke a link"]
    assert revoke.options[0].startswith("Board (expires 26 Dec 2026 10:")


def test_another_pages_url_with_a_share_link_still_shows_the_roadmap(app_store: str) -> None:
    engine = create_store_engine(app_store)
    [director] = people(engine, Role.director)
    token, _ = make_link(engine)
    at = open_as(director.id, "pages/admin.py")
    assert at.title[0].value == "Admin"
    at.query_params["share"] = token  # the Admin page's address, now with a share token
    at.run()
    assert not at.exception
    assert at.title[0].value == "Roadmap"
    assert len(at.sidebar) == 0 and not at.tabs


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("expired", "This roadmap link has expired"),
        ("revoked", "This roadmap link has been withdrawn"),
        ("unknown", "This roadmap link is not valid"),
    ],
)
def test_expired_revoked_and_unknown_links_show_a_message_and_nothing_else(
    app_store: str, case: str, message: str
) -> None:
    engine = create_store_engine(app_store)
    if case == "expired":
        token, _ = make_link(engine, days=1, now=clock.utcnow() - timedelta(days=2))
    elif case == "revoked":
        token, link_id = make_link(engine)
        [director] = people(engine, Role.director)
        with session_scope(engine) as session:
            revoke_share_link(session=session, actor=director, link_id=link_id)
    else:
        token = "not-a-real-token"
    at = open_shared(token)
    assert message in at.error[0].value
    assert len(at.error) == 1
    assert not at.dataframe and not at.selectbox and not at.download_button
    assert len(at.sidebar) == 0
    assert [t.value for t in at.title] == ["Quarterdeck roadmap"]


def test_revoking_a_link_stops_an_open_session_at_its_next_click(app_store: str) -> None:
    engine = create_store_engine(app_store)
    token, link_id = make_link(engine)
    at = open_shared(token)
    assert at.title[0].value == "Roadmap"
    [director] = people(engine, Role.director)
    with session_scope(engine) as session:
        revoke_share_link(session=session, actor=director, link_id=link_id)
    at.run()
    assert "has been withdrawn" in at.error[0].value
    assert not at.dataframe


# --- people's text -----------------------------------------------------------------------------


def _tricky_initiative(engine: Engine) -> int:
    """An idea whose title, description and latest note are full of HTML and markdown tricks."""
    member = people(engine, Role.member)[0]
    with session_scope(engine) as session:
        created = create_initiative(
            session=session,
            actor=member,
            config=CONFIG,
            draft=InitiativeDraft(title=TRICKS, owner_id=member.id, description=TRICKS),
        )
    with session_scope(engine) as session:
        post_status_update(
            session=session,
            actor=member,
            initiative_id=created.id,
            update=NewStatusUpdate("idea", "at_risk", 0, TRICKS),
        )
    return created.id


def test_tricky_text_shows_literally_on_the_roadmap(
    app_store: str, downloads: dict[str, tuple[Click, str | None]]
) -> None:
    engine = create_store_engine(app_store)
    _tricky_initiative(engine)
    [stakeholder] = people(engine, Role.stakeholder)
    at = open_roadmap(stakeholder.id, {"quarter": "all"})
    assert TRICKS in board_titles(at)["Later"]  # in a table cell, as typed
    assert TRICKS in dataframe_cells(at)
    assert TRICKS in downloads["roadmap-all-quarters.csv"][0]().decode("utf-8")
    at.session_state["roadmap_page"] = 2  # the unlinked work's lane follows the objectives' four
    at.run()
    assert assert_shown_as_text(at) == 1  # "not on the timeline yet", every character escaped


def test_tricky_text_shows_literally_on_the_initiatives_page(app_store: str) -> None:
    engine = create_store_engine(app_store)
    initiative_id = _tricky_initiative(engine)
    reader = people(engine, Role.member)[-1]  # stakeholders do not open Initiatives
    at = open_as(reader.id, "pages/initiatives.py", query={"initiative": str(initiative_id)})
    assert assert_shown_as_text(at) >= 1  # the detail's heading
    assert [t.value for t in at.text] == [TRICKS]  # the description, as plain text
    assert dataframe_cells(at).count(TRICKS) >= 2  # the list's title and the history's note


def test_a_phone_finds_key_results_and_board_columns_folded_behind_their_counts(
    app_store: str,
) -> None:
    """The Roadmap ran to about 16,000 px of cards on a phone: each lane's key results and each
    board column's initiatives now sit folded behind a line with their count."""
    engine = create_store_engine(app_store)
    [stakeholder] = people(engine, Role.stakeholder)
    at = open_roadmap(stakeholder.id)
    folds = [
        (re.search(r"<summary>(.*?)</summary>", stack), stack.count('<div class="qd-card">'))
        for stack in phone_stacks(at)
    ]
    assert folds and all(summary is not None for summary, _cards in folds)
    lines = [(summary.group(1), cards) for summary, cards in folds if summary is not None]
    kr_tables = [d.value for d in at.dataframe if "key_result" in d.value.columns]
    board = [titles for titles in board_titles(at).values() if titles]
    assert lines == [
        *((f"{len(t)} key result{'s' if len(t) != 1 else ''}", len(t)) for t in kr_tables),
        *(
            (f"Show all {len(t)} initiatives" if len(t) != 1 else "Show 1 initiative", len(t))
            for t in board
        ),
    ]
