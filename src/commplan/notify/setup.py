"""Which channels this installation sends through (settings only, never the plans' YAML).

Until a channel's credentials are configured (issue #5 adds Zalo OA, ZNS, eSMS
and SMTP through apprise), it is a file channel: every message it would send
is appended to `$COMMPLAN_DATA_DIR/outbox.jsonl`, so that nothing is lost and
a clerk can read exactly what would have gone out.
"""

from __future__ import annotations

from ..settings import Settings
from .channels import Channel, FileChannel

CHANNELS = ("zalo", "email", "sms")
QUIET = {"zalo", "sms"}


def configured_channels(settings: Settings) -> dict[str, Channel]:
    path = settings.data_dir / "outbox.jsonl"
    channels: dict[str, Channel] = {}
    for name in CHANNELS:
        channel = FileChannel(name, path)
        channel.quiet_hours = name in QUIET
        channels[name] = channel
    if settings.smtp_url:
        from .email import EmailChannel

        channels["email"] = EmailChannel(settings.smtp_url)
    if settings.zalo_access_token:
        from .zalo import StaticTokens, ZaloOAChannel

        channels["zalo"] = ZaloOAChannel(StaticTokens(settings.zalo_access_token), settings.zalo_api_base)
    if settings.esms_api_key and settings.esms_secret_key and settings.esms_brandname:
        from .esms import ESMSChannel

        channels["sms"] = ESMSChannel(settings.esms_api_key, settings.esms_secret_key, settings.esms_brandname,
                                      sandbox=settings.esms_sandbox, base=settings.esms_api_base)
    return channels
