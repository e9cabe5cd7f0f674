"""Recorded figures: the SQL behind `Ledger.record_figure`, `figures` and `figure_history`, and the checks
a figure passes before it is written.

The checks read the plan mirror (`plan`, `indicator`, `unit`, `group_member`), which `sync` keeps, as
`record` checks evidence against the mirrored obligations: so the CLI and the web app record a figure
with the ledger alone, without loading the plans, and a figure is checked against the plans as last synced.

A figure is never updated: a correction is a new row with the next version. `latest` at a moment is
the highest version recorded by then, so a form built on Thursday reads the figures of Thursday.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, insert, select, text
from sqlmodel import col

from ..figures import KIND_NAMES, TEMPLATE_KINDS, FigureRow, Period, PeriodKind, plain_value
from ..i18n import _
from . import tables as t
from .clock import from_db, to_db
from .engine import LedgerError

SOURCES = ("cli", "import", "web", "api")
LARGEST = Decimal(10) ** (t.FIGURE_DIGITS - t.FIGURE_SCALE)  # 100 000 000 000: 11 digits before the point


class FigureError(LedgerError):
    """A figure the ledger refuses; `field` names what is wrong (plan, indicator, unit, period, value), so
    that an import can point at the column."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Indicator:
    """An indicator as the ledger mirrors it: enough to check a figure and to name it."""

    plan: str
    id: str
    name: str
    measure: str | None
    aggregate: str
    baseline: bool
    reported_by: tuple[str, ...]
    report: tuple[str, ...]

    @property
    def kinds(self) -> tuple[PeriodKind, ...]:
        """The periods its figures are for: a baseline's a year; otherwise its templates' (any, without one)."""
        if self.baseline:
            return (PeriodKind.YEAR,)
        return tuple(TEMPLATE_KINDS[r] for r in self.report if r in TEMPLATE_KINDS)


@dataclass(frozen=True)
class PlanFacts:
    id: str
    coordinator: str | None
    effective_from: dt.date | None
    effective_until: dt.date | None
    timezone: ZoneInfo


def suggest(ident: str, pool: Iterable[str]) -> str:
    close = difflib.get_close_matches(ident, list(pool), n=3, cutoff=0.6)
    return _(" (did you mean {names}?)").format(names=", ".join(repr(c) for c in close)) if close else ""


# ---------------------------------------------------------------- the plan mirror

def plan_facts(connection: Connection, plan: str) -> PlanFacts:
    row = connection.execute(
        select(col(t.PlanRow.id), col(t.PlanRow.coordinator_id), col(t.PlanRow.effective_from),
               col(t.PlanRow.effective_until), col(t.PlanRow.timezone)).where(col(t.PlanRow.id) == plan)
    ).first()
    if row is None:
        known = connection.execute(select(col(t.PlanRow.id))).scalars().all()
        raise FigureError(_("unknown plan '{plan}'{suggestion}").format(plan=plan, suggestion=suggest(plan, known)),
                          "plan")
    return PlanFacts(row[0], row[1], _date(row[2]), _date(row[3]), ZoneInfo(row[4]))


def indicators(connection: Connection, plans: Sequence[str] = ()) -> list[Indicator]:
    """The mirrored indicators of these plans (all, without), in plan order."""
    query = select(t.table_of(t.IndicatorRow)).order_by(col(t.IndicatorRow.plan_id), col(t.IndicatorRow.position))
    if plans:
        query = query.where(col(t.IndicatorRow.plan_id).in_(list(plans)))
    return [
        Indicator(plan=r.plan_id, id=r.code, name=r.name, measure=r.measure, aggregate=r.aggregate,
                  baseline=bool(r.baseline), reported_by=tuple(r.reported_by.split()), report=tuple(r.report.split()))
        for r in connection.execute(query).all()
    ]


