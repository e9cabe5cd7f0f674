"""Configuration from the environment (`COMMPLAN_*`), built lazily, never at import.

Secrets (the link secret, the token key) live here too, never in plan YAML; each
channel's own settings (SMTP URL, Zalo app, SMS keys) are a `ChannelSettings`
class in that channel's module, read from the same `COMMPLAN_*` variables. A weak link secret is refused with one line naming the
variable (`SettingsError`); on the embedded default (SQLite in the data folder)
with no secret set, one is generated once into the data folder (mode 0600).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .i18n import N_, _

MIN_SECRET_BYTES = 32
# what people paste from examples and tutorials (compared lowercased, letters and digits only)
PLACEHOLDERS = ("changeme", "changeit", "secret", "password", "matkhau", "bimat", "example", "placeholder",
                "default", "commplan", "yoursecret", "xxxx", "12345678", "abcdefgh")
SECRET_FILE = "link-secret"
MAX_REPORT_LEAD = 10  # working days: two weeks


class SettingsError(ValueError):
    """A setting that cannot be used: one line naming the variable."""


def weak_secret(value: str) -> str | None:
    """Why this secret is too weak to sign anything, or None."""
    if len(value.encode()) < MIN_SECRET_BYTES:
        return _("is shorter than {size} bytes").format(size=MIN_SECRET_BYTES)
    letters = re.sub(r"[^0-9a-z]", "", value.lower())
    if letters.startswith(PLACEHOLDERS):
        return _("is a known default or placeholder")
    if len(set(value)) < 8:
        return _("repeats a few characters")
    return None


def secure_folder(folder: Path) -> Path:
    """Create the folder readable by its owner only (0700); an existing one keeps its mode."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def generated_secret(data_dir: Path) -> str:
    """The secret generated once into the data folder (0600), created on first need."""
    path = data_dir / SECRET_FILE
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    secure_folder(data_dir)
    value = secrets.token_urlsafe(48)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its secret
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(value + "\n")
    return value


