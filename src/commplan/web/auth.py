"""Who is asking: the signed-in coordinator (session cookie) or a program (API token), and what they see.

`viewer(request)` is the one question every dashboard page and API route asks; it returns a
`Viewer` (the user and their `Scope`) or raises `SignInRequired`, which a page turns into a 303 to
the login page and the API into a 401. A session names the user by login and carries the
fingerprint of their password: a new password, or a disabled account, ends it at the next request.

An API request authenticates with `Authorization: Bearer <token>` (`commplan user token`) and no
cookie: it needs no CSRF token, since a browser never adds that header by itself. A bearer header
on a page (outside /api) is ignored: pages are for people, with sessions.

The login page (`/dang-nhap`) rotates the session on success (a session id fixed by someone else
before the login is worthless after it), answers the same words for an unknown login, a wrong
password and a disabled account, and tells a braked login when it may try again.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..i18n import _
from ..ledger import LedgerError
from ..ledger.users import Scope, User, role_name
from .errors import error_response, wants_json
from .pages import render
from .sessions import require_csrf, rotate_session

log = logging.getLogger("commplan.web")
router = APIRouter()
LOGIN_PATH = "/dang-nhap"
HOME_PATH = "/tong-quan"  # the dashboard's first page
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")  # what a clerk reads is in Vietnam time
EDITORS = frozenset({"admin", "coordinator"})  # a viewer reads, never excuses or extends


@dataclass(frozen=True)
class Viewer:
    user: User
    scope: Scope

    @property
    def may_edit(self) -> bool:
        return self.user.role in EDITORS

    @property
    def sees_nothing(self) -> bool:
        """A viewer bound to no unit, or a ministry coordinator whose unit coordinates no plan."""
        scope = self.scope
        return not scope.everything and scope.province is None and not scope.plans

    def ledger_filters(self) -> dict[str, object]:
        """The keyword arguments that narrow `Ledger.statuses` / `Ledger.summary` to this scope:
        nothing for an admin, the province for a province's user (every plan, through its units),
        the plans for a ministry's coordinator. Check `sees_nothing` first: an empty filter means all."""
        scope = self.scope
        if scope.everything:
            return {}
        if scope.province is not None:
            return {"province": scope.province}
        return {"plans": sorted(scope.plans)}

    @property
    def actor(self) -> str:
        """How the audit log names what this user does (`web:` tells it from the CLI's actors)."""
        return f"web:{self.user.login}"


class SignInRequired(HTTPException):
    """No valid session (a page: go to the login page) or no valid token (the API: 401)."""

    def __init__(self) -> None:
        super().__init__(401, _("This page needs you to log in first."))


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path of this site only (never `//host` or `https://…`)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or "\\" in target:
        return HOME_PATH
    if any(ord(c) < 32 for c in target):
        return HOME_PATH
    return target


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _sep, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _session_user(request: Request) -> User | None:
    login, fingerprint = request.session.get("user"), request.session.get("pw")
    if not isinstance(login, str) or not isinstance(fingerprint, str):
        return None
    found = request.app.state.ledger.get().session_user(login)
    if found is None or found[0].disabled or found[1] != fingerprint:
        request.session.pop("user", None)
        request.session.pop("pw", None)
        return None
    return found[0]


def _find_viewer(request: Request) -> Viewer | None:
    ledger = request.app.state.ledger.get()
    if wants_json(request) and "authorization" in request.headers:
        # a request that names a token is that token's alone: a wrong, revoked or disabled one is a 401,
        # never the session cookie the same browser also sends (which would then write without CSRF)
        token = _bearer(request)
        user = ledger.user_for_api_token(token) if token else None
    else:  # the API also answers a browser's session, for reading (the dashboard's own scripts, if any)
        user = _session_user(request)
    if user is None or user.disabled:
        return None
    return Viewer(user=user, scope=ledger.scope_for(user))


