"""Logging in to the dashboard, through the real app on SQLite and PostgreSQL: the login page,
where it sends the reader next (never off the site), session fixation, a brute-force login, and
a session that dies with a new password or a disabled account."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from test_calendar_feeds import SECRET
from test_web_report import NOW, OBLIGATIONS

from commplan.ledger import Ledger
from commplan.plan import load_catalog
from commplan.settings import Settings
from commplan.web.app import create_app
from commplan.web.auth import safe_next
from commplan.web.sessions import COOKIE

HOST = "testserver.local"  # the domain TestClient's cookie jar files cookies under
PASSWORD = "Sông-Hồng-chảy-qua-2026!"


@pytest.fixture
def app(ledger_url, ledger: Ledger, write_plan, tmp_path):
    write_plan(OBLIGATIONS)
    catalog, _ = load_catalog([tmp_path], strict=True)
    ledger.sync(catalog, now=NOW)
    ledger.add_user("so-tttt", PASSWORD, role="coordinator", unit="so-tttt", display_name="Phòng TTBCXB")
    return create_app(Settings(database_url=ledger_url, link_secret=SECRET, public_url="http://127.0.0.1:8000"),
                      plans=[tmp_path], clock=lambda: NOW)


def client(app) -> TestClient:
    return TestClient(app, raise_server_exceptions=False, follow_redirects=False)


def csrf(browser: TestClient, path: str = "/dang-nhap") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', browser.get(path).text)
    assert found, "no form on the page"
    return found.group(1)


def log_in(browser: TestClient, login: str = "so-tttt", password: str = PASSWORD, tiep: str = ""):
    return browser.post("/dang-nhap", data={"csrf_token": csrf(browser), "login": login, "password": password,
                                            "tiep": tiep})


def test_a_page_behind_the_login_sends_the_reader_to_log_in_then_back(app):
    with client(app) as browser:
        sent = browser.get("/tai-khoan?x=1")
        assert sent.status_code == 303 and sent.headers["location"] == "/dang-nhap?tiep=/tai-khoan%3Fx%3D1"
        page = browser.get(sent.headers["location"])
        assert page.status_code == 200 and "Đăng nhập" in page.text and 'value="/tai-khoan?x=1"' in page.text
        done = log_in(browser, tiep="/tai-khoan?x=1")
        assert done.status_code == 303 and done.headers["location"] == "/tai-khoan?x=1"
        account = browser.get("/tai-khoan")
    assert account.status_code == 200
    assert "<dd>Phòng TTBCXB</dd>" in account.text and "<dd>đầu mối theo dõi</dd>" in account.text
    assert "<dd>Sở TTTT</dd>" in account.text
    assert account.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)",
                                    "/a\r\nSet-Cookie: x=1", ""])
def test_after_login_the_reader_never_leaves_the_site(target):
    assert safe_next(target) == "/tong-quan"


def test_a_wrong_password_an_unknown_login_and_a_disabled_account_read_the_same(app, ledger):
    ledger.add_user("nghi-viec", PASSWORD, role="viewer", unit="so-tttt")
    ledger.disable_user("nghi-viec")
    with client(app) as browser:
        answers = [log_in(browser, "so-tttt", "sai-mat-khau"), log_in(browser, "khong-co-ai", PASSWORD),
                   log_in(browser, "nghi-viec", PASSWORD)]
        assert browser.get("/tai-khoan").status_code == 303  # none of them opened a session
    for answer in answers:
        assert answer.status_code == 401 and "Tên đăng nhập hoặc mật khẩu không đúng." in answer.text
    outcomes = {(a.login, a.outcome) for a in ledger.login_attempts()}
    assert {("so-tttt", "bad-password"), ("khong-co-ai", "unknown"), ("nghi-viec", "disabled")} <= outcomes


def test_a_login_without_the_forms_csrf_token_is_refused(app):
    with client(app) as browser:
        refused = browser.post("/dang-nhap", data={"login": "so-tttt", "password": PASSWORD})
        assert refused.status_code == 403
        assert browser.get("/tai-khoan").status_code == 303


def test_session_fixation_a_session_fixed_before_the_login_is_worthless_after_it(app):
    with client(app) as attacker:
        fixed_csrf = csrf(attacker)
        fixed = attacker.cookies[COOKIE]
    with client(app) as victim:
        victim.cookies.set(COOKIE, fixed, domain=HOST)  # the attacker planted their cookie in the victim's browser
        assert log_in(victim).status_code == 303
        assert victim.cookies[COOKIE] != fixed
        assert victim.get("/tai-khoan").status_code == 200
        # the CSRF token the attacker read before the login no longer passes in the victim's session
        assert victim.post("/dang-xuat", data={"csrf_token": fixed_csrf}).status_code == 403
    with client(app) as attacker:  # the planted cookie opens nothing
        attacker.cookies.set(COOKIE, fixed, domain=HOST)
        assert attacker.get("/tai-khoan").status_code == 303


def test_a_brute_force_login_is_braked_even_for_the_right_password(app, ledger):
    with client(app) as browser:
        for guess in range(5):
            assert log_in(browser, password=f"doan-mo-{guess}").status_code == 401
        braked = log_in(browser)  # the sixth try, with the right password
        assert braked.status_code == 429
        assert re.search(r"Thử lại sau \d\d:\d\d", braked.text), braked.text
        assert browser.get("/tai-khoan").status_code == 303
    assert ledger.login_attempts("so-tttt")[0].outcome == "locked"


def test_a_new_password_or_a_disabled_account_ends_the_session(app, ledger):
    with client(app) as browser:
        log_in(browser)
        assert browser.get("/tai-khoan").status_code == 200
        ledger.set_password("so-tttt", PASSWORD + "x")
        assert browser.get("/tai-khoan").status_code == 303
        log_in(browser, password=PASSWORD + "x")
        assert browser.get("/tai-khoan").status_code == 200
        ledger.disable_user("so-tttt")
        assert browser.get("/tai-khoan").status_code == 303


def test_logging_out_ends_the_session(app):
    with client(app) as browser:
        log_in(browser)
        token = csrf(browser, "/tai-khoan")
        out = browser.post("/dang-xuat", data={"csrf_token": token})
        assert out.status_code == 303 and out.headers["location"] == "/dang-nhap"
        assert browser.get("/tai-khoan").status_code == 303


def test_an_unknown_api_path_answers_json_not_the_login_page(app):
    with client(app) as program:
        answer = program.get("/api/tai-khoan-khong-co")
    assert answer.status_code == 404  # an unknown API path is JSON, not the login page
    assert answer.headers["content-type"].startswith("application/json")


def test_the_root_goes_to_the_dashboard(app):
    with client(app) as browser:
        assert browser.get("/").headers["location"] == "/tong-quan"


def test_a_body_past_the_ceiling_is_refused_before_it_is_spooled(app, monkeypatch, tmp_path):
    """An anonymous POST to the login page carrying a big file, announced or sent in chunks, is a 413
    page; Starlette never writes it to a temporary file; a normal login still works."""
    import tempfile

    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))  # where Starlette would spool an uploaded file
    big = b"x" * 3_000_000
    with client(app) as browser:
        token = csrf(browser)
        announced = browser.post("/dang-nhap", data={"csrf_token": token, "login": "so-tttt", "password": "x"},
                                 files={"file": ("big.bin", big, "application/octet-stream")})
        assert announced.status_code == 413 and "Dung lượng quá lớn" in announced.text

        def chunks():
            yield b"csrf_token=" + token.encode() + b"&login=so-tttt&password="
            for _ in range(30):
                yield b"y" * 100_000

        chunked = browser.post("/dang-nhap", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"})
        assert chunked.status_code == 413
        assert log_in(browser).status_code == 303  # an ordinary form passes
    assert list(spool.iterdir()) == []


def test_the_api_refuses_a_body_past_the_ceiling_as_json(app, ledger):
    token = ledger.issue_api_token("so-tttt").token
    with client(app) as program:
        refused = program.post("/api/occurrences/1/evidence", content=b"{" + b" " * 1_500_000 + b"}",
                               headers={"content-type": "application/json", "authorization": f"Bearer {token}"})
    assert refused.status_code == 413 and refused.json()["error"] == "too_large"
