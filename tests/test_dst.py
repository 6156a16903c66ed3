"""Teams in real time zones on the days clocks change: check-in reminders and digests, metric
days, Shopify orders and the times readers see (Berlin, Los Angeles and Sydney, on the EU, US and
southern switch days and in ISO week 53 of 2026). Every moment is pinned, so these pass any day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from planning import clock
from planning.access.api_tokens import WRITE_OBSERVATIONS
from planning.access.passwords import attempt_sign_in, start_session
from planning.access.people import set_password
from planning.config import AppConfig
from planning.config.settings import NotifySettings
from planning.metrics.completeness import last_cut_off_day
from planning.notify.outbox import enqueue
from planning.notify.run import plan_due
from planning.notify.schedule import check_in_week, digest_week
from planning.notify.secrets import NotifySecrets
from planning.okrs.evaluation import evaluate_period
from planning.okrs.track import kr_track
from planning.reports.digest import build_digest
from planning.reports.digest_render import digest_markdown
from planning.reports.this_week import days_since, idea_outcomes, is_owed
from planning.sources.schedule import OnceCronTrigger
from planning.sources.shopify_orders import parse_shopify_orders
from planning.store.engine import read_engine, session_scope
from planning.store.models import (
    CheckIn,
    Direction,
    InitiativeStatus,
    KeyResult,
    KrKind,
    Objective,
    StatusUpdate,
)
from planning.store.models_notify import OutboxMessage
from planning.work.initiative_input import NewStatusUpdate
from planning.work.initiative_reads import initiative_detail, list_initiatives
from planning.work.status_updates import accept_idea, post_status_update
from tests.api_support import bearer, client_for, new_token
from tests.okr_seed import make_team
from tests.planning_seed import add_initiative, add_owed_initiative, seed_team
from tests.test_sources_shopify import edited, shop_config, values
from ui.this_week_data import ago

BERLIN = ZoneInfo("Europe/Berlin")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
SYDNEY = ZoneInfo("Australia/Sydney")
OBSERVATIONS = "/api/v1/observations"
API_ROWS = [
    {
        "date": "2027-03-27",
        "measure": "sessions",
        "value": 1200,
        "channel": "email",
        "device": "mobile",
    }
]
UNREACHED = NotifySecrets(
    urls={"email": "mailto://127.0.0.1:9?from=qd@x.test"}, link_secret=b"a-test-link-secret-0123"
)


def _due_moments(
    settings: NotifySettings, zone: ZoneInfo, start: datetime, hours: int = 36
) -> list[datetime]:
    """Every quarter hour from `start` at which the check-in is due, shown in the team's zone."""
    found = []
    for quarter in range(hours * 4):
        moment = start + timedelta(minutes=15 * quarter)
        if check_in_week(moment, settings, zone) is not None:
            found.append(moment.astimezone(zone))
    return found


# --- check-in reminders and the digest ------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "saturday_noon_utc", "after_the_jump"),
    [
        (BERLIN, datetime(2027, 3, 27, 12, tzinfo=UTC), "03:30+02:00"),
        (LOS_ANGELES, datetime(2027, 3, 13, 12, tzinfo=UTC), "03:30-07:00"),
        (SYDNEY, datetime(2026, 10, 3, 0, tzinfo=UTC), "03:30+11:00"),
    ],
)
def test_a_check_in_time_the_clocks_skip_is_still_due_for_its_catch_up_hours(
    zone: ZoneInfo, saturday_noon_utc: datetime, after_the_jump: str
) -> None:
    # Clocks go from 02:00 straight to 03:00: 02:30 counts as 03:30, an hour after 01:30.
    settings = NotifySettings(check_in_day="sunday", check_in_time="02:30", catch_up_hours=1)
    due = _due_moments(settings, zone, saturday_noon_utc)
    assert [d.isoformat()[11:] for d in due] == [
        f"{after_the_jump[:2]}:{m}:00{after_the_jump[5:]}" for m in ("30", "45")
    ] + [f"04:{m}:00{after_the_jump[5:]}" for m in ("00", "15")]


