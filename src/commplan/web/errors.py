"""Error pages: a Vietnamese page for a person, JSON under /api for a program; never a traceback.

The 500 handler runs outside every middleware (Starlette's ServerErrorMiddleware), so it adds
the security headers itself."""

from __future__ import annotations

import http
import logging
import re
from collections.abc import Mapping
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..i18n import N_, _
from .pages import render

log = logging.getLogger("commplan.web")

API_PREFIX = "/api"
# (title, explanation) of the statuses a person may meet; the others get a generic pair
PAGES = {
    400: (N_("The request is not valid"), N_("The address or the form could not be read.")),
    401: (N_("Please log in"), N_("This page needs you to log in first.")),
    403: (N_("Access refused"), N_("You do not have the right to open this page.")),
    404: (N_("Page not found"), N_("The address may be mistyped, or the page no longer exists.")),
    405: (N_("This action is not allowed here"), N_("The page does not accept this kind of request.")),
    413: (N_("Too large"), N_("What you sent is larger than this site accepts.")),
    422: (N_("Some information is missing or wrong"), N_("Check what you entered and send it again.")),
    500: (N_("Something went wrong on our side"), N_("The error has been recorded. Please try again in a few minutes.")),
    503: (N_("The service is temporarily unavailable"), N_("Please try again in a few minutes.")),
}
GENERIC = (N_("The request could not be completed"), N_("Please go back and try again."))
# what the JSON says in `error`: stable English keys a program can test
KEYS = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed", 409: "conflict",
        413: "too_large", 422: "invalid", 500: "server_error", 503: "unavailable"}


def wants_json(request: Request) -> bool:
    path = request.url.path
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def error_response(request: Request, status: int, *, message: str | None = None, details: Any = None,
                   headers: Mapping[str, str] | None = None) -> Response:
    """The error page (or JSON body) of this status; `message` replaces the standard explanation."""
    title, explanation = PAGES.get(status, GENERIC)
    text = message or _(explanation)
    if wants_json(request):
        body: dict[str, Any] = {"error": KEYS.get(status, "error"), "status": status, "message": text}
        if details is not None:
            body["details"] = jsonable_encoder(details)
        return JSONResponse(body, status_code=status, headers=dict(headers or {}))
    return render(request, "error.html", {"status": status, "title": _(title), "message": text,
                                          "path": request.url.path if status == 404 else None},
                  status_code=status, headers=dict(headers or {}))


def _own_detail(exc: HTTPException) -> str | None:
    """The detail a handler of ours wrote (already in the reader's language), not Starlette's phrase."""
    try:
        phrase = http.HTTPStatus(exc.status_code).phrase
    except ValueError:
        phrase = ""
    return exc.detail if isinstance(exc.detail, str) and exc.detail and exc.detail != phrase else None


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_response(request, exc.status_code, message=_own_detail(exc), headers=exc.headers)


async def invalid_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error_response(request, 422, details=exc.errors() if wants_json(request) else None)


def loggable_path(path: str) -> str:
    """The path as a log may keep it: a report link's token is a credential, so it is left out."""
    return re.sub(r"^/bao-cao/[^/]+", "/bao-cao/…", path)


def server_error_handler(headers: dict[str, str]) -> Any:
    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("%s %s: %s", request.method, loggable_path(request.url.path), exc, exc_info=exc)
        return error_response(request, 500, headers=headers)

    return server_error
