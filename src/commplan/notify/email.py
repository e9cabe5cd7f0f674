"""Email through apprise (`mailto://` / `mailtos://`): HTML with a generated text part, Vietnamese subject.

The SMTP URL comes from settings (`COMMPLAN_SMTP_URL`), never from plans; the
recipient and a header carrying our delivery id are added per message. apprise
reports failure as False, without saying why: it is treated as temporary
(network, server down), so the outbox retries with its backoff.

Each reminder email carries our own Message-ID, `<commplan.{delivery id}.{128 random bits}@{sender's
domain}>`, stored on the delivery before it goes out (`Notifier._stamped`), so that a reply's
In-Reply-To / References names its delivery (`intake.mail_match`), and nobody can forge a reply to a
delivery without having received it. apprise (2.x, `plugins/email/base.py`) always sets `Message-ID`
itself, after the headers of the URL (`+Header=value`): a `+Message-ID=` header would make two. So
while our send runs, apprise's `make_msgid` answers ours (`_own_message_id`, a ContextVar: concurrent
sends in other threads keep their own), and exactly one Message-ID goes out (a test checks it).

A delivery's iCalendar text (`attachment`) goes along as `nhac-viec.ics`, an
in-memory apprise attachment. apprise sets only the bare MIME type on the
part: no `charset=` or `method=` parameter can be added (its attachment type
check refuses them), so clients offer the file for import, never as an invite.
"""

from __future__ import annotations

import mimetypes
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from email.utils import parseaddr
from urllib.parse import parse_qs, quote, urlsplit, urlunsplit

import apprise
from apprise.attachment.memory import AttachMemory
from pydantic import field_validator

from ..i18n import _
from ..ledger.outbox import Claimed
from ..settings import ChannelSettings
from .channels import PermanentError, TemporaryError
from .registry import Body, ChannelSpec, Contact, Family, Setup

ICS_NAME = "nhac-viec.ics"
ICS_TYPE = "text/calendar"


def calendar_attachment(text: str) -> AttachMemory:
    """The .ics file, kept in memory (no temporary file to clean up)."""
    # apprise accepts only MIME types that `mimetypes` knows, and Python's built-in table lacks
    # text/calendar: here it comes from /etc/mime.types, which minimal systems may lack.
    # Registering it on each use (idempotent) also survives a later mimetypes.init().
    mimetypes.add_type(ICS_TYPE, ".ics")
    return AttachMemory(content=text.encode("utf-8"), name=ICS_NAME, mimetype=ICS_TYPE)


_OWN_ID: ContextVar[str | None] = ContextVar("commplan_message_id", default=None)
_HOOKED: list[bool] = []


def _hook_apprise() -> None:
    """Once per process: apprise's email plugin takes its Message-ID from `_OWN_ID` when one is set."""
    if _HOOKED:
        return
    from apprise.plugins.email import base

    original = base.make_msgid

    def make_msgid(idstring: str | None = None, domain: str | None = None) -> str:
        return _OWN_ID.get() or original(idstring, domain)

    base.make_msgid = make_msgid
    _HOOKED.append(True)


@contextmanager
def _own_message_id(message_id: str) -> Iterator[None]:
    _hook_apprise()
    token = _OWN_ID.set(message_id)
    try:
        yield
    finally:
        _OWN_ID.reset(token)


def checked_url(smtp_url: str) -> str:
    parts = urlsplit(smtp_url)
    if parts.scheme not in ("mailto", "mailtos"):
        raise ValueError(_("COMMPLAN_SMTP_URL must be a mailto:// or mailtos:// URL"))
    if "from=" not in parts.query:
        raise ValueError(_("COMMPLAN_SMTP_URL needs from=<sender address>"))
    return smtp_url


class EmailChannel:
    name = "email"
    idempotent = False  # SMTP has no de-duplication: a lost confirmation is never re-sent
    quiet_hours = False

    def __init__(self, smtp_url: str):
        self.parts = urlsplit(checked_url(smtp_url))
        sender = parseaddr(parse_qs(self.parts.query).get("from", [""])[0])[1]
        self.domain = sender.rpartition("@")[2] or "commplan.invalid"

    def message_id_for(self, delivery: Claimed) -> str:
        """A new Message-ID for this delivery: unguessable, so a reply naming it comes from its recipient."""
        return f"<commplan.{delivery.id}.{secrets.token_hex(16)}@{self.domain}>"

    def url_for(self, delivery: Claimed) -> str:
        return self.url_to(delivery.address, "X-Commplan-Delivery", delivery.id)

    def url_to(self, address: str, header: str, value: int) -> str:
        """The apprise URL to one address, with a header carrying our id of the message (to trace it)."""
        query = "&".join(filter(None, [self.parts.query, f"to={quote(address)}", f"+{header}={value}"]))
        return urlunsplit((self.parts.scheme, self.parts.netloc, self.parts.path, query, ""))

    def send(self, delivery: Claimed) -> str | None:
        if "@" not in delivery.address:
            raise PermanentError(_("'{address}' is not an email address").format(address=delivery.address))
        # async_mode off: apprise sends in this thread, where `_own_message_id` holds
        sender = apprise.Apprise(asset=apprise.AppriseAsset(timezone="Asia/Ho_Chi_Minh", async_mode=False))
        if not sender.add(self.url_for(delivery)):
            raise PermanentError(_("the SMTP URL is not valid for apprise"))
        attach = [calendar_attachment(delivery.attachment)] if delivery.attachment else None
        with _own_message_id(delivery.message_id or self.message_id_for(delivery)):
            sent = sender.notify(title=delivery.subject, body=delivery.body_html,
                                 body_format=apprise.NotifyFormat.HTML, attach=attach)
        if not sent:
            raise TemporaryError(_("the SMTP server did not accept the message"))
        return f"email:{delivery.id}"


class EmailSettings(ChannelSettings):
    # apprise email URL without the recipient, e.g.
    # mailtos://user:password@smtp.example.gov.vn:587?from=nhacviec@example.gov.vn&name=Nhắc%20việc
    smtp_url: str | None = None

    @field_validator("smtp_url")
    @classmethod
    def _mail_url(cls, value: str | None) -> str | None:
        return checked_url(value) if value else None


def build(setup: Setup) -> EmailChannel | None:
    url = setup.config(EmailSettings).smtp_url
    return EmailChannel(url) if url else None


CHANNEL = ChannelSpec(transport=EmailChannel, label="email", family=Family.EMAIL, body=Body.HTML,
                      contact=Contact.EMAIL, chain=None, stand_in=True, build=build, settings=EmailSettings)
