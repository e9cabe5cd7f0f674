"""`commplan serve`: the web app (report pages, dashboard, API, calendar feeds, /healthz) under uvicorn.

The ledger is opened (and migrated) once here, before any worker starts, so that a bad database
URL is one line and several workers never race to migrate. With `--workers N` each worker is a
process that builds its own app (`commplan.web.serving`); production runs several behind a
reverse proxy, on the PostgreSQL ledger.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..i18n import _
from .arguments import EXIT_OK, EXIT_USAGE, Subparsers, fail, ledger_options


def register(sub: Subparsers) -> None:
    serve = sub.add_parser("serve", help=_("serve the web app: report pages, dashboard, API, calendar feeds, /healthz"))
    serve.add_argument("--host", default="127.0.0.1", help=_("address to listen on (default 127.0.0.1)"))
    serve.add_argument("--port", type=int, default=8000, help=_("port to listen on (default 8000)"))
    serve.add_argument("--workers", type=int, default=1, metavar="N",
                       help=_("worker processes (default 1; several need the same COMMPLAN_LINK_SECRET, and "
                              "PostgreSQL to share the ledger well)"))
    serve.add_argument("--plans", nargs="+", default=["plans/"], metavar="PATH", help=_("the plans (default plans/)"))
    ledger_options(serve)
    serve.set_defaults(handler=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    return serve_web(args)


def serve_web(args: argparse.Namespace) -> int:
    """Serve the whole app with these arguments (host, port, plans, database, workers)."""
    workers = getattr(args, "workers", 1)
    if not 0 <= args.port <= 65535:
        return fail(_("--port {port} is not a port (0-65535)").format(port=args.port), EXIT_USAGE)
    if workers < 1:
        return fail(_("--workers {workers} must be at least 1").format(workers=workers), EXIT_USAGE)
    import uvicorn

    from ..ledger import Ledger, LedgerError
    from ..settings import get_settings
    from ..web.app import create_app
    from ..web.feeds import WebConfigError
    from ..web.serving import PLANS_VARIABLE, NoDelayHTTPProtocol, configure_logging

    settings = get_settings()
    if args.database:
        settings = settings.model_copy(update={"database_url": args.database})
    try:
        Ledger(settings.database).close()  # migrated now, once, like every other command
        app = create_app(settings, plans=args.plans)  # the plans and the secret checked before listening
    except (LedgerError, WebConfigError) as error:
        return fail(str(error))
    configure_logging()
    # uvicorn's access log would write the tokens of feeds and report links; the app logs what it needs.
    # NoDelayHTTPProtocol: without it, several workers answer ~40 ms late on kept-alive connections
    # (uvicorn issue #3149); harmless with one.
    if workers == 1:
        uvicorn.run(app, host=args.host, port=args.port, access_log=False, server_header=False,
                    http=NoDelayHTTPProtocol)
        return EXIT_OK
    # each worker process builds its app from the environment
    os.environ[PLANS_VARIABLE] = os.pathsep.join(str(Path(p).resolve()) for p in args.plans)
    if args.database:
        os.environ["COMMPLAN_DATABASE_URL"] = args.database
    uvicorn.run("commplan.web.serving:app_from_environment", factory=True, workers=workers, host=args.host, port=args.port,
                access_log=False, server_header=False, http=NoDelayHTTPProtocol)
    return EXIT_OK
