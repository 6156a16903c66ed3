"""The Admin page under AppTest: directors only; upload with a preview, bad rows listed and no
import possible, confirm writes and shows in the history; API tokens created (shown once) and
revoked."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.errors import AppTestError

from planning.access.api_tokens import authenticate
from planning.store.engine import create_store_engine
from planning.store.models import Role
from planning.store.models_access import ApiToken
from tests.app_pages import people

APP = str(Path(__file__).resolve().parent.parent / "app.py")
GOOD = (
    "date,measure,value,channel,device\n"
    "2026-11-26,sessions,950,email,mobile\n"
    "2026-11-26,orders,40,email,mobile\n"
    "2026-11-25,sessions,{existing},email,mobile\n"
)
BAD = (
    "date,measure,value,channel,device\n"
    "2026-11-26,sessions,950,email,mobile\n"
    "2026-11-31,orders,40,email,mobile\n"
    "2026-11-26,sesions,3,email,mobile\n"
    "2026-11-26,orders,-3,direct,mobile\n"
    "2026-11-26,sessions,10,direct,tablet\n"
)


def open_admin(url: str, role: Role = Role.director) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["demo_person_id"] = people(url, role)[0].id
    at.run()
    at.switch_page("pages/admin.py").run()
    assert not at.exception
    return at


def open_tab(at: AppTest, label: str) -> AppTest:
    """Open one Admin tab, as a click on it does (only the open tab runs)."""
    at.session_state["admin_tab"] = label
    return at.run()


def shown(alerts: Any) -> str:
    """The text of every alert in a list, markdown escapes removed."""
    return "\n".join(a.value for a in alerts).replace("\\", "")


def preview_tiles(at: AppTest) -> dict[str, str]:
    """The import preview's tiles on the Data import tab: label -> value."""
    return {m.label: m.value for m in at.tabs[0].metric}


def db_path(url: str) -> str:
    return url.removeprefix("sqlite:///")


def counts(url: str) -> tuple[int, int]:
    with sqlite3.connect(db_path(url)) as conn:
        observations = conn.execute("SELECT COUNT(*) FROM observation").fetchone()[0]
        batches = conn.execute("SELECT COUNT(*) FROM import_batch").fetchone()[0]
    return int(observations), int(batches)


def stored_sessions(url: str, day: str) -> float | None:
    with sqlite3.connect(db_path(url)) as conn:
        row = conn.execute(
            "SELECT o.value FROM observation o JOIN series s ON s.id = o.series_id "
            "WHERE s.measure = 'sessions' AND s.dims_key = 'channel=email|device=mobile' "
            "AND o.day = ?",
            (day,),
        ).fetchone()
    return None if row is None else float(row[0])


def test_director_sees_the_three_tabs(app_store: str) -> None:
    at = open_admin(app_store)
    assert at.title[0].value == "Admin"
    # Other tabs (people, share links) may follow these three.
    assert [t.label for t in at.tabs][:3] == ["Data import", "API tokens", "Import history"]
    assert len(at.file_uploader) == 1
    assert not at.tabs[2].dataframe  # the other tabs run once opened
    # The demo data set's own import is in the history.
    history = open_tab(at, "Import history").tabs[2].dataframe[0].value
    assert "Demo data" in set(history["source"])


@pytest.mark.parametrize("role", [Role.member, Role.stakeholder])
def test_members_and_stakeholders_never_see_admin(app_store: str, role: Role) -> None:
    # The router sends them to their landing page; the page itself would refuse them too, and
    # the domain refuses their imports and tokens (tests/test_importer.py, test_api_tokens.py).
    at = open_admin(app_store, role)
    assert "Admin" not in [t.value for t in at.title]
    assert "Data import" not in [t.label for t in at.tabs]
    assert len(at.file_uploader) == 0
    assert not [b for b in at.button if b.label in {"Create token", "Confirm import"}]


def test_bad_rows_are_listed_and_the_file_cannot_be_confirmed(app_store: str) -> None:
    before = counts(app_store)
    at = open_admin(app_store)
    at.file_uploader[0].set_value(("week.csv", BAD.encode(), "text/csv")).run()
    assert not at.exception
    assert "week.csv has 4 problems in 5 rows" in shown(at.tabs[0].error)
    problems = at.tabs[0].dataframe[-1].value
    assert list(problems.columns) == ["line", "column", "reason"]
    assert [tuple(r) for r in problems[["line", "column"]].itertuples(index=False)] == [
        (3, "date"),
        (4, "measure"),
        (5, "value"),
        (6, "device"),
    ]
    assert "2026-11-31 is not a real date" in problems["reason"].iloc[0]
    assert "did you mean 'sessions'" in problems["reason"].iloc[1]
    assert "negative" in problems["reason"].iloc[2]
    assert "'tablet' is not a declared device value" in problems["reason"].iloc[3]
    confirm = at.button(key="admin_confirm_import")
    assert confirm.disabled
    with pytest.raises(AppTestError, match="disabled"):
        confirm.click()
    at.run()
    assert not at.exception
    assert counts(app_store) == before


