"""A second, adversarial read of the web app (issue 12), through the real app on SQLite and PostgreSQL:
the holes it found, each with the test that failed before its fix.

- row ids past a 64-bit integer in a page's path or a bulk form (SQLite's driver overflowed: a 500);
- the API's `plan` filter, for a province's user, answered an unknown plan with the ledger's "did you
  mean" suggestions: the ids of another province's plans;
- a request with an `Authorization` header whose token is wrong, revoked or of a disabled user fell back
  to the browser's session cookie, so the API wrote for the session's user with no CSRF token;
- a NUL typed (or pasted) into a note, a name, a reason or a login: PostgreSQL refused it and the clerk read
  the database's host, port and English error (a login even got a 503), while SQLite stored it; now every
  text field refuses control characters with a Vietnamese message, the same on both engines."""

from __future__ import annotations

import re

import pytest
from test_calendar_feeds import SECRET
from test_web_api import is_json_error
from test_web_api import site as api_site  # noqa: F401  # a fixture: two provinces, a token per user
from test_web_auth import PASSWORD, csrf, log_in
from test_web_unit_pages import NOW, signed_in
from test_web_unit_pages import site as pages_site  # noqa: F401  # a fixture: two provinces, a login per user

from commplan.links import report_token

HUGE = ["9223372036854775808", "99999999999999999999999"]  # past SQLite's and PostgreSQL's bigint


# ---------------------------------------------------------------- huge ids: a clear 404/403, never a 500


@pytest.mark.parametrize("huge", HUGE)
def test_an_occurrence_id_past_a_64_bit_integer_is_not_found_not_a_server_error(pages_site, huge):
    browser = signed_in(pages_site)
    try:
        page = browser.get(f"/ky/{huge}")
        assert page.status_code == 404, page.text
        assert "Không tìm thấy trang" in page.text
        token = csrf(browser, "/qua-han")
        for action in ("mien", "bo-mien", "gia-han", "rut/1"):
            answer = browser.post(f"/ky/{huge}/{action}", data={"csrf_token": token, "reason": "bão số 3",
                                                                 "date": "31/12/2022"})
            assert answer.status_code == 404, (action, answer.text)
    finally:
        browser.__exit__(None, None, None)


@pytest.mark.parametrize("huge", HUGE)
def test_a_bulk_action_naming_an_id_past_a_64_bit_integer_changes_nothing_and_says_so(pages_site, huge):
    browser = signed_in(pages_site)
    mine = pages_site.occurrence("buu-dien", "17/03")
    try:
        for path, fields in (("/qua-han/mien", {"ly_do": "bão số 3"}),
                             ("/qua-han/gia-han", {"ly_do": "bão số 3", "gia_han_den": "31/12/2022"})):
            answer = browser.post(path, data={"csrf_token": csrf(browser, "/qua-han"), "ky": [str(mine), huge],
                                              **fields})
            assert answer.status_code == 403, answer.text
            assert "không có thay đổi nào được ghi" in answer.text
        assert pages_site.status(mine).status.value == "overdue"  # neither excused nor extended
    finally:
        browser.__exit__(None, None, None)


# ---------------------------------------------------------------- the API's filters tell nothing of other provinces


@pytest.mark.parametrize("plan", ["ke-hoach-c", "ke-hoach-bb", "ke-hoach"])
def test_an_unknown_plan_in_the_api_filter_suggests_no_other_provinces_plan(api_site, plan):
    for login in ("so-a", "doc-a"):
        with api_site.client(login) as program:
            answer = program.get("/api/occurrences", params={"plan": plan})
        assert answer.status_code == 200, answer.text
        assert answer.json() == [] and "ke-hoach-b" not in answer.text  # the same as another province's plan


def test_an_admin_still_hears_the_ledgers_suggestion_for_an_unknown_plan(api_site):
    with api_site.client("admin") as program:
        body = is_json_error(program.get("/api/occurrences", params={"plan": "ke-hoach-c"}), 422)
    assert "ke-hoach-c" in body["message"]


# ---------------------------------------------------------------- a bearer header decides alone


