"""Configuration from the environment (`COMMPLAN_*`), built lazily, never at import.

Secrets (SMTP password, Zalo tokens, SMS keys) will live here too, never in
plan YAML.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    """`$XDG_DATA_HOME/commplan`, i.e. `~/.local/share/commplan` on most machines."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "commplan"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COMMPLAN_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    # e.g. postgresql+psycopg://commplan@127.0.0.1:5432/commplan; default: SQLite in data_dir
    database_url: str | None = None
    # Years after the current one that `sync` materialises (the rest of this year is always included).
    horizon_years: int = Field(default=1, ge=0, le=10)
    # apprise email URL without the recipient, e.g.
    # mailtos://user:password@smtp.example.gov.vn:587?from=nhacviec@example.gov.vn&name=Nhắc%20việc
    smtp_url: str | None = None
    # Zalo Official Account. With app id and secret key the token store in the ledger keeps the
    # access token fresh (`commplan zalo-token` seeds it); a bare access token is used as it is.
    zalo_app_id: str | None = None
    zalo_secret_key: str | None = None
    zalo_access_token: str | None = None
    zalo_api_base: str = "https://openapi.zalo.me"
    zalo_oauth_base: str = "https://oauth.zaloapp.com"
    # ZNS template messages by phone (the template is registered and approved in the ZCA console)
    zns_template_id: str | None = None
    zns_api_base: str = "https://business.openapi.zalo.me"
    zns_development: bool = False  # "mode": "development": sent only to the OA's admins, for tests
    # eSMS.vn brand-name SMS
    esms_api_key: str | None = None
    esms_secret_key: str | None = None
    esms_brandname: str | None = None
    esms_sandbox: bool = False
    esms_api_base: str = "https://rest.esms.vn"
    # file stand-ins for the channels (outbox.jsonl) when none is configured: default on SQLite only
    file_channels: bool | None = None
    # a claim older than this belongs to a sender that died: re-checked (sent again only where the
    # provider de-duplicates); keep it well above the longest send
    send_lease_seconds: int = Field(default=600, ge=0)
    # deliveries a sender claims at a time (several workers share the outbox batch by batch)
    send_batch: int = Field(default=50, ge=1, le=1000)
    # or any apprise SMS service, with {phone} for the recipient: twilio://SID:TOKEN@+84900000000/{phone}
    sms_apprise_url: str | None = None

    # The web app's public address and the secret that signs its links (one-click reports,
    # calendar feeds); reminders carry a report link only when both are set.
    public_url: str | None = None
    link_secret: str | None = None

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("COMMPLAN_DATABASE_URL must be a sqlite:// or postgresql+psycopg:// URL")
        return value or None

    @property
    def database(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'commplan.sqlite3'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
