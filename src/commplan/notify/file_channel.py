"""The file stand-in: on the embedded default with no channel configured, each channel that has text
to show (registry `stand_in`) writes what it would send to `$COMMPLAN_DATA_DIR/outbox.jsonl`."""

from __future__ import annotations

import json
import os
from pathlib import Path

from .. import clock
from ..ledger.outbox import Claimed
from .registry import text_of


class FileChannel:
    """The embedded default: every message that would go out, appended as a JSON line to a file
    (and so shown, not lost, when no credentials are configured)."""

    idempotent = True  # re-writing a line after a crash is harmless: the delivery id is in it
    quiet_hours = False

    def __init__(self, name: str, path: Path, *, quiet_hours: bool = False):
        self.name = name
        self.path = path
        self.quiet_hours = quiet_hours  # the quiet hours of the channel it stands in for

    def send(self, delivery: Claimed) -> str | None:
        self.append({
            "delivery": delivery.id, "channel": self.name, "to": delivery.address, "recipient": delivery.recipient,
            "subject": delivery.subject, "text": text_of(delivery, self.name),
            "written_at": clock.now().isoformat(),
        })
        return f"file:{delivery.id}"

    def append(self, record: dict) -> None:
        """One JSON line at the end of the file (the reminders' messages and the built reports' mail)."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not self.path.exists():  # it holds addresses and report links: readable by its owner only
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
