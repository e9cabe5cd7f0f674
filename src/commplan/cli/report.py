"""`commplan report KIND …`: the reports the Sở sends. One module per kind registers its subcommand
(`register_subcommand(kinds)`); this one only holds the group."""

from __future__ import annotations

from ..i18n import _
from . import report_compliance
from .arguments import Subparsers


def register(sub: Subparsers) -> None:
    report = sub.add_parser("report", help=_("write a report: the compliance report of a plan"))
    kinds = report.add_subparsers(dest="kind", required=True, metavar="KIND")
    report_compliance.register_subcommand(kinds)