async def viewer(request: Request) -> Viewer:
    """FastAPI dependency: the signed-in user and their scope, read once per request."""
    cached = getattr(request.state, "viewer", None)
    if isinstance(cached, Viewer):
        return cached
    try:
        found = await run_in_threadpool(_find_viewer, request)
    except LedgerError as error:
        log.error(_("the ledger cannot be read: %s"), error)
        raise HTTPException(503) from error
    if found is None:
        raise SignInRequired()
    request.state.viewer = found
    return found


async def editor(request: Request, who: Annotated[Viewer, Depends(viewer)]) -> Viewer:
    """FastAPI dependency: a user who may excuse, extend and withdraw (an admin or a coordinator)."""
    if not who.may_edit:
        raise HTTPException(403, _("Your account may read this dashboard but not change it."))
    return who


async def sign_in_required(request: Request, exc: Exception) -> Response:
    """A page sends the reader to log in, then back; the API answers 401 with a Bearer challenge."""
    if wants_json(request):
        return error_response(request, 401, headers={"WWW-Authenticate": "Bearer"})
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{LOGIN_PATH}?tiep={quote(target, safe='/')}", status_code=303)


def _login_page(request: Request, *, login: str = "", problem: str | None = None, next_path: str = HOME_PATH,
                status_code: int = 200) -> Response:
    return render(request, "login.html", {"login": login, "problem": problem, "next_path": next_path},
                  status_code=status_code)


@router.get("/", include_in_schema=False)
def home() -> Response:
    return RedirectResponse(HOME_PATH, status_code=303)


@router.get(LOGIN_PATH, include_in_schema=False)
def login_form(request: Request, tiep: str | None = None) -> Response:
    return _login_page(request, next_path=safe_next(tiep))


@router.post(LOGIN_PATH, include_in_schema=False, dependencies=[Depends(require_csrf)])
def login(request: Request, login: Annotated[str, Form(max_length=200)] = "",
          password: Annotated[str, Form(max_length=1000)] = "",
          tiep: Annotated[str, Form(max_length=2000)] = "") -> Response:
    target = safe_next(tiep)
    login = login.strip()
    if not login or not password:
        return _login_page(request, login=login, next_path=target, status_code=422,
                           problem=_("Enter your login and your password."))
    state = request.app.state
    try:
        result = state.ledger.get().verify_login(login, password,
                                                 remote_addr=request.client.host if request.client else None)
    except LedgerError:
        return error_response(request, 503, headers={"Retry-After": "60"})
    if result.outcome == "locked":
        until: dt.datetime | None = result.retry_after
        local = until.astimezone(VIETNAM) if until else None
        return _login_page(request, login=login, next_path=target, status_code=429,
                           problem=_("Too many failed attempts for this login. Try again after {time}.").format(
                               time=f"{local:%H:%M}" if local else "15 min"))
    if not result.ok or result.user is None:
        # the same words whether the login is unknown, disabled or the password wrong
        return _login_page(request, login=login, next_path=target, status_code=401,
                           problem=_("The login or the password is wrong."))
    found = state.ledger.get().session_user(result.user.login)
    rotate_session(request, keep=False)  # a fixed session id and its CSRF token die here
    request.session["user"], request.session["pw"] = result.user.login, found[1] if found else ""
    return RedirectResponse(target, status_code=303)


@router.post("/dang-xuat", include_in_schema=False, dependencies=[Depends(require_csrf)])
def logout(request: Request) -> Response:
    rotate_session(request, keep=False)
    return RedirectResponse(LOGIN_PATH, status_code=303)


@router.get("/tai-khoan", include_in_schema=False)
def account(request: Request, who: Annotated[Viewer, Depends(viewer)]) -> Response:
    """Who is logged in, with what role, over which unit and province; the logout button."""
    user = who.user
    unit_name = None
    if user.unit_id:
        try:
            unit_name = request.app.state.ledger.get().unit_names().get(user.unit_id)
        except LedgerError:
            unit_name = None
    return render(request, "account.html", {"user": user, "role": role_name(user.role), "unit_name": unit_name,
                                            "province": who.scope.province, "everything": who.scope.everything})
