"""Who is using the app, signed in the way settings.yaml chooses (auth.mode):

- demo: a sidebar picker of the team, labelled demo mode, to try every role on one machine; the
  choice is kept in the address (?as=ID), so a reload keeps acting as the same person;
- password: a plain HTML form that posts to server.py's /session/sign-in route, which sets an
  HttpOnly session cookie (see api/sign_in.py), so the sign-in lasts across reloads until
  sign-out (another small form, posting to /session/end);
- oidc: Streamlit's st.login with the provider in .streamlit/secrets.toml; the signed-in email
  must belong to an active person of the team, else the visitor sees how to ask for access.

app.py calls sign_in() once per run, before navigation: it returns the person, or shows the
sign-in (or no-access) page and stops the run. Pages call current_person().
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import NoReturn
from urllib.parse import urlencode

import streamlit as st
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from planning.access.passwords import (
    END_PATH,
    REFUSED,
    SESSION_COOKIE,
    SIGN_IN_PATH,
    anyone_can_sign_in,
    normalise_email,
    person_for_session,
)
from planning.access.people import list_people
from planning.access.permissions import is_director
from planning.i18n import N_, ngettext
from planning.i18n import gettext as _
from planning.notify.links import NUDGE_PARAM, TOKEN_MAX
from planning.store.models import PersonRead, Role
from planning.validation import whole_number
from ui.navigation import PAGES_BY_ROLE
from ui.state import Versions, app_config, read_session, shared_read, versions
from ui.text import escape_markdown

ROLE_LABELS = {"director": N_("Director"), "member": N_("Member"), "stakeholder": N_("Stakeholder")}
PICKER_KEY = "demo_person_id"
ACTING_KEY = "_acting_person_id"
CHOSEN_KEY = "_demo_person_chosen"
SWITCHED_KEY = "_demo_person_switched"
ACTING_PARAM = "as"  # demo mode: ?as=ID keeps the person acted as across a reload
SIGN_IN_PARAM = "signin"  # ?signin=refused, or ?signin=wait&retry=SECONDS (api/sign_in.py)
RETRY_PARAM = "retry"


@shared_read(ttl=600, max_entries=16)
def _team(versions: Versions) -> Mapping[int, PersonRead]:
    """The team by id, in the list's order, read once per data version and shared by every run.

    The people in it are the cached ones, so only this module reads them and it hands out
    copies (_own): a run copies the one person it acts for, not the whole team twice."""
    del versions
    with read_session() as session:
        return MappingProxyType({p.id: p for p in list_people(session=session)})


def _own(person: PersonRead | None) -> PersonRead | None:
    """A person from the shared team as the caller's own copy."""
    return None if person is None else person.model_copy()


def sign_in() -> PersonRead | None:
    """The person this run acts for, signed in the configured way; stops the run until then."""
    mode = app_config().settings.auth.mode
    if mode == "password":
        person: PersonRead | None = _password_person()
    elif mode == "oidc":
        person = _oidc_person()
    else:
        person = _demo_person()
    st.session_state[ACTING_KEY] = person.id if person else None
    return person


def current_person() -> PersonRead | None:
    """The person the app acts for in this run (chosen by sign_in)."""
    acting = st.session_state.get(ACTING_KEY)
    if acting is None:
        return None
    return _own(_team(versions()).get(acting))


def director_or_stop(notice: Callable[[str], object], message: str) -> PersonRead:
    """The acting person when a director; anyone else is told `message` (by `notice`, e.g.
    st.info) and the page stops there."""
    person = current_person()
    if person is None or not is_director(person):
        notice(message)
        st.stop()
    return person


# --- shared pieces ------------------------------------------------------------------------------


def _base_path() -> str:
    """The app's front page path as the browser sees it ("/" or "/base/")."""
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/" if base else "/"


def _gate(render: Callable[[], None], title: str) -> NoReturn:
    """Show one page in place of the app, whatever page URL was opened, and stop the run."""
    paths = sorted(
        p.removeprefix("pages/").removesuffix(".py") for p in PAGES_BY_ROLE[Role.director]
    )
    pages = [st.Page(render, title=title, url_path="sign-in", default=True)]
    pages += [st.Page(render, title=title, url_path=path, visibility="hidden") for path in paths]
    st.navigation(pages, position="hidden").run()
    st.stop()
    raise AssertionError("st.stop() ends the run")  # for type checkers


def _signed_in_as(person: PersonRead) -> None:
    st.sidebar.caption(
        escape_markdown(
            _("Signed in as {name} · {role}").format(
                name=person.name, role=role_label(person.role.value)
            )
        )
    )


