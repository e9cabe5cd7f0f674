"""Zalo Official Account messages, as an apprise plugin (apprise has no Zalo service).

`POST {base}/v3.0/oa/message/cs` with the `access_token` header and
`{"recipient": {"user_id": …}, "message": {"text": …}}`; success when `error`
is 0. Zalo answers HTTP 200 for errors too, so the outcome is read from the
body (docs/notify-research.md §3.1 has the codes and their sources). apprise's
`send()` can only say yes or no, so the plugin keeps the last answer and the
channel turns its code into a temporary or permanent error.
"""

from __future__ import annotations

import requests
from apprise import NotificationManager, NotifyBase, NotifyFormat, NotifyType

from ..ledger.outbox import Claimed
from .channels import PermanentError, TemporaryError, send_with

PRODUCTION_BASE = "https://openapi.zalo.me"
# Worth another try later: token trouble (refreshed before the retry), rate limits, quotas.
TEMPORARY_CODES = {-216, -220, -124, -32, -211, -218, -100}
# The follower is out of reach for OA messages (ZNS or SMS is the way), or the request is wrong.
PERMANENT_CODES = {-213, -230, -232, -227, -244, -201, -224}


class NotifyZaloOA(NotifyBase):
    service_name = "Zalo Official Account"
    secure_protocol = "zalooa"
    notify_format = NotifyFormat.TEXT
    title_maxlen = 0  # Zalo has no title: it is merged into the text
    body_maxlen = 2000
    request_rate_per_sec = 0  # the outbox paces sends, not apprise
    templates = ("{schema}://{user_id}",)
    template_tokens = dict(NotifyBase.template_tokens, user_id={"name": "User ID", "type": "string", "required": True})
    template_args = dict(
        NotifyBase.template_args,
        token={"name": "Access token", "type": "string", "private": True},
        base={"name": "API base", "type": "string"},
    )

    def __init__(self, user_id: str, token: str, base: str = PRODUCTION_BASE, **kwargs):
        super().__init__(**kwargs)
        if not user_id or not token:
            raise TypeError("a Zalo OA message needs a follower user_id and an access token")
        self.user_id, self.token, self.base = user_id, token, base.rstrip("/")
        self.last_result: dict = {}

    def send(self, body: str, title: str = "", notify_type=NotifyType.INFO, **kwargs) -> bool:
        try:
            response = requests.post(
                f"{self.base}/v3.0/oa/message/cs", timeout=self.request_timeout,
                headers={"access_token": self.token, "Content-Type": "application/json"},
                json={"recipient": {"user_id": self.user_id}, "message": {"text": body}},
            )
            answer = response.json()
        except (requests.RequestException, ValueError) as error:
            self.last_result = {"transport": str(error)}
            return False
        self.last_result = {
            "http": response.status_code, "error": answer.get("error"), "message": answer.get("message"),
            "message_id": (answer.get("data") or {}).get("message_id"),
        }
        return response.status_code == 200 and answer.get("error") == 0

    def url(self, privacy: bool = False, *args, **kwargs) -> str:
        params = self.url_parameters(privacy=privacy, *args, **kwargs)
        params.update(token=self.pprint(self.token, privacy, safe=""), base=self.base)
        return f"{self.secure_protocol}://{self.quote(self.user_id, safe='')}?{self.urlencode(params)}"

    @staticmethod
    def parse_url(url: str):
        result = NotifyBase.parse_url(url, verify_host=False)
        if result:
            result["user_id"] = NotifyZaloOA.unquote(result["host"])
            for key in ("token", "base"):
                if result["qsd"].get(key):
                    result[key] = NotifyZaloOA.unquote(result["qsd"][key])
        return result


NotificationManager().add(NotifyZaloOA, force=True)


class ZaloOAChannel:
    name = "zalo"
    idempotent = False  # the OA API has no idempotency key: a lost confirmation is never re-sent
    quiet_hours = True

    def __init__(self, token: str, base: str = PRODUCTION_BASE):
        self.token, self.base = token, base

    def send(self, delivery: Claimed) -> str | None:
        plugin = NotifyZaloOA(user_id=delivery.address, token=self.token, base=self.base)
        result = send_with(plugin, delivery.body_text)
        if result is None:
            return plugin.last_result.get("message_id")
        if "transport" in result:
            raise TemporaryError(f"Zalo OA unreachable: {result['transport']}")
        code, text = result.get("error"), result.get("message")
        if result.get("http") == 401 or code in TEMPORARY_CODES or (result.get("http") or 0) >= 500:
            raise TemporaryError(f"Zalo OA {code}: {text}")
        if code in PERMANENT_CODES:
            raise PermanentError(f"Zalo OA {code}: {text}")
        raise TemporaryError(f"Zalo OA answered {result.get('http')} {code}: {text}")
