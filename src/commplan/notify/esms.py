"""SMS through eSMS.vn, a Vietnamese brand-name gateway, as an apprise plugin.

`POST {base}/MainService.svc/json/SendMultipleMessage_V4_post_json/` with
ApiKey, SecretKey, Phone, Content, Brandname, SmsType, IsUnicode, Sandbox and
RequestId. eSMS answers HTTP 200 even on errors: success is `CodeResult ==
"100"`, not the status. RequestId (our delivery id) makes eSMS refuse a second
send the same day with code 124, which is taken as "already sent" (codes and
sources: docs/notify-research.md §4).
"""

from __future__ import annotations

from typing import Any

import requests
from apprise import NotificationManager, NotifyBase, NotifyFormat, NotifyType
from apprise.utils.parse import parse_bool

from ..i18n import _
from ..ledger.outbox import Claimed
from ..settings import ChannelSettings
from .channels import OutcomeUnknown, PermanentError, TemporaryError, send_with
from .registry import Body, ChannelSpec, Contact, Family, Setup

PRODUCTION_BASE = "https://rest.esms.vn"
PATH = "/MainService.svc/json/SendMultipleMessage_V4_post_json/"
ALREADY_SENT = "124"
TEMPORARY = {"103"}  # not enough balance: someone tops up, the outbox retries
PERMANENT = {"99", "101", "102", "104", "108", "118", "140", "146", "177"}


