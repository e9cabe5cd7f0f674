"""iCalendar (RFC 5545) files of obligation deadlines, for email attachments and calendar feeds (pure: no I/O)."""

from .events import STATES, DeadlineEvent, calendar_of, stable_uid, vevent, vtimezone

__all__ = ["STATES", "DeadlineEvent", "calendar_of", "stable_uid", "vevent", "vtimezone"]
