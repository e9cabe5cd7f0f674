"""Status at an instant, evaluated in SQL.

PLAN_FORMAT.md's classification, as the Government Office tracks tasks:

| status        | when (at instant T)                                           |
| ------------- | ------------------------------------------------------------- |
| excused       | an excusal made at or before T and not revoked by T           |
| done-on-time  | the at_least-th item was delivered by T, and by the deadline  |
| done-late     | the at_least-th item was delivered by T, after the deadline   |
| scheduled     | T is before the window opens (local midnight of its first day)|
| untracked     | not met, the window open, due before the plan's tracking_from |
| open          | not met, T at or before the deadline                          |
| overdue       | not met, T after the deadline                                 |

An item counts at T when it is dated at or before T, by its own date however
late it was recorded (plans from 2021 can be replayed with what is known now).
A withdrawn item counts only for the time it was in the ledger: at T at or
after its recording and before its withdrawal, so a replay of a moment shows
what the ledger said then, and an item entered by mistake for 2021 and
withdrawn never counts in a replay of 2021.

`met_at` (when the at_least-th item was delivered, by the items' own dates,
withdrawn items left out) is kept on the occurrence when evidence is recorded
or withdrawn, so the rule is a CASE over indexed columns: no per-row Python,
and `--as-of` replays any day. Only an occurrence with an item withdrawn after
T has its `met_at` at T recomputed from its evidence.

`untracked` (plan format 1.1, `tracking_from`) is a flag the sync keeps on the
row; it replaces only open and overdue: a done or excused occurrence keeps its
status, and a window not yet open is still scheduled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

# The type and the names derived from it live in commplan.status (calendar files read them without
# the ledger); they are re-exported here, where the ledger's callers have always found them.
from ..status import BUCKETS as BUCKETS
from ..status import STATUSES as STATUSES
from ..status import VIETNAMESE as VIETNAMESE
from ..status import Status as Status

# Excused at T: an excusal made by T and not revoked by T (the excusal table keeps history;
# the occurrence's excused_at is only the excusal in force now).
EXCUSED_AT_SQL = (
    "EXISTS (SELECT 1 FROM excusal x WHERE x.occurrence_id = o.id AND x.excused_at <= :as_of"
    " AND (x.revoked_at IS NULL OR x.revoked_at > :as_of))"
)


def counted(alias: str) -> str:
    """The item `alias` counts at :as_of if dated by then: never withdrawn, or in the ledger at :as_of."""
    return (f"({alias}.withdrawn_at IS NULL"
            f" OR ({alias}.recorded_at <= :as_of AND {alias}.withdrawn_at > :as_of))")


# The items in the ledger at T and withdrawn since: only their occurrences need the recount below.
IN_LEDGER_THEN_WITHDRAWN = "w.recorded_at <= :as_of AND w.withdrawn_at > :as_of"


# When the at_least-th item counting at T was delivered, summed again from the items (NULL: not
# met), in the order refresh_delivery uses (date, then id).
RECOUNT_SQL = f"""(SELECT MIN(e.occurred_at) FROM evidence e WHERE e.occurrence_id = o.id AND {counted("e")}
      AND (SELECT SUM(e2.quantity) FROM evidence e2 WHERE e2.occurrence_id = o.id AND {counted("e2")}
           AND (e2.occurred_at < e.occurred_at OR (e2.occurred_at = e.occurred_at AND e2.id <= e.id))) >= o.at_least)"""


def met_at_sql(recount_needed: str) -> str:
    """When the at_least-th item counting at T was delivered (NULL: not met). The stored met_at
    (items never withdrawn) is exact unless an item was in the ledger at T and withdrawn since
    (`recount_needed`); then it is RECOUNT_SQL."""
    return f"(CASE WHEN {recount_needed} THEN {RECOUNT_SQL} ELSE o.met_at END)"


def _value(status: Status) -> str:
    return f"'{status.value}'"


def status_sql(excused: str, met_at: str, label: Callable[[Status], str] = _value) -> str:
    """The classification above as a CASE on `o`, from a condition "excused at T", an expression
    "met at", and how each status is written (its value by default)."""
    return f"""
CASE
  WHEN {excused} THEN {label(Status.EXCUSED)}
  WHEN {met_at} <= :as_of THEN
    CASE WHEN {met_at} <= o.due_at THEN {label(Status.DONE_ON_TIME)} ELSE {label(Status.DONE_LATE)} END
  WHEN :as_of < o.opens_at THEN {label(Status.SCHEDULED)}
  WHEN o.untracked THEN {label(Status.UNTRACKED)}
  WHEN :as_of <= o.due_at THEN {label(Status.OPEN)}
  ELSE {label(Status.OVERDUE)}
