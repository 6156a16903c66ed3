"""Demo mode (anyone picks anyone, director included) stays on this machine unless the operator
opens it to a network, and then every page says so."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from tests.config_support import use_sign_in_mode
from tests.start_script import answers, start_script
from ui.exposure import reachable_beyond_this_machine

APP = str(Path(__file__).resolve().parents[2] / "app.py")
BANNER = "Demo mode is open to the network"


@pytest.fixture
def address() -> Iterator[None]:
    """server.address as the running server was started with; restored after the test."""
    before = st_config.get_option("server.address")
    yield
    st_config.set_option("server.address", before)


def banners(at: AppTest) -> list[str]:
    return [str(w.value) for w in at.warning if BANNER in str(w.value)]


def open_app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["demo_person_id"] = 1
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception
    return at


@pytest.mark.parametrize("page", [None, "pages/roadmap.py", "pages/admin.py"])
def test_demo_mode_on_every_interface_warns_on_every_page(
    app_store: str, address: None, page: str | None
) -> None:
    st_config.set_option("server.address", "0.0.0.0")
    at = open_app(page)
    [banner] = banners(at)
    assert "listening on 0.0.0.0" in banner
    assert "anyone who can reach this address can act as anyone" in banner


def test_demo_mode_on_this_machine_has_no_banner(app_store: str, address: None) -> None:
    st_config.set_option("server.address", "127.0.0.1")
    assert banners(open_app()) == []
    assert banners(open_app("pages/roadmap.py")) == []


def test_a_sign_in_mode_on_the_network_has_no_banner(
    app_store: str, address: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_sign_in_mode(tmp_path, monkeypatch, "password")
    st_config.set_option("server.address", "0.0.0.0")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert banners(at) == []


@pytest.mark.parametrize(
    ("address_set", "beyond"),
    [
        (None, True),  # unset: Streamlit listens on every interface
        ("", True),
        ("0.0.0.0", True),
        ("::", True),
        ("192.0.2.10", True),
        ("quarterdeck.internal", True),
        ("127.0.0.1", False),
        ("127.0.0.2", False),
        ("::1", False),
        ("[::1]", False),
        ("localhost", False),
    ],
)
def test_which_addresses_reach_beyond_this_machine(address_set: str | None, beyond: bool) -> None:
    assert reachable_beyond_this_machine(address_set) is beyond


def _listening(port: int) -> list[str]:
    """The local addresses with a listening TCP socket on `port` (from `ss -ltn`)."""
    out = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        local = line.split()[3]
        host, _, local_port = local.rpartition(":")
        if local_port == str(port):
            found.append(host)
    return found


def test_start_script_listens_on_this_machine_only(tmp_path: Path) -> None:
    with start_script(tmp_path) as started:
        assert _listening(started.port) == ["127.0.0.1"]


def test_start_script_listens_where_the_operator_says(tmp_path: Path) -> None:
    with start_script(tmp_path, env={"ADDRESS": "127.0.0.2"}, wait_on="127.0.0.2") as started:
        assert _listening(started.port) == ["127.0.0.2"]
        assert not answers("127.0.0.1", started.port)
