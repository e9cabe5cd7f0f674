"""A plan's compliance report for a period: who is behind, by duty, by unit, by channel and by month.

Pure: `build` takes the ledger's rows (`Ledger.compliance_rows`: the plan's occurrences due in the
period, each with its status at T), the units' names, the plan's budget lines and the amounts spent,
and returns plain data; the writers (XLSX, CSV, HTML, the heat map) only lay it out. `compliance_report`
is the one function that reads the ledger.

What is counted (GLOSSARY.md's words):
- owed (phải thực hiện): every occurrence due in the period whose window has opened: done on time,
  done late, open (not done, deadline not passed) and overdue; excused (miễn) and untracked ones are
  counted apart, outside "owed"; those whose window has not opened yet are not counted at all.
- the share done on time (tỉ lệ đúng hạn) divides the occurrences done on time by those decided by T:
  done on time, done late or overdue. An open one is not yet late, and would drag down the current
  month for nothing; an excused one was never owed.
- a unit that did not report: it owed a `kind: report` duty in the period (a deadline passed by T, not
  excused) and delivered nothing for that duty in the whole period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from ..i18n import N_
from ..plan.labels import CHANNELS, KINDS
from ..status import Status
from ..vi_order import name_key

if TYPE_CHECKING:
    from ..ledger import Ledger
    from ..ledger.compliance import ComplianceRow
    from ..plan.model import BudgetLine

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NO_CHANNEL = N_("no channel given")


@dataclass
class Tally:
    """Counts in each column of the report."""

    on_time: int = 0
    late: int = 0
    open: int = 0
    overdue: int = 0
    excused: int = 0
    untracked: int = 0

    def add(self, status: Status) -> None:
        if status is Status.DONE_ON_TIME:
            self.on_time += 1
        elif status is Status.DONE_LATE:
            self.late += 1
        elif status is Status.OPEN:
            self.open += 1
        elif status is Status.OVERDUE:
            self.overdue += 1
        elif status is Status.EXCUSED:
            self.excused += 1
        elif status is Status.UNTRACKED:
            self.untracked += 1

    def merge(self, other: Tally) -> None:
        for name in ("on_time", "late", "open", "overdue", "excused", "untracked"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def owed(self) -> int:
        return self.on_time + self.late + self.open + self.overdue

    @property
    def decided(self) -> int:
        return self.on_time + self.late + self.overdue

    @property
    def share_on_time(self) -> float | None:
        """Done on time among those decided by T (see the module's note); None when none is."""
        return self.on_time / self.decided if self.decided else None


@dataclass(frozen=True)
class DutyLine:
    code: str
    title: str
    kind: str | None
    channel: str | None
    tally: Tally


@dataclass(frozen=True)
class UnitLine:
    unit: str
    name: str
    tally: Tally


@dataclass(frozen=True)
class DutyUnitLine:
    code: str
    title: str
    kind: str | None
    channel: str | None
    unit: str
    name: str
    tally: Tally


@dataclass(frozen=True)
class OverdueLine:
    id: int
    code: str
    title: str
    unit: str
    name: str
    due: dt.datetime  # in Vietnam time
    days_late: int
    delivered: int
    at_least: int


@dataclass(frozen=True)
class SilentLine:
    """A unit that owed a report in the period and sent nothing for it."""

    unit: str
    name: str
    code: str
    title: str
    missed: int  # deadlines passed without anything delivered
    last_due: dt.datetime  # the latest of them, in Vietnam time


@dataclass(frozen=True)
class ChannelLine:
    channel: str | None
    label: str
    tally: Tally


@dataclass(frozen=True)
class MatrixLine:
    unit: str
    name: str
    months: tuple[Tally, ...]  # one per month of the report, in order
    total: Tally


@dataclass(frozen=True)
class BudgetReportLine:
    code: str
    title: str  # the obligation's title ("" when the ledger no longer has it)
    lead: str | None
    lead_name: str | None
    source: str | None
    note: str | None
    planned: Decimal | None  # None: money spent on a duty with no budget line
    spent: Decimal | None  # None: nothing entered
    tally: Tally  # the obligation's occurrences in the period

    @property
    def remaining(self) -> Decimal | None:
        return None if self.planned is None else self.planned - (self.spent or Decimal(0))

    @property
    def share_spent(self) -> float | None:
        return None if not self.planned else float((self.spent or Decimal(0)) / self.planned)


@dataclass(frozen=True)
class ComplianceReport:
    plan: str
    number: str | None
    title: str
    start: dt.date
    end: dt.date
    as_of: dt.datetime  # in Vietnam time
    total: Tally
    by_duty: list[DutyLine]
    by_unit: list[UnitLine]
    by_duty_unit: list[DutyUnitLine]
    overdue: list[OverdueLine]
    silent: list[SilentLine]
    by_channel: list[ChannelLine]
    months: list[dt.date]  # the first day of each month the period touches
    matrix: list[MatrixLine]
    budget: list[BudgetReportLine] = field(default_factory=list)

    @property
    def shown_number(self) -> str:
        """The plan as people cite it: its number, else its id."""
        return self.number or self.plan


def months_of(start: dt.date, end: dt.date) -> list[dt.date]:
    first = start.replace(day=1)
    out = []
    while first <= end:
        out.append(first)
        first = (first + dt.timedelta(days=32)).replace(day=1)
    return out


def channel_label(channel: str | None) -> str:
    from ..i18n import _

    if channel is None:
        return _(NO_CHANNEL)
    return CHANNELS.get(channel, channel)


def kind_label(kind: str | None) -> str:
    return "" if kind is None else KINDS.get(kind, kind)


def build(rows: Iterable[ComplianceRow], *, plan: str, number: str | None, title: str, start: dt.date,
          end: dt.date, as_of: dt.datetime, names: Mapping[str, str], budget: Sequence[BudgetLine] = (),
          spent: Mapping[str, Decimal] | None = None, titles: Mapping[str, str] | None = None) -> ComplianceReport:
    """The report from the ledger's rows (see the module's note). `titles` names obligations that have
    spending or a budget line but no occurrence in the period."""
    moment = as_of.astimezone(VN)
    today = moment.date()
    months = months_of(start, end)
    month_index = {m: i for i, m in enumerate(months)}
    total = Tally()
    duties: dict[str, tuple[str, str | None, str | None, Tally]] = {}
    units: dict[str, Tally] = {}
    pairs: dict[tuple[str, str], Tally] = {}
    channels: dict[str | None, Tally] = {}
    matrix: dict[str, list[Tally]] = {}
    overdue: list[OverdueLine] = []
    reports: dict[tuple[str, str], list[ComplianceRow]] = {}  # (unit, duty) of kind report: rows past their deadline
    reported: set[tuple[str, str]] = set()
    known_titles = dict(titles or {})
    for row in rows:
        if row.status is Status.SCHEDULED:  # not owed yet: its window has not opened
            continue
        known_titles.setdefault(row.obligation, row.title)
        due = row.due.astimezone(VN)
        total.add(row.status)
        duties.setdefault(row.obligation, (row.title, row.kind, row.channel, Tally()))[3].add(row.status)
        units.setdefault(row.unit, Tally()).add(row.status)
        pairs.setdefault((row.obligation, row.unit), Tally()).add(row.status)
        channels.setdefault(row.channel, Tally()).add(row.status)
        cells = matrix.get(row.unit) or matrix.setdefault(row.unit, [Tally() for _m in months])
        cells[month_index[due.date().replace(day=1)]].add(row.status)
        if row.status is Status.OVERDUE:
            overdue.append(OverdueLine(
                id=row.id, code=row.obligation, title=row.title, unit=row.unit, name=names.get(row.unit, row.unit),
                due=due, days_late=max((today - due.date()).days, 0), delivered=row.delivered, at_least=row.at_least))
        if row.kind == "report" and row.status not in (Status.EXCUSED, Status.UNTRACKED):
            key = (row.unit, row.obligation)
            if row.delivered > 0:
                reported.add(key)
            elif row.due <= as_of:
                reports.setdefault(key, []).append(row)

    def name(unit: str) -> str:
        return names.get(unit, unit)

    silent = [
        SilentLine(unit=unit, name=name(unit), code=code, title=missed[-1].title, missed=len(missed),
                   last_due=missed[-1].due.astimezone(VN))
        for (unit, code), missed in reports.items() if (unit, code) not in reported
    ]
    silent.sort(key=lambda s: (name_key(s.name), s.unit, s.code))
    overdue.sort(key=lambda o: (-o.days_late, o.due, name_key(o.name), o.code, o.id))
    spent = dict(spent or {})
    budget_lines = [
        BudgetReportLine(code=line.obligation, title=known_titles.get(line.obligation, ""), lead=line.lead,
                         lead_name=name(line.lead) if line.lead else None, source=line.source, note=line.note,
                         planned=Decimal(line.amount), spent=spent.get(line.obligation),
                         tally=duties[line.obligation][3] if line.obligation in duties else Tally())
        for line in budget
    ]
    planned_codes = {line.obligation for line in budget}
    budget_lines += [  # money entered for a duty the plan gives no budget line: shown, never lost
        BudgetReportLine(code=code, title=known_titles.get(code, ""), lead=None, lead_name=None, source=None, note=None,
                         planned=None, spent=amount, tally=duties[code][3] if code in duties else Tally())
        for code, amount in sorted(spent.items()) if code not in planned_codes
    ]
    return ComplianceReport(
        plan=plan, number=number, title=title, start=start, end=end, as_of=moment, total=total,
        by_duty=[DutyLine(code, t, k, c, tally) for code, (t, k, c, tally) in sorted(duties.items())],
        by_unit=sorted((UnitLine(u, name(u), tally) for u, tally in units.items()), key=lambda u: (name_key(u.name), u.unit)),
        by_duty_unit=sorted(
            (DutyUnitLine(code, duties[code][0], duties[code][1], duties[code][2], unit, name(unit), tally)
             for (code, unit), tally in pairs.items()),
            key=lambda d: (d.code, name_key(d.name), d.unit)),
        overdue=overdue,
        silent=silent,
        by_channel=sorted((ChannelLine(c, channel_label(c), tally) for c, tally in channels.items()),
                          key=lambda c: (c.channel is None, name_key(c.label))),
        months=months,
        matrix=sorted((MatrixLine(u, name(u), tuple(cells), _summed(cells)) for u, cells in matrix.items()),
                      key=lambda m: (name_key(m.name), m.unit)),
        budget=budget_lines,
    )


def _summed(cells: Iterable[Tally]) -> Tally:
    out = Tally()
    for cell in cells:
        out.merge(cell)
    return out


def compliance_report(ledger: Ledger, plan: str, start: dt.date, end: dt.date, *, as_of: dt.datetime,
                      budget: Sequence[BudgetLine] = ()) -> ComplianceReport:
    """Read the ledger and build the report; `budget` is the plan's `budget:` lines (from its file:
    the ledger keeps spending, the plan keeps what was planned). Money spent counts up to `end`."""
    number, title = ledger.plan_header(plan)
    rows = ledger.compliance_rows(plan, start, end, as_of=as_of)
    return build(rows, plan=plan, number=number, title=title, start=start, end=end, as_of=as_of,
                 names=ledger.unit_names(), budget=budget, spent=ledger.spent(plan, until=end),
                 titles=ledger.obligation_titles(plan))
