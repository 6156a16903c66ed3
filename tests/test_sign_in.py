"""Sign-in modes and role-aware navigation under AppTest on a copy of the demo store.

demo: the picker, labelled demo mode; password: the form alone until a session cookie names a
person; oidc: st.login's user matched to the team by email, or the "ask your director" page.
For each role, the pages it may open open, and every other page's URL shows its landing page.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

import ui.identity
from planning.access.passwords import attempt_sign_in, end_session, start_session
from planning.access.people import set_password
from planning.config import load_config
from planning.store.engine import session_scope
from planning.store.models import PersonRead, Role
from tests.app_pages import first_active
from tests.config_support import use_sign_in_mode as use_mode
from ui.navigation import page_access

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TITLES = {
    "pages/this_week.py": "This week",
    "pages/goals.py": "Goals",
    "pages/planning.py": "Weekly planning",
    "pages/initiatives.py": "Initiatives",
    "pages/roadmap.py": "Roadmap",
    "pages/metrics.py": "Metrics",
    "pages/impact.py": "Impact",
    "pages/admin.py": "Admin",
}
PASSWORD = "a long enough secret"
# The page table of ui/navigation.py's docstring and the README: who opens which page, and
# where a page the role may not open leads instead.
PAGES_OF = {
    Role.director: set(TITLES),
    Role.member: set(TITLES) - {"pages/planning.py", "pages/admin.py"},
    Role.stakeholder: {
        "pages/this_week.py",
        "pages/goals.py",
        "pages/roadmap.py",
        "pages/metrics.py",
    },
}
FALLBACK_OF = {
    Role.director: "pages/this_week.py",
    Role.member: "pages/this_week.py",
    Role.stakeholder: "pages/roadmap.py",
}


@pytest.fixture
def store(app_engine: Engine) -> Engine:
    return app_engine


def titles(at: AppTest) -> list[str]:
    return [t.value for t in at.title]


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [e.value for e in at.error]
    parts += [i.value for i in at.info] + [w.value for w in at.warning]
    return "\n".join(str(p) for p in parts)


# --- roles and pages ---------------------------------------------------------------------------


def test_a_stakeholders_menu_shows_only_their_pages(store: Engine) -> None:
    access = page_access(first_active(store, Role.stakeholder))
    assert access("pages/this_week.py") == {"default": True, "visibility": "visible"}
    assert access("pages/roadmap.py") == {"default": False, "visibility": "visible"}
    assert access("pages/goals.py") == {"default": False, "visibility": "visible"}
    assert access("pages/admin.py") == {"default": False, "visibility": "hidden"}
    assert page_access(None)("pages/planning.py")["visibility"] == "hidden"  # nobody yet


@pytest.mark.parametrize("role", list(Role))
def test_each_role_reaches_its_pages_and_lands_home_from_the_others(
    store: Engine, role: Role
) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["demo_person_id"] = first_active(store, role).id
    at.run()
    assert titles(at) == ["This week"]
    fallback = TITLES[FALLBACK_OF[role]]
    for page, title in TITLES.items():
        at.switch_page(page).run()
        assert not at.exception, (role, page)
        expected = title if page in PAGES_OF[role] else fallback
        assert titles(at) == [expected], (role, page)


def test_a_member_typing_admin_never_sees_it(store: Engine) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["demo_person_id"] = first_active(store, Role.member).id
    at.run()
    at.switch_page("pages/admin.py").run()
    assert titles(at) == ["This week"]
    assert "Admin is for directors only" not in texts(at)
    assert not at.tabs and not at.file_uploader


# --- demo mode ---------------------------------------------------------------------------------


def test_demo_mode_is_the_default_and_says_so(store: Engine) -> None:
    assert load_config().settings.auth.mode == "demo"
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert "**Demo mode**" in [m.value for m in at.sidebar.markdown]
    picker = at.sidebar.selectbox(key="demo_person_id")
    assert picker.label == "Acting as" and len(picker.options) == 7
    director = first_active(store, Role.director)
    assert picker.value == director.id and titles(at) == ["This week"]
    at.switch_page("pages/admin.py").run()
    assert titles(at) == ["Admin"]
    # Acting as the stakeholder instead, Admin's address leads to the Roadmap.
    at.sidebar.selectbox(key="demo_person_id").set_value(first_active(store, Role.stakeholder).id)
    at.run()
    assert titles(at) == ["Roadmap"]


def test_the_person_acted_as_is_kept_in_the_address_for_a_reload(store: Engine) -> None:
    member = first_active(store, Role.member)
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.sidebar.selectbox(key="demo_person_id").set_value(member.id).run()
    assert at.query_params["as"] == str(member.id)
    # A reload is a new session on the same address: it acts as the same person.
    reloaded = AppTest.from_file(APP, default_timeout=60)
    reloaded.query_params["as"] = str(member.id)
    reloaded.run()
    assert reloaded.sidebar.selectbox(key="demo_person_id").value == member.id
    # An address naming nobody on the team starts as the first person, as before.
    stray = AppTest.from_file(APP, default_timeout=60)
    stray.query_params["as"] = "not-a-person"
    stray.run()
    assert not stray.exception
    director = first_active(store, Role.director)
    assert stray.sidebar.selectbox(key="demo_person_id").value == director.id
    assert stray.query_params["as"] == str(director.id)


def test_switching_to_a_stakeholder_lands_on_the_roadmap(store: Engine) -> None:
    stakeholder = first_active(store, Role.stakeholder)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert titles(at) == ["This week"]  # a page stakeholders may open too
    at.sidebar.selectbox(key="demo_person_id").set_value(stakeholder.id).run()
    assert titles(at) == ["Roadmap"]
    assert at.sidebar.selectbox(key="demo_person_id").value == stakeholder.id
    assert at.query_params["as"] == str(stakeholder.id)
    at.switch_page("pages/goals.py").run()  # and from there the stakeholder goes where they like
    assert titles(at) == ["Goals"]


# --- password mode -----------------------------------------------------------------------------


def give_password(engine: Engine, person: PersonRead) -> None:
    with session_scope(engine) as session:
        set_password(
            session=session,
            actor=None,
            person_id=person.id,
            password=PASSWORD,
            settings=load_config().settings.auth,
        )


def open_session(engine: Engine, email: str) -> str:
    settings = load_config().settings.auth
    with session_scope(engine) as session:
        outcome = attempt_sign_in(
            session=session, email=email, password=PASSWORD, settings=settings
        )
        token = start_session(session=session, code=outcome.code or "", settings=settings)
    assert token is not None
    return token


def html_bodies(at: AppTest) -> str:
    return "\n".join(str(h.proto.body) for h in at.get("html"))


def test_password_mode_shows_the_form_and_nothing_else(
    store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_mode(tmp_path, monkeypatch, "password")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert titles(at) == ["Sign in to Quarterdeck"]
    assert "python -m planning set-password EMAIL" in texts(at)  # nobody has a password yet
    assert len(at.sidebar) == 0  # no picker, no pages
    # A plain form the browser posts to the server itself: the password never reaches a script.
    form = html_bodies(at)
    assert '<form method="post" action="/session/sign-in"' in form
    assert 'name="email"' in form and 'type="password" name="password"' in form
    assert not at.text_input
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/admin.py")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"signin": "refused"}, "That email and password do not match an active account."),
        (
            {"signin": "wait", "retry": "30"},
            "Too many wrong passwords for this email. For your safety, try again in 30 seconds.",
        ),
        (
            {"signin": "wait", "retry": "900"},
            "Too many wrong passwords for this email. For your safety, try again in 15 minutes.",
        ),
        (  # "²" passes str.isdigit but not int(): the sign-in page showed an error instead
            {"signin": "wait", "retry": "²"},
            "Too many wrong passwords for this email. For your safety, try again in 1 second.",
        ),
    ],
)
def test_the_form_says_why_the_last_try_was_refused(
    store: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    query: dict[str, str],
    message: str,
) -> None:
    use_mode(tmp_path, monkeypatch, "password")
    give_password(store, first_active(store, Role.member))
    at = AppTest.from_file(APP, default_timeout=60)
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    assert "set-password" not in texts(at)
    assert [e.value for e in at.error] == [message]
    assert titles(at) == ["Sign in to Quarterdeck"]


def test_a_session_cookie_signs_the_person_in_until_it_ends(
    store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_mode(tmp_path, monkeypatch, "password")
    stakeholder = first_active(store, Role.stakeholder)
    give_password(store, stakeholder)
    token = open_session(store, stakeholder.email)
    monkeypatch.setattr(ui.identity, "_session_token", lambda: token)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert titles(at) == ["This week"]
    assert f"Signed in as {stakeholder.name}" in at.sidebar.caption[0].value.replace("\\", "")
    assert '<form method="post" action="/session/end"' in html_bodies(at)  # the sign-out
    at.switch_page("pages/planning.py").run()
    assert titles(at) == ["Roadmap"]
    # Once /session/end has ended the session, the next run shows the form again.
    with session_scope(store) as session:
        assert end_session(session=session, token=token)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert titles(at) == ["Sign in to Quarterdeck"]


# --- OpenID Connect mode -----------------------------------------------------------------------


def test_oidc_mode_asks_to_sign_in_with_the_provider(
    store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_mode(tmp_path, monkeypatch, "oidc")
    at = AppTest.from_file(APP, default_timeout=60)
    at.user = {"is_logged_in": False}
    at.run()
    assert titles(at) == ["Sign in to Quarterdeck"] and len(at.sidebar) == 0
    at.button(key="oidc_sign_in").click().run()
    # No [auth] section in this test's secrets: a clear message instead of a traceback.
    assert not at.exception
    assert "needs an [auth] section" in at.error[0].value.replace("\\", "")


@pytest.mark.parametrize(
    ("role", "fallback"), [(Role.member, "This week"), (Role.stakeholder, "Roadmap")]
)
def test_oidc_email_is_matched_to_the_team(
    store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, role: Role, fallback: str
) -> None:
    use_mode(tmp_path, monkeypatch, "oidc")
    person = first_active(store, role)
    at = AppTest.from_file(APP, default_timeout=60)
    at.user = {"is_logged_in": True, "email": f" {person.email.upper()} ", "name": person.name}
    at.run()
    assert not at.exception
    assert titles(at) == ["This week"]
    assert f"Signed in as {person.name}" in at.sidebar.caption[0].value.replace("\\", "")
    at.switch_page("pages/admin.py").run()
    assert titles(at) == [fallback]


def test_an_unknown_email_is_told_to_ask_the_director_and_sees_nothing_else(
    store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_mode(tmp_path, monkeypatch, "oidc")
    at = AppTest.from_file(APP, default_timeout=60)
    at.user = {"is_logged_in": True, "email": "stranger@elsewhere.example", "name": "Stranger"}
    at.run()
    assert not at.exception
    assert titles(at) == ["Ask your director for access"]
    assert "stranger@elsewhere" in texts(at).replace("\\", "")
    assert len(at.sidebar) == 0 and not at.dataframe and not at.metric
    assert [b.label for b in at.button] == ["Sign out"]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/roadmap.py")


def test_a_reminders_link_survives_signing_in(
    store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sign-in form sends the browser back with the link's `nudge`, so its form opens."""
    use_mode(tmp_path, monkeypatch, "password")
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["nudge"] = "abc.DEF_-1"
    at.run()
    assert not at.exception
    assert '<input type="hidden" name="next" value="/?nudge=abc.DEF_-1">' in html_bodies(at)
