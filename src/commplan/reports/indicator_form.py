"""The ministry's weekly and monthly indicator forms (Phụ lục 02 and 03 of Công văn 2980/BTTTT-QLDN),
computed from a plan's indicators and the figures recorded for them. Pure: no ledger, no files.

How figures add up (docs/plan-format.md, `aggregate`):
- `sum`: each figure is an increment. A unit's value for the period is the period's own figure when it
  entered one, else the sum of its figures of shorter periods inside it (a month's weeks, a week counted
  in the month of its Thursday as ISO weeks are). A figure of a longer period supersedes the shorter
  ones inside it, so a unit that entered both its weeks and its month is never counted twice: the
  month's own figure wins. The cumulative (lũy kế) is the sum, so deduplicated, of every figure of a
  period that ended by the end of the form's period (a week by its Thursday when the form is a month).
- `last`: each figure is a running total. The period's value is the latest total inside the period,
  the cumulative the latest total up to the period's end (carried over when nothing came this period).
Over units, values and cumulatives add up. Growth compares the period's value with the previous
period's; a previous zero or missing value, or no value now, gives no growth (printed "—").
Completion is the cumulative against the target of the period's year: a percent target of the
baseline (`of`) recorded for that year, summed over the units in scope; no target, or no baseline,
leaves it blank.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from ..figures import FigureRow, Period, PeriodKind
from ..i18n import _
from ..plan import Catalog, Plan
from ..plan.model import Aggregate, Indicator

TEMPLATES = {PeriodKind.WEEK: "weekly", PeriodKind.MONTH: "monthly"}  # the form kind -> the `report:` value


@dataclass(frozen=True)
class FormRow:
    """One indicator's line of the form. None means no figure (a blank cell); `growth` None prints "—"."""

    indicator: str
    number: str  # TT: its place in its group, "1", "2" …
    name: str
    measure: str
    value: Decimal | None
    growth: Decimal | None  # a fraction: 0.25 is 25%
    cumulative: Decimal | None
    completion: Decimal | None  # a fraction of the year's target
    note: str
    missing: tuple[str, ...]  # ids of the units in scope that sent no figure for the period


@dataclass(frozen=True)
class FormGroup:
    key: str  # "I", "II" … ("" for indicators without a section)
    title: str
    rows: tuple[FormRow, ...]


@dataclass(frozen=True)
class Unreported:
    """A unit in scope that sent no figure for the period, and the rows it owes (`I.1`, `II.3` …)."""

    unit: str
    name: str
    rows: tuple[str, ...]


@dataclass(frozen=True)
class IndicatorForm:
    plan: str
    plan_number: str | None
    kind: PeriodKind  # WEEK or MONTH
    period: Period
    unit_name: str  # "Tên đơn vị"
    groups: tuple[FormGroup, ...]
    unreported: tuple[Unreported, ...] = field(default=())
    as_of: dt.datetime | None = None  # the figures recorded by then

    @property
    def rows(self) -> tuple[FormRow, ...]:
        return tuple(row for group in self.groups for row in group.rows)


# ---------------------------------------------------------------- which units


def scope_units(indicator: Indicator, catalog: Catalog, *, unit: str | None = None,
                province: str | None = None, figures: Iterable[FigureRow] = ()) -> tuple[str, ...]:
    """The units whose figures make the indicator's row: the one unit asked for, or the indicator's
    `reported_by` members in the province. An indicator nobody is named to report takes the units of the
    province that did send figures (none of them then owes it)."""
    directory = catalog.directory
    if unit is not None:
        return (unit,)
    owed = directory.expand(tuple(indicator.reported_by))
    if owed:
        return tuple(u for u in owed if province is None or directory.province_of(u) == province)
    sent = dict.fromkeys(f.unit for f in figures if f.indicator == indicator.id)
    return tuple(u for u in sent if province is None or directory.province_of(u) == province)


# ---------------------------------------------------------------- one unit's figures


def _counted_by(figure: Period, end: Period) -> bool:
    """Whether a figure's period is over by the end of `end` (a week by its Thursday, against a month)."""
    if figure.kind is PeriodKind.WEEK and end.kind is not PeriodKind.WEEK:
        return figure.start + dt.timedelta(days=3) <= end.end
    return figure.end <= end.end


