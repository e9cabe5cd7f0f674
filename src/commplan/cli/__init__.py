"""The `commplan` command line: a thin shell over the package API.

One module per group of commands. Each exposes `register(subparsers)`, which adds its parsers and
binds each to its handler with `set_defaults(handler=...)`; `main` parses and calls the handler.
Handlers import what they need (SQLAlchemy, Prefect, the ledger) when they run, so that
`commplan --help` and `commplan validate` stay fast.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ..i18n import _
from . import (
    calendar,
    data,
    evidence,
    feeds,
    figures,
    links,
    mail_in,
    plans,
    reminders,
    report,
    run,
    serve,
    spend,
    status,
    sync,
    units,
    users,
    worker,
)
from .arguments import EXIT_OK, EXIT_USAGE, fail

# the order of `commplan --help`
MODULES = (plans, sync, evidence, feeds, mail_in, figures, spend, status, report, reminders, calendar, units, users, links, data, run,
           worker, serve)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="commplan",
        description=_("Scheduling engine for government communication plans."),
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from .. import clock
    from ..i18n import install_argparse

    install_argparse()
    args = build_parser().parse_args(argv)
    try:
        clock.now()  # a bad COMMPLAN_NOW is one line here, before any work
    except clock.ClockError as error:
        return fail(str(error), EXIT_USAGE)
    from ..settings import SettingsError

    try:
        return args.handler(args)
    except BrokenPipeError:  # `commplan preview … | head`
        return EXIT_OK
    except SettingsError as error:  # a weak COMMPLAN_LINK_SECRET, a bad key: one line, whichever command met it
        return fail(str(error), EXIT_USAGE)
