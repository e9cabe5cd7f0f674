"""`commplan report weekly|monthly`: the ministry's indicator forms (Phụ lục 02/03 of 2980) for a unit,
a province or every reporting unit of a plan, from the figures in the ledger, as .xlsx, .csv or .html."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..i18n import _
from .arguments import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
    Subparsers,
    as_of_type,
    fail,
    ledger_options,
    load_plans,
    open_ledger,
    os_reason,
)


def register_subcommands(kinds: Subparsers) -> None:
    for kind, flag, metavar, example, help_text in (
        ("weekly", "--week", "YYYY-Www", "2021-W47", _("the weekly form (Phụ lục 02 of 2980): the week's figures, growth, to date, completion")),
        ("monthly", "--month", "YYYY-MM", "2021-11", _("the monthly form (Phụ lục 03 of 2980): the month's figures, growth, to date, completion")),
    ):
        parser = kinds.add_parser(kind, help=help_text, description=_(
            "The format follows the file's extension: .xlsx (laid out like the ministry's form), .csv (UTF-8 with "
            "a BOM, for Excel) or .html. Without --unit or --province: every unit that reports the indicators."))
        parser.add_argument("--plan", required=True, metavar="ID", help=_("the plan whose indicators the form lists"))
        parser.add_argument(flag, required=True, dest="period", metavar=metavar,
                            help=_("the period, e.g. {example}").format(example=example))
        parser.add_argument("-o", "--output", required=True, metavar="FILE", help=_("the file to write (.xlsx, .csv or .html)"))
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument("--unit", metavar="ID", help=_("the form of one unit"))
        scope.add_argument("--province", metavar="SLUG", help=_("the form of a province: the sum over its reporting units"))
        parser.add_argument("--as-of", type=as_of_type, metavar="DATETIME",
                            help=_("the figures as recorded by this day (end of day) or instant (default now)"))
        parser.add_argument("--plans", nargs="+", default=["plans/"], metavar="PATH", help=_("the plans (default plans/)"))
        ledger_options(parser)
        parser.set_defaults(report_handler=cmd_form, form_kind=kind)


def cmd_form(args: argparse.Namespace) -> int:
    from ..figures import PeriodError, PeriodKind, parse_period
    from ..ledger import LedgerError
    from ..reports.form_writers import FormFormatError, form_bytes
    from ..reports.indicator_form import form_indicators
    from ..reports.ledger_form import form_from_ledger

    kind = PeriodKind.WEEK if args.form_kind == "weekly" else PeriodKind.MONTH
    try:
        period = parse_period(args.period)
    except PeriodError as error:
        return fail(str(error), EXIT_USAGE)
    if period.kind is not kind:
        return fail(_("'{period}' is not a {kind}: write {example}").format(
            period=args.period, kind=_("week") if kind is PeriodKind.WEEK else _("month"),
            example="2021-W47" if kind is PeriodKind.WEEK else "2021-11"), EXIT_USAGE)
    if Path(args.output).suffix.lower() not in (".xlsx", ".csv", ".html", ".htm"):
        return fail(_("'{path}': the form is written as .xlsx, .csv or .html, not '{suffix}'").format(
            path=args.output, suffix=Path(args.output).suffix or _("no extension")), EXIT_USAGE)
    catalog = load_plans(args.plans, [])
    if catalog is None:
        return fail(_("the plans have errors: no form was written"))
    plan = catalog.plans.get(args.plan)
    if plan is None:
        return fail(_("no plan '{plan}' in {paths}").format(plan=args.plan, paths=", ".join(args.plans)), EXIT_USAGE)
    directory = catalog.directory
    if args.unit is not None and args.unit not in directory.units:
        return fail(_("no unit '{unit}' in the directory").format(unit=args.unit), EXIT_USAGE)
    if args.province is not None and not any(directory.province_of(u) == args.province for u in directory.units):
        return fail(_("no unit of the directory is in the province '{province}'").format(province=args.province),
                    EXIT_USAGE)
    indicators = form_indicators(plan, kind)
    if not indicators:
        return fail(_("the plan {plan} has no indicator for the {kind} form (`report: [{kind_key}]`)").format(
            plan=args.plan, kind=_("weekly") if kind is PeriodKind.WEEK else _("monthly"), kind_key=args.form_kind),
            EXIT_USAGE)
    try:
        with open_ledger(args) as ledger:
            form, _figures = form_from_ledger(ledger, catalog, plan, period, unit=args.unit, province=args.province,
                                              as_of=args.as_of)
    except LedgerError as error:
        return fail(str(error))
    try:
        data = form_bytes(form, args.output)
        Path(args.output).write_bytes(data)
    except FormFormatError as error:
        return fail(str(error), EXIT_USAGE)
    except OSError as error:
        return fail(_("cannot write {path}: {reason}").format(path=args.output, reason=os_reason(error)), EXIT_INVALID)
    print(_("Wrote the {kind} form of {period} for {unit} to {path}: {rows} indicators, {missing} units that did not "
            "report.").format(kind=_("weekly") if kind is PeriodKind.WEEK else _("monthly"), period=period.label,
                              unit=form.unit_name, path=args.output, rows=len(form.rows), missing=len(form.unreported)))
    for missing in form.unreported:
        print("  " + _("not reported: {unit} ({rows})").format(unit=missing.name, rows=", ".join(missing.rows)))
    return EXIT_OK
