"""The web app's factory: `create_app(settings, plans=...)`.

One app per process (each uvicorn worker builds its own): the plans are loaded once, the ledger
opened at startup (or, if it cannot be then, at the first request that needs it) and closed at
shutdown. Routes added by the pages, dashboard and API go on the returned app; `app.state` holds
what they share: `settings`, `catalog`, `ledger` (a `LedgerAccess`), `feeds`, `secret`, `clock`.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.staticfiles import StaticFiles

from .. import __version__
from ..clock import now as process_clock
from ..i18n import _
from ..ledger import LedgerError
from ..settings import Settings
from . import api, auth, built_reports, dashboard, documents, errors, triage
from .body_limit import BodyLimit
from .feeds import Feeds, feed_routes, load_plans, require_secret
from .health import healthz_endpoint
from .ledger_access import LedgerAccess
from .pages import STATIC
from .report import router as report_router
from .security import SecurityHeaders, security_headers
from .sessions import SessionCookies
from .unit_pages import router as unit_pages_router
from .zalo_webhook import router as zalo_webhook_router

log = logging.getLogger("commplan.web")


def is_https(settings: Settings) -> bool:
    return bool(settings.public_url and settings.public_url.lower().startswith("https://"))


def create_app(settings: Settings, *, plans: Sequence[str | Path] = ("plans/",),
               clock: Callable[[], dt.datetime] | None = None) -> FastAPI:
    """The whole web app. Refuses (`WebConfigError`, one line) without a link secret or with plan errors."""
    secret = require_secret(settings)
    catalog = load_plans(plans)
    access = LedgerAccess(settings.database)
    feeds = Feeds(settings, catalog, clock=clock, ledger=access)
    https = is_https(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            await run_in_threadpool(access.get)
        except LedgerError as error:  # served anyway: /healthz says 503 until the ledger answers
            log.error(_("the ledger cannot be opened yet: %s"), error)
        # The plans, catalog and libraries loaded at start live as long as the process: moved out of
        # the collector's generations, its full collections stop walking them during requests (the
        # dashboard's p95 in benchmarks/web.py fell from 156 to 92 ms in a probe).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await run_in_threadpool(access.close)

    app = FastAPI(
        title="commplan", version=__version__, lifespan=lifespan,
        # Swagger UI and ReDoc load their code from a CDN, which the CSP forbids; the schema stays
        docs_url=None, redoc_url=None, openapi_url=f"{errors.API_PREFIX}/openapi.json",
        exception_handlers={
            HTTPException: errors.http_error,
            RequestValidationError: errors.invalid_request,
            auth.SignInRequired: auth.sign_in_required,
            Exception: errors.server_error_handler(security_headers(https=https)),
        },
    )
    # A trailing-slash redirect is built from the Host header, a feed's token included: an
    # attacker's Host would receive it. A trailing slash is simply not found.
    app.router.redirect_slashes = False
    app.add_api_route("/healthz", healthz_endpoint(access), methods=["GET", "HEAD"], include_in_schema=False)
    app.router.routes.extend(feed_routes(feeds))
    app.include_router(report_router)
    app.include_router(documents.router)
    app.include_router(auth.router)
    app.include_router(dashboard.router)
    app.include_router(built_reports.router)
    app.include_router(unit_pages_router)
    app.include_router(triage.router)
    app.include_router(api.router)
    app.include_router(zalo_webhook_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # the last added runs first: headers wrap everything, sessions are read before any route
    app.add_middleware(BodyLimit)
    app.add_middleware(SessionCookies, secret=secret, https=https)
    app.add_middleware(SecurityHeaders, https=https)
    app.state.settings, app.state.catalog, app.state.ledger, app.state.feeds = settings, catalog, access, feeds
    app.state.secret, app.state.clock = secret, clock or process_clock
    return app
