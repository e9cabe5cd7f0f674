"""Reminder emails and the replies to them: a delivery's own Message-ID, and the delivery a reply answers.

The Message-ID is stamped on the delivery just before its first send, and kept through retries (the
same message, the same id), so that a reply's In-Reply-To / References finds it (`thread_of`). What the
reply is about are the occurrences the delivery's reminder steps belong to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, select, text, update
from sqlmodel import col

from . import tables as t


@dataclass(frozen=True)
class Thread:
    """The reminder email a reply answers: its delivery, recipient unit and the occurrences it was about."""

    delivery_id: int
    recipient: str
    message_id: str
    occurrence_ids: tuple[int, ...]  # those the recipient holds (an escalation's are left out), in id order


def stamp(connection: Connection, delivery_id: int, message_id: str) -> str:
    """Give the delivery this Message-ID unless it has one already; the one it has now."""
    connection.execute(update(t.DeliveryRow).where(col(t.DeliveryRow.id) == delivery_id,
                                                   col(t.DeliveryRow.message_id).is_(None)).values(message_id=message_id))
    stored = connection.execute(select(col(t.DeliveryRow.message_id)).where(col(t.DeliveryRow.id) == delivery_id)).scalar()
    return stored or message_id


def thread_of(connection: Connection, message_ids: Sequence[str]) -> Thread | None:
    """The email delivery named by the first of `message_ids` that names one (give In-Reply-To first, then
    References from the newest), or None."""
    wanted = [m for m in dict.fromkeys(message_ids) if m][:50]  # a long References chain: the newest matter
    if not wanted:
        return None
    found: dict[str, int] = {str(row[0]): int(row[1] or 0) for row in connection.execute(
        select(col(t.DeliveryRow.message_id), col(t.DeliveryRow.id))
        .where(col(t.DeliveryRow.message_id).in_(wanted), col(t.DeliveryRow.channel) == "email")
    ).all()}
    message_id = next((m for m in wanted if m in found), None)
    if message_id is None:
        return None
    delivery_id = found[message_id]
    recipient = connection.execute(select(col(t.DeliveryRow.recipient))
                                   .where(col(t.DeliveryRow.id) == delivery_id)).scalar_one()
    rows = connection.execute(
        text("SELECT DISTINCT o.id, o.unit_id, o.holders FROM delivery_item di"
             " JOIN reminder r ON r.id = di.reminder_id JOIN occurrence o ON o.id = r.occurrence_id"
             " WHERE di.delivery_id = :delivery ORDER BY o.id").bindparams(bindparam("delivery")),
        {"delivery": delivery_id},
    ).all()
    held = tuple(row[0] for row in rows if recipient in (row[1], *str(row[2] or "").split()))
    return Thread(delivery_id=delivery_id, recipient=recipient, message_id=message_id, occurrence_ids=held)
