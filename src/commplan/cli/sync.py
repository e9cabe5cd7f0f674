"""`commplan sync` and `commplan event`: the plans into the ledger, and the awaited events that open work."""

from __future__ import annotations

import sys

from .arguments import (
    EXIT_OK,
    EXIT_USAGE,
    actor,
    date_type,
    fail,
    ledger_options,
    load_plans,
    open_ledger,
    today,
)


def register(sub) -> None:
    sync = sub.add_parser("sync", help="materialise the plans' occurrences in the ledger, up to a horizon")
    sync.add_argument("paths", nargs="*", metavar="PATH", default=["plans/"], help="plan files or folders (default plans/)")
    sync.add_argument("--units", action="append", default=[], metavar="PATH")
    sync.add_argument("--horizon", type=date_type, help="last day to materialise (default: 31 December of next year)")
    ledger_options(sync, actor=True)
    sync.set_defaults(handler=cmd_sync)

    event = sub.add_parser("event", help="record that an awaited event happened, and open what waits for it")
    event.add_argument("event_id", metavar="ID")
    event.add_argument("--date", dest="day", type=date_type, required=True,
                       help="the day it happened; a repeating event gets one more instance on that day")
    event.add_argument("--undo", action="store_true",
                       help="withdraw it: the latest instance of that day (a repeating event) or the recorded date; "
                            "removes the occurrences it opened that nobody touched")
    event.add_argument("--plan", metavar="ID", help="the plan, when several plans have this event")
    event.add_argument("--plans", nargs="+", metavar="PATH", default=["plans/"], help="plans to re-sync afterwards (default plans/)")
    ledger_options(event, actor=True)
    event.set_defaults(handler=cmd_event)


def print_sync(ledger, report) -> None:
    print(
        f"Synced {report.plans} plans, {report.obligations} obligations into {ledger.where}: "
        f"{report.inserted} new, {report.updated} updated, {report.deleted} removed, "
        f"{report.orphaned} orphaned, {report.unchanged} unchanged occurrences."
    )
    if report.moved:
        print(f"  {report.moved} untouched occurrences passed to a successor unit (same id, same calendar UID).")
    for waiting in report.waiting:
        print(f"  waiting for an event: {waiting}")


def cmd_sync(args) -> int:
    from ..ledger import LedgerError
    from ..schedule.bounds import horizon_problem

    problem = args.horizon and horizon_problem(args.horizon, today())
    if problem:  # before anything is read: a typo such as 9000-12-31 would expand for minutes
        print(f"error: --horizon: {problem}", file=sys.stderr)
        return EXIT_USAGE
    catalog = load_plans(args.paths, args.units)
    if catalog is None:
        return fail("the plans have errors: nothing was synced")
    try:
        with open_ledger(args) as ledger:
            print_sync(ledger, ledger.sync(catalog, horizon=args.horizon, actor=actor(args)))
    except LedgerError as error:
        return fail(str(error))
    return EXIT_OK


def cmd_event(args) -> int:
    from ..ledger import LedgerError

    catalog = load_plans(args.plans, [])  # first: a broken plan must not leave a half-recorded event
    if catalog is None:
        return fail("the plans have errors: the event was not recorded")
    try:
        with open_ledger(args) as ledger:
            change = ledger.event(args.event_id, args.day, plan=args.plan, undo=args.undo, actor=actor(args),
                                  resync=catalog)
            for line in _event_lines(change):
                print(line)
            print_sync(ledger, change.report)
    except LedgerError as error:
        return fail(str(error))
    return EXIT_OK


def _event_lines(change) -> list[str]:
    """What `commplan event` did, for the clerk who ran it (Vietnamese, except the one-time record's line)."""
    name, day = f"{change.plan}/{change.event}", f"{change.day:%d/%m/%Y}"
    if not change.undo and not change.repeats:
        was = f" (was {change.previous:%d/%m/%Y})" if change.previous else ""
        return [f"Recorded {name} on {day}{was}."]
    if not change.undo:
        return [f"Đã ghi nhận một lần xảy ra của sự kiện {name} ngày {day} "
                f"(ngày này có {change.standing} lần; mỗi lần mở nhiệm vụ riêng)."]
    lines = [f"Đã rút lại một lần của sự kiện {name} ngày {day} (ngày này còn {change.standing} lần)." if change.repeats
             else f"Đã xoá ngày {day} đã ghi nhận cho sự kiện {name} (nếu kế hoạch ghi sẵn ngày, ngày đó được áp dụng lại)."]
    lines.append(f"Đã xoá {change.removed} nhiệm vụ chưa có minh chứng, chưa được miễn, chưa được nhắc.")
    if change.kept:
        ids = ", ".join(f"#{i}" for i in change.kept)
        lines.append(f"Giữ lại {len(change.kept)} nhiệm vụ đã có minh chứng, được miễn hoặc đã được nhắc "
                     f"(đánh dấu mồ côi, minh chứng không bao giờ bị xoá): {ids}.")
    return lines
