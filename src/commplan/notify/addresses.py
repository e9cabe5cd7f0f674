"""From a directory contact to the addresses each channel sends to (pure).

Vietnamese phone numbers are normalised to E.164 without '+' (`0912 345 678`
-> `84912345678`), the form Zalo ZNS and the SMS gateways take. Order of
preference, as agencies read their messages: Zalo (the OA follower id, else
ZNS by phone), then email; SMS is the fallback channel for a phone when no
Zalo route is configured.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..i18n import _
from ..plan.model import Contact

# mobile prefixes after the 2018 renumbering (Viettel 032-039, 086, 096-098; Vinaphone 081-085, 088,
# 091, 094; Mobifone 070, 076-079, 089, 090, 093; Vietnamobile 052, 056, 058, 092; Gmobile 059, 099;
# iTel 087; Reddi 055): docs/notify-research.md §5. The gateways' own "invalid phone" answers remain
# the authority; this only keeps obvious mistakes (a landline, a digit too few) out of the outbox.
_MOBILE = re.compile(r"^84(?:3[2-9]|5[25689]|7[06-9]|8[1-9]|9[0-46-9])\d{7}$")


class InvalidPhone(ValueError):
    pass


def normalise_phone(raw: str) -> str:
    digits = re.sub(r"[\s.\-()]", "", raw)
    if digits.startswith("+"):
        digits = digits[1:]
    if digits.startswith("0"):
        digits = "84" + digits[1:]
    if not digits.isdigit() or not _MOBILE.match(digits):
        raise InvalidPhone(_("'{number}' is not a Vietnamese mobile number").format(number=raw))
    return digits


@dataclass(frozen=True, order=True)
class Address:
    channel: str  # a registry channel name: zalo | zns | email | sms
    value: str


@dataclass(frozen=True)
class Route:
    """Where a message goes first, and the addresses to try in turn if that one proves unreachable."""

    address: Address
    fallbacks: tuple[Address, ...] = ()


def routes_of(contact: Contact, channels: set[str]) -> list[Route]:
    """The routes to one contact on the channels that are configured: a phone route (the registry's
    phone chain: Zalo OA, else ZNS, else SMS, each falling back to the next) and one route for
    each other channel (email)."""
    from . import registry  # on first use: the registry imports the channel modules

    phone = None
    if contact.phone:
        try:
            phone = normalise_phone(contact.phone)
        except InvalidPhone:
            phone = None  # reported by `commplan outbox` as a contact problem, never sent to
    fields = {registry.Contact.ZALO: contact.zalo, registry.Contact.PHONE: phone, registry.Contact.EMAIL: contact.email}
    chain = [Address(spec.name, value) for spec in registry.phone_chain()
             if spec.name in channels and (value := fields[spec.contact])]
    routes = [Route(chain[0], tuple(chain[1:]))] if chain else []
    routes += [Route(Address(name, value)) for name, spec in registry.channels().items()
               if spec.chain is None and name in channels and (value := fields[spec.contact])]
    return routes


def addresses_of(contact: Contact, channels: set[str]) -> list[Address]:
    """The first address of each route of one contact, Zalo first."""
    return [route.address for route in routes_of(contact, channels)]


def encode_fallbacks(addresses: tuple[Address, ...]) -> str | None:
    return ",".join(f"{a.channel}:{a.value}" for a in addresses) or None


def decode_fallbacks(text: str | None) -> list[Address]:
    return [Address(*part.split(":", 1)) for part in text.split(",")] if text else []


def contact_key(contact: Contact) -> str:
    """What names one contact of a unit across edits of the directory (its order may change): its email,
    else its phone number, else its name. A follower linked on the OA is stored against it."""
    if contact.email:
        return "email:" + contact.email.strip().lower()
    if contact.phone:
        try:
            return "phone:" + normalise_phone(contact.phone)
        except InvalidPhone:
            return "phone:" + contact.phone.strip()
    return "name:" + (contact.name or "").strip()


def with_follower(contact: Contact, follower: str | None) -> Contact:
    """The contact with a linked OA follower's id as its `zalo`, when the directory gives none."""
    return contact.model_copy(update={"zalo": follower}) if follower and not contact.zalo else contact