@pytest.mark.parametrize(
    ("zone", "saturday_noon_utc"),
    [
        (BERLIN, datetime(2026, 10, 24, 12, tzinfo=UTC)),
        (LOS_ANGELES, datetime(2026, 10, 31, 12, tzinfo=UTC)),
        (SYDNEY, datetime(2026, 4, 4, 0, tzinfo=UTC)),
    ],
)
def test_a_check_in_time_the_clocks_show_twice_is_due_from_the_first_for_real_hours(
    zone: ZoneInfo, saturday_noon_utc: datetime
) -> None:
    at = "01:30" if zone is LOS_ANGELES else "02:30"  # the hour shown twice
    settings = NotifySettings(check_in_day="sunday", check_in_time=at, catch_up_hours=1)
    due = _due_moments(settings, zone, saturday_noon_utc)
    assert len(due) == 4  # one real hour, every quarter
    first, last = due[0], due[-1]
    # (aware moments in one zone subtract by the wall clock, so the real gap is taken in UTC)
    assert first.strftime("%H:%M") == at
    assert last.astimezone(UTC) - first.astimezone(UTC) == timedelta(minutes=45)
    assert first.utcoffset() != last.utcoffset()  # the window runs across the switch


def test_catch_up_hours_are_real_hours_across_the_switch() -> None:
    # 01:00 on the EU spring day with three hours of catch-up: due until 05:00 summer time.
    settings = NotifySettings(check_in_day="sunday", check_in_time="01:00", catch_up_hours=3)
    due = _due_moments(settings, BERLIN, datetime(2027, 3, 27, 12, tzinfo=UTC))
    assert len(due) == 12
    assert due[-1].isoformat() == "2027-03-28T04:45:00+02:00"
    # A Saturday 17:00 digest before the EU autumn night: twelve real hours end at 04:00 winter
    # time on Sunday (the wall clock, counting the repeated hour once, would say 05:00).
    digest = NotifySettings(digest_day="saturday", digest_time="17:00", catch_up_hours=12)
    assert digest_week(datetime(2026, 10, 25, 2, 59, tzinfo=UTC), digest, BERLIN) == "2026-W43"
    assert digest_week(datetime(2026, 10, 25, 3, 0, tzinfo=UTC), digest, BERLIN) is None


def test_the_check_in_and_digest_of_iso_week_53() -> None:
    settings = NotifySettings(digest_day="sunday", digest_time="23:00", catch_up_hours=5)
    # Monday 2026-12-28 09:00 in Berlin opens week 53; Sunday 2027-01-03 23:00 closes it.
    assert check_in_week(datetime(2026, 12, 28, 8, 0, tzinfo=UTC), settings, BERLIN) == "2026-W53"
    assert digest_week(datetime(2027, 1, 4, 1, 0, tzinfo=UTC), settings, BERLIN) == "2026-W53"
    assert check_in_week(datetime(2027, 1, 4, 8, 0, tzinfo=UTC), settings, BERLIN) == "2027-W01"


@pytest.mark.parametrize(
    ("spring", "first_run_utc"),
    [
        (True, datetime(2027, 3, 27, 23, 0, tzinfo=UTC)),
        (False, datetime(2026, 10, 24, 23, 0, tzinfo=UTC)),
    ],
)
def test_a_berlin_team_is_reminded_once_on_the_switch_day(
    engine: Engine, config: AppConfig, team_zone: None, spring: bool, first_run_utc: datetime
) -> None:
    clock.use_time_zone("Europe/Berlin")
    notify = config.settings.notify.model_copy(
        update={"check_in_day": "sunday", "check_in_time": "02:30", "catch_up_hours": 1}
    )
    sunday = config.model_copy(
        update={"settings": config.settings.model_copy(update={"notify": notify})}
    )
    team = seed_team(engine)
    add_owed_initiative(engine, team)
    # The server runs every 15 minutes through the night of the switch.
    for quarter in range(4 * 5):
        moment = first_run_utc + timedelta(minutes=15 * quarter)
        with Session(engine) as session:
            planned = plan_due(session=session, config=sunday, now=moment, secrets=UNREACHED)
        enqueue(engine=engine, messages=planned, now=moment)
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage)).all()
    assert [(r.person_id, r.kind) for r in rows] == [(team.ana.id, "reminder")]
    created = rows[0].created_at
    created = created if created.tzinfo else created.replace(tzinfo=UTC)
    expected = "03:30+02:00" if spring else "02:30+02:00"
    assert created.astimezone(BERLIN).isoformat()[11:] == f"{expected[:5]}:00{expected[5:]}"


