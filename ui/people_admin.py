"""Admin's "People" tab: the team with roles and capacity, adding and editing people, time off,
and (in password mode) setting or resetting passwords. Directors only (the Admin page checks;
the domain refuses anyone else anyway)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pyarrow as pa
import streamlit as st

from planning import clock
from planning.access.people import (
    EMAIL_MAX,
    NAME_MAX,
    NOTE_MAX,
    TITLE_MAX,
    add_time_off,
    create_person,
    has_password,
    list_people,
    list_time_off,
    remove_time_off,
    set_password,
    update_person,
)
from planning.access.permissions import PermissionDenied
from planning.formatting import (
    format_day,
    format_entered,
    format_span_start,
    format_whole_percent,
)
from planning.i18n import N_, ngettext, pgettext
from planning.i18n import gettext as _
from planning.store.engine import session_scope
from planning.store.models import PersonCreate, PersonRead, PersonUpdate, Role, TimeOffRead
from planning.store.versioning import ConflictError
from planning.validation import InputError
from ui.confirm_write import run_write
from ui.flash import flash_after_write, show_flash
from ui.grid_formats import figures, input_day_format
from ui.number_entry import NumberField, number_field, read_numbers
from ui.pickers import pick_record
from ui.state import Versions, app_config, engine, read_session
from ui.tables import show_table
from ui.text import escape_markdown, refusal_message

FLASH = "admin_people_flash"
ROUND = "admin_people_round"  # bumped after a save so every form starts from the stored values
ROLES = [r.value for r in Role]
ROLE_LABELS = {"director": N_("Director"), "member": N_("Member"), "stakeholder": N_("Stakeholder")}
REFUSALS = (InputError, PermissionDenied, ConflictError)


@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def _team(versions: Versions) -> list[PersonRead]:
    del versions
    with read_session() as session:
        return list_people(session=session, include_inactive=True)


@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def _time_off(versions: Versions) -> list[TimeOffRead]:
    del versions
    with read_session() as session:
        return list_time_off(session=session)


@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def _with_password(versions: Versions) -> set[int]:
    del versions
    with read_session() as session:
        people = list_people(session=session, include_inactive=True)
        return {p.id for p in people if has_password(session=session, person_id=p.id)}


def _saved(message: str) -> None:
    st.session_state[ROUND] = st.session_state.get(ROUND, 0) + 1
    flash_after_write(FLASH, message)


def _days(first: date, last: date) -> int:
    return (last - first).days + 1


def _role(role: str) -> str:
    return _(ROLE_LABELS[role])


def people_tab(person: PersonRead, versions: Versions) -> None:
    """The tab's content: the team table, then add, edit, time off and password forms."""
    password_mode = app_config().settings.auth.mode == "password"
    st.subheader(_("People"))
    st.caption(
        _(
            "Everyone who uses Quarterdeck, with their role (what they may change), weekly hours "
            "and business-as-usual (BAU) share (what is left for initiatives), and time off. "
            "Inactive people keep their history but can no longer sign in."
        )
    )
    show_flash(FLASH)
    round_number = st.session_state.get(ROUND, 0)
    team = _team(versions)
    off = _time_off(versions)
    passwords = _with_password(versions) if password_mode else set()
    today = clock.today()
    rows = []
    for p in team:
        upcoming = [t for t in off if t.person_id == p.id and t.end_date >= today]
        row = {
            _("name"): p.name,
            _("email"): p.email,
            _("role"): _role(p.role.value),
            pgettext("person", "title"): p.title,
            _("weekly hours"): p.weekly_hours,
            _("BAU share"): format_whole_percent(p.bau_share),
            _("time off ahead"): ", ".join(
                f"{format_span_start(t.start_date, t.end_date)}–{format_day(t.end_date)}"
                for t in upcoming
            ),
            _("active"): p.active,
        }
        if password_mode:
            row[_("password")] = _("set") if p.id in passwords else _("not set")
        rows.append(row)
    hours = figures([r[_("weekly hours")] for r in rows], format_entered)
    for row, shown in zip(rows, hours, strict=True):
        row[_("weekly hours")] = shown  # 37,5 in a German team, in any browser
    show_table(pa.Table.from_pylist(rows))

    _add_form(person, round_number)
    if not team:
        return
    st.divider()
    chosen = pick_record(
        _("Person to edit"),
        {p.id: p for p in team},
        lambda p: f"{p.name} · {_role(p.role.value)}" + ("" if p.active else " " + _("(inactive)")),
        key="admin_people_chosen",
    )
    sections = st.tabs([_("Details"), _("Time off"), *([_("Password")] if password_mode else [])])
    with sections[0]:
        _edit_form(person, chosen, round_number)
    with sections[1]:
        _time_off_forms(person, chosen, [t for t in off if t.person_id == chosen.id], round_number)
    if password_mode:
        with sections[2]:
            _password_form(person, chosen, chosen.id in passwords, round_number)


