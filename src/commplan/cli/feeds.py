"""`commplan feeds check` and `commplan feeds run`: the units' RSS/Atom feeds read, their articles matched to
duties; `check` only shows what would be recorded and why, `run` records it once (what the hourly flow does).

Exit status: 0 when every feed was read and every match handled; 1 when a feed failed (or, failing for
hours, was not tried: it backs off to once a day) or the ledger refused a match (the summary says which), or the plans have errors; 2 for a usage error.
"""

from __future__ import annotations

import argparse
import sys

from ..i18n import _
from .arguments import EXIT_FAILED, EXIT_OK, Subparsers, fail, ledger_options, load_plans, open_ledger


def register(sub: Subparsers) -> None:
    feeds = sub.add_parser("feeds", help=_("read the units' feeds (RSS, Atom) and record the articles that meet a duty"))
    actions = feeds.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser("check", help=_("show which articles would be recorded, and why, without recording"))
    check.add_argument("--unit", action="append", default=[], metavar="ID",
                       help=_("only the matches of this unit (from every feed)"))
    run = actions.add_parser("run", help=_("read the feeds once and record the matches (what the hourly flow does)"))
    for parser in (check, run):
        parser.add_argument("--plans", nargs="+", metavar="PATH", default=["plans/"],
                            help=_("plan files or folders (default plans/)"))
        ledger_options(parser)
    feeds.set_defaults(handler=cmd_feeds)


def cmd_feeds(args: argparse.Namespace) -> int:
    from .. import clock
    from ..intake import feed_report
    from ..intake.feed_fetching import read_feeds
    from ..intake.feed_run import feed_urls
    from ..ledger import LedgerError
    from ..settings import get_settings

    catalog = load_plans(args.plans)
    if catalog is None:
        return fail(_("the plans have errors: no feed was read"))
    dry_run = args.action == "check"
    units = getattr(args, "unit", [])
    unknown = [u for u in units if u not in catalog.directory.units]
    if unknown:
        return fail(_("unknown unit '{unit}'").format(unit=unknown[0]))
    now = clock.now()
    try:
        with open_ledger(args) as ledger:
            urls = feed_urls(catalog)
            if not urls:
                print(_("No unit of the directory has a feed (`feeds:`): nothing to read."))
                return EXIT_OK
            report = read_feeds(catalog, ledger, dry_run=dry_run, units=units, now=now,
                                allow_private_hosts=get_settings().feeds_allow_private_hosts)
            names = ledger.unit_names()
    except LedgerError as error:
        return fail(str(error))
    lines = feed_report.match_lines(report, names) if dry_run else []
    sys.stdout.write("\n".join([*lines, *([""] if lines else []), *feed_report.summary_lines(report)]) + "\n")
    return EXIT_FAILED if report.failures or report.backed_off or report.errors else EXIT_OK
