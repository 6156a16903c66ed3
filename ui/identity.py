"""Who is using the app, signed in the way settings.yaml chooses (auth.mode):

- demo: a sidebar picker of the team, labelled demo mode, to try every role on one machine;
- password: a sign-in form; the sign-in lives in an HttpOnly cookie that server.py's
  /session/start route sets (see api/sign_in.py), so it lasts across reloads until sign-out;
- oidc: Streamlit's st.login with the provider in .streamlit/secrets.toml; the signed-in email
  must belong to an active person of the team, else the visitor sees how to ask for access.

app.py calls sign_in() once per run, before navigation: it returns the person, or shows the
sign-in (or no-access) page and stops the run. Pages call current_person().
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn

import streamlit as st
from sqlmodel import Session
from streamlit.delta_generator import DeltaGenerator
from streamlit.errors import StreamlitAuthError
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.scriptrunner import get_script_run_ctx

from planning.auth import (
    END_PATH,
    SESSION_COOKIE,
    START_PATH,
    anyone_can_sign_in,
    attempt_sign_in,
    end_session,
    normalise_email,
    person_for_session,
)
from planning.models import PersonRead, Role
from planning.people import list_people
from planning.store import read_engine, session_scope
from ui.navigation import PAGES_BY_ROLE
from ui.state import Versions, app_config, engine, shared_read, versions
from ui.text import escape_markdown

ROLE_LABELS = {"director": "Director", "member": "Member", "stakeholder": "Stakeholder"}
PICKER_KEY = "demo_person_id"
ACTING_KEY = "_acting_person_id"
SIGN_IN_FORM = "password_sign_in"
EXPIRED_PARAM = "signin"


@shared_read(ttl=600, max_entries=16)
def _people(versions: Versions) -> tuple[PersonRead, ...]:
    """The team, read once per data version and shared by every run (read-only)."""
    del versions
    with Session(read_engine(engine())) as session:
        return tuple(list_people(session=session))


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
    return next((p for p in _people(versions()) if p.id == acting), None)


# --- shared pieces ------------------------------------------------------------------------------


def _base_path() -> str:
    """The app's front page path as the browser sees it ("/" or "/base/")."""
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/" if base else "/"


def _send_browser_to(url: str) -> None:
    """Load another address in this browser tab (the message st.login uses to reach a provider)."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return
    message = ForwardMsg()
    message.auth_redirect.url = url
    ctx.enqueue(message)


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


def _signed_in_as(person: PersonRead, sign_out: Callable[[], None]) -> None:
    with st.sidebar:
        st.caption(
            escape_markdown(f"Signed in as {person.name} · {ROLE_LABELS[person.role.value]}")
        )
        if st.button("Sign out", key="sign_out", icon=":material/logout:"):
            sign_out()


# --- demo mode -----------------------------------------------------------------------------------


def _demo_person() -> PersonRead | None:
    """The sidebar picker: anyone can act as anyone (demo mode)."""
    people = _people(versions())
    if not people:
        return None
    by_id = {p.id: p for p in people}
    if st.session_state.get(PICKER_KEY) not in by_id:
        st.session_state[PICKER_KEY] = people[0].id
    with st.sidebar:
        st.markdown("**Demo mode**")
        st.selectbox(
            "Acting as",
            list(by_id),
            format_func=lambda pid: f"{by_id[pid].name} · {ROLE_LABELS[by_id[pid].role.value]}",
            key=PICKER_KEY,
            help=(
                "Demo mode: try each role on one machine; anyone can act as anyone. Set "
                "auth.mode in config/settings.yaml to password or oidc for real sign-in."
            ),
        )
    return by_id[st.session_state[PICKER_KEY]]


# --- password mode -------------------------------------------------------------------------------


def _session_token() -> str | None:
    """The sign-in token from the browser's HttpOnly cookie, if it sent one."""
    try:
        token = st.context.cookies.get(SESSION_COOKIE)
    except Exception:  # no browser behind this run (e.g. a test harness)
        return None
    return token if isinstance(token, str) and token else None


