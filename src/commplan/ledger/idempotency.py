"""Idempotency keys of API writes: a retried request gets the first answer again, and writes nothing.

A key belongs to one user. The first request with it takes the row (`claim`) in the transaction that
does the write, and stores its answer there (`answer`): the row is committed with the write or not at
all, so a stored key always has its answer. A concurrent twin's `claim` waits on the unique key
(PostgreSQL: for the first transaction to end; SQLite: BEGIN IMMEDIATE already queued it), then
finds the row taken and reads the answer (`stored`) instead of writing a second time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from . import tables as t
from .clock import to_db
from .engine import LedgerError


class IdempotencyConflict(LedgerError):
    """The key was already used by this user for another request (another body or another path)."""


@dataclass(frozen=True)
class ApiAnswer:
    """What an idempotent write answers: its status and JSON body, and whether it is the first answer replayed."""

    status: int
    body: str
    replayed: bool


@dataclass(frozen=True)
class StoredAnswer:
    request_hash: str
    status: int
    body: str


def claim(connection: Connection, user_id: int, key: str, request_hash: str, now: dt.datetime) -> bool:
    """Whether this request took the key (False: another request, committed, has it)."""
    table = t.table_of(t.ApiIdempotencyRow)
    values = {"user_id": user_id, "key": key, "request_hash": request_hash, "created_at": to_db(now)}
    insert = postgresql.insert(table) if connection.dialect.name == "postgresql" else sqlite.insert(table)
    statement = insert.values(**values).on_conflict_do_nothing(index_elements=["user_id", "key"])
    # RETURNING, not rowcount: the driver's rowcount is not reliable once a primary key is returned
    return connection.execute(statement.returning(table.c.id)).first() is not None


def answer(connection: Connection, user_id: int, key: str, status: int, body: str) -> None:
    """Store the answer of the request that claimed the key (same transaction)."""
    row = t.ApiIdempotencyRow
    connection.execute(update(t.table_of(row)).where(col(row.user_id) == user_id, col(row.key) == key)
                       .values(response_status=status, response_body=body))


def stored(connection: Connection, user_id: int, key: str) -> StoredAnswer | None:
    row = t.ApiIdempotencyRow
    found = connection.execute(
        select(col(row.request_hash), col(row.response_status), col(row.response_body))
        .where(col(row.user_id) == user_id, col(row.key) == key)
    ).first()
    if found is None or found[1] is None or found[2] is None:
        return None
    return StoredAnswer(request_hash=found[0], status=found[1], body=found[2])