@dataclass(frozen=True)
class _PersonInputs:
    """What the add and edit forms both ask of a person."""

    name: str
    email: str
    role: str
    title: str
    weekly_hours: NumberField
    bau_share: float  # 0.3 = 30 %


def _person_inputs(key: Callable[[str], str], *, now: PersonRead | None = None) -> _PersonInputs:
    """Name, email, role, job title, weekly hours and BAU share: filled from `now` (an edit) or
    a new person's defaults; `key` names each input's session key."""
    cols = st.columns(2)
    name = cols[0].text_input(
        _("Name"), value="" if now is None else now.name, max_chars=NAME_MAX, key=key("name")
    )
    email = cols[1].text_input(
        _("Email"), value="" if now is None else now.email, max_chars=EMAIL_MAX, key=key("email")
    )
    cols = st.columns(4)
    role = cols[0].selectbox(
        _("Role"),
        ROLES,
        index=ROLES.index("member" if now is None else now.role.value),
        format_func=_role,
        key=key("role"),
    )
    title = cols[1].text_input(
        _("Title"), value="" if now is None else now.title, max_chars=TITLE_MAX, key=key("title")
    )
    hours = number_field(
        _("Weekly hours"),
        value=(
            app_config().settings.capacity.hours_per_person_week
            if now is None
            else float(now.weekly_hours)
        ),
        key=key("hours"),
        where=cols[2],
        minimum=0.0,
        maximum=168.0,
        required=True,
    )
    bau = cols[3].number_input(
        _("BAU share (%)"),
        min_value=0,
        max_value=100,
        value=30 if now is None else round(now.bau_share * 100),
        step=5,
        # A new person's form says what the share is; the edit form leaves it said.
        help=(
            _("Share of their hours that goes to business as usual, not initiatives.")
            if now is None
            else None
        ),
        key=key("bau"),
    )
    return _PersonInputs(
        name=name,
        email=email,
        role=role,
        title=title,
        weekly_hours=hours,
        bau_share=float(bau) / 100,
    )


def _add_form(person: PersonRead, round_number: int) -> None:
    with st.expander(_("Add a person"), icon=":material/person_add:"):
        with st.form(f"admin_add_person_{round_number}"):
            fields = _person_inputs(lambda name: f"new_person_{name}_{round_number}")
            add = st.form_submit_button(_("Add person"), type="primary")
        typed = read_numbers({"hours": fields.weekly_hours}) if add else None
        if typed is not None:
            created = run_write(
                lambda session: create_person(
                    session=session,
                    actor=person,
                    person=PersonCreate.model_construct(
                        name=fields.name,
                        email=fields.email,
                        role=fields.role,
                        title=fields.title,
                        weekly_hours=typed["hours"],
                        bau_share=fields.bau_share,
                        active=True,
                    ),
                ),
                refusals=REFUSALS,
            )
            if created is not None:
                _saved(_("Added {name} to the team.").format(name=escape_markdown(created.name)))


def _edit_form(person: PersonRead, chosen: PersonRead, round_number: int) -> None:
    key = f"edit_person_{chosen.id}_{round_number}"
    read_key = f"{key}_read_version"
    if read_key not in st.session_state:
        st.session_state[read_key] = chosen.version  # the version this editor started from
    with st.form(key):
        fields = _person_inputs(lambda name: f"{key}_{name}", now=chosen)
        active = st.checkbox(
            _("Active"),
            value=chosen.active,
            help=_(
                "An inactive person keeps their history, leaves the team's lists and cannot "
                "sign in."
            ),
            key=f"{key}_active",
        )
        save = st.form_submit_button(_("Save changes"), type="primary")
    typed = read_numbers({"hours": fields.weekly_hours}) if save else None
    if typed is not None:
        try:
            with session_scope(engine()) as session:
                saved = update_person(
                    session=session,
                    actor=person,
                    person_id=chosen.id,
                    expected_version=int(st.session_state[read_key]),
                    changes=PersonUpdate(
                        name=fields.name,
                        email=fields.email,
                        role=Role(fields.role),
                        title=fields.title,
                        weekly_hours=typed["hours"],
                        bau_share=fields.bau_share,
                        active=bool(active),
                    ),
                )
        except REFUSALS as exc:
            st.error(refusal_message(exc))
            if isinstance(exc, ConflictError) and st.button(
                _("Load the latest values"), key=f"{key}_reload"
            ):
                st.session_state[ROUND] = round_number + 1
                st.rerun()
        else:
            _saved(_("Saved {name}'s details.").format(name=escape_markdown(saved.name)))


