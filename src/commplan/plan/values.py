"""Small immutable values of the plan format, parsed from what clerks write.

Each parser takes the raw YAML value and either returns a value object or
raises `Problem` with a message fit for a clerk (and, where the problem is
inside a mapping, the sub-key it concerns). They know nothing of periods or
dates beyond their own syntax: whether a `due` fits an `every` is checked
where both are known (`checks.py`), and computed in `commplan.schedule`.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from enum import Enum
from typing import Any

from ..i18n import _


class Problem(ValueError):
    """A value a clerk wrote that the format does not accept."""

    def __init__(self, message: str, *subpath: str | int):
        super().__init__(message)
        self.message = message
        self.subpath = subpath


def describe(value: Any) -> str:
    """How a wrong value is named in an error: short, and typed when that helps."""
    if value is None:
        return _("nothing")
    if isinstance(value, bool):
        return "true" if value else "false"  # as YAML writes them
    if isinstance(value, dict):
        return _("a mapping")
    if isinstance(value, list):
        return _("a list")
    text = str(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return repr(text) if isinstance(value, str) else text


def unknown_key(key: str, allowed: list[str], *, where: str | None = None) -> str:
    """`unknown key 'evnt' in from; did you mean 'event'?`, as the loader says it for model keys."""
    import difflib

    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        if where:
            return _("unknown key '{key}' in {where}; did you mean '{close}'?").format(key=key, where=where, close=close[0])
        return _("unknown key '{key}'; did you mean '{close}'?").format(key=key, close=close[0])
    if where:
        return _("unknown key '{key}' in {where} (allowed: {allowed})").format(key=key, where=where, allowed=", ".join(allowed))
    return _("unknown key '{key}' (allowed: {allowed})").format(key=key, allowed=", ".join(allowed))


# ---------------------------------------------------------------- identifiers

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*$")


def slugify(text: str) -> str:
    """`Sở TTTT Thanh Hóa` -> `so-tttt-thanh-hoa` (used to suggest a valid id)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def parse_id(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise Problem(_("expected an id (e.g. so-tttt-thanh-hoa), got {got}").format(got=describe(value)))
    text = str(value)
    if len(text) > 100:
        raise Problem(_("an id is at most 100 characters"))
    if not ID_PATTERN.match(text):
        hint = slugify(text)
        if hint:
            raise Problem(_("{value} is not an id: use lowercase letters, digits and hyphens (e.g. {example})")
                          .format(value=describe(text), example=hint))
        raise Problem(_("{value} is not an id: use lowercase letters, digits and hyphens").format(value=describe(text)))
    return text


def parse_ids(value: Any) -> tuple[str, ...]:
    """One id or a list of ids; order kept, repeats refused."""
    items = value if isinstance(value, list) else [value]
    ids: list[str] = []
    for i, item in enumerate(items):
        try:
            ident = parse_id(item)
        except Problem as exc:
            raise Problem(exc.message, *((i,) if isinstance(value, list) else ())) from None
        if ident in ids:
            raise Problem(_("'{id}' is listed twice").format(id=ident), *((i,) if isinstance(value, list) else ()))
        ids.append(ident)
    return tuple(ids)


# ---------------------------------------------------------------- dates, times

FIRST_YEAR, LAST_YEAR = 1900, 2200


def parse_date(value: Any) -> dt.date:
    day = _date_or_none(value)
    if day is None:
        raise Problem(_("{value} is not a date (write YYYY-MM-DD, e.g. 2021-11-10)").format(value=describe(value)))
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise Problem(_("{date} is out of range: plans run between {first} and {last}")
                      .format(date=day.isoformat(), first=FIRST_YEAR, last=LAST_YEAR))
    return day


def _date_or_none(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0):
            raise Problem(_("expected a date without a time, got {got}").format(got=value.isoformat(sep=" ")))
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def parse_dates(value: Any) -> tuple[dt.date, ...]:
    if not isinstance(value, list):
        raise Problem(_("expected a list of dates, got {got}").format(got=describe(value)))
    out = []
    for i, item in enumerate(value):
        try:
            out.append(parse_date(item))
        except Problem as exc:
            raise Problem(exc.message, i) from None
    return tuple(out)


_TIME = re.compile(r"^(\d{1,2})(?::|h)(\d{2})?(?::(\d{2}))?$")


def parse_time(value: Any) -> dt.time:
    """`"14:00"`, `"14:00:00"`, and the Vietnamese `"14h00"` / `"14h"`."""
    text = str(value).strip().lower() if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    match = _TIME.match(text) if text else None
    if match:
        hour, minute, second = int(match[1]), int(match[2] or 0), int(match[3] or 0)
        if hour < 24 and minute < 60 and second < 60:
            return dt.time(hour, minute, second)
    raise Problem(_("{value} is not a time of day (write \"14:00\")").format(value=describe(value)))


END_OF_DAY = dt.time(23, 59, 59)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_NAMES = {name: i for i, name in enumerate(WEEKDAYS)}
_WEEKDAY_NAMES.update(
    {full: i for i, full in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))}
)