def resolve(connection: Connection, plan: str | None, indicator: str, unit: str) -> tuple[PlanFacts, Indicator]:
    """The plan and indicator a figure is for. Without a plan: the plan that has this indicator, or among
    several, the one `unit` reports it in (2980's and 211's indicators share their ids)."""
    if plan is not None:
        facts = plan_facts(connection, plan)
        found = {i.id: i for i in indicators(connection, [plan])}
        if indicator not in found:
            raise FigureError(_("plan {plan} has no indicator '{indicator}'{suggestion}").format(
                plan=plan, indicator=indicator, suggestion=suggest(indicator, found)), "indicator")
        return facts, found[indicator]
    every = indicators(connection)
    candidates = [i for i in every if i.id == indicator]
    if not candidates:
        raise FigureError(_("unknown indicator '{indicator}'{suggestion}").format(
            indicator=indicator, suggestion=suggest(indicator, {i.id for i in every})), "indicator")
    if len(candidates) > 1:
        known_unit(connection, unit)  # an unknown unit says so, not "which plan?"
        theirs = [i for i in candidates if unit in reporters(connection, plan_facts(connection, i.plan), i)]
        if len(theirs) != 1:
            raise FigureError(_("indicator '{indicator}' is in several plans: say which one ({plans})").format(
                indicator=indicator, plans=", ".join(i.plan for i in candidates)), "plan")
        candidates = theirs
    return plan_facts(connection, candidates[0].plan), candidates[0]


def members(connection: Connection) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    query = select(col(t.GroupMemberRow.group_id), col(t.GroupMemberRow.member_id)).order_by(
        col(t.GroupMemberRow.group_id), col(t.GroupMemberRow.position))
    for group, member in connection.execute(query):
        found.setdefault(group, []).append(member)
    return found


def expand(ids: Iterable[str], groups: dict[str, list[str]]) -> list[str]:
    """Units and groups as the units they name (groups within groups too), in order, each once."""
    out: dict[str, None] = {}
    stack = list(ids)[::-1]
    seen: set[str] = set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        if current in groups:
            stack.extend(groups[current][::-1])
        else:
            out[current] = None
    return list(out)


def reporters(connection: Connection, plan: PlanFacts, indicator: Indicator) -> list[str]:
    """The units that may record this indicator's figures. A reported figure: its `reported_by` (groups
    expanded), or the plan's coordinator when it names nobody. A baseline (a province's total, entered
    per year) names nobody either: the coordinator, or any unit that reports one of the plan's indicators
    (2980's baseline is each province's, entered by its Sở TTTT)."""
    groups = members(connection)
    coordinator = [plan.coordinator] if plan.coordinator else []
    if indicator.baseline:
        reporting = [u for i in indicators(connection, [plan.id]) for u in i.reported_by]
        return expand([*coordinator, *reporting], groups)
    return expand(indicator.reported_by, groups) if indicator.reported_by else coordinator


# ---------------------------------------------------------------- the checks

def check(connection: Connection, plan: PlanFacts, indicator: Indicator, unit: str, period: Period, value: Any,
          moment: dt.datetime) -> Decimal:
    """Refuse (FigureError) a figure the plan does not ask for; the value as it will be stored."""
    check_unit(connection, plan, indicator, unit)
    check_period(plan, indicator, period, moment)
    checked = check_value(value)
    check_one_baseline(connection, plan, indicator, unit, period)
    return checked


def check_unit(connection: Connection, plan: PlanFacts, indicator: Indicator, unit: str) -> None:
    groups = members(connection)
    if unit in groups:
        raise FigureError(_("'{unit}' is a group: record the figure of each of its units ({units})").format(
            unit=unit, units=", ".join(expand([unit], groups))), "unit")
    known_unit(connection, unit)
    allowed = reporters(connection, plan, indicator)
    if unit in allowed:
        return
    listed = ", ".join(allowed) or "—"
    if indicator.baseline:
        raise FigureError(_("{unit} does not enter the baseline {indicator} of plan {plan}: it is entered by the "
                            "plan's coordinator or a unit that reports its figures ({units})").format(
            unit=unit, indicator=indicator.id, plan=plan.id, units=listed), "unit")
    raise FigureError(_("{unit} does not report {indicator} in plan {plan} (it is reported by {units})").format(
        unit=unit, indicator=indicator.id, plan=plan.id, units=listed), "unit")


