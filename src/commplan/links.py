"""Signed links: the one-click "report done" link in reminders, and calendar feed tokens.

A link carries what it is for and an HMAC-SHA256 of that under a key derived
(HKDF) from the installation's secret (`COMMPLAN_LINK_SECRET`), one key per
purpose: feeds, report links, and the web app's sessions. So the web app can
trust a link without a login and without a table of issued links; nothing else
about the occurrence can be guessed or changed from it, and a key leaked from
one purpose opens nothing of another. Report links expire (an obligation is
reported long before 180 days pass); feed tokens do not, and change only when
the secret does.

Links issued before the keys were derived (the "legacy" form: an HMAC under the
secret itself) keep working until they would have expired: legacy feed tokens
through `legacy_until` (`COMMPLAN_LEGACY_LINKS_UNTIL`, by default 180 days after
this upgrade shipped), legacy report links when issued before the upgrade
(`legacy_until` - 180 days) and still inside their own 180 days. New links
always use the derived keys.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import re

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .i18n import _

REPORT_VALIDITY = dt.timedelta(days=180)
# the release that derived the keys shipped on 2026-12-01: old-form links are accepted through this day
LEGACY_LINKS_UNTIL = dt.date(2026, 12, 1) + REPORT_VALIDITY
PURPOSES = ("feed", "report", "session", "token-store", "zalo-follow")
_SALT = b"commplan link keys v1"


# a follower's code (`follow_code`): the unit's id, the contact's reference, the day issued, the MAC
_FOLLOW_CODE = re.compile(r"(?<![\w.-])([a-z0-9][a-z0-9-]{0,99})\.([0-9a-f]{8})\.(\d{5})\.([A-Za-z0-9_-]{22})(?![\w-])")
FOLLOW_VALIDITY = dt.timedelta(days=30)  # a follower's code: long enough to be used, short enough to age out


class BadLink(ValueError):
    pass


class ExpiredLink(BadLink):
    """A genuine report link past its validity: the page can say so, and name whom to ask for a new one."""

    def __init__(self, message: str, occurrence_id: int, unit: str):
        super().__init__(message)
        self.occurrence_id, self.unit = occurrence_id, unit


def derived_key(secret: str, purpose: str) -> bytes:
    """The 32-byte key of one purpose, derived from the installation's secret (HKDF-SHA256)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown key purpose {purpose!r}")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=f"commplan/{purpose}".encode()).derive(
        secret.encode())


def session_key(secret: str) -> bytes:
    """The key the web app signs its sessions with (never the feeds' or the report links' key)."""
    return derived_key(secret, "session")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, purpose: str, payload: str) -> str:
    return _b64(hmac.new(key, f"{purpose}\n{payload}".encode(), hashlib.sha256).digest()[:16])


def _legacy_mac(secret: str, purpose: str, payload: str) -> str:
    """The MAC links carried before the keys were derived: under the secret itself."""
    return _mac(secret.encode(), purpose, payload)


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def report_token(secret: str, occurrence_id: int, unit: str, *, issued: dt.datetime) -> str:
    payload = f"{occurrence_id}:{unit}:{int(issued.timestamp())}"
    return f"{_b64(payload.encode())}.{_mac(derived_key(secret, 'report'), 'report', payload)}"


def _parse(token: object) -> tuple[str, str, int, str, dt.datetime]:
    """(payload, mac, occurrence id, unit, issued) of a well-formed token; ValueError for anything else."""
    if not isinstance(token, str) or not token.isascii() or token.count(".") != 1:
        raise ValueError("not a token")
    encoded, mac = token.split(".")
    payload = _unb64(encoded).decode()
    if _b64(payload.encode()) != encoded:  # base64 ignores stray characters and spare bits: one spelling only
        raise ValueError(encoded)
    occurrence, unit, issued = payload.split(":")
    if not (occurrence.isdigit() and issued.isdigit() and occurrence.isascii() and issued.isascii()):
        raise ValueError(payload)  # int() would also take "+1", " 1", "1_0" or other digits
    return payload, mac, int(occurrence), unit, dt.datetime.fromtimestamp(int(issued), dt.UTC)


