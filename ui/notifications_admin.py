"""Admin's "Notifications" tab: which channels this server has (names only, never their URLs),
the outbox (what went out, what waits for a retry, what was skipped and why), each person's
preferences, and a preview of what one person would receive this week. Directors only (the
Admin page checks; the domain refuses anyone else anyway)."""

from __future__ import annotations

import pyarrow as pa
import streamlit as st
from sqlmodel import Session

from planning.access.people import list_people
from planning.notify.outbox import outbox_rows
from planning.notify.preferences import all_preferences
from planning.notify.schedule import Preference
from planning.notify.secrets import CHANNEL_LABELS, load_secrets
from planning.store.engine import read_engine
from planning.store.models import PersonRead
from ui.notification_prefs import preference_form, preview
from ui.state import Versions, app_config, engine
from ui.text import moment_text

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
    if notify.enabled:
        every = (
            "every minute"
            if notify.run_every_minutes == 1
            else (f"every {notify.run_every_minutes} minutes")
        )
        sending = f"The server sends what is due by itself, looking {every}."
    else:
        sending = (
            "The server does not send by itself (settings.yaml `notify.enabled`); "
            "`python -m planning notify` sends what is due."
        )
    st.caption(
        f"Reminders go out on {notify.check_in_day.title()}s at {notify.check_in_time}, the "
        f"digest and roadmap summaries on {notify.digest_day.title()}s at {notify.digest_time} "
        f"({config.settings.time_zone}). Channels set up on this server: {channels}. Channel "
        f"addresses live in the server's secrets, never here. {sending} Sent, failed and "
        f"skipped messages are cleared from the outbox after {notify.retention_days} days."
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
    preference_form(person, chosen, names[chosen], key="admin_notify_pref", flash=FLASH)
    preview(chosen, names[chosen])
