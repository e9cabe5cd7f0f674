"""`commplan spend OBLIGATION --amount N --on DATE`: money spent on an obligation's budget line."""

from __future__ import annotations

import argparse

from ..i18n import _
from .arguments import EXIT_OK, Subparsers, actor, date_type, fail, ledger_options, open_ledger


def register(sub: Subparsers) -> None:
    spend = sub.add_parser("spend", help=_("record money spent on an obligation's budget line (VND)"))
    spend.add_argument("obligation", metavar="OBLIGATION", help=_("obligation id, or PLAN/OBLIGATION"))
    spend.add_argument("--amount", required=True, metavar="N",
                       help=_("the amount in VND: 12500000, 12.500.000 or 12.500.000,50 (đ or VND may follow)"))
    spend.add_argument("--on", type=date_type, required=True, metavar="DATE", help=_("the day it was spent"))
    spend.add_argument("--note", help=_("a note kept with the amount (e.g. the voucher's number)"))
    spend.add_argument("--plan", metavar="ID", help=_("the plan, when several plans have this obligation"))
    ledger_options(spend, actor=True)
    spend.set_defaults(handler=cmd_spend)


def cmd_spend(args: argparse.Namespace) -> int:
    from ..ledger import LedgerError
    from ..ledger.spending import parse_amount
    from ..reports.compliance_tables import vnd

    reference = f"{args.plan}/{args.obligation}" if args.plan and "/" not in args.obligation else args.obligation
    try:
        amount = parse_amount(args.amount)
        with open_ledger(args) as ledger:
            spending_id, plan, code = ledger.record_spending(reference, amount, args.on, note=args.note, actor=actor(args))
            total = ledger.spent(plan).get(code)
    except LedgerError as error:
        return fail(str(error))
    print(_("Recorded spending #{id}: {amount} đ on {date} for {plan}/{obligation} (spent in all: {total} đ).").format(
        id=spending_id, amount=vnd(amount), date=f"{args.on:%d/%m/%Y}", plan=plan, obligation=code, total=vnd(total)))
    return EXIT_OK
