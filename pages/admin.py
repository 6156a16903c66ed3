"""Admin (directors): data import with a preview, data sources, API tokens, the history of
imports, share links, the team (people, roles, capacity, time off, passwords), notifications (the
outbox, each person's preferences and a preview) and the loaded configuration."""

from __future__ import annotations

import pyarrow as pa
import streamlit as st

from planning.access.api_tokens import NAME_MAX, SCOPES, TokenError, create_token, revoke_token
from planning.access.permissions import PermissionDenied
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.metrics.observations import ImportBatchInfo
from ui import admin_data as data
from ui import grid_formats
from ui.config_admin import configuration_tab
from ui.confirm_write import run_write
from ui.data_import import FLASH, data_import_tab
from ui.flash import flash_after_write, show_flash, show_secret_once
from ui.identity import director_or_stop
from ui.notifications_admin import notifications_tab
from ui.people_admin import people_tab
from ui.share_links_admin import share_links_tab
from ui.sources_view import sources_tab
from ui.state import app_config, clear_after_write, forget_inputs, live_refresh, versions
from ui.tables import show_table
from ui.text import escape_markdown, moment_text

NEW_TOKEN = "admin_new_token"
TOKEN_REFUSALS = (TokenError, PermissionDenied)
SOURCE_LABELS = {
    "upload": N_("Upload"),
    "cli": N_("Command line"),
    "api": "API",
    "demo": N_("Demo data"),
}
SYNC_PREFIX = "source:"  # a data source's run: source:<name>
TAB_KEY = "admin_tab"
TABS = (
    N_("Data import"),
    N_("API tokens"),
    N_("Import history"),
    N_("Sources"),
    N_("Share links"),
    N_("People"),
    N_("Notifications"),
    N_("Configuration"),
)


def _source_label(source: str) -> str:
    """Where an import came from, in words (a data source's run: Source <name>)."""
    known = SOURCE_LABELS.get(source)
    if known:
        return _(known)
    if source.startswith(SYNC_PREFIX):
        return _("Source {name}").format(name=source.removeprefix(SYNC_PREFIX))
    return source


def _who(batch: ImportBatchInfo) -> str:
    """Who ran an import: a person (with the API token they sent it with), or the system."""
    actor = _("system") if batch.by_system else batch.actor
    if batch.token:
        return _("{actor} · token {token}").format(actor=actor, token=batch.token)
    return actor


config = app_config()
st.title(_("Admin"))
person = director_or_stop(
    st.warning,
    _(
        "Admin is for directors only: the team, data imports, API tokens and share links "
        "are managed by a director. Ask one if you need data loaded, a token or access."
    ),
)
current = versions()

show_flash(FLASH)

# Only the open tab runs (a tab switch reruns the page), so Admin stays quick whatever the others
# hold; TAB_KEY in session state says which tab is open.
(
    tab_import,
    tab_tokens,
    tab_history,
    tab_sources,
    tab_share,
    tab_people,
    tab_notify,
    tab_config,
) = st.tabs([_(t) for t in TABS], key=TAB_KEY, on_change="rerun")

# --- data import -------------------------------------------------------------------------------
with tab_import:
    if tab_import.open:
        data_import_tab(person, config, current)

