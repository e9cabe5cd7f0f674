"""Feed sources: what the last fetch of each unit's RSS/Atom feed found (`intake.fetch` fetches, this records).

One row per feed address, rewritten by each fetch: the validators the next fetch sends back (a conditional
GET answered 304 costs the site nothing), when it last worked and how many fetches in a row failed, so the
tick's summary can say which feeds are down and since when. Not to be confused with `feed_state`, which is
about the calendar feeds commplan serves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import Connection, func, select
from sqlmodel import col

from ..i18n import N_, _
from . import tables as t
from .clock import from_db, to_db
from .engine import LedgerError, insert_for

MAX_URL = 2048  # the column's length: longer addresses are refused, not cut
CHUNK = 500  # links per statement (bound parameters stay well under every driver's limit)
MAX_ERROR = 2000  # a failure's text is kept this long (a server may answer a page of HTML)


class FetchStatus(StrEnum):
    OK = "ok"  # read: a 200 with a feed in it
    NOT_MODIFIED = "not_modified"  # 304 to a conditional GET: nothing new since the last read
    FAILED = "failed"

    @property
    def label(self) -> str:
        """As the reader reads it (Vietnamese by default)."""
        return _(LABELS[self])


LABELS = {FetchStatus.OK: N_("feed read"), FetchStatus.NOT_MODIFIED: N_("feed not modified"),
          FetchStatus.FAILED: N_("feed failed")}


class FetchOutcome(Protocol):
    """What the ledger keeps of one fetch (`intake.fetch.FetchResult` is one)."""

    @property
    def status(self) -> FetchStatus: ...
    @property
    def etag(self) -> str | None: ...
    @property
    def last_modified(self) -> str | None: ...
    @property
    def error(self) -> str | None: ...  # for a failure: its reason and detail
    @property
    def item_count(self) -> int: ...  # items read from a 200


@dataclass(frozen=True)
class FeedSourceState:
    url: str
    etag: str | None
    last_modified: str | None
    last_checked_at: dt.datetime
    last_ok_at: dt.datetime | None  # the last 200 read or 304
    last_status: FetchStatus
    last_error: str | None  # the last failure's, kept until a fetch works again
    failures: int  # fetches in a row that failed; 0 once one works
    items_seen: int  # items the last 200 held (a 304 keeps the count)
    rules_fingerprint: str | None = None  # the matching rules the last 200 was read with (`intake.feed_rules`)
    last_read_at: dt.datetime | None = None  # the last 200: a full read


COLUMNS = ("url", "etag", "last_modified", "last_checked_at", "last_ok_at", "last_status", "last_error", "failures",
           "items_seen", "rules_fingerprint", "last_read_at")


@dataclass(frozen=True)
class ItemSeen:
    """A feed item's sighting: the date an undated one counts on, and whether it counts at all (is news)."""

    first_seen_at: dt.datetime
    counts: bool  # False: it was already in its feed at the feed's first read (history: its age unknown)


def _state(row: Any) -> FeedSourceState:
    return FeedSourceState(
        url=row.url, etag=row.etag, last_modified=row.last_modified, last_checked_at=from_db(row.last_checked_at),
        last_ok_at=from_db(row.last_ok_at) if row.last_ok_at is not None else None,
        last_status=FetchStatus(row.last_status), last_error=row.last_error, failures=int(row.failures),
        items_seen=int(row.items_seen), rules_fingerprint=row.rules_fingerprint,
        last_read_at=from_db(row.last_read_at) if row.last_read_at is not None else None,
    )


def read(connection: Connection, urls: Collection[str] | None) -> dict[str, FeedSourceState]:
    table = t.table_of(t.FeedSourceStateRow)
    query = select(*(table.c[name] for name in COLUMNS)).order_by(table.c.url)
    if urls is not None:
        query = query.where(col(t.FeedSourceStateRow.url).in_(sorted(urls)))
    return {row.url: _state(row) for row in connection.execute(query).all()}


