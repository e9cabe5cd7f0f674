"""The channel registry: every channel the notifier can send through, each declared once, in its own module.

A channel module (`email.py`, `zalo.py`, `zns.py`, `esms.py`, `sms_apprise.py`) ends with
`CHANNEL = ChannelSpec(...)`: its transport class (which carries the name, `idempotent`,
`dedup_same_day` and `quiet_hours` of the transport contract), its Vietnamese label, the
`channels:` family of the plan format that allows it, which body it sends, which contact field
it addresses and its place in the phone fallback chain, whether the file stand-in writes it, its own
settings (a `ChannelSettings` class: its `COMMPLAN_*` variables) and a factory that builds it from
them (None when not configured). Everything else (the setup,
the routes, the notifier's families, the labels people read, the dry run's text) reads this
registry, so adding a channel is one new module listed in `MODULES`, and its tests.

Several providers may carry one channel name (eSMS and apprise both carry `sms`): `MODULES` order
is the order of preference, the first configured one wins. They must agree on everything but the
transport itself (a test checks it).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, TypeVar

from ..i18n import _
from ..plan.model import ReminderChannel
from ..settings import ChannelSettings, SettingsError

if TYPE_CHECKING:
    from ..ledger import Ledger
    from ..ledger.outbox import Claimed
    from ..settings import Settings
    from .channels import Channel

Family = ReminderChannel  # a channel's family: the plan's `channels:` entry that allows it

T = TypeVar("T")

# in order of preference among providers of one channel name (eSMS before apprise's SMS services);
# the phone chain's own order is each spec's `chain`
MODULES = ("zalo", "zns", "email", "esms", "sms_apprise")


class Body(str, Enum):
    """Which of a delivery's bodies the channel sends."""

    TEXT = "text"  # plain text (Zalo OA)
    HTML = "html"  # HTML with its text part (email)
    SMS = "sms"  # the short, unaccented-safe SMS text
    TEMPLATE = "template"  # a registered template filled with the delivery's data (ZNS)


class Contact(str, Enum):
    """Which field of a directory contact a channel sends to."""

    ZALO = "zalo"  # the OA follower id
    PHONE = "phone"  # the normalised mobile number
    EMAIL = "email"


S = TypeVar("S", bound=ChannelSettings)


@dataclass
class Setup:
    """What a factory builds a channel from: the core settings, each channel's own settings
    (`config`), the ledger, and what providers share (`shared`: the Zalo token source serves the OA
    and ZNS channels, so that one refresh serves both)."""

    settings: Settings
    ledger: Ledger | None = None
    _configs: dict[type, ChannelSettings] = field(default_factory=dict, repr=False)
    _shared: dict[str, object] = field(default_factory=dict, repr=False)

    def config(self, kind: type[S]) -> S:
        """A channel's own settings (`COMMPLAN_*`, or given to `Settings`), read once per setup."""
        if kind not in self._configs:
            self._configs[kind] = self.settings.channel(kind)
        return self._configs[kind]  # type: ignore[return-value]

    def shared(self, key: str, make: Callable[[], T]) -> T:
        """One object for every provider that asks for `key` during this setup."""
        if key not in self._shared:
            self._shared[key] = make()
        return self._shared[key]  # type: ignore[return-value]


@dataclass(frozen=True)
class ChannelSpec:
    transport: type[Channel]  # the class with `name`, `idempotent`, `quiet_hours` (and `dedup_same_day`) and `send`
    label: str  # as people read it: the outbox, a tick's report, a preview
    family: Family  # the plan's `channels:` entry that allows it
    body: Body
    contact: Contact
    chain: int | None  # its place in the phone fallback chain (OA -> ZNS -> SMS); None: a route of its own
    stand_in: bool  # written to outbox.jsonl when no channel is configured (ZNS has no text to write)
    build: Callable[[Setup], Channel | None]
    settings: type[ChannelSettings] | None = None  # its own `COMMPLAN_*` variables, read by `build` (`Setup.config`)

    @property
    def name(self) -> str:
        return self.transport.name

    @property
    def idempotent(self) -> bool:
        """The provider de-duplicates by our key: a send whose outcome was lost may be repeated."""
        return bool(self.transport.idempotent)

    @property
    def dedup_same_day(self) -> bool:
        """The provider's de-duplication only lasts the day (eSMS)."""
        return bool(getattr(self.transport, "dedup_same_day", False))

    @property
    def quiet_hours(self) -> bool:
        """It rings a phone: its messages keep their items' quiet hours."""
        return bool(self.transport.quiet_hours)