@pytest.mark.parametrize("token", ["cp_not-a-token", "wrong", "revoked", "disabled"])
def test_a_bad_bearer_token_never_falls_back_to_the_browsers_session(api_site, token):
    ledger = api_site.ledger
    if token == "revoked":
        issued = ledger.issue_api_token("so-a", label="old")
        assert ledger.revoke_api_token(issued.id)
        token = issued.token
    elif token == "disabled":
        ledger.add_user("nghi-viec", PASSWORD, role="coordinator", unit="so-tttt")
        token = ledger.issue_api_token("nghi-viec").token
        ledger.disable_user("nghi-viec")
    occurrence = api_site.occurrence("buu-dien")
    before = api_site.evidence_rows()
    with api_site.client() as browser:
        assert log_in(browser, "so-a").status_code == 303  # a coordinator's session in the same browser
        assert browser.get("/api/summary").status_code == 200  # the session alone reads, as documented
        headers = {"Authorization": f"Bearer {token}"}
        written = browser.post(f"/api/occurrences/{occurrence}/evidence", headers=headers,
                               json={"kind": "link", "link": "https://baohaugiang.vn/tin-1.html"})
        is_json_error(written, 401)
        is_json_error(browser.get("/api/summary", headers=headers), 401)
    assert api_site.evidence_rows() == before


# ---------------------------------------------------------------- control characters in what people type

CONTROL = ["Ghi chú\x00", "Ghi chú\x1b[2J", "Ghi\x7fchú"]
REFUSED = "ký tự điều khiển"


def problem(page) -> str:
    found = re.search(r'class="notice notice-error"[^>]*>([^<]*)<', page.text)
    assert found, page.text
    return found.group(1)


@pytest.mark.parametrize("typed", CONTROL)
def test_a_control_character_in_the_report_form_is_refused_in_vietnamese_on_both_engines(pages_site, typed):
    occurrence = pages_site.occurrence("buu-dien", "17/03")
    path = f"/bao-cao/{report_token(SECRET, occurrence, 'buu-dien', issued=NOW)}"
    with pages_site.client() as clerk:
        for fields in ({"count": "1", "note": typed}, {"count": "1", "name": typed}, {"document": typed}):
            answer = clerk.post(path, data={"csrf_token": csrf(clerk, path), **fields})
            assert answer.status_code == 422, (fields, answer.text)
            said = problem(answer)
            assert REFUSED in said and "PostgreSQL" not in said and "127.0.0.1" not in said, said
        acknowledged = clerk.post(path + "/da-nhan", data={"csrf_token": csrf(clerk, path), "name": typed})
        assert acknowledged.status_code == 422 and REFUSED in problem(acknowledged)
    assert pages_site.ledger.evidence(units=["buu-dien"]) == []
    assert pages_site.ledger.acknowledgements_of([occurrence])[occurrence] == []


@pytest.mark.parametrize("typed", CONTROL)
def test_a_control_character_in_a_reason_is_refused_and_changes_nothing(pages_site, typed):
    occurrence = pages_site.occurrence("buu-dien", "17/03")
    browser = signed_in(pages_site)
    try:
        token = csrf(browser, f"/ky/{occurrence}")
        for action, extra in (("mien", {}), ("gia-han", {"date": "31/03/2022"})):
            answer = browser.post(f"/ky/{occurrence}/{action}", data={"csrf_token": token, "reason": typed, **extra})
            assert answer.status_code == 422, answer.text
            assert REFUSED in problem(answer) and "PostgreSQL" not in answer.text
        bulk = browser.post("/qua-han/mien", data={"csrf_token": token, "ky": str(occurrence), "ly_do": typed})
        assert bulk.status_code == 422 and REFUSED in problem(bulk)
    finally:
        browser.__exit__(None, None, None)
    assert pages_site.status(occurrence).status.value == "overdue"


def test_a_login_with_a_nul_is_a_wrong_login_not_an_outage(pages_site):
    with pages_site.client() as browser:
        for login, password in (("so-tttt\x00", PASSWORD), ("\x00", "x")):
            answer = log_in(browser, login, password)
            assert answer.status_code == 401, answer.text
            assert "Tên đăng nhập hoặc mật khẩu không đúng." in answer.text
