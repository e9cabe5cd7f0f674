"""The ledger's Python API: the one place that owns the session and the queries.

The CLI, Prefect flows, the web app, calendars and reports call `Ledger`;
nothing outside `commplan.ledger` writes SQL. Every public method is one
transaction: it commits whole or changes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import json
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, overload
from zoneinfo import ZoneInfo

from sqlalchemy import BindParameter, Connection, DateTime, bindparam, select, text
from sqlmodel import col

from .. import clock, links
from ..figures import FigureRow, Period
from ..i18n import _
from ..plan.catalog import Catalog
from ..schedule.bounds import horizon_problem
from ..schedule.occurrences import Instance
from . import (
    acknowledgements,
    compliance,
    coordinator_view,
    deadlines,
    documents,
    events,
    feed_evidence,
    feed_sources,
    feed_state,
    figures,
    idempotency,
    mail_replies,
    outbox,
    overdue,
    records,
    report_builds,
    revocations,
    spending,
    summary,
    tokens,
    triage,
    users,
    zalo_followers,
)
from . import tables as t
from .clock import from_db, refuse_replay, to_db
from .clock import now as utc_now
from .engine import (
    READ_ONLY,
    SQLITE_BUSY_SECONDS,
    LedgerError,
    create_ledger_engine,
    describe_url,
    translated_errors,
    upgrade,
)
from .evidence import EvidenceInput, EvidenceItem, limited, normalised, optional_text, required_text
from .feed_evidence import FeedOutcome, FeedRecord
from .feed_sources import FeedSourceState, FetchOutcome, ItemSeen
from .feed_state import FeedState
from .figures import FigureEntry, FigureImport, Indicator
from .idempotency import ApiAnswer, IdempotencyConflict
from .reminders import ReminderReport, queue_reminders
from .report_view import ReportView, duty
from .status import (
    DELIVERED_SQL,
    MET_AT_SQL,
    OVERDUE_AT,
    OVERDUE_NOW,
    STATUS_SQL,
    STATUSES,
    OccurrenceStatus,
    Status,
    SummaryRow,
)
from .sync import SyncReport, sync_catalog
from .triage import TriageInput, TriageItem

DEFAULT_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# a row id (a 64-bit integer in both engines): past it SQLite's driver overflows and PostgreSQL refuses the
# value, where a caller asking with an id typed into an address expects "there is none"
MAX_ROW_ID = 2**63 - 1


def _due_between(where: list[str], params: dict[str, Any], due_from: dt.date | None, due_to: dt.date | None) -> None:
    """Add to `where`/`params` the terms keeping deadlines from `due_from` to `due_to` (Vietnam dates, both
    included; None: unbounded)."""
    # outside these years no deadline lies, and the UTC conversion of year 1 or 9999 overflows
    if due_from is not None and due_from > dt.date(1900, 1, 1):
        where.append("o.due_at >= :due_from")
        params["due_from"] = to_db(_moment(due_from, DEFAULT_TZ))
    if due_to is not None and due_to < dt.date(9000, 1, 1):
        where.append("o.due_at < :due_to")
        params["due_to"] = to_db(_moment(due_to + dt.timedelta(days=1), DEFAULT_TZ))


def _row_id(value: int) -> bool:
    return 1 <= value <= MAX_ROW_ID


@dataclass(frozen=True)
class RecordResult:
    occurrence_id: int
    evidence_id: int | None  # None: the same item was already recorded (counted once)
    window_start: dt.date
    window_end: dt.date
    delivered: int
    at_least: int
    status: Status
    duplicate_of: int | None = None  # the item it repeats
    occurred_at: dt.datetime | None = None  # the date the item was recorded with, in the plan's timezone

    @property
    def duplicate(self) -> bool:
        return self.evidence_id is None


@dataclass(frozen=True)
class WithdrawResult:
    item: EvidenceItem  # as it is now: withdrawn
    delivered: int  # what its occurrence has now, without it
    at_least: int
    status: Status


class Ledger:
    def __init__(self, url: str, *, migrate: bool = True, busy_seconds: float = SQLITE_BUSY_SECONDS):
        self.url = url
        with translated_errors(url):
            self.engine = create_ledger_engine(url, busy_seconds=busy_seconds)
            if migrate:
                upgrade(self.engine)

    @classmethod
    def open(cls, url: str | None = None) -> Ledger:
        from ..settings import get_settings

        return cls(url or get_settings().database)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def where(self) -> str:
        return describe_url(self.url)

    @contextlib.contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[Connection]:
        """One transaction; `read_only` ones never wait for a writer on SQLite (WAL)."""
        with translated_errors(self.url):
            connection = self.engine.connect()
            if read_only:
                connection = connection.execution_options(**{READ_ONLY: True})
            with connection, connection.begin():
                yield connection

    # ------------------------------------------------------------ sync and events

    def sync(self, catalog: Catalog, *, now: dt.datetime | None = None, horizon: dt.date | None = None,
             actor: str | None = None) -> SyncReport:
        moment = now or utc_now()
        with self.transaction() as connection:
            return self._sync(connection, catalog, moment, horizon, actor)

    def _sync(self, connection: Connection, catalog: Catalog, moment: dt.datetime, horizon: dt.date | None,
              actor: str | None) -> SyncReport:
        today = moment.astimezone(DEFAULT_TZ).date()
        horizon = horizon or default_horizon(today)
        problem = horizon_problem(horizon, today)
        if problem:  # the shells check first; this guards every other caller (flows, events)
            raise LedgerError(problem)
        report = sync_catalog(connection, catalog, today=today, horizon=horizon, now=moment)
        records.audit(connection, actor=actor, action="sync", subject=",".join(catalog.plans),
                      details={"horizon": horizon, **report.__dict__}, at=moment)
        return report

    def record_event(self, event_id: str, day: dt.date, *, plan: str | None = None, actor: str | None = None,
                     now: dt.datetime | None = None, resync: Catalog | None = None,
                     horizon: dt.date | None = None) -> tuple[str, dt.date | None, SyncReport | None]:
        """Record that an awaited event happened, and with `resync` materialise what it opens,
        in the same transaction; returns (plan id, previous date, sync report). A repeating event
        gets one more instance (see `event`)."""
        change = self.event(event_id, day, plan=plan, actor=actor, now=now, resync=resync, horizon=horizon)
        return change.plan, change.previous, change.report

    def event(self, event_id: str, day: dt.date, *, plan: str | None = None, undo: bool = False,
              actor: str | None = None, now: dt.datetime | None = None, resync: Catalog | None = None,
              horizon: dt.date | None = None) -> events.EventChange:
        """Record an event (a one-time event's date; one more instance of a repeating one), or with
        `undo` withdraw it (the latest instance of that day; a one-time event's recorded date), removing
        the occurrences it opened that nobody touched. One transaction, with the re-sync of `resync`
        (required for `undo`: the plans say which occurrences the event opened)."""
        moment = now or utc_now()
        if undo and resync is None:
            raise LedgerError(_("withdrawing an event needs the plans (to find what it opened)"))
        with self.transaction() as connection:
            plan_id, repeats = events.find_event(connection, event_id, plan)[:2]
            if not undo:
                if repeats:
                    change = events.add_instance(connection, plan_id, event_id, day, actor=actor, now=moment)
                else:
                    previous = records.record_event(connection, plan_id, event_id, day, actor=actor, now=moment)
                    records.audit(connection, actor=actor, action="event", subject=f"{plan_id}/{event_id}",
                                  details={"date": day, "previous": previous}, at=moment)
                    change = events.EventChange(plan_id, event_id, day, repeats=False, previous=previous)
                report = self._sync(connection, resync, moment, horizon, actor) if resync is not None else None
                return replace(change, report=report)
            assert resync is not None  # refused above without it
            until = horizon or default_horizon(moment.astimezone(DEFAULT_TZ).date())
            instance = events.latest_instance(connection, plan_id, event_id, day) if repeats else None
            keys = events.opened_keys(connection, resync, plan_id, event_id, instance, until)  # before it is gone
            change = events.withdraw(connection, plan_id, event_id, day, repeats, actor=actor, now=moment)
            before = {row_id for row_id, *_flags in events.rows_for(connection, keys)}
            report = self._sync(connection, resync, moment, horizon, actor)
            removed, kept, deleted = events.remove_untouched(connection, keys, before)
            # the sync orphaned them first; they are gone now
            report = replace(report, deleted=report.deleted + deleted, orphaned=max(report.orphaned - deleted, 0))
            return replace(change, report=report, removed=removed, kept=kept)

    def recorded_events(self) -> dict[str, dict[str, dt.date | tuple[Instance, ...]]]:
        """Event dates the ledger knows, by plan then event: a one-time event's date, a repeating
        event's standing instances (what `Expander` takes)."""
        with self.transaction(read_only=True) as connection:
            return records.recorded_events(connection)

    def unit_names(self) -> dict[str, str]:
        """Display names of units and groups: the short name where it is unique."""
        with self.transaction(read_only=True) as connection:
            units = connection.execute(select(col(t.UnitRow.id), col(t.UnitRow.name), col(t.UnitRow.short))).all()
            groups = connection.execute(select(col(t.GroupRow.id), col(t.GroupRow.name))).all()
        shorts = [short for *_names, short in units if short]
        names = {i: (short if short and shorts.count(short) == 1 else name) for i, name, short in units}
        names.update(dict(groups))
        return names

    # ------------------------------------------------------------ evidence

    def record_evidence(
        self,
        obligation: str,
        unit: str,
        item: EvidenceInput,
        *,
        on: dt.date | dt.datetime | None = None,
        occurrence_id: int | None = None,
        actor: str | None = None,
        submitted_by: str | None = None,
        now: dt.datetime | None = None,
    ) -> RecordResult:
        """Record one item. `on` is when it was published or sent (a date: 00:00 that day in the
        plan's timezone; default now); without `occurrence_id` it picks the window containing that
        date, with one (a late report) the date must lie within a year of that occurrence's window.
        An item the occurrence already has (the same link or document name) is not added again.
        `actor` is who the audit log trusts (a login, `link:UNIT` for a report link); `submitted_by` a
        name the submitter typed, shown with the item and kept in the audit details, never as its actor."""
        moment = now or utc_now()
        item = normalised(item)
        actor = optional_text(actor, "actor")
        submitted_by = optional_text(submitted_by, "name")
        with self.transaction() as connection:
            return self._record_evidence(connection, obligation, unit, item, on=on, occurrence_id=occurrence_id,
                                         actor=actor, submitted_by=submitted_by, moment=moment)

    def record_evidence_once(self, user_id: int, key: str, request_hash: str, obligation: str, unit: str,
                             item: EvidenceInput, respond: Callable[[RecordResult], tuple[int, str]], *,
                             on: dt.date | dt.datetime | None = None, occurrence_id: int | None = None,
                             actor: str | None = None, now: dt.datetime | None = None) -> ApiAnswer:
        """`record_evidence` under an idempotency key of `user_id`: the first request with the key
        records and stores `respond(result)` (status, body) in the same transaction; a later one
        (or a concurrent twin, which waits for the first) writes nothing and gets the stored answer,
        `replayed`. The same key with another `request_hash` raises IdempotencyConflict."""
        moment = now or utc_now()
        item = normalised(item)
        actor = optional_text(actor, "actor")
        with self.transaction() as connection:
            if idempotency.claim(connection, user_id, key, request_hash, moment):
                result = self._record_evidence(connection, obligation, unit, item, on=on, occurrence_id=occurrence_id,
                                               actor=actor, moment=moment)
                status, body = respond(result)
                idempotency.answer(connection, user_id, key, status, body)
                return ApiAnswer(status=status, body=body, replayed=False)
            found = idempotency.stored(connection, user_id, key)
        if found is None:  # a claimed row always has its answer: it is committed with it
            raise LedgerError(_("idempotency key without an answer"))
        if found.request_hash != request_hash:
            raise IdempotencyConflict(_("this Idempotency-Key was already used with another request: "
                                        "send a new key for a new request"))
        return ApiAnswer(status=found.status, body=found.body, replayed=True)

    def _record_evidence(self, connection: Connection, obligation: str, unit: str, item: EvidenceInput, *,
                         on: dt.date | dt.datetime | None, occurrence_id: int | None, actor: str | None,
                         moment: dt.datetime, submitted_by: str | None = None) -> RecordResult:
        obligation_id, _plan_id, tz = self._resolve_obligation(connection, obligation)
        self._check_unit(connection, unit)
        occurred = item.occurred_at or (_moment(on, tz) if on is not None else moment)
        if occurred > moment:
            raise LedgerError(_("{moment} is in the future: record only evidence that exists").format(
                moment=f"{occurred.astimezone(tz):%H:%M %d/%m/%Y}"))
        item = EvidenceInput(**{**item.__dict__, "occurred_at": occurred})
        explicit = occurrence_id is not None
        if occurrence_id is None:
            occurrence_id = self._occurrence_for(connection, obligation_id, unit, occurred.astimezone(tz).date(), tz)
        row = records.lock_occurrence(connection, occurrence_id)
        if row is None or row["obligation_id"] != obligation_id or unit not in (row["unit_id"], *row["holders"].split()):
            raise LedgerError(_("occurrence #{occurrence} is not the duty {obligation} of {unit}").format(
                occurrence=occurrence_id, obligation=obligation, unit=unit))
        if explicit:
            _check_within_a_year(occurrence_id, occurred.astimezone(tz).date(),
                                 _as_date(row["window_start"]), _as_date(row["window_end"]))
        if item.document_sha256 is not None and documents.describe(connection, item.document_sha256) is None:
            raise LedgerError(_("no stored document {sha256}: store it first (Ledger.store_document)").format(
                sha256=item.document_sha256))
        duplicate_of = records.find_duplicate(connection, occurrence_id, item)
        evidence_id = None
        if duplicate_of is None:
            evidence_id = records.insert_evidence(connection, occurrence_id, item, actor=submitted_by or actor,
                                                  now=moment)
            records.refresh_delivery(connection, occurrence_id, moment)
            details = {"evidence": evidence_id, **item.__dict__, **({"submitted_by": submitted_by} if submitted_by else {})}
            records.audit(connection, actor=actor, action="evidence", subject=f"occurrence/{occurrence_id}",
                          details=details, at=moment)
        status_row = self._status_rows(connection, moment, where="o.id = :id", params={"id": occurrence_id})[0]
        return RecordResult(
            occurrence_id=occurrence_id, evidence_id=evidence_id, window_start=status_row.window_start,
            window_end=status_row.window_end, delivered=status_row.delivered, at_least=status_row.at_least,
            status=status_row.status, duplicate_of=duplicate_of, occurred_at=occurred.astimezone(tz),
        )

    def record_feed_item(self, obligation: str, unit: str, *, link: str, title: str | None, published: dt.datetime,
                         reason: str, dry_run: bool = False, actor: str = "feed",
                         now: dt.datetime | None = None) -> FeedRecord:
        """Record an article read from a feed as evidence (source `feed`) of `unit`'s duty `obligation`
        (PLAN/OBLIGATION), with its title as the note and `reason` (JSON: why it matched) kept with it.
        It goes to the occurrence whose window contains `published` (in the plan's timezone), or, after the
        duty's last window (a `once` duty's ends on its deadline), to the last one before it
        (`feed_evidence.window_of`), when that one is open or overdue (an article after the deadline makes
        it done late). A link the duty already has,
        in any period, withdrawn or not, is not recorded again (see `feed_evidence`), nor one a coordinator
        dismissed for `unit` in the triage list (a person's decision, as a withdrawal is). A date in the
        future (a feed's clock or timezone wrong) counts as now. `dry_run`: the same answer, nothing written."""
        moment = now or utc_now()
        item = normalised(EvidenceInput(kind="link", link=link, note=title, occurred_at=min(published, moment),
                                        source="feed", match_reason=reason))
        assert item.link is not None and item.occurred_at is not None  # a link item, dated above
        with self.transaction(read_only=dry_run) as connection:
            obligation_id, _plan_id, tz = self._resolve_obligation(connection, obligation)
            self._check_unit(connection, unit)
            rows = feed_evidence.lock_duty(connection, obligation_id, unit, lock=not dry_run)
            occurred = item.occurred_at.astimezone(tz)
            found = feed_evidence.recorded_link(connection, [r["id"] for r in rows], item.link)
            if found is not None:
                evidence_id, occurrence_id = found
                return self._feed_record(connection, FeedOutcome.ALREADY, occurred, occurrence_id, moment,
                                         evidence_id=evidence_id)
            if triage.dismissed_link(connection, "feed", {link, item.link}, unit):
                return FeedRecord(FeedOutcome.DISMISSED, occurred)  # as a withdrawn match, it never comes back
            row = feed_evidence.window_of(rows, occurred.date())
            if row is None:
                return FeedRecord(FeedOutcome.NO_OPEN_DUTY, occurred)
            current = self._status_rows(connection, moment, where="o.id = :id", params={"id": row["id"]})[0]
            if current.status not in feed_evidence.OPEN_STATUSES or dry_run:
                outcome = FeedOutcome.RECORDED if current.status in feed_evidence.OPEN_STATUSES else FeedOutcome.NO_OPEN_DUTY
                return FeedRecord(outcome, occurred, current.id, current.window_start, current.window_end, current.status)
            result = self._record_evidence(connection, obligation, unit, item, on=None, occurrence_id=row["id"],
                                           actor=actor, moment=moment)
            if result.evidence_id is None:  # the unique index's twin, under the same lock: cannot happen
                return self._feed_record(connection, FeedOutcome.ALREADY, occurred, row["id"], moment,
                                         evidence_id=result.duplicate_of)
            return FeedRecord(FeedOutcome.RECORDED, occurred, result.occurrence_id, result.window_start,
                              result.window_end, result.status, result.evidence_id)

    def feed_holder(self, obligation: str, units: Sequence[str], day: dt.date) -> str | None:
        """Which of `units` (a lead and its successors, in order) holds `obligation`'s (PLAN/OBLIGATION) occurrence
        that an article of `day` (the plan's timezone) would go to: the occurrence's holder, by its deadline
        (see `feed_evidence.holder_at`). None when none of theirs is there or the obligation is not synced."""
        with self.transaction(read_only=True) as connection:
            try:
                obligation_id, _plan_id, _tz = self._resolve_obligation(connection, obligation)
            except LedgerError:
                return None
            return feed_evidence.holder_at(connection, obligation_id, units, day)

    def _feed_record(self, connection: Connection, outcome: FeedOutcome, occurred: dt.datetime, occurrence_id: int,
                     moment: dt.datetime, *, evidence_id: int | None) -> FeedRecord:
        current = self._status_rows(connection, moment, where="o.id = :id", params={"id": occurrence_id})[0]
        return FeedRecord(outcome, occurred, occurrence_id, current.window_start, current.window_end, current.status,
                          evidence_id)

    def evidence(self, *, plans: Iterable[str] = (), units: Iterable[str] = (),
                 occurrence_id: int | None = None) -> list[EvidenceItem]:
        """Recorded items, withdrawn ones included (with who, when and why), by date then id.
        `units` takes units or groups as `statuses` does."""
        with self.transaction(read_only=True) as connection:
            where, params = self._filters(connection, plans, units)
            if occurrence_id is not None:
                if connection.execute(select(col(t.OccurrenceRow.id)).where(col(t.OccurrenceRow.id) == occurrence_id)).first() is None:
                    raise LedgerError(_("no occurrence #{occurrence}").format(occurrence=occurrence_id))
                where.append("o.id = :occurrence")
                params["occurrence"] = occurrence_id
            return self._evidence_rows(connection, " AND ".join(where) or "1 = 1", params)

    def recent_evidence(self, *, sources: Iterable[str], since: dt.datetime, plans: Iterable[str] = (),
                        units: Iterable[str] = (), province: str | None = None, limit: int = 50) -> list[EvidenceItem]:
        """The items of these sources (e.g. what recorded itself: feed, zalo, email) recorded at `since` or
        later, the newest recorded first, withdrawn ones included; `plans`, `units` and `province` select as
        in `statuses`."""
        with self.transaction(read_only=True) as connection:
            where, params = self._filters(connection, plans, units, province)
            where += ["e.source IN :sources", "e.recorded_at >= :since"]
            params.update(sources=sorted(set(sources)) or [""], since=to_db(since), limit=int(limit))
            return self._evidence_rows(connection, " AND ".join(where), params,
                                       order="e.recorded_at DESC, e.id DESC LIMIT :limit")

    def withdraw_evidence(self, evidence_id: int, reason: str, *, actor: str | None = None,
                          now: dt.datetime | None = None) -> WithdrawResult:
        """Withdraw one item (it is never deleted): from now on it no longer counts, and its
        occurrence's delivered count and `met_at` are recomputed; replays of the moments it was in
        the ledger (from its recording to now) still count it. Written to the audit log."""
        moment = now or utc_now()
        reason = required_text(reason, "reason", _("withdrawing evidence needs a reason (--reason)"))
        actor = optional_text(actor, "actor")
        with self.transaction() as connection:
            occurrence_id = connection.execute(
                select(col(t.EvidenceRow.occurrence_id)).where(col(t.EvidenceRow.id) == evidence_id)
            ).scalar_one_or_none()
            if occurrence_id is None:
                raise LedgerError(_("no evidence #{evidence}").format(evidence=evidence_id))
            records.lock_occurrence(connection, occurrence_id)  # before reading it: two clerks queue here
            item = self._evidence_rows(connection, "e.id = :evidence", {"evidence": evidence_id})[0]
            if item.withdrawn:
                by = _(" by {person}").format(person=item.withdrawn_by) if item.withdrawn_by else ""
                raise LedgerError(_("evidence #{evidence} was already withdrawn at {time} on {date}{by} (reason: {reason})").format(
                    evidence=evidence_id, time=f"{item.withdrawn_at:%H:%M}", date=f"{item.withdrawn_at:%d/%m/%Y}", by=by,
                    reason=item.withdraw_reason))
            if moment < item.recorded_at:
                raise LedgerError(_("evidence #{evidence} was recorded at {time} on {date}, after the moment of withdrawal").format(
                    evidence=evidence_id, time=f"{item.recorded_at:%H:%M}", date=f"{item.recorded_at:%d/%m/%Y}"))
            if not records.withdraw_evidence(connection, evidence_id, reason, actor=actor, now=moment):
                raise LedgerError(_("evidence #{evidence} has just been withdrawn").format(evidence=evidence_id))
            records.refresh_delivery(connection, occurrence_id, moment)
            records.audit(connection, actor=actor, action="withdraw", subject=f"occurrence/{occurrence_id}",
                          details={"evidence": evidence_id, "reason": reason, "kind": item.kind, "value": item.value,
                                   "occurred_at": item.occurred_at}, at=moment)
            item = self._evidence_rows(connection, "e.id = :evidence", {"evidence": evidence_id})[0]
            status_row = self._status_rows(connection, moment, where="o.id = :id", params={"id": occurrence_id})[0]
        return WithdrawResult(item=item, delivered=status_row.delivered, at_least=status_row.at_least,
                              status=status_row.status)

    def _evidence_rows(self, connection: Connection, where: str, params: dict, *,
                       order: str = "e.occurred_at, e.id") -> list[EvidenceItem]:
        rows = connection.execute(
            text(
                "SELECT e.id, e.occurrence_id, ob.plan_id, ob.code, ob.title, o.unit_id, o.window_start, o.window_end,"
                " e.kind, e.link, e.document, e.quantity, e.note, e.source, e.occurred_at, e.recorded_at, e.recorded_by,"
                " e.withdrawn_at, e.withdrawn_by, e.withdraw_reason, e.document_sha256, e.match_reason, p.timezone"
                " FROM evidence e JOIN occurrence o ON o.id = e.occurrence_id JOIN obligation ob ON ob.id = o.obligation_id"
                " JOIN plan p ON p.id = ob.plan_id"
                f" WHERE {where} ORDER BY {order}"
            ).bindparams(*_expanding(params)),
            params,
        ).mappings().all()

        @overload
        def local(value: dt.datetime | str, tz: ZoneInfo) -> dt.datetime: ...
        @overload
        def local(value: None, tz: ZoneInfo) -> None: ...
        def local(value: dt.datetime | str | None, tz: ZoneInfo) -> dt.datetime | None:
            return from_db(value).astimezone(tz) if value is not None else None

        return [
            EvidenceItem(
                id=r["id"], occurrence_id=r["occurrence_id"], plan=r["plan_id"], obligation=r["code"], title=r["title"],
                unit=r["unit_id"], window_start=_as_date(r["window_start"]), window_end=_as_date(r["window_end"]),
                kind=r["kind"], link=r["link"], document=r["document"], quantity=r["quantity"], note=r["note"],
                source=r["source"], occurred_at=local(r["occurred_at"], ZoneInfo(r["timezone"])),
                recorded_at=local(r["recorded_at"], ZoneInfo(r["timezone"])), recorded_by=r["recorded_by"],
                withdrawn_at=local(r["withdrawn_at"], ZoneInfo(r["timezone"])), withdrawn_by=r["withdrawn_by"],
                withdraw_reason=r["withdraw_reason"], document_sha256=r["document_sha256"],
                match_reason=r["match_reason"],
            )
            for r in rows
        ]

    def _resolve_obligation(self, connection: Connection, ref: str) -> tuple[int, str, ZoneInfo]:
        plan_id, _slash, code = ref.rpartition("/")
        query = (
            select(col(t.ObligationRow.id), col(t.ObligationRow.plan_id), col(t.PlanRow.timezone))
            .join(t.PlanRow, col(t.PlanRow.id) == col(t.ObligationRow.plan_id))
            .where(col(t.ObligationRow.code) == code)
        )
        if plan_id:
            query = query.where(col(t.ObligationRow.plan_id) == plan_id)
        found = connection.execute(query).all()
        if not found:
            known = [f"{p}/{c}" for p, c in connection.execute(select(col(t.ObligationRow.plan_id), col(t.ObligationRow.code)))]
            known += [k.split("/", 1)[1] for k in known]
            raise LedgerError(_("unknown obligation '{obligation}'{suggestion}").format(obligation=ref, suggestion=_suggest(ref, known)))
        if len(found) > 1:
            options = ", ".join(f"{p}/{code}" for _id, p, _tz in found)
            raise LedgerError(_("obligation '{obligation}' is in several plans: write one of {options}").format(
                obligation=code, options=options))
        obligation_id, plan_id, tz = found[0]
        assert obligation_id is not None  # a primary key, read back
        return obligation_id, plan_id, ZoneInfo(tz)

    def _check_unit(self, connection: Connection, unit: str) -> None:
        known = set(connection.execute(select(col(t.UnitRow.id))).scalars()) | set(connection.execute(select(col(t.GroupRow.id))).scalars())
        if unit not in known:
            raise LedgerError(_("unknown unit '{unit}'{suggestion}").format(unit=unit, suggestion=_suggest(unit, known)))

    def _occurrence_for(self, connection: Connection, obligation_id: int, unit: str, day: dt.date, tz: ZoneInfo) -> int:
        rows = connection.execute(
            text(
                "SELECT id, window_start, window_end FROM occurrence WHERE obligation_id = :obligation"
                " AND id IN (SELECT occurrence_id FROM occurrence_holder WHERE unit_id = :unit)"
                # a window the plan still implies before an orphaned one
                " ORDER BY CASE WHEN orphaned_at IS NULL THEN 0 ELSE 1 END, window_start"
            ),
            {"obligation": obligation_id, "unit": unit},
        ).all()
        for occurrence_id, start, end in rows:
            if _as_date(start) <= day <= _as_date(end):
                return occurrence_id
        if not rows:
            raise LedgerError(_("{unit} has no such duty in the ledger (is it the lead unit? run `commplan sync`)").format(unit=unit))
        nearest = sorted(rows, key=lambda r: (min(abs((_as_date(r[1]) - day).days), abs((_as_date(r[2]) - day).days)), r[1]))[:2]
        windows = "; ".join(f"#{r[0]} {_as_date(r[1]):%d/%m/%Y}–{_as_date(r[2]):%d/%m/%Y}" for r in sorted(nearest, key=lambda r: r[1]))
        raise LedgerError(_("no window contains {date}; the nearest are {windows} (choose one with --occurrence ID)").format(
            date=f"{day:%d/%m/%Y}", windows=windows))

    # ------------------------------------------------------------ triage (see `triage`)

    def add_triage(self, item: TriageInput, *, now: dt.datetime | None = None) -> int | None:
        """Put an item that fits no single duty in the triage list; its id, or None when the same
        (source, external id) is already there (open or closed: it is never added twice)."""
        moment = now or utc_now()
        if item.source not in triage.SOURCES or item.why not in triage.WHY or item.kind not in triage.KINDS:
            raise LedgerError(_("invalid triage item: source {source}, why {why}, kind {kind}").format(
                source=item.source, why=item.why, kind=item.kind))
        if item.received_at.tzinfo is None:
            raise LedgerError(_("the date of the evidence needs a timezone"))
        # a sender is an email address (up to 254 characters) or a feed's address: the link's limit, not a name's
        item = replace(item, text=optional_text(item.text, "note"), sender=optional_text(item.sender, "link"))
        with self.transaction() as connection:
            added = triage.add(connection, item, moment)
            if added is not None:
                records.audit(connection, actor=item.source, action="triage-added", subject=f"triage/{added}",
                              details={"why": item.why, "unit": item.unit_id, "external_id": item.external_id},
                              at=moment)
            return added

    def triage_items(self, *, units: Collection[str] | None = None, include_unowned: bool = True,
                     open_only: bool = True, limit: int = 200) -> list[TriageItem]:
        """Items waiting (or all, `open_only=False`), newest first: of `units` (None: every unit's), and those
        of no unit when `include_unowned` (administrators only: an unknown sender with no thread)."""
        with self.transaction(read_only=True) as connection:
            return triage.listed(connection, units=units, include_unowned=include_unowned, open_only=open_only,
                                 limit=limit)

    def triage_count(self, *, units: Collection[str] | None = None, include_unowned: bool = True) -> int:
        """How many items wait, selected as `triage_items` selects them."""
        with self.transaction(read_only=True) as connection:
            return triage.count_open(connection, units=units, include_unowned=include_unowned)

    def triage_with_document(self, sha256: str) -> list[TriageItem]:
        """The triage items, open or closed, that carry this uploaded document (whom it may be served to)."""
        with self.transaction(read_only=True) as connection:
            return triage.with_document(connection, sha256)

    def triage_item(self, triage_id: int) -> TriageItem | None:
        if not _row_id(triage_id):
            return None
        with self.transaction(read_only=True) as connection:
            return triage.get(connection, triage_id)

    def open_triage_for(self, source: str, sender: str) -> TriageItem | None:
        """The newest open "several duties could fit" item of a sender: what a numbered answer ("2") resolves."""
        with self.transaction(read_only=True) as connection:
            return triage.newest_open(connection, source, sender, "ambiguous")

    def triage_question_for(self, source: str, sender: str, *, answered_by: str) -> TriageItem | None:
        """The question a sender's numbered answer ("2") is about: its newest "several duties could fit" item,
        open or settled by a coordinator (then the number records nothing); those it answered itself
        (`answered_by`, its actor) are passed over, so a second number answers the question before."""
        with self.transaction(read_only=True) as connection:
            return triage.newest_question(connection, source, sender, "ambiguous", answered_by)

    def assign_triage(self, triage_id: int, occurrence_id: int, *, actor: str | None,
                      now: dt.datetime | None = None) -> RecordResult:
        """Record a triage item as evidence of an occurrence (its source kept, "assigned from triage" added to
        why it matched) and close it, in one transaction. The occurrence must be held by the item's unit, when
        it has one; a closed item raises LedgerError."""
        moment = now or utc_now()
        actor = optional_text(actor, "actor")
        with self.transaction() as connection:
            item = triage.get(connection, triage_id, lock=True) if _row_id(triage_id) else None
            if item is None:
                raise LedgerError(_("no triage item #{item}").format(item=triage_id))
            if not item.open:
                raise LedgerError(_("triage item #{item} was already handled").format(item=triage_id))
            row = records.lock_occurrence(connection, occurrence_id) if _row_id(occurrence_id) else None
            if row is None:
                raise LedgerError(_("no occurrence #{occurrence}").format(occurrence=occurrence_id))
            holders = row["holders"].split()
            unit = item.unit_id if item.unit_id is not None else holders[0]
            if unit not in holders and unit != row["unit_id"]:
                raise LedgerError(_("occurrence #{occurrence} is not a duty of {unit}").format(
                    occurrence=occurrence_id, unit=unit))
            plan_id, code = connection.execute(
                select(col(t.ObligationRow.plan_id), col(t.ObligationRow.code))
                .where(col(t.ObligationRow.id) == row["obligation_id"])).one()
            reason = {**(json.loads(item.match_reason) if item.match_reason else {}),
                      "triage": triage_id, "assigned_by": actor}
            evidence = normalised(EvidenceInput(
                kind=item.kind, link=item.link, document=item.document, document_sha256=item.document_sha256,
                quantity=item.quantity, note=item.text, occurred_at=min(item.received_at, moment),
                source=item.source, match_reason=json.dumps(reason, ensure_ascii=False, sort_keys=True)))
            result = self._record_evidence(connection, f"{plan_id}/{code}", unit, evidence, on=None,
                                           occurrence_id=occurrence_id, actor=actor, moment=moment)
            if not triage.close(connection, triage_id, outcome="assigned", reason=None, actor=actor,
                                evidence_id=result.evidence_id or result.duplicate_of, now=moment):
                raise LedgerError(_("triage item #{item} was already handled").format(item=triage_id))
            records.audit(connection, actor=actor, action="triage-assigned", subject=f"triage/{triage_id}",
                          details={"occurrence": occurrence_id, "evidence": result.evidence_id}, at=moment)
            return result

    def dismiss_triage(self, triage_id: int, reason: str, *, actor: str | None,
                       now: dt.datetime | None = None) -> None:
        """Close a triage item without recording anything; it stays listed as dismissed, with the reason."""
        moment = now or utc_now()
        reason = required_text(reason, "reason", _("dismissing an item needs a reason"))
        actor = optional_text(actor, "actor")
        with self.transaction() as connection:
            if not _row_id(triage_id) or triage.get(connection, triage_id, lock=True) is None:
                raise LedgerError(_("no triage item #{item}").format(item=triage_id))
            if not triage.close(connection, triage_id, outcome="dismissed", reason=reason, actor=actor,
                                evidence_id=None, now=moment):
                raise LedgerError(_("triage item #{item} was already handled").format(item=triage_id))
            records.audit(connection, actor=actor, action="triage-dismissed", subject=f"triage/{triage_id}",
                          details={"reason": reason}, at=moment)

    def claim_inbound(self, source: str, external_id: str, *, received_at: dt.datetime,
                      now: dt.datetime | None = None, pending: str | None = None) -> bool:
        """Note an inbound message (a Zalo event, an email) as handled: False when it already was, so a
        retried webhook or a mailbox read twice records nothing again. `pending`: the message itself, kept
        until `note_inbound` says what came of it, for `take_pending_inbound` if its handler dies first."""
        moment = now or utc_now()
        with self.transaction() as connection:
            return triage.claim_inbound(connection, source, external_id, received_at=received_at, now=moment,
                                        pending=pending)

    def take_pending_inbound(self, source: str, *, seen_before: dt.datetime, limit: int = 20) -> list[str]:
        """The kept messages of claims whose handling never noted an outcome (the process stopped), claimed
        before `seen_before`; each is handed to one caller only (marked "retrying")."""
        with self.transaction() as connection:
            return triage.take_pending(connection, source, seen_before=seen_before, limit=limit)

    def note_inbound(self, source: str, external_id: str, outcome: str, detail: str | None = None) -> None:
        """What came of an inbound message (recorded, triage, reply-failed …), for whoever studies it later."""
        with self.transaction() as connection:
            triage.note_inbound(connection, source, external_id, outcome, detail)

    def inbound_outcome(self, source: str, external_id: str) -> tuple[str | None, str | None] | None:
        with self.transaction(read_only=True) as connection:
            return triage.inbound_outcome(connection, source, external_id)

    # ------------------------------------------------------------ figures

    def record_figure(self, plan: str | None, indicator: str, unit: str, period: Period, value: Decimal | int, *,
                      note: str | None = None, source: str = "cli", actor: str | None = None,
                      now: dt.datetime | None = None) -> FigureRow:
        """Record a unit's figure for an indicator and a period, checked against the synced plan (see
        `figures.check`; FigureError says what is wrong). The same figure again (same value and note) writes
        nothing (`unchanged`); another value is a correction: the next version, which counts from now on.
        `plan` None: the plan with this indicator (the one `unit` reports it in, if several)."""
        moment = now or utc_now()
        with self.transaction() as connection:
            return self._record_figure(connection, plan, indicator, unit, period, value, note=note, source=source,
                                       actor=actor, moment=moment)

    def import_figures(self, entries: Iterable[FigureEntry], *, skip_bad_rows: bool = False,
                       dry_run: bool = False, source: str = "import", actor: str | None = None,
                       now: dt.datetime | None = None) -> FigureImport:
        """Record many figures in one transaction: every entry is checked, and a problem is kept with its
        row; with problems and no `skip_bad_rows`, or on a `dry_run`, nothing is written."""
        moment = now or utc_now()
        recorded: list[FigureRow] = []
        problems: list[figures.RowProblem] = []

        class Undo(Exception):
            pass

        try:
            with self.transaction() as connection:
                for entry in entries:
                    try:
                        recorded.append(self._record_figure(
                            connection, entry.plan, entry.indicator, entry.unit, entry.period, entry.value,
                            note=entry.note, source=source, actor=actor, moment=moment))
                    except figures.FigureError as error:
                        problems.append(figures.RowProblem(entry.row, error.field, str(error)))
                if dry_run or (problems and not skip_bad_rows):
                    raise Undo  # rolls the transaction back
        except Undo:
            return figures.FigureImport(tuple(recorded), tuple(problems), written=False)
        return figures.FigureImport(tuple(recorded), tuple(problems), written=True)

    def _record_figure(self, connection: Connection, plan: str | None, indicator: str, unit: str, period: Period,
                       value: Decimal | int, *, note: str | None, source: str, actor: str | None,
                       moment: dt.datetime) -> FigureRow:
        if source not in figures.SOURCES:
            raise LedgerError(_("unknown source '{source}' ({choices})").format(
                source=source, choices=", ".join(figures.SOURCES)))
        try:
            note = optional_text(note, "note")
        except LedgerError as error:
            raise figures.FigureError(str(error), "note") from None
        actor = optional_text(actor, "actor")
        facts, found = figures.resolve(connection, plan, indicator, unit)
        number = figures.check(connection, facts, found, unit, period, value, moment)
        before = figures.current(connection, facts.id, found.id, unit, period.label)
        if before is not None and before.value == number and before.note == note:
            return replace(before, unchanged=True)
        if before is not None and moment < before.recorded_at:
            raise figures.FigureError(_("the figure in force was recorded at {time} on {date}, after this moment")
                                      .format(time=f"{before.recorded_at.astimezone(DEFAULT_TZ):%H:%M}",
                                              date=f"{before.recorded_at.astimezone(DEFAULT_TZ):%d/%m/%Y}"), "")
        version = before.version + 1 if before else 1
        figures.insert_figure(connection, facts.id, found.id, unit, period, number, note, source, actor, moment, version)
        details: dict[str, Any] = {"value": str(number), "version": version, "source": source,
                                   **({"note": note} if note else {})}
        if before is not None:
            details["previous"] = str(before.value)
        records.audit(connection, actor=actor, action="figure" if before is None else "figure-correct",
                      subject=f"figure/{facts.id}/{found.id}/{unit}/{period.label}", details=details, at=moment)
        return FigureRow(plan=facts.id, indicator=found.id, unit=unit, period=period, value=number, note=note,
                         recorded_at=moment, recorded_by=actor, version=version, source=source)

    def figures(self, plan: str, *, indicators: Iterable[str] = (), units: Iterable[str] = (),
                periods: Iterable[Period | str] = (), until: dt.datetime | None = None) -> list[FigureRow]:
        """The figures of a plan as they stood at `until` (default: now): the latest version of each
        (indicator, unit, period) recorded at or before it, by period start, kind, indicator and unit.
        `units` takes groups too (their members); `periods` Periods or labels (2021-W47)."""
        labels = sorted({p.label if isinstance(p, Period) else str(p).strip().upper() for p in periods})
        with self.transaction(read_only=True) as connection:
            figures.plan_facts(connection, plan)
            wanted = list(units)
            if wanted:
                wanted = figures.expand(wanted, figures.members(connection)) + wanted
            return figures.latest(connection, plan, indicators=sorted(set(indicators)), units=sorted(set(wanted)),
                                  periods=labels, until=until)

    def figure_history(self, plan: str, indicator: str, unit: str, period: Period | str) -> list[FigureRow]:
        """Every version of one figure, the first first (the last one counts)."""
        label = period.label if isinstance(period, Period) else str(period).strip().upper()
        with self.transaction(read_only=True) as connection:
            figures.plan_facts(connection, plan)
            return figures.history(connection, plan, indicator, unit, label)

    def indicators(self, plans: Iterable[str] = ()) -> list[Indicator]:
        """The indicators of these plans (all, without) as last synced, in plan order."""
        with self.transaction(read_only=True) as connection:
            wanted = list(plans)
            for plan in wanted:
                figures.plan_facts(connection, plan)
            return figures.indicators(connection, wanted)

    def indicators_reported_by(self, plan: str, unit: str) -> list[Indicator]:
        """The indicators of a plan whose figures `unit` may record (its `reported_by`, groups expanded, or
        the coordinator's), as last synced, in plan order: what a unit's figures form offers."""
        with self.transaction(read_only=True) as connection:
            facts = figures.plan_facts(connection, plan)
            return [i for i in figures.indicators(connection, [plan]) if unit in figures.reporters(connection, facts, i)]

    # ------------------------------------------------------------ excusals

    def excuse(self, occurrence_id: int, reason: str, *, actor: str | None = None, now: dt.datetime | None = None) -> None:
        moment = now or utc_now()
        if not reason or not reason.strip():
            raise LedgerError(_("an excusal needs a reason"))
        reason = limited(reason.strip(), "reason")
        actor = optional_text(actor, "actor")
        with self.transaction() as connection:
            row = records.lock_occurrence(connection, occurrence_id)
            if row is None:
                raise LedgerError(_("no occurrence #{occurrence}").format(occurrence=occurrence_id))
            if row["excused_at"] is not None:
                raise LedgerError(_("occurrence #{occurrence} is already excused ({reason})").format(
                    occurrence=occurrence_id, reason=row["excuse_reason"]))
            records.excuse(connection, occurrence_id, reason.strip(), actor=actor, now=moment)
            records.audit(connection, actor=actor, action="excuse", subject=f"occurrence/{occurrence_id}",
                          details={"reason": reason.strip()}, at=moment)

    def excuse_many(self, occurrence_ids: Iterable[int], reason: str, *, actor: str | None = None,
                    now: dt.datetime | None = None) -> tuple[list[int], list[int]]:
        """Excuse several occurrences at once (a storm, a dissolution), in one transaction: (excused now,
        already excused and left as they were). An unknown id changes nothing."""
        moment = now or utc_now()
        if not reason or not reason.strip():
            raise LedgerError(_("an excusal needs a reason"))
        reason = limited(reason.strip(), "reason")
        actor = optional_text(actor, "actor")
        excused, skipped = [], []
        with self.transaction() as connection:
            for occurrence_id in dict.fromkeys(occurrence_ids):
                row = records.lock_occurrence(connection, occurrence_id)
                if row is None:
                    raise LedgerError(_("no occurrence #{occurrence}").format(occurrence=occurrence_id))
                if row["excused_at"] is not None:
                    skipped.append(occurrence_id)
                    continue
                records.excuse(connection, occurrence_id, reason, actor=actor, now=moment)
                records.audit(connection, actor=actor, action="excuse", subject=f"occurrence/{occurrence_id}",
                              details={"reason": reason}, at=moment)
                excused.append(occurrence_id)
        return excused, skipped

    def extend(self, occurrence_ids: Iterable[int], to: dt.date | dt.datetime, reason: str, *, actor: str | None = None,
               now: dt.datetime | None = None) -> list[deadlines.Extension]:
        """Move deadlines later (gia hạn), all in one transaction or none: `to` a day (its end, in the plan's
        timezone) or an instant. A sync keeps the new deadline (see `deadlines`)."""
        moment = now or utc_now()
        if not reason or not reason.strip():
            raise LedgerError(_("a deadline extension needs a reason"))
        reason = limited(reason.strip(), "reason")
        actor = optional_text(actor, "actor")
        done = []
        with self.transaction() as connection:
            for occurrence_id in dict.fromkeys(occurrence_ids):
                extension = deadlines.extend(connection, occurrence_id, to, reason, actor=actor, now=moment)
                records.audit(connection, actor=actor, action="extend", subject=f"occurrence/{occurrence_id}",
                              details={"from": extension.previous_due, "to": extension.due, "reason": reason}, at=moment)
                done.append(extension)
        return done

    def unexcuse(self, occurrence_id: int, *, actor: str | None = None, now: dt.datetime | None = None,
                 note: str | None = None) -> str:
        """Revoke the excusal in force; returns its reason. `note`: why (kept in the audit log)."""
        moment = now or utc_now()
        note = optional_text(note, "reason")
        with self.transaction() as connection:
            if records.lock_occurrence(connection, occurrence_id) is None:
                raise LedgerError(_("no occurrence #{occurrence}").format(occurrence=occurrence_id))
            reason = records.revoke_excusal(connection, occurrence_id, actor=actor, now=moment)
            if reason is None:
                raise LedgerError(_("occurrence #{occurrence} is not excused").format(occurrence=occurrence_id))
            records.audit(connection, actor=actor, action="unexcuse", subject=f"occurrence/{occurrence_id}",
                          details={"reason": reason, **({"note": note} if note else {})}, at=moment)
        return reason

    # ------------------------------------------------------------ status

    def statuses(self, *, as_of: dt.datetime | None = None, plans: Iterable[str] = (), units: Iterable[str] = (),
                 only: str | None = None, include_scheduled: bool = False, province: str | None = None,
                 limit: int | None = None) -> list[OccurrenceStatus]:
        """Occurrences with their status at `as_of` (default: now), by deadline; `units` takes units or
        groups (their members), `province` a province's slug (every unit of it); `limit`: the first rows."""
        _check_status(only)
        current = utc_now()
        instant = as_of or current
        with self.transaction(read_only=True) as connection:
            where, params = self._filters(connection, plans, units, province)
            if only == Status.OVERDUE:
                # nothing is ever dated after it was recorded: at or after now, the partial index is exact
                where.append(OVERDUE_NOW if instant >= current else OVERDUE_AT)
            # the overdue terms select exactly the overdue rows: a first page is a LIMIT in SQL
            rows = self._status_rows(connection, instant, where=" AND ".join(where) or "1 = 1", params=params,
                                     limit=limit if only == Status.OVERDUE else None)
        if only:
            rows = [r for r in rows if r.status == only]
        else:
            rows = [r for r in rows if include_scheduled or r.status is not Status.SCHEDULED]
        return rows if limit is None else rows[:limit]

    def overdue_page(self, *, as_of: dt.datetime | None = None, plans: Iterable[str] = (), units: Iterable[str] = (),
                     province: str | None = None, kinds: Iterable[str] = (), channels: Iterable[str] = (),
                     due_from: dt.date | None = None, due_to: dt.date | None = None, offset: int = 0,
                     limit: int = 50) -> tuple[list[overdue.OverdueRow], int]:
        """One page of the occurrences overdue at `as_of` (default now), the most late first (by deadline,
        then id), orphans left out, with how many there are in all. `plans`, `units` and `province` select
        as in `statuses`; `kinds` and `channels` are the obligations' (publish, report...; portal, radio...);
        `due_from`/`due_to` bound the deadline by Vietnam date, both included. The page is a LIMIT/OFFSET
        in SQL along the index of unmet deadlines (see `overdue`)."""
        current = utc_now()
        instant = as_of or current
        with self.transaction(read_only=True) as connection:
            where, params = self._filters(connection, plans, units, province)
            where += [OVERDUE_NOW if instant >= current else OVERDUE_AT, "o.orphaned_at IS NULL"]
            if kinds := sorted(set(kinds)):
                where.append(overdue.KIND_TERM)
                params["kinds"] = kinds
            if channels := sorted(set(channels)):
                where.append(overdue.CHANNEL_TERM)
                params["channels"] = channels
            _due_between(where, params, due_from, due_to)
            params["as_of"] = to_db(instant)
            return overdue.page(connection, where, params, _expanding(params), offset=max(int(offset), 0),
                                limit=max(int(limit), 0))

    def owners_of(self, occurrence_ids: Iterable[int]) -> dict[int, tuple[str, str, tuple[str, ...]]]:
        """(plan, own unit, holders) of each of these occurrences that exists (`Scope.sees_occurrence`
        decides on them)."""
        ids = sorted({int(i) for i in occurrence_ids if _row_id(int(i))})
        with self.transaction(read_only=True) as connection:
            return overdue.owners(connection, ids, _expanding({"ids": ids}))

    def occurrence(self, occurrence_id: int, *, as_of: dt.datetime | None = None) -> OccurrenceStatus | None:
        """One occurrence (orphaned or not) with its status at `as_of` (default now); None if there is none."""
        if not _row_id(occurrence_id):
            return None
        with self.transaction(read_only=True) as connection:
            rows = self._status_rows(connection, as_of or utc_now(), where="o.id = :id", params={"id": occurrence_id})
        return rows[0] if rows else None

    def occurrence_page(self, *, as_of: dt.datetime | None = None, plans: Iterable[str] = (), units: Iterable[str] = (),
                        province: str | None = None, only: str | None = None, due_from: dt.date | None = None,
                        due_to: dt.date | None = None, limit: int = 100, offset: int = 0) -> list[OccurrenceStatus]:
        """One page of occurrences by deadline (then id), orphans left out, selected and cut in SQL:
        `plans`, `units`, `province` as in `statuses`; `only` one status (any, scheduled included);
        deadlines from `due_from` to `due_to`, Vietnam dates, both included."""
        _check_status(only)
        current = utc_now()
        instant = as_of or current
        with self.transaction(read_only=True) as connection:
            where, params = self._filters(connection, plans, units, province)
            where.append("o.orphaned_at IS NULL")
            if only == Status.OVERDUE:  # the partial index, as in `statuses`
                where.append(OVERDUE_NOW if instant >= current else OVERDUE_AT)
            elif only is not None:
                where.append(f"({STATUS_SQL}) = :only")
                params["only"] = only
            _due_between(where, params, due_from, due_to)
            return self._status_rows(connection, instant, where=" AND ".join(where), params=params, limit=limit,
                                     offset=offset)

    def evidence_item(self, evidence_id: int) -> EvidenceItem | None:
        """One recorded item (withdrawn or not), with its occurrence's plan and unit; None if there is none."""
        if not _row_id(evidence_id):
            return None
        with self.transaction(read_only=True) as connection:
            rows = self._evidence_rows(connection, "e.id = :evidence", {"evidence": evidence_id})
        return rows[0] if rows else None

    def plan_numbers(self) -> dict[str, str | None]:
        """Each plan's number as issued (e.g. "12/KH-UBND"), by plan id."""
        with self.transaction(read_only=True) as connection:
            return dict(connection.execute(select(col(t.PlanRow.id), col(t.PlanRow.number))).all())

    def plan_header(self, plan: str) -> tuple[str | None, str]:
        """(number as issued, title) of a plan; LedgerError naming the close ids when there is none."""
        with self.transaction(read_only=True) as connection:
            self._filters(connection, [plan], [])  # refuses an unknown plan, with a suggestion
            number, title = connection.execute(
                select(col(t.PlanRow.number), col(t.PlanRow.title)).where(col(t.PlanRow.id) == plan)).one()
        return number, title

    def obligation_titles(self, plan: str) -> dict[str, str]:
        """The plan's obligations' titles by code (those removed from the plan too)."""
        with self.transaction(read_only=True) as connection:
            query = select(col(t.ObligationRow.code), col(t.ObligationRow.title)).where(col(t.ObligationRow.plan_id) == plan)
            return dict(connection.execute(query).all())

    def compliance_rows(self, plan: str, due_from: dt.date, due_to: dt.date, *,
                        as_of: dt.datetime | None = None) -> list[compliance.ComplianceRow]:
        """Every occurrence of `plan` due from `due_from` to `due_to` (Vietnam dates, both included), orphans
        left out, with its obligation's kind and channel and its status at `as_of` (default now): what the
        compliance report counts (`reports.compliance_report`)."""
        with self.transaction(read_only=True) as connection:
            self._filters(connection, [plan], [])
            params = {"plan": plan, "as_of": to_db(as_of or utc_now()),
                      "due_from": to_db(_moment(due_from, DEFAULT_TZ)),
                      "due_before": to_db(_moment(due_to + dt.timedelta(days=1), DEFAULT_TZ))}
            return compliance.rows(connection, params, _expanding(params))

    # ------------------------------------------------------------ spending

    def record_spending(self, obligation: str, amount: Decimal | str, on: dt.date, *, note: str | None = None,
                        actor: str | None = None, now: dt.datetime | None = None) -> tuple[int, str, str]:
        """Record money spent on an obligation (id, or PLAN/OBLIGATION when several plans have it):
        an exact amount in VND (a Decimal, or text as people write it: "12.500.000đ"), on a day; audited.
        Returns (spending id, plan id, obligation code)."""
        moment = now or utc_now()
        value = amount if isinstance(amount, Decimal) else spending.parse_amount(amount)
        if not value.is_finite() or value <= 0:
            raise LedgerError(_("an amount spent must be more than 0 VND"))
        if not dt.date(1900, 1, 1) <= on <= dt.date(9000, 12, 31):
            raise LedgerError(_("{date}: the year must be between 1900 and 9000").format(date=on.isoformat()))
        text_note = optional_text(note, "note") if note is not None else None
        with self.transaction() as connection:
            obligation_id, plan_id, _tz = self._resolve_obligation(connection, obligation)
            code = obligation.rpartition("/")[2]
            spending_id = spending.record(connection, obligation_id, value, on, text_note, actor=actor, at=moment)
            records.audit(connection, actor=actor, action="spend", subject=f"{plan_id}/{code}",
                          details={"spending": spending_id, "amount": str(value), "on": on,
                                   **({"note": text_note} if text_note else {})}, at=moment)
        return spending_id, plan_id, code

    def spent(self, plan: str, *, until: dt.date | None = None) -> dict[str, Decimal]:
        """The plan's spending summed per obligation code, up to `until` (included; None: all)."""
        with self.transaction(read_only=True) as connection:
            return spending.spent_by_obligation(connection, plan, until)

    def spending_list(self, plan: str) -> list[spending.Spending]:
        """Every amount recorded for the plan, by day."""
        with self.transaction(read_only=True) as connection:
            return spending.listing(connection, plan)

    def report_view(self, occurrence_id: int, unit: str, *, as_of: dt.datetime | None = None) -> ReportView | None:
        """What the report page of `unit`'s link to occurrence #`occurrence_id` shows at `as_of` (default
        now); None when there is no such occurrence or `unit` is neither its own unit nor a holder."""
        if not _row_id(occurrence_id):
            return None
        instant = as_of or utc_now()
        with self.transaction(read_only=True) as connection:
            found = duty(connection, occurrence_id, unit)
            if found is None:
                return None
            status = self._status_rows(connection, instant, where="o.id = :id", params={"id": occurrence_id})[0]
            items = self._evidence_rows(connection, "e.occurrence_id = :id", {"id": occurrence_id})
        return ReportView(duty=found, status=status, evidence=tuple(items))

    def occurrence_view(self, occurrence_id: int, *, as_of: dt.datetime | None = None
                        ) -> coordinator_view.OccurrenceView | None:
        """One occurrence whole, for the coordinator (the caller checks the scope against its holders):
        status at `as_of`, holders, plan, evidence (withdrawn included), excusals and extensions; None if unknown."""
        if not _row_id(occurrence_id):
            return None
        instant = as_of or utc_now()
        with self.transaction(read_only=True) as connection:
            found = coordinator_view.parts(connection, occurrence_id)
            if found is None:
                return None
            status = self._status_rows(connection, instant, where="o.id = :id", params={"id": occurrence_id})[0]
            items = self._evidence_rows(connection, "e.occurrence_id = :id", {"id": occurrence_id})
        return coordinator_view.OccurrenceView(status=status, parts=found, evidence=tuple(items))

    def undelivered(self, *, recipients: Collection[str] | None = None,
                    limit: int = 200) -> list[coordinator_view.Undelivered]:
        """Reminders that ended failed or unknown and were not handed on to a fallback, newest first;
        `recipients`: only those addressed to these units (None: every unit)."""
        with self.transaction(read_only=True) as connection:
            return coordinator_view.undelivered(connection, recipients, limit)

    def calendar_rows(self, *, as_of: dt.datetime, plans: Iterable[str] = (), units: Iterable[str] = (),
                      start: dt.date | None = None, end: dt.date | None = None,
                      province: str | None = None) -> list[dict]:
        """Occurrences for a calendar: status at `as_of`, the SEQUENCE (deadline moves), and when each
        last changed (a sync, evidence, an excusal) for LAST-MODIFIED and the feeds' validators."""
        with self.transaction(read_only=True) as connection:
            where, params = self._filters(connection, plans, units, province)
            where.append("o.orphaned_at IS NULL")
            if start is not None:
                where.append("o.due_at >= :start")
                params["start"] = to_db(_moment(start, DEFAULT_TZ))
            if end is not None:
                where.append("o.due_at < :end")
                params["end"] = to_db(_moment(end + dt.timedelta(days=1), DEFAULT_TZ))
            params["as_of"] = to_db(as_of)
            rows = connection.execute(
                text(
                    "SELECT o.id, ob.plan_id, ob.code, o.unit_id, o.holders, o.window_start, o.due_at, o.at_least,"
                    " COALESCE(o.uid_unit, o.unit_id) AS uid_unit, o.instance,"
                    f" {DELIVERED_SQL} AS delivered, {STATUS_SQL} AS status,"
                    # only ever grows: deadline moves, evidence and its withdrawals, excusals and their revocations
                    " o.sequence + (SELECT COUNT(*) + COUNT(e.withdrawn_at) FROM evidence e WHERE e.occurrence_id = o.id)"
                    " + (SELECT COUNT(*) + COUNT(x.revoked_at) FROM excusal x WHERE x.occurrence_id = o.id) AS sequence,"
                    " o.updated_at,"
                    " (SELECT MAX(COALESCE(e.withdrawn_at, e.recorded_at)) FROM evidence e WHERE e.occurrence_id = o.id)"
                    " AS evidence_at,"
                    " (SELECT MAX(COALESCE(x.revoked_at, x.excused_at)) FROM excusal x WHERE x.occurrence_id = o.id)"
                    " AS excusal_at"
                    " FROM occurrence o JOIN obligation ob ON ob.id = o.obligation_id"
                    f" WHERE {' AND '.join(where)} ORDER BY o.due_at, ob.plan_id, ob.code, o.unit_id"
                ).bindparams(*_expanding(params)),
                params,
            ).mappings().all()
        out = []
        for row in rows:
            changed = [from_db(v) for v in (row["updated_at"], row["evidence_at"], row["excusal_at"]) if v is not None]
            out.append({
                "id": row["id"], "plan": row["plan_id"], "obligation": row["code"], "unit": row["unit_id"],
                "holders": row["holders"].split(), "window_start": _as_date(row["window_start"]),
                "due": from_db(row["due_at"]), "at_least": row["at_least"], "delivered": int(row["delivered"]),
                "status": Status(row["status"]), "sequence": row["sequence"], "changed_at": max(changed),
                "uid_unit": row["uid_unit"], "instance": row["instance"],  # the calendar UID's parts
            })
        return out

    def feed_state(self, *, units: Sequence[str] = (), plans: Sequence[str] = (), within: Iterable[str] = (),
                   start: dt.date, end: dt.date, now: dt.datetime) -> FeedState:
        """How many occurrences a calendar feed shows (deadlines from `start` to `end`, Vietnam dates)
        and the latest moment its content changed at `now`: one aggregate query in a read-only
        transaction, the same selection as `calendar_rows`. `within`: only these plans."""
        with self.transaction(read_only=True) as connection:
            where, params = self._filters(connection, plans, units)
            where += ["ob.plan_id IN :within", "o.due_at < :end"]
            params.update(within=sorted(within), start=to_db(feed_state.midnight(start)),
                          end=to_db(feed_state.midnight(end + dt.timedelta(days=1))), as_of=to_db(now))
            row = connection.execute(
                text(feed_state.feed_state_sql(where, OVERDUE_NOW)).bindparams(*_expanding(params)), params).one()
        count, *stamps = row
        return feed_state.state_of((count, *(from_db(v) if v is not None else None for v in stamps)), end=end, now=now)

    # ------------------------------------------------------------ feed sources (RSS/Atom read by intake)

    def feed_source_state(self, url: str) -> FeedSourceState | None:
        """What the last fetch of the feed at `url` found; None before its first fetch."""
        return self.feed_source_states([url]).get(url)

    def feed_source_states(self, urls: Iterable[str] | None = None) -> dict[str, FeedSourceState]:
        """The state of every feed fetched so far (or of `urls` only), by address."""
        with self.transaction(read_only=True) as connection:
            return feed_sources.read(connection, None if urls is None else set(urls))

    def record_feed_fetch(self, url: str, result: FetchOutcome, now: dt.datetime | None = None, *,
                          fingerprint: str | None = None) -> FeedSourceState:
        """Keep what a fetch of `url` found (see `feed_sources.record`): validators, the time it last worked,
        the failures in a row (one more, or back to 0), and for a full read the matching rules' `fingerprint`
        it was read with; returns the feed's state now."""
        with self.transaction() as connection:
            return feed_sources.record(connection, url, result, now or utc_now(), fingerprint)

    def feed_items_seen(self, links: Iterable[str], now: dt.datetime | None = None, *, keep: bool = True,
                        first_read: Iterable[str] = ()) -> dict[str, ItemSeen]:
        """Each feed item's sighting (by normalised link): when it was first seen (an undated item's date) and
        whether it counts (not when it was in a feed at that feed's first read: `first_read`); see
        `feed_sources.seen`."""
        with self.transaction(read_only=not keep) as connection:
            return feed_sources.seen(connection, set(links), now or utc_now(), keep=keep, first_read=set(first_read))

    def prune_feed_items_seen(self, before: dt.datetime) -> int:
        """Forget the sightings of feed items last seen before `before`; how many."""
        with self.transaction() as connection:
            return feed_sources.prune_seen(connection, before)

    def feed_items_first_seen(self, links: Iterable[str], now: dt.datetime | None = None, *,
                              keep: bool = True) -> dict[str, dt.datetime]:
        """When each undated feed item (by normalised link) was first seen; the ones never seen get `now`,
        kept unless `keep` is false (a preview). See `feed_sources.first_seen`."""
        with self.transaction(read_only=not keep) as connection:
            return feed_sources.first_seen(connection, set(links), now or utc_now(), keep=keep)

    def summary(self, *, as_of: dt.datetime | None = None, plans: Iterable[str] = (),
                units: Iterable[str] = (), province: str | None = None) -> tuple[list[SummaryRow], list[SummaryRow]]:
        """Counts per plan and per unit in every status at `as_of` (default now); orphans left out.
        `units` and `province` select as in `statuses`. Counted in SQL (`summary.status_counts`)."""
        with self.transaction(read_only=True) as connection:
            where, params = self._filters(connection, plans, units, province, by_province=False)
            params["as_of"] = to_db(as_of or utc_now())
            by_unit, by_obligation = summary.status_counts(connection, where, params, province=province is not None,
                                                           bind=_expanding(params))
            plan_of = dict(connection.execute(select(col(t.ObligationRow.id), col(t.ObligationRow.plan_id))).all())
            plan_names = dict(connection.execute(select(col(t.PlanRow.id), col(t.PlanRow.number))).all())
            unit_names = dict(connection.execute(select(col(t.UnitRow.id), col(t.UnitRow.name))).all())
            unit_names.update(connection.execute(select(col(t.GroupRow.id), col(t.GroupRow.name))).all())
        by_plan: dict[str, dict[Status, int]] = {}
        for obligation_id, found in by_obligation.items():
            counts = by_plan.setdefault(plan_of[obligation_id], dict.fromkeys(STATUSES, 0))
            for status, count in found.items():
                counts[status] += count
        return (
            [SummaryRow(k, plan_names.get(k) or k, v) for k, v in sorted(by_plan.items())],
            [SummaryRow(k, unit_names.get(k, k), v) for k, v in sorted(by_unit.items())],
        )

    def transitions(self, since: dt.datetime, until: dt.datetime) -> list[tuple[Status, OccurrenceStatus]]:
        """Occurrences whose status at `until` differs from their status at `since`, each with its
        status before: what a tick reports as changed. Only rows with a date in between can change."""
        with self.transaction(read_only=True) as connection:
            moved = (
                "o.orphaned_at IS NULL AND ("
                " (o.opens_at > :since AND o.opens_at <= :as_of) OR (o.due_at > :since AND o.due_at <= :as_of)"
                f" OR ({MET_AT_SQL} > :since AND {MET_AT_SQL} <= :as_of)"
                # a withdrawn item counts while it is in the ledger: its recording and its withdrawal
                " OR EXISTS (SELECT 1 FROM evidence w WHERE w.occurrence_id = o.id AND w.withdrawn_at IS NOT NULL"
                "   AND ((w.withdrawn_at > :since AND w.withdrawn_at <= :as_of)"
                "   OR (w.recorded_at > :since AND w.recorded_at <= :as_of)))"
                " OR EXISTS (SELECT 1 FROM excusal x"
                "   WHERE x.occurrence_id = o.id AND ((x.excused_at > :since AND x.excused_at <= :as_of)"
                "   OR (x.revoked_at > :since AND x.revoked_at <= :as_of))))"
                f" AND ({STATUS_SQL.replace(':as_of', ':since')}) <> ({STATUS_SQL})"
            )
            after = self._status_rows(connection, until, where=moved, params={"since": to_db(since)})
            before = self._status_rows(
                connection, since, where="o.id IN :ids", params={"ids": [r.id for r in after]}
            ) if after else []
        previous = {r.id: r.status for r in before}
        return [(previous[r.id], r) for r in after]

    def queue_reminders(self, catalog: Catalog, *, as_of: dt.datetime | None = None,
                        now: dt.datetime | None = None) -> ReminderReport:
        """Create the reminder steps due by `as_of` (default now), each once; returns what was queued.
        Refused for a replayed `as_of` (far from the clock): `preview_reminders` shows those."""
        moment = now or utc_now()
        refuse_replay(as_of or moment, _("writes no reminder step"))
        with self.transaction() as connection:
            return queue_reminders(connection, catalog, as_of or moment, moment)

    def preview_reminders(self, catalog: Catalog, *, as_of: dt.datetime) -> list[dict]:
        """The steps a run at `as_of` would queue and then plan (as `outbox.unplanned_reminders` gives
        them), computed by the same code in a transaction that is rolled back: what a dry run or a
        replay shows, writing nothing."""
        replay = clock.is_replay(as_of)
        with self.transaction() as connection:
            queue_reminders(connection, catalog, as_of, as_of)
            steps = outbox.unplanned_reminders(connection, as_of, created_by=as_of if replay else None)
            connection.rollback()
        return steps

    def reminders(self, *, status: str | None = None) -> list[dict]:
        """Reminder steps with their occurrence, for people and for the notifier."""
        with self.transaction(read_only=True) as connection:
            rows = connection.execute(
                text(
                    "SELECT r.id, r.occurrence_id, ob.plan_id, ob.code, ob.title, o.unit_id, r.step, r.recipient,"
                    " r.planned_at, r.status, r.reason, r.created_at, o.due_at FROM reminder r JOIN occurrence o ON o.id = r.occurrence_id"
                    " JOIN obligation ob ON ob.id = o.obligation_id"
                    + (" WHERE r.status = :status" if status else "") + " ORDER BY r.planned_at, r.id"
                ),
                {"status": status} if status else {},
            ).mappings().all()
        return [{**row, "planned_at": from_db(row["planned_at"]), "due_at": from_db(row["due_at"]),
                 "created_at": from_db(row["created_at"])} for row in rows]

    # ------------------------------------------------------------ users, logins and scope (see `users`)

    def add_user(self, login: str, password: str, *, role: str, unit: str | None, display_name: str | None = None,
                 actor: str | None = None, now: dt.datetime | None = None) -> users.User:
        """A new user bound to a unit of the synced directory (an admin may have none); a weak password is refused."""
        moment = now or utc_now()
        display_name = optional_text(display_name, "name")
        users.check_password(password, login)
        with self.transaction(read_only=True) as connection:
            users.check_new_user(connection, login, role, unit)
        hashed = users.hash_password(password)  # slow on purpose: outside the write transaction
        with self.transaction() as connection:
            users.check_new_user(connection, login, role, unit)  # again: someone may have added it meanwhile
            user = users.insert_user(connection, login, display_name, role, unit, hashed, moment)
            records.audit(connection, actor=actor, action="user-add", subject=f"user/{login}",
                          details={"role": role, "unit": unit}, at=moment)
        return user

    def check_new_user(self, login: str, *, role: str, unit: str | None) -> None:
        """LedgerError if `add_user` would refuse this login, role or unit (asked before the password is)."""
        with self.transaction(read_only=True) as connection:
            users.check_new_user(connection, login, role, unit)

    def user(self, login: str) -> users.User | None:
        with self.transaction(read_only=True) as connection:
            found = users.find(connection, login)
        return found[0] if found else None

    def session_user(self, login: str) -> tuple[users.User, str] | None:
        """A user and the fingerprint of their password (`users.fingerprint`): a web session holds it,
        so that a new password ends every session opened with the old one."""
        with self.transaction(read_only=True) as connection:
            found = users.find(connection, login)
        return (found[0], users.fingerprint(found[1])) if found else None

    def all_users(self) -> list[users.User]:
        with self.transaction(read_only=True) as connection:
            return users.all_users(connection)

    def disable_user(self, login: str, *, actor: str | None = None, now: dt.datetime | None = None) -> users.User:
        """A disabled user cannot log in and their API tokens open nothing; the row stays (the audit names it)."""
        return self._set_disabled(login, True, actor, now)

    def enable_user(self, login: str, *, actor: str | None = None, now: dt.datetime | None = None) -> users.User:
        return self._set_disabled(login, False, actor, now)

    def _set_disabled(self, login: str, disabled: bool, actor: str | None, now: dt.datetime | None) -> users.User:
        moment = now or utc_now()
        with self.transaction() as connection:
            user = users.change(connection, login, moment, disabled=disabled)
            records.audit(connection, actor=actor, action="user-disable" if disabled else "user-enable",
                          subject=f"user/{login}", details={}, at=moment)
        return user

    def set_password(self, login: str, password: str, *, actor: str | None = None,
                     now: dt.datetime | None = None) -> users.User:
        moment = now or utc_now()
        users.check_password(password, login)
        with self.transaction(read_only=True) as connection:
            users.required(connection, login)
        hashed = users.hash_password(password)
        with self.transaction() as connection:
            user = users.change(connection, login, moment, password_hash=hashed)
            records.audit(connection, actor=actor, action="user-password", subject=f"user/{login}", details={}, at=moment)
        return user

    def verify_login(self, login: str, password: str, *, remote_addr: str | None = None,
                     now: dt.datetime | None = None) -> users.LoginResult:
        """Check a login, audited in `login_attempt` whatever the outcome. After `users.MAX_FAILURES`
        failures within `users.FAILURE_WINDOW` the login is refused ("locked", the password not even
        checked) until the oldest of them leaves the window; a disabled user is refused.

        The attempt is recorded (as "checking", which counts as a failure) in the same serialised
        transaction that finds the brake off, before the slow verification: parallel guesses each see
        the ones let through before them, so a burst gets no more tries than one guess after another."""
        # no login holds a NUL (`check_new_user`), which PostgreSQL cannot store: such a try is an unknown login
        login = login[:100].replace("\x00", "\ufffd")
        found, attempt_id = None, None
        with self.transaction() as connection:
            users.serialise_login(connection, login)
            moment = now or utc_now()  # read under the lock: an attempt let through before is never in its future
            until = users.locked_until(connection, login, moment)
            if until:
                users.record_attempt(connection, login, "locked", remote_addr, moment)
            else:
                found = users.find(connection, login)
                attempt_id = users.record_attempt(connection, login, users.CHECKING, remote_addr, moment)
        if until:
            return users.LoginResult(outcome="locked", retry_after=until)
        assert attempt_id is not None
        password_ok = users.verify(password, found[1] if found else None)  # argon2: outside any transaction
        if found is None:
            outcome = "unknown"
        elif found[0].disabled:
            outcome = "disabled"
        else:
            outcome = "ok" if password_ok else "bad-password"
        with self.transaction() as connection:
            users.settle_attempt(connection, attempt_id, outcome)
            if outcome == "bad-password":  # the failure that engages the brake says until when
                until = users.locked_until(connection, login, moment)
        return users.LoginResult(outcome=outcome, user=found[0] if found and outcome == "ok" else None,
                                 retry_after=until)

    def login_attempts(self, login: str | None = None, *, limit: int = 100) -> list[users.LoginAttempt]:
        """The latest login attempts (of one login), newest first."""
        with self.transaction(read_only=True) as connection:
            return users.attempts(connection, login, limit)

    def issue_api_token(self, login: str, *, label: str | None = None, actor: str | None = None,
                        now: dt.datetime | None = None) -> users.IssuedToken:
        """A new API token for the user: returned once in clear, stored as its SHA-256."""
        moment = now or utc_now()
        label = optional_text(label, "label")
        with self.transaction() as connection:
            issued = users.issue_token(connection, users.required(connection, login), label, moment)
            records.audit(connection, actor=actor, action="token-issue", subject=f"user/{login}",
                          details={"token": issued.id, "label": label}, at=moment)
        return issued

    def user_for_api_token(self, token: str) -> users.User | None:
        """The (enabled) user a token belongs to; None for an unknown, revoked or malformed token."""
        with self.transaction(read_only=True) as connection:
            return users.user_for_token(connection, token)

    def revoke_api_token(self, token_id: int, *, actor: str | None = None, now: dt.datetime | None = None) -> bool:
        """Whether a token was revoked now (False: unknown, or revoked before)."""
        moment = now or utc_now()
        with self.transaction() as connection:
            done = users.revoke_token(connection, token_id, moment)
            if done:
                records.audit(connection, actor=actor, action="token-revoke", subject=f"token/{token_id}", details={},
                              at=moment)
        return done

    def scope_for(self, user: users.User | str) -> users.Scope:
        """What a user may see: an admin everything; a coordinator or viewer the plans their unit
        coordinates or issues and every unit (and group) of their unit's province."""
        with self.transaction(read_only=True) as connection:
            found = users.required(connection, user) if isinstance(user, str) else user
            return users.scope(connection, found)

    # ------------------------------------------------------------ acknowledgements and report links

    def acknowledge(self, occurrence_id: int, unit: str, by_name: str | None = None, *,
                    now: dt.datetime | None = None) -> acknowledgements.Acknowledgement:
        """"Đã nhận, đang thực hiện" from a unit that owes the occurrence; once per occurrence and unit
        (a repeat returns the first, unchanged)."""
        moment = now or utc_now()
        by_name = optional_text(by_name, "name")
        with self.transaction() as connection:
            row = records.lock_occurrence(connection, occurrence_id)
            if row is None:
                raise LedgerError(_("no occurrence #{occurrence}").format(occurrence=occurrence_id))
            if unit not in (row["unit_id"], *row["holders"].split()):
                raise LedgerError(_("occurrence #{occurrence} is not owed by {unit}").format(
                    occurrence=occurrence_id, unit=unit))
            found, new = acknowledgements.record(connection, occurrence_id, unit, by_name, moment)
            if new:  # the actor is the link's holder: a typed name is what they said, not who they proved to be
                records.audit(connection, actor=f"link:{unit}", action="acknowledge",
                              subject=f"occurrence/{occurrence_id}", details={"unit": unit, "by_name": by_name},
                              at=moment)
        return found

    def acknowledgements_of(self, occurrence_ids: Iterable[int]) -> dict[int, list[acknowledgements.Acknowledgement]]:
        """Each occurrence's acknowledgements, oldest first (an empty list for none)."""
        with self.transaction(read_only=True) as connection:
            return acknowledgements.read(connection, list(dict.fromkeys(occurrence_ids)))

    def revoke_link(self, token: str | None = None, *, occurrence_id: int | None = None, reason: str | None = None,
                    actor: str | None = None, now: dt.datetime | None = None) -> revocations.RevokedLink:
        """Revoke one report link (its token, already checked by the caller), or with `occurrence_id`
        alone every link of that occurrence issued up to now."""
        moment = now or utc_now()
        reason = optional_text(reason, "reason")
        if (token is None) == (occurrence_id is None):
            raise LedgerError(_("revoke either one link or an occurrence's links"))
        with self.transaction() as connection:
            if token is not None:
                digest, subject = users.token_digest(token), "link"
                try:
                    occurrence_id = links.read_unverified(token)[0]
                except links.BadLink as error:
                    raise LedgerError(str(error)) from None
            else:
                assert occurrence_id is not None
                if records.lock_occurrence(connection, occurrence_id) is None:
                    raise LedgerError(_("no occurrence #{occurrence}").format(occurrence=occurrence_id))
                digest, subject = revocations.occurrence_key(occurrence_id), "occurrence-links"
            revoked = revocations.revoke(connection, digest, occurrence_id, by=actor, reason=reason, now=moment)
            if revoked.new:
                records.audit(connection, actor=actor, action="link-revoke", subject=f"{subject}/{occurrence_id}",
                              details={"digest": digest, "reason": reason}, at=moment)
        return revoked

    def link_revoked(self, token: str) -> bool:
        """Whether a report link (already checked with `links.read_report_token`) was revoked."""
        occurrence_id, issued = links.read_unverified(token)
        with self.transaction(read_only=True) as connection:
            return revocations.revoked(connection, token, occurrence_id, issued)

    # ------------------------------------------------------------ uploaded documents (see `documents`)

    def store_document(self, data: bytes, *, name: str | None = None, by: str | None = None,
                       max_bytes: int | None = None, now: dt.datetime | None = None) -> documents.StoredDocument:
        """Store an upload by its SHA-256 (once, however often it comes): PDF, Office documents or images, by
        their first bytes, up to `max_bytes` (default COMMPLAN_UPLOAD_MAX_MB). UploadRefused otherwise."""
        if max_bytes is None:
            from ..settings import get_settings

            max_bytes = get_settings().upload_max_mb * 1_000_000
        media_type = documents.check(data, max_bytes)
        by = optional_text(by, "name")
        with self.transaction() as connection:
            return documents.store(connection, self._documents_folder, data, name=name, by=by, media_type=media_type,
                                   now=now or utc_now())

    def document_uses(self, sha256: str) -> list[documents.DocumentUse]:
        """The evidence items (withdrawn ones included) that are this uploaded document, with their occurrence's
        plan and holders: whom the document may be served to. Empty for an unknown or malformed digest."""
        with self.transaction(read_only=True) as connection:
            return documents.uses(connection, sha256)

    def document(self, sha256: str) -> documents.StoredDocument | None:
        with self.transaction(read_only=True) as connection:
            return documents.describe(connection, sha256)

    def document_content(self, sha256: str) -> bytes | None:
        """The bytes of a stored document (None for an unknown digest). Serve them only to authorised users."""
        with self.transaction(read_only=True) as connection:
            return documents.content(connection, self._documents_folder, sha256)

    @property
    def _documents_folder(self) -> Path | None:
        return documents.folder_of(self.engine.url.database) if self.engine.dialect.name == "sqlite" else None

    # ------------------------------------------------------------ built reports and their mail (see `report_builds`)

    def save_report_build(self, *, kind: str, plan: str, scope: str, period: str, fingerprint: str, title: str,
                          files: Iterable[report_builds.BuiltFile], recipients: Iterable[tuple[str, str]] = (),
                          as_of: dt.datetime, summary: str | None = None, occurrence_id: int | None = None,
                          provinces: Iterable[str] | None = None,
                          now: dt.datetime | None = None) -> tuple[report_builds.ReportBuild, bool]:
        """Keep a build unless its content is the report's newest, and plan its mail to `recipients`:
        (build, whether it is new). `provinces`: those of the units it names (who may read it)."""
        with self.transaction() as connection:
            return report_builds.save(
                connection, self._documents_folder, kind=kind, plan=plan, scope=scope, period=period,
                occurrence_id=occurrence_id, fingerprint=fingerprint, title=title, summary=summary, files=files,
                recipients=recipients, as_of=as_of, now=now or utc_now(), provinces=provinces)

    def report_build(self, build_id: int) -> report_builds.ReportBuild | None:
        with self.transaction(read_only=True) as connection:
            return report_builds.get(connection, build_id)

    def latest_report_builds(self, *, plans: Collection[str] | None = None,
                             kinds: Collection[str] = report_builds.KINDS, units: Collection[str] | None = None,
                             limit: int = 50) -> list[report_builds.ReportBuild]:
        """The newest build of each report, newest first; of `plans` or the forms of `units` when given."""
        with self.transaction(read_only=True) as connection:
            return report_builds.latest(connection, plans=plans, kinds=kinds, units=units, limit=limit)

    def report_build_history(self, build_id: int, *, limit: int = 50) -> list[report_builds.ReportBuild]:
        """Every build of the same report (kind, plan, scope) as `build_id`, newest first."""
        with self.transaction(read_only=True) as connection:
            return report_builds.history(connection, build_id, limit=limit)

    def report_mails(self, build_id: int) -> list[dict]:
        with self.transaction(read_only=True) as connection:
            return report_builds.mails_of(connection, build_id)

    def report_mails_by_build(self, build_ids: Collection[int]) -> dict[int, list[dict]]:
        """The mail of several builds at once (a page listing them): build id → its mails, planned order."""
        with self.transaction(read_only=True) as connection:
            return report_builds.mails_by_build(connection, build_ids)

    def claim_report_mails(self, worker: str, *, now: dt.datetime | None = None, limit: int = 20,
                           lease: dt.timedelta = outbox.LEASE) -> list[report_builds.ClaimedMail]:
        """Mark claims older than `lease` unknown, then claim the due mails (each by compare-and-set)."""
        moment = now or utc_now()
        with self.transaction() as connection:
            report_builds.recover_stale(connection, now=moment, lease=lease)
            return report_builds.claim(connection, worker, now=moment, limit=limit)

    def confirm_report_mail(self, mail_id: int, worker: str, *, outcome: str, error: str | None = None,
                            now: dt.datetime | None = None) -> bool:
        with self.transaction() as connection:
            return report_builds.confirm(connection, mail_id, worker, outcome=outcome, error=error,
                                         now=now or utc_now())

    def release_report_mail(self, mail_id: int, worker: str) -> bool:
        with self.transaction() as connection:
            return report_builds.release(connection, mail_id, worker)

    def pending_report_mails(self) -> int:
        with self.transaction(read_only=True) as connection:
            return report_builds.pending(connection)

    def report_mail_problems(self, since: dt.datetime, until: dt.datetime | None = None) -> list[dict]:
        with self.transaction(read_only=True) as connection:
            return report_builds.problems(connection, since, until)

    # ------------------------------------------------------------ token store (see `tokens`)

    def stored_token(self, provider: str, cipher: tokens.TokenCipher) -> tokens.StoredToken | None:
        """The provider's stored pair, opened with `cipher` (TokenKeyError: sealed under another key)."""
        with self.transaction(read_only=True) as connection:
            return tokens.read(connection, provider, cipher)

    def store_token(self, provider: str, cipher: tokens.TokenCipher, obtain: Callable[[], tokens.TokenPair], *,
                    now: dt.datetime) -> tokens.StoredToken:
        """Store the pair `obtain()` returns (it may ask the provider: it runs inside the write
        transaction, so the new pair is committed before anyone uses it) and return it as stored."""
        with self.transaction() as connection:
            tokens.save(connection, provider, obtain(), now, cipher)
            stored = tokens.read(connection, provider, cipher)
        assert stored is not None  # just written in this transaction
        return stored

    def rotate_token(self, provider: str, cipher: tokens.TokenCipher, *, seen: str | None, now: dt.datetime,
                     early: dt.timedelta, refresh: Callable[[str], tokens.TokenPair]) -> str:
        """The access token to use, rotated exactly once under the row lock: `tokens.rotate` in one
        transaction, committed before the token is returned. `refresh(refresh_token)` asks the
        provider while the lock is held. Raises LookupError (nothing stored), tokens.RefusedBefore,
        tokens.TokenKeyError, or what `refresh` raises (nothing is written then)."""
        with self.transaction() as connection:
            return tokens.rotate(connection, provider, cipher, seen=seen, now=now, early=early, refresh=refresh)

    def note_token_error(self, provider: str, error: str, cipher: tokens.TokenCipher, *,
                         refused: str | None = None) -> None:
        """Record a refused refresh on the stored pair, unless it was replaced meanwhile (`tokens.note_error`)."""
        with self.transaction() as connection:
            tokens.note_error(connection, provider, error, cipher, refused=refused)

    # ------------------------------------------------------------ outbox

    def plan_deliveries(self, compose: Callable[[list[dict]], tuple[list[outbox.NewDelivery], set[int], set[int]]], *,
                        now: dt.datetime | None = None) -> int:
        """Read the steps still to plan, compose their messages (`compose(steps) -> (deliveries,
        planned step ids, dropped step ids)`) and record them, in one transaction under the planning
        lock: two planners never say the same step twice to one address."""
        moment = now or utc_now()
        refuse_replay(moment, _("plans no message"))
        with self.transaction() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text(f"SELECT pg_advisory_xact_lock({outbox.PLAN_LOCK_KEY})"))
            deliveries, planned, dropped = compose(outbox.unplanned_reminders(connection, moment))
            added = outbox.add_deliveries(connection, deliveries, moment)
            outbox.settle_reminders(connection, planned, dropped)
            outbox.expire_unplanned(connection, moment)
            return added

    def claim_deliveries(self, worker: str, *, limit: int = 100, now: dt.datetime | None = None,
                         channels: Iterable[str] = (), windows: Iterable[str] | None = None) -> list[outbox.Claimed]:
        """Claim due deliveries on `channels` whose send window is among `windows` (None: any)."""
        with self.transaction() as connection:
            return outbox.claim(connection, worker, now or utc_now(), limit, channels=list(channels), clock=utc_now(),
                                windows=None if windows is None else list(windows))

    def send_windows(self) -> list[str]:
        """The send windows of the deliveries still to go out: see `outbox.send_windows`."""
        with self.transaction(read_only=True) as connection:
            return outbox.send_windows(connection)

    def touch_delivery(self, delivery_id: int, worker: str) -> bool:
        with self.transaction() as connection:
            return outbox.touch(connection, delivery_id, worker, utc_now())

    def release_deliveries(self, delivery_ids: list[int], worker: str) -> int:
        with self.transaction() as connection:
            return outbox.release(connection, delivery_ids, worker)

    def confirm_delivery(self, delivery_id: int, worker: str, *, outcome: str, error: str | None = None,
                         external_id: str | None = None, now: dt.datetime | None = None) -> bool:
        with self.transaction() as connection:
            return outbox.confirm(connection, delivery_id, worker, now or utc_now(), outcome=outcome, error=error,
                                  external_id=external_id)

    def recover_stale_deliveries(self, idempotent: set[str], *, same_day: AbstractSet[str] = frozenset(),
                                 lease: dt.timedelta = outbox.LEASE, now: dt.datetime | None = None,
                                 windows: Iterable[str] | None = None) -> tuple[int, int]:
        """Claims whose lease ran out on the process clock: see `outbox.recover_stale`."""
        current = utc_now()
        with self.transaction() as connection:
            return outbox.recover_stale(connection, current, idempotent, now=now or current, same_day=same_day,
                                        lease=lease, windows=None if windows is None else list(windows))

    def stamp_message_id(self, delivery_id: int, message_id: str) -> str:
        """The Message-ID an email delivery goes out with: `message_id` on its first send, the stored one on a
        retry (see `mail_replies`)."""
        with self.transaction() as connection:
            return mail_replies.stamp(connection, delivery_id, message_id)

    def reply_thread(self, message_ids: Sequence[str], *, as_of: dt.datetime | None = None
                     ) -> tuple[mail_replies.Thread, list[OccurrenceStatus]] | None:
        """The reminder email a reply answers (the first of `message_ids` naming one: In-Reply-To first, then
        References from the newest) and the status of the occurrences its recipient holds; None if none."""
        moment = as_of or utc_now()
        with self.transaction(read_only=True) as connection:
            thread = mail_replies.thread_of(connection, message_ids)
            if thread is None:
                return None
            statuses = self._status_rows(connection, moment, where="o.id IN :ids",
                                         params={"ids": list(thread.occurrence_ids)}) if thread.occurrence_ids else []
        return thread, statuses

    def delivery_problems(self, since: dt.datetime, until: dt.datetime) -> list[dict]:
        with self.transaction(read_only=True) as connection:
            return outbox.problems(connection, since, until)

    def deliveries(self, *, statuses: Collection[str] = ()) -> list[dict]:
        """The outbox, newest first, with the reminder steps each delivery carries."""
        with self.transaction(read_only=True) as connection:
            query = select(t.table_of(t.DeliveryRow)).order_by(col(t.DeliveryRow.id).desc())
            if statuses:
                query = query.where(col(t.DeliveryRow.status).in_(list(statuses)))
            rows = [dict(r) for r in connection.execute(query).mappings()]
            items: dict[int, list[int]] = {}
            for delivery_id, reminder_id in connection.execute(select(col(t.DeliveryItemRow.delivery_id), col(t.DeliveryItemRow.reminder_id))):
                items.setdefault(delivery_id, []).append(reminder_id)
        for row in rows:
            row["reminder_ids"] = sorted(items.get(row["id"], []))
            for key in ("next_attempt_at", "claimed_at", "sent_at", "created_at", "closed_at"):
                row[key] = from_db(row[key])
        return rows

    def last_tick(self) -> dt.datetime | None:
        """The `as_of` of the latest tick recorded in the audit log (replays are recorded apart, so
        they never move a real tick's "since last tick")."""
        with self.transaction(read_only=True) as connection:
            details = connection.execute(
                select(col(t.AuditRow.details)).where(col(t.AuditRow.action) == "tick").order_by(col(t.AuditRow.id).desc()).limit(1)
            ).scalar_one_or_none()
        return dt.datetime.fromisoformat(json.loads(details)["as_of"]) if details else None

    def record_tick(self, as_of: dt.datetime, details: dict, *, actor: str | None = None,
                    now: dt.datetime | None = None, replay: bool = False) -> None:
        """Note a tick in the audit log; a replay as `replay`, which `last_tick` does not read."""
        with self.transaction() as connection:
            records.audit(connection, actor=actor, action="replay" if replay else "tick", subject="tick",
                          details={"as_of": as_of.isoformat(), **details}, at=now or utc_now())

    # ------------------------------------------------------------ Zalo OA followers (see `zalo_followers`)

    def link_zalo_follower(self, user_id: str, unit: str, contact_key: str, *, now: dt.datetime | None = None) -> None:
        """Link a follower to one contact of `unit` (it sent that contact's signed code): replaces an
        earlier link of the follower or of the contact, and counts as following."""
        moment = now or utc_now()
        with self.transaction() as connection:
            self._check_unit(connection, unit)
            zalo_followers.link(connection, user_id, unit, contact_key, moment)
            records.audit(connection, actor=f"zalo:{user_id}", action="zalo-follower",
                          subject=f"unit/{unit}", details={"contact": contact_key}, at=moment)

    def set_zalo_following(self, user_id: str, following: bool, *, now: dt.datetime | None = None) -> bool:
        """A linked follower followed the OA again (True) or unfollowed it (False: no reminders go there);
        False when the user is linked to no contact."""
        with self.transaction() as connection:
            return zalo_followers.set_following(connection, user_id, following, now or utc_now())

    def zalo_follower(self, user_id: str) -> zalo_followers.Follower | None:
        with self.transaction(read_only=True) as connection:
            return zalo_followers.follower(connection, user_id)

    def following_zalo(self) -> dict[tuple[str, str], str]:
        """(unit, contact key) -> Zalo user id of every linked follower still following the OA."""
        with self.transaction(read_only=True) as connection:
            return zalo_followers.following(connection)

    def last_delivery(self, recipient: str, addresses: Collection[str]) -> zalo_followers.LastDelivery | None:
        """The last reminder message sent to `recipient` at one of a contact's `addresses`, with its occurrences."""
        with self.transaction(read_only=True) as connection:
            return zalo_followers.last_delivery(connection, recipient, addresses)

    def _filters(self, connection: Connection, plans: Iterable[str], units: Iterable[str],
                 province: str | None = None, *, by_province: bool = True) -> tuple[list[str], dict]:
        """WHERE terms on `o` (occurrence) for plans, units or groups, and a province (without
        `by_province`, only checked and bound: the caller selects it, as `summary` does); each unit
        term is an indexed lookup of occurrence_holder, never a scan of occurrence."""
        where: list[str] = []
        params: dict = {}
        plans, units = list(plans), list(units)
        if plans:
            known = set(connection.execute(select(col(t.PlanRow.id))).scalars())
            for plan in plans:
                if plan not in known:
                    raise LedgerError(_("unknown plan '{plan}'{suggestion}").format(plan=plan, suggestion=_suggest(plan, known)))
            where.append("o.obligation_id IN (SELECT pob.id FROM obligation pob WHERE pob.plan_id IN :plans)")
            params["plans"] = plans
        if units:
            for unit in units:
                self._check_unit(connection, unit)
            # held by one of them, or owed jointly with others (a shared duty has a row per holder, and its group's)
            where.append("o.id IN (SELECT h.occurrence_id FROM occurrence_holder h WHERE h.unit_id IN :units)")
            params["units"] = sorted(self._expand_units(connection, units))
        if province is not None:
            self._check_province(connection, province)
            if by_province:
                # by its own unit (an index range per unit), or through its other holders
                where.append(summary.IN_PROVINCE)
            params["province"] = province
        return where, params

    def _check_province(self, connection: Connection, province: str) -> None:
        query = select(col(t.UnitRow.province)).where(col(t.UnitRow.province).is_not(None)).distinct()
        known = {p for p in connection.execute(query).scalars() if p is not None}  # typed str, as filtered
        if province not in known:
            raise LedgerError(_("unknown province '{province}'{suggestion}").format(province=province, suggestion=_suggest(province, known))
                              + ("" if known else _(" (no unit has a province yet: run `commplan sync`)")))

    def provinces(self) -> list[str]:
        """The provinces (slugs) the ledger's units belong to."""
        with self.transaction(read_only=True) as connection:
            query = select(col(t.UnitRow.province)).where(col(t.UnitRow.province).is_not(None)).distinct()
            return sorted(p for p in connection.execute(query).scalars() if p is not None)  # typed str, as filtered

    def _expand_units(self, connection: Connection, units: list[str]) -> set[str]:
        members: dict[str, list[str]] = {}
        for group_id, member_id in connection.execute(select(col(t.GroupMemberRow.group_id), col(t.GroupMemberRow.member_id))):
            members.setdefault(group_id, []).append(member_id)
        out: set[str] = set()
        stack = list(units)
        while stack:
            current = stack.pop()
            if current in out:
                continue
            out.add(current)  # a group id too: shared duties are held by it
            stack.extend(members.get(current, ()))
        return out

    def _status_rows(self, connection: Connection, as_of: dt.datetime, *, where: str, params: dict,
                     limit: int | None = None, offset: int = 0) -> list[OccurrenceStatus]:
        params = {**params, "as_of": to_db(as_of)}
        if limit is not None:
            params["limit"] = int(limit)
        if offset:
            params["offset"] = int(offset)
        rows = connection.execute(
            text(
                "SELECT o.id, ob.plan_id, ob.code, ob.title, o.unit_id, o.window_start, o.window_end, o.due_at,"
                f" o.at_least, {DELIVERED_SQL} AS delivered, {STATUS_SQL} AS status, o.orphaned_at, p.timezone"
                " FROM occurrence o JOIN obligation ob ON ob.id = o.obligation_id JOIN plan p ON p.id = ob.plan_id"
                f" WHERE {where} ORDER BY o.due_at, ob.plan_id, ob.code, o.unit_id, o.id"
                + (" LIMIT :limit" if limit is not None else "") + (" OFFSET :offset" if offset else "")
            ).bindparams(*_expanding(params)),
            params,
        ).all()
        return [
            OccurrenceStatus(
                id=r[0], plan=r[1], obligation=r[2], title=r[3], unit=r[4], window_start=_as_date(r[5]),
                window_end=_as_date(r[6]), due=from_db(r[7]).astimezone(ZoneInfo(r[12])), at_least=r[8],
                delivered=int(r[9]), status=Status(r[10]), orphaned=r[11] is not None,
            )
            for r in rows
        ]


def default_horizon(today: dt.date, years_after: int | None = None) -> dt.date:
    """The end of next year (by default): the rest of this year plus the next."""
    if years_after is None:
        from ..settings import get_settings

        years_after = get_settings().horizon_years
    return dt.date(today.year + years_after, 12, 31)


def _moment(value: dt.date | dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """A date means the start of that day in the plan's timezone; a naive datetime is local too."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    return dt.datetime.combine(value, dt.time(), tzinfo=tz)


def _check_status(only: str | None) -> None:
    if only is not None and only not in STATUSES:
        raise LedgerError(_("unknown status '{status}' ({choices})").format(status=only, choices=", ".join(STATUSES)))


def _check_within_a_year(occurrence_id: int, day: dt.date, start: dt.date, end: dt.date) -> None:
    """A date more than a year from the chosen occurrence's window is a typo, not a late report."""
    if _years_after(day, 1) < start or day > _years_after(end, 1):
        raise LedgerError(
            _("{date} is more than a year from occurrence #{occurrence} ({start}–{end}): check the occurrence "
              "number (--occurrence) or write the real date with --on").format(
                date=f"{day:%d/%m/%Y}", occurrence=occurrence_id, start=f"{start:%d/%m/%Y}", end=f"{end:%d/%m/%Y}")
        )


def _years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _as_date(value: dt.date | str) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _expanding(params: dict) -> list[BindParameter[Any]]:
    """Typed parameters for text() SQL: lists expand to IN (...); datetimes are formatted as the
    columns store them (on SQLite, text compared as text: '…17:00:00' must equal '…17:00:00.000000')."""
    out: list[BindParameter[Any]] = []
    for name, value in params.items():
        if isinstance(value, list):
            out.append(bindparam(name, expanding=True))
        elif isinstance(value, dt.datetime):
            out.append(bindparam(name, type_=DateTime()))
    return out


def _suggest(ident: str, pool: Iterable[str]) -> str:
    close = difflib.get_close_matches(ident, list(pool), n=3, cutoff=0.6)
    return _(" (did you mean {names}?)").format(names=", ".join(repr(c) for c in close)) if close else ""
