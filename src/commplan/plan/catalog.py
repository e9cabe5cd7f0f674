"""What loading gives the rest of commplan: the directory and the plans, all valid."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .directory import Directory
from .model import BudgetLine, Event, Indicator, Obligation, PlanHeader, Reminders


@dataclass(frozen=True, eq=False)
class Plan:
    header: PlanHeader
    file: str
    events: tuple[Event, ...] = ()
    obligations: tuple[Obligation, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    budget: tuple[BudgetLine, ...] = ()

    @property
    def id(self) -> str:
        return self.header.id

    def obligation(self, obligation_id: str) -> Obligation:
        for obligation in self.obligations:
            if obligation.id == obligation_id:
                return obligation
        raise KeyError(obligation_id)

    def known_event_dates(self) -> dict[str, dt.date]:
        """Event dates written in the plan itself; the ledger adds recorded ones."""
        return {e.id: e.date for e in self.events if e.date is not None}

    def reminders_for(self, obligation: Obligation) -> Reminders:
        """The obligation's policy: its own keys over the plan's, over the defaults."""
        base = self.header.reminders or Reminders()
        return obligation.reminders.merged_over(base) if obligation.reminders else base


@dataclass(eq=False)
class Catalog:
    directory: Directory = field(default_factory=Directory)
    plans: dict[str, Plan] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    warnings: tuple = ()  # PlanWarning: valid, but probably not what the author meant
