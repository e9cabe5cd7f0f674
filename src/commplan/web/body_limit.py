"""A ceiling on request bodies, before any route reads them.

Starlette's `request.form()` spools an uploaded file whole (to a temporary file past 1 MB) before
the CSRF check or the route can refuse it, so an anonymous POST to the login page or to a report
link's acknowledgement could fill the disk. Every body is therefore counted as it arrives: past
BODY_BYTES it is refused with 413, whether announced by Content-Length or sent in chunks. The report
page's own form (`POST /bao-cao/{token}`, which takes a document) reads its body itself, bounded by
COMMPLAN_UPLOAD_MAX_MB (`upload_form`), and is left to it.
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BODY_BYTES = 1_000_000  # the largest body any form or API call of the app sends, with room to spare
OWN_READER = re.compile(r"/bao-cao/[^/]+")  # the report form: bounded by its own reader (upload_form)


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(413)


class BodyLimit:
    """ASGI middleware: a body past `limit` bytes gets 413 (the error page, or JSON under /api)."""

    def __init__(self, app: ASGIApp, *, limit: int = BODY_BYTES):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or OWN_READER.fullmatch(scope["path"]):
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        announced_too_large = (declared.isascii() and declared.isdigit()) and int(declared) > self.limit  # refused before a byte is read
        seen = 0

        # raised where a route reads the body, so the app's own handlers answer it like any 413
        async def counted() -> Message:
            nonlocal seen
            if announced_too_large:
                raise BodyTooLarge()
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge()
            return message

        await self.app(scope, counted, send)