_loaded: list[ChannelSpec] | None = None
_extra: list[ChannelSpec] = []


def specs() -> list[ChannelSpec]:
    """Every provider, in order of preference; the modules are imported on first use (they import apprise)."""
    global _loaded  # noqa: PLW0603 -- a cache: the channel modules are imported once, on first use
    if _loaded is None:
        _loaded = [importlib.import_module(f"{__package__}.{module}").CHANNEL for module in MODULES]
    return [*_loaded, *_extra]


def channels() -> dict[str, ChannelSpec]:
    """One spec per channel name (its preferred provider), in registry order."""
    kinds: dict[str, ChannelSpec] = {}
    for spec in specs():
        kinds.setdefault(spec.name, spec)
    return kinds


def spec_of(name: str) -> ChannelSpec | None:
    return channels().get(name)


def label(name: str) -> str:
    spec = spec_of(name)
    return spec.label if spec else name


def family(name: str) -> Family:
    spec = spec_of(name)
    if spec is None:
        raise KeyError(f"no channel named {name!r} in the registry")
    return spec.family


def text_of(delivery: Claimed, channel: str | None = None) -> str:
    """The text a person reads for a delivery (the file stand-in, a dry run): the SMS text on an SMS
    channel, else the plain text."""
    spec = spec_of(channel or delivery.channel)
    return delivery.body_sms if spec is not None and spec.body is Body.SMS else delivery.body_text


def phone_chain() -> list[ChannelSpec]:
    """The channels of the phone fallback chain, in the order they are tried."""
    return sorted((s for s in channels().values() if s.chain is not None), key=lambda s: s.chain or 0)


def addressed_by(contact: Contact) -> tuple[str, ...]:
    """The channels that send to one field of a contact (a phone number: ZNS and SMS), for a person's
    request about their data (`commplan contact export|erase`)."""
    return tuple(name for name, spec in channels().items() if spec.contact is contact)


def setting_names() -> dict[str, type[ChannelSettings]]:
    """Every channel setting (the field, `COMMPLAN_<FIELD>` upper-cased) and the class declaring it."""
    return {name: spec.settings for spec in specs() if spec.settings for name in spec.settings.model_fields}


def check_given(settings: Settings) -> None:
    """A keyword given to `Settings` that neither it nor any channel declares is a mistake (a typo, a
    channel that is not registered), not something to ignore."""
    unknown = sorted(set(settings.model_extra or {}) - set(setting_names()))
    if unknown:
        raise SettingsError(_("{variable} is not a setting of commplan or of any registered channel").format(
            variable=f"COMMPLAN_{unknown[0].upper()}"))


def register(spec: ChannelSpec) -> None:
    """Add a provider from outside `MODULES` (a plug-in, a test), after the listed ones."""
    _extra.append(spec)


@contextmanager
def registered(spec: ChannelSpec) -> Iterator[ChannelSpec]:
    register(spec)
    try:
        yield spec
    finally:
        _extra.remove(spec)


class Labels:
    """A read-only mapping view of the labels (`CHANNEL_NAMES`), read from the registry on each use."""

    def get(self, name: str, default: str | None = None) -> str | None:
        spec = spec_of(name)
        return spec.label if spec else default

    def __getitem__(self, name: str) -> str:
        spec = spec_of(name)
        if spec is None:
            raise KeyError(name)
        return spec.label

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and spec_of(name) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(channels())

    def __len__(self) -> int:
        return len(channels())

    def items(self) -> list[tuple[str, str]]:
        return [(name, spec.label) for name, spec in channels().items()]
