"""`commplan sync` and `commplan event`: the plans into the ledger, and the awaited events that open work."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..i18n import _
from .arguments import (
    EXIT_OK,
    EXIT_USAGE,
    Subparsers,
    actor,
    date_type,
    fail,
    ledger_options,
    load_plans,
    open_ledger,
    today,
)

if TYPE_CHECKING:
    from ..ledger import Ledger
    from ..ledger.events import EventChange
    from ..ledger.sync import SyncReport


def register(sub: Subparsers) -> None:
    sync = sub.add_parser("sync", help=_("materialise the plans' occurrences in the ledger, up to a horizon"))
    sync.add_argument("paths", nargs="*", metavar="PATH", default=["plans/"], help=_("plan files or folders (default plans/)"))
    sync.add_argument("--units", action="append", default=[], metavar="PATH", help=_("add a directory of units from elsewhere"))
    sync.add_argument("--horizon", type=date_type, metavar="DATE",
                      help=_("last day to materialise (default: 31 December of next year)"))
    ledger_options(sync, actor=True)
    sync.set_defaults(handler=cmd_sync)

    event = sub.add_parser("event", help=_("record that an awaited event happened, and open what waits for it"))
    event.add_argument("event_id", metavar="ID", help=_("the event's id in the plan"))
    event.add_argument("--date", dest="day", type=date_type, required=True,
                       help=_("the day it happened; a repeating event gets one more instance on that day"))
    event.add_argument("--undo", action="store_true",
                       help=_("withdraw it: the latest instance of that day (a repeating event) or the recorded date; "
                              "removes the occurrences it opened that nobody touched"))
    event.add_argument("--plan", metavar="ID", help=_("the plan, when several plans have this event"))
    event.add_argument("--plans", nargs="+", metavar="PATH", default=["plans/"], help=_("plans to re-sync afterwards (default plans/)"))
    ledger_options(event, actor=True)
    event.set_defaults(handler=cmd_event)


def print_sync(ledger: Ledger, report: SyncReport) -> None:
    print(_("Synced {plans} plans, {obligations} obligations into {where}: {inserted} new, {updated} updated, "
            "{deleted} removed, {orphaned} orphaned, {unchanged} unchanged occurrences.").format(
        plans=report.plans, obligations=report.obligations, where=ledger.where, inserted=report.inserted,
        updated=report.updated, deleted=report.deleted, orphaned=report.orphaned, unchanged=report.unchanged))
    if report.moved:
        print("  " + _("{count} untouched occurrences passed to a successor unit (same id, same calendar UID).").format(
            count=report.moved))
    for waiting in report.waiting:
        print("  " + _("waiting for an event: {what}").format(what=waiting))


def cmd_sync(args: argparse.Namespace) -> int:
    from ..ledger import LedgerError
    from ..schedule.bounds import horizon_problem

    problem = args.horizon and horizon_problem(args.horizon, today())
    if problem:  # before anything is read: a typo such as 9000-12-31 would expand for minutes
        return fail(f"--horizon: {problem}", EXIT_USAGE)
    catalog = load_plans(args.paths, args.units)
    if catalog is None:
        return fail(_("the plans have errors: nothing was synced"))
    try:
        with open_ledger(args) as ledger:
            print_sync(ledger, ledger.sync(catalog, horizon=args.horizon, actor=actor(args)))
    except LedgerError as error:
        return fail(str(error))
    return EXIT_OK


def cmd_event(args: argparse.Namespace) -> int:
    from ..ledger import LedgerError

    catalog = load_plans(args.plans, [])  # first: a broken plan must not leave a half-recorded event
    if catalog is None:
        return fail(_("the plans have errors: the event was not recorded"))
    try:
        with open_ledger(args) as ledger:
            change = ledger.event(args.event_id, args.day, plan=args.plan, undo=args.undo, actor=actor(args),
                                  resync=catalog)
            for line in _event_lines(change):
                print(line)
            if change.report is not None:  # the plans re-synced after the event
                print_sync(ledger, change.report)
    except LedgerError as error:
        return fail(str(error))
    return EXIT_OK


def _event_lines(change: EventChange) -> list[str]:
    """What `commplan event` did, for the clerk who ran it."""
    name, day = f"{change.plan}/{change.event}", f"{change.day:%d/%m/%Y}"
    if not change.undo and not change.repeats:
        if change.previous:
            return [_("Recorded {event} on {day} (was {previous}).").format(
                event=name, day=day, previous=f"{change.previous:%d/%m/%Y}")]
        return [_("Recorded {event} on {day}.").format(event=name, day=day)]
    if not change.undo:
        return [_("Recorded one more instance of the event {event} on {day} ({count} on that day; each opens its "
                  "own occurrences).").format(event=name, day=day, count=change.standing)]
    if change.repeats:
        lines = [_("Withdrew one instance of the event {event} on {day} ({count} left on that day).").format(
            event=name, day=day, count=change.standing)]
    else:
        lines = [_("Removed the recorded day {day} of the event {event} (a day written in the plan applies again).")
                 .format(event=name, day=day)]
    lines.append(_("Removed {count} occurrences without evidence, excusal or reminder.").format(count=change.removed))
    if change.kept:
        ids = ", ".join(f"#{i}" for i in change.kept)
        lines.append(_("Kept {count} occurrences that have evidence, an excusal or a reminder (marked orphaned; "
                       "evidence is never deleted): {ids}.").format(count=len(change.kept), ids=ids))
    return lines
