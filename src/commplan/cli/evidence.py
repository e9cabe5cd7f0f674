"""`commplan record`, `commplan evidence list|withdraw` and `commplan excuse`: what units delivered,
taking an item back, and waiving an occurrence."""

from __future__ import annotations

import sys

from .arguments import (
    EXIT_OK,
    actor,
    fail,
    ledger_options,
    on_type,
    open_ledger,
    positive_type,
)


def register(sub) -> None:
    record = sub.add_parser("record", help="record what a unit delivered (a link, a document, a count)")
    record.add_argument("obligation", metavar="OBLIGATION", help="obligation id, or PLAN/OBLIGATION")
    record.add_argument("--unit", required=True, metavar="ID")
    record.add_argument("--on", type=on_type, metavar="DATE",
                        help="when it was published or sent: dd/mm/yyyy [HH:MM] or YYYY-MM-DD[THH:MM] (a date means 00:00 "
                             "that day; default now); picks the window unless --occurrence is given")
    record.add_argument("--occurrence", type=positive_type, metavar="ID",
                        help="the occurrence it counts for (a late report: give its real date with --on)")
    what = record.add_mutually_exclusive_group(required=True)
    what.add_argument("--link", metavar="URL")
    what.add_argument("--document", metavar="NAME")
    what.add_argument("--count", type=positive_type, metavar="N")
    record.add_argument("--note")
    record.add_argument("--source", choices=("manual", "web", "feed", "import"), default="manual")
    ledger_options(record, actor=True)
    record.set_defaults(handler=cmd_record)

    evidence = sub.add_parser("evidence", help="list recorded evidence, or withdraw an item entered by mistake")
    actions = evidence.add_subparsers(dest="action", required=True, metavar="ACTION")

    listing = actions.add_parser("list", help="the items recorded, withdrawn ones included")
    listing.add_argument("--unit", action="append", default=[], metavar="ID", help="a unit, or a group (its members)")
    listing.add_argument("--plan", action="append", default=[], metavar="ID")
    listing.add_argument("--occurrence", type=positive_type, metavar="ID", help="only the items of this occurrence")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    ledger_options(listing)

    withdraw = actions.add_parser("withdraw", help="withdraw an item (never deleted): it no longer counts from now on")
    withdraw.add_argument("evidence_id", type=positive_type, metavar="ID", help="the item's id (see `commplan evidence list`)")
    withdraw.add_argument("--reason", required=True, help="why (kept in the audit log)")
    ledger_options(withdraw, actor=True)
    evidence.set_defaults(handler=cmd_evidence)

    excuse = sub.add_parser("excuse", help="waive an occurrence with a reason (or --undo)")
    excuse.add_argument("occurrence", type=positive_type, metavar="OCCURRENCE")
    reason = excuse.add_mutually_exclusive_group(required=True)
    reason.add_argument("--reason")
    reason.add_argument("--undo", action="store_true", help="take the excusal back")
    ledger_options(excuse, actor=True)
    excuse.set_defaults(handler=cmd_excuse)


def cmd_record(args) -> int:
    from ..ledger import EvidenceInput, LedgerError
    from ..render.evidence import spoken

    # `is not None`: an empty --document "" is a blank document (refused), not a count
    kind = "link" if args.link is not None else "document" if args.document is not None else "count"
    item = EvidenceInput(
        kind=kind, link=args.link, document=args.document, quantity=args.count or 1, note=args.note, source=args.source,
    )
    try:
        with open_ledger(args) as ledger:
            result = ledger.record_evidence(
                args.obligation, args.unit, item, on=args.on, occurrence_id=args.occurrence, actor=actor(args)
            )
    except LedgerError as error:
        return fail(str(error))
    window = f"kỳ thực hiện #{result.occurrence_id} ({result.window_start:%d/%m/%Y}–{result.window_end:%d/%m/%Y})"
    if result.duplicate:
        print(f"Minh chứng này đã được ghi nhận (#{result.duplicate_of}) cho {window}: chỉ tính một lần.")
    else:
        print(f"Đã ghi nhận minh chứng #{result.evidence_id}, {spoken(result.occurred_at)}, cho {window}.")
    print(f"Đã nộp {result.delivered}/{result.at_least}: {result.status.label}.")
    return EXIT_OK


def cmd_excuse(args) -> int:
    from ..ledger import LedgerError

    try:
        with open_ledger(args) as ledger:
            if args.undo:
                reason = ledger.unexcuse(args.occurrence, actor=actor(args))
                print(f"Occurrence #{args.occurrence} is no longer excused (was: {reason}).")
            else:
                ledger.excuse(args.occurrence, args.reason, actor=actor(args))
                print(f"Occurrence #{args.occurrence} excused: {args.reason.strip()}")
    except LedgerError as error:
        return fail(str(error))
    return EXIT_OK


def cmd_evidence(args) -> int:
    from ..ledger import LedgerError
    from ..render import evidence as render

    try:
        with open_ledger(args) as ledger:
            if args.action == "withdraw":
                result = ledger.withdraw_evidence(args.evidence_id, args.reason, actor=actor(args))
            else:
                items = ledger.evidence(plans=args.plan, units=args.unit, occurrence_id=args.occurrence)
                names = ledger.unit_names()
    except LedgerError as error:
        return fail(str(error))
    if args.action == "withdraw":
        item = result.item
        print(f"Đã thu hồi minh chứng #{item.id} ({render.KINDS[item.kind]} {item.value}) của kỳ thực hiện "
              f"#{item.occurrence_id} ({item.window_start:%d/%m/%Y}–{item.window_end:%d/%m/%Y}). "
              f"Lý do: {item.withdraw_reason}")
        print(f"Đã nộp {result.delivered}/{result.at_least}: {result.status.label}.")
        return EXIT_OK
    sys.stdout.write(render.evidence_json(items) if args.format == "json" else render.evidence_table(items, names))
    return EXIT_OK
