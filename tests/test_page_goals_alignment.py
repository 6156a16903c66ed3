"""The Goals page's alignment on the demo store, per role: the tree everyone reads (objectives
under their parents, key results counted elsewhere with their weights, each status as a word on
its colour), and the director's forms to align objectives and count a key result elsewhere, with
a loop refused by name and nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from planning.store.models import KeyResult, Objective
from planning.store.models_alignment import KrContribution, ObjectiveAlignment
from tests.page_text import plain
from tests.planning_seed import count
from tests.test_page_goals import open_goals

COMPANY = "Grow profitable online revenue"
CHECKOUT = "Make checkout effortless on every device"
DISCOVERY = "Win discovery through SEO and content"


@pytest.fixture
def store(app_engine: Engine) -> Engine:
    return app_engine


def objective_id(engine: Engine, title: str) -> int:
    with Session(engine) as session:
        return int(
            session.execute(select(Objective.id).where(Objective.title == title)).scalar_one()
        )


def tree_text(at: AppTest) -> str:
    expander = next(e for e in at.expander if e.label == "Alignment")
    return "\n".join(m.value for m in expander.markdown)


def check_tree(at: AppTest, *, director: bool) -> None:
    """The alignment tree as anyone reads it on the demo quarter."""
    lines = tree_text(at).splitlines()
    company = next(i for i, line in enumerate(lines) if f"**{COMPANY}**" in line)
    assert lines[company].startswith("- :")  # the company objective is a root
    checkout = next(i for i, line in enumerate(lines) if f"**{CHECKOUT}**" in line)
    assert lines[checkout].startswith("    - :")  # one level under it
    # Each status is a coloured badge naming it: never colour alone.
    assert any(f":{c}-badge[" in lines[company] for c in ("green", "orange", "red", "gray"))
    assert any(w in lines[company] for w in ("On track", "At risk", "Off track", "Too early"))
    counted = [plain(line) for line in lines if "↳" in line]
    assert any(
        "Conversion rate up" in line and "counts here with weight 1" in line for line in counted
    )
    # The company objective's block says what else counts there, with weights.
    assert any("Also counted here" in plain(m.value) for m in at.markdown)
    tasks = at.get("segmented_control")
    assert director == any("Align objectives" in t.options for t in tasks)


@pytest.mark.parametrize("email", ["priya@northwind.example", "helen@northwind.example"])
def test_member_and_stakeholder_read_the_alignment_tree(store: Engine, email: str) -> None:
    check_tree(open_goals(store, email), director=False)


def test_director_reads_aligns_refuses_a_loop_and_counts_a_key_result_elsewhere(
    store: Engine,
) -> None:
    at = open_goals(store, "maya@northwind.example")
    check_tree(at, director=True)
    at.segmented_control(key="goals_task").set_value("align").run()
    discovery, company, checkout = (objective_id(store, t) for t in (DISCOVERY, COMPANY, CHECKOUT))
    at.selectbox(key="align_objective").set_value(discovery).run()
    at.multiselect(key=f"align_parents_{discovery}").set_value([company, checkout])
    next(b for b in at.button if b.label == "Save alignment").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == [f"Alignment of “{DISCOVERY}” saved."]
    assert count(store, ObjectiveAlignment) == 1
    tree = plain(tree_text(at))
    assert f"also under “{COMPANY}”" in tree  # shown under checkout too, saying so

    # The company objective under checkout would close a loop: refused by name, nothing written.
    at.segmented_control(key="goals_task").set_value("align").run()
    at.selectbox(key="align_objective").set_value(company).run()
    at.multiselect(key=f"align_parents_{company}").set_value([checkout])
    with Session(store) as session:
        before = session.get(Objective, company)
        assert before is not None and before.parent_id is None
    next(b for b in at.button if b.label == "Save alignment").click().run()
    assert not at.exception
    shown = " ".join(plain(e.value) for e in at.error)
    assert f"The alignment would loop: “{COMPANY}” aligns to “{CHECKOUT}” aligns to" in shown
    with Session(store) as session:
        after = session.get(Objective, company)
        assert after is not None and after.parent_id is None
    assert count(store, ObjectiveAlignment) == 1

    # A key result of discovery also counts towards checkout, with weight 0.5.
    at.segmented_control(key="goals_task").set_value("contribute").run()
    with Session(store) as session:
        kr = session.execute(
            select(KeyResult.id).where(KeyResult.title == "Content completeness on top SKUs")
        ).scalar_one()
    checkout = objective_id(store, CHECKOUT)
    at.selectbox(key="contribute_kr").set_value(kr).run()
    before = count(store, KrContribution)
    at.multiselect(key=f"contribute_to_{kr}").select(checkout).run()
    at.text_input(key=f"contribute_weight_{kr}_{checkout}").input("0.5").run()
    next(b for b in at.button if b.label == "Save contributions").click().run()
    assert not at.exception
    assert count(store, KrContribution) == before + 1
    with Session(store) as session:
        weight = session.execute(
            select(KrContribution.weight).where(
                KrContribution.key_result_id == kr, KrContribution.objective_id == checkout
            )
        ).scalar_one()
    assert weight == 0.5
