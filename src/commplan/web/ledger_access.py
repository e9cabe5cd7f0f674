"""The web app's one ledger per process, opened at the first need and shared by its pages.

A ledger that cannot be opened (PostgreSQL down at start) is not fatal: each request tries again,
and /healthz answers 503 until it opens, so a proxy or orchestrator sees the outage and the
recovery without a restart.
"""

from __future__ import annotations

import threading

from ..ledger import Ledger


class LedgerAccess:
    def __init__(self, url: str):
        self.url = url
        self._ledger: Ledger | None = None
        self._lock = threading.Lock()

    def get(self) -> Ledger:
        """The open ledger (migrated to the newest schema when opened); LedgerError if it cannot be."""
        with self._lock:
            if self._ledger is None:
                self._ledger = Ledger(self.url)
            return self._ledger

    def close(self) -> None:
        with self._lock:
            if self._ledger is not None:
                self._ledger.close()
                self._ledger = None
