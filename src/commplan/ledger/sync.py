"""Materialising occurrences: plans in, occurrence rows reconciled, in set-based SQL.

One sync is one transaction, serialised across processes (a PostgreSQL
advisory lock; SQLite's write lock), and idempotent: the unique key
(obligation, holder, window start, instance) makes a second sync a no-op.

Reconciliation, as rows of `sync_staging` (what the plans imply now) meet
rows of `occurrence` (what the ledger holds):
- a key that moved along a succession chain (the same obligation, period and
  instance, now owed by the unit's successor, or back): an untouched row is
  moved in place (same id, same calendar UID: `uid_unit` keeps the unit it
  was built with); a touched one stays with its holder, and the successor
  gets no duplicate of it;
- new key: inserted;
- same key, nobody touched it (no evidence, no excusal ever): its window, deadline
  and count follow the plan;
- same key, touched: kept as it was (evidence is never moved);
- key gone, untouched, window in the future: deleted;
- key gone otherwise: kept and marked orphaned (history stays, evidence stays).
Only occurrences up to the horizon are reconciled, and only for the plans given.

Each row's holders are also rows of `occurrence_holder` (staged in `sync_staging_holder`): they
follow the plans wherever `holders` does (new, updated and moved rows nobody touched), and go
with a deleted row (ON DELETE CASCADE). The unit mirror carries each unit's province.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Date, DateTime, bindparam, delete, insert, select, text, update
from sqlmodel import col

from ..plan.catalog import Catalog, Plan
from ..plan.directory import Directory
from ..plan.model import Obligation
from ..schedule.occurrences import EventValue, Expander, Occurrence
from . import tables as t
from .clock import from_db, to_db
from .records import recorded_events

# rows added, removed or moved by one sync past which the planner's statistics are taken again: a first
# sync of a province-year left unanalysed makes "a province's first overdue page" a nested loop over all
RESTATISTICS = 1000
SYNC_LOCK_KEY = 0x73796E63  # "sync": one sync at a time per database
BATCH = 5000
# Datetimes in text() SQL must be formatted as the columns store them (SQLite compares text).
STAMP = bindparam("stamp", type_=DateTime())
EARLIEST = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class SyncReport:
    plans: int
    obligations: int
    inserted: int
    updated: int
    deleted: int
    orphaned: int
    unchanged: int
    waiting: tuple[str, ...]  # obligations waiting for an event not yet recorded
    moved: int = 0  # untouched rows handed to a successor (or back) in place

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated or self.deleted or self.orphaned or self.moved)


def sync_catalog(
    connection: Connection,
    catalog: Catalog,
    *,
    today: dt.date,
    horizon: dt.date,
    now: dt.datetime,
) -> SyncReport:
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"SELECT pg_advisory_xact_lock({SYNC_LOCK_KEY})"))
    stamp = to_db(now)
    _mirror_directory(connection, catalog)
    obligation_ids = _mirror_plans(connection, catalog, stamp)
    events = recorded_events(connection)  # written in the plans, or recorded by people (which wins)
    connection.execute(delete(t.SyncStagingRow))
    connection.execute(delete(t.SyncStagingHolderRow))
    waiting: list[str] = []
    holders: list[tuple] = []
    rows = _with_holders(_staging_rows(catalog, obligation_ids, events, horizon, waiting), holders)
    copying = connection.dialect.name == "postgresql"
    staged = _copy_staging(connection, rows) if copying else _insert_staging(connection, rows)
    _stage_holders(connection, holders, copying)
    if copying:  # fresh rows, no statistics: the reconciliation's joins would be planned for an empty table
        connection.execute(text("ANALYZE sync_staging, sync_staging_holder"))
    plan_ids = list(catalog.plans)
    moved, staged = _follow_successions(connection, catalog, obligation_ids, stamp, staged)
    updated = _update_untouched(connection, stamp)
    inserted = _insert_new(connection, stamp)
    _update_tracking(connection, stamp)
    _follow_holders(connection, stamp)
    connection.execute(
        text(f"UPDATE occurrence SET orphaned_at = NULL WHERE orphaned_at IS NOT NULL AND EXISTS ("
             f" SELECT 1 FROM sync_staging s WHERE {_MATCH})")
    )
    # the occurrence_holder rows of deleted occurrences go with them (ON DELETE CASCADE)
    deleted, orphaned = _retire_missing(connection, plan_ids, today, horizon, stamp)
    connection.execute(delete(t.SyncStagingRow))
    connection.execute(delete(t.SyncStagingHolderRow))
    if inserted + deleted + moved >= RESTATISTICS:
        _refresh_statistics(connection)
    return SyncReport(
        plans=len(plan_ids),
        obligations=len(obligation_ids),
        inserted=inserted,
        updated=updated,
        deleted=deleted,
        orphaned=orphaned,
        unchanged=staged - inserted - updated,
        waiting=tuple(waiting),
        moved=moved,
    )


def _refresh_statistics(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("ANALYZE occurrence, occurrence_holder, unit"))
    else:
        for table in ("occurrence", "occurrence_holder", "unit"):
            connection.execute(text(f"ANALYZE {table}"))


# ---------------------------------------------------------------- the plan mirror

def _mirror_directory(connection: Connection, catalog: Catalog) -> None:
    directory = catalog.directory
    existing_units = set(connection.execute(select(col(t.UnitRow.id))).scalars())
    rows = [
        {
            "id": u.id, "name": u.name, "short": u.short, "parent_id": u.parent,
            "successor_id": u.succeeded_by.unit if u.succeeded_by else None,
            "succession_from": u.succeeded_by.from_ if u.succeeded_by else None,
            "province": directory.province_of(u.id),
        }
        for u in directory.units.values()
    ]
    new = [r for r in rows if r["id"] not in existing_units]
    old = [{**r, "key": r["id"]} for r in rows if r["id"] in existing_units]
    if new:
        connection.execute(insert(t.UnitRow), new)
    if old:
        table = t.table_of(t.UnitRow)
        connection.execute(
            update(table).where(table.c.id == bindparam("key")).values(
                name=bindparam("name"), short=bindparam("short"), parent_id=bindparam("parent_id"),
                successor_id=bindparam("successor_id"), succession_from=bindparam("succession_from"),
                province=bindparam("province"),
            ),
            old,
        )
    # groups are rewritten whole: membership has no history of its own
    group_ids = list(directory.groups)
    if group_ids:
        connection.execute(delete(t.GroupMemberRow).where(col(t.GroupMemberRow.group_id).in_(group_ids)))
        connection.execute(delete(t.GroupRow).where(col(t.GroupRow.id).in_(group_ids)))
        connection.execute(insert(t.GroupRow), [{"id": g, "name": group.name} for g, group in directory.groups.items()])
        members = [
            {"group_id": g, "member_id": m, "position": i}
            for g, group in directory.groups.items()
            for i, m in enumerate(group.members)
        ]
        connection.execute(insert(t.GroupMemberRow), members)


def _mirror_plans(connection: Connection, catalog: Catalog, stamp: dt.datetime) -> dict[tuple[str, str], int]:
    """Upsert plans, events and obligations; return obligation ids by (plan, code)."""
    ids: dict[tuple[str, str], int] = {}
    for plan in catalog.plans.values():
        header = plan.header
        values = {
            "number": header.number, "title": header.title, "file": plan.file, "timezone": header.timezone,
            "coordinator_id": header.coordinator, "issuer_id": header.issuer,
            "effective_from": header.effective.from_ if header.effective else header.issued,
            "effective_until": header.effective.until if header.effective else None,
            "synced_at": stamp,
        }
        if connection.execute(select(col(t.PlanRow.id)).where(col(t.PlanRow.id) == plan.id)).first():
            connection.execute(update(t.PlanRow).where(col(t.PlanRow.id) == plan.id).values(**values))
        else:
            connection.execute(insert(t.PlanRow).values(id=plan.id, **values))
        known_events = dict(
            connection.execute(select(col(t.EventRow.code), col(t.EventRow.date)).where(col(t.EventRow.plan_id) == plan.id)).all()
        )
        for event in plan.events:
            if event.id in known_events:
                row = (col(t.EventRow.plan_id) == plan.id, col(t.EventRow.code) == event.id)
                connection.execute(update(t.EventRow).where(*row).values(title=event.title, repeats=event.repeats))
                # a date written in the plan follows the plan until a person records one
                connection.execute(update(t.EventRow).where(*row, col(t.EventRow.recorded_at).is_(None)).values(date=event.date))
            else:
                connection.execute(insert(t.EventRow).values(plan_id=plan.id, code=event.id, title=event.title, date=event.date,
                                                             repeats=event.repeats))
        _mirror_indicators(connection, plan)
        existing = _obligation_ids(connection, plan.id)
        rows: list[dict[str, Any]] = [
            {
                "plan_id": plan.id, "code": o.id, "title": o.title, "ref": o.ref,
                "kind": o.kind.value if o.kind else None, "channel": o.channel.value if o.channel else None,
                "evidence_kind": o.evidence_kind.value, "at_least": o.at_least, "removed_at": None,
            }
            for o in plan.obligations
        ]
        new = [r for r in rows if r["code"] not in existing]
        new_codes = {r["code"] for r in new}
        if new:  # one statement for all new obligations, then their ids
            connection.execute(insert(t.ObligationRow), new)
            existing = _obligation_ids(connection, plan.id)
        known = [{**r, "key": existing[r["code"]]} for r in rows if r["code"] not in new_codes]
        if known:  # one executemany for the rest
            table = t.table_of(t.ObligationRow)
            connection.execute(
                update(table).where(table.c.id == bindparam("key")).values(
                    {c: bindparam(c) for c in ("title", "ref", "kind", "channel", "evidence_kind", "at_least", "removed_at")}
                ),
                known,
            )
        ids.update({(plan.id, r["code"]): existing[r["code"]] for r in rows})
        gone = [code for code in existing if (plan.id, code) not in ids]
        if gone:
            connection.execute(
                update(t.ObligationRow)
                .where(col(t.ObligationRow.plan_id) == plan.id, col(t.ObligationRow.code).in_(gone), col(t.ObligationRow.removed_at).is_(None))
                .values(removed_at=stamp)
            )
    return ids


def _mirror_indicators(connection: Connection, plan: Plan) -> None:
    """A plan's indicators, rewritten whole: they have no history of their own (their figures do)."""
    connection.execute(delete(t.IndicatorRow).where(col(t.IndicatorRow.plan_id) == plan.id))
    rows = [
        {
            "plan_id": plan.id, "code": i.id, "position": position,
            "section": str(i.section) if i.section is not None else None, "name": i.name, "measure": i.measure,
            "aggregate": i.aggregate.value, "baseline": i.baseline, "of_code": i.of,
            "reported_by": " ".join(i.reported_by), "report": " ".join(r.value for r in i.report),
        }
        for position, i in enumerate(plan.indicators)
    ]
    if rows:
        connection.execute(insert(t.IndicatorRow), rows)


