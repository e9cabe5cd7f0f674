"""The Zalo OA's webhook events: verified, then read into `ZaloEvent` (pure: no I/O).

The signature (docs/notify-research.md §3.5). Zalo sends each event as a JSON body with the header
`X-ZEvent-Signature: mac=<hex>`, where the hex is

    sha256(app_id + raw body + timestamp + OA secret key)

a plain SHA-256 (not an HMAC) of the four strings joined: the app's id, the body exactly as received,
the body's own `timestamp` field (milliseconds) and the OA's secret key (the OA's, not the app's).
Sources: the Zalo OA webhook guide as quoted by hainh.me
(https://hainh.me/zalo-api-php-webhook-callback-official-account.html, "So sánh giá trị trong header
X-ZEvent-Signature với mã hash SHA256 của chuỗi kết hợp 4 thông tin"), and chatwoot's Zalo channel
(github.com/chatwoot/chatwoot, app/jobs/webhooks/zalo_events_job.rb: `"mac=#{sha256(app_id + body +
timestamp + ZALO_OA_SECRET_KEY)}"`). The digest is compared in constant time.

What is refused (`Refused`, never recorded): no signature, a wrong one, a body that is not an event,
an event of another app, and a stale one: its signed timestamp older than `max_age` (or more than
five minutes ahead of our clock). A replay inside that window is caught later, by its id
(`Ledger.claim_inbound`).

Events read (`EVENTS`): a follower's text, link, image and file messages, and follow / unfollow.
Shapes (as Zalo sends them; see the same sources and the OA API's webhook pages):

    {"app_id", "event_name": "user_send_text", "timestamp": "1700000000000",
     "sender": {"id": USER}, "recipient": {"id": OA}, "message": {"msg_id", "text",
     "attachments": [{"type": "link"|"image"|"file", "payload": {"url", "name", "size", "description"}}]}}
    {"app_id", "event_name": "follow"|"unfollow", "timestamp", "oa_id", "follower": {"id": USER}, "source"}
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass

from ..i18n import _

SIGNATURE_HEADER = "X-ZEvent-Signature"
MESSAGE_EVENTS = frozenset({"user_send_text", "user_send_link", "user_send_image", "user_send_file"})
FOLLOW_EVENTS = frozenset({"follow", "unfollow"})
EVENTS = MESSAGE_EVENTS | FOLLOW_EVENTS
FUTURE_SKEW = dt.timedelta(minutes=5)  # clocks differ a little; more than this is not a clock
MAX_TEXT = 2000  # characters of a message kept (Zalo's own limit for a text message)


# Why an event was refused: short codes for the log and the answer (an administrator reads them, with the docs)
UNSIGNED, BAD_SIGNATURE, OTHER_APP, STALE = "unsigned", "bad-signature", "other-app", "stale"  # 401
NOT_JSON, NOT_AN_EVENT, NO_TIMESTAMP, NO_SENDER = "not-json", "not-an-event", "no-timestamp", "no-sender"  # 400


class Refused(Exception):
    """An event the webhook refuses: `why` is the short reason logged and answered (no secret in it)."""

    def __init__(self, why: str, status: int = 401):
        super().__init__(why)
        self.why, self.status = why, status


@dataclass(frozen=True)
class Attachment:
    type: str  # link | image | file (others are kept but not read)
    url: str | None
    name: str | None = None
    size: int | None = None
    description: str | None = None


@dataclass(frozen=True)
class ZaloEvent:
    name: str  # the event_name
    user_id: str  # who sent it (a message) or followed / unfollowed
    sent_at: dt.datetime  # aware (UTC): the event's signed timestamp
    event_id: str  # unique per event: the message's msg_id, else name:user:timestamp
    text: str | None = None
    attachments: tuple[Attachment, ...] = ()

    @property
    def is_message(self) -> bool:
        return self.name in MESSAGE_EVENTS


def signature(app_id: str, raw: bytes, timestamp: str, oa_secret_key: str) -> str:
    """The header value Zalo sends with this body (see the module's notes)."""
    digest = hashlib.sha256(app_id.encode() + raw + timestamp.encode() + oa_secret_key.encode()).hexdigest()
    return f"mac={digest}"


def verify(raw: bytes, header: str | None, *, app_id: str, oa_secret_key: str, now: dt.datetime,
           max_age: dt.timedelta) -> ZaloEvent | None:
    """The event in a genuine, fresh body; None for a genuine event of a kind not read here (a sticker,
    the OA's own messages); `Refused` for everything else."""
    if not header:
        raise Refused(UNSIGNED)
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise Refused(NOT_JSON, 400) from None
    if not isinstance(body, dict):
        raise Refused(NOT_AN_EVENT, 400)
    stamp = body.get("timestamp")
    stamp_text = str(stamp) if isinstance(stamp, (str, int)) and not isinstance(stamp, bool) else ""
    if not stamp_text.isascii() or not stamp_text.isdigit():
        raise Refused(NO_TIMESTAMP, 400)
    expected = signature(app_id, raw, stamp_text, oa_secret_key)
    if not hmac.compare_digest(header.strip().lower().encode(), expected.encode()):
        raise Refused(BAD_SIGNATURE)
    if str(body.get("app_id", "")) != app_id:
        raise Refused(OTHER_APP)
    try:
        sent_at = dt.datetime.fromtimestamp(int(stamp_text) / 1000, dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise Refused(NO_TIMESTAMP, 400) from None
    if now - sent_at > max_age or sent_at - now > FUTURE_SKEW:
        raise Refused(STALE)
    return read(body, sent_at, stamp_text)


def read(body: dict, sent_at: dt.datetime, stamp: str) -> ZaloEvent | None:
    name = str(body.get("event_name") or "")
    if name not in EVENTS:
        return None
    if name in FOLLOW_EVENTS:
        user = _id(body.get("follower")) or _id(body.get("sender"))
        if not user:
            raise Refused(NO_SENDER, 400)
        return ZaloEvent(name, user, sent_at, f"{name}:{user}:{stamp}")
    user, message = _id(body.get("sender")), body.get("message")
    if not user or not isinstance(message, dict):
        raise Refused(NO_SENDER, 400)
    msg_id = message.get("msg_id")
    text = message.get("text") if isinstance(message.get("text"), str) else None
    attachments = tuple(a for a in map(_attachment, message.get("attachments") or ()) if a is not None)
    return ZaloEvent(name, user, sent_at, str(msg_id) if msg_id else f"{name}:{user}:{stamp}",
                     text[:MAX_TEXT] if text else None, attachments)


def _id(part: object) -> str | None:
    value = part.get("id") if isinstance(part, dict) else None
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    return text if text.isascii() and text.isdigit() and len(text) <= 64 else None


def _attachment(item: object) -> Attachment | None:
    if not isinstance(item, dict) or not isinstance(item.get("payload"), dict):
        return None
    payload = item["payload"]
    url = payload.get("url") if isinstance(payload.get("url"), str) else None
    size = payload.get("size")
    try:
        size = int(size) if size is not None else None
    except (TypeError, ValueError):
        size = None
    text = {k: payload.get(k) if isinstance(payload.get(k), str) else None for k in ("name", "description")}
    return Attachment(str(item.get("type") or ""), url, text["name"], size, text["description"])


def refusal_text(why: str) -> str:
    """What a refused request is answered (plain text; the reason only, nothing of the body)."""
    return _("Zalo event refused: {why}").format(why=why)
