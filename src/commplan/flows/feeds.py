"""The `feeds` flow: read the units' RSS/Atom feeds, record the articles that meet a duty, publish a summary.

Thin: `commplan.intake.feed_run` does the work, as `commplan feeds run` does. The fetcher retries a
transient failure of one feed itself and isolates each feed (a dead site never holds the others); the task's
retries cover the rest (the ledger briefly away). A retry re-reads and re-records safely: a link counts
once per duty and holder (`Ledger.record_feed_item`).
"""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from commplan import clock
from commplan.i18n import _
from commplan.ledger import Ledger
from commplan.plan import load_catalog

from .parameters import run_moment


@task(retries=2, retry_delay_seconds=[10, 60], task_run_name="read feeds")
def read_feeds(plans: list[str], database: str | None) -> dict:
    """Fetch every feed of the directory (conditional GET), match and record, keep each feed's state;
    the summary as numbers and as markdown (Vietnamese)."""
    from commplan.intake import feed_report
    from commplan.intake.feed_fetching import read_feeds as read
    from commplan.settings import get_settings

    catalog = load_catalog(plans)[0]
    with Ledger.open(database) as ledger:
        report = read(catalog, ledger, allow_private_hosts=get_settings().feeds_allow_private_hosts, now=clock.now())
        names = ledger.unit_names()
    return {**report.as_dict(), "markdown": feed_report.markdown(report, names),
            "summary": feed_report.summary_lines(report)}


@task(task_run_name="publish feeds artifact")
def publish(result: dict) -> None:
    create_markdown_artifact(key="feeds", markdown=result["markdown"], description=_("Articles read from the feeds"))


@flow(name="feeds", flow_run_name="feeds")
# B006: never mutated; a list, as Prefect shows the default in the parameter schema of deployed runs
def feeds(plans: list[str] = ["plans/"], database: str | None = None) -> dict:  # noqa: B006
    """Read the feeds of the units in `plans` once and record what they show. `database` overrides
    COMMPLAN_DATABASE_URL (never with a password: Prefect stores parameters)."""
    run_moment(None, database)  # refuses a password in `database` before any work
    result = read_feeds(plans, database)
    publish(result)
    logger = get_run_logger()
    for line in result["summary"]:
        logger.warning("%s", line) if result["failed"] or result["errors"] else logger.info("%s", line)
    return result
