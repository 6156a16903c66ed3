"""What is due now, and sending it: the one entry point a scheduler or the command line calls.

`plan_due` reads the store and applies planning.notify.schedule's rules to the moment; it writes
nothing. `run_due_notifications(engine, config)` adds the due messages to the outbox (each once)
and sends every pending one whose time has come; any number of processes may call it at once.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from planning import clock, i18n
from planning.access.languages import all_languages, language_of
from planning.access.share_links import create_share_link, share_url
from planning.config import AppConfig
from planning.formatting import format_day
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.notify import compose
from planning.notify.channels import Delivery, deliver
from planning.notify.links import LinkError, form_url, sign
from planning.notify.outbox import (
    FAILED,
    PENDING,
    SENT,
    Planned,
    Result,
    claim,
    enqueue,
    existing_keys,
    record_results,
    reminded_weeks,
)
from planning.notify.preferences import all_preferences
from planning.notify.schedule import (
    DIGEST,
    ESCALATION,
    HISTORY_WEEKS,
    REMINDER,
    ROADMAP,
    OwedItem,
    Preference,
    check_in_week,
    dedupe_key,
    digest_week,
    escalations,
    owed_items,
    skip_reason,
)
from planning.notify.secrets import NotifySecrets, load_secrets
from planning.notify.smtp import send_emails
from planning.periods import iso_week, week_bounds
from planning.reports.digest import DigestError, build_digest
from planning.reports.this_week import Owed, what_everyone_owes
from planning.store.engine import session_scope
from planning.store.models import Person, Role
from planning.store.models_notify import OutboxMessage
from planning.work.roadmap import RoadmapFilters, RoadmapSummary, roadmap_items, summarise

# A roadmap summary's share link is made at sending and put in its place: a share token is shown
# once and stored only as a digest (planning.access.share_links), never in an outbox row. The
# placeholder is written in the recipient's language; sending looks for it in every language.
SHARE_PLACEHOLDER = N_("(a share link to the roadmap, made when the message is sent)")
SEND_THREADS = 8
RECORD_BATCH = 25
EMAIL = "email"


@dataclass(frozen=True)
class RunSummary:
    """What one run did: messages added to the outbox, and sends that went and failed."""

    planned: int = 0
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    outcomes: tuple[str, ...] = field(default=())


def recipient_language(*, session: Session, person_id: int) -> str:
    """The language a person's messages are written in: their own choice, else the team's."""
    return language_of(session=session, person_id=person_id) or i18n.team_language()


def _share_placeholders() -> set[str]:
    """The share link's placeholder in every language a message may be written in."""
    return {i18n.translations(code).gettext(SHARE_PLACEHOLDER) for code in i18n.LANGUAGES}


def _week_of(now: datetime) -> str:
    return iso_week(now.astimezone(clock.time_zone()).date())


def _channel_and_skip(
    preference: Preference, today: date, secrets: NotifySecrets
) -> tuple[str, str | None]:
    reason = skip_reason(preference, today)
    if reason is None and preference.channel not in secrets.urls:
        reason = f"no {preference.channel} channel is set up on this server"
    return preference.channel, reason


def _link(
    *, secrets: NotifySecrets, config: AppConfig, person_id: int, item: str, now: datetime
) -> str:
    base = config.settings.notify.base_url
    try:
        token = sign(
            secret=secrets.link_secret,
            person_id=person_id,
            item=item,
            expires_at=now + timedelta(days=config.settings.notify.link_valid_days),
        )
    except LinkError:  # no link secret: the link opens This week without picking a form
        return base.rstrip("/") + "/"
    return form_url(base_url=base, token=token)