# --- API tokens --------------------------------------------------------------------------------
with tab_tokens:
    if tab_tokens.open:
        st.subheader(_("API tokens"))
        st.caption(
            _(
                "Systems send observations to `POST /api/v1/observations` and read OKRs from "
                "`GET /api/v1/okrs` with a bearer token. A token is shown once, when it is "
                "created; only a digest of it is stored."
            )
        )
        new_token = st.session_state.get(NEW_TOKEN)
        if new_token is not None:
            show_secret_once(
                _("Token {name} created. Copy it now: it will not be shown again.").format(
                    name=escape_markdown(new_token["name"])
                ),
                new_token["secret"],
                state_key=NEW_TOKEN,
                key="admin_token_copied",
            )

        with st.form("admin_new_token_form"):
            st.markdown("**" + _("New token") + "**")
            name = st.text_input(
                _("Name"),
                max_chars=NAME_MAX,
                placeholder=_("e.g. nightly-etl"),
                help=_("Who or what uses it."),
                key="admin_token_name",
            )
            scopes = st.multiselect(
                _("Scopes"),
                list(SCOPES),
                format_func=lambda s: f"{s} — {_(SCOPES[s])}",
                key="admin_token_scopes",
            )
            create = st.form_submit_button(_("Create token"), type="primary")
        if create:
            created = run_write(
                lambda session: create_token(
                    session=session, actor=person, name=name, scopes=scopes
                ),
                refusals=TOKEN_REFUSALS,
            )
            if created is not None:
                clear_after_write()
                # The form starts empty again, so a second click makes no second token.
                forget_inputs(("admin_token_name", "admin_token_scopes"))
                st.session_state[NEW_TOKEN] = {"name": created.token.name, "secret": created.secret}
                st.rerun()

        tokens = data.api_tokens(current)
        if not tokens:
            st.info(_("No API tokens yet."))
        else:
            show_table(
                pa.Table.from_pylist(
                    [
                        {
                            "id": t.id,
                            _("name"): t.name,
                            _("scopes"): ", ".join(t.scopes),
                            _("created by"): (
                                t.created_by_name if t.created_by is not None else _("command line")
                            ),
                            _("created (UTC)"): moment_text(t.created_at),
                            _("last used (UTC)"): moment_text(t.last_used_at) or _("never"),
                            _("state"): (
                                _("revoked {moment}").format(moment=moment_text(t.revoked_at))
                                if t.revoked_at is not None
                                else _("lapsed: its creator is no longer an active director")
                                if t.lapsed
                                else _("active")
                            ),
                        }
                        for t in tokens
                    ]
                )
            )
            # A lapsed token can still be revoked, so it stays closed if its creator returns.
            active = {t.id: t for t in tokens if t.revoked_at is None}
            if active:
                with st.form("admin_revoke_form"):
                    chosen = st.selectbox(
                        _("Revoke a token"),
                        list(active),
                        format_func=lambda tid: f"{active[tid].name} (id {tid})",
                        help=_("Clients using it get 401 from their next request on."),
                    )
                    revoke = st.form_submit_button(_("Revoke token"))
                if revoke and chosen is not None:
                    revoked = run_write(
                        lambda session: revoke_token(
                            session=session, actor=person, token_id=chosen
                        ),
                        refusals=TOKEN_REFUSALS,
                    )
                    if revoked is not None:
                        flash_after_write(
                            FLASH,
                            _("Revoked token {name}; it no longer opens the API.").format(
                                name=escape_markdown(revoked.name)
                            ),
                        )

# --- data sources ------------------------------------------------------------------------------
with tab_sources:
    if tab_sources.open:
        sources_tab(person)

# --- import history ----------------------------------------------------------------------------
with tab_history:
    if tab_history.open:
        st.subheader(_("Import history"))
        batches = data.import_batches(current)
        if not batches:
            st.info(_("No imports yet."))
        else:
            st.caption(
                _(
                    "Every import from an upload, the command line or the API, newest first. "
                    "The checksum is the SHA-256 of the file or request body."
                )
            )
            when, added, updated = _("when (UTC)"), _("added"), _("updated")
            show_table(
                pa.Table.from_pylist(
                    [
                        {
                            _("batch"): b.id,
                            when: b.finished_at,
                            _("source"): _source_label(b.source),
                            _("file"): b.filename,
                            _("who"): _who(b),
                            added: b.rows_added,
                            updated: b.rows_updated,
                            _("checksum"): b.checksum,
                        }
                        for b in batches
                    ]
                ),
                {
                    when: st.column_config.DatetimeColumn(
                        format=grid_formats.input_day_format("YYYY-MM-DD HH:mm:ss")
                    ),
                    added: st.column_config.NumberColumn(format=grid_formats.whole_format()),
                    updated: st.column_config.NumberColumn(format=grid_formats.whole_format()),
                },
            )

# --- share links -------------------------------------------------------------------------------
with tab_share:
    if tab_share.open:
        share_links_tab(person, current)

# --- people ------------------------------------------------------------------------------------
with tab_people:
    if tab_people.open:
        people_tab(person, current)

# --- notifications -----------------------------------------------------------------------------
with tab_notify:
    if tab_notify.open:
        notifications_tab(person, current)

# --- configuration -----------------------------------------------------------------------------
with tab_config:
    if tab_config.open:
        configuration_tab(config)

live_refresh()