def role_label(role: str) -> str:
    """A role as a word in this run's language ('Director', German 'Leitung')."""
    return _(ROLE_LABELS[role]) if role in ROLE_LABELS else role


# --- demo mode -----------------------------------------------------------------------------------


def _noted_switch() -> None:
    # Kept apart from the widget's own state: a change that leads to st.switch_page in the same
    # run would otherwise be lost, as Streamlit drops the widget states of an interrupted run.
    st.session_state[CHOSEN_KEY] = st.session_state[PICKER_KEY]
    st.session_state[SWITCHED_KEY] = True


def just_switched() -> bool:
    """Whether this run follows a change of the demo picker's person (asked once per change)."""
    return bool(st.session_state.pop(SWITCHED_KEY, False))


def _person_in_address(by_id: Mapping[int, PersonRead]) -> int | None:
    wanted = st.query_params.get(ACTING_PARAM)
    try:
        person_id = int(wanted) if wanted is not None else None
    except ValueError:
        return None
    return person_id if person_id in by_id else None


def _demo_person() -> PersonRead | None:
    """The sidebar picker: anyone can act as anyone (demo mode)."""
    by_id = _team(versions())
    if not by_id:
        return None
    chosen = st.session_state.get(CHOSEN_KEY)
    if chosen not in by_id:
        # A new browser session (a reload) starts as the person named in the address.
        picked = st.session_state.get(PICKER_KEY)
        chosen = picked if picked in by_id else _person_in_address(by_id) or next(iter(by_id))
        st.session_state[CHOSEN_KEY] = chosen
    if st.session_state.get(PICKER_KEY) != chosen:
        st.session_state[PICKER_KEY] = chosen
    with st.sidebar:
        st.markdown("**" + _("Demo mode") + "**")
        st.selectbox(
            _("Acting as"),
            list(by_id),
            format_func=lambda pid: f"{by_id[pid].name} · {role_label(by_id[pid].role.value)}",
            key=PICKER_KEY,
            on_change=_noted_switch,
            help=_(
                "Demo mode: try each role on one machine; anyone can act as anyone. Set "
                "auth.mode in config/settings.yaml to password or oidc for real sign-in."
            ),
        )
    person = by_id[chosen].model_copy()
    if st.query_params.get(ACTING_PARAM) != str(person.id):
        st.query_params[ACTING_PARAM] = str(person.id)
    return person


# --- password mode -------------------------------------------------------------------------------


def _session_token() -> str | None:
    """The sign-in token from the browser's HttpOnly cookie, if it sent one."""
    try:
        token = st.context.cookies.get(SESSION_COOKIE)
    except Exception:  # no browser behind this run (e.g. a test harness)
        return None
    return token if isinstance(token, str) and token else None


def _password_person() -> PersonRead:
    with read_session() as session:
        person = person_for_session(session=session, token=_session_token())
    if person is None:
        _gate(_password_form, _("Sign in"))
    assert person is not None
    _signed_in_as(person)
    st.sidebar.html(_post_form(END_PATH, button=_("Sign out"), form_class="qd-sign-out"))
    return person


def _route(path: str) -> str:
    """A server route's address as the browser sees it (below server.baseUrlPath)."""
    return _base_path() + path.lstrip("/")


# The theme's primary colour goes into a style sheet: only a colour's characters may
# ("#ff4b4b", "rgb(255, 75, 75)", "tomato"), else Streamlit's default.
_COLOUR = re.compile(r"[#\w(),.%\s]{1,40}")
DEFAULT_PRIMARY = "#ff4b4b"
SIGN_IN_FIELDS = (
    {"label": N_("Email"), "type": "email", "name": "email", "autocomplete": "email"},
    {
        "label": N_("Password"),
        "type": "password",
        "name": "password",
        "autocomplete": "current-password",
    },
)


@cache
def _templates() -> Environment:
    """The sign-in forms' templates (ui/templates), every value autoescaped."""
    return Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
    )


def _primary_colour() -> str:
    """The main button's colour: the theme's primary colour, like Streamlit's own buttons."""
    primary = str(st.get_option("theme.primaryColor") or DEFAULT_PRIMARY)
    return primary if _COLOUR.fullmatch(primary) else DEFAULT_PRIMARY


def _next_path(path: str) -> str:
    """Where the browser goes after the form: the front page; after signing in, with a
    reminder's link (`?nudge=`) kept, so its form opens once the person is in."""
    nudge = st.query_params.get(NUDGE_PARAM)
    if path == SIGN_IN_PATH and isinstance(nudge, str) and 0 < len(nudge) <= TOKEN_MAX:
        return f"{_base_path()}?{urlencode({NUDGE_PARAM: nudge})}"
    return _base_path()


