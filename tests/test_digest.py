"""The weekly digest: what one ISO week's summary holds (key results, shipped work, realised
impact, stale updates, decisions, plan changes), its Markdown and standalone HTML with people's
text escaped, and the `digest` and `impact` commands."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from planning.config import AppConfig, default_config
from planning.formatting import escape_markdown
from planning.impact.ledger import impact_ledger
from planning.reports.digest import DigestError, WeeklyDigest, build_digest
from planning.reports.digest_render import digest_html, digest_markdown
from planning.store.engine import create_store_engine, read_engine, session_scope
from planning.store.models import Decision, InitiativeStatus, StatusUpdate, WeeklyPlan
from tests.cli_support import run_cli
from tests.planning_seed import Team, add_initiative, seed_team, write_observations

D = date
CELL = {"channel": "organic", "device": "mobile"}
WEEK = "2026-W20"  # Monday 11 May to Sunday 17 May 2026
TODAY = D(2026, 5, 20)
SCRIPT = "<script>alert('x')</script>"


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def update(engine: Engine, initiative_id: int, author: int, day: date, status: str) -> None:
    with session_scope(engine) as session:
        session.add(
            StatusUpdate(
                initiative_id=initiative_id,
                status=InitiativeStatus(status),
                health="on_track",  # type: ignore[arg-type]
                percent_complete=50,
                note="progress",
                author_id=author,
                created_at=at(day),
            )
        )


def seed_week(engine: Engine) -> Team:
    """A team, checkout data from March to 17 May, and a week's worth of plan activity."""
    team = seed_team(engine)
    rows = []
    day = D(2026, 3, 1)
    while day <= D(2026, 5, 17):
        rows.append(("checkout_sessions", day, CELL, 1000.0))
        rows.append(("orders", day, CELL, 550.0 if day >= D(2026, 4, 1) else 500.0))
        day += timedelta(days=1)
    write_observations(engine, rows)
    ana, ben, director = team.ana.id, team.ben.id, team.director.id
    created = at(D(2026, 4, 1))
    common = {"created_at": created, "updated_at": created}
    add_initiative(
        engine,
        title="Checkout redesign",
        owner_id=ana,
        status="done",
        shipped_date=D(2026, 4, 1),
        lift_metric="checkout_completion_rate",
        lift_pct=0.08,
        lift_estimator_id=ana,
        **common,
    )
    add_initiative(
        engine,
        title="Express wallets",
        owner_id=ben,
        status="done",
        shipped_date=D(2026, 4, 15),  # its 28 days end on 12 May, inside the week
        lift_metric="checkout_completion_rate",
        lift_pct=0.05,
        lift_estimator_id=ben,
        **common,
    )
    add_initiative(
        engine,
        title=f"Shipped this week {SCRIPT}",
        owner_id=ana,
        status="done",
        shipped_date=D(2026, 5, 13),
        lift_metric="aov",
        lift_pct=0.03,
        **common,
    )
    stale = add_initiative(
        engine, title="Quiet project", owner_id=ben, status="in_progress", **common
    )
    update(engine, stale, ben, D(2026, 5, 5), "in_progress")  # 12 days before Sunday
    fresh = add_initiative(
        engine, title="Busy project", owner_id=ana, status="in_progress", **common
    )
    update(engine, fresh, ana, D(2026, 5, 15), "in_progress")
    finished = add_initiative(engine, title="Finished work", owner_id=ana, status="done", **common)
    update(engine, finished, ana, D(2026, 4, 20), "done")
    late = add_initiative(
        engine, title="Late reporter", owner_id=ben, status="in_progress", **common
    )
    update(engine, late, ben, D(2026, 5, 1), "in_progress")
    update(engine, late, ben, D(2026, 5, 19), "in_progress")  # after the week: not counted
    with session_scope(engine) as session:
        session.add(
            Decision(decided_on=D(2026, 5, 12), text=f"Go **all in** {SCRIPT}", author_id=director)
        )
        session.add(
            Decision(decided_on=D(2026, 5, 4), text="An older decision", author_id=director)
        )
        row = {"status": "planned", "health": "on_track", "owner": "Ana", "score": 10.0}
        session.add(
            WeeklyPlan(
                week="2026-W19",
                framework="rice",
                snapshot=[{**row, "id": fresh, "rank": 1, "title": "Busy project"}],
                committed_by=director,
                committed_at=at(D(2026, 5, 4)),
            )
        )
        session.add(
            WeeklyPlan(
                week=WEEK,
                framework="rice",
                snapshot=[
                    {**row, "id": stale, "rank": 1, "title": "Quiet project"},
                    {**row, "id": fresh, "rank": 2, "title": "Busy project"},
                ],
                committed_by=director,
                committed_at=at(D(2026, 5, 11)),
            )
        )
    return team


