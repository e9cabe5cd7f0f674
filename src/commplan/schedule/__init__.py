"""Periods, deadlines, working days and expansion into occurrences (pure: no I/O)."""

from .occurrences import Expander, Instance, Occurrence, calendar_for, expand_catalog, instances_of, sort_key
from .periods import Period
from .workdays import WorkCalendar

__all__ = ["Expander", "Instance", "Occurrence", "Period", "WorkCalendar", "calendar_for", "expand_catalog", "instances_of", "sort_key"]