def _post_form(
    path: str,
    *,
    button: str,
    form_class: str,
    fields: tuple[dict[str, str], ...] = (),
    primary: bool = False,
) -> str:
    """A plain HTML form posting to one of the server's sign-in routes, then back to "/"."""
    return (
        _templates()
        .get_template("post_form.html")
        .render(
            primary=_primary_colour(),
            action=_route(path),
            form_class=form_class,
            fields=tuple(_in_words(field) for field in fields),
            button=button,
            primary_button=primary,
            next=_next_path(path),
        )
    )


def _in_words(field: dict[str, str]) -> dict[str, str]:
    """A form field with its label in this run's language."""
    label = field["label"]
    return {**field, "label": _(label)}


def _refusal() -> str | None:
    """Why the last sign-in was refused, as the route put it in the address."""
    reason = st.query_params.get(SIGN_IN_PARAM)
    if reason == "refused":
        return _(REFUSED)
    if reason == "wait":
        retry = str(st.query_params.get(RETRY_PARAM) or "")
        seconds = max(1, whole_number(retry, most_digits=6) or 1)
        wait = ngettext("{count} second", "{count} seconds", seconds).format(count=seconds)
        if seconds >= 90:
            minutes = -(-seconds // 60)
            wait = ngettext("{count} minute", "{count} minutes", minutes).format(count=minutes)
        return _(
            "Too many wrong passwords for this email. For your safety, try again in {wait}."
        ).format(wait=wait)
    return None


def _password_form() -> None:
    column = st.columns([1, 2, 1])[1]
    column.title(_("Sign in to Quarterdeck"))
    refusal = _refusal()
    if refusal:
        column.error(refusal)
    with read_session() as session:
        ready = anyone_can_sign_in(session=session)
    if not ready:
        column.info(
            _(
                "No one has a password yet. Whoever runs the server sets the first director's "
                "password with `python -m planning set-password EMAIL`."
            )
        )
    column.html(
        _post_form(
            SIGN_IN_PATH,
            button=_("Sign in"),
            form_class="qd-sign-in",
            fields=SIGN_IN_FIELDS,
            primary=True,
        )
    )
    column.caption(_("Forgot your password? Ask your director to reset it in Admin → People."))


# --- OpenID Connect mode -------------------------------------------------------------------------


def _oidc_person() -> PersonRead:
    if not st.user.is_logged_in:
        _gate(_oidc_sign_in_page, _("Sign in"))
    email = normalise_email(st.user.get("email"))
    by_email = {normalise_email(p.email): p for p in _team(versions()).values()}
    person = _own(by_email.get(email)) if email else None
    if person is None:
        _gate(_no_access_page, _("Ask for access"))
    assert person is not None
    _signed_in_as(person)
    if st.sidebar.button(_("Sign out"), key="sign_out", icon=":material/logout:"):
        st.logout()
    return person


def _oidc_provider() -> str | None:
    return app_config().settings.auth.oidc_provider or None


NOT_SET_UP = N_(
    "Sign-in is not set up on this server: .streamlit/secrets.toml needs an [auth] section for "
    "your identity provider (see the README)."
)


def _oidc_sign_in_page() -> None:
    column = st.columns([1, 2, 1])[1]
    column.title(_("Sign in to Quarterdeck"))
    column.write(_("Quarterdeck uses your company account: sign in with your identity provider."))
    if column.button(_("Sign in"), type="primary", key="oidc_sign_in", icon=":material/login:"):
        try:
            st.login(_oidc_provider())
        except Exception as exc:  # st.login refuses a missing or incomplete [auth] this way
            column.error(_(NOT_SET_UP) + "\n\n" + escape_markdown(str(exc)))


def _no_access_page() -> None:
    email = st.user.get("email")
    column = st.columns([1, 2, 1])[1]
    column.title(_("Ask your director for access"))
    if email:
        column.write(
            _("You are signed in as **{email}**, but no one on the team has that email.").format(
                email=escape_markdown(str(email))
            )
        )
    else:
        column.write(_("Your identity provider did not tell Quarterdeck your email address."))
    column.write(
        _(
            "Ask your director to add you (or your current email) in Admin → People. Then sign "
            "in again."
        )
    )
    if column.button(_("Sign out"), key="no_access_sign_out", icon=":material/logout:"):
        st.logout()
