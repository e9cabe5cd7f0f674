"""A loopback Zalo for tests that send real HTTP: OA messages, ZNS and the OAuth refresh, with the
request and answer shapes of docs/notify-research.md §3 (HTTP 200 with `error` in the body).

    with ZaloFake(followers={"8400000002"}, phones={"84912000001"}) as zalo:
        ZaloOAChannel(zalo.tokens(), zalo.base).send(delivery)
        assert zalo.oa_messages[0]["user_id"] == "8400000002"

Zalo does not document de-duplication by ZNS `tracking_id`, so the fake records every accepted
message, duplicates included: a test can count what a user would have received.

The webhook side: `event(...)` writes an OA event as Zalo posts it to a webhook (the JSON body and the
`X-ZEvent-Signature: mac=sha256(app_id + body + timestamp + OA secret key)` header), and `files` are
served at `{base}/files/NAME`, as Zalo's CDN serves what a follower sent:

    body, headers = zalo.event("user_send_text", "8400000002", text="đã phát 2 lần")
    client.post("/zalo/webhook", content=body, headers=headers)
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import parse_qsl, urlsplit

from commplan.notify.zalo_oauth import refresh_tokens

OA_PATH = "/v3.0/oa/message/cs"
ZNS_PATH = "/message/template"
OAUTH_PATH = "/v4/oa/access_token"
TOKEN_LIFETIME = 90000  # seconds: Zalo's access tokens last 25 h

# Zalo's wording where §3.1/§3.2 quote it, paraphrased otherwise (the channels read codes, not texts).
# -14003 is what third parties report for a malformed OAuth request, -14020 for a refresh token used
# twice: no official table of OAuth codes exists.
MESSAGES = {
    -32: "Your OA reached limit call api", -100: "Unknown error", -108: "Phone number invalid",
    -109: "Template ID invalid", -111: "Template data empty", -112: "Template data invalid",
    -115: "Out of quota", -117: "OA or App does not have permission to access this template",
    -118: "Zalo account not existed", -119: "Account can not receive ZNS", -124: "Access token invalid",
    -127: "Template test only can send to admin or tester", -131: "ZNS template not approved",
    -144: "OA has exceeded the daily limit", -201: "recipient is invalid!", -211: "Out of quota",
    -213: "User has not followed OA", -216: "Access token is invalid", -220: "access_token is expired or removed",
    -227: "User is banned or has been inactive for more than 45 days",
    -230: "User has not interacted with the OA in the past 7 days",
    -232: "User has not interacted with the OA, or the last interaction has expired",
    -244: "User has restricted this message type from your OA",
    -14003: "Invalid parameter", -14020: "Refresh token has been used or is invalid",
}


@dataclass
class _Forced:
    path: str | None
    times: int
    http: int
    error: int | None
    message: str


class ZaloFake:
    def __init__(self, *, app_id: str = "app-1", secret_key: str = "secret-1", access_token: str = "oa-token-1",
                 refresh_token: str = "refresh-1", followers=(), lapsed=(), phones=(), admins=(),
                 templates: dict[str, tuple[str, ...]] | None = None, oa_secret_key: str = "oa-secret-1",
                 oa_id: str = "2900000000000000001"):
        self.app_id, self.secret_key = app_id, secret_key
        self.oa_secret_key, self.oa_id = oa_secret_key, oa_id  # the webhook's signing key: the OA's, not the app's
        self.files: dict[str, bytes] = {}  # name -> content, served at {base}/files/NAME
        self.requests_for_files: list[str] = []  # names asked for, in order
        self._msg_ids = itertools.count(1)
        self.access_tokens: dict[str, float] = {access_token: time.time() + TOKEN_LIFETIME}  # token -> expiry
        self.access_token, self.refresh_token = access_token, refresh_token  # the newest pair
        self.followers = set(followers)  # accept OA messages
        self.lapsed = set(lapsed)  # follow the OA, no interaction within 7 days (-230); anyone else: -213
        self.phones = set(phones)  # numbers (84…) with a Zalo account; others: -118
        self.admins = set(admins)  # numbers that get development-mode ZNS; others: -127
        self.templates = {"tpl-1": ("unit", "due")} if templates is None else templates  # id -> parameters
        self.requests: list[dict] = []  # every request: path, headers (lower-case names), body
        self.oa_messages: list[dict] = []  # accepted: user_id, text, token, message_id
        self.zns_messages: list[dict] = []  # accepted: phone, template_id, template_data, tracking_id, mode, …
        self.refreshes: list[dict] = []  # accepted refreshes: the refresh token used and the pair issued
        self._forced: list[_Forced] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- control --------------------------------------------------------------------------------

    @property
    def base(self) -> str:
        assert self._server is not None, "use ZaloFake as a context manager"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def fail_next(self, times: int = 1, *, path: str | None = None, error: int | None = -32, http: int = 200,
                  message: str | None = None) -> None:
        """The next `times` requests (to `path`, or to any endpoint) get this answer instead; with
        `error=None` the body is `message` as plain text, as a proxy's 401 or 503 page is."""
        self._forced.append(_Forced(path, times, http, error, message or (MESSAGES.get(error, "Service Unavailable") if error is not None else "Service Unavailable")))

    def expire(self, token: str | None = None) -> None:
        """Let an access token (by default the newest) run out: the OA answers -220, ZNS -124."""
        self.access_tokens[token or self.access_token] = time.time() - 1

    def tokens(self, refresh_token: str | None = None) -> RefreshingTokens:
        """A token store holding this fake's newest pair, refreshing through the fake's OAuth endpoint."""
        return RefreshingTokens(self.app_id, self.secret_key, self.access_token, refresh_token or self.refresh_token,
                                self.base)

    def event(self, name: str, user_id: str, *, text: str | None = None, attachments: list[dict] | None = None,
              msg_id: str | None = None, timestamp: float | None = None, app_id: str | None = None,
              secret: str | None = None) -> tuple[bytes, dict[str, str]]:
        """An OA event as Zalo posts it to a webhook: (body, headers), signed with the OA secret key (or
        `secret`); `timestamp` in seconds (default now). A message gets a fresh msg_id unless given."""
        stamp = str(int((time.time() if timestamp is None else timestamp) * 1000))
        body: dict = {"app_id": app_id or self.app_id, "user_id_by_app": "55" + user_id, "event_name": name,
                      "timestamp": stamp}
        if name in ("follow", "unfollow"):
            body.update(oa_id=self.oa_id, follower={"id": user_id}, source="oa_profile")
        else:
            message: dict = {"msg_id": msg_id or f"user-msg-{next(self._msg_ids)}"}
            if text is not None:
                message["text"] = text
            if attachments:
                message["attachments"] = attachments
            body.update(sender={"id": user_id}, recipient={"id": self.oa_id}, message=message)
        raw = json.dumps(body, ensure_ascii=False).encode()
        mac = hashlib.sha256((app_id or self.app_id).encode() + raw + stamp.encode()
                             + (secret or self.oa_secret_key).encode()).hexdigest()
        return raw, {"Content-Type": "application/json", "X-ZEvent-Signature": f"mac={mac}"}

    def file_url(self, name: str, content: bytes) -> str:
        """Serve `content` as a follower's file would be, and give its address."""
        self.files[name] = content
        return f"{self.base}/files/{name}"

    def __enter__(self) -> Self:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        assert self._server is not None  # started by __enter__
        self._server.shutdown()
        self._server.server_close()

    # -- the API ----------------------------------------------------------------------------------

    def answer(self, path: str, headers: dict, raw: bytes) -> tuple[int, dict | str]:
        with self._lock:
            body = _form(raw) if path == OAUTH_PATH else _json(raw)
            self.requests.append({"path": path, "headers": headers, "body": body})
            for forced in self._forced:
                if forced.times and forced.path in (None, path):
                    forced.times -= 1
                    if forced.error is None:
                        return forced.http, forced.message
                    if path == OAUTH_PATH:
                        return forced.http, {"error": forced.error, "error_name": forced.message,
                                             "error_description": forced.message}
                    return forced.http, {"error": forced.error, "message": forced.message}
            if body is None:
                return 400, "malformed body"
            if path == OA_PATH:
                return 200, self._oa(headers, body)
            if path == ZNS_PATH:
                return 200, self._zns(headers, body)
            if path == OAUTH_PATH:
                return 200, self._oauth(headers, body)
            return 404, "not found"

    def _token_ok(self, headers: dict) -> bool | None:
        """True if valid, None if unknown, False if expired."""
        expiry = self.access_tokens.get(headers.get("access_token", ""))
        return None if expiry is None else expiry > time.time()

    def _oa(self, headers: dict, body: dict) -> dict:
        valid = self._token_ok(headers)
        if not valid:
            return _error(-216 if valid is None else -220)
        recipient, message = body.get("recipient"), body.get("message")
        user = recipient.get("user_id") if isinstance(recipient, dict) else None
        text = message.get("text") if isinstance(message, dict) else None
        if not user or not isinstance(text, str) or not text or len(text) > 2000:
            return _error(-201, ("recipient" if not user else "text") + " is invalid!")
        if user in self.lapsed:
            return _error(-230)
        if user not in self.followers:
            return _error(-213)
        message_id = f"oa-msg-{len(self.oa_messages) + 1}"
        self.oa_messages.append({"user_id": user, "text": text, "token": headers["access_token"],
                                 "message_id": message_id})
        return {"error": 0, "message": "Success", "data": {
            "message_id": message_id, "user_id": user, "sent_time": str(int(time.time() * 1000))}}

    def _zns(self, headers: dict, body: dict) -> dict:
        if not self._token_ok(headers):
            return _error(-124)
        phone = _phone(body.get("phone"))
        if phone is None:
            return _error(-108)
        required = self.templates.get(str(body.get("template_id")))
        if required is None:
            return _error(-109)
        data = body.get("template_data")
        if not isinstance(data, dict) or not data:
            return _error(-111)
        if set(required) - set(data):
            return _error(-112)
        if phone not in self.phones:
            return _error(-118)
        if body.get("mode") == "development" and phone not in self.admins:
            return _error(-127)
        msg_id = f"zns-msg-{len(self.zns_messages) + 1}"
        self.zns_messages.append({
            "phone": phone, "template_id": body["template_id"], "template_data": data,
            "tracking_id": body.get("tracking_id"), "mode": body.get("mode"), "token": headers["access_token"],
            "msg_id": msg_id,
        })
        return {"error": 0, "message": "Success", "data": {
            "msg_id": msg_id, "sent_time": str(int(time.time() * 1000)), "sending_mode": "1",
            "quota": {"dailyQuota": "500", "remainingQuota": str(500 - len(self.zns_messages))}}}

    def _oauth(self, headers: dict, form: dict) -> dict:
        if (headers.get("secret_key") != self.secret_key or form.get("app_id") != self.app_id
                or form.get("grant_type") != "refresh_token" or not form.get("refresh_token")):
            return _oauth_error(-14003)
        if form["refresh_token"] != self.refresh_token:  # single use: the pair stays as it is
            return _oauth_error(-14020)
        issued = len(self.refreshes) + 2
        pair = {"access_token": f"oa-token-{issued}", "refresh_token": f"refresh-{issued}",
                "expires_in": str(TOKEN_LIFETIME)}  # a string, as Zalo sends it
        self.refreshes.append({"used": form["refresh_token"], **pair})
        self.access_tokens[pair["access_token"]] = time.time() + TOKEN_LIFETIME
        self.access_token, self.refresh_token = pair["access_token"], pair["refresh_token"]
        return pair


