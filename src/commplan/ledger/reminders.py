"""Queueing reminder steps: each (occurrence, step, recipient) is created once, by its unique key.

A tick calls this with its instant. Candidates are occurrences not met and
not excused at that instant, whose deadline is near enough for a step to be
due (set-based selection on the indexed deadline: no older than the largest
`stop_after` of the plans). For each, the policy's steps up to the instant
(computed once per duty and deadline, which its holders share) are compared
with those already recorded; new ones
are inserted with ON CONFLICT DO NOTHING, so two ticks at once, a retried
task or a replayed day never create a step twice. A step for an occurrence
that is done, excused or untracked (due before the plan's tracking_from) is
never created, and no step goes to a dissolved unit: an escalation climbs to
the nearest parent that still exists (the coordinator gets it anyway).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, DateTime, bindparam, text

from ..plan.catalog import Catalog
from ..schedule.reminders import ESCALATION, steps_until
from . import tables as t
from .clock import from_db, to_db
from .engine import insert_for
from .status import EXCUSED_AT_SQL, MET_BY_SQL

VN = ZoneInfo("Asia/Ho_Chi_Minh")
LOOKAHEAD = dt.timedelta(days=31)  # the longest "before" step the plans use is well under a month


@dataclass
class ReminderReport:
    queued: int = 0
    skipped: int = 0
    by_plan: dict[str, int] = field(default_factory=dict)  # queued per plan


def queue_reminders(connection: Connection, catalog: Catalog, as_of: dt.datetime, now: dt.datetime) -> ReminderReport:
    policies = {
        (plan.id, o.id): plan.reminders_for(o) for plan in catalog.plans.values() for o in plan.obligations
    }
    coordinators = {plan.id: plan.header.coordinator for plan in catalog.plans.values()}
    parents: dict[str, str | None] = dict(connection.execute(text("SELECT id, parent_id FROM unit")).all())
    digest_until = end_of_day(as_of)
    directory, today = catalog.directory, as_of.astimezone(VN).date()
    # nothing is said past a deadline + its stop_after: older deadlines are not even read
    stop_after = max((p.stop_after.calendar_span() for p in policies.values()), default=dt.timedelta(0))
    params = {
        "as_of": to_db(as_of), "earliest": to_db(as_of - stop_after), "latest": to_db(as_of + LOOKAHEAD),
    }
    candidates = connection.execute(
        text(
            "SELECT o.id, ob.plan_id, ob.code, o.unit_id, o.holders, o.opens_at, o.due_at FROM occurrence o"
            " JOIN obligation ob ON ob.id = o.obligation_id"
            " WHERE o.due_at BETWEEN :earliest AND :latest AND o.opens_at <= :as_of AND o.orphaned_at IS NULL"
            f" AND NOT o.untracked AND {MET_BY_SQL} = 0"
            f" AND NOT {EXCUSED_AT_SQL}"
        ).bindparams(*(bindparam(k, type_=DateTime()) for k in params)),
        params,
    ).all()
    # the holders of one duty share its deadlines (600 communes, one weekly report): one timeline each
    timelines: dict[tuple, list] = {}
    with_steps: list[tuple] = []  # (candidate, its steps so far), for the candidates that have any
    for row in candidates:
        occurrence_id, plan_id, code, _unit_id, holders, opens_at, due_at = row
        policy = policies.get((plan_id, code))
        if policy is None:  # the plan was not part of this catalog
            continue
        steps = timelines.get((plan_id, code, opens_at, due_at))
        if steps is None:
            steps = timelines[plan_id, code, opens_at, due_at] = steps_until(
                policy, from_db(opens_at), from_db(due_at), as_of, digest_until)
        if steps:
            with_steps.append((row, steps))
    if not with_steps:
        return ReminderReport()
    recorded: dict[int, set[tuple[str, str]]] = {}
    ids = [row[0] for row, _ in with_steps]
    for chunk in range(0, len(ids), 5000):
        for occurrence_id, step, recipient in connection.execute(
            text("SELECT occurrence_id, step, recipient FROM reminder WHERE occurrence_id IN :ids")
            .bindparams(bindparam("ids", expanding=True)),
            {"ids": ids[chunk:chunk + 5000]},
        ):
            recorded.setdefault(occurrence_id, set()).add((step, recipient))
    rows: list[dict] = []
    report = ReminderReport()
    for (occurrence_id, plan_id, _code, _unit_id, holders, _opens_at, _due_at), steps in with_steps:
        done = recorded.get(occurrence_id, set())
        holder_units = holders.split()
        # never a dissolved unit: what it still owes is escalated, not reminded to nobody
        audiences = {"holder": [h for h in holder_units if not directory.is_dissolved(h, today)]}
        if any(s.chain == ESCALATION for s in steps):
            # whoever answers for the coordinator or the parent today: its successor (Sở TTTT -> Sở KH&CN in
            # 2025), or, when it is dissolved, the nearest parent up the chain that is not
            audiences[ESCALATION] = sorted({directory.answering_for(u, today) for u in (coordinators.get(plan_id),
                                            *(parents.get(h) for h in holder_units)) if u} - {None} - set(holder_units))
        for chain, recipients in audiences.items():
            chain_steps = [s for s in steps if s.chain == chain]
            for recipient in recipients:
                sent = {step for step, who in done if who == recipient}
                pending = [s for s in chain_steps if s.name not in sent]
                if not pending:
                    continue
                # a step recorded early for the day's digest (planned later today) does not supersede a
                # sub-day step whose time has come ("2h before" after the morning's "due today")
                latest_sent = max((s.planned_at for s in chain_steps if s.name in sent and s.planned_at <= as_of),
                                  default=None)
                for i, step in enumerate(pending):
                    is_latest = i == len(pending) - 1 and (latest_sent is None or step.planned_at > latest_sent)
                    rows.append({
                        "occurrence_id": occurrence_id, "step": step.name, "recipient": recipient,
                        "planned_at": to_db(step.planned_at), "status": "queued" if is_latest else "skipped",
                        "reason": None if is_latest else "superseded by a later step (a tick was missed)",
                        "created_at": to_db(now),
                    })
    plan_of = {row[0]: row[1] for row in candidates}
    for status, occurrence_id in _insert_new(connection, rows) if rows else ():
        if status == "queued":
            report.queued += 1
            plan = plan_of[occurrence_id]
            report.by_plan[plan] = report.by_plan.get(plan, 0) + 1
        else:
            report.skipped += 1
    return report


def end_of_day(moment: dt.datetime) -> dt.datetime:
    """The last instant of `moment`'s day in Vietnam: the day-scale steps of that day join its digest."""
    local = moment.astimezone(VN)
    return dt.datetime.combine(local.date(), dt.time(23, 59, 59, 999999), tzinfo=VN)


def _insert_new(connection: Connection, rows: list[dict]) -> list[tuple[str, int]]:
    """Insert, ignoring steps that exist already (another tick got there first); return
    (status, occurrence id) of the rows this call inserted."""
    table = t.table_of(t.ReminderRow)
    dialect_insert = insert_for(connection)
    inserted: list[tuple[str, int]] = []
    for chunk in range(0, len(rows), 2000):
        statement = dialect_insert(table).on_conflict_do_nothing(
            index_elements=["occurrence_id", "step", "recipient"]
        ).returning(table.c.status, table.c.occurrence_id)
        inserted += [tuple(r) for r in connection.execute(statement, rows[chunk:chunk + 2000]).all()]
    return inserted
