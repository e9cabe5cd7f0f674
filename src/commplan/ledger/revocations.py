"""Report links withdrawn before they expire (`commplan link revoke`). A link is stateless (signed, see
`commplan.links`), so a revocation is a row: the SHA-256 of one token, or a whole occurrence's links
(every token for it issued up to that moment; reminders sent later carry new, valid ones)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, select
from sqlmodel import col

from . import tables as t
from .clock import from_db, to_db
from .engine import insert_for
from .users import token_digest


@dataclass(frozen=True)
class RevokedLink:
    digest: str
    occurrence_id: int | None
    revoked_at: dt.datetime
    revoked_by: str | None
    reason: str | None
    new: bool  # False: it was revoked already (the first revocation stands)


def occurrence_key(occurrence_id: int) -> str:
    return f"occurrence:{occurrence_id}"


def revoke(connection: Connection, digest: str, occurrence_id: int | None, *, by: str | None, reason: str | None,
           now: dt.datetime) -> RevokedLink:
    dialect_insert = insert_for(connection)
    result = connection.execute(dialect_insert(t.table_of(t.RevokedLinkRow)).values(
        digest=digest, occurrence_id=occurrence_id, revoked_at=to_db(now), revoked_by=by, reason=reason,
    ).on_conflict_do_nothing().returning(col(t.RevokedLinkRow.digest)))  # a row back only when inserted
    new = result.first() is not None
    row = connection.execute(select(t.table_of(t.RevokedLinkRow)).where(col(t.RevokedLinkRow.digest) == digest)).mappings().one()
    return RevokedLink(row["digest"], row["occurrence_id"], from_db(row["revoked_at"]), row["revoked_by"], row["reason"],
                       new=new)


def revoked(connection: Connection, token: str, occurrence_id: int, issued: dt.datetime) -> bool:
    """Whether this token was revoked, by itself or with its occurrence's links issued up to then."""
    rows = t.RevokedLinkRow
    found = connection.execute(select(col(rows.digest), col(rows.revoked_at)).where(
        col(rows.digest).in_([token_digest(token), occurrence_key(occurrence_id)]))).all()
    # the occurrence's row covers only the tokens issued before it (a later reminder's link works)
    return any(digest != occurrence_key(occurrence_id) or issued <= from_db(revoked_at) for digest, revoked_at in found)
