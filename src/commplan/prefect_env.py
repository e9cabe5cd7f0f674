"""Prefect's settings for commplan, applied before Prefect is imported.

The embedded default runs an ephemeral Prefect API with its own PREFECT_HOME
(under commplan's data folder, so Prefect's SQLite never shares a file with
commplan's ledger), analytics off (these machines have no internet), and
warnings only in normal output. Values already set in the environment win.
"""

from __future__ import annotations

import os
from pathlib import Path


def configure(data_dir: Path) -> dict[str, str]:
    defaults = {
        "PREFECT_HOME": str(data_dir / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_LOGGING_SERVER_LEVEL": "WARNING",
        "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
        # the ephemeral server's SQLite: wait for locks instead of failing with "database is locked"
        "PREFECT_SERVER_DATABASE_TIMEOUT": "30",
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
        # the first start creates and migrates Prefect's database: on a loaded 2-core machine that
        # took longer than Prefect's default 20 s, and `commplan run` failed on a fresh clone
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    }
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # the ledger, the outbox and secrets live here
    applied = {}
    for key, value in defaults.items():
        if key not in os.environ:
            os.environ[key] = value
            applied[key] = value
    Path(os.environ["PREFECT_HOME"]).expanduser().mkdir(parents=True, exist_ok=True)
    return applied
