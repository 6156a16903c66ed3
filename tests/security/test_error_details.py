"""An unexpected error on a page reaches the reader as a short message with an error id, never
as a traceback; the server log holds the traceback under the same id."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

import planning.work.roadmap

APP = str(Path(__file__).resolve().parents[2] / "app.py")
SECRET = "store password is hunter2"


def _fail(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError(SECRET)


def everything_shown(at: AppTest) -> str:
    kinds = ("title", "header", "subheader", "markdown", "caption", "error", "warning", "info")
    shown = [str(e.value) for kind in kinds for e in at.get(kind)]
    shown += [str(e.value) for e in at.exception]
    return "\n".join(shown)


def open_failing_roadmap(monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setattr(planning.work.roadmap, "filters_from_query", _fail)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["demo_person_id"] = 1
    at.run()
    return at.switch_page("pages/roadmap.py").run()


def test_a_failing_page_shows_an_error_id_and_logs_the_traceback(
    app_store: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    st_config.get_config_options(force_reparse=True)  # .streamlit/config.toml as the server has it
    with caplog.at_level(logging.ERROR, logger="quarterdeck.pages"):
        at = open_failing_roadmap(monkeypatch)
    assert not at.exception
    shown = everything_shown(at)
    [message] = [str(e.value) for e in at.error if "error id" in str(e.value)]
    error_id = re.search(r"error id: \*\*([0-9a-f]{8})\*\*", message)
    assert error_id, message
    for leak in (SECRET, "Traceback", "RuntimeError", "roadmap.py", 'File "'):
        assert leak not in shown
    [record] = [r for r in caplog.records if error_id.group(1) in r.getMessage()]
    assert record.exc_info is not None and SECRET in str(record.exc_info[1])
    assert "roadmap" in record.getMessage()


def test_in_development_the_error_is_shown_as_it_is(
    app_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    st_config.set_option("client.showErrorDetails", "full")
    at = open_failing_roadmap(monkeypatch)
    assert [e.value for e in at.exception] and SECRET in at.exception[0].value
    assert not [e for e in at.error if "error id" in str(e.value)]
