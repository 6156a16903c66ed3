"""OKR templates in config/templates/ (planning/okrs/templates.py): every shipped template passes
the OKR file validation, starting a quarter from one creates its objectives with start values
read from the data, and bad input (an unknown template, a quarter with objectives, a malformed
file, a member) is refused with a clear message and nothing written."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from planning import i18n
from planning.access.permissions import PermissionDenied
from planning.cli.main import main
from planning.config import AppConfig, default_config
from planning.metrics.engine import metric_value
from planning.okrs.evaluation_reads import data_as_of
from planning.okrs.goal_rules import GoalError
from planning.okrs.templates import (
    TemplateDraft,
    TemplateError,
    list_templates,
    start_from_template,
    template_problems,
    templates_dir,
)
from planning.store.engine import DATABASE_URL_ENV, session_scope
from planning.store.models import AuditEvent, KeyResult, Objective, Person, Role
from tests.planning_seed import count

PERIOD = "2027-Q1"
SHIPPED = {"conversion", "basket_size", "retention", "content_quality"}


@pytest.fixture
def store(demo_engine: Engine) -> Engine:
    """A private copy of the demo store (2026-Q4 goals, data through 25 Nov 2026)."""
    return demo_engine


def someone(session: Session, role: Role) -> Person:
    found = session.execute(
        select(Person).where(Person.role == role, Person.active == True)  # noqa: E712
    ).scalars()
    return next(iter(found))


def use(
    engine: Engine,
    name: str,
    *,
    preview: bool,
    period: str = PERIOD,
    role: Role = Role.director,
    directory: Path | None = None,
    previewed: TemplateDraft | None = None,
    owner_id: int | None = None,
) -> TemplateDraft:
    with session_scope(engine) as session:
        return start_from_template(
            session=session,
            actor=someone(session, role),
            config=default_config(),
            name=name,
            period=period,
            preview=preview,
            directory=directory,
            previewed=previewed,
            owner_id=owner_id,
        )


def last_28_days(
    engine: Engine, config: AppConfig, metric_id: str, **filters: str
) -> tuple[date, float | None]:
    """The last day with data and the metric's value over the 28 days ending on it."""
    with Session(engine) as session:
        as_of = data_as_of(session=session, config=config)
        window: dict[str, Any] = {"start": as_of - timedelta(days=27), "end": as_of}
        if filters:
            window["filters"] = filters
        return as_of, metric_value(
            session=session, config=config.metrics, metric_id=metric_id, **window
        )


def test_the_four_ecommerce_templates_ship_and_pass_the_okr_file_validation(
    store: Engine, config: AppConfig
) -> None:
    found = {t.name: t for t in list_templates(config=config)}
    assert set(found) == SHIPPED
    with Session(store) as session:
        director = someone(session, Role.director)
        for template in found.values():
            assert template.title and template.description, template.name
            assert not template.problems, template.problems
            assert (
                template_problems(
                    session=session,
                    config=config,
                    path=template.path,
                    period=PERIOD,
                    owner_email=director.email,
                )
                == []
            ), template.name
            metrics = [
                kr.get("metric")
                for o in template.document["objectives"]
                for kr in o["key_results"]
                if kr.get("kind") == "metric"
            ]
            assert metrics and all(m in config.metrics.metrics for m in metrics), template.name


def test_a_malformed_template_is_named_with_its_file_key_and_reason(
    store: Engine, config: AppConfig, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "# Bad\nobjectives:\n  - title: Sell more\n    key_results:\n"
        "      - title: Conversion up\n        kind: metric\n        metric: conversion_rte\n"
        "        direction: increase\n        start: 0.02\n        target: 0.03\n"
        "        colour: blue\n",
        encoding="utf-8",
    )
    with Session(store) as session:
        problems = template_problems(
            session=session,
            config=config,
            path=bad,
            period=PERIOD,
            owner_email=someone(session, Role.director).email,
        )
    text = "\n".join(problems)
    assert "bad.yaml: objective 1 (“Sell more”), key result 1 (“Conversion up”)" in text
    assert "unknown key 'colour'" in text
    assert "Unknown metric 'conversion_rte'".lower() in text.lower()

    broken = tmp_path / "broken.yaml"
    broken.write_text("objectives:\n  - title: [unclosed\n", encoding="utf-8")
    audit = count(store, AuditEvent)
    with pytest.raises(TemplateError, match=r"broken\.yaml: line \d+, column \d+: not valid YAML"):
        use(store, "broken", preview=False, directory=tmp_path)
    with pytest.raises(TemplateError, match=r"bad\.yaml: .*unknown key 'colour'"):
        use(store, "bad", preview=False, directory=tmp_path)
    assert count(store, Objective, Objective.period == PERIOD) == 0
    assert count(store, AuditEvent) == audit