def _without_overlaps(figures: Sequence[FigureRow]) -> list[FigureRow]:
    """Drop a figure when another of a longer period contains it: that one already counts it."""
    return [f for f in figures
            if not any(g.period != f.period and f.period.within(g.period) for g in figures)]


def _inside(figure: Period, period: Period) -> bool:
    return figure == period or figure.within(period)


def _sum_value(figures: Sequence[FigureRow], period: Period) -> Decimal | None:
    inside = _without_overlaps([f for f in figures if _inside(f.period, period)])
    return sum((f.value for f in inside), Decimal(0)) if inside else None


def _sum_cumulative(figures: Sequence[FigureRow], period: Period) -> Decimal | None:
    counted = _without_overlaps([f for f in figures if _counted_by(f.period, period)])
    return sum((f.value for f in counted), Decimal(0)) if counted else None


def _latest(figures: Iterable[FigureRow]) -> FigureRow | None:
    # the latest period's end; on the same end, the longer period (a month's own total over its last week)
    return max(figures, key=lambda f: (f.period.end, -f.period.start.toordinal(), f.recorded_at), default=None)


def unit_value(indicator: Indicator, figures: Sequence[FigureRow], period: Period) -> Decimal | None:
    """A unit's value for the period (its figures of this indicator only), None when it sent none."""
    if indicator.aggregate is Aggregate.LAST:
        latest = _latest(f for f in figures if _inside(f.period, period))
        return latest.value if latest else None
    return _sum_value(figures, period)


def unit_cumulative(indicator: Indicator, figures: Sequence[FigureRow], period: Period) -> Decimal | None:
    if indicator.aggregate is Aggregate.LAST:
        latest = _latest(f for f in figures if _counted_by(f.period, period))
        return latest.value if latest else None
    return _sum_cumulative(figures, period)


def _total(values: Iterable[Decimal | None]) -> Decimal | None:
    present = [v for v in values if v is not None]
    return sum(present, Decimal(0)) if present else None


# ---------------------------------------------------------------- one row


def growth(now: Decimal | None, before: Decimal | None) -> Decimal | None:
    """(now - before) / before; None ("—") when either is missing or before is zero."""
    if now is None or before is None or before == 0:
        return None
    return (now - before) / before


def year_goal(indicator: Indicator, year: int, baseline: Sequence[FigureRow]) -> Decimal | None:
    """The year's target as a number: an absolute target, or its percent of the baseline figures of
    that year (each unit's latest). None without a target, or without a baseline for a percent target."""
    target = indicator.targets.get(year)
    if target is None:
        return None
    if not target.percent:
        return Decimal(str(target.value))
    latest: dict[str, FigureRow] = {}
    for figure in baseline:
        if figure.period.year == year and (figure.unit not in latest or _latest([latest[figure.unit], figure]) is figure):
            latest[figure.unit] = figure
    if not latest:
        return None
    return sum((f.value for f in latest.values()), Decimal(0)) * Decimal(str(target.value)) / 100


def _note(indicator: Indicator, figures: Sequence[FigureRow], period: Period, names: dict[str, str],
          several: bool, missing: Sequence[str], goal_missing: bool) -> str:
    parts = []
    for figure in sorted((f for f in figures if _inside(f.period, period) and f.note), key=lambda f: (f.unit, f.period)):
        parts.append(f"{names.get(figure.unit, figure.unit)}: {figure.note}" if several else str(figure.note))
    if goal_missing:
        parts.append(_("no baseline ({baseline}) recorded for {year}").format(baseline=indicator.of, year=period.year))
    if missing and several:
        parts.append(_("not reported: {units}").format(units=", ".join(names.get(u, u) for u in missing)))
    elif missing:
        parts.append(_("not reported"))
    return "; ".join(dict.fromkeys(parts))


