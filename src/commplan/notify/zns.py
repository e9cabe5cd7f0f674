"""Zalo ZNS ("ZBS Template Message") by phone, as an apprise plugin.

`POST {base}/message/template` with the OA's `access_token` header and
`{"phone": "849…", "template_id": …, "template_data": {…}, "tracking_id": …}`,
plus `"mode": "development"` for tests (delivered to the OA's admins only).
Success when `error` is 0; the message id is `data.msg_id`. The text is the
approved template filled with `template_data`, so the body apprise passes in
is not sent. Codes and sources: docs/notify-research.md §3.2.

`tracking_id` is ours (`commplan-<delivery id>`), the same on every attempt of
a delivery, and comes back in Zalo's delivery webhook. Zalo documents it as a
reconciliation key ("đối soát"), not as a de-duplication key: a second send
with the same tracking_id is a second message.
"""

from __future__ import annotations

import json
from typing import Any

from apprise import NotificationManager, NotifyBase, NotifyFormat, NotifyType
from apprise.utils.parse import parse_bool

from ..i18n import _
from ..ledger.outbox import Claimed
from ..settings import ChannelSettings
from .channels import PermanentError
from .registry import Body, ChannelSpec, Contact, Family, Setup
from .zalo import ErrorCodes, ZaloTokens, post, send_with_tokens, succeeded, tokens_of

PRODUCTION_BASE = "https://business.openapi.zalo.me"

# Codes: zalo.cloud/zns/guidelines/handle-error-code (0 to -111, official), the rest from the getfly
# helpdesk and a third-party spec (docs/notify-research.md §3.2). Token codes (-124) are in zalo.py.
# No Zalo account on the number, or it cannot receive ZNS (inactive, refused, Zalo too old): try SMS.
ZNS_UNREACHABLE = {-118, -119, -114, -110}
# Invalid phone, app or template configuration, template not approved or not ours, development mode
# to someone who is not an admin: a person has to fix something first.
ZNS_PERMANENT = {-101, -102, -103, -104, -105, -106, -108, -109, -111, -112, -1121, -1122, -117, -127, -131, -146}
# Rate limit, balance and daily quotas, development quota, the night ban, "unknown error, retry later".
ZNS_TEMPORARY = {-32, -100, -115, -126, -133, -144, -147}
ZNS_CODES = ErrorCodes("Zalo ZNS", ZNS_UNREACHABLE, ZNS_PERMANENT, ZNS_TEMPORARY)


