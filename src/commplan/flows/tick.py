"""The `tick` flow: sync the plans, queue due reminders and send them, evaluate statuses, build the
ministry's forms of the reports coming due and mail them, publish what changed.

The forms and their mail come after the statuses are evaluated and the tick recorded: each runs on its
own (`return_state=True`), so a step that fails after its retries is reported (in the log, the
markdown artifact and the result's `error`) and the tick still publishes and sends the mail planned.

Thin: every step is a function of the commplan package. Work is batched (one
set-based sync, one status query), never one task per occurrence.

A replay (an `as_of` more than 10 minutes from the clock, see `commplan.clock`)
syncs and evaluates as usual but only previews the reminders, by the dry run's
code: it writes no reminder step or delivery, sends nothing, issues no
report link and builds no form. Its artifacts go under `replay-…` keys and it is recorded in the
audit log as a replay, not a tick, so the next real tick still compares with
the last real one.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.client.schemas.objects import State

from commplan import clock
from commplan.i18n import N_, _
from commplan.intake.feed_health import failing_feeds_markdown
from commplan.ledger import Ledger
from commplan.plan import load_catalog
from commplan.tick import PROBLEM_WINDOW, changes_markdown, evaluate, forms_log, forms_markdown, report_mail_problems

from .parameters import run_moment

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@task(retries=3, retry_delay_seconds=[5, 30, 120], task_run_name="sync plans")
def sync_plans(plans: list[str], database: str | None, as_of: dt.datetime) -> dict:
    """Mirror the plans into the ledger. Stamped on the clock, whatever instant the tick evaluates: a
    replay of 2021 must not date what it writes, nor count "today", in 2021."""
    catalog = load_catalog(plans)[0]  # a plan error fails the run loudly, with every error
    with Ledger.open(database) as ledger:
        report = ledger.sync(catalog, actor="commplan-tick")
    return {**report.__dict__, "waiting": list(report.waiting)}


@task(retries=3, retry_delay_seconds=[5, 30, 120], task_run_name="queue reminders")
def queue_reminders(plans: list[str], database: str | None, as_of: dt.datetime) -> dict:
    """Hand the steps due by `as_of` to the notifier's queue, each once (a retry or a re-run adds nothing)."""
    catalog = load_catalog(plans)[0]
    with Ledger.open(database) as ledger:
        report = ledger.queue_reminders(catalog, as_of=as_of)
    return {"queued": report.queued, "skipped": report.skipped, "by_plan": report.by_plan}


@task(retries=3, retry_delay_seconds=[5, 30, 120], task_run_name="send reminders")
def send_reminders(plans: list[str], database: str | None, as_of: dt.datetime) -> dict:
    """Plan one message per recipient and address, and send what is due through the configured
    channels (each delivery claimed and confirmed on its own: a retry never sends twice)."""
    from commplan.intake.mail_settings import replies_read
    from commplan.notify.setup import notifier_for
    from commplan.settings import get_settings

    catalog = load_catalog(plans)[0]
    settings = get_settings()
    with Ledger.open(database) as ledger:
        report = notifier_for(ledger, catalog, settings, invite_replies=replies_read(settings)).run(as_of)
    return {"planned": report.planned, "sent": report.sent, "retried": report.retried, "failed": report.failed,
            "handed_on": report.handed_on, "unknown": report.unknown, "without_address": report.without_address}


@task(retries=3, retry_delay_seconds=[5, 30, 120], task_run_name="preview reminders")
def preview_reminders(plans: list[str], database: str | None, as_of: dt.datetime) -> dict:
    """A replay's reminders: the steps a tick at `as_of` would queue and the messages it would send,
    composed by the dry run's code in a rolled-back transaction; nothing written, sent or linked."""
    from commplan.intake.mail_settings import replies_read
    from commplan.notify.setup import notifier_for
    from commplan.settings import get_settings

    catalog = load_catalog(plans)[0]
    settings = get_settings()
    with Ledger.open(database) as ledger:
        preview = notifier_for(ledger, catalog, settings, preview=True,
                               invite_replies=replies_read(settings)).preview(as_of)
        names = ledger.unit_names()
    return {
        "queued": 0, "skipped": 0, "by_plan": preview.by_plan(), "steps": len(preview.steps), "quiet": preview.quiet,
        "would_send": [{"recipient": d.recipient, "name": names.get(d.recipient, d.recipient), "channel": d.channel,
                        "address": d.address, "subject": d.subject} for d in preview.deliveries],
        "messages": {"planned": 0, "sent": 0, "retried": 0, "failed": 0, "handed_on": 0, "unknown": 0,
                     "without_address": preview.report.without_address},
    }