def known_unit(connection: Connection, unit: str) -> None:
    known = set(connection.execute(select(col(t.UnitRow.id))).scalars())
    groups = set(connection.execute(select(col(t.GroupRow.id))).scalars())
    if unit not in known | groups:
        raise FigureError(_("unknown unit '{unit}'{suggestion}").format(unit=unit, suggestion=suggest(unit, known)),
                          "unit")


def check_period(plan: PlanFacts, indicator: Indicator, period: Period, moment: dt.datetime) -> None:
    kinds = indicator.kinds
    if indicator.baseline and period.kind is not PeriodKind.YEAR:
        raise FigureError(_("{indicator} is a baseline, entered for a year: write the year ({year}), not {period}")
                          .format(indicator=indicator.id, year=period.year, period=period.label), "period")
    if kinds and period.kind not in kinds:
        raise FigureError(_("{indicator} is reported by {kinds}: {period} is a {kind}").format(
            indicator=indicator.id, kinds=", ".join(_(KIND_NAMES[k]) for k in kinds), period=period.label,
            kind=_(KIND_NAMES[period.kind])), "period")
    first, last = plan.effective_from, plan.effective_until
    if (first and period.end < first) or (last and period.start > last):
        span = "{start}–{end}".format(start=f"{first:%d/%m/%Y}" if first else "…", end=f"{last:%d/%m/%Y}" if last else "…")
        raise FigureError(_("{period} ({start}–{end}) is outside plan {plan} ({span})").format(
            period=period.label, start=f"{period.start:%d/%m/%Y}", end=f"{period.end:%d/%m/%Y}", plan=plan.id,
            span=span), "period")
    # a figure reports what was done: a period still to come is a typo (a baseline may be known ahead)
    if not indicator.baseline and period.start > moment.astimezone(plan.timezone).date():
        raise FigureError(_("{period} has not begun yet (it starts on {start}): a figure reports a period that "
                            "has begun").format(period=period.label, start=f"{period.start:%d/%m/%Y}"), "period")


def check_one_baseline(connection: Connection, plan: PlanFacts, indicator: Indicator, unit: str, period: Period) -> None:
    """A province has one baseline a year: a second unit of the same province entering it would make the
    forms' "percent of the baseline" depend on which one they read."""
    if not indicator.baseline:
        return
    other = connection.execute(
        text("SELECT f.unit_id, u.province FROM figure f JOIN unit u ON u.id = f.unit_id"
             " JOIN unit mine ON mine.id = :unit AND mine.province = u.province"
             " WHERE f.plan_id = :plan AND f.indicator = :indicator AND f.period = :period AND f.unit_id <> :unit"
             " ORDER BY f.id LIMIT 1"),
        {"unit": unit, "plan": plan.id, "indicator": indicator.id, "period": period.label},
    ).first()
    if other is not None:
        raise FigureError(_("the baseline {indicator} of {province} for {period} was entered by {other}: correct it "
                            "there (one baseline per province and year)").format(
            indicator=indicator.id, province=other[1], period=period.label, other=other[0]), "unit")


