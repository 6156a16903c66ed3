"""Whether demo mode can be reached from beyond this machine, and the banner that says so.

Demo mode lets whoever opens the app pick any person, director included. On 127.0.0.1 (the
default in .streamlit/config.toml and scripts/start.sh) only this machine can; an address the
operator sets (ADDRESS=0.0.0.0, --server.address) opens it to a network, and every page then
says so.
"""

from __future__ import annotations

import ipaddress

import streamlit as st

from planning.config import AppConfig
from planning.i18n import gettext as _

LOCAL_NAMES = frozenset({"localhost"})


def reachable_beyond_this_machine(address: str | None) -> bool:
    """Whether a server listening on `address` (server.address) can be reached from elsewhere.

    Unset means every interface, as does 0.0.0.0; only loopback addresses keep it local.
    """
    if not address:
        return True
    if address.lower() in LOCAL_NAMES:
        return False
    try:
        return not ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:  # a host name or a unix socket: whatever it reaches, it was chosen
        return True


def warn_if_open_to_network(config: AppConfig) -> None:
    """In demo mode on a non-loopback address, a banner on every page: anyone acts as anyone."""
    if config.settings.auth.mode != "demo":
        return
    address = st.get_option("server.address")
    if not reachable_beyond_this_machine(address):
        return
    where = (
        _("listening on {address}").format(address=address)
        if address
        else _("listening on every network interface")
    )
    st.warning(
        "**"
        + _("Demo mode is open to the network")
        + f"** ({where}): "
        + _(
            "anyone who can reach this address can act as anyone on the team, director "
            "included. For a team, set auth.mode to password or oidc in config/settings.yaml "
            "(README: Running for a team)."
        ),
        icon=":material/public:",
    )
