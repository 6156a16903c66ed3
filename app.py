"""Quarterdeck router: page config, configuration check, sign-in and role-aware navigation.

Every page is given to st.navigation; the pages a role may not open are hidden from its menu and
their URLs lead to the role's fallback page (ui/navigation.py has the table).
"""

import streamlit as st

from planning.i18n import gettext as _
from ui.exposure import warn_if_open_to_network
from ui.identity import just_switched, sign_in
from ui.language import language_picker, start_language, use_language
from ui.navigation import open_page, page_access
from ui.setup import announce_setup, set_up_if_needed
from ui.share_access import open_shared_roadmap, share_link_requested
from ui.state import app_config, read_versions

st.set_page_config(page_title="Quarterdeck", page_icon="assets/favicon.png", layout="wide")
start_language()  # the team's formats; this session's language until the person is known
warn_if_open_to_network(app_config())  # demo mode reachable from a network says so
read_versions()  # once per run: every cached read of this run is keyed by these
if share_link_requested():
    open_shared_roadmap()  # a share link sees the Roadmap alone (or why it does not open)
set_up_if_needed()  # a store with nobody on the team opens the setup page instead
announce_setup()
person = sign_in()  # or the sign-in page, and the run stops there
use_language(person)  # the person's own language, else the team's
language_picker(person)
access = page_access(person)

navigation = st.navigation(
    [
        st.Page(
            "pages/this_week.py",
            title=_("This week"),
            icon=":material/today:",
            **access("pages/this_week.py"),
        ),
        st.Page(
            "pages/goals.py", title=_("Goals"), icon=":material/flag:", **access("pages/goals.py")
        ),
        st.Page(
            "pages/planning.py",
            title=_("Weekly planning"),
            icon=":material/view_kanban:",
            **access("pages/planning.py"),
        ),
        st.Page(
            "pages/initiatives.py",
            title=_("Initiatives"),
            icon=":material/checklist:",
            **access("pages/initiatives.py"),
        ),
        st.Page(
            "pages/roadmap.py",
            title=_("Roadmap"),
            icon=":material/timeline:",
            **access("pages/roadmap.py"),
        ),
        st.Page(
            "pages/metrics.py",
            title=_("Metrics"),
            icon=":material/monitoring:",
            **access("pages/metrics.py"),
        ),
        st.Page(
            "pages/impact.py",
            title=_("Impact"),
            icon=":material/insights:",
            **access("pages/impact.py"),
        ),
        st.Page(
            "pages/admin.py",
            title=_("Admin"),
            icon=":material/settings:",
            **access("pages/admin.py"),
        ),
    ]
)
open_page(navigation, person, switched=just_switched())