def plan_due(
    *,
    session: Session,
    config: AppConfig,
    now: datetime,
    secrets: NotifySecrets,
    preview: bool = False,
) -> list[Planned]:
    """Every message due at `now` that the outbox does not hold yet; writes nothing.

    `preview` plans this week's messages whatever the time and whatever the outbox holds: what
    each person would receive (Admin's preview)."""
    settings = config.settings
    zone = clock.time_zone()
    today = now.astimezone(zone).date()
    people = list(
        session.exec(select(Person).where(Person.active == True).order_by(col(Person.id))).all()  # noqa: E712
    )
    preferences = all_preferences(session=session)
    chosen = all_languages(session=session)
    directors = [p for p in people if p.role == Role.director]
    base = settings.notify.base_url.rstrip("/") + "/"
    company = settings.company
    planned: list[Planned] = []

    def words_of(person: Person) -> str:
        """The language `person`'s messages are written in (their choice, else the team's)."""
        return chosen.get(int(person.id or 0)) or i18n.team_language()

    def in_language(code: str) -> AbstractContextManager[None]:
        """Words in `code`, numbers and dates in the team's formats, whoever runs this."""
        return i18n.use_locale(code, formats=i18n.team_locale())

    def taken(keys: Sequence[str]) -> set[str]:
        return set() if preview else existing_keys(session=session, keys=list(keys))

    def message(
        key: str,
        person: Person,
        kind: str,
        week: str,
        content: compose.Content,
        item: str = "",
        items: Sequence[str] = (),
    ) -> Planned:
        """One message to a person, on their channel, or skipped with the reason."""
        assert person.id is not None
        preference = preferences.get(person.id, Preference())
        channel, skipped = _channel_and_skip(preference, today, secrets)
        return Planned(
            dedupe_key=key,
            person_id=person.id,
            kind=kind,
            week=week,
            item=item,
            channel=channel,
            subject=content.subject,
            body_text=content.text,
            body_html=content.html,
            body_markdown=content.markdown,
            items=tuple(items),
            skipped=skipped,
        )

    this_week = _week_of(now)
    week = this_week if preview else check_in_week(now, settings.notify, zone)
    if week is not None:
        history_from = _week_of(
            datetime.combine(week_bounds(week)[0], datetime.min.time(), tzinfo=zone)
            - timedelta(weeks=HISTORY_WEEKS)
        )
        owing: list[tuple[Person, list[OwedItem]]] = []
        owed_by = what_everyone_owes(
            session=session,
            today=today,
            every_days=config.settings.updates.stale_after_days,
            fiscal_start_month=config.settings.fiscal_year_start_month,
        )
        for person in people:
            if person.role == Role.stakeholder or person.id is None:
                continue
            items = owed_items(owed_by.get(person.id, Owed(updates=(), check_ins=())))
            if items:
                owing.append((person, items))
        reminder_keys = {
            person.id: dedupe_key(person_id=int(person.id or 0), kind=REMINDER, week=week)
            for person, _items in owing
        }
        already = taken(list(reminder_keys.values()))
        for person, items in owing:
            assert person.id is not None
            key = reminder_keys[person.id]
            if key in already:
                continue
            links = [
                (
                    item,
                    _link(
                        secrets=secrets, config=config, person_id=person.id, item=item.key, now=now
                    ),
                )
                for item in items
            ]
            with in_language(words_of(person)):
                content = compose.reminder(
                    name=person.name, week=week, company=company, items=links
                )
            planned.append(
                message(key, person, REMINDER, week, content, items=[i.key for i in items])
            )
        candidates: list[tuple[str, Person, Person, OwedItem, str]] = []
        for person, items in owing:
            assert person.id is not None
            history = reminded_weeks(session=session, person_id=person.id, since_week=history_from)
            for item, since in escalations(items, history, week):
                for director in directors:
                    if director.id == person.id or director.id is None:
                        continue
                    key = dedupe_key(
                        person_id=director.id, kind=ESCALATION, week=since, item=item.key
                    )
                    candidates.append((key, director, person, item, since))
        already = taken([c[0] for c in candidates])
        for key, director, person, item, since in candidates:
            if key in already:
                continue
            with in_language(words_of(director)):
                content = compose.escalation(
                    owner=person.name,
                    item=item,
                    since_week=since,
                    week=week,
                    company=company,
                    url=base,
                )
            planned.append(message(key, director, ESCALATION, since, content, item=item.key))

    week = this_week if preview else digest_week(now, settings.notify, zone)
    if week is not None:
        keys = {
            d.id: dedupe_key(person_id=int(d.id or 0), kind=DIGEST, week=week) for d in directors
        }
        already = taken(list(keys.values()))
        wanted = [d for d in directors if keys[d.id] not in already]
        # The digest is built once per language its readers read (its notes are words too).
        digests: dict[str, compose.Content | None] = {}
        for director in wanted:
            code = words_of(director)
            if code not in digests:
                with in_language(code):
                    try:
                        weekly = build_digest(
                            session=session, config=config, week=week, today=today
                        )
                    except DigestError:
                        digests[code] = None
                    else:
                        digests[code] = compose.digest(weekly=weekly, url=base)
            built = digests[code]
            if built is not None:
                planned.append(message(keys[director.id], director, DIGEST, week, built))
        readers = [
            p
            for p in people
            if p.role == Role.stakeholder
            and p.id is not None
            and preferences.get(p.id, Preference()).roadmap_summary
        ]
        keys = {
            p.id: dedupe_key(person_id=int(p.id or 0), kind=ROADMAP, week=week) for p in readers
        }
        already = taken(list(keys.values()))
        readers = [p for p in readers if keys[p.id] not in already]
        if readers:
            roadmap_now = _roadmap_items(session=session, config=config, today=today)
            for reader in readers:
                with in_language(words_of(reader)):
                    # The share link is made when the message is sent: its token is never stored.
                    # A preview is never sent, so it shows where the link will be, not a link.
                    content = compose.roadmap(
                        name=reader.name,
                        week=week,
                        company=company,
                        url=_(SHARE_PLACEHOLDER),
                        linked=not preview,
                        **_roadmap_lines(roadmap_now, week=week),
                    )
                planned.append(message(keys[reader.id], reader, ROADMAP, week, content))
    return planned