def default_data_dir() -> Path:
    """`$XDG_DATA_HOME/commplan`, i.e. `~/.local/share/commplan` on most machines."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "commplan"


class ChannelSettings(BaseSettings):
    """A channel's own settings, declared in its module (`notify/<channel>.py`): `COMMPLAN_<FIELD>`
    like the core settings, read when the channel is set up (`Settings.channel`)."""

    model_config = SettingsConfigDict(env_prefix="COMMPLAN_", extra="ignore")


C = TypeVar("C", bound=ChannelSettings)


class Settings(BaseSettings):
    # extra="allow": a keyword that is no core setting (`Settings(<channel setting>=...)`) is kept for the
    # channel that declares it (`channel`); the environment holds only the declared fields
    model_config = SettingsConfigDict(env_prefix="COMMPLAN_", extra="allow")

    if TYPE_CHECKING:
        # For mypy only: the keywords include the channels' settings (`Settings(<channel setting>=...)`),
        # which no field here declares; without this, mypy reads the fields below as the only keywords.
        def __init__(self, **values: Any) -> None: ...

    data_dir: Path = Field(default_factory=default_data_dir)
    # e.g. postgresql+psycopg://commplan@127.0.0.1:5432/commplan; default: SQLite in data_dir
    database_url: str | None = None
    # Years after the current one that `sync` materialises (the rest of this year is always included).
    horizon_years: int = Field(default=1, ge=0, le=10)
    # file stand-ins for the channels (outbox.jsonl) when none is configured: default on SQLite only
    file_channels: bool | None = None
    # a claim older than this belongs to a sender that died: re-checked (sent again only where the
    # provider de-duplicates); keep it well above the longest send
    send_lease_seconds: int = Field(default=600, ge=0)
    # deliveries a sender claims at a time (several workers share the outbox batch by batch)
    send_batch: int = Field(default=50, ge=1, le=1000)

    # The web app's public address and the secret that signs its links (one-click reports,
    # calendar feeds); reminders carry a report link only when both are set.
    public_url: str | None = None
    link_secret: str | None = None
    # old-form feed tokens (and report links issued before the upgrade) are accepted through this day
    legacy_links_until: dt.date | None = None
    # a Fernet key (`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)
    # encrypting the Zalo token pair in the ledger; default: derived from the link secret
    token_key: str | None = None
    # the largest document the report page accepts, in MB (1 MB = 1,000,000 bytes)
    upload_max_mb: int = Field(default=20, ge=1, le=1000)
    # the ministry's forms are built this many working days before their report's deadline (0: on its day)
    report_lead_workdays: int = 1
    # Feeds are read from public addresses only (clerks write their addresses, public sites redirect): true
    # also allows loopback and private networks (10/8, 172.16/12, 192.168/16, fc00::/7), for tests and an
    # intranet portal. Link-local (the cloud's metadata service), multicast and reserved addresses never.
    feeds_allow_private_hosts: bool = False

    @field_validator("link_secret")
    @classmethod
    def _strong_secret(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        reason = weak_secret(value.strip())
        if reason:
            raise ValueError(_("COMMPLAN_LINK_SECRET {reason}: anyone could guess it and forge feed and report links; "
                               "generate one with `{command}`").format(
                reason=reason, command="python -c 'import secrets; print(secrets.token_urlsafe(48))'"))
        return value.strip()

    @field_validator("token_key")
    @classmethod
    def _fernet_key(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        from cryptography.fernet import Fernet

        try:
            Fernet(value.strip())
        except ValueError:
            raise ValueError(_("COMMPLAN_TOKEN_KEY is not a Fernet key (32 bytes in url-safe base64): generate one "
                               "with `{command}`").format(
                command="python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'")) from None
        return value.strip()

    @field_validator("report_lead_workdays")
    @classmethod
    def _lead_in_range(cls, value: int) -> int:
        if not 0 <= value <= MAX_REPORT_LEAD:
            raise ValueError(_("COMMPLAN_REPORT_LEAD_WORKDAYS must be a number of working days from 0 to {most} (the "
                               "forms are built that many working days before the report's deadline; 0: on the "
                               "deadline's day), got {value}").format(most=MAX_REPORT_LEAD, value=value))
        return value

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError(_("COMMPLAN_DATABASE_URL must be a sqlite:// or postgresql+psycopg:// URL"))
        return value or None

    def channel(self, kind: type[C]) -> C:
        """One channel's settings: its `COMMPLAN_*` variables, with what was given to this object
        (a keyword of `Settings`, `model_copy(update=...)`) taking precedence; invalid values give one line."""
        given = {name: value for name, value in (self.model_extra or {}).items() if name in kind.model_fields}
        try:
            return kind(**given)
        except ValidationError as error:
            raise settings_error(error) from None

    def including(self, *kinds: type[ChannelSettings]) -> Settings:
        """A copy that also answers these channels' settings as attributes,
        for a channel's own command (`commplan zalo-token`)."""
        values = {name: value for kind in kinds for name, value in self.channel(kind).model_dump().items()}
        return self.model_copy(update=values)

    @property
    def database(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'commplan.sqlite3'}"

    @property
    def signing_secret(self) -> str | None:
        """COMMPLAN_LINK_SECRET, else on the embedded default the secret generated into the data folder."""
        if self.link_secret:
            return self.link_secret
        if self.database_url:  # a shared database: every process must be given the same secret
            return None
        return generated_secret(self.data_dir)

    @property
    def token_store_key(self) -> str:
        """The Fernet key sealing the Zalo token pair in the ledger: COMMPLAN_TOKEN_KEY, else derived
        (HKDF) from the link secret; with neither, one line saying what to set."""
        if self.token_key:
            return self.token_key
        secret = self.signing_secret
        if not secret:
            raise SettingsError(_("COMMPLAN_TOKEN_KEY is not set: the Zalo tokens are stored encrypted under it (or "
                                  "under a key derived from COMMPLAN_LINK_SECRET); set one of them on every process "
                                  "sharing the database"))
        import base64

        from .links import derived_key

        return base64.urlsafe_b64encode(derived_key(secret, "token-store")).decode()

    @property
    def legacy_until(self) -> dt.date:
        from .links import LEGACY_LINKS_UNTIL

        return self.legacy_links_until or LEGACY_LINKS_UNTIL


# pydantic's own words for a badly typed variable, in ours (the reader's language)
TYPE_MESSAGES = {
    "bool_parsing": N_("expected true or false, got {got!r}"),
    "int_parsing": N_("expected a whole number, got {got!r}"),
    "float_parsing": N_("expected a number, got {got!r}"),
    "greater_than_equal": N_("must be at least {ge}, got {got!r}"),
    "less_than_equal": N_("must be at most {le}, got {got!r}"),
}


def settings_error(error: ValidationError) -> SettingsError:
    first = error.errors()[0]
    template = TYPE_MESSAGES.get(first.get("type", ""))
    context = first.get("ctx") or {}
    if template:
        message = _(template).format(got=first.get("input"), ge=context.get("ge"), le=context.get("le"))
    else:
        message = str(first.get("msg", error)).removeprefix("Value error, ")
    if not message.startswith("COMMPLAN_"):
        message = f"COMMPLAN_{str(first['loc'][0]).upper()}: {message}" if first.get("loc") else message
    return SettingsError(message)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        raise settings_error(error) from None