END
"""


MET_AT_SQL = met_at_sql(f"EXISTS (SELECT 1 FROM evidence w WHERE w.occurrence_id = o.id AND {IN_LEDGER_THEN_WITHDRAWN})")

# 1 when the occurrence was met by T, else 0 (a NULL met_at compares to neither).
MET_BY_SQL = f"(CASE WHEN {MET_AT_SQL} <= :as_of THEN 1 ELSE 0 END)"

# Row by row (correlated lookups): what one occurrence or a page of them needs.
STATUS_SQL = status_sql(EXCUSED_AT_SQL, MET_AT_SQL)

# The same status for many rows at once (a summary). The occurrences excused at T and those that
# need the recount are two sets, each taken once per statement and small (the excusals; the
# withdrawn items, through the partial index ix_evidence_withdrawn), so a common row costs
# comparisons of its own columns and no lookup of its own.
EXCUSED_IDS = ("SELECT x.occurrence_id FROM excusal x WHERE x.excused_at <= :as_of"
               " AND (x.revoked_at IS NULL OR x.revoked_at > :as_of)")
RECOUNT_IDS = f"SELECT w.occurrence_id FROM evidence w WHERE w.withdrawn_at IS NOT NULL AND {IN_LEDGER_THEN_WITHDRAWN}"


def bulk_status_sql(label: Callable[[Status], str] = _value) -> str:
    """STATUS_SQL's classification, for many rows (see EXCUSED_IDS)."""
    return status_sql(f"o.id IN ({EXCUSED_IDS})", met_at_sql(f"o.id IN ({RECOUNT_IDS})"), label)


# The recounted met_at of the rows that need it, as a table to LEFT JOIN as `rc` on rc.occurrence_id = o.id:
# PostgreSQL then prices the common row at its few comparisons, not at the recount's subqueries
# (priced per row, they make every plan look alike, and it picks a sort where hashing is faster).
RECOUNTED_SQL = f"(SELECT o.id AS occurrence_id, {RECOUNT_SQL} AS met_at FROM occurrence o WHERE o.id IN ({RECOUNT_IDS}))"


def joined_status_sql(label: Callable[[Status], str] = _value) -> str:
    """bulk_status_sql's classification over `o` LEFT JOIN RECOUNTED_SQL `rc`."""
    return status_sql(f"o.id IN ({EXCUSED_IDS})", "(CASE WHEN rc.occurrence_id IS NULL THEN o.met_at ELSE rc.met_at END)",
                      label)


# Items delivered by T: the occurrence's evidence dated at or before T and not withdrawn by T.
DELIVERED_SQL = (
    "(SELECT COALESCE(SUM(e.quantity), 0) FROM evidence e WHERE e.occurrence_id = o.id AND e.occurred_at <= :as_of"
    f" AND {counted('e')})"
)

# Conditions that select one status directly, so that an index serves them. Evidence, excusals
# and withdrawals are never dated after the moment they are recorded, so "overdue now" is exactly
# the partial index ix_occurrence_unmet_due; a replay of another instant needs the general form.
OVERDUE_NOW = "o.due_at < :as_of AND o.met_at IS NULL AND o.excused_at IS NULL AND NOT o.untracked"
OVERDUE_AT = f"o.due_at < :as_of AND {MET_BY_SQL} = 0 AND NOT {EXCUSED_AT_SQL} AND NOT o.untracked"


@dataclass(frozen=True)
class OccurrenceStatus:
    id: int
    plan: str
    obligation: str
    title: str
    unit: str
    window_start: dt.date
    window_end: dt.date
    due: dt.datetime  # aware, in the plan's timezone
    at_least: int
    delivered: int
    status: Status
    orphaned: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "plan": self.plan,
            "obligation": self.obligation,
            "unit": self.unit,
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
            "due": self.due.isoformat(),
            "at_least": self.at_least,
            "delivered": self.delivered,
            "status": str(self.status),
            "orphaned": self.orphaned,
        }


@dataclass(frozen=True)
class SummaryRow:
    """Counts of one plan or one unit in each status (orphaned occurrences apart)."""

    key: str
    name: str
    counts: dict[Status, int]

    @property
    def total(self) -> int:
        return sum(self.counts[b] for b in BUCKETS)

    def as_dict(self) -> dict[str, object]:
        return {"id": self.key, "name": self.name, **{s.value: self.counts[s] for s in STATUSES}}
