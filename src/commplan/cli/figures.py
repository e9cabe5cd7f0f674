"""`commplan figure`: a unit's figure for an indicator and a period (a correction is the same command with
the new value), `commplan figure list`, and `commplan figure import FILE` (XLSX or CSV)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..i18n import _, ngettext
from .arguments import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    VIETNAM,
    Subparsers,
    actor,
    fail,
    ledger_options,
    open_ledger,
    os_reason,
)

if TYPE_CHECKING:
    from ..figures import FigureRow
    from ..ledger import Ledger, RowProblem


def register(sub: Subparsers) -> None:
    figure = sub.add_parser(
        "figure", help=_("record a unit's figure for an indicator (or list them, or import a file of them)"),
        usage=_("commplan figure INDICATOR --unit ID --period PERIOD --value N [--note TEXT] [--plan ID]\n"
                "       commplan figure list --plan ID [--period PERIOD] [--unit ID] [--indicator ID]\n"
                "       commplan figure import FILE [--skip-bad-rows] [--dry-run]"),
        description=_("A figure is a unit's value for an indicator and a period: a week 2021-W47, a month 2021-11, "
                      "a quarter 2021-Q4, a half year 2021-H2, a year 2021 (a baseline). The same figure with "
                      "another value is a correction: the latest counts, the earlier ones are kept."))
    figure.add_argument("words", nargs="+", metavar="INDICATOR | `list` | `import` FILE",
                        help=_("the indicator's id; or `list`; or `import` and the file (.xlsx or .csv)"))
    figure.add_argument("--unit", action="append", default=[], metavar="ID", help=_("the unit that reports it"))
    figure.add_argument("--period", action="append", default=[], metavar="PERIOD",
                        help=_("2021-W47, 2021-11, 2021-Q4, 2021-H2 or 2021"))
    figure.add_argument("--value", metavar="N", help=_("the figure: 120, 12,5 or 1.234,5"))
    figure.add_argument("--note", help=_("a note kept with the figure"))
    figure.add_argument("--plan", metavar="ID", help=_("the plan (when the indicator is in several plans)"))
    figure.add_argument("--indicator", action="append", default=[], metavar="ID", help=_("with `list`: only this indicator"))
    figure.add_argument("--skip-bad-rows", action="store_true",
                        help=_("with `import`: record the good rows and list the bad ones (default: nothing from a "
                               "file with errors)"))
    figure.add_argument("--dry-run", action="store_true", help=_("with `import`: check the file, record nothing"))
    ledger_options(figure, actor=True)
    figure.set_defaults(handler=cmd_figure)


def cmd_figure(args: argparse.Namespace) -> int:
    first, rest = args.words[0], args.words[1:]
    if first == "list" and not rest:
        return _list(args)
    if first == "import":
        if len(rest) != 1:
            return fail(_("write the file to import: commplan figure import FILE"), EXIT_USAGE)
        return _import(args, Path(rest[0]))
    if rest:
        return fail(_("one indicator at a time (or `list`, or `import FILE`)"), EXIT_USAGE)
    return _record(args, first)


def _record(args: argparse.Namespace, indicator: str) -> int:
    from ..figures import NotANumber, PeriodError, parse_period, parse_value
    from ..ledger import LedgerError

    missing = [option for option, given in (("--unit", args.unit), ("--period", args.period),
                                            ("--value", args.value is not None)) if not given]
    if missing:
        return fail(_("a figure needs {options}").format(options=", ".join(missing)), EXIT_USAGE)
    if len(args.unit) > 1 or len(args.period) > 1:
        return fail(_("one unit and one period at a time (several: commplan figure import FILE)"), EXIT_USAGE)
    try:
        period = parse_period(args.period[0])
        value = parse_value(args.value)
    except (PeriodError, NotANumber) as error:
        return fail(str(error), EXIT_USAGE)
    try:
        with open_ledger(args) as ledger:
            row = ledger.record_figure(args.plan, indicator, args.unit[0], period, value, note=args.note,
                                       source="cli", actor=actor(args))
            history = ledger.figure_history(row.plan, row.indicator, row.unit, row.period)
            measure = _measures(ledger, row.plan).get(row.indicator)
    except LedgerError as error:
        return fail(str(error))
    print(_recorded(row, history, measure))
    return EXIT_OK


def _recorded(row: FigureRow, history: list[FigureRow], measure: str | None) -> str:
    from ..figures import format_value

    what = _("{indicator} of {unit}, period {period} ({start}–{end}), plan {plan}").format(
        indicator=row.indicator, unit=row.unit, period=row.period.label, start=f"{row.period.start:%d/%m/%Y}",
        end=f"{row.period.end:%d/%m/%Y}", plan=row.plan)
    value = format_value(row.value) + (f" {measure}" if measure else "")
    if row.unchanged:
        return _("Already recorded: {what} is {value} (no change).").format(what=what, value=value)
    if row.version == 1:
        return _("Recorded the figure {what}: {value}.").format(what=what, value=value)
    previous = format_value(history[-2].value) if len(history) >= 2 else "—"
    return _("Corrected the figure {what}: {value} (correction {number}; it was {previous}).").format(
        what=what, value=value, number=row.version - 1, previous=previous)


def _measures(ledger: Ledger, plan: str) -> dict[str, str | None]:
    return {i.id: i.measure for i in ledger.indicators([plan])}


def _list(args: argparse.Namespace) -> int:
    from zoneinfo import ZoneInfo

    from ..figures import PeriodError, format_value, parse_period
    from ..ledger import LedgerError

    if not args.plan:
        return fail(_("write the plan: commplan figure list --plan ID"), EXIT_USAGE)
    try:
        periods = [parse_period(p) for p in args.period]
    except PeriodError as error:
        return fail(str(error), EXIT_USAGE)
    try:
        with open_ledger(args) as ledger:
            rows = ledger.figures(args.plan, indicators=args.indicator, units=args.unit, periods=periods)
            measures = _measures(ledger, args.plan)
    except LedgerError as error:
        return fail(str(error))
    header = (_("Period"), _("Indicator"), _("Unit"), _("Value"), _("Version"), _("Recorded at"), _("By"), _("Note"))
    table = [header] + [
        (r.period.label, r.indicator, r.unit, format_value(r.value) + (f" {measures.get(r.indicator) or ''}").rstrip(),
         str(r.version), f"{r.recorded_at.astimezone(ZoneInfo(VIETNAM)):%H:%M %d/%m/%Y}", r.recorded_by or "—", r.note or "")
        for r in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    for line in table:
        sys.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() + "\n")
    print(ngettext("{count} figure.", "{count} figures.", len(rows)).format(count=len(rows)))
    return EXIT_OK


def _import(args: argparse.Namespace, path: Path) -> int:
    from ..figures_import import FigureFileError, read_figures
    from ..ledger import LedgerError

    try:
        read = read_figures(path)
    except FigureFileError as error:
        return fail(str(error))
    except OSError as error:
        return fail(_("cannot read {file}: {reason}").format(file=path, reason=os_reason(error, reading=True)))
    try:
        with open_ledger(args) as ledger:
            # a file with bad rows is checked whole, so that the clerk sees every problem at once
            dry = args.dry_run or (bool(read.problems) and not args.skip_bad_rows)
            result = ledger.import_figures(read.entries, skip_bad_rows=args.skip_bad_rows, dry_run=dry,
                                           source="import", actor=actor(args))
    except LedgerError as error:
        return fail(str(error))
    problems = sorted([*read.problems, *[_in_column(p, read.columns) for p in result.problems]],
                      key=lambda p: (p.row or 0, p.field))
    good = [r for r in result.recorded if not r.unchanged]
    corrected = sum(1 for r in good if r.version > 1)
    if problems and not args.skip_bad_rows:
        print(ngettext("error: {file} has {count} bad row; nothing was imported (fix it, or import the good rows "
                       "with --skip-bad-rows):", "error: {file} has {count} bad rows; nothing was imported (fix them, "
                       "or import the good rows with --skip-bad-rows):", _rows(problems)).format(
            file=path.name, count=_rows(problems)), file=sys.stderr)
        for problem in problems:
            print("  " + _problem(problem), file=sys.stderr)
        return EXIT_FAILED
    counts = _("{count} figures ({corrected} corrections, {unchanged} unchanged)").format(
        count=len(good), corrected=corrected, unchanged=result.unchanged)
    if args.dry_run:
        print(_("Checked {file}, nothing recorded: {counts} would be recorded.").format(file=path.name, counts=counts))
    else:
        print(_("Imported {counts} from {file}.").format(counts=counts, file=path.name))
    if problems:
        print(ngettext("Skipped {count} bad row:", "Skipped {count} bad rows:", _rows(problems)).format(
            count=_rows(problems)))
        for problem in problems:
            print("  " + _problem(problem))
    return EXIT_OK


def _in_column(problem: RowProblem, columns: dict[str, str]) -> RowProblem:
    """A ledger problem, named by its column as the file's header writes it."""
    from dataclasses import replace

    return replace(problem, field=columns.get(problem.field, ""))


def _rows(problems: list[RowProblem]) -> int:
    return len({p.row for p in problems})


def _problem(problem: RowProblem) -> str:
    if problem.field:
        return _("row {row}, column \u201c{column}\u201d: {message}").format(
            row=problem.row, column=problem.field, message=problem.message)
    return _("row {row}: {message}").format(row=problem.row, message=problem.message)
