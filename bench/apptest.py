"""Make AppTest run the app as a Streamlit server does, for the benchmark's page timings.

AppTest differs from a server in two ways that would dominate the figures, and Streamlit offers
no public setting for either, so this harness reaches into Streamlit's testing internals. It is
the benchmark's alone: the app (app.py, server.py, pages/, ui/, planning/, api/) never imports it,
and tests/test_streamlit_imports.py keeps Streamlit's internals out of the app.

- AppTest builds a new script cache for every run, so each rerun recompiles app.py and the page
  (with Streamlit's magic rewrite): tens of milliseconds for a long page that a server spends
  once per process. The runs share one cache instead.
- AppTest forgets, before every run, that the app routes itself with st.navigation, so with a
  pages/ folder beside app.py each run would start in Streamlit's legacy pages-folder mode. A
  server leaves that mode once, at start-up (ui/routing.py); here every run starts outside it.
"""

from __future__ import annotations


def run_like_a_server() -> None:
    """Patch AppTest, in this process, to keep compiled scripts and the router across runs."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    shared = ScriptCache()
    app_test.ScriptCache = lambda: shared  # type: ignore[assignment,misc]
    local_script_runner.ScriptCache = lambda: shared  # type: ignore[assignment,misc]

    original = PagesManager.__init__

    def init(self: PagesManager, *args: object, **kwargs: object) -> None:
        PagesManager.uses_pages_directory = False
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    PagesManager.__init__ = init  # type: ignore[method-assign]
