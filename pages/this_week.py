"""This week, the landing page, for whoever is looking: a member sees what they owe (overdue
status updates and due check-ins, each listed in a table, with one short form for the item
picked above it); a director sees that too plus what needs attention across the team; a
stakeholder sees the quarter's goals and the roadmap at a glance. Its parts are drawn by
ui/this_week_owed.py and ui/this_week_team.py."""

from __future__ import annotations

import streamlit as st

from planning import clock, i18n
from planning.access.permissions import can_contribute, is_director
from planning.formatting import format_day
from planning.i18n import gettext as _
from planning.periods import iso_week, quarter_of
from ui import dependencies_view, goals_data
from ui.data import latest_complete_day
from ui.flash import show_flash
from ui.identity import current_person, role_label
from ui.notification_prefs import preference_form, preview
from ui.nudge_link import form_in_address
from ui.quarter_draft_view import quarter_not_set_notice
from ui.setup import connect_data_step
from ui.state import app_config, live_refresh, versions
from ui.text import escape_markdown
from ui.this_week_owed import what_i_owe
from ui.this_week_picks import FLASH, Week
from ui.this_week_team import attention, idea_news, summary, triage

config = app_config()
fiscal = config.settings.fiscal_year_start_month
today = clock.today()
current = versions()
period = quarter_of(today, fiscal)
st.title(_("This week"))
person = current_person()
if person is None:
    st.info(_("Nobody is on the team yet. Add people in Admin, or load the demo data."))
    st.stop()
assert person is not None
director = is_director(person)
lang = i18n.locale_key()
# English keeps its long date (Thursday 26 November 2026); other formats write the team's.
day = f"{today:%A %d %B %Y}" if i18n.english_formats() else format_day(today, weekday=True)
st.caption(
    escape_markdown(
        _("{day} · week {week} · {quarter} · you are {name} ({role})").format(
            day=day,
            week=iso_week(today),
            quarter=period,
            name=person.name,
            role=role_label(person.role.value),
        )
    )
)
show_flash(FLASH)
if latest_complete_day(current) is None:
    connect_data_step(person)  # a new store: the next step is its data
# A reminder's link names the form to pick; it never signs in or writes (ui/nudge_link.py).
linked = form_in_address(person)

quarter_goals = goals_data.period_goals(current, period, today)
week = Week(
    person=person,
    director=director,
    versions=current,
    today=today,
    lang=lang,
    period=period,
    every_days=config.settings.updates.stale_after_days,
    # A running quarter nobody has set goals for yet (its first days): say so, not "all clear".
    has_goals=bool(quarter_goals.objectives) or quarter_goals.closed,
)
if not can_contribute(person):
    summary(week)
elif director:
    idea_news(week, person)
    what_i_owe(week, person, always=False, linked=linked)
    dependencies_view.news_section(versions=current, owner_id=person.id, today=today)
    triage(week, person)
    attention(week)
else:
    if not week.has_goals:
        quarter_not_set_notice(person=person, versions=current, period=period)
    idea_news(week, person)
    what_i_owe(week, person, always=True, linked=linked)
    dependencies_view.news_section(versions=current, owner_id=person.id, today=today)

if person.active:
    with st.expander(_("My reminders and digests"), icon=":material/notifications:"):
        st.caption(
            _(
                "Quarterdeck tells you on the check-in day what you owe, only when you owe "
                "something, by the channel you choose here. Pause it for a while or opt out at "
                "any time."
            )
        )
        preference_form(person, person.id, person.name, key="tw_notify_pref", flash=FLASH)
        if st.toggle(_("Show what I would receive this week"), key="tw_notify_preview"):
            preview(person.id, None)

live_refresh()
