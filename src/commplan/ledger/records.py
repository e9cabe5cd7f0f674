"""What people record: events, evidence, excusals; each change also written to the audit log."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import Connection, func, insert, select, update

from ..schedule.occurrences import Instance
from . import tables as t
from .clock import to_db

SOURCES = ("manual", "web", "feed", "import")


@dataclass(frozen=True)
class EvidenceInput:
    kind: str  # link | document | count
    link: str | None = None
    document: str | None = None
    quantity: int = 1
    note: str | None = None
    occurred_at: dt.datetime | None = None  # aware; defaults to now
    source: str = "manual"


EVIDENCE_KINDS = ("link", "document", "count")


def check_evidence(item: EvidenceInput) -> None:
    """Refuse evidence that would count wrongly: each kind with its field, and at least one item."""
    from .engine import LedgerError

    if item.kind not in EVIDENCE_KINDS:
        raise LedgerError(f"unknown evidence kind '{item.kind}' ({', '.join(EVIDENCE_KINDS)})")
    if item.source not in SOURCES:
        raise LedgerError(f"unknown evidence source '{item.source}' ({', '.join(SOURCES)})")
    if item.kind == "link" and not (item.link and item.link.strip()):
        raise LedgerError("a link needs its address (--link URL)")
    if item.kind == "document" and not (item.document and item.document.strip()):
        raise LedgerError("a document needs its name (--document NAME)")
    if isinstance(item.quantity, bool) or not isinstance(item.quantity, int) or not 1 <= item.quantity <= 100_000:
        raise LedgerError(f"a count is a whole number from 1 to 100000, not {item.quantity!r}")
    if item.occurred_at is not None and item.occurred_at.tzinfo is None:
        raise LedgerError("the evidence date needs a timezone")


def audit(connection: Connection, *, actor: str | None, action: str, subject: str, details: dict, at: dt.datetime) -> None:
    connection.execute(
        insert(t.AuditRow).values(
            at=to_db(at), actor=actor, action=action, subject=subject,
            details=json.dumps(details, ensure_ascii=False, default=str, sort_keys=True),
        )
    )


def insert_evidence(connection: Connection, occurrence_id: int, item: EvidenceInput, *, actor: str | None, now: dt.datetime) -> int | None:
    """Add one item; None when the same link was already recorded for this occurrence."""
    values = dict(
        occurrence_id=occurrence_id, kind=item.kind, link=item.link, document=item.document,
        quantity=item.quantity, note=item.note, occurred_at=to_db(item.occurred_at or now),
        recorded_at=to_db(now), recorded_by=actor, source=item.source,
    )
    if item.link is not None:
        already = connection.execute(
            select(t.EvidenceRow.id).where(t.EvidenceRow.occurrence_id == occurrence_id, t.EvidenceRow.link == item.link)
        ).first()
        if already:
            return None
    return connection.execute(insert(t.EvidenceRow).values(**values).returning(t.EvidenceRow.id)).scalar_one()


def refresh_delivery(connection: Connection, occurrence_id: int, now: dt.datetime) -> None:
    """Recompute how much was delivered and when the at_least-th item arrived (`met_at`)."""
    at_least = connection.execute(select(t.OccurrenceRow.at_least).where(t.OccurrenceRow.id == occurrence_id)).scalar_one()
    items = connection.execute(
        select(t.EvidenceRow.occurred_at, t.EvidenceRow.quantity)
        .where(t.EvidenceRow.occurrence_id == occurrence_id)
        .order_by(t.EvidenceRow.occurred_at, t.EvidenceRow.id)
    ).all()
    total, met_at = 0, None
    for occurred_at, quantity in items:
        total += quantity
        if met_at is None and total >= at_least:
            met_at = occurred_at
    connection.execute(
        update(t.OccurrenceRow)
        .where(t.OccurrenceRow.id == occurrence_id)
        .values(evidence_total=total, met_at=met_at, updated_at=to_db(now))
    )


def lock_occurrence(connection: Connection, occurrence_id: int):
    """The occurrence row, locked for this transaction where the database can (PostgreSQL)."""
    query = select(t.OccurrenceRow.__table__).where(t.OccurrenceRow.id == occurrence_id)
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    return connection.execute(query).mappings().first()


def excuse(connection: Connection, occurrence_id: int, reason: str, *, actor: str | None, now: dt.datetime) -> None:
    connection.execute(
        insert(t.ExcusalRow).values(occurrence_id=occurrence_id, reason=reason, excused_at=to_db(now), excused_by=actor)
    )
    connection.execute(
        update(t.OccurrenceRow)
        .where(t.OccurrenceRow.id == occurrence_id)
        .values(excused_at=to_db(now), excuse_reason=reason, updated_at=to_db(now))
    )


def revoke_excusal(connection: Connection, occurrence_id: int, *, actor: str | None, now: dt.datetime) -> str | None:
    """Undo the active excusal; returns its reason, or None when there was none."""
    active = connection.execute(
        select(t.ExcusalRow.id, t.ExcusalRow.reason)
        .where(t.ExcusalRow.occurrence_id == occurrence_id, t.ExcusalRow.revoked_at.is_(None))
        .order_by(t.ExcusalRow.id.desc())
    ).first()
    if active is None:
        return None
    connection.execute(update(t.ExcusalRow).where(t.ExcusalRow.id == active.id).values(revoked_at=to_db(now), revoked_by=actor))
    connection.execute(
        update(t.OccurrenceRow)
        .where(t.OccurrenceRow.id == occurrence_id)
        .values(excused_at=None, excuse_reason=None, updated_at=to_db(now))
    )
    return active.reason


def record_event(connection: Connection, plan_id: str, code: str, day: dt.date, *, actor: str | None, now: dt.datetime) -> dt.date | None:
    """Set an event's date; returns the date it had before (None if none)."""
    previous = connection.execute(
        select(t.EventRow.date).where(t.EventRow.plan_id == plan_id, t.EventRow.code == code)
    ).scalar_one()
    connection.execute(
        update(t.EventRow)
        .where(t.EventRow.plan_id == plan_id, t.EventRow.code == code)
        .values(date=day, recorded_at=to_db(now), recorded_by=actor)
    )
    return previous