# ---------------------------------------------------------------- occurrences

def _obligation_ids(connection: Connection, plan_id: str) -> dict[str, int]:
    """The row ids of a plan's obligations, by code."""
    query = select(col(t.ObligationRow.code), col(t.ObligationRow.id)).where(col(t.ObligationRow.plan_id) == plan_id)
    return {code: row_id for code, row_id in connection.execute(query).all() if row_id is not None}  # a key: never None


def _staging_rows(
    catalog: Catalog,
    obligation_ids: dict[tuple[str, str], int],
    events: Mapping[str, Mapping[str, EventValue]],
    horizon: dt.date,
    waiting: list[str],
) -> Iterator[dict]:
    for plan in catalog.plans.values():
        expander = Expander(plan, catalog.directory, events.get(plan.id))
        tz = ZoneInfo(plan.header.timezone)
        tracking_from = plan.header.tracking_from
        for obligation in plan.obligations:
            if expander.waiting_for(obligation):
                waiting.append(f"{plan.id}/{obligation.id}")
                if not expander.starts_of(obligation):
                    continue
            obligation_id = obligation_ids[(plan.id, obligation.id)]
            for occurrence in expander.occurrences(obligation, EARLIEST, horizon, by="window"):
                if occurrence.window_start > horizon:
                    continue
                yield _row(obligation_id, occurrence, tz, tracking_from)


