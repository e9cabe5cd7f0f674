"""SMS through any of apprise's own SMS services (Twilio, Vonage, SMPP, …), by configuration.

`COMMPLAN_SMS_APPRISE_URL` is the service's apprise URL with `{phone}` where the
recipient goes, e.g. `twilio://SID:TOKEN@+84900000000/{phone}` or
`smpp://user:password@smsc.example.vn:2775/84900000000/{phone}`. apprise only
answers yes or no, so a refusal is treated as temporary and retried with the
outbox's backoff; these services have no idempotency key, so a send whose
outcome a crash lost is never repeated.
"""

from __future__ import annotations

import apprise
from pydantic import field_validator

from ..i18n import _
from ..ledger.outbox import Claimed
from ..settings import ChannelSettings
from .channels import PermanentError, TemporaryError
from .registry import Body, ChannelSpec, Contact, Family, Setup


def checked_template(url_template: str) -> str:
    if "{phone}" not in url_template:
        raise ValueError(_("COMMPLAN_SMS_APPRISE_URL needs {placeholder} where the recipient's number goes").format(
            placeholder="{phone}"))
    return url_template


class AppriseSMSChannel:
    name = "sms"
    idempotent = False
    quiet_hours = True

    def __init__(self, url_template: str):
        self.url_template = checked_template(url_template)

    def send(self, delivery: Claimed) -> str | None:
        sender = apprise.Apprise()
        if not sender.add(self.url_template.replace("{phone}", delivery.address)):
            raise PermanentError(_("COMMPLAN_SMS_APPRISE_URL is not a URL apprise knows"))
        if not sender.notify(body=delivery.body_sms, title="", body_format=apprise.NotifyFormat.TEXT):
            raise TemporaryError(_("the SMS service did not accept the message"))
        return f"sms:{delivery.id}"


class AppriseSMSSettings(ChannelSettings):
    # any apprise SMS service, with {phone} for the recipient: twilio://SID:TOKEN@+84900000000/{phone}
    sms_apprise_url: str | None = None

    @field_validator("sms_apprise_url")
    @classmethod
    def _has_phone(cls, value: str | None) -> str | None:
        return checked_template(value) if value else None


def build(setup: Setup) -> AppriseSMSChannel | None:
    url = setup.config(AppriseSMSSettings).sms_apprise_url
    return AppriseSMSChannel(url) if url else None


CHANNEL = ChannelSpec(transport=AppriseSMSChannel, label="SMS", family=Family.SMS, body=Body.SMS,
                      contact=Contact.PHONE, chain=30, stand_in=True, build=build, settings=AppriseSMSSettings)
