"""`commplan record`, `commplan evidence list|withdraw` and `commplan excuse`: what units delivered,
taking an item back, and waiving an occurrence."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ..i18n import _, ngettext
from .arguments import (
    EXIT_OK,
    Subparsers,
    actor,
    fail,
    ledger_options,
    on_type,
    open_ledger,
    positive_type,
)

if TYPE_CHECKING:
    from ..ledger.api import RecordResult, WithdrawResult


def register(sub: Subparsers) -> None:
    record = sub.add_parser("record", help=_("record what a unit delivered (a link, a document, a count)"))
    record.add_argument("obligation", metavar="OBLIGATION", help=_("obligation id, or PLAN/OBLIGATION"))
    record.add_argument("--unit", required=True, metavar="ID", help=_("the unit that delivered it"))
    record.add_argument("--on", type=on_type, metavar="DATE",
                        help=_("when it was published or sent: dd/mm/yyyy [HH:MM] or YYYY-MM-DD[THH:MM] (a date means "
                               "00:00 that day; default now); picks the window unless --occurrence is given"))
    record.add_argument("--occurrence", type=positive_type, metavar="ID",
                        help=_("the occurrence it counts for (a late report: give its real date with --on)"))
    what = record.add_mutually_exclusive_group(required=True)
    what.add_argument("--link", metavar="URL", help=_("a link (http:// or https://) to what was published"))
    what.add_argument("--document", metavar="NAME", help=_("the name of a document, e.g. its number"))
    what.add_argument("--count", type=positive_type, metavar="N", help=_("a number of times done"))
    record.add_argument("--note", help=_("a note kept with the evidence"))
    record.add_argument("--source", choices=("manual", "web", "feed", "import", "api", "zalo", "email"), default="manual",
                        help=_("where it came from (default manual)"))
    ledger_options(record, actor=True)
    record.set_defaults(handler=cmd_record)

    evidence = sub.add_parser("evidence", help=_("list recorded evidence, or withdraw an item entered by mistake"))
    actions = evidence.add_subparsers(dest="action", required=True, metavar="ACTION")

    listing = actions.add_parser("list", help=_("the items recorded, withdrawn ones included"))
    listing.add_argument("--unit", action="append", default=[], metavar="ID", help=_("a unit, or a group (its members)"))
    listing.add_argument("--plan", action="append", default=[], metavar="ID", help=_("only this plan"))
    listing.add_argument("--occurrence", type=positive_type, metavar="ID", help=_("only the items of this occurrence"))
    listing.add_argument("--format", choices=("table", "json"), default="table",
                         help=_("table (default), or json with stable English keys for other programs"))
    ledger_options(listing)

    withdraw = actions.add_parser("withdraw", help=_("withdraw an item (never deleted): it no longer counts from now on"))
    withdraw.add_argument("evidence_id", type=positive_type, metavar="ID",
                          help=_("the item's id (see `commplan evidence list`)"))
    withdraw.add_argument("--reason", required=True, help=_("why (kept in the audit log)"))
    ledger_options(withdraw, actor=True)
    evidence.set_defaults(handler=cmd_evidence)

    excuse = sub.add_parser("excuse", help=_("waive an occurrence with a reason (or --undo)"))
    excuse.add_argument("occurrence", type=positive_type, nargs="+", metavar="OCCURRENCE",
                        help=_("the occurrence's id (several at once: a storm, a dissolution)"))
    reason = excuse.add_mutually_exclusive_group(required=True)
    reason.add_argument("--reason", help=_("why it is waived (kept in the audit log)"))
    reason.add_argument("--undo", action="store_true", help=_("take the excusal back"))
    ledger_options(excuse, actor=True)
    excuse.set_defaults(handler=cmd_excuse)
    extend = sub.add_parser("extend", help=_("move occurrences' deadlines later (gia hạn), with a reason"))
    extend.add_argument("occurrence", type=positive_type, nargs="+", metavar="OCCURRENCE", help=_("the occurrences' ids"))
    extend.add_argument("--to", type=on_type, required=True, metavar="DATE",
                        help=_("the new deadline: a day (until its end) or dd/mm/yyyy HH:MM, in the plan's timezone"))
    extend.add_argument("--reason", required=True, help=_("why the deadline moves (kept in the audit log)"))
    ledger_options(extend, actor=True)
    extend.set_defaults(handler=cmd_extend)


def cmd_record(args: argparse.Namespace) -> int:
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
    window = _("occurrence #{id} ({start}–{end})").format(
        id=result.occurrence_id, start=f"{result.window_start:%d/%m/%Y}", end=f"{result.window_end:%d/%m/%Y}")
    if result.duplicate:
        print(_("This evidence was already recorded (#{id}) for {occurrence}: it counts once.").format(
            id=result.duplicate_of, occurrence=window))
    else:
        when = spoken(result.occurred_at) if result.occurred_at else "—"  # always set for an item recorded now
        print(_("Recorded evidence #{id}, {when}, for {occurrence}.").format(
            id=result.evidence_id, when=when, occurrence=window))
    print(_delivered(result))
    return EXIT_OK


def cmd_excuse(args: argparse.Namespace) -> int:
    from ..ledger import LedgerError

    try:
        with open_ledger(args) as ledger:
            if args.undo:
                for occurrence in args.occurrence:
                    reason = ledger.unexcuse(occurrence, actor=actor(args))
                    print(_("Occurrence #{id} is no longer excused (was: {reason}).").format(id=occurrence, reason=reason))
            elif len(args.occurrence) == 1:
                ledger.excuse(args.occurrence[0], args.reason, actor=actor(args))
                print(_("Occurrence #{id} excused: {reason}").format(id=args.occurrence[0], reason=args.reason.strip()))
            else:
                excused, skipped = ledger.excuse_many(args.occurrence, args.reason, actor=actor(args))
                print(ngettext("{count} occurrence excused: {reason}", "{count} occurrences excused: {reason}",
                               len(excused)).format(count=len(excused), reason=args.reason.strip()))
                if skipped:
                    print(_("Already excused, left as they were: {ids}").format(ids=", ".join(f"#{i}" for i in skipped)))
    except LedgerError as error:
        return fail(str(error))
    return EXIT_OK


def cmd_extend(args: argparse.Namespace) -> int:
    from ..ledger import LedgerError

    try:
        with open_ledger(args) as ledger:
            extensions = ledger.extend(args.occurrence, args.to, args.reason, actor=actor(args))
    except LedgerError as error:
        return fail(str(error))
    for extension in extensions:
        print(_("Occurrence #{id}: deadline moved from {previous} to {due}.").format(
            id=extension.occurrence_id, previous=f"{extension.previous_due:%H:%M %d/%m/%Y}",
            due=f"{extension.due:%H:%M %d/%m/%Y}"))
    print(_("Reason: {reason}").format(reason=args.reason.strip()))
    return EXIT_OK


def cmd_evidence(args: argparse.Namespace) -> int:
    from ..ledger import LedgerError
    from ..render import evidence as render

    if args.action == "list":
        try:
            with open_ledger(args) as ledger:
                items = ledger.evidence(plans=args.plan, units=args.unit, occurrence_id=args.occurrence)
                names = ledger.unit_names()
        except LedgerError as error:
            return fail(str(error))
        sys.stdout.write(render.evidence_json(items) if args.format == "json" else render.evidence_table(items, names))
        return EXIT_OK
    try:
        with open_ledger(args) as ledger:
            result = ledger.withdraw_evidence(args.evidence_id, args.reason, actor=actor(args))
    except LedgerError as error:
        return fail(str(error))
    item = result.item
    print(_("Withdrew evidence #{id} ({kind} {value}) of occurrence #{occurrence} ({start}–{end}). "
            "Reason: {reason}").format(
        id=item.id, kind=_(render.KINDS[item.kind]), value=item.value, occurrence=item.occurrence_id,
        start=f"{item.window_start:%d/%m/%Y}", end=f"{item.window_end:%d/%m/%Y}", reason=item.withdraw_reason))
    print(_delivered(result))
    return EXIT_OK


def _delivered(result: RecordResult | WithdrawResult) -> str:
    return _("Delivered {done}/{needed}: {status}.").format(
        done=result.delivered, needed=result.at_least, status=result.status.label)
