"""The status of an occurrence: one type carrying everything the code says about each status.

Each member holds its stable English value (JSON and CSV keys, the SQL CASE in
`ledger.status`), its Vietnamese label (PLAN_FORMAT.md, "Each occurrence"),
the short heading of its column in summaries, where the Government Office's
reports count it, and how a calendar shows it. Everything else (the SQL, the
renderers, the calendar prefixes, the summary and report columns) is derived
from here, so a new status is one member; tests/test_status.py checks that
every mapping covers every member.

A leaf module (it imports only `i18n`): the ledger, the calendar files and the
renderers all read it. Labels and headings are English msgids, shown through the
catalog (`label`, `heading`: Vietnamese unless COMMPLAN_LANG=en); the calendar
files, written for agencies, always read `vietnamese`.
"""

from __future__ import annotations

from enum import Enum, StrEnum
from typing import TYPE_CHECKING

from .i18n import N_, _, translations


class Bucket(Enum):
    """Where the Government Office's tracking reports count a status."""

    TRACKED = "tracked"  # one of its four buckets, counted in the total
    APART = "apart"  # a column of its own, outside the total
    NONE = "none"  # in no column: the window has not opened


class Status(StrEnum):
    # value, label and column heading (msgids: the catalog gives the Vietnamese), bucket, column, calendar state,
    # calendar prefix (Vietnamese only: calendar files go to agencies)
    SCHEDULED = ("scheduled", N_("scheduled"), None, Bucket.NONE, None, None, None)
    OPEN = ("open", N_("open, within the deadline"), N_("Open"), Bucket.TRACKED, 2, "open", None)
    DONE_ON_TIME = ("done-on-time", N_("done on time"), N_("On time"), Bucket.TRACKED, 0, "met", "[Đã hoàn thành]")
    DONE_LATE = ("done-late", N_("done late"), N_("Late (done)"), Bucket.TRACKED, 1, "late", "[Đã hoàn thành]")
    OVERDUE = ("overdue", N_("overdue, not done"), N_("Overdue"), Bucket.TRACKED, 3, "overdue", "[Quá hạn]")
    EXCUSED = ("excused", N_("excused"), N_("Excused"), Bucket.APART, 4, "excused", "[Miễn]")
    UNTRACKED = ("untracked", N_("untracked"), N_("Untracked"), Bucket.APART, 5, "untracked",
                 "[Ngoài theo dõi]")

    _value_: str  # the first item of each tuple (see __new__)
    msgid: str  # its label in English, the catalog's key
    heading_msgid: str | None  # the short heading of its column in summary tables (None: no column)
    bucket: Bucket
    column: int | None  # its position among the report columns (None: no column)
    calendar: str | None  # the state of its calendar event (calendar.events.STATES); None: shown as `shown`
    prefix: str | None  # what starts its calendar event's SUMMARY (None: nothing)

    if TYPE_CHECKING:
        # What mypy sees: `Status("open")` is the lookup by value (the real constructor, below, only
        # builds the members from their tuples), and a declared `__new__` makes `value` a `_value_` (str),
        # not the member's tuple.
        def __new__(cls, value: str, *details: object) -> Status: ...
    else:
        def __new__(cls, value: str, label: str, heading: str | None, bucket: Bucket, column: int | None,
                    calendar: str | None, prefix: str | None) -> Status:
            member = str.__new__(cls, value)
            member._value_ = value
            member.msgid, member.heading_msgid, member.bucket, member.column = label, heading, bucket, column
            member.calendar, member.prefix = calendar, prefix
            return member

    @property
    def label(self) -> str:
        """As the reader reads it (GLOSSARY.md's Vietnamese by default)."""
        return _(self.msgid)

    @property
    def vietnamese(self) -> str:
        """The Vietnamese label whatever COMMPLAN_LANG says: for what agencies receive (calendars)."""
        return translations("vi").gettext(self.msgid)

    @property
    def heading(self) -> str | None:
        return _(self.heading_msgid) if self.heading_msgid else None

    @property
    def shown(self) -> Status:
        """The status a calendar shows: a window not yet open is shown as open (its alarms still ring)."""
        return Status.OPEN if self is Status.SCHEDULED else self

    @property
    def calendar_state(self) -> str:
        """The state of the calendar event that shows it (`shown`'s: every member but SCHEDULED has one)."""
        state = self.shown.calendar
        assert state is not None
        return state


def _in_columns(bucket: Bucket) -> tuple[Status, ...]:
    return tuple(sorted((s for s in Status if s.bucket is bucket), key=lambda s: s.column or 0))


STATUSES: tuple[Status, ...] = tuple(Status)  # the order of JSON and CSV summary keys
# The four buckets of the Government Office's tracking reports, in its order.
BUCKETS: tuple[Status, ...] = _in_columns(Bucket.TRACKED)
APART: tuple[Status, ...] = _in_columns(Bucket.APART)  # counted in columns of their own, outside the total
COLUMNS: tuple[Status, ...] = BUCKETS + APART  # a summary's or a report's status columns, in order
VIETNAMESE: dict[str, str] = {s.value: s.vietnamese for s in Status}
