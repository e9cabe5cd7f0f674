"""`commplan worker`: every deployment served from this one process, on a single machine.

The tick hourly 06:00–21:00, the weekly report Thursday 07:30, the monthly report the 20th
07:30, the feeds hourly at :45, Vietnam time (commplan.flows.deployments). Unlike `commplan run`, it needs a lasting
Prefect API to keep the schedules: PREFECT_API_URL, e.g. `prefect server start` on this machine.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..i18n import _
from .arguments import EXIT_OK, Subparsers, fail


def register(sub: Subparsers) -> None:
    worker = sub.add_parser("worker", help=_("serve every deployment (tick hourly 06:00-21:00, weekly and monthly "
                                             "reports, feeds hourly) from this process; needs PREFECT_API_URL"))
    worker.add_argument("--plans", default="plans/", metavar="DIR", help=_("the plans the tick reads (default plans/)"))
    worker.set_defaults(handler=cmd_worker)


def api_url() -> str | None:
    """The Prefect API this process would talk to (environment or Prefect profile), if any."""
    from prefect.settings import get_current_settings

    return get_current_settings().api.url


def cmd_worker(args: argparse.Namespace) -> int:
    from ..plan import load_catalog

    plans = str(Path(args.plans).resolve())  # served runs resolve it later, whatever their working directory
    _catalog, errors = load_catalog([plans], strict=False)  # refused now, not at 06:00
    for error in errors:
        print(error, file=sys.stderr)
    if errors:
        return fail(_("the plans in {path} have errors: nothing was served").format(path=args.plans))
    if not api_url():
        return fail(_("no Prefect API: set PREFECT_API_URL (e.g. start `prefect server start` and set "
                      "PREFECT_API_URL=http://127.0.0.1:4200/api); for one tick without a server use `commplan run`"))
    from prefect import serve

    from ..flows.deployments import deployments

    serve(*deployments(plans))
    return EXIT_OK
