"""The `commplan` command line: a thin shell over the package API."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def _day(text: str) -> dt.date | None:
    """A day written YYYY-MM-DD or, as clerks write it, dd/mm/yyyy (d/m/yyyy too); None otherwise."""
    text = text.strip()
    for form in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, form).date()
        except ValueError:
            continue
    return None


def _date(text: str) -> dt.date:
    day = _day(text)
    if day is None:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (dd/mm/yyyy or YYYY-MM-DD)")
    return day


def _event(text: str) -> tuple[str, dt.date]:
    ident, sep, day = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"'{text}' is not ID=YYYY-MM-DD")
    return ident.strip(), _date(day.strip())


def _as_of(text: str) -> dt.datetime:
    """A date means the end of that day in Vietnam; a datetime without offset is Vietnam time."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    try:
        if len(text) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(23, 59, 59), tzinfo=tz)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date or datetime (YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from None
    if not 1900 <= moment.year <= 9000:
        raise argparse.ArgumentTypeError(f"'{text}': the year must be between 1900 and 9000")
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _instant(text: str) -> dt.datetime | None:
    """YYYY-MM-DDTHH:MM[:SS][±HH:MM], or dd/mm/yyyy HH:MM; None otherwise."""
    text = text.strip()
    day, space, clock = text.partition(" ")
    try:
        if space and "/" in day:
            parsed = _day(day)
            return dt.datetime.combine(parsed, dt.time.fromisoformat(clock.strip())) if parsed else None
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def _on(text: str) -> dt.date | dt.datetime:
    """A day (its 00:00 in the plan's timezone) or an instant (without offset: the plan's timezone)."""
    value = _day(text) or _instant(text)
    if value is None:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a date or datetime (dd/mm/yyyy, dd/mm/yyyy HH:MM, YYYY-MM-DD or YYYY-MM-DDTHH:MM)")
    if not 1900 <= value.year <= 9000:
        raise argparse.ArgumentTypeError(f"'{text}': the year must be between 1900 and 9000")
    return value


def _today() -> dt.date:
    """Today in Vietnam, on the process clock (COMMPLAN_NOW)."""
    from zoneinfo import ZoneInfo

    from .clock import now

    return now().astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()


def _positive(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) < 2**63:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of 1 or more")
    return int(text)


def _ledger_options(parser: argparse.ArgumentParser, *, actor: bool = False) -> None:
    parser.add_argument("--database", metavar="URL", help="ledger database (default: $COMMPLAN_DATABASE_URL, else SQLite in the data folder)")
    if actor:
        parser.add_argument("--by", metavar="NAME", help="who makes this change (recorded in the audit log; default: your login)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="commplan",
        description="Scheduling engine for government communication plans.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = sub.add_parser("validate", help="check plan files; print every error with file:line:column")
    validate.add_argument("paths", nargs="+", metavar="PATH", help="plan files or folders (searched for *.yaml)")
    validate.add_argument("--units", action="append", default=[], metavar="PATH", help="add a directory of units from elsewhere")

    preview = sub.add_parser("preview", help="list the occurrences whose deadline falls in a date range")
    preview.add_argument("paths", nargs="+", metavar="PATH")
    preview.add_argument("--units", action="append", default=[], metavar="PATH")
    preview.add_argument("--from", dest="start", type=_date, help="first day (default today)")
    preview.add_argument("--to", dest="end", type=_date, help="last day (default 30 days after --from)")
    preview.add_argument("--unit", action="append", default=[], metavar="ID", help="only this unit (a group means its members)")
    preview.add_argument("--plan", action="append", default=[], metavar="ID", help="only this plan")
    preview.add_argument("--event", action="append", default=[], type=_event, metavar="ID=DATE",
                         help="treat an awaited event as happened on DATE (repeat it for each instance of a repeating event)")
    preview.add_argument("--format", choices=("table", "json", "csv"), default="table")

    sync = sub.add_parser("sync", help="materialise the plans' occurrences in the ledger, up to a horizon")
    sync.add_argument("paths", nargs="*", metavar="PATH", default=["plans/"], help="plan files or folders (default plans/)")
    sync.add_argument("--units", action="append", default=[], metavar="PATH")
    sync.add_argument("--horizon", type=_date, help="last day to materialise (default: 31 December of next year)")
    _ledger_options(sync, actor=True)

    event = sub.add_parser("event", help="record that an awaited event happened, and open what waits for it")
    event.add_argument("event_id", metavar="ID")
    event.add_argument("--date", dest="day", type=_date, required=True,
                       help="the day it happened; a repeating event gets one more instance on that day")
    event.add_argument("--undo", action="store_true",
                       help="withdraw it: the latest instance of that day (a repeating event) or the recorded date; "
                            "removes the occurrences it opened that nobody touched")
    event.add_argument("--plan", metavar="ID", help="the plan, when several plans have this event")
    event.add_argument("--plans", nargs="+", metavar="PATH", default=["plans/"], help="plans to re-sync afterwards (default plans/)")
    _ledger_options(event, actor=True)

    record = sub.add_parser("record", help="record what a unit delivered (a link, a document, a count)")
    record.add_argument("obligation", metavar="OBLIGATION", help="obligation id, or PLAN/OBLIGATION")
    record.add_argument("--unit", required=True, metavar="ID")
    record.add_argument("--on", type=_on, metavar="DATE",
                        help="when it was published or sent: dd/mm/yyyy [HH:MM] or YYYY-MM-DD[THH:MM] (a date means 00:00 "
                             "that day; default now); picks the window unless --occurrence is given")
    record.add_argument("--occurrence", type=_positive, metavar="ID",
                        help="the occurrence it counts for (a late report: give its real date with --on)")
    what = record.add_mutually_exclusive_group(required=True)
    what.add_argument("--link", metavar="URL")
    what.add_argument("--document", metavar="NAME")
    what.add_argument("--count", type=_positive, metavar="N")
    record.add_argument("--note")
    record.add_argument("--source", choices=("manual", "web", "feed", "import"), default="manual")
    _ledger_options(record, actor=True)

    from .cli_evidence import add_parser as add_evidence

    add_evidence(sub, _ledger_options, _positive)

    excuse = sub.add_parser("excuse", help="waive an occurrence with a reason (or --undo)")
    excuse.add_argument("occurrence", type=_positive, metavar="OCCURRENCE")
    reason = excuse.add_mutually_exclusive_group(required=True)
    reason.add_argument("--reason")
    reason.add_argument("--undo", action="store_true", help="take the excusal back")
    _ledger_options(excuse, actor=True)

    status = sub.add_parser("status", help="who is on time, late, open or overdue, as of an instant")
    status.add_argument("--as-of", type=_as_of, metavar="DATETIME", help="answer as on this day (end of day) or instant (default now)")
    status.add_argument("--plan", action="append", default=[], metavar="ID")
    status.add_argument("--unit", action="append", default=[], metavar="ID", help="a unit, or a group (its members)")
    status.add_argument("--province", metavar="SLUG", help="every unit of a province (the `province:` of its directory file)")
    status.add_argument("--overdue", action="store_true", help="only overdue occurrences")
    status.add_argument("--all", action="store_true", help="include occurrences whose window has not opened")
    status.add_argument("--summary", action="store_true", help="counts per plan and per unit in the Government Office's buckets")
    status.add_argument("--format", choices=("table", "json", "csv"), default="table")
    _ledger_options(status)

    remind = sub.add_parser("remind", help="queue the reminder steps due, plan their messages and send them")
    remind.add_argument("--as-of", type=_as_of, metavar="DATETIME",
                        help="the instant (default now); more than 10 minutes from the clock it is a replay, as --dry-run")
    remind.add_argument("--plans", nargs="+", default=["plans/"], metavar="PATH")
    remind.add_argument("--dry-run", action="store_true", help="show what would be queued and sent; change nothing")
    _ledger_options(remind)

    outbox = sub.add_parser("outbox", help="the messages planned, sent, failing or failed")
    outbox.add_argument("--failed", action="store_true", help="only failed ones and those left unknown by a crash")
    outbox.add_argument("--format", choices=("table", "json"), default="table")
    _ledger_options(outbox)

    token = sub.add_parser("zalo-token", help="store the Zalo OA token pair after authorising the OA, or show its state")
    secret_from = token.add_mutually_exclusive_group()
    secret_from.add_argument("--refresh-token", metavar="-", help="`-`: read the refresh token from Zalo's authorisation "
                             "from stdin (never on the command line, where `ps` shows it)")
    secret_from.add_argument("--refresh-token-file", metavar="PATH", help="read the refresh token from this file")
    token.add_argument("--access-token-file", metavar="PATH", help="its access token, from this file "
                       "(default: refresh at once)")
    token.add_argument("--expires-in", type=int, default=90000, metavar="SECONDS",
                       help="the access token's lifetime as Zalo gave it (default 90000 = 25 h)")
    _ledger_options(token)

    from .cli_calendar import add_feed_parsers
    from .cli_calendar import add_parser as add_export

    add_export(sub, _ledger_options, _as_of, _date)
    add_feed_parsers(sub, _ledger_options)

    from .cli_units import add_parser as add_units

    add_units(sub)

    from .cli_data import add_parsers as add_data

    add_data(sub, _ledger_options)

    run = sub.add_parser("run", help="the main job: one tick (sync, statuses, artifacts) on an embedded Prefect")
    run.add_argument("--as-of", type=_as_of, metavar="DATETIME",
                     help="the instant (default now); more than 10 minutes from the clock it is a replay: "
                          "shows what it would send, sends nothing")
    run.add_argument("--plans", default="plans/", metavar="DIR", help="the plans (default plans/)")
    _ledger_options(run)
    worker = sub.add_parser("worker", help="serve every deployment (tick hourly 06:00-21:00, weekly and monthly "
                                           "reports) from this process; needs PREFECT_API_URL")
    worker.add_argument("--plans", default="plans/", metavar="DIR", help="the plans the tick reads (default plans/)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from . import clock
    from .i18n import install_argparse

    install_argparse()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        clock.now()  # a bad COMMPLAN_NOW is one line here, before any work
    except clock.ClockError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.command in ("validate", "preview"):
        handler = {"validate": cmd_validate, "preview": cmd_preview}[args.command]
    elif args.command == "run":
        from .cli_run import cmd_run as handler
    elif args.command == "worker":
        from .cli_worker import cmd_worker as handler
    elif args.command == "units":
        from .cli_units import cmd_units as handler
    elif args.command == "export":
        from .cli_calendar import cmd_export as handler
    elif args.command in ("backup", "restore", "contact"):
        from . import cli_data

        handler = getattr(cli_data, f"cmd_{args.command}")
    elif args.command == "evidence":
        from .cli_evidence import cmd_evidence as handler
    elif args.command in ("serve-calendars", "feed-url"):
        from . import cli_calendar

        handler = getattr(cli_calendar, f"cmd_{args.command.replace('-', '_')}")
    else:  # the ledger's commands import SQLAlchemy and friends: only when used
        from . import cli_ledger

        handler = getattr(cli_ledger, f"cmd_{args.command.replace('-', '_')}")
    from .settings import SettingsError

    try:
        return handler(args)
    except BrokenPipeError:  # `commplan preview … | head`
        return EXIT_OK
    except SettingsError as error:  # a weak COMMPLAN_LINK_SECRET, a bad key: one line, whichever command met it
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE


def _load(args):
    from .plan import load_catalog

    catalog, errors = load_catalog(args.paths, units=args.units, strict=False)
    for error in errors:
        print(error, file=sys.stderr)
    return catalog, errors


def cmd_validate(args) -> int:
    catalog, errors = _load(args)
    for warning in catalog.warnings:  # valid, but probably not meant: reported, exit status unchanged
        print(warning, file=sys.stderr)
    if errors:
        print(f"{len(errors)} error(s) in {len({e.file for e in errors})} file(s).", file=sys.stderr)
        return EXIT_INVALID
    obligations = sum(len(p.obligations) for p in catalog.plans.values())
    print(
        f"OK: {len(catalog.files)} files, {len(catalog.plans)} plans, {obligations} obligations, "
        f"{len(catalog.directory.units)} units, {len(catalog.directory.groups)} groups."
        + (f" {len(catalog.warnings)} warning(s)." if catalog.warnings else "")
    )
    return EXIT_OK


def cmd_preview(args) -> int:
    from .render import occurrences as render
    from .schedule import expand_catalog, sort_key
    from .schedule.bounds import range_problem

    catalog, errors = _load(args)
    if errors:
        print(f"{len(errors)} error(s): fix them, then preview again.", file=sys.stderr)
        return EXIT_INVALID
    start = args.start or _today()
    end = args.end or start + dt.timedelta(days=30)
    if end < start:
        print(f"--to {end} is before --from {start}", file=sys.stderr)
        return EXIT_USAGE
    problem = range_problem(start, end)
    if problem:
        print(f"error: --from/--to: {problem}", file=sys.stderr)
        return EXIT_USAGE
    unknown = [p for p in args.plan if p not in catalog.plans]
    unknown += [u for u in args.unit if u not in catalog.directory]
    if unknown:
        print(f"unknown plan or unit: {', '.join(unknown)}", file=sys.stderr)
        return EXIT_USAGE
    events: dict[str, dict[str, dt.date | list[dt.date]]] = {}
    for ident, day in args.event:
        matched = [p for p in catalog.plans.values() if any(e.id == ident for e in p.events)]
        if not matched:
            print(f"unknown event: {ident}", file=sys.stderr)
            return EXIT_USAGE
        for plan in matched:
            if any(e.id == ident and e.repeats for e in plan.events):  # each --event is one more instance
                events.setdefault(plan.id, {}).setdefault(ident, []).append(day)
            else:
                events.setdefault(plan.id, {})[ident] = day
    units = set(catalog.directory.expand(tuple(args.unit))) if args.unit else None
    found = expand_catalog(catalog, start, end, by="due", events=events, plans=args.plan or None)
    rows = sorted(
        (o for o in found if units is None or units.intersection(o.holders) or o.unit in units),
        key=sort_key,
    )
    output = {"json": render.as_json, "csv": render.as_csv}.get(args.format)
    sys.stdout.write(output(rows) + ("\n" if args.format == "json" else "") if output else render.as_table(rows, catalog))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
