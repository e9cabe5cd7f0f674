"""Calendar subscription feeds over HTTP: routes of the web app (`create_app`), or a small Starlette
app of their own (`feed_app`, for tests and for mounting).

    GET /calendars/{unit}.ics?token=…         everything the unit (a group: its members) owes, across plans
    GET /calendars/plan/{plan}.ics?token=…    the coordinator's calendar of a plan (every holder)
    GET /healthz                              "ok" (feed_app only; the web app has its own)

A token is `links.feed_token(secret, unit)` (`"plan:" + plan` for a plan), so
it cannot be guessed and needs no table; it changes only with the secret. A
wrong or missing token and an unknown unit or plan give the same 404, so the
feeds reveal nothing about which units exist.

Each feed holds the deadlines from 365 days ago to the sync horizon (31
December of next year by default), with their statuses as of the request.

Validators. Before building anything a request asks the ledger one cheap
question (`feed_state`, one aggregate query): how many occurrences the feed
shows and the latest moment its content changed:
- a sync creating, moving or orphaning an occurrence, evidence recorded or
  withdrawn, an excusal made or taken back (the occurrence's, evidence's and
  excusal's own time stamps);
- an occurrence becoming overdue: its deadline passing is a change too;
- the window moving: the midnight a deadline left it (365 days later) or,
  on 1 January, the midnight the horizon took in the next year;
- with report links, the start of the current 30-day link period (the links
  are issued then, so they stay valid >= 150 of their 180 days, and the same
  ledger state gives the same bytes).
That moment is the calendar's DTSTAMP and the HTTP Last-Modified: a request
whose If-Modified-Since is at or after it gets 304 without the calendar being
built. Last-Modified is never later than the response's own second, so a
change later in the same second still counts as newer. If the occurrence
count or the unit names change while that moment does not (a sync deleting
an untouched future occurrence has no time stamp), the moment of noticing it
is used instead. The ETag is a hash of the body; bodies are cached per feed
by that state, so If-None-Match is answered without rebuilding too.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ..calendar.export import Selection, export_calendar
from ..clock import now as process_clock
from ..i18n import _
from ..ledger import Ledger, LedgerError, default_horizon
from ..ledger.feed_state import HISTORY, FeedState
from ..links import feed_token, feed_token_ok, report_link
from ..plan.catalog import Catalog
from ..settings import Settings
from .ledger_access import LedgerAccess

log = logging.getLogger("commplan.feeds")

UTC = dt.UTC
VN = ZoneInfo("Asia/Ho_Chi_Minh")
CONTENT_TYPE = "text/calendar; charset=utf-8"
MAX_AGE = 15 * 60  # seconds an HTTP cache may reuse a feed
REFRESH = b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\nX-PUBLISHED-TTL:PT1H\r\n"  # how often subscribers re-read
LINK_PERIOD = dt.timedelta(days=30)  # report links in a feed are re-issued this often
NEVER = dt.datetime(2000, 1, 1, tzinfo=UTC)  # DTSTAMP of an empty feed with no history
CACHED_FEEDS = 256
NOT_FOUND = "Not Found"


class WebConfigError(RuntimeError):
    """The web app cannot start: no link secret, or the plans have errors (one line for the operator)."""


class FeedConfigError(WebConfigError):
    """The feeds cannot start: no link secret, or the plans have errors."""


def plan_key(plan: str) -> str:
    """What a plan feed's token signs (a unit id never contains ':')."""
    return f"plan:{plan}"


def feed_path(*, unit: str | None = None, plan: str | None = None) -> tuple[str, str]:
    """(path, what the token signs) of a unit's or a plan's feed."""
    if (unit is None) == (plan is None):
        raise ValueError("give a unit or a plan")
    if unit is not None:
        return f"/calendars/{unit}.ics", unit
    assert plan is not None  # one of the two, checked above
    return f"/calendars/plan/{plan}.ics", plan_key(plan)


def feed_url(base_url: str, secret: str, *, unit: str | None = None, plan: str | None = None) -> str:
    path, key = feed_path(unit=unit, plan=plan)
    return f"{base_url.rstrip('/')}{path}?token={feed_token(secret, key)}"


# ---------------------------------------------------------------- the cheap question


def feed_window(now: dt.datetime, horizon_years: int) -> tuple[dt.date, dt.date]:
    today = now.astimezone(VN).date()
    return today - HISTORY, default_horizon(today, horizon_years)


def feed_state(ledger: Ledger, *, units: Sequence[str] = (), plans: Sequence[str] = (), within: Iterable[str] = (),
               start: dt.date, end: dt.date, now: dt.datetime) -> FeedState:
    """The occurrence count and latest change of a feed: `Ledger.feed_state` (one aggregate query)."""
    return ledger.feed_state(units=units, plans=plans, within=within, start=start, end=end, now=now)


# ---------------------------------------------------------------- HTTP helpers


def _ceil_second(moment: dt.datetime) -> dt.datetime:
    whole = moment.replace(microsecond=0)
    return whole if whole == moment else whole + dt.timedelta(seconds=1)


