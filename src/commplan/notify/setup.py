"""Which channels this installation sends through (settings only, never the plans' YAML).

With no channel configured, on the embedded default (SQLite), every channel is
a file channel: each message it would send is appended to
`$COMMPLAN_DATA_DIR/outbox.jsonl`, so a clerk reads exactly what would go out.
Once any channel is configured, or on a shared PostgreSQL ledger, there are
no stand-ins: a worker without credentials must never take real messages
off a shared outbox and write them to its own disk
(`COMMPLAN_FILE_CHANNELS=true|false` overrides). The channels, their settings
(`COMMPLAN_*`, a `ChannelSettings` class in each channel's module) and how each
is built from them come from the registry (`registry.py`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from ..ledger import Ledger
from ..plan.catalog import Catalog
from ..settings import Settings
from . import registry
from .channels import Channel
from .file_channel import FileChannel
from .registry import Setup

if TYPE_CHECKING:
    from .notifier import Notifier


def configured_channels(settings: Settings, ledger: Ledger | None = None) -> dict[str, Channel]:
    """Each channel of the registry whose first configured provider builds; else, where stand-ins are
    allowed, a file stand-in for each channel that has text to show."""
    registry.check_given(settings)
    setup = Setup(settings, ledger)
    channels: dict[str, Channel] = {}
    for spec in registry.specs():  # in order of preference: the first provider that builds wins
        if spec.name not in channels and (channel := spec.build(setup)) is not None:
            channels[spec.name] = channel
    database = ledger.url if ledger is not None else settings.database  # --database wins over the setting
    stand_ins = settings.file_channels if settings.file_channels is not None else database.startswith("sqlite")
    if not channels and stand_ins:
        for name, spec in registry.channels().items():
            if spec.stand_in:
                channels[name] = FileChannel(name, settings.data_dir / "outbox.jsonl", quiet_hours=spec.quiet_hours)
    return channels


def real_channels(channels: dict[str, Channel]) -> list[str]:
    """The channels that really send (not written to the outbox file)."""
    return sorted(name for name, channel in channels.items() if not isinstance(channel, FileChannel))


def notifier_for(ledger: Ledger, catalog: Catalog, settings: Settings, *, preview: bool = False,
                 invite_replies: bool = False) -> Notifier:
    """The notifier this installation sends through; for a `preview` (a dry run, a replay), with the file
    stand-ins where no channel is configured, so that it shows what would be composed (it sends nothing).
    `invite_replies`: the reminder mailbox is read (`intake.mail_settings.replies_read`, a layer above)."""
    from .notifier import Notifier

    if preview:
        settings = settings.model_copy(update={"file_channels": True})
    return Notifier(ledger, catalog, configured_channels(settings, ledger),
                    public_url=settings.public_url, link_secret=settings.signing_secret if settings.public_url else None, batch=settings.send_batch,
                    lease=dt.timedelta(seconds=settings.send_lease_seconds), zalo_offer=zalo_offer(settings), invite_replies=invite_replies)


def zalo_offer(settings: Settings) -> tuple[str, str | None] | None:
    """(secret, OA address) when the OA's webhook can link followers (its secret key and the app id set, and a
    link secret to sign the codes): then the first email to a contact without Zalo offers its code."""
    from .zalo import webhook_of

    hook = webhook_of(settings)
    secret = settings.signing_secret if hook is not None else None
    return (secret, hook.oa_url) if hook is not None and secret else None
