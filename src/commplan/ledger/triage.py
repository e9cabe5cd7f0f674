"""The triage list: items that came in by themselves (a feed article, a Zalo or email reply) and fit no single
duty, kept until a coordinator assigns or dismisses them; and the inbound messages already handled.

Connection-level queries; `Ledger` wraps them in transactions (`add_triage`, `assign_triage`, …). An item
enters triage once per (source, external id): a feed read every hour, a webhook Zalo retries or a mailbox
polled twice add nothing the second time. Closing is a compare-and-set on `closed_at IS NULL`, so two
coordinators clicking at once cannot both assign it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, RowMapping, func, or_, select, update
from sqlmodel import col

from ..i18n import N_
from . import tables as t
from .clock import from_db, to_db
from .engine import insert_for

SOURCES = ("feed", "zalo", "email")
# why an item waits (msgids: `_()` them where shown)
WHY = {
    "no-open-duty": N_("no open duty for it"),
    "ambiguous": N_("several duties could fit"),
    "unknown-sender": N_("sender not in the directory"),
    "no-match": N_("no duty matched"),
    "failed": N_("could not be handled automatically"),  # a Zalo event whose handling crashed after its claim
}
KINDS = ("link", "document", "count")
LONGEST_ID = 200  # longer external ids (a long link) are kept as their SHA-256: one index entry stays small


@dataclass(frozen=True)
class TriageInput:
    source: str  # feed | zalo | email
    external_id: str  # unique per source: the message id, "<Message-ID>#2", an article's link
    received_at: dt.datetime  # aware: when it was published or sent
    why: str  # a key of WHY
    unit_id: str | None = None  # whose it is (sender, thread, credited holder); None: administrators only
    sender: str | None = None  # a Zalo user id, an email address, a feed's address
    kind: str = "link"  # the evidence it would become
    link: str | None = None
    document: str | None = None  # a file's name, as shown
    document_sha256: str | None = None  # a stored document (Ledger.store_document)
    quantity: int = 1
    text: str | None = None  # the message or the article's title
    candidates: tuple[int, ...] = ()  # occurrence ids offered, in their order
    match_reason: str | None = None  # JSON, kept on the evidence once assigned


@dataclass(frozen=True)
class TriageItem(TriageInput):
    id: int = 0
    created_at: dt.datetime = field(default_factory=lambda: dt.datetime.min.replace(tzinfo=dt.UTC))
    closed_at: dt.datetime | None = None
    closed_by: str | None = None
    outcome: str | None = None  # assigned | dismissed
    close_reason: str | None = None
    evidence_id: int | None = None

    @property
    def open(self) -> bool:
        return self.closed_at is None


def external_key(external_id: str) -> str:
    if len(external_id) <= LONGEST_ID:
        return external_id
    return "sha256:" + hashlib.sha256(external_id.encode("utf-8")).hexdigest()


def _insert_once(connection: Connection, table: type, values: dict) -> Any:
    """Insert unless the row's unique key exists (a concurrent twin included): the new row's first key
    column, or None. (RETURNING, because a driver's rowcount after ON CONFLICT DO NOTHING is not reliable.)"""
    target = t.table_of(table)
    key = next(iter(target.primary_key.columns))
    statement = insert_for(connection)(target).values(**values).on_conflict_do_nothing().returning(key)
    return connection.execute(statement).scalar_one_or_none()


def add(connection: Connection, item: TriageInput, now: dt.datetime) -> int | None:
    values = dict(
        source=item.source, external_id=external_key(item.external_id), why=item.why, unit_id=item.unit_id,
        sender=item.sender, kind=item.kind, link=item.link, document=item.document,
        document_sha256=item.document_sha256, quantity=item.quantity, text=item.text,
        candidates=json.dumps(list(item.candidates)), match_reason=item.match_reason,
        received_at=to_db(item.received_at), created_at=to_db(now),
    )
    added: int | None = _insert_once(connection, t.TriageItemRow, values)
    return added


def _item(row: RowMapping) -> TriageItem:
    def moment(value: dt.datetime | None) -> dt.datetime | None:
        return from_db(value) if value is not None else None

    return TriageItem(
        id=row["id"], source=row["source"], external_id=row["external_id"], why=row["why"], unit_id=row["unit_id"],
        sender=row["sender"], kind=row["kind"], link=row["link"], document=row["document"],
        document_sha256=row["document_sha256"], quantity=row["quantity"], text=row["text"],
        candidates=tuple(json.loads(row["candidates"] or "[]")), match_reason=row["match_reason"],
        received_at=from_db(row["received_at"]), created_at=from_db(row["created_at"]),
        closed_at=moment(row["closed_at"]), closed_by=row["closed_by"], outcome=row["outcome"],
        close_reason=row["close_reason"], evidence_id=row["evidence_id"],
    )


def get(connection: Connection, triage_id: int, *, lock: bool = False) -> TriageItem | None:
    query = select(t.table_of(t.TriageItemRow)).where(col(t.TriageItemRow.id) == triage_id)
    if lock and connection.dialect.name == "postgresql":
        query = query.with_for_update()
    row = connection.execute(query).mappings().first()
    return _item(row) if row is not None else None


def listed(connection: Connection, *, units: Collection[str] | None, include_unowned: bool, open_only: bool,
           limit: int) -> list[TriageItem]:
    """Newest first. `units` None: every unit's; `include_unowned`: items of no unit too (administrators)."""
    r = t.TriageItemRow
    query = select(t.table_of(r))
    if open_only:
        query = query.where(col(r.closed_at).is_(None))
    query = _scoped(query, units=units, include_unowned=include_unowned)
    query = query.order_by(col(r.received_at).desc(), col(r.id).desc()).limit(limit)
    return [_item(row) for row in connection.execute(query).mappings()]


def newest_open(connection: Connection, source: str, sender: str, why: str) -> TriageItem | None:
    r = t.TriageItemRow
    row = connection.execute(
        select(t.table_of(r)).where(col(r.source) == source, col(r.sender) == sender, col(r.why) == why,
                                    col(r.closed_at).is_(None))
        .order_by(col(r.created_at).desc(), col(r.id).desc()).limit(1)).mappings().first()
    return _item(row) if row is not None else None


def newest_question(connection: Connection, source: str, sender: str, why: str, answered_by: str) -> TriageItem | None:
    """The sender's newest item that is open or was closed by someone else than `answered_by` (a coordinator):
    the question a bare number answers. Those the sender answered itself are passed over."""
    r = t.TriageItemRow
    row = connection.execute(
        select(t.table_of(r)).where(col(r.source) == source, col(r.sender) == sender, col(r.why) == why,
                                    or_(col(r.closed_at).is_(None), col(r.closed_by).is_(None),
                                        col(r.closed_by) != answered_by))
        .order_by(col(r.created_at).desc(), col(r.id).desc()).limit(1)).mappings().first()
    return _item(row) if row is not None else None


def close(connection: Connection, triage_id: int, *, outcome: str, reason: str | None, actor: str | None,
          evidence_id: int | None, now: dt.datetime) -> bool:
    """Close an open item (compare-and-set): False when someone closed it first."""
    r = t.TriageItemRow
    done = connection.execute(
        update(t.table_of(r)).where(col(r.id) == triage_id, col(r.closed_at).is_(None))
        .values(closed_at=to_db(now), closed_by=actor, outcome=outcome, close_reason=reason, evidence_id=evidence_id))
    return done.rowcount == 1


PENDING, RETRYING = "pending", "retrying"  # a claimed message kept until its handling notes what came of it


def claim_inbound(connection: Connection, source: str, external_id: str, *, received_at: dt.datetime,
                  now: dt.datetime, pending: str | None = None) -> bool:
    """Note a message as handled; False when it already was (a retried webhook, a mailbox read twice).
    `pending`: the message itself, kept (outcome "pending") until `note_inbound` replaces it."""
    return _insert_once(connection, t.InboundMessageRow, dict(
        source=source, external_id=external_key(external_id), received_at=to_db(received_at),
        seen_at=to_db(now), outcome=PENDING if pending is not None else None, detail=pending)) is not None


def take_pending(connection: Connection, source: str, *, seen_before: dt.datetime, limit: int) -> list[str]:
    """The kept messages of claims never noted (their handler died), seen before `seen_before`: each marked
    "retrying" by compare-and-set, so that one taker only handles it again."""
    r = t.InboundMessageRow
    rows = connection.execute(select(col(r.external_id), col(r.detail)).where(
        col(r.source) == source, col(r.outcome) == PENDING, col(r.seen_at) < to_db(seen_before))
        .order_by(col(r.seen_at)).limit(limit)).all()
    taken = []
    for external_id, detail in rows:
        won = connection.execute(update(t.table_of(r)).where(
            col(r.source) == source, col(r.external_id) == external_id, col(r.outcome) == PENDING)
            .values(outcome=RETRYING)).rowcount == 1
        if won and detail is not None:
            taken.append(detail)
    return taken


def note_inbound(connection: Connection, source: str, external_id: str, outcome: str, detail: str | None) -> None:
    r = t.InboundMessageRow
    connection.execute(update(t.table_of(r)).where(col(r.source) == source,
                                                   col(r.external_id) == external_key(external_id))
                       .values(outcome=outcome[:40], detail=detail))


def inbound_outcome(connection: Connection, source: str, external_id: str) -> tuple[str | None, str | None] | None:
    r = t.InboundMessageRow
    row = connection.execute(select(col(r.outcome), col(r.detail)).where(
        col(r.source) == source, col(r.external_id) == external_key(external_id))).first()
    return (row[0], row[1]) if row is not None else None


def _scoped(query: Any, *, units: Collection[str] | None, include_unowned: bool) -> Any:
    r = t.TriageItemRow
    if units is not None:
        owned = col(r.unit_id).in_(sorted(units))
        return query.where(owned | col(r.unit_id).is_(None) if include_unowned else owned)
    return query if include_unowned else query.where(col(r.unit_id).is_not(None))


def count_open(connection: Connection, *, units: Collection[str] | None, include_unowned: bool) -> int:
    """How many items wait (the dashboard's menu shows it), with `listed`'s selection."""
    r = t.TriageItemRow
    query = select(func.count()).select_from(t.table_of(r)).where(col(r.closed_at).is_(None))
    return int(connection.execute(_scoped(query, units=units, include_unowned=include_unowned)).scalar_one())


def dismissed_link(connection: Connection, source: str, links: Collection[str], unit: str) -> bool:
    """Whether a coordinator dismissed an item of `source` with one of these links for this unit: a person's
    decision that it is not this unit's evidence, which a later automatic read must not undo."""
    r = t.TriageItemRow
    found = connection.execute(select(col(r.id)).where(
        col(r.source) == source, col(r.link).in_(sorted(set(links))), col(r.unit_id) == unit,
        col(r.outcome) == "dismissed").limit(1)).first()
    return found is not None


def with_document(connection: Connection, sha256: str) -> list[TriageItem]:
    """The items (open or closed) that carry this stored document: whom it may be served to before it is
    anyone's evidence."""
    r = t.TriageItemRow
    rows = connection.execute(select(t.table_of(r)).where(col(r.document_sha256) == sha256)
                              .order_by(col(r.id))).mappings()
    return [_item(row) for row in rows]

