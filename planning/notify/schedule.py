"""Who is told what, and when: pure rules over the settings, the moment and what people owe.

- A member (or a director, for what they own) hears on the team's check-in day, from the
  check-in time (settings.yaml `notify.check_in_day` and `check_in_time`, in the team's time zone)
  and for `catch_up_hours` after, what they owe: status updates and check-ins due
  (planning.reports.this_week). Nothing owed, nothing sent.
- Escalation: an item someone was reminded of at the last check-in and still owes at this one
  goes to every director, once for its unbroken run of reminders.
- Each director gets the weekly digest on `digest_day` at `digest_time`; stakeholders who opted in
  get the week's roadmap summary at the same moment.
- A person who paused (until a day) or opted out hears nothing; the message is listed as skipped
  with the reason, so the outbox shows what they would have received.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from planning.config.settings import WEEKDAYS, NotifySettings
from planning.formatting import format_day
from planning.i18n import gettext as _
from planning.notify.secrets import CHANNEL_LABELS
from planning.periods import iso_week, week_bounds
from planning.reports.this_week import Owed

REMINDER = "reminder"
ESCALATION = "escalation"
DIGEST = "digest"
ROADMAP = "roadmap"
KINDS: tuple[str, ...] = (REMINDER, ESCALATION, DIGEST, ROADMAP)

UPDATE = "update"
CHECK_IN = "check_in"
HISTORY_WEEKS = 26  # how far back a run of reminders is followed for escalation


@dataclass(frozen=True)
class OwedItem:
    """One thing a person owes: an initiative's status update or a key result's check-in."""

    key: str  # "update:12" or "check_in:5": the outbox's item and the link's target
    kind: str  # UPDATE or CHECK_IN
    item_id: int
    title: str
    context: str  # the key result's objective, or the initiative's status
    days: int | None  # days since the last one; None: never


@dataclass(frozen=True)
class Preference:
    """How a person wants to be reached (no stored row: these defaults)."""

    channel: str = "email"
    paused_until: date | None = None
    opted_out: bool = False
    roadmap_summary: bool = False


def item_key(kind: str, item_id: int) -> str:
    """The outbox item of an owed update or check-in, e.g. "update:12"."""
    return f"{kind}:{item_id}"


def parse_item_key(key: str) -> tuple[str, int] | None:
    """(kind, id) of an item key, or None when it is not one."""
    kind, _sep, number = key.partition(":")
    if kind not in (UPDATE, CHECK_IN) or not number.isdigit() or len(number) > 12:
        return None
    return kind, int(number)


def owed_items(owed: Owed) -> list[OwedItem]:
    """What a person owes as items: status updates first, then check-ins, longest overdue first."""
    items = [
        OwedItem(
            key=item_key(UPDATE, u.initiative_id),
            kind=UPDATE,
            item_id=u.initiative_id,
            title=u.title,
            context=u.status.replace("_", " "),
            days=u.days_since_update,
        )
        for u in owed.updates
    ]
    items += [
        OwedItem(
            key=item_key(CHECK_IN, c.key_result_id),
            kind=CHECK_IN,
            item_id=c.key_result_id,
            title=c.title,
            context=c.objective,
            days=c.days_since_check_in,
        )
        for c in owed.check_ins
    ]
    return items


def _at(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def occurrence(week: str, day: str, at: str, zone: tzinfo) -> datetime:
    """The moment (in UTC) a weekly event (a weekday and an HH:MM in `zone`) falls on in an ISO
    week. On the day clocks change, a time the clocks skip counts with the offset before the jump
    (02:30 in a skipped 02:00-03:00 is 03:30 after it) and a time they show twice counts once,
    the first time."""
    monday, _sunday = week_bounds(week)
    wall = datetime.combine(monday + timedelta(days=WEEKDAYS.index(day)), _at(at), tzinfo=zone)
    return wall.astimezone(UTC)


def due_week(now: datetime, *, day: str, at: str, catch_up_hours: int, zone: tzinfo) -> str | None:
    """The ISO week whose weekly event is due at `now` (from its moment, for catch_up_hours of
    elapsed time, however the clocks change in between)."""
    local = now.astimezone(zone).date()
    for week in (iso_week(local), iso_week(local - timedelta(days=7))):
        # in UTC, so the window is counted in real hours, not in hours of the wall clock
        start = occurrence(week, day, at, zone)
        if start <= now < start + timedelta(hours=catch_up_hours):
            return week
    return None


def check_in_week(now: datetime, settings: NotifySettings, zone: tzinfo) -> str | None:
    """The week whose check-in reminders are due now, if any."""
    return due_week(
        now,
        day=settings.check_in_day,
        at=settings.check_in_time,
        catch_up_hours=settings.catch_up_hours,
        zone=zone,
    )


def digest_week(now: datetime, settings: NotifySettings, zone: tzinfo) -> str | None:
    """The week whose digest and roadmap summaries are due now, if any."""
    return due_week(
        now,
        day=settings.digest_day,
        at=settings.digest_time,
        catch_up_hours=settings.catch_up_hours,
        zone=zone,
    )


def previous_week(week: str) -> str:
    """The ISO week before `week`."""
    monday, _sunday = week_bounds(week)
    return iso_week(monday - timedelta(days=7))


def streak_start(reminded_weeks: Collection[str], week: str) -> str | None:
    """The first week of the unbroken run of reminders of an item that ends the week before
    `week`; None when it was not reminded then (nothing to escalate)."""
    current = previous_week(week)
    if current not in reminded_weeks:
        return None
    while previous_week(current) in reminded_weeks:
        current = previous_week(current)
    return current


def escalations(
    items: Iterable[OwedItem], reminded: Mapping[str, Collection[str]], week: str
) -> list[tuple[OwedItem, str]]:
    """Items still owed at this week's check-in after a reminder at the last one, each with the
    week its run of reminders began (the escalation's dedupe week, so it goes out once)."""
    found = []
    for item in items:
        start = streak_start(reminded.get(item.key, ()), week)
        if start is not None:
            found.append((item, start))
    return found


def skip_reason(preference: Preference, today: date) -> str | None:
    """Why nothing goes to this person now (opted out, paused), or None."""
    if preference.opted_out:
        return "opted out"
    if preference.paused_until is not None and today < preference.paused_until:
        return f"paused until {preference.paused_until.isoformat()}"
    return None


_PAUSED = re.compile(r"paused until (\d{4}-\d{2}-\d{2})")
_NO_CHANNEL = re.compile(r"no (\S+) channel is set up on this server")


def skip_text(reason: str) -> str:
    """A skip reason (kept in English in the outbox) in the reader's language."""
    if reason == "opted out":
        return _("opted out")
    if found := _PAUSED.fullmatch(reason):
        return _("paused until {day}").format(day=format_day(date.fromisoformat(found[1])))
    if found := _NO_CHANNEL.fullmatch(reason):
        label = _(CHANNEL_LABELS.get(found[1], found[1]))
        return _("no {channel} channel is set up on this server").format(channel=label)
    return reason


def dedupe_key(*, person_id: int, kind: str, week: str, item: str = "") -> str:
    """The one key a message is planned under: person, kind, ISO week and item."""
    return f"{person_id}|{kind}|{week}|{item}"


def retry_delay(attempts: int, settings: NotifySettings) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: doubling from the first delay,
    capped at the longest."""
    seconds = settings.first_retry_seconds * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.max_retry_seconds))
