"""Sessions and CSRF for the web app's forms.

The session is a signed cookie (itsdangerous, HMAC-SHA256 under the "session" key derived from the
link secret, `links.session_key`): no table, so several uvicorn workers share it, and a key leaked
from the feeds or report links opens no session. The cookie is HttpOnly, SameSite=Lax, and Secure
(named `__Host-…`) when COMMPLAN_PUBLIC_URL is https. It is written only when the session changes
and lasts SESSION_SECONDS from then.

Each session holds a random id (`sid`) and a CSRF token. A page puts `csrf_token(request)` in each
form; `require_csrf` refuses an unsafe request (POST, PUT, PATCH, DELETE) whose form field
`csrf_token` (or `X-CSRF-Token` header) does not match, with a 403 page. A login or logout calls
`rotate_session`: a new id and a new token, so a session fixed before the login (or a token seen
by someone else) is worth nothing after it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..i18n import _
from ..links import session_key

SESSION_SECONDS = 12 * 3600  # a working day, from the last change (a login)
COOKIE = "commplan_session"
SECURE_COOKIE = "__Host-commplan_session"  # the browser refuses it without Secure, Path=/ and no Domain
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _new_id() -> str:
    return secrets.token_urlsafe(32)


class SessionCookies:
    """ASGI middleware: `scope["session"]` (Starlette's `request.session`) read from the signed cookie,
    and the cookie written back when the session changed."""

    def __init__(self, app: ASGIApp, *, secret: str, https: bool, max_age: int = SESSION_SECONDS):
        self.app = app
        self.serializer = URLSafeTimedSerializer(session_key(secret), salt="commplan.web.session",
                                                 signer_kwargs={"digest_method": hashlib.sha256})
        self.https, self.max_age = https, max_age
        self.name = SECURE_COOKIE if https else COOKIE

    def read(self, value: str | None) -> dict[str, Any]:
        """The session a cookie value carries; empty for a missing, forged, expired or garbled one."""
        if not value:
            return {}
        try:
            data = self.serializer.loads(value, max_age=self.max_age)
        except (BadSignature, ValueError, UnicodeError):
            return {}
        return data if isinstance(data, dict) else {}

    def cookie(self, session: dict[str, Any]) -> str:
        flags = f"Path=/; HttpOnly; SameSite=Lax{'; Secure' if self.https else ''}"
        if not session:
            return f"{self.name}=; Max-Age=0; {flags}"
        return f"{self.name}={self.serializer.dumps(session)}; Max-Age={self.max_age}; {flags}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        had = self.read(HTTPConnection(scope).cookies.get(self.name))
        scope["session"] = dict(had)
        before = json.dumps(had, sort_keys=True)

        async def write_back(message: Message) -> None:
            if message["type"] == "http.response.start":
                session = scope["session"]
                if json.dumps(session, sort_keys=True) != before:
                    MutableHeaders(scope=message).append("set-cookie", self.cookie(session))
                if session:  # a page that depends on a session is never cached by a proxy
                    headers = MutableHeaders(scope=message)
                    if "cache-control" not in headers:
                        headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, write_back)


def _ensure(session: dict[str, Any]) -> None:
    if not isinstance(session.get("sid"), str) or not isinstance(session.get("csrf"), str):
        session["sid"], session["csrf"] = _new_id(), _new_id()


def session_id(request: HTTPConnection) -> str:
    """The session's random id (created with the session): what a login may record."""
    _ensure(request.session)
    return str(request.session["sid"])


def csrf_token(request: HTTPConnection) -> str:
    """The token a form of this session carries (`<input type=hidden name=csrf_token>`)."""
    _ensure(request.session)
    return str(request.session["csrf"])


def rotate_session(request: HTTPConnection, *, keep: bool = True) -> str:
    """A new session id and CSRF token, on every change of privilege (login, logout, a new role);
    `keep=False` also forgets what the session held (logout). Returns the new id."""
    if not keep:
        request.session.clear()
    request.session["sid"], request.session["csrf"] = _new_id(), _new_id()
    return str(request.session["sid"])


class CsrfRefused(HTTPException):
    """A form sent without this session's CSRF token: a forged request, or a page left open too long."""

    def __init__(self) -> None:
        super().__init__(403, _("This form has expired or was not sent from this site. Go back, reload the page "
                                "and send it again."))


def check_csrf(request: Request, sent: str | None) -> None:
    """CsrfRefused unless `sent` (the form's field, or the header) is this session's token."""
    sent = request.headers.get(CSRF_HEADER, sent)
    expected = request.session.get("csrf")
    if not (isinstance(sent, str) and isinstance(expected, str) and hmac.compare_digest(sent.encode(), expected.encode())):
        raise CsrfRefused()


async def require_csrf(request: Request) -> None:
    """FastAPI dependency: a safe method passes; any other needs this session's token. (The report page's
    form, which carries a file, reads its body with `upload_form.read_form` and calls `check_csrf` itself.)"""
    if request.method in SAFE_METHODS:
        return
    sent = None
    if request.headers.get(CSRF_HEADER) is None and request.headers.get("content-type", "").startswith(FORMS):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    check_csrf(request, sent)
