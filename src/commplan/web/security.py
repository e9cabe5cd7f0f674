"""Security headers on every response, pages and feeds alike.

Report links carry their token in the path, so no page may leak its address to another site
(Referrer-Policy: no-referrer), be framed (clickjacking a one-tap report), or load anything from
elsewhere (the CSP: our own CSS, no inline script or style)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = ("default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'")
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",  # frame-ancestors for browsers that predate it
    "cross-origin-opener-policy": "same-origin",
}
HSTS = "max-age=31536000"


def security_headers(*, https: bool) -> dict[str, str]:
    """The headers every response carries; HSTS only behind an https public address."""
    return {**HEADERS, "strict-transport-security": HSTS} if https else dict(HEADERS)


class SecurityHeaders:
    """ASGI middleware: adds the headers a response has not set itself."""

    def __init__(self, app: ASGIApp, *, https: bool):
        self.app = app
        self.headers = [(k.encode(), v.encode()) for k, v in security_headers(https=https).items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _value in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *((k, v) for k, v in self.headers if k not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)