def _password_person() -> PersonRead:
    token = _session_token()
    with Session(read_engine(engine())) as session:
        person = person_for_session(session=session, token=token)
    if person is None:
        _gate(_password_form, "Sign in")

    def sign_out() -> None:
        with session_scope(engine()) as session:
            end_session(session=session, token=token)
        _send_browser_to(f"{END_PATH}?next={_base_path()}")
        st.stop()

    assert person is not None
    _signed_in_as(person, sign_out)
    return person


def _narrow() -> DeltaGenerator:
    """A centred column for the sign-in pages, which hold little."""
    return st.columns([1, 2, 1])[1]


def _password_form() -> None:
    settings = app_config().settings.auth
    column = _narrow()
    column.title("Sign in to Quarterdeck")
    if st.query_params.get(EXPIRED_PARAM) == "expired":
        column.warning("That sign-in took too long to complete. Please sign in again.")
    with Session(read_engine(engine())) as session:
        ready = anyone_can_sign_in(session=session)
    if not ready:
        column.info(
            "No one has a password yet. Whoever runs the server sets the first director's "
            "password with `python -m planning set-password EMAIL`."
        )
    with column.form(SIGN_IN_FORM, enter_to_submit=True):
        email = st.text_input("Email", key="sign_in_email", autocomplete="email")
        password = st.text_input(
            "Password", type="password", key="sign_in_password", autocomplete="current-password"
        )
        submitted = st.form_submit_button("Sign in", type="primary")
    message = column.empty()
    column.caption("Forgot your password? Ask your director to reset it in Admin → People.")
    if not submitted:
        return
    if not normalise_email(email) or not password:
        message.error("Enter your email and your password.")
        return
    with session_scope(engine()) as session:
        outcome = attempt_sign_in(
            session=session, email=email, password=password, settings=settings
        )
    if not outcome.ok:
        message.error(outcome.message)
        return
    message.info("Signing you in…")
    _send_browser_to(f"{START_PATH}?code={outcome.code}&next={_base_path()}")


# --- OpenID Connect mode -------------------------------------------------------------------------


def _oidc_person() -> PersonRead:
    if not st.user.is_logged_in:
        _gate(_oidc_sign_in_page, "Sign in")
    email = normalise_email(st.user.get("email"))
    by_email = {normalise_email(p.email): p for p in _people(versions())}
    person = by_email.get(email) if email else None
    if person is None:
        _gate(_no_access_page, "Ask for access")
    assert person is not None
    _signed_in_as(person, st.logout)
    return person


def _oidc_provider() -> str | None:
    return app_config().settings.auth.oidc_provider or None


def _oidc_sign_in_page() -> None:
    column = _narrow()
    column.title("Sign in to Quarterdeck")
    column.write("Quarterdeck uses your company account: sign in with your identity provider.")
    if column.button("Sign in", type="primary", key="oidc_sign_in", icon=":material/login:"):
        try:
            st.login(_oidc_provider())
        except StreamlitAuthError as exc:
            column.error(
                "Sign-in is not set up on this server: .streamlit/secrets.toml needs an [auth] "
                "section for your identity provider (see the README).\n\n"
                + escape_markdown(str(exc))
            )


def _no_access_page() -> None:
    email = st.user.get("email")
    column = _narrow()
    column.title("Ask your director for access")
    if email:
        column.write(
            f"You are signed in as **{escape_markdown(str(email))}**, but no one on the team "
            "has that email."
        )
    else:
        column.write("Your identity provider did not tell Quarterdeck your email address.")
    column.write(
        "Ask your director to add you (or your current email) in Admin → People. Then sign "
        "in again."
    )
    if column.button("Sign out", key="no_access_sign_out", icon=":material/logout:"):
        st.logout()
