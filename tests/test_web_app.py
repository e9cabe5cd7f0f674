"""The web app's foundation, through its real stack (FastAPI, the session and header middleware, the
ledger on SQLite and PostgreSQL): /healthz, the error pages, the security headers, the session
cookie, CSRF and the session rotation that defeats fixation, and the feeds at their old paths."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer
from test_calendar_feeds import SECRET, plan_around

from commplan.ledger.engine import head_revision
from commplan.links import feed_token
from commplan.settings import Settings
from commplan.web.app import create_app
from commplan.web.sessions import COOKIE, SECURE_COOKIE, csrf_token, require_csrf, rotate_session, session_id

VN = dt.timezone(dt.timedelta(hours=7))
UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/nothing"  # nothing listens on port 1


def make_app(url: str, plans, *, public_url: str | None = "http://127.0.0.1:8000"):
    """The real app, plus the routes a later page would add: a form, a login, a POST behind CSRF, and
    handlers that fail, so that the foundation is tested as the pages will use it."""
    app = create_app(Settings(database_url=url, link_secret=SECRET, public_url=public_url), plans=plans)

    @app.get("/thu/form")
    def form(request: Request) -> HTMLResponse:
        return HTMLResponse(f'<form method="post"><input name="csrf_token" value="{csrf_token(request)}"></form>')

    @app.post("/thu/gui", dependencies=[Depends(require_csrf)])
    def send(request: Request) -> JSONResponse:
        return JSONResponse({"sent": True, "user": request.session.get("user")})

    @app.post("/api/thu/gui", dependencies=[Depends(require_csrf)])
    def api_send() -> JSONResponse:
        return JSONResponse({"sent": True})

    @app.post("/thu/dang-nhap", dependencies=[Depends(require_csrf)])
    def login(request: Request) -> JSONResponse:
        before = session_id(request)
        after = rotate_session(request)
        request.session["user"] = "so-tttt"
        return JSONResponse({"before": before, "after": after})

    @app.get("/thu/so/{n}")
    @app.get("/api/thu/so/{n}")
    def number(n: int) -> JSONResponse:
        return JSONResponse({"n": n})

    @app.get("/thu/loi")
    @app.get("/api/thu/loi")
    def boom() -> JSONResponse:
        raise RuntimeError("<b>internal detail</b> at /srv/secret")

    return app


@pytest.fixture
def client(ledger_url, ledger, write_plan, tmp_path):
    ledger.sync(write_plan(plan_around(dt.datetime.now(VN).date())))
    with TestClient(make_app(ledger_url, [tmp_path]), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def sqlite_app(write_plan, tmp_path):
    write_plan(plan_around(dt.datetime.now(VN).date()))
    return lambda **kw: make_app(f"sqlite:///{tmp_path / 'web.sqlite3'}", [tmp_path], **kw)


# ---------------------------------------------------------------- /healthz


def test_healthz_reports_the_ledger_its_schema_and_the_version(client):
    got = client.get("/healthz")
    assert got.status_code == 200 and got.headers["cache-control"] == "no-store"
    assert got.json() == {"status": "ok", "ledger": True, "migration": head_revision(), "head": head_revision(),
                          "version": "0.1.0"}
    assert client.head("/healthz").status_code == 200


def test_healthz_is_503_when_the_ledger_cannot_be_reached_and_says_nothing_of_where(write_plan, tmp_path):
    write_plan(plan_around(dt.date.today()))
    # the app starts all the same (a proxy must be able to ask), and the feeds answer 503 too
    with TestClient(make_app(UNREACHABLE, [tmp_path])) as test_client:
        got = test_client.get("/healthz")
        assert got.status_code == 503
        assert got.json() == {"status": "unavailable", "ledger": False, "migration": None, "head": head_revision(),
                              "version": "0.1.0"}
        assert "nobody" not in got.text and "127.0.0.1" not in got.text
        feed = test_client.get(f"/calendars/buu-dien.ics?token={feed_token(SECRET, 'buu-dien')}")
        assert feed.status_code == 503 and feed.headers["retry-after"] == "300"


# ---------------------------------------------------------------- error pages


def test_a_missing_page_is_a_vietnamese_page_with_the_address_escaped(client, monkeypatch):
    got = client.get("/khong-co/<script>alert(1)</script>")
    assert got.status_code == 404 and got.headers["content-type"] == "text/html; charset=utf-8"
    assert '<html lang="vi">' in got.text
    assert "<h1>Không tìm thấy trang</h1>" in got.text and "Lỗi 404" in got.text
    assert "Địa chỉ có thể bị gõ sai, hoặc trang không còn tồn tại." in got.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in got.text and "<script>" not in got.text
    monkeypatch.setenv("COMMPLAN_LANG", "en")
    english = client.get("/khong-co")
    assert "<h1>Page not found</h1>" in english.text and '<html lang="en">' in english.text


def test_under_api_an_error_is_json_with_a_stable_key_and_a_vietnamese_message(client):
    got = client.get("/api/khong-co")
    assert got.status_code == 404 and got.headers["content-type"] == "application/json"
    assert got.json() == {"error": "not_found", "status": 404,
                          "message": "Địa chỉ có thể bị gõ sai, hoặc trang không còn tồn tại."}


def test_a_wrong_method_is_405_with_allow(client):
    got = client.post("/healthz")
    assert got.status_code == 405 and "GET" in got.headers["allow"]
    assert "<h1>Không được phép thực hiện thao tác này tại đây</h1>" in got.text


def test_an_invalid_parameter_is_422_a_page_for_people_details_for_programs(client):
    page = client.get("/thu/so/abc")
    assert page.status_code == 422 and "<h1>Thông tin còn thiếu hoặc chưa đúng</h1>" in page.text
    api = client.get("/api/thu/so/abc")
    assert api.status_code == 422
    body = api.json()
    assert body["error"] == "invalid" and body["message"] == "Vui lòng kiểm tra thông tin đã nhập và gửi lại."
    assert body["details"][0]["loc"] == ["path", "n"]
    assert client.get("/thu/so/7").json() == {"n": 7}


def test_a_crash_is_a_500_page_without_its_details_and_with_the_headers(client):
    page = client.get("/thu/loi")
    assert page.status_code == 500 and "<h1>Hệ thống gặp sự cố</h1>" in page.text
    assert "internal detail" not in page.text and "/srv/secret" not in page.text and "Traceback" not in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert page.headers["referrer-policy"] == "no-referrer"
    api = client.get("/api/thu/loi")
    assert api.status_code == 500 and api.json()["error"] == "server_error" and "internal" not in api.text


# ---------------------------------------------------------------- headers, page, stylesheet


def test_every_response_carries_the_security_headers(client):
    token = feed_token(SECRET, "buu-dien")
    for path in ("/healthz", "/khong-co", "/static/commplan.css", f"/calendars/buu-dien.ics?token={token}",
                 "/calendars/buu-dien.ics?token=sai", "/api/khong-co"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe" not in csp, path
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] == "no-referrer", path
        assert headers["x-frame-options"] == "DENY", path
        assert "strict-transport-security" not in headers, path  # http here
    assert client.get(f"/calendars/buu-dien.ics?token={token}").headers["content-type"] == "text/calendar; charset=utf-8"


def test_behind_https_the_browser_is_told_to_stay_on_https(sqlite_app):
    with TestClient(sqlite_app(public_url="https://baocao.example.gov.vn"), base_url="https://testserver") as https:
        assert https.get("/healthz").headers["strict-transport-security"] == "max-age=31536000"


def test_the_page_loads_nothing_from_elsewhere_and_fits_a_phone(client):
    page = client.get("/khong-co").text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert re.findall(r'(?:src|href)="([^"]*)"', page) == ["/static/commplan.css", "/", "/"]
    assert "<script" not in page and "style=" not in page  # the CSP allows neither inline script nor style
    css = client.get("/static/commplan.css")
    assert css.status_code == 200 and css.headers["content-type"] == "text/css; charset=utf-8"
    assert "@import" not in css.text and "url(" not in css.text and "max-width: 100%" in css.text


# ---------------------------------------------------------------- sessions and CSRF


def _token(client: TestClient) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/thu/form").text)
    assert found
    return found.group(1)


def test_the_session_cookie_is_httponly_lax_and_signed(client):
    got = client.get("/thu/form")
    cookie = got.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "; HttpOnly" in cookie and "; SameSite=Lax" in cookie
    assert "; Path=/" in cookie and "Secure" not in cookie and "Max-Age=43200" in cookie
    assert got.headers["cache-control"] == "no-store"  # a page with a session is never cached
    # the same session on the next page: the cookie is not rewritten, the token stays
    token = re.search(r'value="([^"]+)"', got.text).group(1)  # type: ignore[union-attr]
    again = client.get("/thu/form")
    assert "set-cookie" not in again.headers and token in again.text
    # a page without a session sets none
    assert "set-cookie" not in TestClient(client.app).get("/healthz").headers


def test_behind_https_the_cookie_is_secure_and_host_only(sqlite_app):
    with TestClient(sqlite_app(public_url="https://baocao.example.gov.vn"), base_url="https://testserver") as https:
        cookie = https.get("/thu/form").headers["set-cookie"]
        assert cookie.startswith(f"{SECURE_COOKIE}=") and "; Secure" in cookie and "; HttpOnly" in cookie
        assert "Domain" not in cookie
        assert https.post("/thu/gui", data={"csrf_token": _token(https)}).status_code == 200


def test_a_post_without_the_sessions_token_is_refused_with_a_vietnamese_page(client):
    token = _token(client)
    for data in ({}, {"csrf_token": ""}, {"csrf_token": token + "x"}, {"csrf_token": "đ" * 43}):
        got = client.post("/thu/gui", data=data)
        assert got.status_code == 403, data
        assert "<h1>Không có quyền truy cập</h1>" in got.text
        assert "Biểu mẫu đã hết hạn hoặc không được gửi từ trang này." in got.text
    refused = client.post("/api/thu/gui", json={"sent": True})
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    # accepted: the form field, a multipart form (uploads), or the header
    assert client.post("/thu/gui", data={"csrf_token": token}).json() == {"sent": True, "user": None}
    assert client.post("/thu/gui", data={"csrf_token": token}, files={"f": ("a.pdf", b"%PDF-1.4")}).status_code == 200
    assert client.post("/api/thu/gui", headers={"X-CSRF-Token": token}).status_code == 200


def test_another_sessions_token_or_a_forged_cookie_opens_nothing(client, sqlite_app):
    mine = _token(client)
    other = TestClient(client.app)
    theirs = _token(other)
    assert mine != theirs
    assert other.post("/thu/gui", data={"csrf_token": mine}).status_code == 403
    # a cookie signed with another installation's secret, or the feeds' key, is no session
    forged = URLSafeTimedSerializer(b"x" * 32, salt="commplan.web.session").dumps({"sid": "s", "csrf": "t"})
    stranger = TestClient(client.app, cookies={COOKIE: forged})
    assert stranger.post("/thu/gui", data={"csrf_token": "t"}).status_code == 403


def test_a_login_rotates_the_session_so_a_fixed_one_is_worth_nothing(client):
    # the attacker's session, planted in the victim's browser before the victim logs in
    token = _token(client)
    planted = client.cookies[COOKIE]
    got = client.post("/thu/dang-nhap", data={"csrf_token": token})
    assert got.status_code == 200
    ids = got.json()
    assert ids["before"] != ids["after"]
    assert client.cookies[COOKIE] != planted
    assert client.post("/thu/gui", data={"csrf_token": _token(client)}).json()["user"] == "so-tttt"
    # the old token no longer passes, and the planted cookie carries no login
    assert client.post("/thu/gui", data={"csrf_token": token}).status_code == 403
    attacker = TestClient(client.app, cookies={COOKIE: planted})
    assert attacker.post("/thu/gui", data={"csrf_token": token}).json() == {"sent": True, "user": None}


def test_counts_read_with_the_readers_thousands_separator(monkeypatch):
    from commplan.web.pages import number

    assert number(13948) == "13.948" and number(7) == "7"
    monkeypatch.setenv("COMMPLAN_LANG", "en")
    assert number(13948) == "13,948"