def _roadmap_items(*, session: Session, config: AppConfig, today: date) -> RoadmapSummary:
    """The roadmap as it stands today, summarised (read once for every reader)."""
    items = roadmap_items(
        session=session,
        filters=RoadmapFilters(),
        today=today,
        fiscal_start_month=config.settings.fiscal_year_start_month,
    )
    return summarise(items, today=today, recent_days=6)


def _roadmap_lines(summary: RoadmapSummary, *, week: str) -> dict[str, list[compose.RoadmapLine]]:
    """A roadmap summary's lines, their words in this run's language and dates in its formats."""
    monday, sunday = week_bounds(week)

    def lines(frame: pd.DataFrame, when_column: str, word: str) -> list[compose.RoadmapLine]:
        found = []
        for row in frame.to_dict("records"):
            when = row.get(when_column)
            text = word.format(day=format_day(when)) if isinstance(when, date) else _("no date yet")
            found.append(
                compose.RoadmapLine(title=str(row["title"]), owner=str(row["owner"]), when=text)
            )
        return found

    shipped = summary.shipped_recently
    if not shipped.empty:
        shipped = shipped[(shipped["shipped_date"] >= monday) & (shipped["shipped_date"] <= sunday)]
    return {
        "shipped": lines(shipped, "shipped_date", _("shipped {day}")),
        "now": lines(summary.now, "target_date", _("target {day}")),
        "coming": lines(summary.coming_next, "start_date", _("starts {day}")),
    }


def _with_share_link(*, engine: Engine, config: AppConfig, row: OutboxMessage) -> OutboxMessage:
    """A roadmap summary with a fresh share link in its placeholder's place (in memory only),
    made on behalf of the first active director; the Roadmap page's address when there is none."""
    placeholders = [p for p in _share_placeholders() if p in row.body_text]
    if row.kind != ROADMAP or not placeholders:
        return row
    base = config.settings.notify.base_url.rstrip("/") + "/"
    with session_scope(engine) as session:
        director = session.exec(
            select(Person)
            .where(Person.role == Role.director, Person.active == True)  # noqa: E712
            .order_by(col(Person.id))
        ).first()
        name = session.get(Person, row.person_id)
        url = base + "roadmap"
        if director is not None:
            link = create_share_link(
                session=session,
                actor=director,
                label=f"Roadmap summary for {name.name if name else row.person_id} ({row.week})"[
                    :120
                ],
                valid_days=config.settings.notify.link_valid_days,
            )
            url = share_url(base_url=base, token=link.token)
    copy = row.model_copy()
    for placeholder in placeholders:
        copy.body_text = copy.body_text.replace(placeholder, url)
        copy.body_html = copy.body_html.replace(html.escape(placeholder), html.escape(url))
        copy.body_markdown = copy.body_markdown.replace(placeholder, url)
    return copy


