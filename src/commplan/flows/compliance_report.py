"""The `compliance-report` flow: a weekly or monthly summary per plan and unit, as artifacts and files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from prefect import flow, task
from prefect.artifacts import create_table_artifact

from commplan import clock
from commplan.i18n import _
from commplan.ledger import Ledger
from commplan.reports.compliance import VN, compliance_rows, period_of, write_csv, write_xlsx
from commplan.settings import get_settings


@task(retries=2, retry_delay_seconds=[5, 30], task_run_name="summarise {period}")
def summarise(period: str, database: str | None, as_of: dt.datetime) -> list[dict]:
    with Ledger.open(database) as ledger:
        return compliance_rows(ledger, period, as_of)


@task(task_run_name="write {period} files")
def write_files(rows: list[dict], period: str, as_of: dt.datetime, folder: str | None) -> list[str]:
    start, end = period_of(period, as_of)
    target = Path(folder) if folder else get_settings().data_dir / "reports"
    stem = target / f"{period}-{start:%Y%m%d}-{end:%Y%m%d}"
    title = _("Compliance for the period {start}–{end}").format(start=f"{start:%d/%m/%Y}", end=f"{end:%d/%m/%Y}")
    return [str(write_csv(rows, stem.with_suffix(".csv"))), str(write_xlsx(rows, stem.with_suffix(".xlsx"), title))]


@task(task_run_name="publish {period} table")
def publish(rows: list[dict], period: str, as_of: dt.datetime) -> None:
    create_table_artifact(key=f"compliance-{period}", table=rows or [{"plan": "", "total": 0}],
                          description=(_("Weekly report as of {moment}") if period == "weekly"
                                       else _("Monthly report as of {moment}")).format(
                              moment=f"{as_of.astimezone(VN):%H:%M %d/%m/%Y}"))


@flow(name="compliance-report", flow_run_name="{period} report {as_of}")
def compliance_report(period: str = "weekly", as_of: dt.datetime | None = None, database: str | None = None,
                      folder: str | None = None) -> list[str]:
    """Summarise the week (Monday..Sunday) or month containing `as_of` (default now)."""
    moment = as_of or clock.now()  # the process clock: COMMPLAN_NOW sets it
    period_of(period, moment)  # refuse an unknown period before any work
    rows = summarise(period, database, moment)
    publish(rows, period, moment)
    return write_files(rows, period, moment, folder)
