"""Zalo OA followers linked to a unit's contact, and the last reminder a contact received.

A follower is linked when it sends the OA the signed code of one contact (`links.follow_code`): one
follower per contact and one contact per follower, the newest link replacing an older one of either.
An `unfollow` event keeps the row (its replies are still recognised) but stops reminders going there;
following again resumes them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Connection, Row, bindparam, delete, insert, or_, select, text, update
from sqlmodel import col

from . import tables as t
from .clock import from_db, to_db

F = t.ZaloFollowerRow


@dataclass(frozen=True)
class Follower:
    user_id: str
    unit: str
    contact_key: str
    linked_at: dt.datetime
    unfollowed_at: dt.datetime | None


@dataclass(frozen=True)
class LastDelivery:
    """The last message that reached a contact, and the occurrences it was about."""

    id: int
    sent_at: dt.datetime
    channel: str
    occurrence_ids: tuple[int, ...]


def link(connection: Connection, user_id: str, unit: str, contact_key: str, now: dt.datetime) -> None:
    connection.execute(delete(F).where(or_(col(F.user_id) == user_id,
                                           (col(F.unit_id) == unit) & (col(F.contact_key) == contact_key))))
    connection.execute(insert(F).values(user_id=user_id, unit_id=unit, contact_key=contact_key, linked_at=to_db(now)))


def set_following(connection: Connection, user_id: str, following: bool, now: dt.datetime) -> bool:
    """Mark a linked follower as following again or not; False when the user is linked to no contact."""
    return connection.execute(update(F).where(col(F.user_id) == user_id)
                              .values(unfollowed_at=None if following else to_db(now))).rowcount > 0


def _follower(row: Row) -> Follower:
    return Follower(row.user_id, row.unit_id, row.contact_key, from_db(row.linked_at),
                    from_db(row.unfollowed_at) if row.unfollowed_at is not None else None)


def follower(connection: Connection, user_id: str) -> Follower | None:
    row = connection.execute(select(F).where(col(F.user_id) == user_id)).first()
    return _follower(row) if row is not None else None


def following(connection: Connection) -> dict[tuple[str, str], str]:
    """(unit, contact key) -> user id of every linked follower still following the OA."""
    rows = connection.execute(select(col(F.unit_id), col(F.contact_key), col(F.user_id))
                              .where(col(F.unfollowed_at).is_(None)))
    return {(unit, key): user for unit, key, user in rows}


def last_delivery(connection: Connection, recipient: str, addresses: Collection[str]) -> LastDelivery | None:
    """The last message sent to `recipient` (a unit) at one of a contact's `addresses` (any channel), with
    the occurrences its reminder steps were about."""
    if not addresses:
        return None
    row = connection.execute(
        text("SELECT d.id, d.sent_at, d.channel FROM delivery d WHERE d.recipient = :recipient AND d.status = 'sent'"
             " AND d.address IN :addresses AND d.sent_at IS NOT NULL ORDER BY d.sent_at DESC, d.id DESC LIMIT 1")
        .bindparams(bindparam("addresses", expanding=True)),
        {"recipient": recipient, "addresses": sorted(set(addresses))},
    ).first()
    if row is None:
        return None
    occurrences = connection.execute(
        text("SELECT DISTINCT r.occurrence_id FROM delivery_item i JOIN reminder r ON r.id = i.reminder_id"
             " WHERE i.delivery_id = :id ORDER BY r.occurrence_id"), {"id": row.id}).scalars().all()
    return LastDelivery(int(row.id), from_db(row.sent_at), row.channel, tuple(int(o) for o in occurrences))
