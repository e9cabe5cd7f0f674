"""`commplan status`: who is on time, late, open or overdue, as of an instant."""

from __future__ import annotations

import argparse
import sys

from ..i18n import _
from .arguments import EXIT_OK, VIETNAM, Subparsers, as_of_type, fail, ledger_options, open_ledger


def register(sub: Subparsers) -> None:
    status = sub.add_parser("status", help=_("who is on time, late, open or overdue, as of an instant"))
    status.add_argument("--as-of", type=as_of_type, metavar="DATETIME",
                        help=_("answer as on this day (end of day) or instant (default now)"))
    status.add_argument("--plan", action="append", default=[], metavar="ID", help=_("only this plan"))
    status.add_argument("--unit", action="append", default=[], metavar="ID", help=_("a unit, or a group (its members)"))
    status.add_argument("--province", metavar="SLUG",
                        help=_("every unit of a province (the `province:` of its directory file)"))
    status.add_argument("--overdue", action="store_true", help=_("only overdue occurrences"))
    status.add_argument("--all", action="store_true", help=_("include occurrences whose window has not opened"))
    status.add_argument("--summary", action="store_true",
                        help=_("counts per plan and per unit in the Government Office's buckets"))
    status.add_argument("--format", choices=("table", "json", "csv"), default="table",
                        help=_("table (default), or json or csv with stable English keys for other programs"))
    ledger_options(status)
    status.set_defaults(handler=cmd_status)


def cmd_status(args: argparse.Namespace) -> int:
    from zoneinfo import ZoneInfo

    from .. import clock
    from ..ledger import LedgerError, Status
    from ..render import ledger as render

    as_of = args.as_of  # None: now (and the "overdue now" index)
    shown = as_of or clock.now()
    if args.summary:
        try:
            with open_ledger(args) as ledger:
                by_plan, by_unit = ledger.summary(as_of=as_of, plans=args.plan, units=args.unit, province=args.province)
        except LedgerError as error:
            return fail(str(error))
        if args.format == "json":
            sys.stdout.write(render.summary_json(shown.isoformat(), by_plan, by_unit))
        elif args.format == "csv":
            sys.stdout.write(render.summary_csv(by_plan, by_unit))
        else:
            print(_("Progress as of {time}").format(time=f"{shown.astimezone(ZoneInfo(VIETNAM)):%H:%M %d/%m/%Y}") + "\n")
            sys.stdout.write(render.summary_table(_("By plan"), by_plan) + "\n")
            sys.stdout.write(render.summary_table(_("By unit"), by_unit))
        return EXIT_OK
    try:
        with open_ledger(args) as ledger:
            rows = ledger.statuses(
                as_of=as_of, plans=args.plan, units=args.unit, province=args.province,
                only=Status.OVERDUE if args.overdue else None, include_scheduled=args.all,
            )
            names = ledger.unit_names()
    except LedgerError as error:
        return fail(str(error))
    output = {"json": render.statuses_json, "csv": render.statuses_csv}.get(args.format)
    sys.stdout.write(output(rows) if output else render.statuses_table(rows, names))
    return EXIT_OK
