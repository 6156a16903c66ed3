"""Quarterdeck's server: the Streamlit app (app.py) and the HTTP API (/api/v1/...) on one port.

Start it with `streamlit run server.py` (scripts/start.sh does). app.py stays the app's router;
this module only adds the API routes beside it and opens the store when the server starts.
"""

import streamlit as st

from api.routes import ApiContext, api_routes

context = ApiContext()
app = st.App("app.py", routes=api_routes(context), lifespan=context.lifespan)
