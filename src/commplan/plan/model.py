"""The plan format (version 1) as validated, immutable pydantic models.

One model per mapping of PLAN_FORMAT.md; unknown keys are refused
(`extra="forbid"`) so that a typo never passes silently. Values with a syntax
of their own (ids, dates, durations, periods, deadlines) are parsed by
`values.py`, whose messages are written for clerks. Checks that need more
than one mapping (does this lead exist? does this `due` fit this `every`?)
live in `checks.py`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, StringConstraints, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ..i18n import _
from . import values as v


def _field(parse: Callable[[Any], Any]) -> PlainValidator:
    """Run a `values` parser as a pydantic validator, keeping its message and sub-key."""

    def validate(value: Any) -> Any:
        try:
            return parse(value)
        except v.Problem as exc:
            raise PydanticCustomError(
                "commplan", "{message}", {"message": exc.message, "subpath": list(exc.subpath)}
            ) from None

    return PlainValidator(validate)


def _bad(message: str, *subpath: str | int) -> PydanticCustomError:
    return PydanticCustomError("commplan", "{message}", {"message": message, "subpath": list(subpath)})


def _choice(enum: type[Enum]) -> Callable[[Any], Any]:
    def parse(value: Any) -> Any:
        try:
            return enum(value)
        except (ValueError, TypeError):
            allowed = " | ".join(m.value for m in enum)
            raise v.Problem(_("{value} is not one of {allowed}").format(value=v.describe(value), allowed=allowed)) from None

    return parse


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
Id = Annotated[str, _field(v.parse_id)]
Ids = Annotated[tuple[str, ...], _field(v.parse_ids)]
Date = Annotated[dt.date, _field(v.parse_date)]
Dates = Annotated[tuple[dt.date, ...], _field(v.parse_dates)]
Duration = Annotated[v.Duration, _field(v.parse_duration)]
Every = Annotated[v.Every, _field(v.parse_every)]
Due = Annotated[v.Due, _field(v.parse_due)]
Amount = Annotated[int, _field(v.parse_amount)]


def _durations(value: Any) -> tuple[v.Duration, ...]:
    items = value if isinstance(value, list) else [value]
    out = []
    for i, item in enumerate(items):
        try:
            out.append(v.parse_duration(item))
        except v.Problem as exc:
            raise v.Problem(exc.message, *((i,) if isinstance(value, list) else ())) from None
    return tuple(sorted(set(out), key=_duration_order, reverse=True))


def _duration_order(d: v.Duration) -> float:
    return d.amount * 1.4 if d.is_workdays else d.as_timedelta().total_seconds() / 86400


Durations = Annotated[tuple[v.Duration, ...], _field(_durations)]


def _text_or_number(value: Any) -> str:
    """Phone numbers, Zalo ids, section refs: YAML reads unquoted digits as numbers; keep them as text."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise v.Problem(_("expected text, got {got}").format(got=v.describe(value)))
    return str(value).strip()


TextOrNumber = Annotated[str, _field(_text_or_number)]


class Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, arbitrary_types_allowed=True
    )


# ---------------------------------------------------------------- directory

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 .-]{7,18}[0-9]$")


class Contact(Strict):
    name: Text | None = None
    email: Text | None = None
    phone: TextOrNumber | None = None  # SMS and Zalo ZNS (by phone number)
    zalo: TextOrNumber | None = None  # Zalo Official Account follower user_id

    @model_validator(mode="after")
    def _check(self) -> Contact:
        if not (self.email or self.phone or self.zalo):
            raise _bad(_("a contact needs at least one of email, phone, zalo"))
        if self.email and not _EMAIL.match(self.email):
            raise _bad(_("'{value}' is not an email address").format(value=self.email), "email")
        if self.phone and not _PHONE.match(self.phone):
            raise _bad(_("'{value}' is not a phone number (e.g. \"+84912345678\" or \"0912345678\")").format(value=self.phone), "phone")
        if self.zalo and not self.zalo.isdigit():
            raise _bad(_("'{value}' is not a Zalo user_id (digits only)").format(value=self.zalo), "zalo")
        return self


class Succession(Strict):
    unit: Id
    from_: Date = Field(alias="from")