@task(retries=2, retry_delay_seconds=[5, 30], task_run_name="evaluate statuses")
def evaluate_statuses(database: str | None, as_of: dt.datetime, replay: bool = False) -> dict:
    with Ledger.open(database) as ledger:
        report = evaluate(ledger, as_of, replay=replay)
        ledger.record_tick(as_of, {"overdue": sum(p["overdue"] for p in report.by_plan)}, actor="commplan-tick",
                           replay=replay)
    return {
        "as_of": report.as_of.astimezone(VN).isoformat(),
        "since": report.since.astimezone(VN).isoformat() if report.since else None,
        "by_plan": report.by_plan,
        # each deadline with its plan's offset: shown in the plan's timezone
        "overdue_by_unit": [{**u, "oldest_due": u["oldest_due"].isoformat()} for u in report.overdue_by_unit],
        "changes": len(report.changes),
        "undelivered": len(report.undelivered),
        "markdown": changes_markdown(report),
    }


@task(retries=3, retry_delay_seconds=[5, 30, 120], task_run_name="build report forms")
def build_report_forms(plans: list[str], database: str | None, as_of: dt.datetime) -> dict:
    """The ministry's forms of the report duties coming due, each kept once per content, their mail planned
    to the holder's contacts (`commplan.reports.form_delivery`); a retry finds what was built."""
    from commplan.reports.form_delivery import build_due_forms
    from commplan.settings import get_settings

    catalog = load_catalog(plans)[0]
    with Ledger.open(database) as ledger:
        report = build_due_forms(ledger, catalog, now=as_of, lead_workdays=get_settings().report_lead_workdays)
    return report.as_dict()


@task(retries=3, retry_delay_seconds=[5, 30, 120], task_run_name="send report mail")
def send_report_mail(database: str | None, as_of: dt.datetime, since: dt.datetime) -> dict:
    """Email each built report that is due to its addresses, once (`commplan.notify.report_mail`); and
    list the report mail given up since `since` (failed, or unknown)."""
    from dataclasses import asdict

    from commplan.notify.report_mail import send_report_mails
    from commplan.settings import get_settings

    with Ledger.open(database) as ledger:
        sent = asdict(send_report_mails(ledger, get_settings(), now=as_of))
        return {**sent, "undelivered": report_mail_problems(ledger, since, as_of)}


@task(retries=2, retry_delay_seconds=[5, 30], task_run_name="check feeds")
def check_feeds(plans: list[str], database: str | None) -> dict:
    """The directory's feeds whose last fetch (by the `feeds` flow) failed, with the units that own them."""
    from commplan.intake.feed_health import failing_feeds

    catalog = load_catalog(plans)[0]
    with Ledger.open(database) as ledger:
        return {"failing": failing_feeds(ledger, catalog)}


# what a failed step leaves in the result: nothing done, and its error
NO_FORMS = {"built": [], "unchanged": 0, "no_address": 0, "skipped": []}
NO_FEEDS: dict = {"failing": []}
NO_MAIL = {"sent": 0, "retried": 0, "failed": 0, "written": 0, "waiting": 0, "problems": [], "undelivered": []}


def outcome(state: State, nothing: dict, step: str) -> dict:
    """A step's result, or, when it failed after its retries, `nothing` with the error: a failed form or
    mail step must not stop the tick from publishing what it found (its statuses are already recorded)."""
    if state.is_completed():
        return state.result()
    error = state.result(raise_on_failure=False)
    get_run_logger().error("%s", _("{step} failed: {error}").format(step=step, error=error))
    return {**nothing, "error": f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(error)}


def shown(iso: str) -> str:
    """An ISO instant as people read it, at its own offset (the tick's in Vietnam time, a deadline in its
    plan's timezone): 14:00 09/12/2021."""
    return f"{dt.datetime.fromisoformat(iso):%H:%M %d/%m/%Y}"


# the overdue table's columns as the coordinator reads them in Prefect's UI (msgids)
OVERDUE_COLUMNS = {"unit": N_("Unit code"), "name": N_("Unit"), "overdue": N_("Overdue duties"),
                   "oldest_due": N_("Earliest deadline")}


