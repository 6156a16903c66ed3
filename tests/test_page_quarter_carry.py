"""Goals under AppTest for carry-forward and templates: a director closes the quarter and is
offered the copy of its unfinished goals and open initiatives into the next one (previewed, then
written once); on a quarter without objectives a director starts it from a template; members and
stakeholders see neither offer."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from planning.config import default_config
from planning.okrs import templates
from planning.okrs.quarter_close import close_quarter
from planning.store.engine import session_scope
from planning.store.models import AuditEvent, KeyResult, Objective, Person
from tests.planning_seed import count
from tests.test_page_goals import button, open_goals, open_task

OLD, NEW = "2026-Q4", "2027-Q1"
DIRECTOR = "maya@northwind.example"
MEMBER = "priya@northwind.example"
STAKEHOLDER = "helen@northwind.example"


def keys(at: AppTest) -> set[str]:
    return {b.key for b in at.button if b.key}


def test_right_after_the_close_a_director_carries_the_quarter_forward(app_engine: Engine) -> None:
    at = open_task(open_goals(app_engine, DIRECTOR, OLD), "close")
    button(at, f"Close {OLD} and freeze it").click().run()
    assert not at.exception
    assert at.success[0].value.startswith(f"{OLD} is closed and graded. Carry its unfinished")
    assert any(f"{OLD} is closed. Carry its unfinished objectives" in i.value for i in at.info)
    at.button(key="draft_preview").click().run()
    assert not at.exception
    preview = at.dataframe[-1].value
    assert {"objective", "key result", "start from", "initiatives"} <= set(preview.columns)
    assert any(preview["initiatives"])
    text = "\n".join(m.value for m in at.markdown)
    assert "open initiative" in text and f"in {NEW}" in text
    assert any("move their links" in c.value for c in at.caption)
    assert (
        count(app_engine, Objective, Objective.period == NEW) == 0
    )  # nothing written by the preview
    at.button(key="draft_confirm").click().run()
    assert not at.exception
    assert count(app_engine, Objective, Objective.period == NEW) == len(set(preview["objective"]))
    assert count(app_engine, AuditEvent, AuditEvent.action == "carry_forward") > 0
    assert f"open initiatives now count for {NEW}" in at.success[0].value
    # Carried: the offer is gone, so nothing can be copied twice.
    assert not keys(at) & {"draft_preview", "draft_confirm"}


@pytest.mark.parametrize("email", [MEMBER, STAKEHOLDER])
def test_members_and_stakeholders_get_no_carry_forward_offer(
    app_engine: Engine, email: str
) -> None:
    with session_scope(app_engine) as session:
        director = session.execute(select(Person).where(Person.email == DIRECTOR)).scalar_one()
        close_quarter(session=session, actor=director, config=default_config(), period=OLD)
    at = open_goals(app_engine, email, OLD)
    assert not keys(at) & {"draft_preview", "template_preview"}
    assert not any("Carry its unfinished" in i.value for i in at.info)


def test_a_director_starts_an_empty_quarter_from_a_template(app_engine: Engine) -> None:
    at = open_goals(app_engine, DIRECTOR, NEW)
    assert {"draft_preview", "template_preview"} <= keys(at)
    assert any(f"Start {NEW} from a template" in h.value for h in at.subheader)
    picker = at.selectbox(key="template_pick")
    assert set(picker.options) >= {
        "Conversion: turn more visits into orders, on every device",
        "Content quality: product pages that sell",
    }
    picker.set_value("content_quality").run()
    at.button(key="template_preview").click().run()
    assert not at.exception
    [preview] = at.dataframe
    assert "Content completeness on top SKUs up" in set(preview.value["key result"])
    assert any("last 28 days of data" in v for v in preview.value["start from"])
    assert count(app_engine, Objective, Objective.period == NEW) == 0
    confirm = at.button(key="template_confirm")
    assert confirm.label == f"Create this objective in {NEW}"
    confirm.click().run()
    assert not at.exception
    assert at.success[0].value.startswith(f"{NEW} started from the Content quality")
    with Session(app_engine) as session:
        [objective] = session.execute(select(Objective).where(Objective.period == NEW)).scalars()
        titles = set(
            session.execute(
                select(KeyResult.title).where(KeyResult.objective_id == objective.id)
            ).scalars()
        )
    assert objective.title == "Win discovery through complete, timely content"
    assert "On-time publishing up" in titles
    assert not keys(at) & {"template_preview", "template_confirm", "draft_preview"}


@pytest.mark.parametrize("email", [MEMBER, STAKEHOLDER])
def test_members_and_stakeholders_get_no_template_offer(app_engine: Engine, email: str) -> None:
    at = open_goals(app_engine, email, NEW)
    assert not keys(at) & {"draft_preview", "template_preview", "template_confirm"}
    assert not any("from a template" in h.value for h in at.subheader)
    assert any(f"The director has not set {NEW}'s goals yet" in i.value for i in at.info)


def test_a_malformed_template_is_named_on_goals_and_writes_nothing(
    app_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "broken.yaml").write_text("# Broken\nobjectives: [unclosed\n", encoding="utf-8")
    (tmp_path / "typo.yaml").write_text(
        "# Typo: a metric that does not exist\nobjectives:\n  - title: Sell more\n"
        "    key_results:\n      - title: Visits up\n        kind: metric\n"
        "        metric: visits\n        direction: increase\n        start: 1\n"
        "        target: 2\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(templates, "templates_dir", lambda config: tmp_path)
    at = open_goals(app_engine, DIRECTOR, NEW)
    assert any(
        "“broken” cannot be used" in w.value and "not valid YAML" in w.value for w in at.warning
    )
    assert at.selectbox(key="template_pick").options == ["Typo: a metric that does not exist"]
    at.button(key="template_preview").click().run()
    assert not at.exception
    # The problem names the file and the metric (shown as escaped markdown).
    assert any("typo\\.yaml" in e.value and "'visits'" in e.value for e in at.error)
    assert not at.dataframe and count(app_engine, Objective, Objective.period == NEW) == 0
