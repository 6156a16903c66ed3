"""This week's "What I owe": a person's overdue status updates and due check-ins, a table of
each, and one short form for the item picked above it."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from planning.formatting import format_day
from planning.i18n import gettext as _
from planning.i18n import ngettext, pgettext
from planning.okrs.goal_rules import NOTE_MAX
from planning.okrs.goals import post_check_in
from planning.reports.this_week import DueCheckIn, OwedUpdate
from planning.store.models import PersonRead
from planning.store.versioning import ConflictError
from planning.work.initiative_input import field_label
from planning.work.initiative_status import status_label
from ui import grid_formats
from ui import this_week_data as data
from ui.confirm_write import run_write
from ui.number_entry import number_field, read_numbers
from ui.status_update_form import (
    FIELDS,
    health_label,
    save_status_update,
    status_update_inputs,
    widget_keys,
)
from ui.tables import show_table
from ui.text import escape_markdown, refusal_message
from ui.this_week_picks import (
    REFUSALS,
    Week,
    count,
    following_item,
    left_unposted,
    pick,
    saved,
)

UPDATE_PICK = "tw_update_pick"
CHECK_IN_PICK = "tw_check_in_pick"
# The widget fields of each form; a widget's key is `tw_{field}_{id}` (ui/status_update_form.py).
UPDATE_FIELDS = FIELDS
CHECK_IN_FIELDS = ("confidence", "value", "done", "check_in_note")


def _update_form(
    actor: PersonRead, item: OwedUpdate, ids: Sequence[int], *, director: bool
) -> None:
    tag = str(item.initiative_id)
    version_key = f"tw_version_{tag}"
    seen = st.session_state.setdefault(version_key, item.version)
    target = (
        _("target {day}").format(day=format_day(item.target_date))
        if item.target_date
        else _("no target date")
    )
    with st.form(f"tw_update_{tag}"):
        st.caption(
            _("Now {status}, {health}, {percent} % · last update {ago} · {target}").format(
                status=_(status_label(item.status)),
                health=health_label(item.health),
                percent=item.percent_complete,
                ago=data.ago(item.days_since_update, item.last_update_at),
                target=target,
            )
        )
        update = status_update_inputs(
            status=item.status,
            health=item.health,
            percent_complete=item.percent_complete,
            director=director,
            key_prefix="tw",
            tag=tag,
            placeholder=_("One line on what moved since the last update, and what is in the way"),
            note_height=80,
        )
        sent = st.form_submit_button(_("Post update"), type="primary")
    if not sent:
        return
    try:
        save_status_update(
            actor=actor, initiative_id=item.initiative_id, update=update, expected_version=seen
        )
    except ConflictError as exc:
        st.error(
            refusal_message(exc)
            + " "
            + _("Your note is kept; post it again to save it on the latest version.")
        )
        st.session_state.pop(version_key, None)  # the next run starts from the latest version
    except REFUSALS as exc:
        st.error(refusal_message(exc))
    else:
        saved(
            _("Status update posted on “{title}”.").format(title=escape_markdown(item.title)),
            forget=(version_key, *widget_keys("tw", tag)),
            picker=UPDATE_PICK,
            following=following_item(ids, item.initiative_id),
        )


def _check_in_form(actor: PersonRead, item: DueCheckIn, ids: Sequence[int]) -> None:
    tag = str(item.key_result_id)
    with st.form(f"tw_check_in_{tag}"):
        ago = data.ago(item.days_since_check_in, item.last_check_in_at)
        st.caption(
            escape_markdown(
                _("Key result of “{objective}” · last check-in {ago}").format(
                    objective=item.objective, ago=ago
                )
                if item.last_confidence is None
                else _(
                    "Key result of “{objective}” · last check-in {ago}, confidence {confidence}/10"
                ).format(objective=item.objective, ago=ago, confidence=item.last_confidence)
            )
        )
        cols = st.columns(2)
        confidence = cols[0].slider(
            _("Confidence that it lands (0–10)"),
            0,
            10,
            value=item.last_confidence if item.last_confidence is not None else 5,
            key=f"tw_confidence_{tag}",
        )
        value = None
        finished = None
        if item.kind == "manual":
            value = number_field(
                (
                    _("Current value ({unit}) (required)").format(unit=item.unit)
                    if item.unit
                    else _("Current value (required)")
                ),
                value=None,
                key=f"tw_value_{tag}",
                where=cols[1],
            )
        elif item.kind == "milestone":
            finished = cols[1].checkbox(_("Done"), value=False, key=f"tw_done_{tag}")
        note = st.text_area(
            _("Note (required)"),
            max_chars=NOTE_MAX,
            height=80,
            placeholder=_("What moved since last week, what is in the way"),
            key=f"tw_check_in_note_{tag}",
        )
        sent = st.form_submit_button(_("Post check-in"), type="primary")
    typed = read_numbers({"value": value}) if sent else None
    if typed is None:
        return
    posted = run_write(
        lambda session: post_check_in(
            session=session,
            actor=actor,
            key_result_id=item.key_result_id,
            confidence=confidence,
            note=note,
            value=typed["value"],
            done=finished or None,
        ),
        refusals=REFUSALS,
    )
    if posted is not None:
        saved(
            _("Check-in posted on “{title}”.").format(title=escape_markdown(item.title)),
            forget=tuple(f"tw_{field}_{tag}" for field in CHECK_IN_FIELDS),
            picker=CHECK_IN_PICK,
            following=following_item(ids, item.key_result_id),
        )


def what_i_owe(
    week: Week, actor: PersonRead, *, always: bool, linked: tuple[str, int] | None
) -> None:
    """The person's overdue updates and due check-ins: a table of each, and one form for the
    item picked above it."""
    owing = data.owed(week.versions, actor.id, week.today, week.lang)
    owed = owing.owed
    update_titles = {u.initiative_id: u.title for u in owed.updates}
    check_in_titles = {c.key_result_id: c.title for c in owed.check_ins}
    left_unposted(
        actor,
        UPDATE_PICK,
        update_titles,
        "note",
        _(
            "“{title}” left your list before you posted: it no longer needs a status update "
            "from you, because someone else posted one or changed it."
        ),
    )
    left_unposted(
        actor,
        CHECK_IN_PICK,
        check_in_titles,
        "check_in_note",
        _(
            "“{title}” left your list before you posted: it no longer needs a check-in from "
            "you, because someone else posted one or changed it."
        ),
    )
    if linked is not None:
        kind, item_id = linked
        titles, picker = (
            (check_in_titles, CHECK_IN_PICK) if kind == "check_in" else (update_titles, UPDATE_PICK)
        )
        if item_id in titles:
            st.session_state[f"{picker}_next"] = item_id
        else:
            st.info(
                _("The item your reminder pointed to is no longer owed: nothing to post there.")
            )
    if owed.empty and not always:
        return
    st.header(_("What I owe"))
    if owed.empty:
        st.success(
            _(
                "All caught up: every initiative you run has a status update from the last "
                "{days} days and every key result you own has a recent check-in."
            ).format(days=week.every_days)
        )
        return
    updates, check_ins = len(owed.updates), len(owed.check_ins)
    parts = [
        count(updates, ngettext("{count} status update", "{count} status updates", updates)),
        count(check_ins, ngettext("{count} check-in", "{count} check-ins", check_ins)),
    ]
    st.caption(
        _(
            "{owed} to post. Status updates are owed every {days} days while work is under "
            "way; key results of the running quarter take a check-in as often. Pick one, fill "
            "in its form, and it leaves the list in one click."
        ).format(owed=_(" and ").join(p for p in parts if p), days=week.every_days)
    )
    if owing.updates is not None:
        st.subheader(_("Status updates owed"))
        show_table(
            owing.updates,
            {
                "initiative": st.column_config.TextColumn(_("Initiative"), width="large"),
                "status": st.column_config.TextColumn(_("Status"), width="small"),
                "health": st.column_config.TextColumn(_("Health"), width="small"),
                "percent": st.column_config.NumberColumn(
                    field_label("percent_complete"),
                    format=grid_formats.whole_percent("%d %%"),
                    width=95,
                ),
                "last_update": st.column_config.TextColumn(_("Last update"), width="medium"),
                "target": st.column_config.DateColumn(
                    pgettext("date", "Target"), format=grid_formats.day_format()
                ),
            },
        )
        chosen = pick(actor, UPDATE_PICK, _("Post an update on"), update_titles, UPDATE_FIELDS)
        item = next(u for u in owed.updates if u.initiative_id == chosen)
        _update_form(actor, item, list(update_titles), director=week.director)
    if owing.check_ins is not None:
        st.subheader(_("Check-ins due"))
        show_table(
            owing.check_ins,
            {
                "key_result": st.column_config.TextColumn(_("Key result"), width="large"),
                "objective": st.column_config.TextColumn(_("Objective"), width="medium"),
                "last_check_in": st.column_config.TextColumn(_("Last check-in"), width="medium"),
                "confidence": st.column_config.TextColumn(_("Confidence"), width="small"),
            },
        )
        chosen = pick(actor, CHECK_IN_PICK, _("Check in on"), check_in_titles, CHECK_IN_FIELDS)
        due = next(c for c in owed.check_ins if c.key_result_id == chosen)
        _check_in_form(actor, due, list(check_in_titles))
