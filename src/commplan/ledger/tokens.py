"""OAuth token pairs kept in the ledger, rotated under a row lock.

Zalo's refresh token is single-use: once Zalo has answered a refresh, the old
refresh token is dead, and losing the new pair locks the OA out until someone
re-authorises it. So a rotation reads the row with a lock (FOR UPDATE on
PostgreSQL, the write lock SQLite takes at BEGIN IMMEDIATE), asks the provider,
and writes the new pair in that same transaction, committed before the new
access token is handed to anyone. A second worker that wanted to rotate waits
on the lock, then sees the token it held was already replaced and uses the new
one instead of spending the refresh token again. The one window left is a
crash between the provider's answer and the commit (milliseconds): the
`last_error` column and `commplan zalo-token --status` make that visible.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from . import tables as t
from .clock import from_db, to_db


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds


@dataclass(frozen=True)
class StoredToken:
    access_token: str
    refresh_token: str
    access_expires_at: dt.datetime
    refreshed_at: dt.datetime
    last_error: str | None


def read(connection: Connection, provider: str, *, lock: bool = False) -> StoredToken | None:
    query = select(t.OAuthTokenRow.__table__).where(t.OAuthTokenRow.provider == provider)
    if lock and connection.dialect.name == "postgresql":
        query = query.with_for_update()
    row = connection.execute(query).mappings().first()
    if row is None:
        return None
    return StoredToken(row["access_token"], row["refresh_token"], from_db(row["access_expires_at"]),
                       from_db(row["refreshed_at"]), row["last_error"])


def save(connection: Connection, provider: str, pair: TokenPair, now: dt.datetime) -> None:
    values = {
        "provider": provider, "access_token": pair.access_token, "refresh_token": pair.refresh_token,
        "access_expires_at": to_db(now + dt.timedelta(seconds=pair.expires_in)), "refreshed_at": to_db(now),
        "last_error": None,
    }
    dialect_insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = dialect_insert(t.OAuthTokenRow.__table__).values(**values)
    connection.execute(statement.on_conflict_do_update(
        index_elements=["provider"], set_={k: v for k, v in values.items() if k != "provider"}
    ))


def note_error(connection: Connection, provider: str, error: str, *, refused: str | None = None) -> None:
    """Record a refused refresh, unless the pair was replaced meanwhile (an administrator re-seeded it)."""
    where = [t.OAuthTokenRow.provider == provider]
    if refused is not None:
        where.append(t.OAuthTokenRow.refresh_token == refused)
    connection.execute(update(t.OAuthTokenRow).where(*where).values(last_error=error))


class RefusedBefore(Exception):
    """The provider refused this refresh token already: asking again would only be refused again."""


def rotate(connection: Connection, provider: str, *, seen: str | None, now: dt.datetime, early: dt.timedelta,
           refresh: Callable[[str], TokenPair]) -> str:
    """The access token to use. Inside the caller's transaction: lock the row, and refresh only if
    the stored token is still the one the caller saw rejected (`seen`), or is about to expire."""
    stored = read(connection, provider, lock=True)
    if stored is None:
        raise LookupError(provider)
    replaced = seen is not None and stored.access_token != seen
    if replaced and stored.access_expires_at - early > now:
        return stored.access_token  # another worker rotated it while we waited for the lock
    if stored.last_error:  # cleared only by storing a new pair (`commplan zalo-token --refresh-token`)
        raise RefusedBefore(stored.last_error)
    pair = refresh(stored.refresh_token)
    save(connection, provider, pair, now)
    return pair.access_token
