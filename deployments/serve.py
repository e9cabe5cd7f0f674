"""All of commplan's deployments served from one process, for a single machine: `commplan worker`.

    python deployments/serve.py          (the same as: commplan worker --plans <this checkout>/plans)

The schedules live in commplan.flows.deployments; needs a Prefect API (PREFECT_API_URL, or
`prefect server start` on this machine). The flows run in this process.
"""

from __future__ import annotations

import sys
from pathlib import Path

from commplan.cli import main

ROOT = Path(__file__).resolve().parent.parent


def deployments() -> list:
    from commplan.flows.deployments import deployments as declared

    return declared(str(ROOT / "plans"))


if __name__ == "__main__":
    sys.exit(main(["worker", "--plans", str(ROOT / "plans"), *sys.argv[1:]]))