def parse_weekday(value: Any) -> int:
    """Monday is 0, as in `datetime.date.weekday()`."""
    if isinstance(value, str) and value.strip().lower() in _WEEKDAY_NAMES:
        return _WEEKDAY_NAMES[value.strip().lower()]
    raise Problem(_("{value} is not a weekday (mon..sun)").format(value=describe(value)))


# ---------------------------------------------------------------- durations

class DurationUnit(str, Enum):
    MINUTES = "minutes"
    HOURS = "hours"
    DAYS = "days"
    WEEKS = "weeks"
    WORKDAYS = "workdays"


_DURATION = re.compile(
    r"^(\d+)\s*(m|min|mins|minutes?|h|hours?|d|days?|w|weeks?|wd|workdays?|working\s+days?)$"
)
_DURATION_UNITS = {
    "m": DurationUnit.MINUTES, "min": DurationUnit.MINUTES, "mins": DurationUnit.MINUTES,
    "minute": DurationUnit.MINUTES, "minutes": DurationUnit.MINUTES,
    "h": DurationUnit.HOURS, "hour": DurationUnit.HOURS, "hours": DurationUnit.HOURS,
    "d": DurationUnit.DAYS, "day": DurationUnit.DAYS, "days": DurationUnit.DAYS,
    "w": DurationUnit.WEEKS, "week": DurationUnit.WEEKS, "weeks": DurationUnit.WEEKS,
    "wd": DurationUnit.WORKDAYS, "workday": DurationUnit.WORKDAYS, "workdays": DurationUnit.WORKDAYS,
}


@dataclass(frozen=True)
class Duration:
    """`3d`, `2h`, `1w`, `5 workdays`: an amount of calendar time or of working days."""

    amount: int
    unit: DurationUnit

    @property
    def is_workdays(self) -> bool:
        return self.unit is DurationUnit.WORKDAYS

    def as_timedelta(self) -> dt.timedelta:
        """Calendar length; working days are counted by the schedule, not here."""
        if self.unit is DurationUnit.WORKDAYS:
            raise ValueError("working days depend on the calendar")
        per_unit = {
            DurationUnit.MINUTES: dt.timedelta(minutes=1),
            DurationUnit.HOURS: dt.timedelta(hours=1),
            DurationUnit.DAYS: dt.timedelta(days=1),
            DurationUnit.WEEKS: dt.timedelta(weeks=1),
        }[self.unit]
        return per_unit * self.amount

    def calendar_span(self) -> dt.timedelta:
        """The length reminders measure: working days counted as calendar days (quiet hours and
        the morning digest place the sends on working days)."""
        return dt.timedelta(days=self.amount) if self.is_workdays else self.as_timedelta()

    def __str__(self) -> str:
        short = {"minutes": "m", "hours": "h", "days": "d", "weeks": "w"}
        if self.unit is DurationUnit.WORKDAYS:
            return f"{self.amount} workdays"
        return f"{self.amount}{short[self.unit.value]}"