def _row(obligation_id: int, occurrence: Occurrence, tz: ZoneInfo, tracking_from: dt.date | None = None) -> dict:
    # A deadline can fall before its own window: "trước thứ 2" (the week's plan, due the Friday before),
    # or "trước thứ 5" of a Tết week moved back to the Friday before it. Such an occurrence opens as
    # long before its deadline as its window is long, so that it is open and reminded before it is
    # due, never "not yet open" while past due.
    first_day = occurrence.window_start
    due_day = occurrence.due.astimezone(tz).date()
    if due_day < first_day:
        first_day = due_day - (occurrence.window_end - occurrence.window_start)
    opens = dt.datetime.combine(first_day, dt.time(), tzinfo=tz)
    return {
        "obligation_id": obligation_id,
        "unit_id": occurrence.unit,
        "window_start": occurrence.window_start,
        "instance": occurrence.instance,
        "holders": " ".join(occurrence.holders),
        "window_end": occurrence.window_end,
        "opens_at": to_db(opens),
        "due_at": to_db(occurrence.due),
        "at_least": occurrence.at_least,
        # kept for the record, counted apart: due before the plan is tracked
        "untracked": tracking_from is not None and occurrence.due.date() < tracking_from,
    }


STAGING_COLUMNS = ("obligation_id", "unit_id", "window_start", "instance", "holders", "window_end", "opens_at", "due_at",
                   "at_least", "untracked")