class NotifyESMS(NotifyBase):
    service_name = "eSMS.vn"
    secure_protocol = "esms"
    notify_format = NotifyFormat.TEXT
    title_maxlen = 0
    body_maxlen = 160  # the notifier already fits one unaccented segment
    request_rate_per_sec = 0
    templates = ("{schema}://{phone}",)
    template_tokens = dict(NotifyBase.template_tokens, phone={"name": "Phone", "type": "string", "required": True})
    template_args = dict(
        NotifyBase.template_args,
        key={"name": "ApiKey", "type": "string", "private": True},
        secret={"name": "SecretKey", "type": "string", "private": True},
        brandname={"name": "Brandname", "type": "string"},
        request={"name": "RequestId", "type": "string"},
        sandbox={"name": "Sandbox", "type": "bool", "default": False},
        base={"name": "API base", "type": "string"},
    )

    def __init__(self, phone: str, key: str, secret: str, brandname: str, request: str, sandbox: bool = False,
                 base: str = PRODUCTION_BASE, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not (phone and key and secret and brandname and request):
            raise TypeError("an eSMS message needs phone, ApiKey, SecretKey, Brandname and RequestId")
        self.phone, self.key, self.secret, self.brandname = phone, key, secret, brandname
        self.request, self.sandbox, self.base = request[:50], sandbox, base.rstrip("/")
        self.last_result: dict = {}

    def send(self, body: str, title: str = "", notify_type: NotifyType = NotifyType.INFO, **kwargs: Any) -> bool:
        payload = {
            "ApiKey": self.key, "SecretKey": self.secret, "Phone": self.phone, "Content": body,
            "Brandname": self.brandname, "SmsType": "2", "IsUnicode": "0", "Sandbox": "1" if self.sandbox else "0",
            "RequestId": self.request,
        }
        try:
            response = requests.post(self.base + PATH, json=payload, timeout=self.request_timeout)
            answer = response.json()
        except (requests.RequestException, ValueError) as error:
            # only a failure to connect proves nothing went out; after that (a read timeout, a dropped
            # connection, an unreadable answer) eSMS may have the message
            self.last_result = {"transport": str(error), "maybe_sent": not _never_sent(error)}
            return False
        self.last_result = {"http": response.status_code, "code": str(answer.get("CodeResult", "")),
                            "message": answer.get("ErrorMessage") or answer.get("error"), "sms_id": answer.get("SMSID")}
        return self.last_result["code"] in ("100", ALREADY_SENT)

    def url(self, privacy: bool = False, *args: Any, **kwargs: Any) -> str:
        params = self.url_parameters(*args, privacy=privacy, **kwargs)
        params.update(key=self.pprint(self.key, privacy, safe=""), secret=self.pprint(self.secret, privacy, safe=""),
                      brandname=self.brandname, request=self.request, sandbox="yes" if self.sandbox else "no",
                      base=self.base)
        return f"{self.secure_protocol}://{self.quote(self.phone, safe='')}?{self.urlencode(params)}"

    @staticmethod
    def parse_url(url: str) -> dict[str, Any] | None:
        result = NotifyBase.parse_url(url, verify_host=False)
        if result:
            result["phone"] = NotifyESMS.unquote(result["host"])
            for key in ("key", "secret", "brandname", "request", "base"):
                if result["qsd"].get(key):
                    result[key] = NotifyESMS.unquote(result["qsd"][key])
            result["sandbox"] = parse_bool(result["qsd"].get("sandbox", "no"))
        return result


def _never_sent(error: Exception) -> bool:
    """A connect timeout, a refused connection or an unknown host: the request never left."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    if isinstance(error, requests.ConnectionError):
        text = repr(error)
        return any(mark in text for mark in ("NewConnectionError", "Connection refused", "Failed to resolve",
                                             "Name or service not known"))
    return False


NotificationManager().add(NotifyESMS, force=True)


class ESMSChannel:
    name = "sms"
    idempotent = True  # eSMS refuses a RequestId it has seen (code 124): a re-send after a crash is safe ...
    dedup_same_day = True  # ... within the same day, as far as eSMS's memory of RequestIds goes
    quiet_hours = True

    def __init__(self, key: str, secret: str, brandname: str, *, sandbox: bool = False, base: str = PRODUCTION_BASE):
        self.key, self.secret, self.brandname, self.sandbox, self.base = key, secret, brandname, sandbox, base

    def send(self, delivery: Claimed) -> str | None:
        plugin = NotifyESMS(phone=delivery.address, key=self.key, secret=self.secret, brandname=self.brandname,
                            request=f"commplan-{delivery.id}", sandbox=self.sandbox, base=self.base)
        result = send_with(plugin, delivery.body_sms)
        if result is None:
            return plugin.last_result.get("sms_id") or f"esms:commplan-{delivery.id}"
        if "transport" in result:
            if result.get("maybe_sent"):
                raise OutcomeUnknown(_("eSMS did not answer in time: {error}").format(error=result["transport"]))
            raise TemporaryError(_("eSMS unreachable: {error}").format(error=result["transport"]))
        code = result.get("code")
        if code in PERMANENT:
            raise PermanentError(_("eSMS {code}: {message}").format(code=code, message=result.get("message")))
        raise TemporaryError(_("eSMS answered HTTP {http} {code}: {message}").format(
            http=result.get("http"), code=code or _("without CodeResult"), message=result.get("message")))


class ESMSSettings(ChannelSettings):
    # eSMS.vn brand-name SMS: all three of key, secret and brand name, or none
    esms_api_key: str | None = None
    esms_secret_key: str | None = None
    esms_brandname: str | None = None
    esms_sandbox: bool = False
    esms_api_base: str = PRODUCTION_BASE


def build(setup: Setup) -> ESMSChannel | None:
    s = setup.config(ESMSSettings)
    if not (s.esms_api_key and s.esms_secret_key and s.esms_brandname):
        return None
    return ESMSChannel(s.esms_api_key, s.esms_secret_key, s.esms_brandname, sandbox=s.esms_sandbox, base=s.esms_api_base)


# preferred over apprise's SMS services (listed first in the registry): it de-duplicates by our key
CHANNEL = ChannelSpec(transport=ESMSChannel, label="SMS", family=Family.SMS, body=Body.SMS,
                      contact=Contact.PHONE, chain=30, stand_in=True, build=build, settings=ESMSSettings)