def parse_duration(value: Any) -> Duration:
    text = re.sub(r"\s+", " ", value.strip().lower()) if isinstance(value, str) else None
    match = _DURATION.match(text) if text else None
    if match:
        unit_word = match[2]
        unit = DurationUnit.WORKDAYS if unit_word.startswith("working") else _DURATION_UNITS[unit_word]
        amount = int(match[1])
        limit = 366 if unit is DurationUnit.WORKDAYS else 3660
        if amount > limit:
            raise Problem(_("{value} is too long (at most {limit})").format(value=describe(value), limit=limit))
        return Duration(amount, unit)
    raise Problem(_("{value} is not a duration (e.g. 3d, 2h, 1w, 5 workdays)").format(value=describe(value)))


@dataclass(frozen=True)
class Offset:
    """`-1d`, `+2w`, `-3 workdays`: days moved from an event's date (`from`/`until: {event, offset}`).

    Only whole days make sense for a date: days, weeks, or working days of the plan's calendar."""

    duration: Duration
    sign: int = 1  # -1: before the event

    def __str__(self) -> str:
        return ("-" if self.sign < 0 else "+") + str(self.duration)


OFFSET_UNITS = (DurationUnit.DAYS, DurationUnit.WEEKS, DurationUnit.WORKDAYS)


def parse_offset(value: Any) -> Offset:
    if isinstance(value, int) and not isinstance(value, bool):
        raise Problem(_("{value} has no unit: write {value}d (days), {value}w (weeks) or '{value} workdays'").format(value=value))
    text = value.strip() if isinstance(value, str) else None
    sign = -1 if text and text.startswith("-") else 1
    if text and text[0] in "+-":
        text = text[1:].strip()
    try:
        duration = parse_duration(text) if text else None
    except Problem:
        duration = None
    if duration is None:
        raise Problem(_("{value} is not an offset (e.g. -1d, 2d, 1w, -3 workdays)").format(value=describe(value)))
    if duration.unit not in OFFSET_UNITS:
        raise Problem(_("{value}: an offset moves a date, so it counts days (d), weeks (w) or workdays").format(value=describe(value)))
    return Offset(duration, sign)


# ---------------------------------------------------------------- recurrence

class PeriodUnit(str, Enum):
    DAY = "day"
    WORKDAY = "workday"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    HALF_YEAR = "half-year"
    YEAR = "year"

    @property
    def months(self) -> int:
        """Calendar months per period (0 for days and weeks)."""
        return {"month": 1, "quarter": 3, "half-year": 6, "year": 12}.get(self.value, 0)


_EVERY_MULTIPLE = re.compile(r"^(\d+)\s+(days?|weeks?|months?|quarters?|half-years?|years?)$")


@dataclass(frozen=True)
class Every:
    """A calendar period (`every: month`) or a multiple counted from `from` (`every: 2 weeks`).

    `count == 1` always means the calendar period: `every: 1 month` is `every: month`.
    Quarters and years given as multiples are kept in months (`2 quarters` = 6 months).
    """

    unit: PeriodUnit
    count: int = 1

    @property
    def anchored(self) -> bool:
        return self.count > 1

    @property
    def months(self) -> int:
        """Calendar months per period (0 for day and week based periods)."""
        return self.unit.months * self.count

    def __str__(self) -> str:
        return self.unit.value if self.count == 1 else f"{self.count} {self.unit.value}s"


def parse_every(value: Any) -> Every:
    text = re.sub(r"\s+", " ", value.strip().lower()) if isinstance(value, str) else None
    if text in {u.value for u in PeriodUnit}:
        return Every(PeriodUnit(text))
    match = _EVERY_MULTIPLE.match(text) if text else None
    if match:
        count, word = int(match[1]), match[2].rstrip("s")
        if not 1 <= count <= 1000:
            raise Problem(_("{value}: the count must be between 1 and 1000").format(value=describe(value)))
        if word == "quarter":
            return Every(PeriodUnit.MONTH, count * 3) if count > 1 else Every(PeriodUnit.QUARTER)
        if word == "half-year":
            return Every(PeriodUnit.MONTH, count * 6) if count > 1 else Every(PeriodUnit.HALF_YEAR)
        if word == "year" and count > 1:
            return Every(PeriodUnit.MONTH, count * 12)
        return Every(PeriodUnit(word), count)
    raise Problem(_(
        "{value} is not a period: use day, workday, week, month, quarter, half-year, year, "
        "or a multiple such as '2 weeks' or '3 months'"
    ).format(value=describe(value)))


