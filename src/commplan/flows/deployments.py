"""The deployments' schedules, in one place: `commplan worker` and deployments/serve.py serve these.

deployments/prefect.yaml repeats them for `prefect deploy` (YAML cannot import);
tests/test_deployments.py checks that both agree.
"""

from __future__ import annotations

TZ = "Asia/Ho_Chi_Minh"
# hourly from 06:00 to 21:00, every day: every time a plan can ask for (TICK_HOURS in commplan.plan.model)
TICK = "0 6-21 * * *"
WEEKLY = "30 7 * * 4"  # Thursday 07:30, before the ministry's 14:00 Thursday deadline
MONTHLY = "30 7 20 * *"  # the 20th at 07:30, ahead of the reports due on the 25th
# hourly at :45, day and night (sites publish at any hour): an article is in the ledger before the next
# tick decides whom to remind
FEEDS = "45 * * * *"
# every 5 minutes, day and night: a reply is evidence within minutes (when COMMPLAN_IMAP_URL is set)
MAIL_IN = "*/5 * * * *"


def deployments(plans: str = "plans/") -> list:
    """The tick, the weekly and the monthly report, the feeds and the mailbox (each on `plans`), as Prefect's
    `serve` takes them."""
    from prefect.schedules import Cron

    from .compliance_report import compliance_report
    from .feeds import feeds
    from .mail_in import mail_in
    from .tick import tick

    return [
        tick.to_deployment(name="tick", schedules=[Cron(TICK, timezone=TZ)], concurrency_limit=1,
                           parameters={"plans": [plans]}),
        compliance_report.to_deployment(name="weekly", schedules=[Cron(WEEKLY, timezone=TZ)],
                                        parameters={"period": "weekly", "plans": [plans]}),
        compliance_report.to_deployment(name="monthly", schedules=[Cron(MONTHLY, timezone=TZ)],
                                        parameters={"period": "monthly", "plans": [plans]}),
        feeds.to_deployment(name="feeds", schedules=[Cron(FEEDS, timezone=TZ)], concurrency_limit=1,
                            parameters={"plans": [plans]}),
        mail_in.to_deployment(name="mail-in", schedules=[Cron(MAIL_IN, timezone=TZ)], concurrency_limit=1,
                              parameters={"plans": [plans]}),
    ]
