"""The figures form on the report page: a unit enters its indicators' figures and its report in one visit.

Which indicators: those the occurrence's obligation carries (`indicators:`) that the token's unit reports
(the ledger's copy: `reported_by`) for the obligation's kind of period (`report: [weekly, monthly]`): a
weekly report takes the week's figures, a monthly one the month's. The period is the one containing the
occurrence's window start. As everywhere on this page, the token decides the unit: the form names none.

A submit records every field whose value is new or differs from the figure in force, in one transaction
(`Ledger.import_figures`): one field that cannot be read or that the ledger refuses, and nothing is
recorded; the form comes back with what was typed and a message naming the indicator.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from starlette.requests import Request

from ..figures import KIND_NAMES, NotANumber, Period, PeriodKind, format_value, parse_value, period_containing, plain_value
from ..i18n import _, ngettext
from ..ledger.figures import FigureEntry
from ..ledger.status import OccurrenceStatus
from ..plan.report_duty import report_duty
from ..plan.values import PeriodUnit

FIELD = "so-lieu-"  # a figure's field: this prefix and its indicator's id (a slug)
NOTE_FIELD = "ghi-chu-so-lieu"
MAX_TYPED = 40  # a figure as typed: 15 digits with separators fit well within
# an obligation's rhythm and the period its figures are for (a multiple, `every: 2 weeks`, has none)
RHYTHM_PERIODS = {PeriodUnit.WEEK: PeriodKind.WEEK, PeriodUnit.MONTH: PeriodKind.MONTH,
                  PeriodUnit.QUARTER: PeriodKind.QUARTER, PeriodUnit.HALF_YEAR: PeriodKind.HALF,
                  PeriodUnit.YEAR: PeriodKind.YEAR}


@dataclass(frozen=True)
class FigureField:
    indicator: str
    name: str
    measure: str | None
    in_force: Decimal | None  # the figure in force for this unit and period, None before the first

    @property
    def field(self) -> str:
        return FIELD + self.indicator

    @property
    def shown(self) -> str:
        """The figure in force as the field shows it: `1234,5`, without a thousands separator, so that the
        form sent back unchanged reads again (`1.234` would be refused as ambiguous)."""
        return f"{plain_value(self.in_force):f}".replace(".", ",") if self.in_force is not None else ""

    @property
    def recorded(self) -> str:
        """The figure in force as the forms print it (`1.234,5`): the read-only page."""
        return format_value(self.in_force) if self.in_force is not None else ""


@dataclass(frozen=True)
class FiguresForm:
    plan: str
    period: Period
    fields: tuple[FigureField, ...]

    @property
    def heading(self) -> str:
        """`Số liệu tuần 2021-W49 (06/12/2021 – 12/12/2021)`"""
        return _("Figures for the {kind} {period} ({start} – {end})").format(
            kind=_(KIND_NAMES[self.period.kind]), period=self.period.label,
            start=f"{self.period.start:%d/%m/%Y}", end=f"{self.period.end:%d/%m/%Y}")


def figures_form(request: Request, status: OccurrenceStatus, unit: str, now: dt.datetime) -> FiguresForm | None:
    """The figures `unit` (the token's) reports with this occurrence, None when it reports none (or the
    obligation has left the plan, or has no calendar rhythm). LedgerError passes to the caller."""
    plan = request.app.state.catalog.plans.get(status.plan)
    obligation = next((o for o in plan.obligations if o.id == status.obligation), None) if plan else None
    if obligation is None or obligation.every is None or obligation.every.anchored:
        return None
    kind = RHYTHM_PERIODS.get(obligation.every.unit)
    carried = report_duty(request.app.state.catalog, status.plan, status.obligation, status.due).indicators
    if kind is None or not carried:
        return None
    ledger = request.app.state.ledger.get()
    theirs = {i.id: i for i in ledger.indicators_reported_by(status.plan, unit)
              if not i.baseline and (not i.kinds or kind in i.kinds)}
    wanted = [theirs[c.id] for c in carried if c.id in theirs]
    if not wanted:
        return None
    period = period_containing(kind, status.window_start)
    in_force = {f.indicator: f.value for f in ledger.figures(status.plan, indicators=[i.id for i in wanted],
                                                             units=[unit], periods=[period], until=now)
                if f.unit == unit}
    return FiguresForm(status.plan, period, tuple(
        FigureField(i.id, i.name, i.measure, in_force.get(i.id)) for i in wanted))


class FigureProblem(ValueError):
    """A field the clerk must fix; the message names its indicator."""


def to_record(form: FiguresForm, sent: dict[str, str], unit: str) -> list[FigureEntry]:
    """Every filled field whose value is new or changed, read all before any is recorded: the first that
    cannot be read is a FigureProblem naming its indicator (an empty field records nothing)."""
    note = sent.get(NOTE_FIELD, "").strip() or None
    entries: list[FigureEntry] = []
    for position, field in enumerate(form.fields):
        typed = sent.get(field.field, "").strip()
        if not typed or typed == field.shown:  # empty, or as prefilled: nothing to record
            continue
        try:
            if len(typed) > MAX_TYPED:
                raise NotANumber(_("'{text}…' is too long for a figure").format(text=typed[:MAX_TYPED]))
            value = parse_value(typed)
        except NotANumber as error:
            raise FigureProblem(_("{indicator}: {problem}").format(indicator=field.name, problem=error)) from None
        if field.in_force is not None and value == field.in_force:
            continue  # as recorded already: not a correction
        entries.append(FigureEntry(indicator=field.indicator, unit=unit, period=form.period, value=value, note=note,
                                   plan=form.plan, row=position))
    return entries


def recorded_notice(count: str | None) -> str | None:
    """`Đã ghi nhận 3 số liệu`, after a submit (the count read back from the address, digits only)."""
    if count is None or not (count.isascii() and count.isdigit()) or len(count) > 4:
        return None
    number = int(count)
    if number == 0:
        return _("No figure was entered or changed.")
    return ngettext("Recorded {count} figure", "Recorded {count} figures", number).format(count=number)


def typed(sent: dict[str, str]) -> dict[str, str]:
    """What the clerk typed, to show the form again as it was sent."""
    return {key: value for key, value in sent.items() if key.startswith(FIELD) or key == NOTE_FIELD}


async def sent_fields(request: Request) -> dict[str, str]:
    """FastAPI dependency: the form's text fields (the figures' names depend on the plan)."""
    return {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