# ---------------------------------------------------------------- deadlines

class HolidayRule(str, Enum):
    """What happens to an explicit deadline that falls on a weekend or holiday."""

    NEXT_WORKDAY = "next-workday"  # Civil Code 2015 art. 148: the time limit ends on the next working day
    PREVIOUS_WORKDAY = "previous-workday"
    KEEP = "keep"


class DueKind(str, Enum):
    END = "end"                  # the end of the period (default), optionally at `time`
    WEEKDAY = "weekday"          # {weekday: thu}
    DAY = "day"                  # {day: 25} / {month: last, day: 25}
    AFTER_END = "after_end"      # {after_end: 5 workdays}
    AFTER_START = "after_start"  # {after_start: 7d}
    DATE = "date"                # 2021-12-31, or {date: 2021-12-31}, with `once`


LAST = -1


@dataclass(frozen=True)
class Due:
    """A deadline rule. `explicit` is False only for the omitted default, which never moves."""

    kind: DueKind = DueKind.END
    explicit: bool = False
    weekday: int | None = None
    day: int | None = None  # 1..31, or negative from the end (-1 = last)
    month: int | None = None  # 1-based month of the period, or -1 for its last month
    offset: Duration | None = None
    date: dt.date | None = None
    time: dt.time | None = None
    if_holiday: HolidayRule = HolidayRule.NEXT_WORKDAY
    # "trước ngày 25": the end of the day before the day named (weekday and day forms only)
    before: bool = False

    @property
    def time_of_day(self) -> dt.time:
        return self.time or END_OF_DAY


DEFAULT_DUE = Due()
# Every key a `due` mapping accepts (docs/plan-format.md documents each; a test checks it).
DUE_KEYS = ("weekday", "day", "month", "after_end", "after_start", "date", "time", "if_holiday", "before")


def _parse_day(value: Any) -> int:
    if value == "last":
        return LAST
    if isinstance(value, int) and not isinstance(value, bool) and (1 <= value <= 31 or -31 <= value <= -1):
        return value
    raise Problem(_("{value} is not a day of the month (1..31, last, or -1 for the last day)").format(value=describe(value)), "day")


def _parse_month(value: Any) -> int:
    if value == "last":
        return LAST
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 12:
        return value
    raise Problem(_("{value} is not a month of the period (1..12 or last)").format(value=describe(value)), "month")


def _check_before(value: dict, form: str | None) -> None:
    """`before` is a boolean for the day and weekday forms, and says the whole time itself."""
    before = value["before"]
    if not isinstance(before, bool):
        raise Problem(_("`before` is true or false, got {got}").format(got=describe(before)), "before")
    if not before:
        return
    if form in ("after_end", "after_start", "date"):
        raise Problem(
            _("`before: true` cannot go with `{form}`: it means the day before a `day` or `weekday`").format(form=form), "before"
        )
    if form is None:
        raise Problem(_("`before: true` needs `day` or `weekday` (e.g. {{day: 25, before: true}})").format(), "before")
    if "time" in value:
        raise Problem(
            _("`before: true` cannot go with `time`: it ends at 23:59:59 on the day before; "
              "\"trước 14h00 ngày 25\" is {{day: 25, time: \"14:00\"}} without `before`").format(),
            "before",
        )


