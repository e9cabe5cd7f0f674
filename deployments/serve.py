"""All of commplan's deployments served from one process, for a single machine.

    python deployments/serve.py          (or: commplan worker)

Same schedules as prefect.yaml; needs a Prefect API (PREFECT_API_URL, or
`prefect server start` on this machine). The flows run in this process.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "flows"))

from prefect import serve  # noqa: E402
from prefect.schedules import Cron  # noqa: E402

from compliance_report import compliance_report  # noqa: E402
from tick import tick  # noqa: E402

TZ = "Asia/Ho_Chi_Minh"
# hourly from 06:00 to 21:00, every day: every time a plan can ask for (TICK_HOURS in commplan.plan.model)
TICK = "0 6-21 * * *"


def deployments():
    return [
        tick.to_deployment(name="tick", schedules=[Cron(TICK, timezone=TZ)], concurrency_limit=1,
                           parameters={"plans": [str(ROOT / "plans")]}),
        compliance_report.to_deployment(name="weekly", schedules=[Cron("30 7 * * 4", timezone=TZ)],
                                        parameters={"period": "weekly"}),
        compliance_report.to_deployment(name="monthly", schedules=[Cron("30 7 20 * *", timezone=TZ)],
                                        parameters={"period": "monthly"}),
    ]


if __name__ == "__main__":
    serve(*deployments())