def _code(value: Any) -> str:
    """An official administrative code ("38", "14755"): digits, kept as text ("0241" stays "0241")."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise v.Problem(_("expected an administrative code such as \"38\", got {got}").format(got=v.describe(value)))
    text = str(value).strip()
    if not re.fullmatch(r"[0-9]{1,10}", text):
        raise v.Problem(_("{value} is not an administrative code: digits only (e.g. \"38\")").format(value=v.describe(text)))
    return text


def _web_address(value: Any) -> str:
    """An absolute http(s) address with a host, as written (the feed's key in the ledger and in items)."""
    from urllib.parse import urlsplit

    if not isinstance(value, str) or not value.strip():
        raise v.Problem(_("expected a web address such as \"https://thanhhoa.gov.vn/rss\", got {got}").format(got=v.describe(value)))
    text = value.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  # raises on a port that is not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname or any(c.isspace() for c in text):
        raise v.Problem(_("{value} is not a web address: write it whole, with http:// or https:// and the site "
                          "(e.g. https://thanhhoa.gov.vn/rss)").format(value=v.describe(text)))
    return text


def _section(value: Any) -> str:
    """A path prefix of the site (`/tin-tuc/`): an item counts only when its link's path starts with it."""
    if not isinstance(value, str) or not value.strip():
        raise v.Problem(_("expected a path such as \"/tin-tuc/\", got {got}").format(got=v.describe(value)))
    text = value.strip()
    if not text.startswith("/") or "://" in text or any(c.isspace() for c in text):
        raise v.Problem(_("{value} is not a path of the site: it starts with / (e.g. /tin-tuc/)").format(value=v.describe(text)))
    return text


def _site_key(url: str) -> str:
    """A feed address compared case-insensitively in scheme and host, without a trailing slash: the same feed twice."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}?{parts.query}"


WebAddress = Annotated[str, _field(_web_address)]


class Feed(Strict):
    """One news feed (RSS or Atom) of a unit: what it publishes there counts as its own (`match` on obligations).
    A bare address is short for `{url: …}`."""

    url: WebAddress
    section: Annotated[str | None, _field(_section)] = None  # only items whose link's path starts with it
    name: Text | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"url": value}
        if not isinstance(value, dict):
            raise _bad(_("a feed is a web address or {{url: …, section: …}}, got {got}").format(got=v.describe(value)))
        return value

    @property
    def key(self) -> tuple[str, str]:
        return _site_key(self.url), self.section or ""


def _aliases(value: Any) -> tuple[str, ...]:
    names = _texts(value)
    for i, name in enumerate(names):
        if len(name) > 300:
            raise v.Problem(_("an alias is at most 300 characters"), *((i,) if isinstance(value, list) else ()))
        if name in names[:i]:
            raise v.Problem(_("'{id}' is listed twice").format(id=name), *((i,) if isinstance(value, list) else ()))
    return names


class Unit(Strict):
    id: Id
    name: Text
    short: Text | None = None
    code: Annotated[str | None, _field(_code)] = None  # official administrative code
    aliases: Annotated[tuple[str, ...], _field(_aliases)] = ()  # other names it goes by
    # a slug; from the directory file's top-level `province:` unless the unit says
    province: Id | None = None
    parent: Id | None = None
    contacts: tuple[Contact, ...] = ()
    succeeded_by: Succession | None = None
    dissolved: Date | None = None  # gone from this day, with no single successor
    feeds: tuple[Feed, ...] = ()  # where it publishes: the items obligations' `match` reads
    note: Text | None = None

    @field_validator("feeds")
    @classmethod
    def _feeds_once(cls, feeds: tuple[Feed, ...]) -> tuple[Feed, ...]:
        seen: set[tuple[str, str]] = set()
        for i, feed in enumerate(feeds):
            if feed.key in seen:
                raise _bad(_("the feed {url} is listed twice").format(url=feed.url + (feed.section or "")), i)
            seen.add(feed.key)
        return feeds

    @model_validator(mode="after")
    def _dissolved_after_succession(self) -> Unit:
        # Both may be given (duties pass to the successor, then the unit is gone), but a unit
        # cannot hand over duties after it ceased to exist.
        if self.dissolved and self.succeeded_by and self.succeeded_by.from_ > self.dissolved:
            raise _bad(_("succeeded_by.from {start} is after dissolved {dissolved}: "
                         "a unit hands its duties over on or before the day it is dissolved")
                       .format(start=self.succeeded_by.from_, dissolved=self.dissolved), "succeeded_by", "from")
        return self


class Group(Strict):
    name: Text
    members: Ids
    note: Text | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Group:
        if not self.members:
            raise _bad(_("a group needs at least one member"), "members")
        return self


# ---------------------------------------------------------------- plan header

class Effective(Strict):
    from_: Date = Field(alias="from")
    until: Date | None = None


# The tick runs hourly, on the hour, from 06:00 to 21:00, every day (commplan.flows.deployments,
# repeated in deployments/prefect.yaml): a plan cannot ask for a send outside these hours, since no tick would make it.
TICK_HOURS = range(6, 22)
FIRST_TICK, LAST_TICK = dt.time(TICK_HOURS[0]), dt.time(TICK_HOURS[-1])


class ReminderChannel(str, Enum):
    """The reminder routes a policy may allow (`channels`)."""

    ZALO = "zalo"  # the Zalo chain: an OA message, else ZNS by phone number
    SMS = "sms"
    EMAIL = "email"


class Days(str, Enum):
    """The days phones may ring (`quiet_hours.days`)."""

    WORKDAYS = "workdays"  # the plan's working days (its holidays, extra_days_off, extra_workdays)
    ALL = "all"


def hhmm(moment: dt.time) -> str:
    return moment.strftime("%H:%M") if not moment.second else moment.isoformat()


def _reminder_channels(value: Any) -> tuple[ReminderChannel, ...]:
    items = value if isinstance(value, list) else [value]
    allowed = [r.value for r in ReminderChannel]
    if not items:
        raise v.Problem(_("`channels` needs at least one of {allowed}").format(allowed=", ".join(allowed)))
    out: list[ReminderChannel] = []
    for i, item in enumerate(items):
        where = (i,) if isinstance(value, list) else ()
        name = item.strip().lower() if isinstance(item, str) else item
        if name in ("zns", "oa", "zalo-oa"):
            raise v.Problem(_("unknown channel {value}: write `zalo`, the Zalo chain (OA, then ZNS)").format(value=v.describe(item)), *where)
        if name not in allowed:
            close = difflib.get_close_matches(str(name), allowed, n=1, cutoff=0.5)
            if close:
                raise v.Problem(_("unknown channel {value} (did you mean '{close}'? allowed: {allowed})")
                                .format(value=v.describe(item), close=close[0], allowed=", ".join(allowed)), *where)
            raise v.Problem(_("unknown channel {value} (allowed: {allowed})")
                            .format(value=v.describe(item), allowed=", ".join(allowed)), *where)
        if ReminderChannel(name) in out:
            raise v.Problem(_("'{id}' is listed twice").format(id=name), *where)
        out.append(ReminderChannel(name))
    return tuple(out)


def _digest_time(value: Any) -> dt.time:
    moment = v.parse_time(value)
    if not FIRST_TICK <= moment <= LAST_TICK:
        raise v.Problem(_("digest_at {time} is outside {first}–{last}: "
                          "the tick does not run then (hourly, on the hour), so nothing would send the digest")
                        .format(time=hhmm(moment), first=hhmm(FIRST_TICK), last=hhmm(LAST_TICK)))
    return moment


Time = Annotated[dt.time, _field(v.parse_time)]


class QuietHours(Strict):
    """When phones (Zalo, ZNS, SMS) may ring: from `from` until `to` (Vietnam time) on the `days`;
    quiet outside, when phone messages wait for the window (notify/windows.py). Email is never
    quiet. Checked on the merged policy (`checks.py`): an obligation may give only `days` and keep
    the plan's hours."""

    from_: Time = Field(default=dt.time(7, 30), alias="from")
    to: Time = dt.time(20, 0)
    days: Annotated[Days, _field(_choice(Days))] = Days.WORKDAYS

    def merged_over(self, base: QuietHours) -> QuietHours:
        return base.model_copy(update={k: getattr(self, k) for k in self.model_fields_set})


class Reminders(Strict):
    """When and how reminders go out. Unset keys of an obligation's override fall back to the
    plan's, key by key (inside `quiet_hours` too), then to these defaults."""

    before: Durations = ()
    on_due: bool = True
    overdue_every: Duration | None = None
    escalate_after: Duration | None = None
    # nothing is said past the deadline + stop_after: neither overdue repeats nor the escalation
    stop_after: Duration = v.Duration(60, v.DurationUnit.DAYS)
    channels: Annotated[tuple[ReminderChannel, ...] | None, _field(_reminder_channels)] = None  # None: every configured route
    digest_at: Annotated[dt.time, _field(_digest_time)] = dt.time(7, 30)
    quiet_hours: QuietHours = QuietHours()

    def merged_over(self, base: Reminders | None) -> Reminders:
        if base is None:
            return self
        update = {k: getattr(self, k) for k in self.model_fields_set}
        if "quiet_hours" in update:
            update["quiet_hours"] = self.quiet_hours.merged_over(base.quiet_hours)
        return base.model_copy(update=update)

    def allows(self, route: ReminderChannel) -> bool:
        return self.channels is None or route in self.channels


def _timezone(value: Any) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z_]+(/[A-Za-z0-9_+-]+)*", value):
        raise v.Problem(_("{value} is not a time zone (e.g. Asia/Ho_Chi_Minh)").format(value=v.describe(value)))
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file name
        raise v.Problem(_("unknown time zone '{value}' (e.g. Asia/Ho_Chi_Minh)").format(value=value)) from None
    return value