def parse_due(value: Any) -> Due:
    if isinstance(value, (dt.date, str)) and not isinstance(value, bool):
        try:
            return Due(kind=DueKind.DATE, explicit=True, date=parse_date(value))
        except Problem:
            raise Problem(_(
                "{value} is not a deadline: write a date (2021-12-31) or a mapping "
                "such as {{weekday: thu, time: \"14:00\"}} or {{day: 25}}"
            ).format(value=describe(value))) from None
    if not isinstance(value, dict):
        raise Problem(_("expected a date or a mapping such as {{day: 25}}, got {got}").format(got=describe(value)))
    for key in value:
        if key not in DUE_KEYS:
            raise Problem(_("unknown key '{key}' in due (allowed: {allowed})").format(key=key, allowed=", ".join(DUE_KEYS)), key)
    fields: dict[str, Any] = {"explicit": True}
    if "time" in value:
        try:
            fields["time"] = parse_time(value["time"])
        except Problem as exc:
            raise Problem(exc.message, "time") from None
    if "if_holiday" in value:
        try:
            fields["if_holiday"] = HolidayRule(value["if_holiday"])
        except (ValueError, TypeError):
            raise Problem(
                _("{value} is not a holiday rule (next-workday, previous-workday, keep)").format(value=describe(value["if_holiday"])),
                "if_holiday",
            ) from None
    forms = [k for k in ("weekday", "day", "after_end", "after_start", "date") if k in value]
    if "month" in value and "day" not in value:
        raise Problem(_("`month` needs `day` (e.g. {{month: last, day: 25}})").format(), "month")
    if len(forms) > 1:
        raise Problem(_("choose one deadline form, not {forms}").format(forms=_(" and ").join(forms)), forms[1])
    form = forms[0] if forms else None
    if "before" in value:
        _check_before(value, form)
        if value["before"]:
            fields["before"] = True
            # never lands on or after the day the text excludes, unless the plan says otherwise
            fields.setdefault("if_holiday", HolidayRule.PREVIOUS_WORKDAY)
    if form == "weekday":
        try:
            weekday = parse_weekday(value["weekday"])
        except Problem as exc:
            raise Problem(exc.message, "weekday") from None
        return Due(kind=DueKind.WEEKDAY, weekday=weekday, **fields)
    if form == "day":
        month = _parse_month(value["month"]) if "month" in value else None
        return Due(kind=DueKind.DAY, day=_parse_day(value["day"]), month=month, **fields)
    if form in ("after_end", "after_start"):
        try:
            offset = parse_duration(value[form])
        except Problem as exc:
            raise Problem(exc.message, form) from None
        if offset.unit in (DurationUnit.MINUTES, DurationUnit.HOURS) and "time" in value:
            raise Problem(_("{offset} already says the time; drop `time` or give the offset in days").format(offset=offset), "time")
        kind = DueKind.AFTER_END if form == "after_end" else DueKind.AFTER_START
        return Due(kind=kind, offset=offset, **fields)
    if form == "date":
        try:
            return Due(kind=DueKind.DATE, date=parse_date(value["date"]), **fields)
        except Problem as exc:
            raise Problem(exc.message, "date") from None
    return Due(kind=DueKind.END, **fields)


# ---------------------------------------------------------------- money, targets

def parse_amount(value: Any) -> int:
    """VND: 30000000, or as printed in plans: "30.000.000đ", "30,000,000 VND"."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        text = re.sub(r"\s*(đ|đồng|vnd|vnđ)$", "", value.strip().lower())
        if not re.fullmatch(r"\d{1,3}([.,]\d{3})+|\d+", text):
            raise Problem(_("{value} is not an amount in VND (e.g. 30000000)").format(value=describe(value)))
        number = int(re.sub(r"[.,]", "", text))
    else:
        raise Problem(_("{value} is not an amount in VND (e.g. 30000000)").format(value=describe(value)))
    if number <= 0:
        raise Problem(_("an amount must be more than 0"))
    return number


@dataclass(frozen=True)
class Target:
    """A yearly target: a percent of a baseline indicator, or an absolute figure."""

    value: float
    percent: bool

    def __str__(self) -> str:
        number = f"{self.value:g}"
        return f"{number}%" if self.percent else number


def parse_target(value: Any) -> Target:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < 0:
            raise Problem(_("a target cannot be negative"))
        return Target(float(value), percent=False)
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d+(?:[.,]\d+)?)\s*%\s*", value)
        if match:
            return Target(float(match[1].replace(",", ".")), percent=True)
    raise Problem(_("{value} is not a target: write a number (10) or a percent (70%)").format(value=describe(value)))
