"""Quarterdeck router: page config, configuration check, sign-in and navigation over pages/."""

import streamlit as st

from ui.identity import sign_in
from ui.state import app_config

st.set_page_config(page_title="Quarterdeck", page_icon="assets/favicon.png", layout="wide")
app_config()
sign_in()

navigation = st.navigation(
    [
        st.Page("pages/metrics.py", title="Metrics", icon=":material/monitoring:", default=True),
    ]
)
navigation.run()
