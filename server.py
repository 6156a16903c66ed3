"""Quarterdeck's server: the Streamlit app (app.py), the HTTP API (/api/v1/...) and password
sign-in's two routes (/session/sign-in, /session/end) on one port.

Start it with `streamlit run server.py` (scripts/start.sh does). app.py stays the app's router;
this module only adds the routes beside it and opens the store when the server starts.
"""

import streamlit as st

from api.routes import ApiContext, api_routes
from api.sign_in import sign_in_routes
from ui.preload import page_modules
from ui.routing import use_router_only

use_router_only()  # before any session: pages/ holds the router's pages, not pages of its own
page_modules()  # the pages' imports load now, not on the first visitor's page

context = ApiContext()
app = st.App(
    "app.py",
    routes=[*api_routes(context), *sign_in_routes(context)],
    lifespan=context.lifespan,
)
