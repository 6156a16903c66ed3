"""How a person is notified, on screen: the form that sets a person's channel, pause, opt-out and
roadmap summary, and the preview of what they would receive this week. Used by This week (each
person, for themselves) and Admin → Notifications (a director, for anyone)."""

from __future__ import annotations

import math
import re
from datetime import date

import streamlit as st

from planning import clock
from planning.access.permissions import PermissionDenied
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.notify.preferences import preference_of, set_preference
from planning.notify.run import preview_for, recipient_language
from planning.notify.schedule import skip_text
from planning.notify.secrets import CHANNEL_LABELS, CHANNELS, load_secrets
from planning.store.models import PersonRead
from planning.validation import InputError
from ui.confirm_write import run_write
from ui.flash import flash_after_write
from ui.grid_formats import input_day_format
from ui.state import app_config, read_session
from ui.text import escape_markdown

# What a message is (planning.notify.schedule), in words.
KIND_LABELS = {
    "reminder": N_("reminder"),
    "escalation": N_("escalation"),
    "digest": N_("digest"),
    "roadmap": N_("roadmap"),
}


# An email previewed as its reader opens it, in a frame of its own so its styles stay inside.
# The policy comes first in its head: no script runs and nothing loads, whatever the HTML holds
# (people's text in it is escaped already); its links open in a new tab. As no script may run,
# the frame cannot measure its content: it is about as tall as the message's plain text, each
# line wrapped as the email wraps it at the frame's usual width, scrolling beyond the tallest.
EMAIL_FRAME_LINE = 20  # pixels per line of the email's text
EMAIL_FRAME_CHARS = 80  # characters on one line of it
EMAIL_FRAME_MARGIN = 32  # the email's own margins, top and bottom
EMAIL_FRAME_MIN, EMAIL_FRAME_MAX = 120, 640
EMAIL_FRAME_HEAD = (
    '<meta http-equiv="Content-Security-Policy" '
    "content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
    '<base target="_blank">'
)


def email_frame(html: str) -> str:
    """An email's HTML with the no-scripts policy at the start of its head."""
    head = re.search(r"<head\b[^>]*>", html, re.IGNORECASE)
    if head is not None:
        return html[: head.end()] + EMAIL_FRAME_HEAD + html[head.end() :]
    opening = re.search(r"<html\b[^>]*>", html, re.IGNORECASE)
    at = opening.end() if opening is not None else 0
    return html[:at] + f"<head>{EMAIL_FRAME_HEAD}</head>" + html[at:]


def email_frame_height(text: str) -> int:
    """The preview frame's height in pixels for an email whose plain text is `text`."""
    lines = sum(max(1, math.ceil(len(line) / EMAIL_FRAME_CHARS)) for line in text.splitlines())
    height = EMAIL_FRAME_MARGIN + lines * EMAIL_FRAME_LINE
    return max(EMAIL_FRAME_MIN, min(EMAIL_FRAME_MAX, height))


# Which language a previewed message is written in, said in the reader's language (one sentence
# per language: the picker names each language in itself, "English", "Deutsch").
WRITTEN_IN = {
    "en": N_("Written in English, the language {name} reads Quarterdeck in."),
    "de": N_("Written in German, the language {name} reads Quarterdeck in."),
}
WRITTEN_IN_YOURS = {
    "en": N_("Written in English, the language you read Quarterdeck in."),
    "de": N_("Written in German, the language you read Quarterdeck in."),
}


def kind_label(kind: str) -> str:
    """A notification's kind in the reader's language (reminder, digest, …)."""
    return _(KIND_LABELS.get(kind, kind))


def preference_form(actor: PersonRead, person_id: int, name: str, *, key: str, flash: str) -> None:
    """The preferences form for one person; on save, a flash message under `flash` and a rerun."""
    with read_session() as session:
        current = preference_of(session=session, person_id=person_id)
    today = clock.today()
    paused_now = (
        current.paused_until if current.paused_until and current.paused_until > today else None
    )
    with st.form(f"{key}_{person_id}"):
        cols = st.columns(4)
        channel = cols[0].selectbox(
            _("Channel"),
            list(CHANNELS),
            index=list(CHANNELS).index(current.channel) if current.channel in CHANNELS else 0,
            format_func=lambda c: _(CHANNEL_LABELS[c]),
        )
        paused: date | None = cols[1].date_input(
            _("Paused until"),
            value=paused_now,
            min_value=today,
            format=input_day_format("YYYY/MM/DD"),
            help=_("Nothing is sent before this day."),
        )
        opted_out = cols[2].checkbox(_("Opted out"), value=current.opted_out)
        roadmap = cols[3].checkbox(
            _("Roadmap summary"),
            value=current.roadmap_summary,
            help=_("Stakeholders: the week's roadmap changes on the digest day."),
        )
        save = st.form_submit_button(_("Save preferences"))
    if not save:
        return
    kept = run_write(
        lambda session: set_preference(
            session=session,
            actor=actor,
            person_id=person_id,
            channel=channel,
            paused_until=paused,
            opted_out=opted_out,
            roadmap_summary=roadmap,
        ),
        refusals=(InputError, PermissionDenied),
    )
    if kept is None:
        return
    flash_after_write(flash, _("Saved {name}'s notification preferences.").format(name=name))


def preview(person_id: int, name: str | None) -> None:
    """What a person would receive this week as things stand, as they would see it (an email
    rendered, a chat message's Markdown rendered), written in the language that person reads
    (whoever looks); `name` None when it is the reader's own."""
    with read_session() as session:
        messages = preview_for(
            session=session,
            config=app_config(),
            person_id=person_id,
            now=clock.utcnow(),
            secrets=load_secrets(),
        )
        code = recipient_language(session=session, person_id=person_id)
    if name is None:  # "you" takes its own verbs, in English and in German
        heading = _("What you would receive this week")
        written = _(WRITTEN_IN_YOURS[code]) if code in WRITTEN_IN_YOURS else None
    else:
        shown = escape_markdown(name)
        heading = _("What {name} would receive this week").format(name=shown)
        written = _(WRITTEN_IN[code]).format(name=shown) if code in WRITTEN_IN else None
    st.markdown(f"**{heading}**")
    if written is not None:
        st.caption(written)
    if not messages:
        st.caption(_("Nothing: nothing owed this week, and no digest or summary to read."))
    for message in messages:
        state = (
            " " + _("(skipped: {reason})").format(reason=skip_text(message.skipped))
            if message.skipped
            else ""
        )
        by = _("{kind} by {channel}").format(
            kind=escape_markdown(kind_label(message.kind)),
            channel=_(CHANNEL_LABELS.get(message.channel, message.channel)),
        )
        st.markdown(f"*{by}{state}*")
        st.markdown(escape_markdown(_("Subject: {subject}").format(subject=message.subject)))
        if message.channel == "email":
            st.iframe(
                email_frame(message.body_html),
                height=email_frame_height(message.body_text),
                alt=message.subject,
            )
        else:
            with st.container(border=True):
                st.markdown(message.body_markdown)
