"""The first-run setup page: on a store with nobody on the team, app.py shows it in place of the
app, whatever page was opened, until the team exists.

Two ways on: load the demo data set (it brings its own team, so it only loads while the store is
empty), or add the first director (with a password in password mode) and, optionally, the rest
of the team; data is then connected in Admin → Data import. The fiscal year and currency stay in
config/settings.yaml, which the page shows.
"""

from __future__ import annotations

import calendar

import streamlit as st

from planning import clock, i18n
from planning.access.people import EMAIL_MAX, NAME_MAX
from planning.access.permissions import is_director
from planning.demo.loader import DemoAlreadyLoaded, load_demo
from planning.demo.story_goals import TEAM
from planning.formatting import format_count
from planning.i18n import gettext as _
from planning.i18n import ngettext
from planning.startup.first_run import NewPerson, needs_setup, parse_team, set_up_team
from planning.store.engine import session_scope
from planning.store.models import PersonRead, Role
from planning.validation import InputError
from ui.flash import flash_after_write
from ui.identity import CHOSEN_KEY
from ui.navigation import PAGES_BY_ROLE
from ui.state import Versions, app_config, engine, read_session, shared_read, versions
from ui.text import escape_markdown

JUST_SET_UP = "_just_set_up"  # what the next run says once setup is done
TEAM_EXAMPLE = "Grace Hopper, grace@example.com, member\nAlan Turing, alan@example.com, stakeholder"


@shared_read(ttl=600, max_entries=16)
def _empty_team(versions: Versions) -> bool:
    del versions
    with read_session() as session:
        return needs_setup(session=session)


def set_up_if_needed() -> None:
    """On a store with nobody on the team, show the setup page in place of the app and stop."""
    if not _empty_team(versions()):
        return
    paths = sorted(
        p.removeprefix("pages/").removesuffix(".py") for p in PAGES_BY_ROLE[Role.director]
    )
    title = _("Set up Quarterdeck")
    pages = [st.Page(_setup_page, title=title, url_path="setup", default=True)]
    pages += [st.Page(_setup_page, title=title, url_path=p, visibility="hidden") for p in paths]
    st.navigation(pages, position="hidden").run()
    st.stop()


def announce_setup() -> None:
    """Once, after setup: say what was done and what comes next."""
    done = st.session_state.pop(JUST_SET_UP, None)
    if done:
        st.toast(done, icon=":material/check_circle:")


def _setup_page() -> None:
    config = app_config()
    password_mode = config.settings.auth.mode == "password"
    st.title(_("Set up Quarterdeck"))
    st.write(
        _(
            "Nobody is on the team yet, so this store is new. Try Quarterdeck with the demo "
            "data, or set up your own team and then connect your data."
        )
    )
    demo, own = st.columns(2, gap="large")
    with demo, st.container(border=True):
        _demo_choice(password_mode)
    with own, st.container(border=True):
        _team_form(password_mode)


def _demo_choice(password_mode: bool) -> None:
    config = app_config()
    st.subheader(_("Try the demo"))
    st.write(
        _(
            "A made-up online shop with {years} years of daily data, a team of {people}, goals, "
            "initiatives and a roadmap. It only loads into an empty store."
        ).format(years=config.settings.demo.years, people=len(TEAM))
    )
    if password_mode:
        st.caption(
            _(
                "Password mode: the demo team has no passwords; whoever runs the server gives "
                "one with `python -m planning set-password EMAIL`."
            )
        )
    if st.button(_("Load the demo data"), key="setup_load_demo", icon=":material/science:"):
        try:
            with st.spinner(_("Loading the demo data…")):
                load_demo(
                    engine=engine(),
                    config=config,
                    seed=config.settings.demo.seed,
                    today=clock.today(),
                )
        except DemoAlreadyLoaded as exc:
            st.error(
                _("The demo data was not loaded: {reason}.").format(
                    reason=escape_markdown(str(exc))
                )
            )
            return
        flash_after_write(JUST_SET_UP, _("The demo data is loaded."))


def _settings_note() -> str:
    settings = app_config().settings
    month = (
        calendar.month_name[settings.fiscal_year_start_month]
        if i18n.english_formats()
        else i18n.month_name(settings.fiscal_year_start_month)
    )
    return _(
        "The fiscal year starts in **{month}** and amounts are in **{currency}** ({symbol}). "
        "These live in `config/settings.yaml` (`fiscal_year_start_month`, `currency`, "
        "`currency_symbol`, `locale`): change them there and restart the server before you "
        "set goals, as quarters and amounts follow them."
    ).format(
        month=month,
        currency=settings.currency,
        symbol=escape_markdown(settings.currency_symbol),
    )


def _team_form(password_mode: bool) -> None:
    st.subheader(_("Set up your team"))
    with st.form("setup_team", border=False):
        name = st.text_input(_("Your name"), max_chars=NAME_MAX, key="setup_name")
        email = st.text_input(_("Your email"), max_chars=EMAIL_MAX, key="setup_email")
        password = repeat = ""
        if password_mode:
            password = st.text_input(_("Password"), type="password", key="setup_password")
            repeat = st.text_input(_("Repeat the password"), type="password", key="setup_repeat")
        team_text = st.text_area(
            _("The rest of the team (optional)"),
            key="setup_team_text",
            placeholder=TEAM_EXAMPLE,
            help=_(
                "One person a line: name, email and role (director, member or stakeholder; "
                "member if left out). You can add and change people later in Admin → People."
            ),
        )
        st.caption(
            _("You become the team's first director.") + " " + _settings_note(),
        )
        submitted = st.form_submit_button(_("Set up"), type="primary", icon=":material/check:")
    if submitted:
        _set_up(name, email, password if password_mode else None, repeat, team_text)


def _set_up(name: str, email: str, password: str | None, repeat: str, team_text: str) -> None:
    settings = app_config().settings.auth
    team, problems = parse_team(team_text)
    if password is not None and password != repeat:
        problems.append(_("the two passwords differ"))
    try:
        if problems:
            raise InputError(problems)
        with session_scope(engine()) as session:
            added = set_up_team(
                session=session,
                director=NewPerson(name, email),
                team=team,
                password=password,
                settings=settings,
            )
    except InputError as exc:
        lines = "\n".join(f"- {escape_markdown(p)}" for p in exc.problems)
        st.error(_("Nothing was saved:") + f"\n{lines}")
        return
    director = added[0]
    st.session_state[CHOSEN_KEY] = director.id  # demo mode acts as the new director
    message = ngettext(
        "Quarterdeck is set up with {count} person.",
        "Quarterdeck is set up with {count} people.",
        len(added),
    ).format(count=format_count(len(added))) + (
        " " + _("Sign in with your email and password.") if password is not None else ""
    )
    flash_after_write(JUST_SET_UP, message)


def connect_data_step(person: PersonRead | None, *, what: str | None = None) -> None:
    """An empty store's next step: a director connects data in Admin; others ask a director."""
    what = what or _("This store holds no data yet")
    if person is not None and is_director(person):
        st.info(
            _(
                "{what}. Upload a CSV of daily observations in Admin → Data import (a preview "
                "shows what would change before anything is written), send them to the API, or "
                "run `python -m planning import FILE`; this page updates by itself."
            ).format(what=what),
            icon=":material/database:",
        )
        st.page_link(
            "pages/admin.py", label=_("Connect your data in Admin"), icon=":material/upload:"
        )
    else:
        st.info(
            _("{what}. A director connects it in Admin; this page updates by itself.").format(
                what=what
            ),
            icon=":material/database:",
        )
