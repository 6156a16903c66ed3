"""Quarterdeck router: page config, configuration check, sign-in and role-aware navigation.

Every page is given to st.navigation; the pages a role may not open are hidden from its menu and
their URLs lead to the role's fallback page (ui/navigation.py has the table).
"""

import streamlit as st

from planning.i18n import N_
from planning.i18n import gettext as _
from ui.downloads import keep_held
from ui.exposure import warn_if_open_to_network
from ui.identity import just_switched, sign_in
from ui.language import language_picker, start_language, use_language
from ui.navigation import open_page, page_access
from ui.setup import announce_setup, set_up_if_needed
from ui.share_access import open_shared_roadmap, share_link_requested
from ui.state import app_config, read_versions

# The menu, in its order: (page file, title, icon). bench/pages.py reads the files from this table.
PAGES = (
    ("pages/this_week.py", N_("This week"), ":material/today:"),
    ("pages/goals.py", N_("Goals"), ":material/flag:"),
    ("pages/planning.py", N_("Weekly planning"), ":material/view_kanban:"),
    ("pages/initiatives.py", N_("Initiatives"), ":material/checklist:"),
    ("pages/roadmap.py", N_("Roadmap"), ":material/timeline:"),
    ("pages/metrics.py", N_("Metrics"), ":material/monitoring:"),
    ("pages/impact.py", N_("Impact"), ":material/insights:"),
    ("pages/admin.py", N_("Admin"), ":material/settings:"),
)

st.set_page_config(page_title="Quarterdeck", page_icon="assets/favicon.png", layout="wide")
keep_held()  # the files this session's download buttons just built stay until fetched
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
    [st.Page(path, title=_(title), icon=icon, **access(path)) for path, title, icon in PAGES]
)
open_page(navigation, person, switched=just_switched())
