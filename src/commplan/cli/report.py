"""`commplan report KIND …`: the reports the Sở sends. One module per kind registers its subcommands
(binding its handler as `report_handler`): report_forms the ministry's weekly and monthly indicator
forms, report_compliance a plan's compliance report. This one only holds the group."""

from __future__ import annotations

import argparse

from ..i18n import _
from . import report_compliance, report_forms
from .arguments import Subparsers


def register(sub: Subparsers) -> None:
    report = sub.add_parser("report", help=_("write a report: the ministry's weekly and monthly forms, a plan's "
                                             "compliance report"))
    kinds = report.add_subparsers(dest="kind", required=True, metavar="KIND")
    report_forms.register_subcommands(kinds)
    report_compliance.register_subcommand(kinds)
    report.set_defaults(handler=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    """Each kind's module binds its own handler as `report_handler` (the group owns `handler`)."""
    return int(args.report_handler(args))