def clear_event(connection: Connection, plan_id: str, code: str) -> None:
    """Forget the date a person recorded: the plan's own date (if any) applies again at the next sync."""
    connection.execute(
        update(t.EventRow)
        .where(t.EventRow.plan_id == plan_id, t.EventRow.code == code)
        .values(date=None, recorded_at=None, recorded_by=None)
    )


def add_event_instance(connection: Connection, plan_id: str, code: str, day: dt.date, *, actor: str | None,
                       now: dt.datetime) -> int:
    """One more instance of a repeating event on `day`; returns its sequence among that day's instances.
    Withdrawn instances keep their number, so a new one never takes over what an old one left behind."""
    previous = connection.execute(
        select(func.max(t.EventInstanceRow.seq)).where(
            t.EventInstanceRow.plan_id == plan_id, t.EventInstanceRow.code == code, t.EventInstanceRow.date == day)
    ).scalar_one()
    seq = 0 if previous is None else previous + 1
    connection.execute(insert(t.EventInstanceRow).values(
        plan_id=plan_id, code=code, date=day, seq=seq, recorded_at=to_db(now), recorded_by=actor))
    return seq


def withdraw_event_instance(connection: Connection, plan_id: str, code: str, day: dt.date, *, actor: str | None,
                            now: dt.datetime) -> int | None:
    """Withdraw the latest standing instance of `day`; returns its sequence, or None when there is none."""
    latest = connection.execute(
        select(t.EventInstanceRow.id, t.EventInstanceRow.seq)
        .where(t.EventInstanceRow.plan_id == plan_id, t.EventInstanceRow.code == code, t.EventInstanceRow.date == day,
               t.EventInstanceRow.withdrawn_at.is_(None))
        .order_by(t.EventInstanceRow.seq.desc())
        .limit(1)
    ).first()
    if latest is None:
        return None
    connection.execute(update(t.EventInstanceRow).where(t.EventInstanceRow.id == latest.id)
                       .values(withdrawn_at=to_db(now), withdrawn_by=actor))
    return latest.seq


def event_instances(connection: Connection, plan_id: str, code: str) -> list[tuple[dt.date, int]]:
    """The standing instances of a repeating event, in order."""
    rows = connection.execute(
        select(t.EventInstanceRow.date, t.EventInstanceRow.seq)
        .where(t.EventInstanceRow.plan_id == plan_id, t.EventInstanceRow.code == code,
               t.EventInstanceRow.withdrawn_at.is_(None))
        .order_by(t.EventInstanceRow.date, t.EventInstanceRow.seq)
    ).all()
    return [(day, seq) for day, seq in rows]


def recorded_events(connection: Connection) -> dict[str, dict[str, dt.date | tuple[Instance, ...]]]:
    """Event dates the ledger knows, by plan: recorded by people, or written in the plan; for a
    repeating event, its standing instances."""
    out: dict[str, dict] = {}
    for plan_id, code, day, repeats in connection.execute(
        select(t.EventRow.plan_id, t.EventRow.code, t.EventRow.date, t.EventRow.repeats)
    ):
        if day is not None and not repeats:  # a repeating event's dates are its instances only
            out.setdefault(plan_id, {})[code] = day
    instances: dict[tuple[str, str], list[Instance]] = {}
    for plan_id, code, day, seq in connection.execute(
        select(t.EventInstanceRow.plan_id, t.EventInstanceRow.code, t.EventInstanceRow.date, t.EventInstanceRow.seq)
        .join(t.EventRow, (t.EventRow.plan_id == t.EventInstanceRow.plan_id) & (t.EventRow.code == t.EventInstanceRow.code))
        .where(t.EventInstanceRow.withdrawn_at.is_(None), t.EventRow.repeats)
    ):
        instances.setdefault((plan_id, code), []).append(Instance(day, seq))
    for (plan_id, code), found in instances.items():
        out.setdefault(plan_id, {})[code] = tuple(sorted(found))
    return out
