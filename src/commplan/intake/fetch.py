"""Fetching one RSS/Atom feed: a conditional GET with a timeout and a size cap, read with feedparser into FeedItems.

The rules (each checked against a loopback server in tests/test_intake_fetch.py):

- Conditional GET: the stored ETag goes back as If-None-Match and Last-Modified as If-Modified-Since,
  verbatim; a 304 is `not_modified` (no items: nothing changed since the last read).
- Time: connecting and each wait for the server take at most `timeout` seconds, and the whole fetch
  (redirects and body) is checked against the same budget between chunks, so a server that drips its
  body a byte at a time cannot hold a worker: every fetch ends within about 2 × `timeout`.
- Size: a Content-Length over `max_bytes` is refused before the body is read; otherwise the body is
  streamed and dropped at the cap, never read whole. The cap counts decompressed bytes, and no step
  inflates past it: the raw body is decompressed here (`_Inflater`) with zlib's `max_length`, never by
  httpx, which inflates a whole chunk at once (a 64 KB chunk of a gzip bomb is 64 MB) and decodes
  stacked encodings. Only identity, one `gzip` or one `deflate` is read; any other Content-Encoding
  is a failure.
- Addresses: only public ones, checked at connect time for the first request and every redirect hop
  (`address_guard`); loopback and private networks only with `allow_private_hosts`.
- Redirects are followed here, not by the client, up to `max_redirects`; an address visited twice is
  a loop. Both are failures that retrying will not mend.
- Malformed feeds (feedparser's "bozo"): the items feedparser recovers are kept, with a warning in the
  result; a body with no feed in it (an HTML page, an error page, garbage) or a malformed one of which
  nothing could be read is a failure.
- Items: title and summary in NFC (NFD accents from some editors compare equal after), summaries and
  HTML titles as plain text (`html_text`), `published` from the entry's published or else updated date
  (feedparser reads those with a timezone; one written without is Vietnam time, see `_published`), links through `normalise_link`. An entry without an http(s) link is skipped
  (counted in `skipped`): evidence is a link a person can open.
- Failures carry a reason for people (gettext: Vietnamese by default) and a technical detail for the
  administrator; `transient` ones (timeouts, connection errors, 5xx, 429) are worth retrying soon.

feedparser is only ever given bytes in a BytesIO: given a string, it would fetch URLs or open files itself.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import time
import unicodedata
import weakref
import zlib
from dataclasses import dataclass
from email.utils import parsedate_tz
from typing import Any
from urllib.parse import urlsplit
from xml.sax import SAXParseException
from zoneinfo import ZoneInfo

import feedparser
import httpcore
import httpx

from .. import __version__
from ..i18n import N_, _
from ..ledger import FeedSourceState, FetchStatus
from .address_guard import GuardedBackend, InternalAddress, allowing_private
from .html_text import html_to_text
from .items import FeedItem, normalise_link

log = logging.getLogger(__name__)

MB = 1024 * 1024
TIMEOUT = 10.0  # seconds
MAX_BYTES = 5 * MB  # a feed of a few hundred items is well under 1 MB
MAX_REDIRECTS = 5
USER_AGENT = f"commplan/{__version__} (RSS/Atom feed reader)"
ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"
HTML_TYPES = ("text/html", "application/xhtml+xml", "html", "xhtml")  # feedparser's *_detail.type values
GZIP, DEFLATE = 16 + zlib.MAX_WBITS, zlib.MAX_WBITS  # zlib's wbits for a gzip and a zlib stream
# an RFC 822 date that ends with its time (no zone), or with "ICT" (Indochina Time, Vietnam's own)
_NAIVE_RFC822 = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?(?P<zone>\s+ICT)?$", re.IGNORECASE)
# a date in digits as Vietnamese sites write it: day first (01/03/2026), or year first (2026/03/01), with "/",
# "-" or "."; a time and a numeric zone may follow. feedparser misreads these ("01-03-2026" as 20 March 2001,
# "2026/03/01" as 1 December), so they are read here, and one that is no date leaves the item undated.
_NUMERIC = re.compile(r"(?:(?P<year>\d{4})(?P<sep>[/.-])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})"
                      r"|(?P<day2>\d{1,2})(?P<sep2>[/.-])(?P<month2>\d{1,2})(?P=sep2)(?P<year2>\d{4}))"
                      r"(?:[ T,]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
                      r"(?:\s*(?P<zone>[+-]\d{2}:?\d{2}))?)?")
VN = ZoneInfo("Asia/Ho_Chi_Minh")
ENCODINGS = {"": None, "identity": None, "gzip": GZIP, "x-gzip": GZIP, "deflate": DEFLATE}

# what an exception means, most specific first (`technical`)
TECHNICAL: tuple[tuple[type[BaseException], str], ...] = (
    (httpx.ConnectTimeout, N_("no connection within the time limit")),
    (httpx.ReadTimeout, N_("the server stopped sending within the time limit")),
    (httpx.TimeoutException, N_("the time limit ran out")),
    (httpx.ConnectError, N_("the connection could not be opened (refused, unreachable, or the name does not resolve)")),
    (httpx.RemoteProtocolError, N_("the server broke the HTTP protocol (closed the connection mid-answer?)")),
    (httpx.UnsupportedProtocol, N_("a redirect to an address that is not http or https")),
    (httpx.InvalidURL, N_("an invalid address")),
    (httpx.TransportError, N_("the connection broke")),
    (zlib.error, N_("the compressed data is corrupt")),
    (feedparser.NonXMLContentType, N_("the answer is not XML (a web page?)")),
    (feedparser.CharacterEncodingOverride, N_("the feed declares the wrong character encoding")),
    (feedparser.CharacterEncodingUnknown, N_("the feed's character encoding is unknown")),
    (UnicodeError, N_("the text is not in the declared character encoding")),
)
ADDRESS_KINDS = {"loopback": N_("loopback"), "private": N_("private network"), "link-local": N_("link-local"),
                 "multicast": N_("multicast"), "unspecified": N_("unspecified address"),
                 "reserved": N_("reserved address"), "unix socket": N_("unix socket")}

_guarded: weakref.WeakSet[httpx.Client] = weakref.WeakSet()  # the clients `new_client` made


@dataclass(frozen=True)
class FetchResult:
    url: str
    status: FetchStatus
    items: tuple[FeedItem, ...] = ()
    etag: str | None = None  # the validators to send next time (a 304's own, else the ones sent)
    last_modified: str | None = None
    reason: str | None = None  # why it failed, for people
    detail: str | None = None  # what happened, for the administrator: the exception, the HTTP status
    transient: bool = False  # a failure that may pass by itself: worth retrying soon
    http_status: int | None = None
    final_url: str | None = None  # where the feed was read, after redirects
    warning: str | None = None  # read despite malformed XML: what feedparser stumbled on
    skipped: int = 0  # entries without an http(s) link
    attempts: int = 1  # fetches made for this result (see fetch_all's retries)
    backed_off_until: dt.datetime | None = None  # not fetched: failing, tried again after this (feed_fetching)
    failures: int = 0  # with backed_off_until: the failures in a row so far

    @property
    def error(self) -> str | None:
        """A failure's reason and detail in one line (what the ledger keeps)."""
        if self.status is not FetchStatus.FAILED:
            return None
        return f"{self.reason} ({self.detail})" if self.detail else self.reason

    @property
    def item_count(self) -> int:
        return len(self.items)


