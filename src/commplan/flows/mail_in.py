"""The `mail-in` flow: read the reminder mailbox (COMMPLAN_IMAP_URL) once and take the replies in.

Thin: `commplan.intake` does the work, as `commplan mail-in poll` does. Without COMMPLAN_IMAP_URL it says
so and does nothing (the deployment is declared everywhere; a site using the SMTP service instead, or
no email at all, leaves the variable unset). A retry re-reads safely: a message counts once by its
Message-ID (`Ledger.claim_inbound`) and is flagged \\Seen once taken in.
"""

from __future__ import annotations

from prefect import flow, get_run_logger, task

from commplan import clock
from commplan.i18n import _
from commplan.ledger import Ledger
from commplan.plan import load_catalog

from .parameters import run_moment


@task(retries=2, retry_delay_seconds=[30, 120], task_run_name="read the reminder mailbox")
def read_mailbox(plans: list[str], database: str | None) -> dict:
    from commplan.intake.imap_poll import poll
    from commplan.intake.mail_run import handler, summary_lines
    from commplan.intake.mail_settings import MailInSettings
    from commplan.settings import get_settings

    settings = get_settings().channel(MailInSettings)
    if settings.imap is None:
        return {"configured": False, "summary": [_("COMMPLAN_IMAP_URL is not set: nothing to read")]}
    catalog = load_catalog(plans)[0]
    with Ledger.open(database) as ledger:
        report = poll(settings.imap, handler(ledger, catalog, settings, public_url=get_settings().public_url),
                      max_bytes=settings.max_bytes, now=clock.now)
    return {"configured": True, "recorded": report.count("recorded"), "triage": report.count("triage"),
            "already": report.count("already"), "too_large": report.too_large,
            "failed": report.failed,
            "summary": summary_lines(report.outcomes, report.too_large, report.failed)}


@flow(name="mail-in", flow_run_name="mail-in")
# B006: never mutated; a list, as Prefect shows the default in the parameter schema of deployed runs
def mail_in(plans: list[str] = ["plans/"], database: str | None = None) -> dict:  # noqa: B006
    """Take in the replies waiting in the reminder mailbox. `database` overrides COMMPLAN_DATABASE_URL
    (never with a password: Prefect stores parameters)."""
    run_moment(None, database)
    result = read_mailbox(plans, database)
    logger = get_run_logger()
    for line in result["summary"]:
        logger.info("%s", line)
    return result
