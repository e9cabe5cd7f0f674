"""`commplan report compliance --plan ID --from DATE --to DATE -o DIR`: a plan's compliance report for a
period, as XLSX, CSV, HTML and a PNG heat map."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ..i18n import _
from .arguments import (
    EXIT_OK,
    EXIT_USAGE,
    Subparsers,
    as_of_type,
    date_type,
    fail,
    ledger_options,
    load_plans,
    open_ledger,
    os_reason,
)

if TYPE_CHECKING:
    from ..plan.model import BudgetLine


def register_subcommand(kinds: Subparsers) -> None:
    compliance = kinds.add_parser("compliance", help=_("a plan's compliance for a period: by duty, unit, channel and "
                                                       "month, the overdue, who did not report, the budget"))
    compliance.add_argument("--plan", required=True, metavar="ID", help=_("the plan's id"))
    compliance.add_argument("--from", dest="start", type=date_type, required=True, metavar="DATE",
                            help=_("the first day of the period (deadlines from this day)"))
    compliance.add_argument("--to", dest="end", type=date_type, required=True, metavar="DATE",
                            help=_("the last day of the period (included)"))
    compliance.add_argument("-o", "--output", required=True, metavar="DIR", help=_("the folder to write the four files to"))
    compliance.add_argument("--plans", action="append", default=[], metavar="PATH",
                            help=_("the plan files, for their budget lines (planned amounts); without it the budget "
                                   "part shows only the amounts spent"))
    compliance.add_argument("--as-of", type=as_of_type, metavar="WHEN",
                            help=_("the status at this moment (YYYY-MM-DD: the end of that day; default now)"))
    ledger_options(compliance)
    compliance.set_defaults(report_handler=cmd_compliance)


def cmd_compliance(args: argparse.Namespace) -> int:
    from .. import clock
    from ..ledger import LedgerError
    from ..reports.compliance_files import write_all
    from ..reports.compliance_report import compliance_report

    if args.end < args.start:
        return fail(_("--to {end} is before --from {start}").format(end=f"{args.end:%d/%m/%Y}",
                                                                    start=f"{args.start:%d/%m/%Y}"), EXIT_USAGE)
    if (args.end - args.start).days > 366 * 5:
        return fail(_("the period is longer than five years: choose a shorter one"), EXIT_USAGE)
    budget: tuple[BudgetLine, ...] = ()
    if args.plans:
        catalog = load_plans(args.plans)
        if catalog is None:
            return EXIT_USAGE
        if args.plan not in catalog.plans:
            return fail(_("plan '{plan}' is not in the files given with --plans").format(plan=args.plan))
        budget = catalog.plans[args.plan].budget
    try:
        with open_ledger(args) as ledger:
            report = compliance_report(ledger, args.plan, args.start, args.end, as_of=args.as_of or clock.now(),
                                       budget=budget)
    except LedgerError as error:
        return fail(str(error))
    try:
        files = write_all(report, Path(args.output))
    except OSError as error:
        return fail(_("cannot write to {folder}: {reason}").format(folder=args.output, reason=os_reason(error)))
    print(_("Compliance report of {number}, {start}–{end}: {owed} owed, {on_time} done on time, {overdue} overdue.").format(
        number=report.shown_number, start=f"{report.start:%d/%m/%Y}", end=f"{report.end:%d/%m/%Y}",
        owed=report.total.owed, on_time=report.total.on_time, overdue=report.total.overdue))
    for path in files:
        print(f"  {path}")
    return EXIT_OK