def record(connection: Connection, url: str, outcome: FetchOutcome, now: dt.datetime,
           fingerprint: str | None = None) -> FeedSourceState:
    """Upsert the fetch's outcome in one statement, so two runs fetching the same feed at once both count.

    A 200 replaces the validators (a server that stopped sending an ETag gets none back) and keeps
    `fingerprint`, the matching rules it was read with, and its time (`last_read_at`); a 304 keeps the
    stored ones unless it sent new ones; a failure keeps them, so the next fetch is still conditional."""
    if not url or len(url) > MAX_URL:
        raise LedgerError(_("a feed address must be 1 to {count} characters long").format(count=MAX_URL))
    status = FetchStatus(outcome.status)
    table = t.table_of(t.FeedSourceStateRow)
    at = to_db(now)
    values: dict[str, Any] = {"url": url, "last_checked_at": at, "last_status": status.value}
    if status is FetchStatus.FAILED:
        values.update(last_error=(outcome.error or "")[:MAX_ERROR] or None, failures=1)
    else:
        values.update(etag=outcome.etag, last_modified=outcome.last_modified, last_ok_at=at, last_error=None,
                      failures=0)
        if status is FetchStatus.OK:
            values.update(items_seen=outcome.item_count, rules_fingerprint=fingerprint, last_read_at=at)
    dialect_insert = insert_for(connection)
    statement = dialect_insert(table).values(**values)
    changes: dict[str, Any] = {k: v for k, v in values.items() if k != "url"}
    if status is FetchStatus.FAILED:
        changes["failures"] = table.c.failures + 1
    elif status is FetchStatus.NOT_MODIFIED:
        changes["etag"] = func.coalesce(statement.excluded.etag, table.c.etag)
        changes["last_modified"] = func.coalesce(statement.excluded.last_modified, table.c.last_modified)
    row = connection.execute(statement.on_conflict_do_update(index_elements=["url"], set_=changes)
                             .returning(*(table.c[name] for name in COLUMNS))).one()
    return _state(row)


def seen(connection: Connection, links: Collection[str], now: dt.datetime, *, keep: bool,
         first_read: Collection[str] = ()) -> dict[str, ItemSeen]:
    """Each item's sighting (by link; `feed_run` reads an undated item's date from it, and whether any item was
    history at its feed's first read): the stored one, else a new one at `now`, which counts unless its
    link is in `first_read` (items of a feed read for the first time). With `keep` (a preview keeps nothing),
    new sightings are stored and every one's `last_seen_at` becomes `now`. Links longer than the column are
    not kept: they count on `now`."""
    table = t.table_of(t.FeedItemSeenRow)
    wanted = sorted({link for link in links if 0 < len(link) <= MAX_URL})
    baseline = set(first_read)
    at = to_db(now)
    for start in range(0, len(wanted), CHUNK):
        part = wanted[start:start + CHUNK]
        if keep:
            dialect_insert = insert_for(connection)
            statement = dialect_insert(table).values([{"link": link, "first_seen_at": at, "last_seen_at": at,
                                                       "counts": link not in baseline} for link in part])
            connection.execute(statement.on_conflict_do_update(index_elements=["link"], set_={"last_seen_at": at}))
    stored: dict[str, ItemSeen] = {}
    for start in range(0, len(wanted), CHUNK):
        part = wanted[start:start + CHUNK]
        stored.update({row.link: ItemSeen(from_db(row.first_seen_at), bool(row.counts)) for row in connection.execute(
            select(table.c.link, table.c.first_seen_at, table.c.counts).where(table.c.link.in_(part))).all()})
    return {link: stored.get(link) or ItemSeen(now, link not in baseline) for link in links}


def first_seen(connection: Connection, links: Collection[str], now: dt.datetime, *, keep: bool) -> dict[str, dt.datetime]:
    """When each of `links` (undated items) was first seen (see `seen`)."""
    return {link: item.first_seen_at for link, item in seen(connection, links, now, keep=keep).items()}


def prune_seen(connection: Connection, before: dt.datetime) -> int:
    """Forget the sightings of items not seen in any feed since `before`; how many were forgotten."""
    table = t.table_of(t.FeedItemSeenRow)
    return int(connection.execute(table.delete().where(table.c.last_seen_at < to_db(before))).rowcount or 0)
