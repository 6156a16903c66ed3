"""Quarterdeck router: page config, configuration check, sign-in and navigation over pages/."""

import streamlit as st

from ui.identity import sign_in
from ui.routing import enter_router
from ui.share_access import open_shared_roadmap, share_link_requested
from ui.state import app_config

enter_router()
st.set_page_config(page_title="Quarterdeck", page_icon="assets/favicon.png", layout="wide")
app_config()
if share_link_requested():
    open_shared_roadmap()  # a share link sees the Roadmap alone (or why it does not open)
sign_in()

navigation = st.navigation(
    [
        st.Page("pages/this_week.py", title="This week", icon=":material/today:", default=True),
        st.Page("pages/goals.py", title="Goals", icon=":material/flag:"),
        st.Page("pages/planning.py", title="Weekly planning", icon=":material/view_kanban:"),
        st.Page("pages/initiatives.py", title="Initiatives", icon=":material/checklist:"),
        st.Page("pages/roadmap.py", title="Roadmap", icon=":material/timeline:"),
        st.Page("pages/metrics.py", title="Metrics", icon=":material/monitoring:"),
        st.Page("pages/impact.py", title="Impact", icon=":material/insights:"),
        st.Page("pages/admin.py", title="Admin", icon=":material/settings:"),
    ]
)
navigation.run()
