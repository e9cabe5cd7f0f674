"""The `compliance-report` flow: each plan's compliance report for the week or month, kept and mailed.

Thin: `commplan.reports.scheduled_compliance` builds each plan's report (XLSX, CSV, HTML and the heat
map, written under `folder`/<plan id>/), keeps it in the ledger once per content and plans its mail to the
plan's coordinator; `commplan.notify.report_mail` sends what is planned. The deployments `weekly`
(Thursday 07:30) and `monthly` (the 20th, 07:30) run it; a re-run with nothing changed adds no build and
sends nothing. A replay (an `as_of` more than 10 minutes from the clock) writes the files and artifacts
only: the files under `folder`/replay/<plan id>/, never over the real run's, the artifacts under
`replay-…` keys.

One plan's failure is logged and listed in the result's `failed`: the other plans' reports are still
published and mailed. Should the whole build step fail (the plans unreadable, the ledger unreachable),
the mail already planned is still sent, then the run fails with that error.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from pathlib import Path
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact

from commplan import clock
from commplan.i18n import _
from commplan.ledger import Ledger
from commplan.plan import load_catalog
from commplan.reports.scheduled_compliance import period_of, run
from commplan.settings import get_settings

from .parameters import run_moment

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@task(retries=2, retry_delay_seconds=[5, 30], task_run_name="build {period} reports")
def build_reports(period: str, plans: list[str], database: str | None, as_of: dt.datetime, folder: str | None,
                  replay: bool) -> dict:
    """Every plan's report, its files and its build; a retry finds the builds already kept and adds nothing."""
    catalog = load_catalog(plans)[0]  # a plan error fails the run loudly, with every error
    target = Path(folder) if folder else get_settings().data_dir / "reports"
    with Ledger.open(database) as ledger:
        done = run(ledger, catalog, period, as_of, folder=target, replay=replay, now=clock.now())
    return {"start": done.start.isoformat(), "end": done.end.isoformat(), "reports": [r.as_dict() for r in done.reports],
            "idle": done.idle, "unknown": done.unknown, "failed": done.failed}


@task(task_run_name="publish {period} tables")
def publish(reports: list[dict], period: str, as_of: dt.datetime, replay: bool) -> None:
    """One table per plan, by unit, the most behind first; a replay's under its own keys."""
    prefix = "replay-" if replay else ""
    moment = _("Status at {moment}.").format(moment=f"{as_of.astimezone(VN):%H:%M %d/%m/%Y}")
    for report in reports:
        create_table_artifact(key=f"{prefix}compliance-{period}-{report['plan']}", table=report["rows"],
                              description=f"**{report['title']}**\n\n{report['summary']}\n\n{moment}"
                              + (_(" (replay, simulated)") if replay else ""))


@task(retries=2, retry_delay_seconds=[5, 30], task_run_name="send report mail")
def send_mails(database: str | None) -> dict:
    """Each planned mail claimed and confirmed on its own: a retry never sends one twice. Sends every due
    report mail, not only this run's (a mail that waited for the SMTP server goes now)."""
    from commplan.notify.report_mail import send_report_mails

    with Ledger.open(database) as ledger:
        return dataclasses.asdict(send_report_mails(ledger, get_settings()))


@flow(name="compliance-report", flow_run_name="{period} report {as_of}")
def compliance_report(period: str = "weekly", as_of: dt.datetime | None = None,
                      # B006: never mutated; a list, as Prefect shows the default in the parameter schema
                      plans: list[str] = ["plans/"],  # noqa: B006
                      database: str | None = None, folder: str | None = None) -> dict:
    """Report on the week (Monday to Sunday) or month containing `as_of` (default now, on the clock: see
    COMMPLAN_NOW), for every plan of `plans` that owes something in it, and mail each new report to its
    coordinator. Files go to `folder` (default COMMPLAN_DATA_DIR/reports). `database` overrides
    COMMPLAN_DATABASE_URL, without a password (Prefect stores parameters)."""
    moment = run_moment(as_of, database)
    period_of(period, moment)  # refuse an unknown period before any work
    replay = clock.is_replay(moment)
    state = build_reports(period, plans, database, moment, folder, replay, return_state=True)
    if not state.is_completed():  # send what earlier runs planned all the same, then fail with the error
        if not replay:
            send_mails(database)
        return state.result()  # raises the step's error
    built = state.result()
    publish(built["reports"], period, moment, replay)
    mail = {} if replay else send_mails(database)
    logger = get_run_logger()
    for failed in built["failed"]:
        logger.error("%s", _("the report of {plan} could not be built: {error}").format(**failed))
    for report in built["reports"]:
        logger.info("%s", _("{title}: {summary}").format(title=report["title"], summary=report["summary"]))
    if built["unknown"]:
        logger.warning("%s", _("not in the ledger yet (the tick syncs them): {plans}").format(
            plans=", ".join(built["unknown"])))
    if mail:
        line = _("report mail: {sent} sent, {written} written to the outbox file, {retried} to retry, {failed} failed, "
                 "{waiting} waiting for an email channel to be configured").format(**mail)
        logger.log(logging.WARNING if mail["failed"] or mail["retried"] or mail["waiting"] else logging.INFO, "%s", line)
    return {"period": period, "as_of": moment.isoformat(), "replay": replay, **built, "mail": mail}
