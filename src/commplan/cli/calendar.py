"""`commplan export ics`: a compliance calendar file for Outlook, Google Calendar or a phone;
`commplan feed-url`: the subscription feeds' address; `commplan serve-calendars`: the web app, which
serves them (`commplan serve` on port 8080)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from ..i18n import _
from .arguments import (
    EXIT_OK,
    EXIT_USAGE,
    Subparsers,
    as_of_type,
    date_type,
    fail,
    ledger_options,
    os_reason,
    range_refused,
)


def register(sub: Subparsers) -> None:
    export = sub.add_parser("export", help=_("export a compliance calendar (iCalendar) to import or subscribe to"))
    export.add_argument("format", choices=("ics",), help=_("ics: iCalendar (RFC 5545)"))
    export.add_argument("--unit", action="append", default=[], metavar="ID",
                        help=_("everything this unit (or each member of a group) owes, across plans; repeatable"))
    export.add_argument("--plan", action="append", default=[], metavar="ID", help=_("only these plans; repeatable"))
    export.add_argument("--coordinator", action="store_true",
                        help=_("every holder's deadlines: of the plans the --unit coordinates, else of the --plan(s)"))
    export.add_argument("--from", dest="start", type=date_type, metavar="DATE", help=_("deadlines from (default: 1 Jan this year)"))
    export.add_argument("--to", dest="end", type=date_type, metavar="DATE", help=_("deadlines until (default: 31 Dec next year)"))
    export.add_argument("--recurring", action="store_true",
                        help=_("one repeating event per obligation and holder (RRULE) instead of one per deadline"))
    export.add_argument("--as-of", type=as_of_type, metavar="DATETIME", help=_("statuses as of (default now)"))
    export.add_argument("--plans", nargs="+", default=["plans/"], metavar="PATH", help=_("the plans (default plans/)"))
    export.add_argument("--no-sync", action="store_true", help=_("export the ledger as it is, without syncing the plans first"))
    export.add_argument("-o", "--output", required=True, metavar="FILE", help=_("where to write (- for standard output)"))
    ledger_options(export)
    export.set_defaults(handler=cmd_export)
    _register_feeds(sub)


def cmd_export(args: argparse.Namespace) -> int:
    from ..calendar.export import Selection, coordinated_by, export_calendar
    from ..ledger import Ledger, LedgerError
    from ..links import report_link
    from ..plan import load_catalog
    from ..settings import get_settings

    catalog, errors = load_catalog(args.plans, strict=False)
    for error in errors:
        print(error, file=sys.stderr)
    if errors:
        return fail(_("the plans have errors: fix them, then export again"))
    unknown = [p for p in args.plan if p not in catalog.plans] + [u for u in args.unit if u not in catalog.directory]
    if unknown:
        print(_("unknown plan or unit: {ids}").format(ids=", ".join(unknown)), file=sys.stderr)
        return EXIT_USAGE
    from ..clock import now as clock_now

    now = clock_now()
    as_of = args.as_of or now
    today = as_of.astimezone(dt.timezone(dt.timedelta(hours=7))).date()
    start = args.start or dt.date(today.year, 1, 1)
    end = args.end or dt.date(today.year + 1, 12, 31)
    refused = range_refused(start, end)
    if refused is not None:
        return refused
    units, plans = tuple(args.unit), tuple(args.plan)
    if args.coordinator and units:
        plans = tuple(p for p in coordinated_by(catalog, units) if not args.plan or p in args.plan)
        if not plans:
            return fail(_("{units} coordinates none of the plans").format(units=", ".join(units)))
        units = ()
    selection = Selection(units=units, plans=plans, start=start, end=end)
    settings = get_settings()
    link = None
    public_url = settings.public_url
    secret = settings.signing_secret if public_url else None
    if public_url and secret:
        link = lambda occurrence, unit: report_link(public_url, secret, occurrence, unit, issued=now)  # noqa: E731
    try:
        with Ledger.open(args.database) as ledger:
            if not args.no_sync:
                ledger.sync(catalog, now=now, actor="commplan-export")
            if args.recurring:
                from ..calendar.recurring import recurring_calendar

                data, count = recurring_calendar(ledger, catalog, selection, now=now)
            else:
                data, _shown = export_calendar(ledger, catalog, selection, as_of=as_of, now=now, link=link)
                count = data.count(b"BEGIN:VEVENT")
    except LedgerError as error:
        return fail(str(error))
    if args.output == "-":
        sys.stdout.buffer.write(data)
    else:
        try:
            Path(args.output).write_bytes(data)
        except OSError as error:  # a missing folder, a directory, no permission: one line (the sync stands)
            reason = _("it is a folder") if Path(args.output).is_dir() else os_reason(error)
            return fail(_("cannot write {path}: {reason}; give -o a file in an existing, writable folder").format(
                path=args.output, reason=reason))
        print(_("Wrote {count} events ({start}–{end}) to {path}.").format(
            count=count, start=f"{start:%d/%m/%Y}", end=f"{end:%d/%m/%Y}", path=args.output))
    return EXIT_OK


# ---------------------------------------------------------------- subscription feeds

LOCAL_URL = "http://127.0.0.1:8080"


def _register_feeds(sub: Subparsers) -> None:
    serve = sub.add_parser("serve-calendars", help=_("the same as `commplan serve` on port 8080 (the calendar feeds "
                                                      "/calendars/{unit}.ics are part of the web app)"))
    serve.add_argument("--host", default="127.0.0.1", help=_("address to listen on (default 127.0.0.1)"))
    serve.add_argument("--port", type=int, default=8080, help=_("port to listen on (default 8080)"))
    serve.add_argument("--plans", nargs="+", default=["plans/"], metavar="PATH", help=_("the plans (default plans/)"))
    ledger_options(serve)
    serve.set_defaults(handler=cmd_serve_calendars)

    url = sub.add_parser("feed-url", help=_("print the subscription address of a unit's or a plan's calendar feed"))
    which = url.add_mutually_exclusive_group(required=True)
    which.add_argument("--unit", metavar="ID", help=_("a unit's (or a group's) calendar"))
    which.add_argument("--plan", metavar="ID", help=_("a plan's coordinator calendar (every holder)"))
    url.set_defaults(handler=cmd_feed_url)


def cmd_serve_calendars(args: argparse.Namespace) -> int:
    """The feeds are part of the web app now: this serves the whole app (same paths), on port 8080."""
    from .serve import serve_web

    return serve_web(args)


def cmd_feed_url(args: argparse.Namespace) -> int:
    from ..settings import get_settings
    from ..web.feeds import feed_url

    settings = get_settings()
    secret = settings.signing_secret
    if not secret:
        return fail(_("COMMPLAN_LINK_SECRET is not set: feed tokens are signed with it (and serve-calendars needs it)"))
    if not settings.public_url:
        print(_("note: COMMPLAN_PUBLIC_URL is not set; the address assumes serve-calendars at {url}").format(url=LOCAL_URL),
              file=sys.stderr)
    url = feed_url(settings.public_url or LOCAL_URL, secret, unit=args.unit, plan=args.plan)
    print(url)
    print("webcal://" + url.split("://", 1)[1])
    return EXIT_OK
