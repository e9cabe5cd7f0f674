"""How far ahead and how wide a schedule may be asked for: one cap, in one place.

Expansion is linear in the days asked for, so an unbounded horizon or range (a typo such as
`--horizon 9000-12-31`) would run for minutes and take gigabytes. Ten years covers every plan
(they run for one to five years) with room to spare; `COMMPLAN_HORIZON_YEARS` has the same bound.
"""

from __future__ import annotations

import datetime as dt

from ..i18n import _

MAX_YEARS = 10


def latest_horizon(today: dt.date) -> dt.date:
    """The furthest sync horizon: 31 December, MAX_YEARS years after this year."""
    return dt.date(today.year + MAX_YEARS, 12, 31)


def horizon_problem(horizon: dt.date, today: dt.date) -> str | None:
    """Why `horizon` is refused (past the cap), or None."""
    latest = latest_horizon(today)
    if horizon > latest:
        return _("the horizon {horizon} is too far: at most {years} years ahead ({latest} at the latest)").format(
            horizon=f"{horizon:%d/%m/%Y}", years=MAX_YEARS, latest=f"{latest:%d/%m/%Y}")
    return None


def range_problem(start: dt.date, end: dt.date) -> str | None:
    """Why the date range start..end is refused (longer than the cap), or None."""
    if start.year + MAX_YEARS > dt.MAXYEAR:  # the calendar ends first
        return None
    limit = start.replace(day=min(start.day, 28) if (start.month, start.day) == (2, 29) else start.day,
                          year=start.year + MAX_YEARS)
    if end >= limit:
        return _("{start}–{end} is longer than {years} years: ask for at most {years} years at a time").format(
            start=f"{start:%d/%m/%Y}", end=f"{end:%d/%m/%Y}", years=MAX_YEARS)
    return None