def digest_of(engine: Engine, config: AppConfig, week: str = WEEK) -> WeeklyDigest:
    with Session(read_engine(engine)) as session:
        return build_digest(session=session, config=config, week=week, today=TODAY)


def test_digest_holds_the_weeks_work(engine: Engine, config: AppConfig) -> None:
    team = seed_week(engine)
    digest = digest_of(engine, config)
    assert (digest.week, digest.monday, digest.sunday) == (WEEK, D(2026, 5, 11), D(2026, 5, 17))
    assert digest.data_through == D(2026, 5, 17) and digest.period == "2026-Q2"

    assert [k.key_result for k in digest.key_results] == [
        "Conversion 2.1→2.4 %",
        "Completion 45→53 %",
        "AOV $92→$100",
    ]
    assert [s.initiative for s in digest.shipped] == [f"Shipped this week {SCRIPT}"]
    assert digest.shipped[0].expected == "+3.0 % on Average order value"

    impacts = {e.initiative: e for e in digest.impacts}
    redesign = impacts["Checkout redesign"]
    assert redesign.realised_lift == pytest.approx(0.10)
    assert not redesign.seasonally_adjusted  # no data a year earlier
    assert not digest.new_impact(redesign)  # measurable since 28 April
    assert digest.new_impact(impacts["Express wallets"])  # its window closed on 12 May

    stale = {s.initiative: s for s in digest.stale}
    assert set(stale) == {"Quiet project", "Late reporter"}
    assert stale["Quiet project"].days_since == 12
    assert stale["Quiet project"].last_update == D(2026, 5, 5)
    assert stale["Late reporter"].days_since == 16  # its 19 May update came after the week

    assert [d.text for d in digest.decisions] == [f"Go **all in** {SCRIPT}"]
    assert digest.decisions[0].author == team.director.name

    changes = {(p.initiative, p.change) for p in digest.plan_changes}
    assert changes == {("Quiet project", "New in the backlog"), ("Busy project", "Down 1")}
    assert "against the plan committed for 2026-W19" in digest.plan_note


def test_markdown_escapes_peoples_text(engine: Engine, config: AppConfig) -> None:
    seed_week(engine)
    text = digest_markdown(digest_of(engine, config))
    assert text.startswith("# Weekly digest · 2026-W20\n")
    for heading in (
        "## Key results · 2026-Q2",
        "## Shipped this week",
        "## Realised impact",
        "## Stale updates",
        "## Decisions",
        "## What changed in the plan",
    ):
        assert heading in text
    assert "<script>" not in text and "**all in**" not in text
    assert "Go \\*\\*all in\\*\\* \\<script\\>" in text
    assert "| Checkout redesign | Checkout completion rate |" in text
    assert "+10.0\u00a0%" in text and "not seasonally adjusted" in text
    assert "new this week" in text
    # A table cell stays one cell on one line.
    assert escape_markdown("a|b\nc", inline=True) == "a\\|b c"


def test_the_plain_text_leaves_peoples_text_as_typed_but_keeps_the_columns(
    engine: Engine, config: AppConfig
) -> None:
    seed_week(engine)
    with session_scope(engine) as session:
        decision = session.exec(select(Decision)).first()
        assert decision is not None
        decision.text = "Ship wallets | then bundles: $98.79"
        session.add(decision)
    text = digest_markdown(digest_of(engine, config), plain=True)
    # An email's plain-text part: no backslash before a colon or a dollar, one | escaped.
    lines = text.splitlines()
    row = next(i for i, line in enumerate(lines) if "Ship wallets" in line)
    assert "Ship wallets \\| then bundles: $98.79" in lines[row]
    header = next(i for i in range(row, -1, -1) if lines[i].startswith("|---"))
    columns = re.compile(r"(?<!\\)\|")
    assert len(columns.findall(lines[row])) == len(columns.findall(lines[header - 1]))


def test_html_is_standalone_and_escaped(engine: Engine, config: AppConfig) -> None:
    seed_week(engine)
    page = digest_html(digest_of(engine, config))
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    # Nothing is fetched: no external files, links out, imports or URLs in styles.
    for needle in ("src=", "href=", "<link", "@import", "url("):
        assert needle not in page
    assert page.count("<svg") == 1 and "Checkout redesign" in page
    assert re.search(r"<circle [^>]*>", page)  # a dot per measured initiative
    assert "Quiet project" in page and "Down 1" in page