def test_a_template_naming_its_quarter_is_refused(store: Engine, tmp_path: Path) -> None:
    shutil.copy(templates_dir(default_config()) / "retention.yaml", tmp_path / "dated.yaml")
    text = (tmp_path / "dated.yaml").read_text(encoding="utf-8")
    (tmp_path / "dated.yaml").write_text(f"period: 2026-Q4\n{text}", encoding="utf-8")
    with pytest.raises(TemplateError, match="a template leaves the quarter out"):
        use(store, "dated", preview=True, directory=tmp_path)


def test_starting_a_quarter_from_a_template_reads_its_starts_from_the_data(
    store: Engine, config: AppConfig
) -> None:
    audit = count(store, AuditEvent)
    preview = use(store, "conversion", preview=True)
    assert count(store, Objective, Objective.period == PERIOD) == 0
    assert count(store, AuditEvent) == audit
    [objective] = preview.objectives
    assert objective.title == "Make checkout effortless on every device"
    rows = {kr.title: kr for kr in objective.key_results}
    # 2027-Q1 has no data yet: a metric key result starts from the metric's level over the last
    # 28 days of data, and aims as far as the template's example (2.1 % → 2.4 %: 8/7 of it).
    as_of, level = last_28_days(store, config, "conversion_rate")
    _, mobile_abandonment = last_28_days(store, config, "cart_abandonment_rate", device="mobile")
    assert level is not None and mobile_abandonment is not None
    conversion = rows["Conversion rate up"]
    assert conversion.start_value == pytest.approx(level, rel=1e-3)
    assert conversion.target_value == pytest.approx(level * 0.024 / 0.021, rel=1e-3)
    assert conversion.start_note == f"last 28 days of data through {as_of:%d %b %Y}"
    abandonment = rows["Mobile cart abandonment down"]
    assert abandonment.start_value == pytest.approx(mobile_abandonment, rel=1e-3)
    assert abandonment.target_value < abandonment.start_value  # still a decrease
    assert rows["Revenue per session holds while checkout changes"].target_value == 1.9
    with Session(store) as session:
        director = someone(session, Role.director)
    assert objective.owner == director.name
    assert {kr.owner for kr in objective.key_results} == {director.name}

    written = use(store, "conversion", preview=False, previewed=preview)
    assert written.written
    with Session(store) as session:
        [stored] = session.execute(select(Objective).where(Objective.period == PERIOD)).scalars()
        krs = {
            k.title: k
            for k in session.execute(
                select(KeyResult).where(KeyResult.objective_id == stored.id)
            ).scalars()
        }
    assert stored.owner_id == director.id
    assert krs["Conversion rate up"].start_value == conversion.start_value
    assert krs["Conversion rate up"].target_value == conversion.target_value
    assert krs["Mobile cart abandonment down"].filters == {"device": "mobile"}
    # One event per record created, and one for the template.
    assert count(store, AuditEvent) == audit + 1 + len(krs) + 1
    assert count(store, AuditEvent, AuditEvent.entity == "okr_template") == 1

    # A second confirmation (a double click) creates nothing more.
    with pytest.raises(TemplateError, match=f"{PERIOD} already has objectives"):
        use(store, "conversion", preview=False, previewed=preview)
    assert count(store, Objective, Objective.period == PERIOD) == 1


def test_another_owner_can_be_chosen_for_the_goals(store: Engine) -> None:
    with Session(store) as session:
        member = someone(session, Role.member)
        stakeholder = someone(session, Role.stakeholder)
    draft = use(store, "basket_size", preview=True, owner_id=member.id)
    assert {o.owner for o in draft.objectives} == {member.name}
    with pytest.raises(TemplateError, match="is a stakeholder"):
        use(store, "basket_size", preview=True, owner_id=stakeholder.id)


