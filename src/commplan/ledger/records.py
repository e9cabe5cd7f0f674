"""What people record: events, evidence, excusals; each change also written to the audit log."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Connection, RowMapping, func, insert, select, update
from sqlmodel import col

from ..schedule.occurrences import Instance
from . import tables as t
from .clock import to_db
from .evidence import EvidenceInput, identity


def audit(connection: Connection, *, actor: str | None, action: str, subject: str, details: dict, at: dt.datetime) -> None:
    connection.execute(
        insert(t.AuditRow).values(
            at=to_db(at), actor=actor, action=action, subject=subject,
            details=json.dumps(details, ensure_ascii=False, default=str, sort_keys=True),
        )
    )


def find_duplicate(connection: Connection, occurrence_id: int, item: EvidenceInput) -> int | None:
    """The id of an item of this occurrence, not withdrawn, that is the same as `item` (see
    `evidence.identity`); None when `item` is new. Run under the occurrence's lock."""
    wanted = identity(item.kind, item.link, item.document, item.document_sha256)
    if wanted is None:
        return None
    rows = connection.execute(
        select(col(t.EvidenceRow.id), col(t.EvidenceRow.kind), col(t.EvidenceRow.link), col(t.EvidenceRow.document),
               col(t.EvidenceRow.document_sha256))
        .where(col(t.EvidenceRow.occurrence_id) == occurrence_id, col(t.EvidenceRow.withdrawn_at).is_(None))
        .order_by(col(t.EvidenceRow.id))
    ).all()
    return next((row.id for row in rows
                 if identity(row.kind, row.link, row.document, row.document_sha256) == wanted), None)


def insert_evidence(connection: Connection, occurrence_id: int, item: EvidenceInput, *, actor: str | None, now: dt.datetime) -> int:
    values = dict(
        occurrence_id=occurrence_id, kind=item.kind, link=item.link, document=item.document,
        document_sha256=item.document_sha256,
        quantity=item.quantity, note=item.note, occurred_at=to_db(item.occurred_at or now),
        recorded_at=to_db(now), recorded_by=actor, source=item.source, match_reason=item.match_reason,
    )
    evidence_id = connection.execute(insert(t.EvidenceRow).values(**values).returning(col(t.EvidenceRow.id))).scalar_one()
    assert evidence_id is not None  # assigned by the database
    return evidence_id


def withdraw_evidence(connection: Connection, evidence_id: int, reason: str, *, actor: str | None, now: dt.datetime) -> bool:
    """Mark one item withdrawn; False when it already was (another clerk got there first)."""
    return connection.execute(
        update(t.EvidenceRow)
        .where(col(t.EvidenceRow.id) == evidence_id, col(t.EvidenceRow.withdrawn_at).is_(None))
        .values(withdrawn_at=to_db(now), withdrawn_by=actor, withdraw_reason=reason)
    ).rowcount == 1


def refresh_delivery(connection: Connection, occurrence_id: int, now: dt.datetime) -> None:
    """Recompute how much was delivered and when the at_least-th item arrived (`met_at`),
    from the items not withdrawn."""
    at_least = connection.execute(select(col(t.OccurrenceRow.at_least)).where(col(t.OccurrenceRow.id) == occurrence_id)).scalar_one()
    items = connection.execute(
        select(col(t.EvidenceRow.occurred_at), col(t.EvidenceRow.quantity))
        .where(col(t.EvidenceRow.occurrence_id) == occurrence_id, col(t.EvidenceRow.withdrawn_at).is_(None))
        .order_by(col(t.EvidenceRow.occurred_at), col(t.EvidenceRow.id))
    ).all()
    total, met_at = 0, None
    for occurred_at, quantity in items:
        total += quantity
        if met_at is None and total >= at_least:
            met_at = occurred_at
    connection.execute(
        update(t.OccurrenceRow)
        .where(col(t.OccurrenceRow.id) == occurrence_id)
        .values(evidence_total=total, met_at=met_at, updated_at=to_db(now))
    )


def lock_occurrence(connection: Connection, occurrence_id: int) -> RowMapping | None:
    """The occurrence row, locked for this transaction where the database can (PostgreSQL)."""
    query = select(t.table_of(t.OccurrenceRow)).where(col(t.OccurrenceRow.id) == occurrence_id)
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    return connection.execute(query).mappings().first()


def excuse(connection: Connection, occurrence_id: int, reason: str, *, actor: str | None, now: dt.datetime) -> None:
    connection.execute(
        insert(t.ExcusalRow).values(occurrence_id=occurrence_id, reason=reason, excused_at=to_db(now), excused_by=actor)
    )
    connection.execute(
        update(t.OccurrenceRow)
        .where(col(t.OccurrenceRow.id) == occurrence_id)
        .values(excused_at=to_db(now), excuse_reason=reason, updated_at=to_db(now))
    )


