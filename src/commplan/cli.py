"""The `commplan` command line: a thin shell over the package API."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Sequence

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def _event(text: str) -> tuple[str, dt.date]:
    ident, sep, day = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"'{text}' is not ID=YYYY-MM-DD")
    return ident.strip(), _date(day.strip())


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
                         help="treat an awaited event as happened on DATE")
    preview.add_argument("--format", choices=("table", "json", "csv"), default="table")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = {"validate": cmd_validate, "preview": cmd_preview}[args.command]
    try:
        return handler(args)
    except BrokenPipeError:  # `commplan preview … | head`
        return EXIT_OK


def _load(args):
    from .plan import load_catalog

    catalog, errors = load_catalog(args.paths, units=args.units, strict=False)
    for error in errors:
        print(error, file=sys.stderr)
    return catalog, errors


def cmd_validate(args) -> int:
    catalog, errors = _load(args)
    if errors:
        print(f"{len(errors)} error(s) in {len({e.file for e in errors})} file(s).", file=sys.stderr)
        return EXIT_INVALID
    obligations = sum(len(p.obligations) for p in catalog.plans.values())
    print(
        f"OK: {len(catalog.files)} files, {len(catalog.plans)} plans, {obligations} obligations, "
        f"{len(catalog.directory.units)} units, {len(catalog.directory.groups)} groups."
    )
    return EXIT_OK


def cmd_preview(args) -> int:
    from .render import occurrences as render
    from .schedule import expand_catalog, sort_key

    catalog, errors = _load(args)
    if errors:
        print(f"{len(errors)} error(s): fix them, then preview again.", file=sys.stderr)
        return EXIT_INVALID
    start = args.start or dt.date.today()
    end = args.end or start + dt.timedelta(days=30)
    if end < start:
        print(f"--to {end} is before --from {start}", file=sys.stderr)
        return EXIT_USAGE
    unknown = [p for p in args.plan if p not in catalog.plans]
    unknown += [u for u in args.unit if u not in catalog.directory]
    if unknown:
        print(f"unknown plan or unit: {', '.join(unknown)}", file=sys.stderr)
        return EXIT_USAGE
    events: dict[str, dict[str, dt.date]] = {}
    for ident, day in args.event:
        matched = [p for p in catalog.plans.values() if any(e.id == ident for e in p.events)]
        if not matched:
            print(f"unknown event: {ident}", file=sys.stderr)
            return EXIT_USAGE
        for plan in matched:
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