# --- days as the team counts them -----------------------------------------------------------------


def test_an_evening_update_in_los_angeles_is_that_days_not_the_next(team_zone: None) -> None:
    clock.use_time_zone("America/Los_Angeles")
    # Thursday 18 March 2027, 18:00 PDT: already Friday 01:00 in UTC.
    evening = datetime(2027, 3, 19, 1, 0, tzinfo=UTC)
    assert days_since(evening, date(2027, 3, 18)) == 0  # not "-1 days ago"
    assert ago(0, evening) == "0 days ago (18 Mar)"
    # Owed again a week later, on the next Thursday.
    assert is_owed(days_since(evening, date(2027, 3, 25)), 7)
    assert not is_owed(days_since(evening, date(2027, 3, 24)), 7)


def test_a_morning_update_in_sydney_is_that_days_not_the_one_before(team_zone: None) -> None:
    clock.use_time_zone("Australia/Sydney")
    # Thursday 8 October 2026, 09:00 AEDT: still Wednesday in UTC.
    morning = datetime(2026, 10, 7, 22, 0, tzinfo=UTC)
    assert ago(days_since(morning, date(2026, 10, 9)), morning) == "1 day ago (08 Oct)"
    assert not is_owed(days_since(morning, date(2026, 10, 14)), 7)  # owed on Thursday, not before


def test_the_digest_counts_a_sunday_evening_update_in_its_week(
    engine: Engine, config: AppConfig, team_zone: None
) -> None:
    clock.use_time_zone("America/Los_Angeles")
    team = seed_team(engine)
    created = datetime(2026, 9, 1, 16, 0, tzinfo=UTC)
    quiet = add_initiative(
        engine,
        title="Quiet project",
        owner_id=team.ben.id,
        status="in_progress",
        created_at=created,
        updated_at=created,
    )
    # Sunday 25 October 2026 (the last day of 2026-W43), 18:00 PDT: Monday 01:00 UTC.
    with session_scope(engine) as session:
        session.add(
            StatusUpdate(
                initiative_id=quiet,
                status=InitiativeStatus.in_progress,
                health="on_track",  # type: ignore[arg-type]
                percent_complete=50,
                note="still going",
                author_id=team.ben.id,
                created_at=datetime(2026, 10, 26, 1, 0, tzinfo=UTC),
            )
        )
    with Session(read_engine(engine)) as session:
        digest = build_digest(
            session=session, config=config, week="2026-W43", today=date(2026, 10, 28)
        )
    assert [s.initiative for s in digest.stale] == []


# --- times readers see ----------------------------------------------------------------------------


