"""One item read from a unit's feed: the type the fetcher produces and the matcher reads.

The fetcher (`intake.fetch`) builds these from feedparser entries; the matcher (`intake.matching`)
never sees feedparser. Text is NFC so that equal words compare equal, and links are normalised so
that the same article reached through a tracking link is one item.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from ..ledger.evidence import without_tracking

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class FeedItem:
    feed_url: str  # the feed it came from, as written in the directory (`feeds:` of a unit)
    link: str  # normalised (see normalise_link)
    title: str  # NFC
    summary: str  # NFC, HTML stripped
    published: dt.datetime | None  # aware (UTC) when the feed gives one
    guid: str | None = None


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def normalise_link(url: str) -> str:
    """The link as one item's key: scheme and host lower-cased, the default port and the fragment dropped,
    tracking parameters (utm_*, fbclid, ...) dropped; the path, its trailing slash and the other
    parameters (in their order) kept as they are, since a site may tell pages apart by them."""
    url = url.strip()
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return url  # not an absolute URL: nothing to normalise against
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: keep the link as written
        return url
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = host if ":" not in host else f"[{host}]"  # an IPv6 literal keeps its brackets
    if port is not None and DEFAULT_PORTS.get(scheme) != port:
        netloc = f"{netloc}:{port}"
    if userinfo:
        netloc = f"{userinfo}@{netloc}"
    return urlunsplit((scheme, netloc, parts.path, without_tracking(parts.query), ""))
