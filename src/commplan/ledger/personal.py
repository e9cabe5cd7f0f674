"""A contact's personal data in the ledger: find what was sent to an address, and erase it.

Contacts (Decree 13/2023/NĐ-CP personal data) reach the ledger through the Zalo
followers linked on the OA (`zalo_follower`: erasing a Zalo id unlinks it) and the
outbox: `delivery.address`, `delivery.fallbacks` ("zns:849…,sms:849…"),
`delivery_item.address`, and the messages' bodies, ZNS parameters, iCalendar
attachment and provider errors. Erasing replaces the address by a pseudonym
drawn at random for this erasure (a hash of a phone number could be reversed
by trying every number) and blanks the rest; the rows, their statuses,
attempts and dates stay, so exactly-once sending and the reports stay true.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, Connection, String, cast, delete, func, or_, select, update
from sqlmodel import col

from . import tables as t
from .clock import from_db

if TYPE_CHECKING:
    from .api import Ledger


@dataclass(frozen=True)
class Identity:
    """Who a request is about: one address, and the channels it is used on."""

    kind: str  # phone | email | zalo
    value: str  # normalised: 849…, a lower-case email, a Zalo user_id
    channels: tuple[str, ...]  # the channels that send to this kind of address (the shell asks the channel registry)


def _delivery_match(identity: Identity) -> ColumnElement[bool]:
    d = t.table_of(t.DeliveryRow).c
    address = func.lower(d.address) if identity.kind == "email" else d.address
    return (d.channel.in_(identity.channels)) & (address == identity.value)


def _fallback_match(identity: Identity) -> ColumnElement[bool]:
    d = t.table_of(t.DeliveryRow).c
    return or_(*(d.fallbacks.contains(f"{channel}:{identity.value}", autoescape=True) for channel in identity.channels))


def deliveries_to(connection: Connection, identity: Identity) -> list[dict]:
    """The messages sent (or planned) to this address, oldest first: what, when, in which state."""
    d = t.table_of(t.DeliveryRow).c
    rows = connection.execute(
        select(d.id, d.recipient, d.channel, d.address, d.subject, d.status, d.attempts, d.created_at, d.sent_at,
               d.closed_at).where(_delivery_match(identity)).order_by(d.id)
    ).mappings()
    found = []
    for row in rows:
        item = dict(row)
        for key in ("created_at", "sent_at", "closed_at"):
            item[key] = from_db(item[key])
        found.append(item)
    return found


def pseudonym() -> str:
    return f"erased:{secrets.token_hex(6)}"


def erase(connection: Connection, identity: Identity, alias: str) -> dict[str, int]:
    """Replace the address by `alias` everywhere in the outbox and blank what those messages said
    (their subjects, the obligation and the step, stay: they say nothing about the person)."""
    d = t.table_of(t.DeliveryRow).c
    i = t.table_of(t.DeliveryItemRow).c
    ids = list(connection.execute(select(d.id).where(_delivery_match(identity))).scalars())
    if ids:
        connection.execute(update(t.DeliveryRow).where(d.id.in_(ids)).values(
            address=alias, body_text="", body_html="", body_sms="", template_data=None, attachment=None,
        ))
        item_address = func.lower(i.address) if identity.kind == "email" else i.address
        connection.execute(update(t.DeliveryItemRow).where(
            i.delivery_id.in_(ids), i.channel.in_(identity.channels), item_address == identity.value,
        ).values(address=alias))
    # other messages that would have fallen back to this address (an OA message's "zns:849…,sms:849…")
    routes = {f"{channel}:{identity.value}" for channel in identity.channels}
    fallbacks = 0
    for delivery_id, text in connection.execute(select(d.id, d.fallbacks).where(_fallback_match(identity))).all():
        parts = text.split(",")
        if routes.isdisjoint(parts):
            continue
        kept = ",".join(f"{part.partition(':')[0]}:{alias}" if part in routes else part for part in parts)
        connection.execute(update(t.DeliveryRow).where(d.id == delivery_id).values(fallbacks=kept))
        fallbacks += 1
    # a provider's error may quote the address it refused
    errors = connection.execute(update(t.DeliveryRow).where(
        cast(d.last_error, String).contains(identity.value, autoescape=True)
    ).values(last_error=func.replace(d.last_error, identity.value, alias))).rowcount
    # a Zalo account linked to a contact on the OA (`zalo_followers`): unlinked, so nothing goes there again
    followers = connection.execute(delete(t.ZaloFollowerRow).where(
        col(t.ZaloFollowerRow.user_id) == identity.value)).rowcount if identity.kind == "zalo" else 0
    return {"deliveries": len(ids), "fallbacks": fallbacks, "errors": errors, "followers": followers}


def has_work(connection: Connection, tables: tuple[str, ...]) -> bool:
    """Whether any of `tables` holds a row (a missing table holds none)."""
    from sqlalchemy import inspect, text

    present = set(inspect(connection).get_table_names())
    return any(connection.execute(text(f'SELECT 1 FROM "{name}" LIMIT 1')).first()
               for name in tables if name in present)


# ---------------------------------------------------------------- for the shells


def contact_deliveries(ledger: Ledger, identity: Identity) -> list[dict]:
    with ledger.transaction(read_only=True) as connection:
        return deliveries_to(connection, identity)


def erase_contact(ledger: Ledger, identity: Identity, *, reason: str | None, actor: str | None, now: dt.datetime) -> tuple[str, dict[str, int]]:
    """Erase the address in one transaction, with an audit row that names the pseudonym, never the address."""
    from . import records

    alias = pseudonym()
    with ledger.transaction() as connection:
        counts = erase(connection, identity, alias)
        records.audit(connection, actor=actor, action="erase-contact", subject=alias,
                      details={"kind": identity.kind, "reason": reason, **counts}, at=now)
    return alias, counts


def ledger_has_work(ledger: Ledger) -> bool:
    from .backup import work_tables

    with ledger.transaction(read_only=True) as connection:
        return has_work(connection, work_tables())
