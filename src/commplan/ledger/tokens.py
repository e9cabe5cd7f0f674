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

Both tokens are stored encrypted (Fernet, `TokenCipher`) under a key from the
environment, so a copy of the ledger does not hand out the OA. A row stored in
plain text before encryption came is read as it is and sealed at its next write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Connection, select, update
from sqlmodel import col

from ..i18n import _
from . import tables as t
from .clock import from_db, to_db
from .engine import insert_for

SEALED = "fernet:"  # what marks an encrypted value; anything else is a plain-text row from before


class TokenKeyError(Exception):
    """The stored tokens were sealed under another key."""


class TokenCipher:
    def __init__(self, key: str | bytes):
        self.fernet = Fernet(key)

    def seal(self, value: str) -> str:
        return SEALED + self.fernet.encrypt(value.encode()).decode()

    def open(self, value: str) -> str:
        if not value.startswith(SEALED):
            return value  # stored before the tokens were encrypted: sealed at the next write
        try:
            return self.fernet.decrypt(value[len(SEALED):].encode()).decode()
        except InvalidToken:
            raise TokenKeyError(_("the stored Zalo tokens were encrypted under another key (COMMPLAN_TOKEN_KEY or "
                                  "COMMPLAN_LINK_SECRET changed?): restore that key, or seed the tokens again")) from None


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


def read(connection: Connection, provider: str, cipher: TokenCipher, *, lock: bool = False) -> StoredToken | None:
    query = select(t.table_of(t.OAuthTokenRow)).where(col(t.OAuthTokenRow.provider) == provider)
    if lock and connection.dialect.name == "postgresql":
        query = query.with_for_update()
    row = connection.execute(query).mappings().first()
    if row is None:
        return None
    return StoredToken(cipher.open(row["access_token"]), cipher.open(row["refresh_token"]), from_db(row["access_expires_at"]),
                       from_db(row["refreshed_at"]), row["last_error"])


def save(connection: Connection, provider: str, pair: TokenPair, now: dt.datetime, cipher: TokenCipher) -> None:
    values = {
        "provider": provider, "access_token": cipher.seal(pair.access_token),
        "refresh_token": cipher.seal(pair.refresh_token),
        "access_expires_at": to_db(now + dt.timedelta(seconds=pair.expires_in)), "refreshed_at": to_db(now),
        "last_error": None,
    }
    dialect_insert = insert_for(connection)
    statement = dialect_insert(t.table_of(t.OAuthTokenRow)).values(**values)
    connection.execute(statement.on_conflict_do_update(
        index_elements=["provider"], set_={k: v for k, v in values.items() if k != "provider"}
    ))


def note_error(connection: Connection, provider: str, error: str, cipher: TokenCipher, *,
               refused: str | None = None) -> None:
    """Record a refused refresh, unless the pair was replaced meanwhile (an administrator re-seeded it).
    Sealing is randomised, so the refused token is compared once opened, under the row lock."""
    if refused is not None:
        try:
            stored = read(connection, provider, cipher, lock=True)
        except TokenKeyError:
            return  # sealed under another key: not the pair that was refused
        if stored is None or stored.refresh_token != refused:
            return
    connection.execute(update(t.OAuthTokenRow).where(col(t.OAuthTokenRow.provider) == provider).values(last_error=error))


class RefusedBefore(Exception):
    """The provider refused this refresh token already: asking again would only be refused again."""


def rotate(connection: Connection, provider: str, cipher: TokenCipher, *, seen: str | None, now: dt.datetime,
           early: dt.timedelta, refresh: Callable[[str], TokenPair]) -> str:
    """The access token to use. Inside the caller's transaction: lock the row, and refresh only if
    the stored token is still the one the caller saw rejected (`seen`), or is about to expire."""
    stored = read(connection, provider, cipher, lock=True)
    if stored is None:
        raise LookupError(provider)
    replaced = seen is not None and stored.access_token != seen
    if replaced and stored.access_expires_at - early > now:
        return stored.access_token  # another worker rotated it while we waited for the lock
    if stored.last_error:  # cleared only by storing a new pair (`commplan zalo-token --refresh-token`)
        raise RefusedBefore(stored.last_error)
    pair = refresh(stored.refresh_token)
    save(connection, provider, pair, now, cipher)
    return pair.access_token
