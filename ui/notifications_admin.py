"""Admin's "Notifications" tab: which channels this server has (names only, never their URLs),
the outbox (what went out, what waits for a retry, what was skipped and why), each person's
preferences, and a preview of what one person would receive this week. Directors only (the
Admin page checks; the domain refuses anyone else anyway)."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import streamlit as st
from sqlmodel import Session

from planning import clock
from planning.access.people import list_people
from planning.access.permissions import PermissionDenied
from planning.notify.outbox import outbox_rows
from planning.notify.preferences import all_preferences, set_preference
from planning.notify.run import preview_for
from planning.notify.schedule import Preference
from planning.notify.secrets import CHANNEL_LABELS, CHANNELS, load_secrets
from planning.store.engine import read_engine, session_scope
from planning.store.models import PersonRead
from planning.validation import InputError
from ui.state import Versions, app_config, clear_after_write, engine
from ui.text import escape_markdown, moment_text, refusal_message

FLASH = "admin_notify_flash"
STATUS_LABELS = {
    "pending": "waiting",
    "sending": "sending",
    "sent": "sent",
    "failed": "failed",
    "skipped": "skipped",
}


def notifications_tab(person: PersonRead, versions: Versions) -> None:
    """The tab's content: channels, the outbox, preferences and a per-person preview."""
    del versions  # the outbox changes without a data version: read it on every run
    st.subheader("Notifications")
    config = app_config()
    notify = config.settings.notify
    secrets = load_secrets()
    channels = ", ".join(CHANNEL_LABELS[c] for c in secrets.configured()) or "none yet"
    st.caption(
        f"Reminders go out on {notify.check_in_day.title()}s at {notify.check_in_time}, the "
        f"digest and roadmap summaries on {notify.digest_day.title()}s at {notify.digest_time} "
        f"({config.settings.time_zone}). Channels set up on this server: {channels}. Channel "
        "addresses live in the server's secrets, never here. `python -m planning notify` sends "
        "what is due."
    )
    flash = st.session_state.pop(FLASH, None)
    if flash:
        st.success(flash)
    with Session(read_engine(engine())) as session:
        people = list_people(session=session)
        preferences = all_preferences(session=session)
        rows = outbox_rows(session=session, limit=300)
    names = {p.id: p.name for p in people}

    st.markdown("**Outbox** (newest first)")
    if not rows:
        st.info("Nothing has been planned yet.")
    else:
        st.dataframe(
            pa.Table.from_pylist(
                [
                    {
                        "planned (UTC)": moment_text(r.created_at),
                        "kind": r.kind,
                        "week": r.week,
                        "to": names.get(r.person_id, f"#{r.person_id}"),
                        "channel": r.channel,
                        "state": STATUS_LABELS.get(r.status, r.status),
                        "attempts": r.attempts,
                        "sent (UTC)": moment_text(r.sent_at),
                        "next try (UTC)": moment_text(r.next_attempt_at)
                        if r.status == "pending"
                        else "",
                        "outcome": r.outcome,
                        "subject": r.subject,
                    }
                    for r in rows
                ]
            ),
            hide_index=True,
            width="stretch",
        )

    st.markdown("**Preferences**")
    st.dataframe(
        pa.Table.from_pylist(
            [
                {
                    "person": p.name,
                    "role": p.role.value,
                    "channel": preferences.get(p.id, Preference()).channel,
                    "paused until": str(preferences.get(p.id, Preference()).paused_until or ""),
                    "opted out": preferences.get(p.id, Preference()).opted_out,
                    "roadmap summary": preferences.get(p.id, Preference()).roadmap_summary,
                }
                for p in people
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    if not people:
        return
    chosen = st.selectbox(
        "Person",
        [p.id for p in people],
        format_func=lambda i: names[i],
        key="admin_notify_person",
    )
    current = preferences.get(chosen, Preference())
    with st.form(f"admin_notify_pref_{chosen}"):
        cols = st.columns(4)
        channel = cols[0].selectbox(
            "Channel",
            list(CHANNELS),
            index=list(CHANNELS).index(current.channel) if current.channel in CHANNELS else 0,
            format_func=CHANNEL_LABELS.__getitem__,
        )
        paused: date | None = cols[1].date_input(
            "Paused until", value=current.paused_until, min_value=clock.today()
        )
        opted_out = cols[2].checkbox("Opted out", value=current.opted_out)
        roadmap = cols[3].checkbox("Roadmap summary", value=current.roadmap_summary)
        save = st.form_submit_button("Save preferences")
    if save:
        try:
            with session_scope(engine()) as session:
                set_preference(
                    session=session,
                    actor=person,
                    person_id=chosen,
                    channel=channel,
                    paused_until=paused,
                    opted_out=opted_out,
                    roadmap_summary=roadmap,
                )
        except (InputError, PermissionDenied) as exc:
            st.error(refusal_message(exc))
        else:
            st.session_state[FLASH] = f"Saved {names[chosen]}'s notification preferences."
            clear_after_write()
            st.rerun()

    st.markdown(f"**What {escape_markdown(names[chosen])} would receive this week**")
    with Session(read_engine(engine())) as session:
        messages = preview_for(
            session=session,
            config=config,
            person_id=chosen,
            now=clock.utcnow(),
            secrets=secrets,
        )
    if not messages:
        st.caption("Nothing: they owe nothing this week and have no digest or summary to read.")
    for message in messages:
        state = f" (skipped: {message.skipped})" if message.skipped else ""
        st.markdown(f"*{escape_markdown(message.kind)} by {message.channel}{state}*")
        st.text(f"Subject: {message.subject}\n\n{message.body_text}")
