"""Channels: one contract, `send(address, message) -> external id`, raising an error that says
whether trying again could help (the healthchecks transport contract)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from ..ledger.outbox import Claimed
from .file_channel import FileChannel as FileChannel  # re-exported: the file stand-in has its own module
from .registry import Labels

if TYPE_CHECKING:
    from apprise import NotifyBase

# as people read them (the outbox, a tick's report, what a replay would send): from the registry
CHANNEL_NAMES = Labels()


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


def send_with(plugin: NotifyBase, body: str) -> dict | None:
    """Send through an apprise plugin instance; None on success, else the plugin's `last_result`.

    Through `Apprise`, not the instance, so that apprise converts the body format; with the
    instance kept, because apprise's yes/no cannot say whether to retry and the plugin's answer can."""
    from apprise import Apprise, NotifyFormat

    sender = Apprise()
    sender.add(plugin)
    return None if sender.notify(body=body, title="", body_format=NotifyFormat.TEXT) else plugin.last_result
