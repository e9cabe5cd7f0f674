"""Which channels this installation sends through (settings only, never the plans' YAML).

With no channel configured, on the embedded default (SQLite), every channel is
a file channel: each message it would send is appended to
`$COMMPLAN_DATA_DIR/outbox.jsonl`, so a clerk reads exactly what would go out.
Once any channel is configured, or on a shared PostgreSQL ledger, there are
no stand-ins: a worker without credentials must never take real messages
off a shared outbox and write them to its own disk
(`COMMPLAN_FILE_CHANNELS=true|false` overrides). Configured channels:

- email: `COMMPLAN_SMTP_URL` (apprise `mailto://` / `mailtos://`);
- zalo (OA messages to followers): `COMMPLAN_ZALO_APP_ID` + `COMMPLAN_ZALO_SECRET_KEY`
  (tokens from the ledger's token store, refreshed), or a bare `COMMPLAN_ZALO_ACCESS_TOKEN`;
- zns (template messages by phone): the Zalo tokens plus `COMMPLAN_ZNS_TEMPLATE_ID`;
- sms: eSMS.vn (`COMMPLAN_ESMS_*`), or any apprise SMS service (`COMMPLAN_SMS_APPRISE_URL`).
"""

from __future__ import annotations

import datetime as dt

from ..ledger import Ledger
from ..plan.catalog import Catalog
from ..settings import Settings
from .channels import Channel, FileChannel

FILE_CHANNELS = ("zalo", "email", "sms")  # ZNS needs a registered template: no stand-in for it
QUIET = {"zalo", "zns", "sms"}


def zalo_tokens(settings: Settings, ledger: Ledger | None):
    """The token source for the Zalo channels, or None when Zalo is not configured."""
    if settings.zalo_app_id and settings.zalo_secret_key and ledger is not None:
        from .zalo_tokens import LedgerZaloTokens

        return LedgerZaloTokens(ledger, settings.zalo_app_id, settings.zalo_secret_key, key=settings.token_store_key,
                                oauth_base=settings.zalo_oauth_base)
    if settings.zalo_access_token:
        from .zalo import StaticTokens

        return StaticTokens(settings.zalo_access_token)
    return None


def configured_channels(settings: Settings, ledger: Ledger | None = None) -> dict[str, Channel]:
    channels: dict[str, Channel] = {}
    if settings.smtp_url:
        from .email import EmailChannel

        channels["email"] = EmailChannel(settings.smtp_url)
    tokens = zalo_tokens(settings, ledger)
    if tokens is not None:
        from .zalo import ZaloOAChannel

        channels["zalo"] = ZaloOAChannel(tokens, settings.zalo_api_base)
        if settings.zns_template_id:
            from .zns import ZNSChannel

            channels["zns"] = ZNSChannel(tokens, settings.zns_template_id, base=settings.zns_api_base,
                                         development=settings.zns_development)
    if settings.esms_api_key and settings.esms_secret_key and settings.esms_brandname:
        from .esms import ESMSChannel

        channels["sms"] = ESMSChannel(settings.esms_api_key, settings.esms_secret_key, settings.esms_brandname,
                                      sandbox=settings.esms_sandbox, base=settings.esms_api_base)
    elif settings.sms_apprise_url:
        from .sms_apprise import AppriseSMSChannel

        channels["sms"] = AppriseSMSChannel(settings.sms_apprise_url)
    database = ledger.url if ledger is not None else settings.database  # --database wins over the setting
    stand_ins = settings.file_channels if settings.file_channels is not None else database.startswith("sqlite")
    if not channels and stand_ins:
        for name in FILE_CHANNELS:
            channel = FileChannel(name, settings.data_dir / "outbox.jsonl")
            channel.quiet_hours = name in QUIET
            channels[name] = channel
    return channels


def real_channels(channels: dict[str, Channel]) -> list[str]:
    """The channels that really send (not written to the outbox file)."""
    return sorted(name for name, channel in channels.items() if not isinstance(channel, FileChannel))


def notifier_for(ledger: Ledger, catalog: Catalog, settings: Settings, *, preview: bool = False):
    """The notifier this installation sends through; for a `preview` (a dry run, a replay), with the file
    stand-ins where no channel is configured, so that it shows what would be composed (it sends nothing)."""
    from .notifier import Notifier

    if preview:
        settings = settings.model_copy(update={"file_channels": True})
    return Notifier(ledger, catalog, configured_channels(settings, ledger),
                    public_url=settings.public_url, link_secret=settings.signing_secret if settings.public_url else None, batch=settings.send_batch,
                    lease=dt.timedelta(seconds=settings.send_lease_seconds))
