"""Periods, deadlines, working days and expansion into occurrences (pure: no I/O)."""

from .occurrences import Expander, Occurrence, calendar_for, expand_catalog, sort_key
from .periods import Period
from .workdays import WorkCalendar

__all__ = ["Expander", "Occurrence", "Period", "WorkCalendar", "calendar_for", "expand_catalog", "sort_key"]