def revoke_excusal(connection: Connection, occurrence_id: int, *, actor: str | None, now: dt.datetime) -> str | None:
    """Undo the active excusal; returns its reason, or None when there was none."""
    active = connection.execute(
        select(col(t.ExcusalRow.id), col(t.ExcusalRow.reason))
        .where(col(t.ExcusalRow.occurrence_id) == occurrence_id, col(t.ExcusalRow.revoked_at).is_(None))
        .order_by(col(t.ExcusalRow.id).desc())
    ).first()
    if active is None:
        return None
    connection.execute(update(t.ExcusalRow).where(col(t.ExcusalRow.id) == active.id).values(revoked_at=to_db(now), revoked_by=actor))
    connection.execute(
        update(t.OccurrenceRow)
        .where(col(t.OccurrenceRow.id) == occurrence_id)
        .values(excused_at=None, excuse_reason=None, updated_at=to_db(now))
    )
    return active.reason


def record_event(connection: Connection, plan_id: str, code: str, day: dt.date, *, actor: str | None, now: dt.datetime) -> dt.date | None:
    """Set an event's date; returns the date it had before (None if none)."""
    previous = connection.execute(
        select(col(t.EventRow.date)).where(col(t.EventRow.plan_id) == plan_id, col(t.EventRow.code) == code)
    ).scalar_one()
    connection.execute(
        update(t.EventRow)
        .where(col(t.EventRow.plan_id) == plan_id, col(t.EventRow.code) == code)
        .values(date=day, recorded_at=to_db(now), recorded_by=actor)
    )
    return previous


def clear_event(connection: Connection, plan_id: str, code: str) -> None:
    """Forget the date a person recorded: the plan's own date (if any) applies again at the next sync."""
    connection.execute(
        update(t.EventRow)
        .where(col(t.EventRow.plan_id) == plan_id, col(t.EventRow.code) == code)
        .values(date=None, recorded_at=None, recorded_by=None)
    )


def add_event_instance(connection: Connection, plan_id: str, code: str, day: dt.date, *, actor: str | None,
                       now: dt.datetime) -> int:
    """One more instance of a repeating event on `day`; returns its sequence among that day's instances.
    Withdrawn instances keep their number, so a new one never takes over what an old one left behind."""
    previous = connection.execute(
        select(func.max(col(t.EventInstanceRow.seq))).where(
            col(t.EventInstanceRow.plan_id) == plan_id, col(t.EventInstanceRow.code) == code, col(t.EventInstanceRow.date) == day)
    ).scalar_one()
    seq = 0 if previous is None else previous + 1
    connection.execute(insert(t.EventInstanceRow).values(
        plan_id=plan_id, code=code, date=day, seq=seq, recorded_at=to_db(now), recorded_by=actor))
    return seq


def withdraw_event_instance(connection: Connection, plan_id: str, code: str, day: dt.date, *, actor: str | None,
                            now: dt.datetime) -> int | None:
    """Withdraw the latest standing instance of `day`; returns its sequence, or None when there is none."""
    latest = connection.execute(
        select(col(t.EventInstanceRow.id), col(t.EventInstanceRow.seq))
        .where(col(t.EventInstanceRow.plan_id) == plan_id, col(t.EventInstanceRow.code) == code, col(t.EventInstanceRow.date) == day,
               col(t.EventInstanceRow.withdrawn_at).is_(None))
        .order_by(col(t.EventInstanceRow.seq).desc())
        .limit(1)
    ).first()
    if latest is None:
        return None
    connection.execute(update(t.EventInstanceRow).where(col(t.EventInstanceRow.id) == latest.id)
                       .values(withdrawn_at=to_db(now), withdrawn_by=actor))
    return latest.seq


def event_instances(connection: Connection, plan_id: str, code: str) -> list[tuple[dt.date, int]]:
    """The standing instances of a repeating event, in order."""
    rows = connection.execute(
        select(col(t.EventInstanceRow.date), col(t.EventInstanceRow.seq))
        .where(col(t.EventInstanceRow.plan_id) == plan_id, col(t.EventInstanceRow.code) == code,
               col(t.EventInstanceRow.withdrawn_at).is_(None))
        .order_by(col(t.EventInstanceRow.date), col(t.EventInstanceRow.seq))
    ).all()
    return [(day, seq) for day, seq in rows]


def recorded_events(connection: Connection) -> dict[str, dict[str, dt.date | tuple[Instance, ...]]]:
    """Event dates the ledger knows, by plan: recorded by people, or written in the plan; for a
    repeating event, its standing instances."""
    out: dict[str, dict] = {}
    for plan_id, code, day, repeats in connection.execute(
        select(col(t.EventRow.plan_id), col(t.EventRow.code), col(t.EventRow.date), col(t.EventRow.repeats))
    ):
        if day is not None and not repeats:  # a repeating event's dates are its instances only
            out.setdefault(plan_id, {})[code] = day
    instances: dict[tuple[str, str], list[Instance]] = {}
    for plan_id, code, day, seq in connection.execute(
        select(col(t.EventInstanceRow.plan_id), col(t.EventInstanceRow.code), col(t.EventInstanceRow.date), col(t.EventInstanceRow.seq))
        .join(t.EventRow, (col(t.EventRow.plan_id) == col(t.EventInstanceRow.plan_id)) & (col(t.EventRow.code) == col(t.EventInstanceRow.code)))
        .where(col(t.EventInstanceRow.withdrawn_at).is_(None), col(t.EventRow.repeats))
    ):
        instances.setdefault((plan_id, code), []).append(Instance(day, seq))
    for (plan_id, code), found in instances.items():
        out.setdefault(plan_id, {})[code] = tuple(sorted(found))
    return out
