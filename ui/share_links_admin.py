"""Admin's "Share links" tab: create a read-only roadmap link (shown in full once), list every
link with its state, and revoke one. Directors only (the Admin page checks; the domain refuses
anyone else anyway)."""

from __future__ import annotations

import pyarrow as pa
import streamlit as st

from planning.access.permissions import PermissionDenied
from planning.access.share_links import (
    DEFAULT_VALID_DAYS,
    LABEL_MAX,
    MAX_VALID_DAYS,
    LinkState,
    ShareLinkInfo,
    create_share_link,
    list_share_links,
    revoke_share_link,
    share_url,
)
from planning.formatting import format_local_moment
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.store.models import PersonRead
from planning.validation import InputError
from ui.confirm_write import run_write
from ui.flash import flash_after_write, show_flash, show_secret_once
from ui.share_access import app_base_url
from ui.state import Versions, clear_after_write, forget_inputs, read_session
from ui.tables import show_table
from ui.text import escape_markdown, moment_text

NEW_LINK = "admin_new_share_link"
FLASH = "admin_share_flash"
REFUSALS = (InputError, PermissionDenied)
STATE_LABELS = {
    LinkState.valid: N_("active"),
    LinkState.expired: N_("expired"),
    LinkState.revoked: N_("revoked"),
}


# A link's last use changes without a data version, so this entry lives a minute at most.
@st.cache_data(ttl=60, max_entries=16, show_spinner=False)
def _links(versions: Versions) -> list[ShareLinkInfo]:
    del versions
    with read_session() as session:
        return list_share_links(session=session)


def share_links_tab(person: PersonRead, versions: Versions) -> None:
    """The tab's content: the new link (once), the create form, the list and the revoke form."""
    st.subheader(_("Share links"))
    st.caption(
        _(
            "A share link opens the Roadmap, read-only, for someone without an account: nothing "
            "else in Quarterdeck is reachable with it. The link is shown once, when it is "
            "created; only a digest of it is stored. Links expire, and can be revoked at any "
            "time."
        )
    )
    show_flash(FLASH)
    new_link = st.session_state.get(NEW_LINK)
    if new_link is not None:
        show_secret_once(
            _(
                "Link “{label}” created, valid until {expires}. Copy it now: it will not be "
                "shown again."
            ).format(label=escape_markdown(new_link["label"]), expires=new_link["expires"]),
            new_link["url"],
            state_key=NEW_LINK,
            key="admin_share_copied",
        )

    with st.form("admin_new_share_form"):
        st.markdown("**" + _("New share link") + "**")
        cols = st.columns([3, 1])
        label = cols[0].text_input(
            _("Label"),
            max_chars=LABEL_MAX,
            placeholder=_("e.g. Board pack, December"),
            help=_("Who the link is for; only directors see it."),
            key="admin_share_label",
        )
        days = cols[1].number_input(
            _("Valid for (days)"),
            min_value=1,
            max_value=MAX_VALID_DAYS,
            value=DEFAULT_VALID_DAYS,
            step=1,
            key="admin_share_days",
        )
        create = st.form_submit_button(_("Create share link"), type="primary")
    if create:
        created = run_write(
            lambda session: create_share_link(
                session=session, actor=person, label=label, valid_days=int(days)
            ),
            refusals=REFUSALS,
        )
        if created is not None:
            clear_after_write()
            st.session_state[NEW_LINK] = {
                "label": created.link.label,
                "expires": format_local_moment(created.link.expires_at),
                "url": share_url(base_url=app_base_url(), token=created.token),
            }
            forget_inputs(("admin_share_label",))
            st.rerun()

    links = _links(versions)
    if not links:
        st.info(_("No share links yet."))
        return
    show_table(
        pa.Table.from_pylist(
            [
                {
                    _("label"): link.label,
                    _("created by"): link.created_by_name,
                    _("created (UTC)"): moment_text(link.created_at),
                    _("expires (UTC)"): moment_text(link.expires_at),
                    _("last opened (UTC)"): moment_text(link.last_used_at) or _("never"),
                    _("state"): _(STATE_LABELS.get(link.state(), link.state().value)),
                }
                for link in links
            ]
        )
    )
    active = {link.id: link for link in links if link.state() == LinkState.valid}
    if not active:
        return
    with st.form("admin_revoke_share_form"):
        chosen = st.selectbox(
            _("Revoke a link"),
            list(active),
            format_func=lambda i: _("{label} (expires {moment})").format(
                label=active[i].label, moment=format_local_moment(active[i].expires_at)
            ),
            help=_("Anyone holding it sees a “withdrawn” message from their next click on."),
            key="admin_share_revoke",
        )
        revoke = st.form_submit_button(_("Revoke link"))
    if revoke and chosen is not None:
        revoked = run_write(
            lambda session: revoke_share_link(session=session, actor=person, link_id=chosen),
            refusals=REFUSALS,
        )
        if revoked is not None:
            flash_after_write(
                FLASH,
                _("Revoked the link “{label}”; it no longer opens the roadmap.").format(
                    label=escape_markdown(revoked.label)
                ),
            )
