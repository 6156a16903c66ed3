"""Opening Quarterdeck with a share link (`/?share=<token>`): the Roadmap and nothing else.

app.py asks share_link_requested() before anything else and, when it is, hands over to
open_shared_roadmap(), which never returns: a valid link runs a navigation that holds the Roadmap
alone (no sidebar, no identity picker, every other page's URL lands on the Roadmap too); an
expired, revoked or unknown link gets one clear message and nothing else. A browser session that
opened a share link stays in shared mode for its whole life, even if the query string loses the
token, and the token is checked again on every run, so a revoked link stops working at the
visitor's next click.
"""

from __future__ import annotations

from typing import NoReturn
from urllib.parse import urlsplit

import streamlit as st

from planning.access.share_links import SHARE_PARAM, LinkState, ShareLinkInfo, note_use, resolve
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.store.engine import session_scope
from ui.page_errors import run_guarded
from ui.state import engine, read_session

ROADMAP_PAGE = "pages/roadmap.py"
TOKEN_KEY = "_share_token"
LINK_KEY = "_share_link"
NOTED_KEY = "_share_noted"
REFUSALS = {
    LinkState.expired: N_(
        "This roadmap link has expired. Ask the person who sent it to you for a new one."
    ),
    LinkState.revoked: N_(
        "This roadmap link has been withdrawn by the team that shared it. Ask them for a new one "
        "if you still need access."
    ),
    LinkState.unknown: N_(
        "This roadmap link is not valid. Check that you opened the whole link as you received it."
    ),
}


def share_link_requested() -> bool:
    """Whether this run is for a share link (in the URL now, or opened earlier in this session)."""
    return bool(st.query_params.get(SHARE_PARAM)) or TOKEN_KEY in st.session_state


def shared_link() -> ShareLinkInfo | None:
    """The share link this session was opened with, when it is valid (for the Roadmap's header)."""
    link = st.session_state.get(LINK_KEY)
    return link if isinstance(link, ShareLinkInfo) else None


def app_base_url() -> str:
    """The address of the app's front page as the browser sees it (share links start with it)."""
    base_path = str(st.get_option("server.baseUrlPath") or "").strip("/")
    path = f"/{base_path}/" if base_path else "/"
    url = st.context.url
    if url:
        parts = urlsplit(url)
        if parts.scheme and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}{path}"
    return f"http://localhost:{st.get_option('server.port')}{path}"


def _refused_page() -> None:
    state = st.session_state.get("_share_state", LinkState.unknown)
    st.title(_("Quarterdeck roadmap"))
    st.error(_(REFUSALS.get(state, REFUSALS[LinkState.unknown])))


def open_shared_roadmap() -> NoReturn:
    """Show the Roadmap alone for a valid share link, or why the link does not open; then stop."""
    token = st.query_params.get(SHARE_PARAM) or st.session_state.get(TOKEN_KEY) or ""
    st.session_state[TOKEN_KEY] = token
    if st.query_params.get(SHARE_PARAM) != token:
        st.query_params[SHARE_PARAM] = token  # keep the link in the address bar
    with read_session() as session:
        resolution = resolve(session=session, token=token)
    st.session_state["_share_state"] = resolution.state
    if resolution.state != LinkState.valid or resolution.link is None:
        st.session_state.pop(LINK_KEY, None)
        st.navigation(
            [st.Page(_refused_page, title=_("Roadmap"), url_path="roadmap", default=True)],
            position="hidden",
        ).run()
        st.stop()
    st.session_state[LINK_KEY] = resolution.link
    if st.session_state.get(NOTED_KEY) != resolution.link.id:
        with session_scope(engine()) as session:
            note_use(session=session, link_id=resolution.link.id)
        st.session_state[NOTED_KEY] = resolution.link.id
    page = st.navigation(
        [st.Page(ROADMAP_PAGE, title=_("Roadmap"), icon=":material/timeline:", default=True)],
        position="hidden",
    )
    run_guarded(page.run, where="shared roadmap")
    st.stop()