def overdue_table(rows: list[dict]) -> list[dict]:
    return [{_(OVERDUE_COLUMNS[key]): value for key, value in row.items() if key in OVERDUE_COLUMNS} for row in rows]


@task(task_run_name="publish artifacts")
def publish(result: dict, replay: bool = False) -> None:
    """The coordinator's view of the tick; a replay's under its own keys, never over the real tick's."""
    prefix = "replay-" if replay else ""
    rows = [{**u, "oldest_due": shown(u["oldest_due"])} for u in result["overdue_by_unit"]]
    create_table_artifact(
        key=f"{prefix}overdue-by-unit",
        table=overdue_table(rows or [{"unit": "", "name": _("No unit is overdue"), "overdue": 0}]),
        description=_("Overdue by unit, as of {moment}").format(moment=shown(result["as_of"]))
        + (_(" (replay, simulated)") if replay else ""),
    )
    create_markdown_artifact(key=f"{prefix}tick-changes", markdown=result["markdown"],
                             description=_("Replay (simulated)") if replay else _("Changes since the previous run"))


@flow(name="tick", flow_run_name="tick {as_of}")
# B006: never mutated; a list, as Prefect shows the default in the parameter schema of deployed runs
def tick(as_of: dt.datetime | None = None, plans: list[str] = ["plans/"], database: str | None = None) -> dict:  # noqa: B006
    """Sync `plans` into the ledger and evaluate it as of `as_of` (default now, on the clock: see
    COMMPLAN_NOW). An `as_of` more than 10 minutes from the clock is a replay: reminders previewed,
    never sent. `database` overrides COMMPLAN_DATABASE_URL; Prefect stores parameters, so a URL with
    a password is refused here: give it to the worker as COMMPLAN_DATABASE_URL instead."""
    moment = run_moment(as_of, database)
    replay = clock.is_replay(moment)
    synced = sync_plans(plans, database, moment)
    if replay:
        reminders = preview_reminders(plans, database, moment)
    else:
        reminders = queue_reminders(plans, database, moment)
        reminders["messages"] = send_reminders(plans, database, moment)
    result = evaluate_statuses(database, moment, replay)
    for plan in result["by_plan"]:
        plan["reminders_queued"] = reminders["by_plan"].get(plan["plan"], 0)
    forms = mail = None
    if not replay:  # a replay writes nothing: no form is built, no mail sent
        # each step on its own: a failed build still sends the mail already planned, and the tick publishes
        forms = outcome(build_report_forms(plans, database, moment, return_state=True), NO_FORMS,
                        _("Building the report forms"))
        since = dt.datetime.fromisoformat(result["since"]) if result["since"] else moment - PROBLEM_WINDOW
        mail = outcome(send_report_mail(database, moment, since, return_state=True), NO_MAIL,
                       _("Sending the mail of the built reports"))
        result["markdown"] += forms_markdown(forms, mail)
        result["report_mail_undelivered"] = len(mail["undelivered"])
        # the feeds' state is today's: a replay of another instant does not show it
        feeds = outcome(check_feeds(plans, database, return_state=True), NO_FEEDS, _("Checking the feeds"))
        result["markdown"] += failing_feeds_markdown(feeds["failing"])
        result["feeds_failing"] = len(feeds["failing"])
        if feeds["failing"]:
            get_run_logger().warning("%s", _("{count} feeds could not be read at their last fetch").format(
                count=len(feeds["failing"])))
    publish(result, replay)
    summary = _("replay {moment}: {inserted} new occurrences, {reminders} reminders previewed, {changes} changes") \
        if replay else _("tick {moment}: {inserted} new occurrences, {reminders} reminders queued, {changes} changes")
    get_run_logger().info("%s", summary.format(moment=f"{moment:%H:%M %d/%m/%Y}", inserted=synced["inserted"],
                                               reminders=reminders.get("steps", reminders["queued"]),
                                               changes=result["changes"]))
    if forms is not None and mail is not None:
        troubled = forms.get("error") or mail.get("error") or mail["undelivered"] or mail["failed"]
        get_run_logger().log(logging.WARNING if troubled else logging.INFO, "%s", forms_log(forms, mail))
    return {"sync": synced, "reminders": reminders, "replay": replay, "forms": forms, "report_mail": mail, **result}
