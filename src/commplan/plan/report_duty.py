"""What a report occurrence must carry and where it goes, as every reader shows it (calendar events,
reminders, the report page, the dashboard): its obligation's `to:` as unit names, and its
`indicators:` as the plan's indicators (name and measure), read from the catalog, not the ledger.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .catalog import Catalog, Plan
from .directory import Directory
from .model import Obligation


@dataclass(frozen=True)
class CarriedIndicator:
    """One figure a report carries: `Số hộ SXNN có gian hàng trên sàn (Hộ)`."""

    id: str
    name: str
    measure: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name} ({self.measure})" if self.measure else self.name


def recipient_name(directory: Directory, unit_id: str, *, short: bool = False) -> str:
    """A recipient's name (`short`: its short name, for an SMS). A unit of no province with a parent (a
    ministry's department) is named with its parent, as official letters write it: `Vụ Quản lý doanh
    nghiệp, Bộ TTTT`; a Sở's name already says its province."""
    name = directory.short_name(unit_id) if short else directory.name(unit_id)
    unit = directory.units.get(unit_id)
    if unit and unit.parent and directory.province_of(unit_id) is None:
        return f"{name}, {directory.short_name(unit.parent)}"
    return name


def recipients(directory: Directory, obligation: Obligation, due: dt.date | dt.datetime, *,
               short: bool = False) -> tuple[str, ...]:
    """The names of the units the occurrence due on `due` (in the plan's timezone) is sent to: each `to:`
    unit, or the unit that answers for it by then (a Sở merged into another receives as its successor);
    () without `to:`."""
    day = due.date() if isinstance(due, dt.datetime) else due
    names: dict[str, None] = {}
    for ident in obligation.to or ():
        holder = directory.answering_for(ident, day) or ident
        names.setdefault(recipient_name(directory, holder, short=short), None)
    return tuple(names)


def carried_indicators(plan: Plan, obligation: Obligation) -> tuple[CarriedIndicator, ...]:
    """The obligation's indicators in the order it lists them (ids the plan checks found)."""
    by_id = {i.id: i for i in plan.indicators}
    return tuple(CarriedIndicator(i.id, i.name, i.measure) for i in (by_id.get(ident) for ident in obligation.indicators)
                 if i is not None)


@dataclass(frozen=True)
class ReportDuty:
    """Where one occurrence's report goes and what it carries (empty for a duty that says neither)."""

    recipients: tuple[str, ...] = ()
    indicators: tuple[CarriedIndicator, ...] = ()

    @property
    def to(self) -> str | None:
        # "; " because unit names contain commas ("Vụ Quản lý doanh nghiệp, Bộ TTTT")
        return "; ".join(self.recipients) or None


def report_duty(catalog: Catalog, plan_id: str, obligation_id: str, due: dt.datetime, *,
                short: bool = False) -> ReportDuty:
    """The occurrence's recipients (`short`: in short names) and indicators, by its plan and obligation ids
    (a ledger row's), its deadline judged in the plan's timezone; empty when the obligation has left the plan."""
    plan = catalog.plans.get(plan_id)
    try:
        obligation = plan.obligation(obligation_id) if plan else None
    except KeyError:
        obligation = None
    if plan is None or obligation is None:
        return ReportDuty()
    local = due.astimezone(ZoneInfo(plan.header.timezone))
    return ReportDuty(recipients(catalog.directory, obligation, local, short=short), carried_indicators(plan, obligation))
