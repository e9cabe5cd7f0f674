"""Zalo Official Account messages, as an apprise plugin (apprise has no Zalo service).

`POST {base}/v3.0/oa/message/cs` with the `access_token` header and
`{"recipient": {"user_id": …}, "message": {"text": …}}`; success when `error`
is 0. Zalo answers HTTP 200 for errors too, so the outcome is read from the
body (docs/notify-research.md §3.1 has the codes and their sources). apprise's
`send()` can only say yes or no, so the plugin keeps the last answer and the
channel turns its code into a temporary, permanent or unreachable error.

The OA and ZNS channels share the token handling here: a rejected token is
handed back to the token store (`ZaloTokens.invalidate`) and the send is
retried once with the token it returns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests
from apprise import NotificationManager, NotifyBase, NotifyFormat, NotifyType
from pydantic import Field

from ..i18n import _
from ..ledger import Ledger
from ..ledger.outbox import Claimed
from ..settings import ChannelSettings, Settings
from .channels import OutcomeUnknown, PermanentError, TemporaryError, Unreachable, send_with
from .registry import Body, ChannelSpec, Contact, Family, Setup

PRODUCTION_BASE = "https://openapi.zalo.me"

# Codes: OA table `docs.zaloplatforms.com/docs/OA/phu-luc/ma-loi` (as quoted in docs/notify-research.md §3.1),
# -227/-224/-244 from third-party tables; -124 is the ZNS "access token invalid" (§3.2).
# The token was refused: refresh it and try once more (HTTP 401 counts too).
TOKEN_CODES = {-216, -220, -124}
# This follower cannot get an OA message now (not following, no interaction within 7 days, banned or
# inactive, restricted the OA): the delivery's fallback (ZNS, then SMS) is tried.
OA_UNREACHABLE = {-213, -230, -232, -227, -244}
# The request itself is wrong (a bad field, the OA's tier): no retry can help.
OA_PERMANENT = {-201, -224}
# Rate limit, quotas, Zalo's "unknown error, retry later". Unknown codes are temporary as well.
OA_TEMPORARY = {-32, -211, -218, -100}


@dataclass(frozen=True)
class ErrorCodes:
    service: str  # named in error messages
    unreachable: set[int]
    permanent: set[int]
    temporary: set[int]


OA_CODES = ErrorCodes("Zalo OA", OA_UNREACHABLE, OA_PERMANENT, OA_TEMPORARY)


class ZaloTokens(Protocol):
    """Where the channels get the OA access token from (a fixed token, or a store that refreshes it)."""

    def current(self) -> str: ...

    def invalidate(self, token: str) -> str:
        """`token` was rejected: return a fresh one, refreshing unless someone already rotated it.
        May raise TemporaryError, or zalo_oauth.RefreshRejected when the OA must be re-authorised."""
        ...


class StaticTokens:
    """A bare access token from the settings: used as it is, never refreshed."""

    def __init__(self, token: str):
        self.token = token

    def current(self) -> str:
        return self.token

    def invalidate(self, token: str) -> str:
        raise TemporaryError(_("access token rejected and no app id/secret to refresh it"))


def post(url: str, token: str, payload: dict, timeout: float | tuple[float, float]) -> dict:
    """POST JSON with the `access_token` header; the answer as {http, error, message, data},
    or {transport} when nothing came back. A non-JSON body (a proxy's 401 or 502 page) keeps its status."""
    try:
        response = requests.post(url, json=payload, timeout=timeout, headers={"access_token": token})
    except requests.RequestException as error:
        # a read timeout means the request went out: Zalo may have delivered it
        return {"transport": str(error), "maybe_sent": isinstance(error, requests.ReadTimeout)}
    try:
        answer = response.json()
    except ValueError:
        answer = None
    answer = answer if isinstance(answer, dict) else {}
    return {"http": response.status_code, "error": answer.get("error"),
            "message": answer.get("message") or response.reason, "data": answer.get("data") or {}}


def succeeded(result: dict) -> bool:
    return result.get("http") == 200 and result.get("error") == 0


def send_with_tokens(tokens: ZaloTokens, plugin_for: Callable[[str], NotifyBase], body: str, codes: ErrorCodes) -> dict:
    """Send through the plugin built for the current token; on a token error, invalidate it and retry
    once. Returns the answer's `data`; raises the error class the answer's code calls for."""
    token = tokens.current()
    plugin = plugin_for(token)
    result = send_with(plugin, body)
    if result is not None and token_rejected(result):
        plugin = plugin_for(tokens.invalidate(token))
        result = send_with(plugin, body)
        if result is not None and token_rejected(result):
            raise TemporaryError(_("{service} rejected the access token again after a refresh ({code}: {message})").format(
                service=codes.service, code=result.get("error"), message=result.get("message")))
    if result is None:
        return plugin.last_result["data"]
    raise failure(result, codes)


def token_rejected(result: dict) -> bool:
    return result.get("error") in TOKEN_CODES or result.get("http") == 401


def failure(result: dict, codes: ErrorCodes) -> Exception:
    service = codes.service
    if "transport" in result:
        if result.get("maybe_sent"):
            return OutcomeUnknown(_("{service} did not answer in time: {error}").format(service=service, error=result["transport"]))
        return TemporaryError(_("could not reach {service}: {error}").format(service=service, error=result["transport"]))
    http, code, text = result.get("http") or 0, result.get("error"), result.get("message")
    if http >= 500:
        return TemporaryError(_("{service} answered HTTP {http} ({code}: {message})").format(
            service=service, http=http, code=code, message=text))
    if code in codes.unreachable:
        return Unreachable(f"{service} {code}: {text}")
    if code in codes.permanent:
        return PermanentError(f"{service} {code}: {text}")
    if code in codes.temporary:
        return TemporaryError(f"{service} {code}: {text}")
    return TemporaryError(_("{service} answered HTTP {http} with an unknown code {code}: {message}").format(
        service=service, http=http, code=code, message=text))


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

    def __init__(self, user_id: str, token: str, base: str = PRODUCTION_BASE, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not user_id or not token:
            raise TypeError("a Zalo OA message needs a follower user_id and an access token")
        self.user_id, self.token, self.base = user_id, token, base.rstrip("/")
        self.last_result: dict = {}

    def send(self, body: str, title: str = "", notify_type: NotifyType = NotifyType.INFO, **kwargs: Any) -> bool:
        self.last_result = post(f"{self.base}/v3.0/oa/message/cs", self.token,
                                {"recipient": {"user_id": self.user_id}, "message": {"text": body}},
                                self.request_timeout)
        return succeeded(self.last_result)

    def url(self, privacy: bool = False, *args: Any, **kwargs: Any) -> str:
        params = self.url_parameters(*args, privacy=privacy, **kwargs)
        params.update(token=self.pprint(self.token, privacy, safe=""), base=self.base)
        return f"{self.secure_protocol}://{self.quote(self.user_id, safe='')}?{self.urlencode(params)}"

    @staticmethod
    def parse_url(url: str) -> dict[str, Any] | None:
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

    def __init__(self, tokens: ZaloTokens, base: str = PRODUCTION_BASE):
        self.tokens, self.base = tokens, base

    def send(self, delivery: Claimed) -> str | None:
        data = send_with_tokens(
            self.tokens, lambda token: NotifyZaloOA(user_id=delivery.address, token=token, base=self.base),
            delivery.body_text, OA_CODES,
        )
        return data.get("message_id")


class ZaloSettings(ChannelSettings):
    # Zalo Official Account. With app id and secret key the token store in the ledger keeps the
    # access token fresh (`commplan zalo-token` seeds it); a bare access token is used as it is.
    zalo_app_id: str | None = None
    zalo_secret_key: str | None = None
    zalo_access_token: str | None = None
    zalo_api_base: str = PRODUCTION_BASE
    zalo_oauth_base: str = "https://oauth.zaloapp.com"
    # The OA's events (replies, follows) reach the web app's webhook (`/zalo/webhook`), signed with the OA
    # secret key (the OA's, not the app's `zalo_secret_key`: docs/notify-research.md §3.5); without it the
    # webhook refuses everything. Never printed.
    zalo_oa_secret_key: str | None = None
    # The OA's id: the report page's "Nhận nhắc việc qua Zalo" links to https://zalo.me/<id>
    zalo_oa_id: str | None = None
    # An event older than this (its signed timestamp) is refused, as a replay: keep it above the longest
    # outage after which Zalo's retries should still be taken (Zalo retries for hours)
    zalo_webhook_max_age_seconds: int = Field(default=3600, ge=60, le=86400)


def tokens_of(setup: Setup) -> ZaloTokens | None:
    """The token source for the Zalo channels (OA and ZNS share it: one refresh serves both), or None
    when Zalo is not configured."""
    return setup.shared("zalo-tokens", lambda: _tokens(setup))


def _tokens(setup: Setup) -> ZaloTokens | None:
    zalo, ledger = setup.config(ZaloSettings), setup.ledger
    if zalo.zalo_app_id and zalo.zalo_secret_key and ledger is not None:
        from .zalo_tokens import LedgerZaloTokens

        return LedgerZaloTokens(ledger, zalo.zalo_app_id, zalo.zalo_secret_key,
                                key=setup.settings.token_store_key, oauth_base=zalo.zalo_oauth_base)
    if zalo.zalo_access_token:
        return StaticTokens(zalo.zalo_access_token)
    return None


@dataclass(frozen=True)
class Webhook:
    """What the OA's webhook (`web.zalo_webhook`) and its follower codes need, read here so that no other
    module names the Zalo settings."""

    app_id: str
    oa_secret_key: str = field(repr=False)  # never printed
    max_age: dt.timedelta = dt.timedelta(hours=1)
    oa_url: str | None = None  # https://zalo.me/<OA id>, where a contact follows the OA


def webhook_of(settings: Settings) -> Webhook | None:
    """The webhook's configuration, or None when the app id or the OA secret key is missing (no webhook)."""
    zalo = settings.channel(ZaloSettings)
    if not (zalo.zalo_app_id and zalo.zalo_oa_secret_key):
        return None
    return Webhook(zalo.zalo_app_id, zalo.zalo_oa_secret_key, dt.timedelta(seconds=zalo.zalo_webhook_max_age_seconds),
                   f"https://zalo.me/{zalo.zalo_oa_id}" if zalo.zalo_oa_id else None)


class OATexts:
    """The OA's answers to a follower: `send(user_id, text)`, one customer-service text message through the
    reminders' transport and token source (a refresh serves both); raises the channel errors on failure."""

    def __init__(self, tokens: ZaloTokens, base: str):
        self.tokens, self.base = tokens, base

    def send(self, user_id: str, text: str) -> None:
        send_with_tokens(self.tokens, lambda token: NotifyZaloOA(user_id=user_id, token=token, base=self.base),
                         text, OA_CODES)


def oa_texts(settings: Settings, ledger: Ledger | None) -> OATexts | None:
    """The OA's answering service as configured (app id and secret key with the ledger's token store, or a
    bare access token); None when Zalo is not configured to send."""
    setup = Setup(settings, ledger)
    tokens = tokens_of(setup)
    return OATexts(tokens, setup.config(ZaloSettings).zalo_api_base) if tokens is not None else None


def settings_with_zalo() -> Settings:
    """The core settings with the Zalo ones as attributes, for the Zalo token command."""
    from ..settings import get_settings

    return get_settings().including(ZaloSettings)


def build(setup: Setup) -> ZaloOAChannel | None:
    tokens = tokens_of(setup)
    return ZaloOAChannel(tokens, setup.config(ZaloSettings).zalo_api_base) if tokens is not None else None


# first on the phone chain: an OA follower id, then ZNS and SMS by the phone number
CHANNEL = ChannelSpec(transport=ZaloOAChannel, label="Zalo OA", family=Family.ZALO, body=Body.TEXT,
                      contact=Contact.ZALO, chain=10, stand_in=True, build=build, settings=ZaloSettings)
