"""Reporting periods and recorded figures: the vocabulary shared by the ledger's figures, their
import, and the ministry's forms.

A period is written as the forms name it: `2021-W47` (an ISO week, Monday to Sunday), `2021-11`
(a month), `2021-Q4` (a quarter), `2021-H2` (a half year) or `2021` (a year). Periods of one
kind follow each other (`previous`), and a shorter one lies `within` a longer one, which is how
weekly increments roll up into a month and a year.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from .i18n import N_, _


class PeriodKind(str, Enum):
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    HALF = "half"
    YEAR = "year"


PATTERNS = (
    (PeriodKind.WEEK, re.compile(r"(\d{4})-W(\d{2})")),
    (PeriodKind.MONTH, re.compile(r"(\d{4})-(\d{2})")),
    (PeriodKind.QUARTER, re.compile(r"(\d{4})-Q([1-4])")),
    (PeriodKind.HALF, re.compile(r"(\d{4})-H([12])")),
    (PeriodKind.YEAR, re.compile(r"(\d{4})")),
)
FIRST_YEAR, LAST_YEAR = 1900, 2200  # the years a plan's targets may name

# the period each report template of an indicator (`report: [weekly, monthly]`) is filled for
TEMPLATE_KINDS = {
    "weekly": PeriodKind.WEEK, "monthly": PeriodKind.MONTH, "quarterly": PeriodKind.QUARTER,
    "half-yearly": PeriodKind.HALF, "yearly": PeriodKind.YEAR,
}
KIND_NAMES = {PeriodKind.WEEK: N_("week"), PeriodKind.MONTH: N_("month"), PeriodKind.QUARTER: N_("quarter"),
              PeriodKind.HALF: N_("half year"), PeriodKind.YEAR: N_("year")}


class PeriodError(ValueError):
    """A period that cannot be read; the message says what is expected."""


@dataclass(frozen=True, order=True)
class Period:
    """A reporting period: its first and last day (both included) and its kind."""

    start: dt.date
    end: dt.date
    kind: PeriodKind

    @property
    def label(self) -> str:
        """The period as written (`2021-W47`, `2021-11`, `2021-Q4`, `2021-H2`, `2021`): the key in the ledger."""
        if self.kind is PeriodKind.WEEK:
            year, week, _day = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind is PeriodKind.MONTH:
            return f"{self.start:%Y-%m}"
        if self.kind is PeriodKind.QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind is PeriodKind.HALF:
            return f"{self.start.year}-H{1 if self.start.month <= 6 else 2}"
        return f"{self.start.year}"

    @property
    def year(self) -> int:
        """The year the period counts towards (a week's: the year of its Thursday, as ISO weeks)."""
        return self.start.isocalendar()[0] if self.kind is PeriodKind.WEEK else self.start.year

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        return period_containing(self.kind, self.start - dt.timedelta(days=1))

    def within(self, other: Period) -> bool:
        """Whether this period lies inside `other` (a week inside a month: by its Thursday, as ISO weeks count)."""
        if self.kind is PeriodKind.WEEK and other.kind is not PeriodKind.WEEK:
            thursday = self.start + dt.timedelta(days=3)
            return other.start <= thursday <= other.end
        return other.start <= self.start and self.end <= other.end

    def __str__(self) -> str:
        return self.label


def _month_end(year: int, month: int) -> dt.date:
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def period_containing(kind: PeriodKind, day: dt.date) -> Period:
    """The period of this kind that contains `day`."""
    if kind is PeriodKind.WEEK:
        start = day - dt.timedelta(days=day.weekday())
        return Period(start, start + dt.timedelta(days=6), kind)
    if kind is PeriodKind.MONTH:
        return Period(day.replace(day=1), _month_end(day.year, day.month), kind)
    if kind is PeriodKind.QUARTER:
        first = 3 * ((day.month - 1) // 3) + 1
        return Period(dt.date(day.year, first, 1), _month_end(day.year, first + 2), kind)
    if kind is PeriodKind.HALF:
        first = 1 if day.month <= 6 else 7
        return Period(dt.date(day.year, first, 1), _month_end(day.year, first + 5), kind)
    return Period(dt.date(day.year, 1, 1), dt.date(day.year, 12, 31), kind)


def parse_period(text: str) -> Period:
    """`2021-W47`, `2021-11`, `2021-Q4`, `2021-H2` or `2021`; PeriodError (translated) otherwise."""
    value = text.strip().upper()
    for kind, pattern in PATTERNS:
        found = pattern.fullmatch(value)
        if not found:
            continue
        year, number = int(found.group(1)), int(found.group(2)) if kind is not PeriodKind.YEAR else 1
        if not FIRST_YEAR <= year <= LAST_YEAR:
            break
        try:
            if kind is PeriodKind.WEEK:
                return period_containing(kind, dt.date.fromisocalendar(year, number, 1))
            if kind is PeriodKind.MONTH:
                return period_containing(kind, dt.date(year, number, 1))
            if kind is PeriodKind.QUARTER:
                return period_containing(kind, dt.date(year, 3 * number - 2, 1))
            if kind is PeriodKind.HALF:
                return period_containing(kind, dt.date(year, 6 * number - 5, 1))
            return period_containing(kind, dt.date(year, 1, 1))
        except ValueError:  # week 54, month 13
            break
    raise PeriodError(_("'{text}' is not a period: write a week 2021-W47, a month 2021-11, a quarter 2021-Q4, "
                        "a half year 2021-H2 or a year 2021").format(text=text))


@dataclass(frozen=True)
class FigureRow:
    """One recorded figure as it counts now (the latest correction): an indicator's value for a
    unit and a period. `value` is what was reported: an increment for a `sum` indicator, a running
    total for a `last` one, the reference figure for a baseline."""

    plan: str
    indicator: str
    unit: str
    period: Period
    value: Decimal
    note: str | None
    recorded_at: dt.datetime
    recorded_by: str | None
    version: int  # 1 for the first figure, then each correction
    source: str = "cli"  # cli | import | web | api
    # `record_figure` only: the same value and note as the figure in force, so nothing new was written
    unchanged: bool = False


class NotANumber(ValueError):
    """A figure that is not a number; the message (translated) says how to write one."""


def _grouped(text: str, separator: str) -> bool:
    """`1.234.567` with `.`: digits grouped by thousands."""
    return re.fullmatch(r"\d{1,3}(?:" + re.escape(separator) + r"\d{3})+", text) is not None


def parse_value(text: str) -> Decimal:
    """A figure as a clerk types it: `120`, `12,5` or `12.5`, `1.234,5` or `1,234.5`, `1 234`. A lone
    separator followed by exactly three digits (`1.234`) could be a thousand or a decimal: refused, with
    both readings, rather than guessed. A sign is read (`-5`), so that the ledger can say why it refuses it."""
    shown = text.strip()
    value = shown.replace("\u00a0", "").replace(" ", "")
    bad = NotANumber(_("'{text}' is not a number: write it as 120, 12,5 or 1.234,5").format(text=shown))
    if not re.fullmatch(r"-?\d(?:[\d.,]*\d)?", value):
        raise bad
    sign, digits = ("-", value[1:]) if value.startswith("-") else ("", value)
    if "." in digits and "," in digits:  # the last one is the decimal point, the other groups thousands
        point = "," if digits.rfind(",") > digits.rfind(".") else "."
        group = "." if point == "," else ","
        whole, fraction = digits.rsplit(point, 1)
        if point in whole or not _grouped(whole, group):
            raise bad
        plain = whole.replace(group, "") + "." + fraction
    elif "." in digits or "," in digits:
        separator = "." if "." in digits else ","
        parts = digits.split(separator)
        if len(parts) > 2:  # 1.234.567: thousands
            if not _grouped(digits, separator):
                raise bad
            plain = "".join(parts)
        elif len(parts[1]) == 3 and parts[0] != "0":
            raise NotANumber(_("'{text}' is ambiguous: is it {whole} or {decimal}? Write {whole} (without a thousands "
                               "separator), or {decimal} for a decimal number").format(
                text=shown, whole=parts[0] + parts[1], decimal=parts[0] + "," + parts[1]))
        else:
            plain = parts[0] + "." + parts[1]
    else:
        plain = digits
    return Decimal(sign + plain)


def plain_value(value: Decimal) -> Decimal:
    """`120.0000` as `120`, `12.5000` as `12.5`: a figure read back from the database, as it was written."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def format_value(value: Decimal) -> str:
    """A figure as the forms print it, the Vietnamese way: `1.234,5`."""
    value = plain_value(value)
    sign = "-" if value < 0 else ""
    whole, _point, fraction = f"{abs(value):f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    return sign + grouped + ("," + fraction if fraction else "")