def test_weeks_without_activity_say_so(engine: Engine, config: AppConfig) -> None:
    seed_team(engine)
    digest = digest_of(engine, config, week="2026-w19")
    assert digest.week == "2026-W19"
    assert digest.data_through is None and not digest.impacts and not digest.shipped
    text = digest_markdown(digest)
    assert "Nothing shipped this week." in text
    assert "No decisions logged this week." in text
    assert "No plan was committed before 2026-W19" in text
    assert "no metric data yet" in text
    assert "<svg" not in digest_html(digest)


def test_bad_or_future_weeks_are_refused(engine: Engine, config: AppConfig) -> None:
    seed_team(engine)
    with pytest.raises(DigestError, match="not an ISO week"):
        digest_of(engine, config, week="May 2026")
    with pytest.raises(DigestError, match="after today"):
        digest_of(engine, config, week="2026-W30")


def test_impacts_in_a_past_weeks_digest_use_the_data_of_then(
    engine: Engine, config: AppConfig
) -> None:
    seed_week(engine)
    earlier = digest_of(engine, config, week="2026-W18")  # 27 April to 3 May
    impacts = {e.initiative: e for e in earlier.impacts}
    assert impacts["Checkout redesign"].measured
    assert impacts["Express wallets"].verdict == "not_enough_data"
    assert earlier.data_through == D(2026, 5, 3)


# --- the commands ------------------------------------------------------------------------------


run = run_cli


def test_digest_command_writes_html_and_prints_markdown(
    demo_cli: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "digest.html"
    code, out, _ = run(
        capsys, "digest", "--week", "2026-W48", "--format", "html", "--out", str(out_file)
    )
    assert code == 0 and "2026-W48" in out
    page = out_file.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    assert "One-page checkout redesign" in page
    code, out, _ = run(capsys, "digest", "--week", "2026-W48", "--format", "md")
    assert code == 0
    assert out.startswith("# Weekly digest · 2026-W48")
    assert "Northwind Outfitters" in out


def test_digest_command_bad_week_is_one_line_and_exit_2(
    demo_cli: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "digest", "--week", "2026-W60")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "2026 has weeks 01 to 53" in err


def test_impact_command_json_is_the_ledger(
    demo_cli: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "impact", "--format", "json")
    assert code == 0
    items = json.loads(out)
    with Session(read_engine(create_store_engine(demo_cli))) as session:
        ledger = impact_ledger(session=session, config=default_config())
    assert [i["initiative"] for i in items] == [e.initiative for e in ledger]
    redesign = next(i for i in items if i["initiative"] == "One-page checkout redesign")
    assert set(redesign) >= {
        "initiative",
        "metric",
        "expected_lift",
        "realised_lift",
        "ci_low",
        "ci_high",
        "verdict",
    }
    assert redesign["metric"] == "checkout_completion_rate"
    assert redesign["expected_lift"] == 0.08
    assert redesign["ci_low"] <= 0.08 <= redesign["ci_high"]
    assert redesign["verdict"] == "met"


def test_impact_command_table_shows_verdicts_and_calibration(
    demo_cli: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "impact")
    assert code == 0
    line = next(x for x in out.splitlines() if x.startswith("One-page checkout redesign"))
    assert "+8.0 %" in line and "Met" in line
    assert "Calibration per estimator" in out and "Jonas Becker" in out


def test_a_figure_keeps_its_unit_on_its_line_in_html_and_the_preview_but_not_in_plain_text(
    engine: Engine, config: AppConfig
) -> None:
    """A narrow table wrapped "+10.0 %" after the figure, leaving the "%" alone on a line: the
    HTML and the Markdown the Impact page renders hold them with a no-break space; the email's
    plain text keeps ordinary spaces."""
    seed_week(engine)
    digest = digest_of(engine, config)
    page = digest_html(digest)
    preview = digest_markdown(digest)
    plain = digest_markdown(digest, plain=True)
    assert ">+10.0\u00a0%</td>" in page and ">+10.0 %</td>" not in page
    assert "| +10.0\u00a0% |" in preview and "+10.0 %" not in preview
    assert "| +10.0 % |" in plain and "\u00a0" not in plain
    # People's text is no figure: its spaces may still wrap.
    assert "Checkout redesign" in page and "Checkout redesign" in preview
