"""Quarterdeck's server: the Streamlit app (app.py), the HTTP API (/api/v1/..., a FastAPI app that
every /api/ request is handed to) and password sign-in's two routes (/session/sign-in,
/session/end) on one port.

Start it with `streamlit run server.py` (scripts/start.sh does). app.py stays the app's router;
this module only adds the routes beside it and opens the store when the server starts.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import streamlit as st
from apscheduler.schedulers.background import BackgroundScheduler
from starlette.concurrency import run_in_threadpool

from api.app import api_mount
from api.context import ApiContext
from api.sign_in import sign_in_routes
from planning.notify.scheduled import add_notify_job
from planning.okrs.backtest import warm as warm_backtest
from planning.sources.schedule import start_scheduler, stop_scheduler
from ui.preload import map_module_files, page_modules, settle_collector
from ui.routing import use_router_only

use_router_only()  # before any session: pages/ holds the router's pages, not pages of its own

context = ApiContext()


@asynccontextmanager
async def lifespan(app: object) -> AsyncIterator[None]:
    """Load the pages' imports and open the store before the first visitor arrives.

    The pages' modules declare cached functions, so they load here, once Streamlit's runtime
    exists, rather than when this module is imported (before it, each cache would be set up
    on a stand-in store and say so in the log).
    """
    await run_in_threadpool(page_modules)
    map_module_files()
    # What start-up loaded (Streamlit, pandas, Altair's schema, the pages) lives as long as the
    # process: set aside from the garbage collector, whose every full pass would otherwise walk
    # it again while holding up every session's run; young objects are collected less often.
    settle_collector()
    async with context.lifespan(app):
        # The forecasts' backtest, worked out beside the first visitor rather than in their way.
        warm_backtest(engine=lambda: context.engine, config=lambda: context.config)

        # Scheduled data sources (config/sources.yaml) and, when settings.yaml enables them, the
        # notification runs go in this process's background threads.
        def notify(scheduler: BackgroundScheduler) -> bool:
            return add_notify_job(scheduler, engine=lambda: context.engine, config=context.config)

        scheduler = await run_in_threadpool(
            lambda: start_scheduler(
                engine=lambda: context.engine, config=context.config, extra_jobs=(notify,)
            )
        )
        try:
            yield None
        finally:
            stop_scheduler(scheduler)


app = st.App(
    "app.py",
    routes=[api_mount(context), *sign_in_routes(context)],
    lifespan=lifespan,
)
