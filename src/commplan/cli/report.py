"""`commplan report …`: the reports a Sở sends. The parser group only; each kind of report registers
its own subcommands (report_forms: the ministry's weekly and monthly indicator forms)."""

from __future__ import annotations

from ..i18n import _
from . import report_forms
from .arguments import Subparsers


def register(sub: Subparsers) -> None:
    report = sub.add_parser("report", help=_("the reports to send: the ministry's weekly and monthly forms"))
    kinds = report.add_subparsers(dest="report_kind", required=True, metavar="KIND")
    report_forms.register_subcommands(kinds)
