"""Where reminder replies arrive (`COMMPLAN_*`, like every setting; secrets never printed).

- `COMMPLAN_IMAP_URL`: the reminder mailbox, polled (`commplan mail-in poll`, the `mail-in` flow every
  5 minutes) or watched with IDLE (`commplan mail-in watch`): `imaps://user:password@host:993/INBOX`
  (TLS), or `imap://…:143/INBOX` (STARTTLS when the server offers it; without TLS only to a loopback
  host). User and password are percent-encoded (`@` as `%40`). The folder defaults to INBOX.
- `COMMPLAN_MAIL_IN_LISTEN`: `HOST:PORT` of the small inbound SMTP service (`commplan mail-in serve`),
  for a mail server that forwards the mailbox's messages to it; loopback or an internal address.
- `COMMPLAN_MAIL_IN_MAX_MB`: the largest message taken (default 25 MB); attachments also stay under
  COMMPLAN_UPLOAD_MAX_MB each, as uploads do.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, field_validator

from ..i18n import _
from ..settings import ChannelSettings, Settings

DEFAULT_PORTS = {"imaps": 993, "imap": 143}


@dataclass(frozen=True)
class ImapTarget:
    host: str
    port: int
    tls: bool  # imaps: TLS from the start; imap: STARTTLS when offered
    user: str
    password: str
    folder: str

    def __repr__(self) -> str:  # never the password
        return f"ImapTarget({'imaps' if self.tls else 'imap'}://{self.user}@{self.host}:{self.port}/{self.folder})"

    __str__ = __repr__

    @property
    def loopback(self) -> bool:
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return self.host == "localhost"


def imap_target(url: str) -> ImapTarget:
    """The mailbox a COMMPLAN_IMAP_URL names; ValueError (naming the variable, never the password) otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme not in DEFAULT_PORTS:
        raise ValueError(_("COMMPLAN_IMAP_URL must be an imaps:// or imap:// URL"))
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise ValueError(_("COMMPLAN_IMAP_URL has an invalid port number")) from None
    if not parts.hostname or not parts.username or parts.password is None:
        raise ValueError(_("COMMPLAN_IMAP_URL needs a user, a password and a host: imaps://user:password@host/INBOX"))
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    return ImapTarget(host=parts.hostname, port=port, tls=parts.scheme == "imaps", user=unquote(parts.username),
                      password=unquote(parts.password), folder=folder)


def listen_address(value: str) -> tuple[str, int]:
    host, _sep, port = value.strip().rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(_("COMMPLAN_MAIL_IN_LISTEN must be HOST:PORT, e.g. 127.0.0.1:2525"))
    return host.strip("[]"), int(port)


class MailInSettings(ChannelSettings):
    imap_url: SecretStr | None = None
    mail_in_listen: str | None = None
    mail_in_max_mb: int = Field(default=25, ge=1, le=200)

    @field_validator("imap_url")
    @classmethod
    def _imap(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        imap_target(value.get_secret_value())
        return value

    @field_validator("mail_in_listen")
    @classmethod
    def _listen(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        listen_address(value)
        return value.strip()

    @property
    def imap(self) -> ImapTarget | None:
        return imap_target(self.imap_url.get_secret_value()) if self.imap_url else None

    @property
    def listen(self) -> tuple[str, int] | None:
        return listen_address(self.mail_in_listen) if self.mail_in_listen else None

    @property
    def max_bytes(self) -> int:
        return self.mail_in_max_mb * 1_000_000


def replies_read(settings: Settings) -> bool:
    """Whether replies to reminder emails are taken in (a mailbox or the inbound SMTP service is set up): then
    reminder emails say that a reply with the link or the file is enough. A setting in error reads as no (the
    mail-in commands report it)."""
    try:
        mail_in = settings.channel(MailInSettings)
    except ValueError:
        return False
    return mail_in.imap_url is not None or mail_in.mail_in_listen is not None
