"""A channel that is not part of commplan, written the way a new channel is: this one module.

It declares its name, label, family, body, contact field, place on the phone chain, quiet hours,
de-duplication, its own settings (`COMMPLAN_LOOPBACK_DIR`, checked like any setting) and how it is
built from them. It delivers into a folder on this machine: one file per delivery, named by the
delivery id, so writing it again after a crash is harmless (the provider "de-duplicates").
"""

from __future__ import annotations

from pathlib import Path

from pydantic import field_validator

from commplan.notify.registry import Body, ChannelSpec, Contact, Family, Setup, text_of
from commplan.settings import ChannelSettings


class LoopbackSettings(ChannelSettings):
    loopback_dir: Path | None = None  # COMMPLAN_LOOPBACK_DIR

    @field_validator("loopback_dir")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_absolute():
            raise ValueError("COMMPLAN_LOOPBACK_DIR must be an absolute path")
        return value


class LoopbackChannel:
    name = "loopback"
    idempotent = True  # one file per delivery id: a second write replaces the first
    quiet_hours = True  # it stands for a phone: its messages keep their items' quiet hours

    def __init__(self, folder: Path):
        self.folder = folder

    def send(self, delivery) -> str | None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / f"{delivery.id}.txt").write_text(f"{delivery.address}\n{text_of(delivery)}", encoding="utf-8")
        return f"loopback:{delivery.id}"


def build(setup: Setup) -> LoopbackChannel | None:
    folder = setup.config(LoopbackSettings).loopback_dir
    return LoopbackChannel(folder) if folder else None


# between ZNS (20) and SMS (30) on the phone chain; it sends the SMS text
CHANNEL = ChannelSpec(transport=LoopbackChannel, label="Hộp thư thử", family=Family.SMS, body=Body.SMS,
                      contact=Contact.PHONE, chain=25, stand_in=True, build=build, settings=LoopbackSettings)