def read_report_token(secret: str, token: str, *, now: dt.datetime,
                      legacy_until: dt.date | None = LEGACY_LINKS_UNTIL) -> tuple[int, str]:
    """(occurrence id, unit) of a valid, unexpired token; BadLink for anything else, whatever the string."""
    try:
        payload, mac, occurrence_id, unit, issued_at = _parse(token)
    except (ValueError, UnicodeDecodeError, binascii.Error, OverflowError, OSError):
        raise BadLink(_("this link is damaged")) from None
    if not _same(mac, _mac(derived_key(secret, "report"), "report", payload)) and not (
            legacy_until is not None and issued_at.date() <= legacy_until - REPORT_VALIDITY
            and _same(mac, _legacy_mac(secret, "report", payload))):
        raise BadLink(_("this link was not issued by this commplan"))
    if now - issued_at > REPORT_VALIDITY:
        raise ExpiredLink(_("this link has expired"), occurrence_id, unit)
    return occurrence_id, unit


def read_unverified(token: str) -> tuple[int, dt.datetime]:
    """(occurrence id, issued) of a well-formed token, read without checking its MAC (check it first
    with `read_report_token`): what a revocation of its occurrence's links is compared with."""
    try:
        _payload, _mac_text, occurrence_id, _unit, issued = _parse(token)
        return occurrence_id, issued
    except (ValueError, UnicodeDecodeError, binascii.Error, OverflowError, OSError):
        raise BadLink(_("this link is damaged")) from None


def report_link(base_url: str, secret: str, occurrence_id: int, unit: str, *, issued: dt.datetime) -> str:
    return f"{base_url.rstrip('/')}/bao-cao/{report_token(secret, occurrence_id, unit, issued=issued)}"


def feed_token(secret: str, unit: str) -> str:
    """The unguessable token of a unit's calendar feed."""
    return _mac(derived_key(secret, "feed"), "feed", unit)


def feed_token_ok(secret: str, unit: str, token: str, *, today: dt.date | None = None,
                  legacy_until: dt.date | None = LEGACY_LINKS_UNTIL) -> bool:
    """Whether the token opens this feed: the derived form, or the legacy form through `legacy_until`."""
    if not isinstance(token, str) or not token.isascii():
        return False
    if _same(token, feed_token(secret, unit)):
        return True
    today = today or dt.datetime.now(dt.UTC).date()
    return legacy_until is not None and today <= legacy_until and _same(token, _legacy_mac(secret, "feed", unit))


def contact_ref(contact_key: str) -> str:
    """A short, stable reference to one contact of a unit (8 hex digits of its key's SHA-256)."""
    return hashlib.sha256(contact_key.encode()).hexdigest()[:8]


def follow_code(secret: str, unit: str, contact_key: str, *, issued: dt.date) -> str:
    """The code a contact sends to the Zalo OA to receive reminders there ("Nhận nhắc việc qua Zalo"):
    `UNIT.REF.DAY.MAC`, short enough to copy into a chat. It names the unit and which of its contacts
    (`contact_ref`), the day it was issued (days since 1970), and cannot be forged without the secret.
    It is valid FOLLOW_VALIDITY days: whoever holds it can have that contact's reminders sent to their
    Zalo account, so a code copied from an old page or a forwarded mail ages out."""
    payload = f"{unit}.{contact_ref(contact_key)}.{(issued - dt.date(1970, 1, 1)).days:05d}"
    return f"{payload}.{_mac(derived_key(secret, 'zalo-follow'), 'zalo-follow', payload)}"


def find_follow_code(text: str) -> str | None:
    """The first thing in a message that is shaped like a follower's code (not yet checked)."""
    found = _FOLLOW_CODE.search(text or "")
    return found.group(0) if found else None


def read_follow_code(secret: str, code: str, *, today: dt.date) -> tuple[str, str]:
    """(unit, contact reference) of a genuine code issued within FOLLOW_VALIDITY; BadLink for anything else."""
    found = _FOLLOW_CODE.fullmatch(code.strip()) if isinstance(code, str) else None
    if found is None:
        raise BadLink(_("this code is damaged"))
    unit, ref, day, mac = found.groups()
    if not _same(mac, _mac(derived_key(secret, "zalo-follow"), "zalo-follow", f"{unit}.{ref}.{day}")):
        raise BadLink(_("this code was not issued by this commplan"))
    issued = dt.date(1970, 1, 1) + dt.timedelta(days=int(day))
    if not dt.timedelta(0) <= today - issued <= FOLLOW_VALIDITY:
        raise BadLink(_("this code has expired"))
    return unit, ref