class NotifyZaloZNS(NotifyBase):
    service_name = "Zalo ZNS"
    secure_protocol = "zns"
    notify_format = NotifyFormat.TEXT
    title_maxlen = 0
    request_rate_per_sec = 0  # the outbox paces sends, not apprise
    templates = ("{schema}://{phone}",)
    template_tokens = dict(NotifyBase.template_tokens, phone={"name": "Phone", "type": "string", "required": True})
    template_args = dict(
        NotifyBase.template_args,
        token={"name": "Access token", "type": "string", "private": True},
        template={"name": "Template ID", "type": "string"},
        tracking={"name": "Tracking ID", "type": "string"},
        development={"name": "Development mode", "type": "bool", "default": False},
        base={"name": "API base", "type": "string"},
    )
    # `:name=value` in the URL, as apprise's json:// passes payload extras
    template_kwargs = {"data": {"name": "Template data", "prefix": ":"}}

    def __init__(self, phone: str, token: str, template: str, data: dict | None = None, tracking: str | None = None,
                 development: bool = False, base: str = PRODUCTION_BASE, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not (phone and token and template):
            raise TypeError("a ZNS message needs a phone, an access token and a template id")
        self.phone, self.token, self.template, self.data = phone, token, template, dict(data or {})
        self.tracking, self.development, self.base = tracking, development, base.rstrip("/")
        self.last_result: dict = {}

    def send(self, body: str = "", title: str = "", notify_type: NotifyType = NotifyType.INFO, **kwargs: Any) -> bool:
        payload = {"phone": self.phone, "template_id": self.template, "template_data": self.data}
        if self.tracking:
            payload["tracking_id"] = self.tracking
        if self.development:
            payload["mode"] = "development"
        self.last_result = post(f"{self.base}/message/template", self.token, payload, self.request_timeout)
        return succeeded(self.last_result)

    def url(self, privacy: bool = False, *args: Any, **kwargs: Any) -> str:
        params = self.url_parameters(*args, privacy=privacy, **kwargs)
        params.update(token=self.pprint(self.token, privacy, safe=""), template=self.template,
                      development="yes" if self.development else "no", base=self.base)
        if self.tracking:
            params["tracking"] = self.tracking
        params.update({f":{name}": value for name, value in self.data.items()})
        return f"{self.secure_protocol}://{self.quote(self.phone, safe='')}?{self.urlencode(params)}"

    @staticmethod
    def parse_url(url: str) -> dict[str, Any] | None:
        result = NotifyBase.parse_url(url, verify_host=False)
        if result:
            result["phone"] = NotifyZaloZNS.unquote(result["host"])
            for key in ("token", "template", "tracking", "base"):
                if result["qsd"].get(key):
                    result[key] = NotifyZaloZNS.unquote(result["qsd"][key])
            result["development"] = parse_bool(result["qsd"].get("development", "no"))
            result["data"] = {NotifyZaloZNS.unquote(k): NotifyZaloZNS.unquote(v) for k, v in result["qsd:"].items()}
        return result


NotificationManager().add(NotifyZaloZNS, force=True)


class ZNSChannel:
    name = "zns"
    # Not idempotent: Zalo does not document de-duplication by tracking_id (see the module docstring),
    # so a send whose outcome was lost is reported, not repeated.
    idempotent = False
    quiet_hours = True

    def __init__(self, tokens: ZaloTokens, template_id: str, *, base: str = PRODUCTION_BASE,
                 development: bool = False):
        self.tokens, self.template_id, self.base, self.development = tokens, template_id, base, development

    def send(self, delivery: Claimed) -> str | None:
        data = template_data(delivery)
        tracking = f"commplan-{delivery.id}"
        answer = send_with_tokens(
            self.tokens,
            lambda token: NotifyZaloZNS(phone=delivery.address, token=token, template=self.template_id, data=data,
                                        tracking=tracking, development=self.development, base=self.base),
            tracking,  # apprise wants a body; ZNS sends the template, not text
            ZNS_CODES,
        )
        return answer.get("msg_id")


def template_data(delivery: Claimed) -> dict:
    try:
        data = json.loads(delivery.template_data or "")
    except ValueError:
        data = None
    if not isinstance(data, dict) or not data:
        raise PermanentError(_("delivery {delivery} has no ZNS template data").format(delivery=delivery.id))
    return data


class ZNSSettings(ChannelSettings):
    # ZNS template messages by phone (the template is registered and approved in the ZCA console),
    # sent with the Zalo OA's tokens (`zalo.ZaloSettings`)
    zns_template_id: str | None = None
    zns_api_base: str = PRODUCTION_BASE
    zns_development: bool = False  # "mode": "development": sent only to the OA's admins, for tests


def build(setup: Setup) -> ZNSChannel | None:
    settings, tokens = setup.config(ZNSSettings), tokens_of(setup)
    if tokens is None or not settings.zns_template_id:
        return None
    return ZNSChannel(tokens, settings.zns_template_id, base=settings.zns_api_base, development=settings.zns_development)


# a registered template needs no text: no stand-in writes it
CHANNEL = ChannelSpec(transport=ZNSChannel, label="Zalo ZNS", family=Family.ZALO, body=Body.TEMPLATE,
                      contact=Contact.PHONE, chain=20, stand_in=False, build=build, settings=ZNSSettings)