def send_due(
    *,
    engine: Engine,
    config: AppConfig,
    secrets: NotifySecrets,
    now: datetime | None = None,
    threads: int = SEND_THREADS,
) -> RunSummary:
    """Claim the outbox rows due now and send them, a few at a time; record each outcome."""
    settings = config.settings.notify
    moment = now or clock.utcnow()
    token, rows = claim(engine=engine, settings=settings, now=moment)
    if not rows:
        return RunSummary()
    with Session(engine) as session:
        ids = sorted({r.person_id for r in rows})
        emails = {
            int(person_id or 0): str(address or "")
            for person_id, address in session.exec(
                select(Person.id, Person.email).where(col(Person.id).in_(ids))
            ).all()
        }
    rows = [_with_share_link(engine=engine, config=config, row=row) for row in rows]
    timeout = settings.send_timeout_seconds

    def chat(row: OutboxMessage) -> Delivery:
        return deliver(message=row, email="", secrets=secrets, timeout=timeout)

    counts: Counter[str] = Counter()
    outcomes = []
    batch: list[Result] = []

    def flush() -> None:
        statuses = record_results(
            engine=engine, token=token, results=batch, now=clock.utcnow(), settings=settings
        )
        counts.update(statuses)
        batch.clear()

    def done(row: OutboxMessage, delivery: Delivery) -> None:
        batch.append(
            Result(
                message=row, ok=delivery.ok, outcome=delivery.outcome, permanent=delivery.permanent
            )
        )
        if not delivery.ok:
            outcomes.append(f"{row.dedupe_key}: {delivery.outcome}")
        if len(batch) >= RECORD_BATCH:
            flush()

    # Outcomes are recorded a batch at a time (one transaction each, not one per message); a
    # process that dies before recording leaves its rows claimed, and they are sent again after
    # claim_timeout_minutes: at least once, never lost. Chat messages go a few at a time on
    # threads while the emails go over a few SMTP sessions (planning.notify.smtp).
    mail = [row for row in rows if row.channel == EMAIL]
    others = [row for row in rows if row.channel != EMAIL]
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        pending = [(row, pool.submit(chat, row)) for row in others]
        for row, delivery in send_emails(
            rows=mail, addresses=emails, secrets=secrets, timeout=timeout
        ):
            done(row, delivery)
        for row, future in pending:
            done(row, future.result())
    if batch:
        flush()
    return RunSummary(
        sent=counts[SENT],
        failed=counts[FAILED],
        retrying=counts[PENDING],
        outcomes=tuple(outcomes),
    )


def run_due_notifications(
    engine: Engine,
    config: AppConfig,
    *,
    secrets: NotifySecrets | None = None,
    now: datetime | None = None,
) -> RunSummary:
    """Add what is due now to the outbox (each message once) and send every pending message
    whose time has come: the one function a scheduler calls, from any number of processes."""
    secrets = secrets or load_secrets()
    moment = now or clock.utcnow()
    with Session(engine) as session:
        planned = plan_due(session=session, config=config, now=moment, secrets=secrets)
        session.commit()
    added = enqueue(engine=engine, messages=planned, now=moment)
    result = send_due(engine=engine, config=config, secrets=secrets, now=moment)
    return RunSummary(
        planned=added,
        sent=result.sent,
        failed=result.failed,
        retrying=result.retrying,
        outcomes=result.outcomes,
    )


def preview_for(
    *, session: Session, config: AppConfig, person_id: int, now: datetime, secrets: NotifySecrets
) -> list[Planned]:
    """What one person would receive this week as things stand now (nothing written), in the
    language that person reads, whoever asks."""
    planned = plan_due(session=session, config=config, now=now, secrets=secrets, preview=True)
    return [m for m in planned if m.person_id == person_id]


def pending_due(*, session: Session, now: datetime) -> list[OutboxMessage]:
    """Outbox rows waiting to be sent whose time has come (for the dry run)."""
    return list(
        session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.status == "pending", col(OutboxMessage.next_attempt_at) <= now)
            .order_by(col(OutboxMessage.id))
        ).all()
    )
