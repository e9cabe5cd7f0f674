"""A calendar feed's validators from the ledger: how many occurrences it shows and when it last changed.

One aggregate query over the feed's occurrences (no statuses computed, no rows fetched); what counts
as a change is written in `commplan.web.feeds`' module notes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

UTC = dt.UTC
VN = ZoneInfo("Asia/Ho_Chi_Minh")
HISTORY = dt.timedelta(days=365)  # deadlines this far back stay in a feed


@dataclass(frozen=True)
class FeedState:
    count: int  # occurrences the feed shows
    changed: dt.datetime | None  # the latest change of the ledger rows it shows (see web.feeds)


def midnight(day: dt.date) -> dt.datetime:
    """The start of a day in Vietnam time, in UTC."""
    return dt.datetime.combine(day, dt.time(), tzinfo=VN).astimezone(UTC)


def feed_state_sql(where: list[str], overdue_now: str) -> str:
    """The aggregate over a selection (`where`: terms on `o` and `ob`, with :start and :end bound)."""
    shown = "o.due_at >= :start AND o.orphaned_at IS NULL"
    return (
        f"SELECT COUNT(CASE WHEN {shown} THEN 1 END),"
        " MAX(CASE WHEN o.due_at >= :start THEN o.updated_at END),"
        " MAX(CASE WHEN o.due_at >= :start THEN o.orphaned_at END),"
        f" MAX(CASE WHEN {shown} AND {overdue_now} THEN o.due_at END),"
        " MAX(CASE WHEN o.due_at < :start AND o.orphaned_at IS NULL THEN o.due_at END),"
        f" MAX(CASE WHEN {shown} THEN o.due_at END),"
        f" MAX(CASE WHEN {shown} THEN (SELECT MAX(COALESCE(e.withdrawn_at, e.recorded_at)) FROM evidence e"
        "   WHERE e.occurrence_id = o.id) END),"
        f" MAX(CASE WHEN {shown} THEN (SELECT MAX(COALESCE(x.revoked_at, x.excused_at)) FROM excusal x"
        "   WHERE x.occurrence_id = o.id) END)"
        " FROM occurrence o JOIN obligation ob ON ob.id = o.obligation_id"
        f" WHERE {' AND '.join(where)}"
    )


def state_of(row: tuple[Any, ...], *, end: dt.date, now: dt.datetime) -> FeedState:
    """The feed state from the aggregate's row (time stamps already read with `from_db`)."""
    count, updated, orphaned, overdue, dropped, last_due, evidence, excusal = row
    moments = [v for v in (updated, orphaned, overdue, evidence, excusal) if v is not None]
    if dropped is not None:  # left the window at the midnight its deadline became 366 days old
        moments.append(midnight(dropped.astimezone(VN).date() + HISTORY + dt.timedelta(days=1)))
    if last_due is not None:
        today = now.astimezone(VN).date()
        if last_due.astimezone(VN).date() > dt.date(end.year - 1, 12, 31):  # came in with this year's horizon
            moments.append(midnight(dt.date(today.year, 1, 1)))
    return FeedState(count=int(count), changed=max(moments, default=None))
