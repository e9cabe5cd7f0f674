"""`commplan evidence list` and `commplan evidence withdraw`: what was recorded, and taking an item back."""

from __future__ import annotations

import sys

from .ledger import LedgerError

EXIT_OK = 0


def add_parser(sub, ledger_options, positive) -> None:
    evidence = sub.add_parser("evidence", help="list recorded evidence, or withdraw an item entered by mistake")
    actions = evidence.add_subparsers(dest="action", required=True, metavar="ACTION")

    listing = actions.add_parser("list", help="the items recorded, withdrawn ones included")
    listing.add_argument("--unit", action="append", default=[], metavar="ID", help="a unit, or a group (its members)")
    listing.add_argument("--plan", action="append", default=[], metavar="ID")
    listing.add_argument("--occurrence", type=positive, metavar="ID", help="only the items of this occurrence")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    ledger_options(listing)

    withdraw = actions.add_parser("withdraw", help="withdraw an item (never deleted): it no longer counts from now on")
    withdraw.add_argument("evidence_id", type=positive, metavar="ID", help="the item's id (see `commplan evidence list`)")
    withdraw.add_argument("--reason", required=True, help="why (kept in the audit log)")
    ledger_options(withdraw, actor=True)


def cmd_evidence(args) -> int:
    from .cli_ledger import _actor, _fail, _open
    from .render import evidence as render

    try:
        with _open(args) as ledger:
            if args.action == "withdraw":
                result = ledger.withdraw_evidence(args.evidence_id, args.reason, actor=_actor(args))
            else:
                items = ledger.evidence(plans=args.plan, units=args.unit, occurrence_id=args.occurrence)
                names = ledger.unit_names()
    except LedgerError as error:
        return _fail(str(error))
    if args.action == "withdraw":
        item = result.item
        print(f"Đã thu hồi minh chứng #{item.id} ({render.KINDS[item.kind]} {item.value}) của kỳ thực hiện "
              f"#{item.occurrence_id} ({item.window_start:%d/%m/%Y}–{item.window_end:%d/%m/%Y}). "
              f"Lý do: {item.withdraw_reason}")
        print(f"Đã nộp {result.delivered}/{result.at_least}: {result.status.label}.")
        return EXIT_OK
    sys.stdout.write(render.evidence_json(items) if args.format == "json" else render.evidence_table(items, names))
    return EXIT_OK
