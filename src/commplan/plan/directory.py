"""The directory of units and groups, shared by all plans of a province.

Answers the questions the schedule asks: which units does this lead stand
for (groups expand to their members, recursively), who owes a unit's
occurrence due on a given day (succession after the 2025 mergers, by due
date; nobody once the unit is `dissolved`), who answers for a unit when a
reminder or an escalation must reach someone (never a dissolved unit), and
which province a unit belongs to.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

from .model import Group, Unit


@dataclass(frozen=True, eq=False)
class Directory:
    units: dict[str, Unit] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    _members: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    def __contains__(self, ident: str) -> bool:
        return ident in self.units or ident in self.groups

    def is_group(self, ident: str) -> bool:
        return ident in self.groups

    def name(self, ident: str) -> str:
        if ident in self.units:
            return self.units[ident].name
        if ident in self.groups:
            return self.groups[ident].name
        return ident

    def short_name(self, ident: str) -> str:
        """The unit's `short` name where no other unit shares it, else its full name."""
        unit = self.units.get(ident)
        if unit and unit.short and self._short_counts[unit.short] == 1:
            return unit.short
        return self.name(ident)

    @cached_property
    def _short_counts(self) -> Counter:
        return Counter(unit.short for unit in self.units.values() if unit.short)

    def province_of(self, unit_id: str) -> str | None:
        """The province (a slug) a unit belongs to: its own `province`, else its directory
        file's, else its parent's (a unit of a ministry's file under a province's Sở).

        A unit without a parent (the post office, a newspaper) still belongs to the province
        of its file; None for an unknown id, or when nothing names a province (a ministry)."""
        unit = self.units.get(unit_id)
        for _ in range(len(self.units)):  # bounded: a parent cycle cannot loop
            if unit is None or unit.province:
                break
            unit = self.units.get(unit.parent) if unit.parent else None
        return unit.province if unit else None

    def members(self, ident: str) -> tuple[str, ...]:
        """The units `ident` stands for: itself for a unit, its members (recursively) for a group."""
        return _expand(self, ident)

    def expand(self, idents: tuple[str, ...]) -> tuple[str, ...]:
        """Units of several leads, in the order written, each once."""
        seen: dict[str, None] = {}
        for ident in idents:
            for unit in self.members(ident):
                seen.setdefault(unit, None)
        return tuple(seen)

    def holder_on(self, unit_id: str, day: dt.date) -> str:
        """Who holds `unit_id`'s duties on `day` (follows succession chains; dissolution aside)."""
        current = unit_id
        for _ in range(len(self.units) + 1):  # bounded: cycles are refused by the checks
            unit = self.units.get(current)
            if unit is None or unit.succeeded_by is None or day < unit.succeeded_by.from_:
                return current
            current = unit.succeeded_by.unit
        return current

    def holder_by_due(self, unit_id: str, due: dt.date) -> str | None:
        """Who owes `unit_id`'s occurrence due on `due` (plan format 1.1): the successor when `due` is
        on or after its `from`, whatever the window; None when the holder is dissolved by then."""
        holder = self.holder_on(unit_id, due)
        return None if self.is_dissolved(holder, due) else holder

    def is_dissolved(self, unit_id: str, day: dt.date) -> bool:
        unit = self.units.get(unit_id)
        return bool(unit and unit.dissolved and unit.dissolved <= day)

    def answering_for(self, unit_id: str | None, day: dt.date) -> str | None:
        """Who answers for `unit_id` on `day`, for reminders and escalations: its holder (succession),
        or, when that unit is dissolved, the nearest parent up the chain that is not; None if nobody."""
        current = unit_id
        for _ in range(len(self.units) + 1):  # bounded: parents may form a loop the checks do not refuse
            if current is None:
                return None
            holder = self.holder_on(current, day)
            if not self.is_dissolved(holder, day):
                return holder
            unit = self.units.get(holder)
            current = unit.parent if unit else None
        return None

    def successors(self, unit_id: str) -> tuple[str, ...]:
        """The units `unit_id`'s duties pass to, in order (its succession chain, without itself)."""
        chain: list[str] = []
        current = self.units.get(unit_id)
        for _ in range(len(self.units) + 1):
            if current is None or current.succeeded_by is None or current.succeeded_by.unit in chain:
                break
            chain.append(current.succeeded_by.unit)
            current = self.units.get(current.succeeded_by.unit)
        return tuple(chain)

    def successions(self, unit_id: str) -> tuple[dt.date, ...]:
        """Dates on which `unit_id`'s duties pass to another unit (its chain, in order)."""
        dates = []
        current = self.units.get(unit_id)
        for _ in range(len(self.units) + 1):
            if current is None or current.succeeded_by is None:
                break
            dates.append(current.succeeded_by.from_)
            current = self.units.get(current.succeeded_by.unit)
        return tuple(dates)


def _expand(directory: Directory, ident: str) -> tuple[str, ...]:
    cached = directory._members.get(ident)
    if cached is not None:
        return cached
    out: dict[str, None] = {}
    stack = [ident]
    visited: set[str] = set()
    while stack:
        current = stack.pop()
        if current in visited:
            continue  # a cycle: refused by the checks, tolerated here
        visited.add(current)
        group = directory.groups.get(current)
        if group is None:
            out.setdefault(current, None)
        else:
            stack.extend(reversed(group.members))
    result = tuple(out)
    directory._members[ident] = result
    return result