def http_date(moment: dt.datetime) -> str:
    return email.utils.format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def _parse_http_date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
        # normalised here, so a date at the edge of the calendar (year 1 or 9999 with an offset) fails here
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None  # an invalid or out-of-range date is ignored (RFC 9110 13.1.3)


def _etag_matches(header: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison (RFC 9110 13.1.2)."""
    tags = [tag.strip() for tag in header.split(",")]
    return "*" in tags or any(tag.removeprefix("W/") == etag for tag in tags)


def _with_refresh(data: bytes) -> bytes:
    """REFRESH-INTERVAL (RFC 7986) and X-PUBLISHED-TTL right after X-WR-TIMEZONE. Written as bytes:
    icalendar 7 writes REFRESH-INTERVAL without the VALUE=DURATION that RFC 7986 requires and
    X-PUBLISHED-TTL as "1:00:00"."""
    at = data.index(b"\r\nX-WR-TIMEZONE:")
    after = data.index(b"\r\n", at + 2) + 2
    return data[:after] + REFRESH + data[after:]


@dataclass
class _Cached:
    state: tuple  # (count, DTSTAMP, unit names): what the body depends on besides the catalog
    modified: dt.datetime  # the validator: DTSTAMP, or when a change without a time stamp was noticed
    body: bytes | None = None
    etag: str | None = None


@dataclass(frozen=True)
class _Feed:
    key: str  # what its token signs
    selection: Selection
    filename: str


# ---------------------------------------------------------------- the app


def require_secret(settings: Settings) -> str:
    secret = settings.signing_secret  # on the embedded default, the one generated into the data folder
    if not secret:
        raise FeedConfigError(_("COMMPLAN_LINK_SECRET is not set: calendar feed tokens are signed with it. Set it to a "
                                "long random string, e.g. `{command}`").format(
            command="python -c 'import secrets; print(secrets.token_urlsafe(48))'"))
    return secret


def _plans_stamp(catalog: Catalog, now: dt.datetime) -> dt.datetime:
    """When the plans were last edited: the newest file's modification time (never later than now).
    Every process that reads the same files gets the same stamp, so two servers of one ledger answer
    with the same Last-Modified, and a process started after an edit a newer one."""
    times = []
    for name in catalog.files:
        try:
            times.append(os.stat(name).st_mtime)
        except OSError:  # gone since it was read: the read itself is the stamp
            return now.replace(microsecond=0)
    newest = dt.datetime.fromtimestamp(max(times), UTC) if times else now
    return min(newest, now).replace(microsecond=0)


class Feeds:
    """The feeds of one catalog and one ledger; `feed_app` wraps it in Starlette."""

    def __init__(self, settings: Settings, catalog: Catalog, *, clock: Callable[[], dt.datetime] | None = None,
                 ledger: LedgerAccess | None = None):
        self.settings, self.catalog, self.secret = settings, catalog, require_secret(settings)
        self.clock = clock or process_clock
        self.access = ledger or LedgerAccess(settings.database)  # the web app's, shared with its other pages
        self._cache: OrderedDict[str, _Cached] = OrderedDict()
        self._lock = threading.Lock()
        self.builds = 0  # calendars built (for tests and logs)
        self.started = _plans_stamp(catalog, self.clock())  # the plans as read: see respond()

    def open(self) -> Ledger:
        """The ledger, opened once: at startup, or at the first request when the app is mounted in
        another one (Starlette does not run a mounted app's lifespan)."""
        return self.access.get()

    def close(self) -> None:
        self.access.close()

    def forget(self) -> None:
        """Drop the cached bodies and validators (tests; a body is rebuilt on the next request)."""
        with self._lock:
            self._cache.clear()

    def find(self, kind: str, ident: str, token: str) -> _Feed | None:
        """The feed, if the token opens it; None alike for a bad token and for an unknown unit or plan."""
        key = ident if kind == "unit" else plan_key(ident)
        if not feed_token_ok(self.secret, key, token, today=self.clock().date(), legacy_until=self.settings.legacy_until):
            return None
        if kind == "unit":
            if ident not in self.catalog.directory:
                return None
            return _Feed(key, Selection(units=(ident,)), f"{ident}.ics")
        if ident not in self.catalog.plans:
            return None
        return _Feed(key, Selection(plans=(ident,), coordinator=True), f"{ident}.ics")

    def respond(self, feed: _Feed, headers: Mapping[str, str]) -> Response:
        """The feed's response to a GET or HEAD with these request headers; runs in a worker thread."""
        now = self.clock()
        start, end = feed_window(now, self.settings.horizon_years)
        selection = Selection(units=feed.selection.units, plans=feed.selection.plans, start=start, end=end,
                              coordinator=feed.selection.coordinator)
        issued = None
        if self.settings.public_url:
            issued = dt.datetime.fromtimestamp(now.timestamp() // LINK_PERIOD.total_seconds() * LINK_PERIOD.total_seconds(), UTC)
        try:
            ledger = self.open()
            found = feed_state(ledger, units=selection.units, plans=selection.plans, within=self.catalog.plans,
                               start=start, end=end, now=now)
            names = ledger.unit_names()
        except LedgerError as error:  # e.g. a unit or plan not synced into the ledger yet
            log.warning(_("feed %s: %s"), feed.key, error)
            return PlainTextResponse("Service Unavailable", 503, headers={"Retry-After": "300"})
        stamp = max((m for m in (found.changed, issued) if m is not None), default=NEVER)
        state = (found.count, stamp, tuple(sorted(names.items())))
        with self._lock:
            cached = self._cache.get(feed.key)
            if cached is None or cached.state != state:
                # a plan edit leaves no time stamp in the ledger: never older than this process's start
                modified = max(stamp, self.started)
                if cached is not None and stamp <= cached.modified:  # changed without a newer time stamp
                    modified = max(now.replace(microsecond=0), cached.modified)
                cached = _Cached(state, modified)
                self._cache[feed.key] = cached
            self._cache.move_to_end(feed.key)
            while len(self._cache) > CACHED_FEEDS:
                self._cache.popitem(last=False)
            body, etag = cached.body, cached.etag
        # never a Last-Modified later than this response: a change later in this second stays newer
        last_modified = min(_ceil_second(cached.modified), now.replace(microsecond=0))
        out = {"Cache-Control": f"private, max-age={MAX_AGE}", "Last-Modified": http_date(last_modified)}
        if_none_match = headers.get("if-none-match")
        if if_none_match is None:
            since = _parse_http_date(headers.get("if-modified-since"))
            if since is not None and _ceil_second(cached.modified) <= since:
                if etag:
                    out["ETag"] = etag
                return Response(status_code=304, headers=out)  # nothing built
        if body is None:
            link = None
            base = self.settings.public_url
            if issued is not None and base:  # issued: only with a public URL
                link = lambda occurrence, unit: report_link(base, self.secret, occurrence, unit, issued=issued)  # noqa: E731
            try:
                data, _changed = export_calendar(ledger, self.catalog, selection, as_of=now, now=stamp, link=link)
            except LedgerError as error:
                log.warning(_("feed %s: %s"), feed.key, error)
                return PlainTextResponse("Service Unavailable", 503, headers={"Retry-After": "300"})
            body = _with_refresh(data)
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            with self._lock:
                cached.body, cached.etag = body, etag
                self.builds += 1
        assert etag is not None  # cached with its body, or just built
        out["ETag"] = etag
        if if_none_match is not None and _etag_matches(if_none_match, etag):
            return Response(status_code=304, headers=out)
        out["Content-Disposition"] = f'inline; filename="{feed.filename}"'
        return Response(body, 200, headers=out, media_type=CONTENT_TYPE)


def load_plans(plans: Sequence[str | Path]) -> Catalog:
    """The catalog the feeds and pages serve, loaded once; FeedConfigError with the plans' errors."""
    from ..plan import load_catalog

    catalog, errors = load_catalog(list(plans), strict=False)
    if errors:
        raise FeedConfigError(_("the plans have errors:") + "\n" + "\n".join(str(e) for e in errors))
    return catalog


def feed_routes(feeds: Feeds) -> list[Route]:
    """The two feed routes, for the web app or `feed_app`."""

    async def calendar(request: Request) -> Response:
        kind = "plan" if "plan" in request.path_params else "unit"
        feed = feeds.find(kind, request.path_params[kind], request.query_params.get("token", ""))
        if feed is None:
            response: Response = PlainTextResponse(NOT_FOUND, 404)
        else:
            response = await run_in_threadpool(feeds.respond, feed, request.headers)
        log.info("%s %s %d", request.method, request.url.path, response.status_code)  # never the token
        return response

    return [
        Route("/calendars/plan/{plan}.ics", calendar, methods=["GET", "HEAD"]),
        Route("/calendars/{unit}.ics", calendar, methods=["GET", "HEAD"]),
    ]


def feed_app(settings: Settings, *, plans: Sequence[str | Path] = ("plans/",),
             clock: Callable[[], dt.datetime] | None = None) -> Starlette:
    """The feeds alone as an ASGI app. Refuses (FeedConfigError) without a link secret or with plan
    errors; the plans are loaded here, once; the ledger is opened when the app starts and closed when
    it stops. `app.state.feeds` is the `Feeds` behind it. `commplan serve` serves them in the web app."""
    require_secret(settings)
    feeds = Feeds(settings, load_plans(plans), clock=clock)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def not_found(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(NOT_FOUND, 404)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await run_in_threadpool(feeds.open)
        try:
            yield
        finally:
            await run_in_threadpool(feeds.close)

    app = Starlette(
        routes=[*feed_routes(feeds), Route("/healthz", healthz, methods=["GET", "HEAD"])],
        exception_handlers={404: not_found},
        lifespan=lifespan,
    )
    # Starlette would answer `/calendars/x.ics/` with a redirect built from the Host header, token
    # included: an attacker's Host would receive it. A trailing slash is simply not found.
    app.router.redirect_slashes = False
    app.state.feeds = feeds
    return app