def test_unreadable_file_is_explained_and_cannot_be_confirmed(app_store: str) -> None:
    at = open_admin(app_store)
    at.file_uploader[0].set_value(("week.csv", b"day;metric;amount\n1;2;3\n", "text/csv")).run()
    assert "cannot be imported" in shown(at.tabs[0].error)
    assert "seems to use" in shown(at.tabs[0].error)
    assert at.button(key="admin_confirm_import").disabled


def test_preview_then_confirm_writes_and_lists_the_batch(app_store: str) -> None:
    existing = stored_sessions(app_store, "2026-11-25")
    assert existing is not None
    before_rows, before_batches = counts(app_store)
    at = open_admin(app_store)
    content = GOOD.format(existing=f"{existing:g}").encode()
    at.file_uploader[0].set_value(("new-day.csv", content, "text/csv")).run()
    assert not at.exception
    assert preview_tiles(at) == {
        "Rows in the file": "3",
        "Would add": "2",
        "Would update": "0",
        "Left as they are": "1",
    }
    sample = at.tabs[0].dataframe[-1].value
    assert list(sample["change"]) == ["add", "add", "unchanged"]
    # Nothing is written by the preview.
    assert counts(app_store) == (before_rows, before_batches)

    at.button(key="admin_confirm_import").click().run()
    assert not at.exception
    assert "2 added, 0 updated, 1 unchanged" in shown(at.success)
    assert counts(app_store) == (before_rows + 2, before_batches + 1)
    assert stored_sessions(app_store, "2026-11-26") == 950
    # The uploader starts empty again.
    assert at.file_uploader[0].value is None
    history = open_tab(at, "Import history").tabs[2].dataframe[0].value
    newest = history.iloc[0]
    director = people(app_store, Role.director)[0]
    assert (newest["source"], newest["file"], newest["who"]) == (
        "Upload",
        "new-day.csv",
        director.name,
    )
    assert (newest["added"], newest["updated"]) == (2, 0)
    assert len(newest["checksum"]) == 64


def test_token_is_shown_once_stored_hashed_and_revocable(app_store: str) -> None:
    at = open_tab(open_admin(app_store), "API tokens")
    form_name = at.tabs[1].text_input[0]
    form_name.set_value("nightly-etl")
    at.tabs[1].multiselect[0].set_value(["write:observations"])
    at.tabs[1].button[0].click().run()
    assert not at.exception
    secret = at.tabs[1].code[0].value
    assert secret.startswith("qd_")
    assert "will not be shown again" in shown(at.tabs[1].success)

    engine = create_store_engine(app_store)
    with Session(engine) as session:
        token = authenticate(session=session, secret=secret)
        assert token is not None and token.name == "nightly-etl"
        stored = session.exec(select(ApiToken.token_hash)).all()
    assert secret not in stored

    at.button(key="admin_token_copied").click().run()
    assert not any(c.value == secret for c in at.code)
    table = at.tabs[1].dataframe[0].value
    assert list(table["name"]) == ["nightly-etl"]
    assert list(table["state"]) == ["active"]

    at.tabs[1].selectbox[0].set_value(token.id)
    revoke = next(b for b in at.tabs[1].button if b.label == "Revoke token")
    revoke.click().run()
    assert not at.exception
    assert "Revoked token nightly" in shown(at.success)
    with Session(engine) as session:
        assert authenticate(session=session, secret=secret) is None
    engine.dispose()
    assert at.tabs[1].dataframe[0].value["state"].iloc[0].startswith("revoked")


def test_a_created_token_empties_the_form_so_a_second_click_makes_no_second_token(
    app_store: str,
) -> None:
    at = open_tab(open_admin(app_store), "API tokens")
    at.tabs[1].text_input[0].set_value("nightly-etl")
    at.tabs[1].multiselect[0].set_value(["write:observations"])
    at.tabs[1].button[0].click().run()
    assert not at.exception
    assert (at.tabs[1].text_input[0].value, at.tabs[1].multiselect[0].value) == ("", [])
    next(b for b in at.tabs[1].button if b.label == "Create token").click().run()  # again
    assert "give the token a name" in shown(at.tabs[1].error)
    engine = create_store_engine(app_store)
    with Session(engine) as session:
        assert [t.name for t in session.exec(select(ApiToken)).all()] == ["nightly-etl"]
    engine.dispose()


def test_token_without_name_or_scope_is_refused_and_keeps_the_input(app_store: str) -> None:
    at = open_tab(open_admin(app_store), "API tokens")
    at.tabs[1].multiselect[0].set_value(["read:okrs"])
    at.tabs[1].button[0].click().run()
    assert not at.exception
    assert "give the token a name" in shown(at.tabs[1].error)
    assert at.tabs[1].multiselect[0].value == ["read:okrs"]
    engine = create_store_engine(app_store)
    with Session(engine) as session:
        assert session.exec(select(ApiToken)).all() == []
    engine.dispose()