def test_status_updates_and_the_audit_trail_show_the_teams_time_through_the_repeated_hour(
    engine: Engine, team_zone: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.use_time_zone("Europe/Berlin")
    team = seed_team(engine)
    initiative = add_owed_initiative(engine, team)
    # 02:30 comes twice on 25 October 2026 in Berlin: once in summer time, once in winter time.
    for moment in ("2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00"):
        monkeypatch.setenv(clock.TODAY_ENV, moment)
        clock.pin(None)  # the moment starts the clock afresh
        with session_scope(engine) as session:
            post_status_update(
                session=session,
                actor=team.ana,
                initiative_id=initiative,
                update=NewStatusUpdate("in_progress", "on_track", 40, "moving"),
            )
    with Session(read_engine(engine)) as session:
        detail = initiative_detail(session=session, initiative_id=initiative)
        listed = list_initiatives(session=session)
    assert detail is not None
    shown = sorted(f"{at:%H:%M%z}" for at in detail.updates["at"])
    assert shown == ["02:30+0100", "02:30+0200"]
    trail = {f"{at:%H:%M%z}" for at in detail.audit["at"]}
    assert {"02:30+0100", "02:30+0200"} <= trail
    last = listed.loc[listed["id"] == initiative, "last_update_at"].iloc[0]
    assert f"{last:%Y-%m-%d %H:%M%z}" == "2026-10-25 02:30+0100"


def test_the_api_writes_moments_with_their_offset_on_the_spring_night(
    engine: Engine, config: AppConfig, team_zone: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.use_time_zone("Europe/Berlin")
    # 01:59 in Berlin, a minute before the clocks jump to 03:00.
    monkeypatch.setenv(clock.TODAY_ENV, "2027-03-28T01:59:00+01:00")
    writer = new_token(engine, [WRITE_OBSERVATIONS], name="nightly-etl")
    with client_for(engine, config, today=clock.today) as client:
        posted = client.post(OBSERVATIONS, json=API_ROWS, headers=bearer(writer))
        assert posted.status_code == 200, posted.text
        health = client.get("/api/v1/health").json()
    stamp = datetime.fromisoformat(health["last_import_at"])
    assert stamp.utcoffset() is not None  # never a naive moment
    assert stamp.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M%z") == "2027-03-28 01:59+0100"


# --- metric days ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "hours", "last_counted"),
    [
        # 24 hours after a day ends is still midnight the next night, on a 23- or 25-hour day.
        ("2027-03-28T23:59:00+02:00", 24, date(2027, 3, 26)),
        ("2027-03-29T00:00:00+02:00", 24, date(2027, 3, 27)),
        ("2026-10-25T23:59:00+01:00", 24, date(2026, 10, 23)),
        ("2026-10-26T00:00:00+01:00", 24, date(2026, 10, 24)),
        # Two hours after midnight, the clocks read 03:00 in spring and 02:00 (first) in autumn.
        ("2027-03-28T01:59:00+01:00", 2, date(2027, 3, 26)),
        ("2027-03-28T03:00:00+02:00", 2, date(2027, 3, 27)),
        ("2026-10-25T01:59:00+02:00", 2, date(2026, 10, 23)),
        ("2026-10-25T02:00:00+02:00", 2, date(2026, 10, 24)),
        ("2026-10-25T02:30:00+01:00", 2, date(2026, 10, 24)),  # the repeated hour, second time
    ],
)
def test_a_day_counts_after_its_cut_off_across_the_switch(
    team_zone: None, monkeypatch: pytest.MonkeyPatch, moment: str, hours: int, last_counted: date
) -> None:
    clock.use_time_zone("Europe/Berlin")
    monkeypatch.setenv(clock.TODAY_ENV, moment)
    assert last_cut_off_day(hours) == last_counted


# --- Shopify orders -------------------------------------------------------------------------------

# Four orders of the fixture moved to the EU autumn night, with the offsets Shopify writes.
SWITCH_NIGHT = {
    "2026-11-24 09:15:02 -0500": "2026-10-25 02:30:00 +0200",  # the first 02:30
    "2026-11-24 20:40:00 -0500": "2026-10-25 02:30:00 +0100",  # the second 02:30
    "2026-11-25 14:30:00 -0500": "2026-10-24 23:59:59 +0200",
    "2026-11-26 08:05:00 -0500": "2026-10-26 00:00:00 +0100",
}


@pytest.mark.parametrize(
    ("zone", "orders_by_day"),
    [
        ("Europe/Berlin", {"2026-10-24": 1, "2026-10-25": 2, "2026-10-26": 1}),
        # 17:30 and 18:30 on Saturday in Los Angeles; the last one is Sunday 16:00 there.
        ("America/Los_Angeles", {"2026-10-24": 3, "2026-10-25": 1}),
        # Already summer time in Sydney: late morning on Sunday 25 October.
        ("Australia/Sydney", {"2026-10-25": 3, "2026-10-26": 1}),
    ],
)
def test_shopify_orders_on_the_switch_night_fall_on_the_teams_day(
    config: AppConfig, zone: str, orders_by_day: dict[str, int]
) -> None:
    converted = parse_shopify_orders(data=edited(**SWITCH_NIGHT), config=shop_config(config, zone))
    assert converted.problems == []
    counted = {
        day: n
        for (day, measure, _where), n in values(converted.table).items()
        if measure == "orders"
    }
    assert counted == orders_by_day
    # Both 02:30 orders are on 25 October in Berlin, not one of them moved to another day.
    assert (len(converted.notes) == 1) == (zone == "Europe/Berlin")


# --- scheduled data sources -----------------------------------------------------------------------


def _fire_times(cron: str, zone: ZoneInfo, start: datetime, until: datetime) -> list[str]:
    """When a source on this cron schedule runs between two moments, in the team's time."""
    trigger = OnceCronTrigger.from_crontab(cron, timezone=zone)
    fired: list[str] = []
    previous, now = None, start
    while (fire := trigger.get_next_fire_time(previous, now)) is not None and fire < until:
        fired.append(fire.astimezone(UTC).astimezone(zone).strftime("%m-%d %H:%M%z"))
        previous, now = fire, (fire.astimezone(UTC) + timedelta(seconds=1)).astimezone(zone)
    return fired


@pytest.mark.parametrize(
    ("zone", "cron", "saturday", "expected"),
    [
        (BERLIN, "30 2 * * *", datetime(2026, 10, 24, 12, tzinfo=UTC), ["10-25 02:30+0200"]),
        (LOS_ANGELES, "30 1 * * *", datetime(2026, 10, 31, 20, tzinfo=UTC), ["11-01 01:30-0700"]),
        (SYDNEY, "30 2 * * *", datetime(2026, 4, 4, 2, tzinfo=UTC), ["04-05 02:30+1100"]),
        # Spring: 02:30 does not exist; it runs once, at 03:30 summer time.
        (BERLIN, "30 2 * * *", datetime(2027, 3, 27, 12, tzinfo=UTC), ["03-28 03:30+0200"]),
    ],
)
def test_a_nightly_source_in_the_switch_hour_runs_once(
    zone: ZoneInfo, cron: str, saturday: datetime, expected: list[str]
) -> None:
    assert _fire_times(cron, zone, saturday, saturday + timedelta(hours=24)) == expected


def test_a_half_hourly_source_runs_on_through_the_repeated_hour() -> None:
    night = datetime(2026, 10, 24, 23, 30, tzinfo=UTC)  # 01:30 summer time
    assert _fire_times("*/30 * * * *", BERLIN, night, night + timedelta(hours=2)) == [
        "10-25 01:30+0200",
        "10-25 02:00+0200",
        "10-25 02:30+0200",
        "10-25 02:00+0100",
    ]


# --- sign-in --------------------------------------------------------------------------------------


def test_a_sign_in_code_lasts_its_minute_across_the_spring_jump(
    engine: Engine, config: AppConfig, team_zone: None
) -> None:
    clock.use_time_zone("Europe/Berlin")
    team = seed_team(engine)
    settings = config.settings.auth
    with session_scope(engine) as session:
        set_password(
            session=session,
            actor=None,
            person_id=team.ana.id,
            password="a long enough password 42",
            settings=settings,
        )
    issued = datetime.fromisoformat("2027-03-28T01:59:30+01:00")  # 30 s before 03:00 summer time
    codes = []
    for _ in range(2):
        with session_scope(engine) as session:
            outcome = attempt_sign_in(
                session=session,
                email=team.ana.email,
                password="a long enough password 42",
                settings=settings,
                now=issued,
            )
        codes.append(outcome.code or "")
    late = datetime.fromisoformat("2027-03-28T03:00:31+02:00")  # 61 real seconds later
    in_time = datetime.fromisoformat("2027-03-28T03:00:20+02:00")  # 50 real seconds later
    with session_scope(engine) as session:
        assert start_session(session=session, code=codes[0], settings=settings, now=in_time)
        assert start_session(session=session, code=codes[1], settings=settings, now=late) is None


# --- key results ----------------------------------------------------------------------------------


def test_a_manual_check_in_is_drawn_on_the_teams_day(
    engine: Engine, config: AppConfig, team_zone: None
) -> None:
    clock.use_time_zone("America/Los_Angeles")
    team = make_team(engine)
    with session_scope(engine) as session:
        objective = Objective(period="2026-Q4", title="Content", owner_id=team.priya.id)
        session.add(objective)
        session.flush()
        kr = KeyResult(
            objective_id=objective.id,
            title="QA defects",
            owner_id=team.priya.id,
            kind=KrKind.manual,
            direction=Direction.decrease,
            start_value=6.0,
            target_value=2.0,
        )
        session.add(kr)
        session.flush()
        # Monday 5 October 2026, 19:00 in Los Angeles: Tuesday 02:00 in UTC.
        session.add(
            CheckIn(
                key_result_id=kr.id,
                confidence=6,
                note="Weekly check-in.",
                value=5.0,
                author_id=team.priya.id,
                created_at=datetime(2026, 10, 6, 2, 0, tzinfo=UTC),
            )
        )
    as_of = date(2026, 10, 10)
    with Session(read_engine(engine)) as session:
        evaluation = evaluate_period(session=session, config=config, period="2026-Q4", as_of=as_of)
        [shown] = [k for k in evaluation.key_results() if k.title == "QA defects"]
        track = kr_track(
            session=session, config=config, evaluation=shown, period="2026-Q4", as_of=as_of
        )
    drawn = track.path.dropna(subset=["actual"])
    assert list(drawn["day"]) == [date(2026, 10, 5)]


def test_an_idea_accepted_on_a_sydney_morning_shows_its_outcome_for_the_full_fortnight(
    engine: Engine, team_zone: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.use_time_zone("Australia/Sydney")
    team = seed_team(engine)
    idea = add_initiative(engine, title="Gift wrap", owner_id=team.ana.id, status="idea")
    # Thursday 8 October 2026, 09:00 in Sydney: still 7 October in UTC.
    monkeypatch.setenv(clock.TODAY_ENV, "2026-10-08T09:00:00+11:00")
    with session_scope(engine) as session:
        accept_idea(session=session, actor=team.director, initiative_id=idea, expected_version=1)
    with Session(engine) as session:
        last_day = idea_outcomes(
            session=session, person_id=team.ana.id, today=date(2026, 10, 22), days=14
        )
        after = idea_outcomes(
            session=session, person_id=team.ana.id, today=date(2026, 10, 23), days=14
        )
    assert [o.title for o in last_day] == ["Gift wrap"] and after == []


def test_the_digest_says_which_0230_it_was_generated_at(
    engine: Engine, config: AppConfig, team_zone: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.use_time_zone("Europe/Berlin")
    seed_team(engine)
    shown = []
    for moment in ("2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00"):
        monkeypatch.setenv(clock.TODAY_ENV, moment)
        clock.pin(None)
        with Session(read_engine(engine)) as session:
            digest = build_digest(
                session=session, config=config, week="2026-W42", today=clock.today()
            )
        shown.append(digest_markdown(digest))
    assert "on 25 Oct 2026 at 02:30 CEST." in shown[0]
    assert "on 25 Oct 2026 at 02:30 CET." in shown[1]