class _Failure(Exception):
    def __init__(self, reason: str, detail: str, *, transient: bool = False, http_status: int | None = None):
        super().__init__(reason)
        self.reason, self.detail, self.transient, self.http_status = reason, detail, transient, http_status


def new_client(*, connections: int = 8) -> httpx.Client:
    """A client for fetching feeds: redirects are left to `fetch_feed`, decompression to `_body` (gzip and
    deflate offered: what every feed server has; fewer decoders to trust with a stranger's bytes), and
    every connection to `address_guard` (no proxy from the environment: see there)."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    transport = httpx.HTTPTransport(limits=limits, trust_env=False)
    # httpx 0.28 takes no network backend: its pool is replaced by the same one with ours (tested through
    # every loopback test, which pass only if the guard lets them through)
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(), max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections, keepalive_expiry=limits.keepalive_expiry,
        network_backend=GuardedBackend())
    client = httpx.Client(headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
                          follow_redirects=False, transport=transport, trust_env=False)
    _guarded.add(client)
    return client


def fetch_feed(url: str, state: FeedSourceState | None = None, *, client: httpx.Client, timeout: float = TIMEOUT,
               max_bytes: int = MAX_BYTES, max_redirects: int = MAX_REDIRECTS,
               allow_private_hosts: bool = False) -> FetchResult:
    """Fetch and read the feed at `url` (see the module's rules); never raises for what a server does.
    `client`: one from `new_client` (the address guard is in it); `allow_private_hosts`: loopback and
    private networks may be read too (COMMPLAN_FEEDS_ALLOW_PRIVATE_HOSTS)."""
    if client not in _guarded:
        raise ValueError("fetch_feed needs a client from new_client(): it checks the addresses connected to")
    etag = state.etag if state else None
    modified = state.last_modified if state else None
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if modified:
        headers["If-Modified-Since"] = modified
    deadline = time.monotonic() + timeout
    try:
        if urlsplit(url).scheme.lower() not in ("http", "https"):
            raise _Failure(_("the feed's address is not an http or https address"), url)
        with allowing_private(allow_private_hosts):
            return _fetch(url, client.build_request("GET", url, headers=headers, timeout=timeout), client,
                          etag=etag, modified=modified, deadline=deadline, timeout=timeout, max_bytes=max_bytes,
                          max_redirects=max_redirects)
    except InternalAddress as refused:
        return FetchResult(url, FetchStatus.FAILED, etag=etag, last_modified=modified, detail=_(
            "{host} → {address} ({kind}); COMMPLAN_FEEDS_ALLOW_PRIVATE_HOSTS=true allows loopback and private "
            "networks").format(host=refused.host, address=refused.address,
                               kind=_(ADDRESS_KINDS.get(refused.kind, refused.kind))),
            reason=_("the feed's address leads to an internal address ({address}): feeds are read only from "
                     "public addresses").format(address=refused.address))
    except _Failure as failure:
        return FetchResult(url, FetchStatus.FAILED, etag=etag, last_modified=modified, reason=failure.reason,
                           detail=failure.detail, transient=failure.transient, http_status=failure.http_status)
    except httpx.TimeoutException as exc:
        return FetchResult(url, FetchStatus.FAILED, etag=etag, last_modified=modified, transient=True,
                           reason=_("the feed did not answer within {seconds} seconds").format(seconds=_seconds(timeout)),
                           detail=technical(exc))
    except (httpx.TransportError, httpx.InvalidURL) as exc:  # refused, reset, DNS, a redirect to ftp:, ...
        transient = isinstance(exc, httpx.TransportError) and not isinstance(exc, httpx.UnsupportedProtocol)
        return FetchResult(url, FetchStatus.FAILED, etag=etag, last_modified=modified, transient=transient,
                           reason=_("the connection to the feed's server failed"), detail=technical(exc))


def _fetch(url: str, request: httpx.Request, client: httpx.Client, *, etag: str | None, modified: str | None,
           deadline: float, timeout: float, max_bytes: int, max_redirects: int) -> FetchResult:
    seen = {str(request.url)}
    for _hop in range(max_redirects + 1):
        response = client.send(request, stream=True, follow_redirects=False)
        try:
            if response.next_request is None:
                return _read(url, response, etag=etag, modified=modified, deadline=deadline, timeout=timeout,
                             max_bytes=max_bytes)
            request = response.next_request
        finally:
            response.close()
        target = str(request.url)
        if target in seen:
            raise _Failure(_("the feed's address redirects in a loop"), f"{response.status_code} → {target}")
        seen.add(target)
        _check_time(deadline, timeout)
        # what is left of the budget is what the next server gets
        request.extensions["timeout"] = httpx.Timeout(max(0.001, deadline - time.monotonic())).as_dict()
    raise _Failure(_("the feed's address redirects more than {count} times").format(count=max_redirects),
                   _("last address: {url}").format(url=request.url))


def _read(url: str, response: httpx.Response, *, etag: str | None, modified: str | None, deadline: float,
          timeout: float, max_bytes: int) -> FetchResult:
    code = response.status_code
    if code == 304:
        if not (etag or modified):  # nothing was asked conditionally: there is no copy it could refer to
            raise _Failure(_("the feed answered 'not modified' to a request for the whole feed"), "HTTP 304",
                           http_status=code)
        return FetchResult(url, FetchStatus.NOT_MODIFIED, etag=response.headers.get("etag") or etag,
                           last_modified=response.headers.get("last-modified") or modified, http_status=code,
                           final_url=str(response.url))
    if not 200 <= code < 300:
        raise _Failure(_("the feed's server answered with an error (HTTP {code})").format(code=code),
                       f"HTTP {code}", transient=code >= 500 or code == 429,
                       http_status=code)
    body = _body(response, deadline=deadline, timeout=timeout, max_bytes=max_bytes)
    parsed = feedparser.parse(io.BytesIO(body), response_headers={
        "content-type": response.headers.get("content-type", ""), "content-location": str(response.url)})
    entries = parsed.get("entries") or []
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if not entries and (problem is not None or not parsed.get("version")):
        detail = technical(problem) if problem is not None else _("{type}, {count} bytes").format(
            type=response.headers.get("content-type", "?"), count=len(body))
        raise _Failure(_("the address does not give an RSS or Atom feed that can be read"), detail, http_status=code)
    items = [item for entry in entries if (item := _item(url, entry)) is not None]
    return FetchResult(url, FetchStatus.OK, items=tuple(items), etag=response.headers.get("etag"),
                       last_modified=response.headers.get("last-modified"), http_status=code,
                       final_url=str(response.url), warning=technical(problem) if problem is not None else None,
                       skipped=len(entries) - len(items))


def _body(response: httpx.Response, *, deadline: float, timeout: float, max_bytes: int) -> bytes:
    too_large = _("the feed is larger than {size} (the limit)").format(size=_size(max_bytes))
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _Failure(too_large, f"Content-Length: {declared}")
    inflater = _Inflater(response.headers.get("content-encoding", ""))
    body = bytearray()
    try:
        for chunk in response.iter_raw():  # as they arrive (a chunk size would wait for it to fill), undecoded
            body += inflater.inflate(chunk, max_bytes - len(body) + 1)
            while len(body) <= max_bytes and inflater.pending:
                body += inflater.inflate(b"", max_bytes - len(body) + 1)
            if len(body) > max_bytes:
                raise _Failure(too_large, _("more than {count} bytes read").format(count=max_bytes))
            _check_time(deadline, timeout)
        body += inflater.flush()
    except zlib.error as exc:
        raise _Failure(_("the feed's server sent a compressed body that could not be read"),
                       f"{technical(exc)} (Content-Encoding: {inflater.encoding})") from None
    if len(body) > max_bytes:
        raise _Failure(too_large, _("more than {count} bytes read").format(count=max_bytes))
    return bytes(body)


class _Inflater:
    """The body's one Content-Encoding undone, a bounded piece at a time: `inflate` returns at most `limit`
    bytes and keeps the input it did not reach (`pending`) for the next call."""

    def __init__(self, encoding: str):
        self.encoding = encoding.strip().lower()
        if self.encoding not in ENCODINGS:  # "br", "zstd", "gzip, gzip" (stacked): not offered, not read
            raise _Failure(_("the feed's server compressed the body in a way that is not accepted ({encoding})").format(
                encoding=encoding.strip()), f"Content-Encoding: {encoding.strip()}")
        wbits = ENCODINGS[self.encoding]
        self._zlib = zlib.decompressobj(wbits=wbits) if wbits is not None else None
        self._tail = b""
        self._started = False

    @property
    def pending(self) -> bool:
        return bool(self._tail)

    def inflate(self, data: bytes, limit: int) -> bytes:
        if self._zlib is None:
            return data
        data, self._tail = self._tail + data, b""
        try:
            out = self._zlib.decompress(data, max_length=limit)
        except zlib.error:
            if self._started or self.encoding != "deflate":
                raise
            # "deflate" is a zlib stream by the standard, a raw one from some servers (httpx accepts both)
            self._zlib = zlib.decompressobj(wbits=-zlib.MAX_WBITS)
            out = self._zlib.decompress(data, max_length=limit)
        self._started = self._started or bool(data)
        self._tail = self._zlib.unconsumed_tail
        return out

    def flush(self) -> bytes:
        return self._zlib.flush() if self._zlib is not None else b""


def _check_time(deadline: float, timeout: float) -> None:
    if time.monotonic() > deadline:
        raise _Failure(_("the feed did not answer within {seconds} seconds").format(seconds=_seconds(timeout)),
                       _("the whole fetch took longer than the time limit"), transient=True)


def _item(feed_url: str, entry: Any) -> FeedItem | None:
    link = (entry.get("link") or "").strip()
    if urlsplit(link).scheme.lower() not in ("http", "https"):
        return None
    # an Atom entry with <content> only has a `summary` copied from it, without its type: read the content
    detail = entry.get("summary_detail") or (entry.get("content") or [None])[0] or {}
    summary, kind = detail.get("value") or entry.get("summary") or "", detail.get("type", "")
    guid = (entry.get("id") or "").strip() or None
    return FeedItem(feed_url=feed_url, link=normalise_link(link),
                    title=_text(entry.get("title") or "", (entry.get("title_detail") or {}).get("type", "")),
                    summary=_text(summary, kind), published=_published(entry), guid=guid)


def _text(value: str, kind: str) -> str:
    text = html_to_text(value) if kind in HTML_TYPES else " ".join(value.split())
    return unicodedata.normalize("NFC", text)


def _published(entry: Any) -> dt.datetime | None:
    """The item's date, aware (UTC): `published`, else `updated`. A date written without a timezone (a naive
    "2026-03-10T08:00:00", "Tue, 10 Mar 2026 08:00:00", or the zone "ICT" feedparser does not know) is
    Vietnam time: feedparser would read it as UTC (seven hours early, the wrong day before 07:00) or not at all.
    A date in digits is read day first, as Vietnamese sites write it (`_NUMERIC`), or not at all."""
    for key in ("published", "updated"):
        # dict.get: the keys as parsed, without feedparser's deprecated mapping of `updated` onto `published`
        raw = str(dict.get(entry, key) or "").strip()
        numeric = _NUMERIC.fullmatch(raw) if not _iso(raw) else None
        if numeric is not None:
            found = _numeric_date(numeric)
            if found is not None:
                return found
            continue  # digits that are no date: feedparser would make one up
        local = _local_time(raw)
        if local is not None:
            return local
        parsed = dict.get(entry, f"{key}_parsed")
        if parsed:
            try:
                year, month, day, hour, minute, second = parsed[:6]
                return dt.datetime(year, month, day, hour, minute, min(second, 59), tzinfo=dt.UTC)
            except (TypeError, ValueError):  # a date feedparser read but Python cannot hold (year 0)
                continue
    return None


def _iso(raw: str) -> bool:
    try:
        dt.datetime.fromisoformat(raw)
    except ValueError:
        return False
    return True


def _numeric_date(found: re.Match[str]) -> dt.datetime | None:
    """A `_NUMERIC` date: Vietnam time unless a zone is written; None when it is no date (31/02)."""
    year, month, day = (int(found["year"] or found["year2"]), int(found["month"] or found["month2"]),
                        int(found["day"] or found["day2"]))
    hour, minute, second = int(found["hour"] or 0), int(found["minute"] or 0), int(found["second"] or 0)
    zone: dt.tzinfo = VN
    if found["zone"]:
        digits = found["zone"].replace(":", "")
        offset = dt.timedelta(hours=int(digits[1:3]), minutes=int(digits[3:5]))
        zone = dt.timezone(-offset if digits[0] == "-" else offset)
    try:
        return dt.datetime(year, month, day, hour, minute, min(second, 59), tzinfo=zone).astimezone(dt.UTC)
    except ValueError:
        return None


def _local_time(raw: str) -> dt.datetime | None:
    """A date written without a timezone, read as Vietnam time (in UTC); None for any other text."""
    if not raw:
        return None
    try:
        iso = dt.datetime.fromisoformat(raw)
    except ValueError:
        iso = None
    if iso is not None:
        return iso.replace(tzinfo=VN).astimezone(dt.UTC) if iso.tzinfo is None else None
    naive = _NAIVE_RFC822.search(raw)
    if naive is None:
        return None
    parsed = parsedate_tz(raw[:naive.start("zone")] if naive.group("zone") else raw)
    if parsed is None:
        return None
    try:
        year, month, day, hour, minute, second = parsed[:6]
        return dt.datetime(year, month, day, hour, minute, min(second, 59), tzinfo=VN).astimezone(dt.UTC)
    except (TypeError, ValueError):
        return None


def technical(exc: BaseException) -> str:
    """What went wrong, for the administrator, in words people read (Vietnamese by default): the exception's
    own text is in English (or the system's language), so it goes to the log, not to the summaries."""
    log.info(_("feed fetch: %s: %s"), type(exc).__name__, exc)
    if isinstance(exc, SAXParseException):
        return _("the XML is malformed (line {line}, column {column})").format(
            line=exc.getLineNumber(), column=exc.getColumnNumber())
    for kind, words in TECHNICAL:
        if isinstance(exc, kind):
            return _(words)
    return _("an unexpected error ({name})").format(name=type(exc).__name__)


def _seconds(value: float) -> str:
    return f"{value:g}".replace(".", ",")  # Vietnamese decimal comma


def _size(value: int) -> str:
    return f"{value / MB:g} MB".replace(".", ",") if value >= MB else f"{value} byte"