def check_value(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise FigureError(_("'{value}' is not a number").format(value=value), "value")
    number = Decimal(value)
    if not number.is_finite():
        raise FigureError(_("'{value}' is not a number").format(value=value), "value")
    shown = f"{number:f}"  # 100000000000, not 1E+11
    if number < 0:
        raise FigureError(_("a figure cannot be negative ({value})").format(value=shown), "value")
    if number >= LARGEST:
        raise FigureError(_("{value} is too large for a figure (at most {digits} digits before the point)").format(
            value=shown, digits=t.FIGURE_DIGITS - t.FIGURE_SCALE), "value")
    if number != number.quantize(Decimal(1).scaleb(-t.FIGURE_SCALE)):
        raise FigureError(_("{value} has too many decimals (at most {scale})").format(
            value=shown, scale=t.FIGURE_SCALE), "value")
    return plain_value(number)


# ---------------------------------------------------------------- an import

@dataclass(frozen=True)
class FigureEntry:
    """One figure to record, as a file's row gives it (`row`: its number in the file)."""

    indicator: str
    unit: str
    period: Period
    value: Any  # a Decimal or int; anything else is refused as not a number
    note: str | None = None
    plan: str | None = None
    row: int | None = None


@dataclass(frozen=True)
class RowProblem:
    row: int | None
    field: str  # plan | indicator | unit | period | value | note, or a column the reader names
    message: str


@dataclass(frozen=True)
class FigureImport:
    recorded: tuple[FigureRow, ...]  # written (or, on a dry run or a refused file, that would be), unchanged ones too
    problems: tuple[RowProblem, ...]
    written: bool  # False: a dry run, or a file with problems and no skip_bad_rows: nothing was written

    @property
    def unchanged(self) -> int:
        return sum(1 for r in self.recorded if r.unchanged)


# ---------------------------------------------------------------- rows

COLUMNS = ("plan_id, indicator, unit_id, period, period_kind, period_start, period_end, value, note, recorded_at,"
           " recorded_by, version, source")
SAME_KEY = "g.plan_id = f.plan_id AND g.indicator = f.indicator AND g.unit_id = f.unit_id AND g.period = f.period"


def current(connection: Connection, plan: str, indicator: str, unit: str, period: str) -> FigureRow | None:
    """The figure in force (its latest version), None when there is none yet."""
    found = history(connection, plan, indicator, unit, period)
    return found[-1] if found else None


def insert_figure(connection: Connection, plan: str, indicator: str, unit: str, period: Period, value: Decimal,
                  note: str | None, source: str, actor: str | None, moment: dt.datetime, version: int) -> None:
    connection.execute(insert(t.FigureRecordRow).values(
        plan_id=plan, indicator=indicator, unit_id=unit, period=period.label, period_kind=period.kind.value,
        period_start=period.start, period_end=period.end, value=value, note=note, source=source,
        recorded_at=to_db(moment), recorded_by=actor, version=version,
    ))


def history(connection: Connection, plan: str, indicator: str, unit: str, period: str) -> list[FigureRow]:
    """Every version of one figure, the first first."""
    rows = connection.execute(
        text(f"SELECT {COLUMNS} FROM figure WHERE plan_id = :plan AND indicator = :indicator AND unit_id = :unit"
             " AND period = :period ORDER BY version"),
        {"plan": plan, "indicator": indicator, "unit": unit, "period": period},
    ).all()
    return [_row(r) for r in rows]


def latest(connection: Connection, plan: str, *, indicators: Sequence[str], units: Sequence[str],
           periods: Sequence[str], until: dt.datetime | None) -> list[FigureRow]:
    """The latest version recorded by `until` (all, without) of each figure, by period, indicator, unit."""
    where: list[str] = ["f.plan_id = :plan"]
    params: dict[str, Any] = {"plan": plan}
    later = ""
    for name, values, column in (("indicators", indicators, "indicator"), ("units", units, "unit_id"),
                                 ("periods", periods, "period")):
        if values:
            where.append(f"f.{column} IN :{name}")
            params[name] = list(values)
    if until is not None:
        where.append("f.recorded_at <= :until")
        later = " AND g.recorded_at <= :until"
        params["until"] = to_db(until)
    query = text(
        f"SELECT {', '.join('f.' + c.strip() for c in COLUMNS.split(','))} FROM figure f WHERE {' AND '.join(where)}"
        f" AND NOT EXISTS (SELECT 1 FROM figure g WHERE {SAME_KEY} AND g.version > f.version{later})"
        " ORDER BY f.period_start, f.period_kind, f.indicator, f.unit_id"
    ).bindparams(*[bindparam(n, expanding=True) for n in ("indicators", "units", "periods") if n in params],
                 *([bindparam("until", type_=t.table_of(t.FigureRecordRow).c.recorded_at.type)] if until else []))
    return [_row(r) for r in connection.execute(query, params).all()]


def _row(r: Any) -> FigureRow:
    from ..figures import parse_period

    return FigureRow(
        plan=r.plan_id, indicator=r.indicator, unit=r.unit_id, period=parse_period(r.period),
        value=plain_value(Decimal(str(r.value))), note=r.note, recorded_at=from_db(r.recorded_at),
        recorded_by=r.recorded_by, version=r.version, source=r.source,
    )


def _date(value: dt.date | str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value
