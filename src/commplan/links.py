"""Signed links: the one-click "report done" link in reminders, and calendar feed tokens.

A link carries what it is for and an HMAC-SHA256 of that under the
installation's secret (`COMMPLAN_LINK_SECRET`), so the web app can trust it
without a login and without a table of issued links; nothing else about the
occurrence can be guessed or changed from it. Report links expire (an
obligation is reported long before 180 days pass); feed tokens do not, and
change only when the secret does.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

REPORT_VALIDITY = dt.timedelta(days=180)


class BadLink(ValueError):
    pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, purpose: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), f"{purpose}\n{payload}".encode(), hashlib.sha256).digest()[:16])


def report_token(secret: str, occurrence_id: int, unit: str, *, issued: dt.datetime) -> str:
    payload = f"{occurrence_id}:{unit}:{int(issued.timestamp())}"
    return f"{_b64(payload.encode())}.{_mac(secret, 'report', payload)}"


def read_report_token(secret: str, token: str, *, now: dt.datetime) -> tuple[int, str]:
    """(occurrence id, unit) of a valid, unexpired token; BadLink otherwise."""
    try:
        encoded, mac = token.split(".")
        payload = _unb64(encoded).decode()
        if _b64(payload.encode()) != encoded:  # base64 ignores stray characters and spare bits: one spelling only
            raise ValueError(encoded)
        occurrence, unit, issued = payload.split(":")
        occurrence_id, issued_at = int(occurrence), dt.datetime.fromtimestamp(int(issued), dt.timezone.utc)
    except (ValueError, UnicodeDecodeError):
        raise BadLink("this link is damaged") from None
    if not hmac.compare_digest(mac, _mac(secret, "report", payload)):
        raise BadLink("this link was not issued by this commplan")
    if now - issued_at > REPORT_VALIDITY:
        raise BadLink("this link has expired")
    return occurrence_id, unit


def report_link(base_url: str, secret: str, occurrence_id: int, unit: str, *, issued: dt.datetime) -> str:
    return f"{base_url.rstrip('/')}/bao-cao/{report_token(secret, occurrence_id, unit, issued=issued)}"


def feed_token(secret: str, unit: str) -> str:
    """The unguessable token of a unit's calendar feed."""
    return _mac(secret, "feed", unit)


def feed_token_ok(secret: str, unit: str, token: str) -> bool:
    return hmac.compare_digest(token, feed_token(secret, unit))
