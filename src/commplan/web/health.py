"""/healthz: whether this process can serve, for a reverse proxy, a load balancer or a monitor.

200 with the ledger's schema revision when the ledger answers; 503 when it does not (PostgreSQL
down, a SQLite file gone unreadable), so that a proxy stops sending requests to this worker. It
says nothing of the ledger's address or error: anyone may ask."""

from __future__ import annotations

import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from .. import __version__
from ..i18n import _
from ..ledger.engine import current_revision, head_revision, translated_errors
from .ledger_access import LedgerAccess

log = logging.getLogger("commplan.web")


def check(access: LedgerAccess) -> dict[str, Any]:
    """The health report: `ledger` reachable, its `migration` and the `head` this version expects."""
    report: dict[str, Any] = {"status": "ok", "ledger": True, "migration": None, "head": head_revision(),
                              "version": __version__}
    try:
        ledger = access.get()
        with translated_errors(ledger.url):
            report["migration"] = current_revision(ledger.engine)
    except Exception as error:  # whatever the driver raises: the answer is "unavailable", the log says why
        log.warning(_("healthz: the ledger is not reachable: %s"), error)
        report.update(status="unavailable", ledger=False)
    return report


def healthz_endpoint(access: LedgerAccess) -> Any:
    async def healthz(request: Request) -> JSONResponse:
        report = await run_in_threadpool(check, access)
        status = 200 if report["ledger"] else 503
        return JSONResponse(report, status_code=status, headers={"cache-control": "no-store"})

    return healthz