class RefreshingTokens:
    """An in-memory `ZaloTokens`: refreshes through `zalo_oauth.refresh_tokens`, unless the token
    reported rejected is no longer the current one (someone rotated it already)."""

    def __init__(self, app_id: str, secret_key: str, access_token: str, refresh_token: str, base: str):
        self.app_id, self.secret_key, self.base = app_id, secret_key, base
        self.access_token, self.refresh_token = access_token, refresh_token
        self.refreshed = 0

    def current(self) -> str:
        return self.access_token

    def invalidate(self, token: str) -> str:
        if token == self.access_token:
            pair = refresh_tokens(self.app_id, self.secret_key, self.refresh_token, base=self.base)
            self.access_token, self.refresh_token = pair.access_token, pair.refresh_token
            self.refreshed += 1
        return self.access_token


class _Handler(BaseHTTPRequestHandler):
    fake: ZaloFake

    def do_GET(self):
        name = urlsplit(self.path).path.removeprefix("/files/")
        self.fake.requests_for_files.append(name)
        data = self.fake.files.get(name)
        self.send_response(200 if data is not None else 404)
        self.send_header("Content-Length", str(len(data or b"")))
        self.end_headers()
        self.wfile.write(data or b"")

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {name.lower(): value for name, value in self.headers.items()}
        status, payload = self.fake.answer(urlsplit(self.path).path, headers, raw)
        data = (json.dumps(payload) if isinstance(payload, dict) else payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if isinstance(payload, dict) else "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:  # keep test output quiet
        pass


def _error(code: int, message: str | None = None) -> dict:
    return {"error": code, "message": message or MESSAGES[code]}


def _oauth_error(code: int) -> dict:
    return {"error": code, "error_name": MESSAGES[code], "error_reason": MESSAGES[code],
            "error_description": MESSAGES[code]}


def _json(raw: bytes) -> dict | None:
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _form(raw: bytes) -> dict:
    return dict(parse_qsl(raw.decode()))


def _phone(value) -> str | None:
    """ZNS takes 84…, 0… or the bare number (zalo.cloud, under -108); the fake keeps the 84… form."""
    digits = str(value or "").removeprefix("+")
    if not digits.isdigit() or not 9 <= len(digits) <= 12:
        return None
    if digits.startswith("0"):
        return "84" + digits[1:]
    return digits if digits.startswith("84") else "84" + digits