def _country(value: Any) -> str:
    import holidays

    if not isinstance(value, str) or value.upper() not in holidays.list_supported_countries():
        raise v.Problem(_("{value} is not a country code known to the holidays package (e.g. VN)").format(value=v.describe(value)))
    return value.upper()


def _texts(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    for i, item in enumerate(items):
        if isinstance(item, bool) or not isinstance(item, (str, int)) or not str(item).strip():
            raise v.Problem(_("expected text, got {got}").format(got=v.describe(item)), *((i,) if isinstance(value, list) else ()))
    return tuple(str(item).strip() for item in items)


class PlanHeader(Strict):
    id: Id
    number: TextOrNumber | None = None
    title: Text
    issuer: Id | None = None
    issued: Date | None = None
    based_on: Annotated[tuple[str, ...], _field(_texts)] = ()
    coordinator: Id | None = None
    effective: Effective | None = None
    timezone: Annotated[str, _field(_timezone)] = "Asia/Ho_Chi_Minh"
    holidays: Annotated[str, _field(_country)] = "VN"
    extra_days_off: Dates = ()
    extra_workdays: Dates = ()
    reminders: Reminders | None = None
    tracking_from: Date | None = None  # occurrences due before it are `untracked`
    note: Text | None = None

    @property
    def starts(self) -> dt.date | None:
        if self.effective:
            return self.effective.from_
        return self.issued


class Event(Strict):
    id: Id
    title: Text
    date: Date | None = None
    repeats: bool = False  # each recorded instance opens its own occurrence of what waits for it
    note: Text | None = None

    @model_validator(mode="after")
    def _repeats_has_no_date(self) -> Event:
        if self.repeats and self.date is not None:
            raise _bad(_("`repeats` and `date` cannot go together: a repeating event has no single date; "
                         "record each time it happens (commplan event ID --date D)"), "repeats")
        return self


# ---------------------------------------------------------------- obligations

class Kind(str, Enum):
    PUBLISH = "publish"
    BROADCAST = "broadcast"
    MEETING = "meeting"
    REPORT = "report"
    PLAN = "plan"
    DELIVERABLE = "deliverable"


class Channel(str, Enum):
    PORTAL = "portal"
    NEWSPAPER = "newspaper"
    TELEVISION = "television"
    RADIO = "radio"
    GRASSROOTS_RADIO = "grassroots-radio"
    SOCIAL = "social"
    PRINT = "print"
    CONFERENCE = "conference"
    EMAIL = "email"
    OTHER = "other"


class EvidenceKind(str, Enum):
    LINK = "link"
    DOCUMENT = "document"
    COUNT = "count"
    NONE = "none"


# What a unit shows to prove a duty done, when the plan does not say.
DEFAULT_EVIDENCE = {
    Kind.PUBLISH: EvidenceKind.LINK,
    Kind.BROADCAST: EvidenceKind.COUNT,
    Kind.MEETING: EvidenceKind.DOCUMENT,
    Kind.REPORT: EvidenceKind.DOCUMENT,
    Kind.PLAN: EvidenceKind.DOCUMENT,
    Kind.DELIVERABLE: EvidenceKind.DOCUMENT,
}


class EventDate(Strict):
    """`{event: banner-nong-san-viet}` or `{event: bau-cu, offset: -1d}` in `from` / `until`:
    the event's date (each instance's, for a repeating event), moved by `offset`."""

    event: Id
    offset: v.Offset | None = None


EventStart = EventDate  # the name of version 1, when only `from` could wait for an event
# Every key a `from` / `until` mapping accepts (docs/plan-format.md documents each; a test checks it).
EVENT_DATE_KEYS = ("event", "offset")


def _event_date(key: str) -> Callable[[Any], dt.date | EventDate]:
    """The parser of `from` (key "from") or `until` (key "until"): a date, or an event with an offset."""

    def parse(value: Any) -> dt.date | EventDate:
        if isinstance(value, dict):
            if "offset" in value and "event" not in value:
                if "date" in value:
                    raise v.Problem(_("`offset` goes with `event`, not with `date`: write the {key} date itself "
                                      "(e.g. 2021-11-01)").format(key=key), "offset")
                raise v.Problem(_("`offset` needs `event` (e.g. {key}: {{event: bau-cu, offset: -1d}})").format(key=key), "offset")
            for extra in value:
                if extra not in EVENT_DATE_KEYS:
                    raise v.Problem(v.unknown_key(str(extra), list(EVENT_DATE_KEYS), where=key), extra)
            if "event" not in value:
                raise v.Problem(_("`{key}` as a mapping needs `event`").format(key=key))
            try:
                event = v.parse_id(value["event"])
            except v.Problem as exc:
                raise v.Problem(exc.message, "event") from None
            offset = None
            if "offset" in value:
                try:
                    offset = v.parse_offset(value["offset"])
                except v.Problem as exc:
                    raise v.Problem(exc.message, "offset") from None
            return EventDate(event=event, offset=offset)
        try:
            return v.parse_date(value)
        except v.Problem:
            message = (_("{value} is not a start: write a date (2021-11-01) or {{event: <id>}}") if key == "from"
                       else _("{value} is not an end: write a date (2021-11-01) or {{event: <id>}}"))
            raise v.Problem(message.format(value=v.describe(value))) from None

    return parse


_start = _event_date("from")


def _months(value: Any) -> tuple[int, ...]:
    items = value if isinstance(value, list) else [value]
    for i, item in enumerate(items):
        if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= 12:
            raise v.Problem(_("{value} is not a month (1..12)").format(value=v.describe(item)), *((i,) if isinstance(value, list) else ()))
    if not items:
        raise v.Problem(_("`months` needs at least one month"))
    return tuple(sorted(set(items)))


def _once(value: Any) -> bool:
    if value is True:
        return True
    raise v.Problem(_("`once` takes only `true`; for a recurring duty use `every` or `rrule`"))


def _rrule(value: Any) -> str:
    from dateutil import rrule

    if not isinstance(value, str) or not value.strip():
        raise v.Problem(_("expected an RFC 5545 rule such as \"FREQ=MONTHLY;BYMONTHDAY=25\", got {got}").format(got=v.describe(value)))
    text = value.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if "DTSTART" in text.upper():
        raise v.Problem(_("do not put DTSTART in the rule: the obligation's `from` is its start"))
    if re.search(r"BY(HOUR|MINUTE|SECOND)\b", text.upper()):
        raise v.Problem(_("periods are whole days: the rule cannot have BYHOUR, BYMINUTE or BYSECOND (use due.time)"))
    try:
        rule = rrule.rrulestr(text, dtstart=dt.datetime(2000, 1, 1), cache=False)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise v.Problem(_("invalid rule: {reason}").format(reason=exc)) from None
    if not isinstance(rule, rrule.rrule) or rule._freq > rrule.DAILY:  # type: ignore[attr-defined]  # FREQ has no public accessor
        raise v.Problem(_("the rule's FREQ must be DAILY or coarser: periods are whole days"))
    # A rule that never matches (30 February) would make dateutil search to year 9999.
    if not rule.between(dt.datetime(2000, 1, 1), dt.datetime(2030, 12, 31), inc=True):
        raise v.Problem(_("the rule has no date in 2000..2030; check BYMONTH/BYMONTHDAY"))
    return text


def _keywords(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise v.Problem(_("`keywords` is a list of words or phrases (e.g. [chuyển đổi số, sàn thương mại điện tử]), got {got}")
                        .format(got=v.describe(value)))
    if not value:
        raise v.Problem(_("`keywords` needs at least one word or phrase"))
    out: list[str] = []
    for i, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, (str, int)) or not str(item).strip():
            raise v.Problem(_("expected a word or phrase, got {got}").format(got=v.describe(item)), i)
        text = " ".join(str(item).split())
        if not any(c.isalnum() for c in text):
            raise v.Problem(_("{value} has no letter or digit: it could never be found in an article")
                            .format(value=v.describe(text)), i)
        if len(text) > 200:
            raise v.Problem(_("a keyword is at most 200 characters"), i)
        if text.casefold() in (k.casefold() for k in out):  # matching ignores case: the same keyword
            raise v.Problem(_("'{id}' is listed twice").format(id=text), i)
        out.append(text)
    return tuple(out)


class Match(Strict):
    """How a feed item is recognised as this obligation's evidence (`intake.matching`): one of its `keywords`
    in the title or summary, in a feed of the units `watch`ed (by default the holders' own). A bare list
    is short for `{keywords: [...]}`."""

    keywords: Annotated[tuple[str, ...], _field(_keywords)]
    watch: Ids | None = None  # units or groups whose feeds carry the evidence; None: the holders' own feeds
    url_prefix: WebAddress | None = None  # only items whose link starts with it

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, list):
            return {"keywords": value}
        if not isinstance(value, dict):
            raise _bad(_("`match` is a list of keywords, or {{keywords: […], watch: […], url_prefix: …}}, got {got}")
                       .format(got=v.describe(value)))
        return value

    @field_validator("watch")
    @classmethod
    def _watch_not_empty(cls, watch: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if watch is not None and not watch:
            raise _bad(_("`watch` needs at least one unit or group (leave it out to watch the holders' own feeds)"))
        return watch


class Obligation(Strict):
    id: Id
    ref: TextOrNumber | None = None
    title: Text
    quote: Text | None = None
    kind: Annotated[Kind | None, _field(_choice(Kind))] = None
    channel: Annotated[Channel | None, _field(_choice(Channel))] = None
    lead: Ids
    partners: Ids = ()
    shared: bool = False
    every: Every | None = None
    once: Annotated[bool | None, _field(_once)] = None
    rrule: Annotated[str | None, _field(_rrule)] = None
    months: Annotated[tuple[int, ...] | None, _field(_months)] = None
    at_least: Annotated[int, Field(ge=1, le=100_000)] = 1
    due: Due | None = None
    from_: Annotated[dt.date | EventDate | None, _field(_start)] = Field(default=None, alias="from")
    until: Annotated[dt.date | EventDate | None, _field(_event_date("until"))] = None
    to: Ids | None = None
    indicators: Ids = ()  # the figures a report carries (ids of the plan's indicators)
    evidence: Annotated[EvidenceKind | None, _field(_choice(EvidenceKind))] = None
    reminders: Reminders | None = None
    match: Match | None = None  # the feed items that are its evidence (`intake.matching`)
    note: Text | None = None

    @model_validator(mode="after")
    def _one_recurrence(self) -> Obligation:
        given = [k for k in ("every", "once", "rrule") if getattr(self, k) is not None]
        if not given:
            raise _bad(_("missing the rhythm: give one of `every`, `once` or `rrule`"))
        if len(given) > 1:
            raise _bad(_("give only one of every, once, rrule (found {found})").format(found=_(" and ").join(given)), given[1])
        if not self.lead:
            raise _bad(_("`lead` needs at least one unit or group"), "lead")
        return self

    @property
    def due_rule(self) -> v.Due:
        return self.due or v.DEFAULT_DUE

    @property
    def evidence_kind(self) -> EvidenceKind:
        if self.evidence is not None:
            return self.evidence
        return DEFAULT_EVIDENCE.get(self.kind, EvidenceKind.LINK) if self.kind else EvidenceKind.LINK

    @property
    def event(self) -> str | None:
        """The event the obligation starts with (`from: {event: …}`), if any."""
        return self.from_.event if isinstance(self.from_, EventDate) else None

    @property
    def until_event(self) -> str | None:
        """The event the obligation ends with (`until: {event: …}`), if any."""
        return self.until.event if isinstance(self.until, EventDate) else None


# ---------------------------------------------------------------- indicators, budget

class ReportTemplate(str, Enum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half-yearly"
    YEARLY = "yearly"


def _targets(value: Any) -> dict[int, v.Target]:
    if not isinstance(value, dict):
        raise v.Problem(_("expected a mapping of year to target (e.g. {{2022: 70%}}), got {got}").format(got=v.describe(value)))
    out = {}
    for year, target in value.items():
        if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2200:
            raise v.Problem(_("{value} is not a year").format(value=v.describe(year)), year)
        try:
            out[year] = v.parse_target(target)
        except v.Problem as exc:
            raise v.Problem(exc.message, year) from None
    return out


def _reports(value: Any) -> tuple[ReportTemplate, ...]:
    items = value if isinstance(value, list) else [value]
    parse = _choice(ReportTemplate)
    out = []
    for i, item in enumerate(items):
        try:
            out.append(parse(item))
        except v.Problem as exc:
            raise v.Problem(exc.message, *((i,) if isinstance(value, list) else ())) from None
    return tuple(out)


class Aggregate(str, Enum):
    """How an indicator's figures make its cumulative figure."""

    SUM = "sum"  # each figure is the period's increment: the cumulative is their sum
    LAST = "last"  # each figure is a running total: the cumulative is the latest


class Indicator(Strict):
    id: Id
    section: TextOrNumber | None = None
    section_title: Text | None = None  # the group row's title in the forms; once per section is enough
    name: Text
    measure: Text | None = None
    targets: Annotated[dict[int, v.Target], _field(_targets)] = Field(default_factory=dict)
    of: Id | None = None
    reported_by: Ids = ()
    report: Annotated[tuple[ReportTemplate, ...], _field(_reports)] = ()
    aggregate: Annotated[Aggregate, _field(_choice(Aggregate))] = Aggregate.SUM
    baseline: bool = False
    note: Text | None = None

    @model_validator(mode="after")
    def _check(self) -> Indicator:
        if any(t.percent for t in self.targets.values()) and not self.of:
            raise _bad(_("a percent target needs `of`: the baseline indicator it is a percent of"), "targets")
        if self.baseline and (self.targets or self.report):
            raise _bad(_("a baseline is a reference figure: it has no targets and is not a report row"), "baseline")
        if self.baseline and "aggregate" in self.model_fields_set:
            raise _bad(_("a baseline is entered once a year: `aggregate` is for reported figures"), "aggregate")
        return self


class BudgetLine(Strict):
    obligation: Id
    amount: Amount
    lead: Id | None = None
    source: Text | None = None
    note: Text | None = None


# ---------------------------------------------------------------- a whole file

# The top-level keys of a file, and the model each item of that section is.
SECTIONS: dict[str, type[Strict]] = {
    "units": Unit,
    "groups": Group,
    "plan": PlanHeader,
    "events": Event,
    "obligations": Obligation,
    "indicators": Indicator,
    "budget": BudgetLine,
}
PLAN_SECTIONS = ("events", "obligations", "indicators", "budget")
# Every top-level key of a file: the format version, `province` (the province, a slug, of every
# unit the file defines, unless a unit names its own) and the sections.
FILE_KEYS = ("commplan", "province", *SECTIONS)

# Mappings nested inside items, by the key that holds them: used to suggest
# the right key when an unknown one is found there.
NESTED: dict[str, type[Strict]] = {
    "contacts": Contact,
    "succeeded_by": Succession,
    "effective": Effective,
    "reminders": Reminders,
    "quiet_hours": QuietHours,
    "from": EventDate,
    "until": EventDate,
    "feeds": Feed,
    "match": Match,
}


def known_keys(model: type[Strict]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]