def form_row(indicator: Indicator, number: str, figures: Sequence[FigureRow], period: Period,
             units: Sequence[str], names: dict[str, str]) -> FormRow:
    """The row of one indicator over `units`, from figures of this indicator and of its baseline."""
    own = [f for f in figures if f.indicator == indicator.id and f.unit in units]
    by_unit = {u: [f for f in own if f.unit == u] for u in units}
    values = {u: unit_value(indicator, fs, period) for u, fs in by_unit.items()}
    value = _total(values.values())
    before = _total(unit_value(indicator, fs, period.previous()) for fs in by_unit.values())
    cumulative = _total(unit_cumulative(indicator, fs, period) for fs in by_unit.values())
    baseline = [f for f in figures if indicator.of and f.indicator == indicator.of and f.unit in units]
    goal = year_goal(indicator, period.year, baseline)
    completion = cumulative / goal if goal and cumulative is not None else None
    target = indicator.targets.get(period.year)
    goal_missing = bool(target and target.percent and goal is None)
    missing = [u for u, v in values.items() if v is None]
    return FormRow(indicator=indicator.id, number=number, name=indicator.name, measure=indicator.measure or "",
                   value=value, growth=growth(value, before), cumulative=cumulative, completion=completion,
                   note=_note(indicator, own, period, names, len(units) > 1, missing, goal_missing),
                   missing=tuple(missing))


# ---------------------------------------------------------------- the form


def form_indicators(plan: Plan, kind: PeriodKind) -> list[Indicator]:
    """The indicators the form lists, in the plan's order: those whose `report` names the template."""
    template = TEMPLATES[kind]
    return [i for i in plan.indicators if not i.baseline and any(r.value == template for r in i.report)]


def build_form(plan: Plan, catalog: Catalog, figures: Sequence[FigureRow], period: Period, *,
               unit: str | None = None, province: str | None = None, unit_name: str | None = None,
               as_of: dt.datetime | None = None) -> IndicatorForm:
    """The form of `period` (a week or a month) for one unit, a province, or (neither) every reporting
    unit of the plan, from the figures recorded."""
    if period.kind not in TEMPLATES:
        raise ValueError(_("the forms are weekly or monthly, not '{period}'").format(period=period.label))
    if unit is not None and province is not None:
        raise ValueError("build_form: a unit or a province, not both")
    directory = catalog.directory
    indicators = form_indicators(plan, period.kind)
    scopes = {i.id: scope_units(i, catalog, unit=unit, province=province, figures=figures) for i in indicators}
    names = {u: directory.short_name(u) for units in scopes.values() for u in units}
    sections: dict[str, list[Indicator]] = {}
    for indicator in indicators:
        sections.setdefault(str(indicator.section or ""), []).append(indicator)
    groups: list[FormGroup] = []
    owed: dict[str, list[str]] = {}
    for key, members in sections.items():
        title = next((i.section_title for i in members if i.section_title), "")
        rows = []
        for number, indicator in enumerate(members, start=1):
            row = form_row(indicator, str(number), figures, period, scopes[indicator.id], names)
            rows.append(row)
            for u in scopes[indicator.id]:
                if u in row.missing:
                    owed.setdefault(u, []).append(f"{key}.{number}" if key else str(number))
        groups.append(FormGroup(key=key, title=title, rows=tuple(rows)))
    unreported = tuple(Unreported(u, directory.name(u), tuple(rows)) for u, rows in owed.items())
    return IndicatorForm(plan=plan.id, plan_number=plan.header.number, kind=period.kind, period=period,
                         unit_name=unit_name or _form_unit_name(catalog, scopes, unit, province),
                         groups=tuple(groups), unreported=unreported, as_of=as_of)


def _form_unit_name(catalog: Catalog, scopes: dict[str, tuple[str, ...]], unit: str | None,
                    province: str | None) -> str:
    """The unit's name; for a province, its one reporting unit's (the Sở TTTT), else the province's."""
    if unit is not None:
        return catalog.directory.name(unit)
    reporting = dict.fromkeys(u for units in scopes.values() for u in units)
    if len(reporting) == 1:
        return catalog.directory.name(next(iter(reporting)))
    if province is None:
        return _("all reporting units")
    return _("province {province}").format(province=province)
