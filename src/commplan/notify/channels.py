"""Channels: one contract, `send(address, message) -> external id`, raising an error that says
whether trying again could help (the healthchecks transport contract)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Protocol

from .. import clock
from ..ledger.outbox import Claimed


# as people read them (the outbox, a tick's report, what a replay would send)
CHANNEL_NAMES = {"zalo": "Zalo OA", "zns": "Zalo ZNS", "sms": "SMS", "email": "email"}


class TemporaryError(Exception):
    """Worth retrying later: network trouble, HTTP 5xx, an expired token after a refresh, a rate limit."""


class PermanentError(Exception):
    """Never worth retrying: an invalid number, a user who does not follow the OA, a rejected template."""


class Unreachable(PermanentError):
    """This channel cannot reach this address (not an OA follower, no Zalo account on the number):
    the delivery's fallback route (ZNS, then SMS) is tried instead."""


class OutcomeUnknown(Exception):
    """The request went out but its answer was lost (a read timeout, a dropped connection): the
    message may have been delivered. Repeated only where the provider de-duplicates by our key."""


class Channel(Protocol):
    name: str
    # the provider de-duplicates by our key, so a send whose outcome was lost may be repeated
    idempotent: bool
    # it rings a phone (Zalo, ZNS, SMS): its messages keep their items' quiet hours; email does not
    quiet_hours: bool

    def send(self, delivery: Claimed) -> str | None: ...


def send_with(plugin, body: str) -> dict | None:
    """Send through an apprise plugin instance; None on success, else the plugin's `last_result`.

    Through `Apprise`, not the instance, so that apprise converts the body format; with the
    instance kept, because apprise's yes/no cannot say whether to retry and the plugin's answer can."""
    from apprise import Apprise, NotifyFormat

    sender = Apprise()
    sender.add(plugin)
    return None if sender.notify(body=body, title="", body_format=NotifyFormat.TEXT) else plugin.last_result


class FileChannel:
    """The embedded default: every message that would go out, appended as a JSON line to a file
    (and so shown, not lost, when no credentials are configured)."""

    idempotent = True  # re-writing a line after a crash is harmless: the delivery id is in it
    quiet_hours = False

    def __init__(self, name: str, path: Path):
        self.name = name
        self.path = path

    def send(self, delivery: Claimed) -> str | None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not self.path.exists():  # it holds addresses and report links: readable by its owner only
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        record = {
            "delivery": delivery.id, "channel": self.name, "to": delivery.address, "recipient": delivery.recipient,
            "subject": delivery.subject, "text": delivery.body_sms if self.name == "sms" else delivery.body_text,
            "written_at": clock.now().isoformat(),
        }
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        return f"file:{delivery.id}"
