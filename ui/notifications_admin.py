"""Admin's "Notifications" tab: which channels this server has (names only, never their URLs),
the outbox (what went out, what waits for a retry, what was skipped and why), each person's
preferences, and a preview of what one person would receive this week. Directors only (the
Admin page checks; the domain refuses anyone else anyway)."""

from __future__ import annotations

import pyarrow as pa
import streamlit as st

from planning.access.people import list_people
from planning.i18n import N_, ngettext
from planning.i18n import gettext as _
from planning.notify.outbox import outbox_rows
from planning.notify.preferences import all_preferences
from planning.notify.schedule import Preference, skip_text
from planning.notify.secrets import CHANNEL_LABELS, load_secrets
from planning.store.models import PersonRead
from ui.flash import show_flash
from ui.notification_prefs import kind_label, preference_form, preview
from ui.state import Versions, app_config, read_session
from ui.tables import show_table
from ui.text import moment_text

FLASH = "admin_notify_flash"
ROLE_WORDS = {"director": N_("director"), "member": N_("member"), "stakeholder": N_("stakeholder")}
# settings.yaml names the check-in and digest days in English, lower case.
WEEKDAYS = {
    "monday": N_("Mondays"),
    "tuesday": N_("Tuesdays"),
    "wednesday": N_("Wednesdays"),
    "thursday": N_("Thursdays"),
    "friday": N_("Fridays"),
    "saturday": N_("Saturdays"),
    "sunday": N_("Sundays"),
}
STATUS_LABELS = {
    "pending": N_("waiting"),
    "sending": N_("sending"),
    "sent": N_("sent"),
    "failed": N_("failed"),
    "skipped": N_("skipped"),
}


def _channel_word(channel: str) -> str:
    """A channel as the reader's language names it (Email: E-Mail)."""
    return _(CHANNEL_LABELS.get(channel, channel))


def _weekdays(day: str) -> str:
    """A weekday from settings.yaml as a recurring day (monday: Mondays; German montags)."""
    return _(WEEKDAYS.get(day.lower(), day.title() + "s"))


def notifications_tab(person: PersonRead, versions: Versions) -> None:
    """The tab's content: channels, the outbox, preferences and a per-person preview."""
    del versions  # the outbox changes without a data version: read it on every run
    st.subheader(_("Notifications"))
    config = app_config()
    notify = config.settings.notify
    secrets = load_secrets()
    channels = ", ".join(_(CHANNEL_LABELS[c]) for c in secrets.configured()) or _("none yet")
    if notify.enabled:
        sending = ngettext(
            "The server sends what is due by itself, looking every minute.",
            "The server sends what is due by itself, looking every {count} minutes.",
            notify.run_every_minutes,
        ).format(count=notify.run_every_minutes)
    else:
        sending = _(
            "The server does not send by itself (settings.yaml `notify.enabled`); "
            "`python -m planning notify` sends what is due."
        )
    st.caption(
        _(
            "Reminders go out on {check_in_day} at {check_in_time}, the digest and roadmap "
            "summaries on {digest_day} at {digest_time} ({time_zone}). Channels set up on this "
            "server: {channels}. Channel addresses live in the server's secrets, never here."
        ).format(
            check_in_day=_weekdays(notify.check_in_day),
            check_in_time=notify.check_in_time,
            digest_day=_weekdays(notify.digest_day),
            digest_time=notify.digest_time,
            time_zone=config.settings.time_zone,
            channels=channels,
        )
        + f" {sending} "
        + ngettext(
            "Sent, failed and skipped messages are cleared from the outbox after {count} day.",
            "Sent, failed and skipped messages are cleared from the outbox after {count} days.",
            notify.retention_days,
        ).format(count=notify.retention_days)
    )
    show_flash(FLASH)
    with read_session() as session:
        people = list_people(session=session)
        preferences = all_preferences(session=session)
        rows = outbox_rows(session=session, limit=300)
    names = {p.id: p.name for p in people}

    st.markdown("**" + _("Outbox") + "** " + _("(newest first)"))
    if not rows:
        st.info(_("Nothing has been planned yet."))
    else:
        show_table(
            pa.Table.from_pylist(
                [
                    {
                        _("planned (UTC)"): moment_text(r.created_at),
                        _("kind"): kind_label(r.kind),
                        _("week"): r.week,
                        _("to"): names.get(r.person_id, f"#{r.person_id}"),
                        _("channel"): _channel_word(r.channel),
                        _("state"): _(STATUS_LABELS.get(r.status, r.status)),
                        _("attempts"): r.attempts,
                        _("sent (UTC)"): moment_text(r.sent_at),
                        _("next try (UTC)"): moment_text(r.next_attempt_at)
                        if r.status == "pending"
                        else "",
                        _("outcome"): skip_text(r.outcome) if r.status == "skipped" else r.outcome,
                        _("subject"): r.subject,
                    }
                    for r in rows
                ]
            )
        )

    st.markdown("**" + _("Preferences") + "**")
    show_table(
        pa.Table.from_pylist(
            [
                {
                    _("person"): p.name,
                    _("role"): _(ROLE_WORDS[p.role.value]),
                    _("channel"): _channel_word(preferences.get(p.id, Preference()).channel),
                    _("paused until"): str(preferences.get(p.id, Preference()).paused_until or ""),
                    _("opted out"): preferences.get(p.id, Preference()).opted_out,
                    _("roadmap summary"): preferences.get(p.id, Preference()).roadmap_summary,
                }
                for p in people
            ]
        )
    )
    if not people:
        return
    chosen = st.selectbox(
        _("Person"),
        [p.id for p in people],
        format_func=lambda i: names[i],
        key="admin_notify_person",
    )
    preference_form(person, chosen, names[chosen], key="admin_notify_pref", flash=FLASH)
    preview(chosen, names[chosen])
