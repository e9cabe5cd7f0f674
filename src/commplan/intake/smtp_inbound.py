"""A small inbound SMTP service (aiosmtpd) for replies: the organisation's mail server forwards the
reminder mailbox's messages to it (`commplan mail-in serve`, `COMMPLAN_MAIL_IN_LISTEN`).

Each message is taken in before the answer: 250 once it is in the ledger or triage; 451 (try again later)
when taking it in failed (the ledger away), so the forwarding server keeps it and retries; 552 above the
size cap. It relays nothing. Listen on loopback or an internal address: what it accepts is judged like
any reply (only a reply naming one of our Message-IDs, from a contact of its unit, reaches the ledger).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from aiosmtpd.controller import Controller

from ..i18n import _
from .mail_intake import MailOutcome

Handle = Callable[[bytes, dt.datetime], MailOutcome]
log = logging.getLogger(__name__)


class ReplyHandler:
    def __init__(self, handle: Handle, now: Callable[[], dt.datetime],
                 on_outcome: Callable[[MailOutcome], None] | None = None):
        self.handle = handle
        self.now = now
        self.on_outcome = on_outcome

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = envelope.original_content or envelope.content
        raw = data if isinstance(data, bytes) else str(data).encode("utf-8")
        try:  # the ledger is synchronous: off the event loop
            outcome = await asyncio.get_running_loop().run_in_executor(None, self.handle, raw, self.now())
        except Exception as error:  # the forwarding server keeps the message and tries again
            log.warning(_("an inbound email could not be taken in: {error}").format(error=error))
            return "451 4.3.0 " + "cannot take the message now, try again later"
        if self.on_outcome is not None:
            self.on_outcome(outcome)
        return "250 2.0.0 OK"


def controller(handle: Handle, now: Callable[[], dt.datetime], *, host: str, port: int, max_bytes: int,
               on_outcome: Callable[[MailOutcome], None] | None = None) -> Controller:
    """The service, not started (`start()`, `stop()`)."""
    return Controller(ReplyHandler(handle, now, on_outcome), hostname=host, port=port, data_size_limit=max_bytes)