@pytest.mark.parametrize(
    ("name", "period", "message"),
    [
        ("loyalty", PERIOD, "Unknown template 'loyalty' (available: basket_size, content_qual"),
        ("../settings", PERIOD, "Unknown template '../settings'"),
        ("conversion", "2026-Q4", "2026-Q4 already has objectives"),
        ("conversion", "2026-Q9", "2026-Q9"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(
    store: Engine, name: str, period: str, message: str
) -> None:
    audit = count(store, AuditEvent)
    objectives = count(store, Objective)
    with pytest.raises(GoalError) as refused:
        use(store, name, preview=False, period=period)
    assert message in "\n".join(refused.value.problems)
    assert count(store, AuditEvent) == audit
    assert count(store, Objective) == objectives


def test_an_unknown_template_is_refused_in_german_and_writes_nothing(store: Engine) -> None:
    audit = count(store, AuditEvent)
    objectives = count(store, Objective)
    with i18n.use_locale("de"), pytest.raises(GoalError) as refused:
        use(store, "loyalty", preview=False)
    assert refused.value.problems[0].startswith(
        "Unbekannte Vorlage 'loyalty' (verfügbar: basket_size, content_qual"
    )
    assert count(store, AuditEvent) == audit
    assert count(store, Objective) == objectives


@pytest.mark.parametrize("role", [Role.member, Role.stakeholder])
def test_members_and_stakeholders_cannot_start_a_quarter_from_a_template(
    store: Engine, role: Role
) -> None:
    with pytest.raises(PermissionDenied):
        use(store, "conversion", preview=True, role=role)
    assert count(store, Objective, Objective.period == PERIOD) == 0


def test_the_command_line_lists_previews_then_starts_a_quarter_once(
    store: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(DATABASE_URL_ENV, str(store.url))
    assert main(["okr", "template", "--list"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in SHIPPED)
    assert "Conversion: turn more visits into orders" in listed

    assert main(["okr", "template", "retention", "--period", PERIOD]) == 0
    out = capsys.readouterr().out
    assert "Automated flow revenue per recipient up" in out
    assert "preview only: would create 1 objective and 3 key results" in out
    assert count(store, Objective, Objective.period == PERIOD) == 0

    assert main(["okr", "template", "retention", "--period", PERIOD, "--confirm"]) == 0
    assert "created 1 objective and 3 key results" in capsys.readouterr().out
    assert count(store, Objective, Objective.period == PERIOD) == 1

    assert main(["okr", "template", "retention", "--period", PERIOD, "--confirm"]) == 1
    err = capsys.readouterr().err
    assert f"{PERIOD} already has objectives" in err
    assert f"nothing was created in {PERIOD}" in err
    assert count(store, Objective, Objective.period == PERIOD) == 1

    assert main(["okr", "template", "nope", "--period", PERIOD]) == 1
    assert "Unknown template 'nope'" in capsys.readouterr().err
    assert main(["okr", "template", "--period", PERIOD]) == 2
    assert "okr template needs a template NAME or --list" in capsys.readouterr().err


def test_once_the_quarter_has_data_a_template_starts_from_its_window_in_the_quarter(
    store: Engine, config: AppConfig
) -> None:
    with session_scope(store) as session:  # 2026-Q4 emptied of objectives, its data kept
        for objective in session.execute(
            select(Objective).where(Objective.period == "2026-Q4")
        ).scalars():
            objective.archived = True
            session.add(objective)
    preview = use(store, "retention", preview=True, period="2026-Q4")
    rows = {kr.title: kr for o in preview.objectives for kr in o.key_results}
    flows = rows["Automated flow revenue per recipient up"]
    # Its window: the trailing 28 days.
    as_of, level = last_28_days(store, config, "email_revenue_per_recipient", email_type="flow")
    assert level is not None
    assert flows.start_note == f"2026-Q4 data through {as_of:%d %b %Y}"
    assert flows.start_value == pytest.approx(level, rel=1e-3)
    assert flows.target_value == pytest.approx(level * 1.2, rel=1e-3)
    assert rows["Loyalty programme live"].start_note == ""  # a milestone has no start


def test_a_confirmation_is_refused_when_the_template_changed_since_its_preview(
    store: Engine, tmp_path: Path
) -> None:
    shutil.copy(templates_dir(default_config()) / "basket_size.yaml", tmp_path / "basket.yaml")
    preview = use(store, "basket", preview=True, directory=tmp_path)
    text = (tmp_path / "basket.yaml").read_text(encoding="utf-8")
    (tmp_path / "basket.yaml").write_text(text.replace("target: 100", "target: 110"))
    with pytest.raises(TemplateError, match="changed since the preview"):
        use(store, "basket", preview=False, directory=tmp_path, previewed=preview)
    assert count(store, Objective, Objective.period == PERIOD) == 0
