"""`commplan validate` and `commplan preview`: the plan files alone, no ledger."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import TYPE_CHECKING

from ..i18n import _
from .arguments import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
    Subparsers,
    date_type,
    event_type,
    range_refused,
    today,
)

if TYPE_CHECKING:
    from ..plan import Catalog
    from ..plan.errors import PlanError


def register(sub: Subparsers) -> None:
    validate = sub.add_parser("validate", help=_("check plan files; print every error with file:line:column"))
    validate.add_argument("paths", nargs="+", metavar="PATH", help=_("plan files or folders (searched for *.yaml)"))
    validate.add_argument("--units", action="append", default=[], metavar="PATH", help=_("add a directory of units from elsewhere"))
    validate.set_defaults(handler=cmd_validate)

    preview = sub.add_parser("preview", help=_("list the occurrences whose deadline falls in a date range"))
    preview.add_argument("paths", nargs="+", metavar="PATH", help=_("plan files or folders (searched for *.yaml)"))
    preview.add_argument("--units", action="append", default=[], metavar="PATH",
                         help=_("add a directory of units from elsewhere"))
    preview.add_argument("--from", dest="start", type=date_type, metavar="DATE", help=_("first day (default today)"))
    preview.add_argument("--to", dest="end", type=date_type, metavar="DATE", help=_("last day (default 30 days after --from)"))
    preview.add_argument("--unit", action="append", default=[], metavar="ID", help=_("only this unit (a group means its members)"))
    preview.add_argument("--plan", action="append", default=[], metavar="ID", help=_("only this plan"))
    preview.add_argument("--event", action="append", default=[], type=event_type, metavar="ID=DATE",
                         help=_("treat an awaited event as happened on DATE (repeat it for each instance of a repeating event)"))
    preview.add_argument("--format", choices=("table", "json", "csv"), default="table",
                         help=_("table (default), or json or csv with stable English keys for other programs"))
    preview.set_defaults(handler=cmd_preview)


def _load(args: argparse.Namespace) -> tuple[Catalog, list[PlanError]]:
    from ..plan import load_catalog

    catalog, errors = load_catalog(args.paths, units=args.units, strict=False)
    for error in errors:
        print(error, file=sys.stderr)
    return catalog, errors


def cmd_validate(args: argparse.Namespace) -> int:
    catalog, errors = _load(args)
    for warning in catalog.warnings:  # valid, but probably not meant: reported, exit status unchanged
        print(warning, file=sys.stderr)
    if errors:
        print(_("{errors} error(s) in {files} file(s).").format(errors=len(errors), files=len({e.file for e in errors})),
              file=sys.stderr)
        return EXIT_INVALID
    obligations = sum(len(p.obligations) for p in catalog.plans.values())
    print(
        _("OK: {files} files, {plans} plans, {obligations} obligations, {units} units, {groups} groups.").format(
            files=len(catalog.files), plans=len(catalog.plans), obligations=obligations,
            units=len(catalog.directory.units), groups=len(catalog.directory.groups))
        + (" " + _("{count} warning(s).").format(count=len(catalog.warnings)) if catalog.warnings else "")
    )
    return EXIT_OK


def cmd_preview(args: argparse.Namespace) -> int:
    from ..render import occurrences as render
    from ..schedule import expand_catalog, sort_key

    catalog, errors = _load(args)
    if errors:
        print(_("{count} error(s): fix them, then preview again.").format(count=len(errors)), file=sys.stderr)
        return EXIT_INVALID
    start = args.start or today()
    end = args.end or start + dt.timedelta(days=30)
    refused = range_refused(start, end)
    if refused is not None:
        return refused
    unknown = [p for p in args.plan if p not in catalog.plans]
    unknown += [u for u in args.unit if u not in catalog.directory]
    if unknown:
        print(_("unknown plan or unit: {ids}").format(ids=", ".join(unknown)), file=sys.stderr)
        return EXIT_USAGE
    events: dict[str, dict[str, dt.date | list[dt.date]]] = {}
    for ident, day in args.event:
        matched = [p for p in catalog.plans.values() if any(e.id == ident for e in p.events)]
        if not matched:
            print(_("unknown event: {id}").format(id=ident), file=sys.stderr)
            return EXIT_USAGE
        for plan in matched:
            if any(e.id == ident and e.repeats for e in plan.events):  # each --event is one more instance
                instances = events.setdefault(plan.id, {}).setdefault(ident, [])
                if isinstance(instances, list):  # always: a repeating event's days are a list
                    instances.append(day)
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