def _insert_staging(connection: Connection, rows: Iterable[dict]) -> int:
    staged = 0
    for batch in _batches(rows):
        connection.execute(insert(t.SyncStagingRow), batch)
        staged += len(batch)
    return staged


def _copy_staging(connection: Connection, rows: Iterable[dict]) -> int:
    """PostgreSQL's COPY, several times faster than batched INSERTs, in the same transaction."""
    staged = 0
    driver = connection.connection.driver_connection
    assert driver is not None  # an open connection has one (here psycopg's)
    cursor = driver.cursor()
    with cursor.copy(f"COPY sync_staging ({', '.join(STAGING_COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(tuple(row[c] for c in STAGING_COLUMNS))
            staged += 1
    return staged


HOLDER_COLUMNS = ("obligation_id", "unit_id", "window_start", "instance", "holder")


def _with_holders(rows: Iterable[dict], holders: list[tuple]) -> Iterator[dict]:
    """The staged rows, unchanged; each one's holders (and its own unit or group) noted in `holders`."""
    for row in rows:
        key = (row["obligation_id"], row["unit_id"], row["window_start"], row["instance"])
        holders.extend((*key, unit) for unit in dict.fromkeys([row["unit_id"], *row["holders"].split()]))
        yield row


def _stage_holders(connection: Connection, holders: list[tuple], copying: bool) -> None:
    if copying:
        driver = connection.connection.driver_connection
        assert driver is not None  # an open connection has one (here psycopg's)
        cursor = driver.cursor()
        with cursor.copy(f"COPY sync_staging_holder ({', '.join(HOLDER_COLUMNS)}) FROM STDIN") as copy:
            for row in holders:
                copy.write_row(row)
        return
    for batch in _batches(dict(zip(HOLDER_COLUMNS, row, strict=True)) for row in holders):
        connection.execute(insert(t.SyncStagingHolderRow), batch)


def _batches(rows: Iterable[dict]) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


_MATCH = (
    "s.obligation_id = occurrence.obligation_id AND s.unit_id = occurrence.unit_id"
    " AND s.window_start = occurrence.window_start AND s.instance = occurrence.instance"
)


def _untouched(row: str) -> str:
    """Touched: someone recorded evidence, an excusal (even one taken back), a deadline extension or an
    acknowledgement for it (a calendar feed's report link opens a future duty: a row the unit answered
    is never deleted under it, and its acknowledgement's foreign key would refuse the whole sync)."""
    return (f"NOT EXISTS (SELECT 1 FROM evidence e WHERE e.occurrence_id = {row}.id)"
            f" AND NOT EXISTS (SELECT 1 FROM excusal x WHERE x.occurrence_id = {row}.id)"
            f" AND NOT EXISTS (SELECT 1 FROM deadline_extension d WHERE d.occurrence_id = {row}.id)"
            f" AND NOT EXISTS (SELECT 1 FROM acknowledgement a WHERE a.occurrence_id = {row}.id)")


_UNTOUCHED = _untouched("occurrence")


def _follow_successions(connection: Connection, catalog: Catalog, obligation_ids: dict[tuple[str, str], int],
                        stamp: dt.datetime, staged: int) -> tuple[int, int]:
    """Rows whose key moved along a succession chain (plan format 1.1: by due date; or back, after an
    edit of the directory). An untouched row moves in place to the staged key; a touched one stays
    with its holder (its key is staged too, so it is not orphaned), and the staged successor's row
    is dropped when the touched rows already stand for every lead it would owe for. Returns (moved,
    rows now staged). Candidates are only rows the plans no longer imply under their own key."""
    # a succession removed from the directory is no longer there to see: `uid_unit` remembers where a row came from
    pairs = connection.execute(text(
        "SELECT o.id, o.obligation_id, o.unit_id, s.unit_id, s.window_start, s.instance, s.due_at,"
        f" CASE WHEN {_untouched('o')} THEN 0 ELSE 1 END, o.uid_unit,"
        " (SELECT MIN(t.id) FROM occurrence t WHERE t.obligation_id = s.obligation_id AND t.unit_id = s.unit_id"
        "  AND t.window_start = s.window_start AND t.instance = s.instance)"
        " FROM occurrence o JOIN sync_staging s ON s.obligation_id = o.obligation_id"
        " AND s.window_start = o.window_start AND s.instance = o.instance AND s.unit_id <> o.unit_id"
        " WHERE NOT EXISTS (SELECT 1 FROM sync_staging s2 WHERE s2.obligation_id = o.obligation_id"
        "  AND s2.unit_id = o.unit_id AND s2.window_start = o.window_start AND s2.instance = o.instance)"
        " ORDER BY o.id"
    )).all()
    if not pairs:
        return 0, staged
    directory = catalog.directory
    by_id = {ident: (catalog.plans[plan], catalog.plans[plan].obligation(code)) for (plan, code), ident in obligation_ids.items()}
    moves: list[dict] = []
    claimed: set[tuple] = set()
    kept: dict[tuple, list[str]] = {}  # staged key -> units of touched rows that keep its duty
    for row_id, obligation_id, old_unit, new_unit, window_start, instance, _due_at, touched, uid_unit, taken in pairs:
        # on one succession chain, or back to where an earlier sync moved it from (the succession was undone)
        if not (_linked(directory, old_unit, new_unit) or uid_unit == new_unit):
            continue
        key = (obligation_id, new_unit, window_start, instance)
        if touched:
            kept.setdefault(key, []).append(old_unit)
        elif taken is None and key not in claimed:
            claimed.add(key)
            moves.append({"row": row_id, "unit": new_unit, "stamp": stamp})
    if moves:
        # SET reads the old row: the UID keeps the unit it was first built with
        connection.execute(
            text("UPDATE occurrence SET uid_unit = COALESCE(uid_unit, unit_id), unit_id = :unit,"
                 " sequence = sequence + 1, updated_at = :stamp WHERE id = :row").bindparams(STAMP),
            moves,
        )
    due_of = {(p[1], p[3], p[4], p[5]): p[6] for p in pairs}
    for (obligation_id, new_unit, window_start, instance), units in kept.items():
        plan, obligation = by_id[obligation_id]
        staged_key = {"obligation": obligation_id, "unit": new_unit, "start": window_start, "instance": instance}
        for unit in dict.fromkeys(units):  # the touched row's own key: it still stands for its duty
            staged += connection.execute(text(
                "INSERT INTO sync_staging (obligation_id, unit_id, window_start, instance, holders, window_end,"
                " opens_at, due_at, at_least, untracked) SELECT obligation_id, :old, window_start, instance, :holders,"
                " window_end, opens_at, due_at, at_least, untracked FROM sync_staging WHERE obligation_id = :obligation"
                " AND unit_id = :unit AND window_start = :start AND instance = :instance"
                " AND NOT EXISTS (SELECT 1 FROM sync_staging x WHERE x.obligation_id = :obligation AND x.unit_id = :same"
                "  AND x.window_start = :start AND x.instance = :instance)"
            ), {**staged_key, "old": unit, "holders": unit, "same": unit}).rowcount  # one parameter per use: PostgreSQL types each
        due = from_db(due_of[(obligation_id, new_unit, window_start, instance)]).astimezone(ZoneInfo(plan.header.timezone))
        owed_for = _origins(directory, obligation, new_unit, due.date())
        if all(any(u == k or _linked(directory, u, k) for k in units) for u in owed_for):
            connection.execute(text(
                "DELETE FROM sync_staging WHERE obligation_id = :obligation AND unit_id = :unit"
                " AND window_start = :start AND instance = :instance"
            ), staged_key)
            staged -= 1
    return len(moves), staged


def _linked(directory: Directory, one: str, other: str) -> bool:
    """Whether two units are on one succession chain (either way)."""
    return other in directory.successors(one) or one in directory.successors(other)


def _origins(directory: Directory, obligation: Obligation, holder: str, due: dt.date) -> list[str]:
    """The leads (units) whose duty `holder` owes for an occurrence due on `due`."""
    if obligation.shared:
        return [obligation.lead[0]]
    return [u for u in directory.expand(obligation.lead) if directory.holder_by_due(u, due) == holder]


def _update_untouched(connection: Connection, stamp: dt.datetime) -> int:
    result = connection.execute(
        text(
            "UPDATE occurrence SET window_end = s.window_end, opens_at = s.opens_at, due_at = s.due_at,"
            " at_least = s.at_least, holders = s.holders, updated_at = :stamp,"
            " sequence = occurrence.sequence + CASE WHEN occurrence.due_at <> s.due_at THEN 1 ELSE 0 END"
            f" FROM sync_staging s WHERE {_MATCH} AND {_UNTOUCHED}"
            " AND (occurrence.window_end <> s.window_end OR occurrence.due_at <> s.due_at"
            "      OR occurrence.at_least <> s.at_least OR occurrence.holders <> s.holders)"
        ).bindparams(STAMP),
        {"stamp": stamp},
    )
    return result.rowcount


def _insert_new(connection: Connection, stamp: dt.datetime) -> int:
    result = connection.execute(
        text(
            "INSERT INTO occurrence (obligation_id, unit_id, holders, window_start, instance, window_end, opens_at, due_at,"
            " at_least, evidence_total, untracked, created_at, updated_at)"
            " SELECT s.obligation_id, s.unit_id, s.holders, s.window_start, s.instance, s.window_end, s.opens_at, s.due_at,"
            " s.at_least, 0, s.untracked, :stamp, :stamp FROM sync_staging s"
            f" WHERE NOT EXISTS (SELECT 1 FROM occurrence WHERE {_MATCH})"
            " ON CONFLICT (obligation_id, unit_id, window_start, instance) DO NOTHING"
        ).bindparams(STAMP),
        {"stamp": stamp},
    )
    return result.rowcount


def _follow_holders(connection: Connection, stamp: dt.datetime) -> None:
    """occurrence_holder follows the plans where `holders` does: on the rows this sync inserted, updated
    or moved (stamped now) that nobody touched and that the plans imply; a touched row keeps its own."""
    rows = (f"SELECT occurrence.id FROM occurrence JOIN sync_staging s ON {_MATCH}"
            f" WHERE occurrence.updated_at = :stamp AND {_UNTOUCHED}")
    connection.execute(text(f"DELETE FROM occurrence_holder WHERE occurrence_id IN ({rows})").bindparams(STAMP),
                       {"stamp": stamp})
    connection.execute(
        text(
            "INSERT INTO occurrence_holder (occurrence_id, unit_id) SELECT occurrence.id, h.holder FROM occurrence"
            f" JOIN sync_staging s ON {_MATCH}"
            " JOIN sync_staging_holder h ON h.obligation_id = s.obligation_id AND h.unit_id = s.unit_id"
            "  AND h.window_start = s.window_start AND h.instance = s.instance"
            f" WHERE occurrence.updated_at = :stamp AND {_UNTOUCHED}"
        ).bindparams(STAMP),
        {"stamp": stamp},
    )


def _update_tracking(connection: Connection, stamp: dt.datetime) -> None:
    """`untracked` follows the plan's tracking_from on every row, touched or not: it classifies, it is not history."""
    connection.execute(
        text(
            "UPDATE occurrence SET untracked = s.untracked, updated_at = :stamp, sequence = occurrence.sequence + 1"
            f" FROM sync_staging s WHERE {_MATCH} AND occurrence.untracked <> s.untracked"
        ).bindparams(STAMP),
        {"stamp": stamp},
    )


def _retire_missing(connection: Connection, plan_ids: list[str], today: dt.date, horizon: dt.date, stamp: dt.datetime) -> tuple[int, int]:
    if not plan_ids:
        return 0, 0
    scope = (
        "occurrence.obligation_id IN (SELECT id FROM obligation WHERE plan_id IN :plans)"
        " AND occurrence.window_start <= :horizon"
        f" AND NOT EXISTS (SELECT 1 FROM sync_staging s WHERE {_MATCH})"
    )
    params = {"plans": plan_ids, "horizon": horizon, "today": today, "stamp": stamp}
    in_scope = [bindparam("plans", expanding=True), bindparam("horizon", type_=Date())]
    deleted = connection.execute(
        text(f"DELETE FROM occurrence WHERE {scope} AND {_UNTOUCHED} AND occurrence.window_start > :today")
        .bindparams(*in_scope, bindparam("today", type_=Date())),
        {k: params[k] for k in ("plans", "horizon", "today")},
    ).rowcount
    orphaned = connection.execute(
        text(f"UPDATE occurrence SET orphaned_at = :stamp WHERE {scope} AND occurrence.orphaned_at IS NULL")
        .bindparams(*in_scope, STAMP),
        {k: params[k] for k in ("plans", "horizon", "stamp")},
    ).rowcount
    return deleted, orphaned
