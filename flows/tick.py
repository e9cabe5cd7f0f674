"""The `tick` flow: sync the plans, queue due reminders, evaluate statuses, publish what changed.

Thin: every step is a function of the commplan package. Work is batched (one
set-based sync, one status query), never one task per occurrence.
"""

from __future__ import annotations

import datetime as dt

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from commplan.ledger import Ledger
from commplan.plan import load_catalog
from commplan.tick import changes_markdown, evaluate


@task(retries=3, retry_delay_seconds=[5, 30, 120], task_run_name="sync plans")
def sync_plans(plans: list[str], database: str | None, as_of: dt.datetime) -> dict:
    catalog, _ = load_catalog(plans)  # a plan error fails the run loudly, with every error
    with Ledger.open(database) as ledger:
        report = ledger.sync(catalog, now=as_of, actor="commplan-tick")
    return {**report.__dict__, "waiting": list(report.waiting)}


@task(retries=3, retry_delay_seconds=[5, 30, 120], task_run_name="queue reminders")
def queue_reminders(plans: list[str], database: str | None, as_of: dt.datetime) -> dict:
    """Hand the steps due by `as_of` to the notifier's queue, each once (a retry or a replay adds nothing)."""
    catalog, _ = load_catalog(plans)
    with Ledger.open(database) as ledger:
        report = ledger.queue_reminders(catalog, as_of=as_of)
    return {"queued": report.queued, "skipped": report.skipped, "by_plan": report.by_plan}


@task(retries=3, retry_delay_seconds=[5, 30, 120], task_run_name="send reminders")
def send_reminders(plans: list[str], database: str | None, as_of: dt.datetime) -> dict:
    """Plan one message per recipient and address, and send what is due through the configured
    channels (each delivery claimed and confirmed on its own: a retry never sends twice)."""
    from commplan.notify.setup import notifier_for
    from commplan.settings import get_settings

    catalog, _ = load_catalog(plans)
    with Ledger.open(database) as ledger:
        report = notifier_for(ledger, catalog, get_settings()).run(as_of)
    return {"planned": report.planned, "sent": report.sent, "retried": report.retried, "failed": report.failed,
            "handed_on": report.handed_on, "unknown": report.unknown, "without_address": report.without_address}


@task(retries=2, retry_delay_seconds=[5, 30], task_run_name="evaluate statuses")
def evaluate_statuses(database: str | None, as_of: dt.datetime) -> dict:
    with Ledger.open(database) as ledger:
        report = evaluate(ledger, as_of)
        ledger.record_tick(as_of, {"overdue": sum(p["overdue"] for p in report.by_plan)}, actor="commplan-tick")
    return {
        "as_of": report.as_of.isoformat(),
        "since": report.since.isoformat() if report.since else None,
        "by_plan": report.by_plan,
        "overdue_by_unit": [{**u, "oldest_due": u["oldest_due"].isoformat()} for u in report.overdue_by_unit],
        "changes": len(report.changes),
        "undelivered": len(report.undelivered),
        "markdown": changes_markdown(report),
    }


@task(task_run_name="publish artifacts")
def publish(result: dict) -> None:
    create_table_artifact(
        key="overdue-by-unit",
        table=result["overdue_by_unit"] or [{"unit": "", "name": "Không có đơn vị nào quá hạn", "overdue": 0}],
        description=f"Quá hạn theo đơn vị, đến {result['as_of']}",
    )
    create_markdown_artifact(key="tick-changes", markdown=result["markdown"], description="Thay đổi từ lần chạy trước")


@flow(name="tick", flow_run_name="tick {as_of}")
def tick(as_of: dt.datetime | None = None, plans: list[str] = ["plans/"], database: str | None = None) -> dict:
    """Sync `plans` into the ledger and evaluate it as of `as_of` (default now; a past day replays it).

    `database` overrides COMMPLAN_DATABASE_URL."""
    moment = as_of or dt.datetime.now(dt.timezone.utc)
    if moment.tzinfo is None:
        raise ValueError("as_of needs a timezone (e.g. 2026-02-23T09:00:00+07:00)")
    synced = sync_plans(plans, database, moment)
    reminders = queue_reminders(plans, database, moment)
    reminders["messages"] = send_reminders(plans, database, moment)
    result = evaluate_statuses(database, moment)
    for plan in result["by_plan"]:
        plan["reminders_queued"] = reminders["by_plan"].get(plan["plan"], 0)
    publish(result)
    get_run_logger().info("tick %s: %s new occurrences, %s reminders queued, %s changes", moment.isoformat(),
                          synced["inserted"], reminders["queued"], result["changes"])
    return {"sync": synced, "reminders": reminders, **result}