def _time_off_forms(
    person: PersonRead, chosen: PersonRead, ranges: list[TimeOffRead], round_number: int
) -> None:
    if ranges:
        show_table(
            pa.Table.from_pylist(
                [
                    {
                        _("first day"): t.start_date,
                        _("last day"): t.end_date,
                        _("days"): _days(t.start_date, t.end_date),
                        _("note"): t.note,
                    }
                    for t in ranges
                ]
            )
        )
    else:
        st.caption(_("No time off recorded for {name}.").format(name=escape_markdown(chosen.name)))
    key = f"time_off_{chosen.id}_{round_number}"
    today = clock.today()
    with st.form(key):
        cols = st.columns([1, 1, 2])
        first = cols[0].date_input(
            _("First day off"),
            value=today,
            format=input_day_format("YYYY/MM/DD"),
            key=f"{key}_first",
        )
        last = cols[1].date_input(
            _("Last day off"),
            value=today + timedelta(days=4),
            format=input_day_format("YYYY/MM/DD"),
            key=f"{key}_last",
        )
        note = cols[2].text_input(_("Note"), max_chars=NOTE_MAX, key=f"{key}_note")
        add = st.form_submit_button(_("Add time off"))
    if add:
        added = run_write(
            lambda session: add_time_off(
                session=session,
                actor=person,
                person_id=chosen.id,
                start_date=first,
                end_date=last,
                note=note,
            ),
            refusals=REFUSALS,
        )
        if added is not None:
            days = _days(added.start_date, added.end_date)
            _saved(
                ngettext(
                    "Added {count} day off for {name}.", "Added {count} days off for {name}.", days
                ).format(count=days, name=escape_markdown(chosen.name))
            )
    if not ranges:
        return
    by_id = {t.id: t for t in ranges}
    with st.form(f"{key}_remove"):
        gone = st.selectbox(
            _("Remove time off"),
            list(by_id),
            format_func=lambda i: (
                f"{format_day(by_id[i].start_date)} – {format_day(by_id[i].end_date)}"
                + (f" ({by_id[i].note})" if by_id[i].note else "")
            ),
            key=f"{key}_remove_choice",
        )
        remove = st.form_submit_button(_("Remove"))
    if remove and gone is not None:
        removed = run_write(
            lambda session: remove_time_off(session=session, actor=person, time_off_id=gone),
            refusals=REFUSALS,
        )
        if removed is not None:
            _saved(_("Removed time off for {name}.").format(name=escape_markdown(chosen.name)))


def _password_form(
    person: PersonRead, chosen: PersonRead, has_one: bool, round_number: int
) -> None:
    settings = app_config().settings.auth
    state = (_("{name} has a password.") if has_one else _("{name} has no password yet.")).format(
        name=escape_markdown(chosen.name)
    )
    st.caption(
        state
        + " "
        + _(
            "Setting a new one signs them out everywhere; tell it to them in person or by "
            "another channel. At least {count} characters."
        ).format(count=settings.min_password_length)
    )
    key = f"password_{chosen.id}_{round_number}"
    with st.form(key):
        first = st.text_input(_("New password"), type="password", key=f"{key}_first")
        again = st.text_input(_("Repeat it"), type="password", key=f"{key}_again")
        save = st.form_submit_button(_("Reset password") if has_one else _("Set password"))
    if save:
        if first != again:
            st.error(_("The two passwords differ; type the same one twice."))
            return
        changed = run_write(
            lambda session: set_password(
                session=session,
                actor=person,
                person_id=chosen.id,
                password=first,
                settings=settings,
            ),
            refusals=REFUSALS,
        )
        if changed is not None:
            done = _("Password reset for {name}.") if has_one else _("Password set for {name}.")
            _saved(done.format(name=escape_markdown(chosen.name)))
