"""The JSON API (/api), through the real app on SQLite and PostgreSQL, with two provinces: what each
token sees, roles, bearer authentication (missing, unknown, revoked, disabled), recording and
withdrawing evidence, Idempotency-Key replays, conflicts and concurrent twins, and the attacks
(another province's occurrence, SQL metacharacters in filters, javascript: and data: links)."""

from __future__ import annotations

import datetime as dt
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from test_web_auth import PASSWORD, log_in
from two_provinces import MINISTRY, PLAIN_PROVINCE_A, PROVINCE_B, add_users, plan_file, synced, web_app, weekly_report

from commplan.ledger import EvidenceInput, Ledger, LedgerError, RecordResult
from commplan.ledger import tables as t

VN = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2022, 3, 20, 9, 0, tzinfo=VN)  # a Sunday: the weeks due 10/03 and 17/03 are overdue
def plan(ident: str, number: str, issuer: str, coordinator: str, lead: str) -> str:
    return plan_file(ident, issuer, coordinator, weekly_report(lead, "evidence: link") + f"""\
  - id: phat-lai
    title: Phát lại chương trình
    kind: broadcast
    evidence: count
    lead: {lead}
    every: month
    at_least: 2
    from: 2022-03-01
    until: 2022-04-30
""", number=number)


class Site:
    """The app, its ledger, and a bearer token per user."""

    def __init__(self, app, ledger: Ledger, tokens: dict[str, str]):
        self.app, self.ledger, self.tokens = app, ledger, tokens

    def client(self, login: str | None = None) -> TestClient:
        headers = {"Authorization": f"Bearer {self.tokens[login]}"} if login else {}
        return TestClient(self.app, raise_server_exceptions=False, follow_redirects=False, headers=headers)

    def occurrence(self, unit: str, obligation: str = "bao-cao-tuan", due: str = "2022-03-17") -> int:
        return next(r.id for r in self.ledger.statuses(as_of=NOW, include_scheduled=True)
                    if r.unit == unit and r.obligation == obligation and f"{r.due:%Y-%m-%d}" == due)

    def evidence_rows(self) -> int:
        with self.ledger.transaction() as connection:
            return connection.execute(select(func.count()).select_from(t.EvidenceRow)).scalar_one()


@pytest.fixture
def site(ledger_url, ledger: Ledger, tmp_path) -> Site:
    folder = tmp_path / "plans"
    folder.mkdir()
    synced(ledger, folder, {
        "a.units.yaml": PLAIN_PROVINCE_A, "b.units.yaml": PROVINCE_B, "c.units.yaml": MINISTRY,
        "plan-a.yaml": plan("ke-hoach-a", "12/KH-UBND", "ubnd-tinh", "so-tttt", "[buu-dien, ubnd-xa-a]"),
        "plan-b.yaml": plan("ke-hoach-b", "7/KH-UBND", "ubnd-tinh-lg", "so-tttt-lg", "buu-dien-lg")}, NOW)
    users = {"admin": ("admin", None), "so-a": ("coordinator", "so-tttt"), "so-b": ("coordinator", "so-tttt-lg"),
             "doc-a": ("viewer", "so-tttt")}
    add_users(ledger, users)
    tokens = {login: ledger.issue_api_token(login, label="test").token for login in users}
    app = web_app(ledger_url, folder, NOW)
    return Site(app, ledger, tokens)


def is_json_error(answer, status: int) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert body["status"] == status and body["message"]
    return body


# ---------------------------------------------------------------- the schema

def test_the_schema_documents_every_operation_with_the_bearer_scheme(site):
    with site.client() as program:
        schema = program.get("/api/openapi.json").json()
    operations = {(path, method) for path, item in schema["paths"].items() for method in item}
    assert {("/api/occurrences", "get"), ("/api/summary", "get"), ("/api/occurrences/{occurrence_id}/evidence", "get"),
            ("/api/occurrences/{occurrence_id}/evidence", "post"), ("/api/evidence/{evidence_id}/withdraw", "post")
            } <= operations
    assert schema["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http", "scheme": "bearer", "description": "An API token from `commplan user token LOGIN`."}
    fields = schema["components"]["schemas"]["Occurrence"]["properties"]
    assert list(fields) == ["id", "plan", "plan_number", "obligation", "title", "unit", "window_start", "window_end",
                            "due", "at_least", "delivered", "status"]
    record = schema["paths"]["/api/occurrences/{occurrence_id}/evidence"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in record["parameters"])
    assert {"201", "200", "401", "403", "404", "422"} <= set(record["responses"])


# ---------------------------------------------------------------- authentication

def test_without_a_valid_token_the_api_answers_401_json_with_a_bearer_challenge(site):
    site.ledger.add_user("nghi-viec", PASSWORD, role="coordinator", unit="so-tttt")
    disabled = site.ledger.issue_api_token("nghi-viec").token
    site.ledger.disable_user("nghi-viec")
    revoked = site.ledger.issue_api_token("so-a")
    assert site.ledger.revoke_api_token(revoked.id)
    for header in [None, "Bearer khong-phai-token", f"Bearer {revoked.token}", f"Bearer {disabled}",
                   f"Basic {site.tokens['so-a']}", "Bearer "]:
        with site.client() as program:
            answer = program.get("/api/occurrences", headers={"Authorization": header} if header else {})
        body = is_json_error(answer, 401)
        assert body["error"] == "unauthorized" and answer.headers["www-authenticate"] == "Bearer", header
    with site.client("so-a") as program:  # the same user's other token still opens
        assert program.get("/api/occurrences").status_code == 200


def test_a_browser_session_reads_the_api_but_cannot_write_through_it(site):
    occurrence = site.occurrence("buu-dien")
    with site.client() as browser:
        assert log_in(browser, "so-a").status_code == 303
        assert browser.get("/api/occurrences").status_code == 200
        # no CSRF token travels with a JSON write: only a bearer token may write
        answer = browser.post(f"/api/occurrences/{occurrence}/evidence", json={"kind": "count"})
    is_json_error(answer, 401)
    assert site.evidence_rows() == 0


def test_a_viewer_reads_but_may_not_record_or_withdraw(site):
    occurrence = site.occurrence("buu-dien")
    item = site.ledger.record_evidence("ke-hoach-a/bao-cao-tuan", "buu-dien", EvidenceInput(kind="link", link="https://a.vn/1"),
                                       occurrence_id=occurrence, now=NOW)
    with site.client("doc-a") as program:
        assert len(program.get(f"/api/occurrences/{occurrence}/evidence").json()) == 1
        refused = [program.post(f"/api/occurrences/{occurrence}/evidence", json={"kind": "count"}),
                   program.post(f"/api/evidence/{item.evidence_id}/withdraw", json={"reason": "nhầm"})]
    for answer in refused:
        assert is_json_error(answer, 403)["error"] == "forbidden"
    assert site.evidence_rows() == 1
    assert not site.ledger.evidence_item(item.evidence_id).withdrawn


# ---------------------------------------------------------------- reading, within the scope

def test_each_token_sees_its_own_province_and_an_admin_sees_both(site):
    seen = {}
    for login in ("so-a", "so-b", "admin", "doc-a"):
        with site.client(login) as program:
            answer = program.get("/api/occurrences", params={"limit": 1000})
        assert answer.status_code == 200
        seen[login] = answer.json()
    assert {o["unit"] for o in seen["so-a"]} == {"buu-dien", "ubnd-xa-a"} and seen["doc-a"] == seen["so-a"]
    assert {o["unit"] for o in seen["so-b"]} == {"buu-dien-lg"}
    assert {o["id"] for o in seen["admin"]} == {o["id"] for o in seen["so-a"] + seen["so-b"]}
    first = next(o for o in seen["so-b"] if o["obligation"] == "bao-cao-tuan")
    assert first == {"id": first["id"], "plan": "ke-hoach-b", "plan_number": "7/KH-UBND", "obligation": "bao-cao-tuan",
                     "title": "Báo cáo tuần", "unit": "buu-dien-lg", "window_start": "2022-03-07",
                     "window_end": "2022-03-13", "due": "2022-03-10T14:00:00+07:00", "at_least": 1, "delivered": 0,
                     "status": "overdue"}
    dues = [(o["due"], o["id"]) for o in seen["admin"]]
    assert dues == sorted(dues)  # by deadline


def test_a_user_bound_to_no_province_nor_plan_sees_an_empty_list(site):
    site.ledger.add_user("bo", PASSWORD, role="coordinator", unit="bo-tttt")  # no province, coordinates no plan
    token = site.ledger.issue_api_token("bo").token
    with site.client() as program:
        headers = {"Authorization": f"Bearer {token}"}
        assert program.get("/api/occurrences", headers=headers).json() == []
        assert program.get("/api/summary", headers=headers).json() == {"plans": [], "units": []}
        assert program.get(f"/api/occurrences/{site.occurrence('buu-dien')}/evidence", headers=headers).status_code == 404


def test_filters_narrow_the_list_and_pages_follow_each_other(site):
    with site.client("so-a") as program:
        def ids(**params) -> list[int]:
            answer = program.get("/api/occurrences", params={"limit": 1000, **params})
            assert answer.status_code == 200, answer.text
            return [o["id"] for o in answer.json()]

        everything = ids()
        overdue = program.get("/api/occurrences", params={"status": "overdue"}).json()
        assert {(o["unit"], o["due"][:10]) for o in overdue} == {
            (u, d) for u in ("buu-dien", "ubnd-xa-a") for d in ("2022-03-10", "2022-03-17")}
        assert {o["status"] for o in program.get("/api/occurrences", params={"status": "scheduled"}).json()} == {
            "scheduled"}
        week = program.get("/api/occurrences", params={"due_from": "2022-03-17", "due_to": "2022-03-17"}).json()
        assert {(o["unit"], o["obligation"]) for o in week} == {("buu-dien", "bao-cao-tuan"), ("ubnd-xa-a", "bao-cao-tuan")}
        assert set(ids(unit="ubnd-xa-a")) == {i for i in everything if i in set(ids(unit="ubnd-xa-a"))} != set(everything)
        assert set(ids(plan="ke-hoach-a")) == set(everything)
        assert ids(limit=3) + ids(limit=3, offset=3) == everything[:6]
        assert ids(offset=len(everything)) == []
        # another province's plan or unit, named by a Sở of this one: nothing, not an error
        assert ids(plan="ke-hoach-b") == [] and ids(unit="buu-dien-lg") == []


SQL_METACHARACTERS = ["' OR '1'='1", "x'; DROP TABLE evidence; --", "buu-dien' --", "%", "buu_%", "ke-hoach-a\" OR 1=1",
                      "1; SELECT pg_sleep(5)", "\x00", "ÿ"]


@pytest.mark.parametrize("name", ["plan", "unit", "status", "due_from", "due_to", "limit", "offset"])
def test_sql_metacharacters_in_any_filter_are_refused_as_invalid(site, name):
    with site.client("admin") as program:
        for value in SQL_METACHARACTERS:
            answer = program.get("/api/occurrences", params={name: value})
            assert is_json_error(answer, 422)["error"] == "invalid"
            assert [e["loc"] for e in answer.json()["details"]] == [["query", name]], value
        assert len(program.get("/api/occurrences").json()) > 0  # nothing was dropped


BAD_QUERIES = [({"due_from": "2022-02-30"}, "due_from"), ({"due_to": "hôm nay"}, "due_to"),
               ({"due_from": "20/03/2022"}, "due_from"), ({"limit": 1001}, "limit"), ({"limit": 0}, "limit"),
               ({"offset": -1}, "offset"), ({"status": "quá hạn"}, "status")]


def test_bad_dates_and_numbers_are_422_json_naming_the_field(site):
    with site.client("so-a") as program:
        for params, field in BAD_QUERIES:
            body = is_json_error(program.get("/api/occurrences", params=params), 422)
            assert [e["loc"] for e in body["details"]] == [["query", field]]


def test_dates_at_the_ends_of_the_calendar_find_everything_or_nothing(site):
    with site.client("admin") as program:
        everything = program.get("/api/occurrences", params={"limit": 1000}).json()
        assert program.get("/api/occurrences", params={"limit": 1000, "due_from": "0001-01-01",
                                                       "due_to": "9999-12-31"}).json() == everything
        assert program.get("/api/occurrences", params={"due_from": "9999-12-31"}).json() == []
        assert program.get("/api/occurrences", params={"due_to": "0001-01-01"}).json() == []


def test_an_unknown_unit_named_by_an_admin_is_422_with_the_ledgers_words(site):
    with site.client("admin") as program:
        body = is_json_error(program.get("/api/occurrences", params={"unit": "buu-dien-x"}), 422)
    assert "buu-dien-x" in body["message"]


def test_the_summary_counts_per_plan_and_per_unit_within_the_scope(site):
    with site.client("so-a") as program:
        found = program.get("/api/summary").json()
        overdue = program.get("/api/occurrences", params={"status": "overdue"}).json()
    assert [p["plan"] for p in found["plans"]] == ["ke-hoach-a"] and found["plans"][0]["plan_number"] == "12/KH-UBND"
    assert {u["unit"] for u in found["units"]} == {"buu-dien", "ubnd-xa-a"}
    assert found["plans"][0]["counts"]["overdue"] == len(overdue) == 4
    by_unit = {u["unit"]: u["counts"] for u in found["units"]}
    assert by_unit["buu-dien"]["overdue"] == 2 and by_unit["buu-dien"]["open"] == 1  # the month of March
    assert by_unit["buu-dien"]["total"] == sum(by_unit["buu-dien"][k] for k in ("open", "done_on_time", "done_late", "overdue"))
    with site.client("so-b") as program:
        other = program.get("/api/summary").json()
    assert [p["plan"] for p in other["plans"]] == ["ke-hoach-b"] and [u["unit"] for u in other["units"]] == ["buu-dien-lg"]


def test_another_provinces_occurrence_and_evidence_are_not_found(site):
    theirs = site.occurrence("buu-dien-lg")
    item = site.ledger.record_evidence("ke-hoach-b/bao-cao-tuan", "buu-dien-lg",
                                       EvidenceInput(kind="link", link="https://b.vn/1"), occurrence_id=theirs, now=NOW)
    with site.client("so-a") as program:
        answers = [program.get(f"/api/occurrences/{theirs}/evidence"),
                   program.post(f"/api/occurrences/{theirs}/evidence", json={"kind": "link", "link": "https://a.vn/x"}),
                   program.post(f"/api/evidence/{item.evidence_id}/withdraw", json={"reason": "không phải của tỉnh B"}),
                   program.get("/api/occurrences/999999/evidence"), program.post("/api/evidence/999999/withdraw",
                                                                                   json={"reason": "x"})]
    for answer in answers:
        assert is_json_error(answer, 404)["error"] == "not_found"
    assert site.evidence_rows() == 1 and not site.ledger.evidence_item(item.evidence_id).withdrawn
    with site.client("so-b") as program:
        assert [e["link"] for e in program.get(f"/api/occurrences/{theirs}/evidence").json()] == ["https://b.vn/1"]


# ---------------------------------------------------------------- writing

def test_recording_a_link_then_the_same_link_again(site):
    occurrence = site.occurrence("buu-dien")
    with site.client("so-a") as program:
        first = program.post(f"/api/occurrences/{occurrence}/evidence",
                             json={"kind": "link", "link": "HTTPS://Bao.vn/bai-1/#top", "note": "<script>x</script>"})
        again = program.post(f"/api/occurrences/{occurrence}/evidence", json={"kind": "link", "link": "https://bao.vn/bai-1"})
        listed = program.get(f"/api/occurrences/{occurrence}/evidence").json()
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["evidence_id"] and body["duplicate_of"] is None
    assert body["occurrence"]["id"] == occurrence and body["occurrence"]["delivered"] == 1
    assert body["occurrence"]["status"] == "done-late" and body["occurrence"]["plan_number"] == "12/KH-UBND"
    assert again.status_code == 200 and again.json()["evidence_id"] is None
    assert again.json()["duplicate_of"] == body["evidence_id"]
    assert len(listed) == 1
    assert {k: listed[0][k] for k in ("kind", "link", "source", "recorded_by", "note", "withdrawn", "occurred_at")} == {
        "kind": "link", "link": "https://bao.vn/bai-1", "source": "api", "recorded_by": "web:so-a",
        "note": "<script>x</script>", "withdrawn": False, "occurred_at": "2022-03-20T09:00:00+07:00"}


def test_recording_a_count_and_a_document_with_its_date(site):
    monthly = site.occurrence("ubnd-xa-a", "phat-lai", "2022-03-31")
    with site.client("admin") as program:
        counted = program.post(f"/api/occurrences/{monthly}/evidence",
                               json={"kind": "count", "quantity": 2, "occurred_at": "2022-03-15T08:00:00+07:00"})
        named = program.post(f"/api/occurrences/{site.occurrence('ubnd-xa-a')}/evidence",
                             json={"kind": "document", "document": "Báo cáo số 12/BC-UBND"})
    assert counted.status_code == 201 and counted.json()["occurrence"]["delivered"] == 2
    assert counted.json()["occurrence"]["status"] == "done-on-time"
    assert named.status_code == 201 and named.json()["occurrence"]["status"] == "done-late"
    items = site.ledger.evidence(occurrence_id=monthly)
    assert [(i.quantity, i.source, i.recorded_by, i.occurred_at) for i in items] == [
        (2, "api", "web:admin", dt.datetime(2022, 3, 15, 8, 0, tzinfo=VN))]


BAD_ITEMS = [
    {"kind": "link", "link": "javascript:alert(1)"}, {"kind": "link", "link": "data:text/html,<script>alert(1)</script>"},
    {"kind": "link", "link": "JaVaScRiPt://bao.vn/%0aalert(1)"}, {"kind": "link", "link": "ftp://bao.vn/x"},
    {"kind": "link"}, {"kind": "count", "link": "https://bao.vn/x"}, {"kind": "count", "quantity": 0},
    {"kind": "count", "quantity": 100_001}, {"kind": "link", "link": "https://bao.vn/x", "quantity": 3},
    {"kind": "document", "document": "   "}, {"kind": "document", "document": "a\x00b"}, {"kind": "video"},
    {"kind": "count", "occurred_at": "2022-03-15T08:00:00"},  # no offset: which day is it?
    {"kind": "count", "occurred_at": "2030-01-01T00:00:00+07:00"},  # in the future
    {"kind": "count", "occurred_at": "0001-01-01T00:00:00+14:00"}, {"kind": "count", "recorded_by": "someone else"},
]


def test_a_bad_item_is_refused_as_invalid_and_nothing_is_recorded(site):
    occurrence = site.occurrence("buu-dien")
    with site.client("so-a") as program:
        for body in BAD_ITEMS:
            answer = program.post(f"/api/occurrences/{occurrence}/evidence", json=body)
            assert is_json_error(answer, 422)["error"] == "invalid", body
    assert site.evidence_rows() == 0


def test_withdrawing_an_item_keeps_it_listed_flagged_and_it_no_longer_counts(site):
    occurrence = site.occurrence("buu-dien")
    with site.client("so-a") as program:
        recorded = program.post(f"/api/occurrences/{occurrence}/evidence", json={"kind": "link", "link": "https://a.vn/1"})
        evidence_id = recorded.json()["evidence_id"]
        blank = program.post(f"/api/evidence/{evidence_id}/withdraw", json={"reason": ""})
        done = program.post(f"/api/evidence/{evidence_id}/withdraw", json={"reason": "Nhầm đơn vị"})
        twice = program.post(f"/api/evidence/{evidence_id}/withdraw", json={"reason": "Nhầm đơn vị"})
        listed = program.get(f"/api/occurrences/{occurrence}/evidence").json()
    is_json_error(blank, 422)
    assert done.status_code == 200, done.text
    assert {k: done.json()[k] for k in ("delivered", "at_least", "status")} == {"delivered": 0, "at_least": 1,
                                                                                "status": "overdue"}
    assert done.json()["evidence"]["withdrawn_by"] == "web:so-a"
    assert is_json_error(twice, 409)["error"] == "conflict"
    assert [(e["id"], e["withdrawn"], e["withdraw_reason"]) for e in listed] == [(evidence_id, True, "Nhầm đơn vị")]


# ---------------------------------------------------------------- Idempotency-Key

def test_the_same_key_and_body_replay_the_first_answer_without_a_second_row(site):
    occurrence = site.occurrence("ubnd-xa-a", "phat-lai", "2022-03-31")
    headers = {"Idempotency-Key": "lan-gui-1'OR'1'='1;--"}  # a key is a bound value, whatever it holds
    with site.client("so-a") as program:
        first = program.post(f"/api/occurrences/{occurrence}/evidence", json={"kind": "count"}, headers=headers)
        # the same JSON, spaced and ordered differently: the same request
        again = program.post(f"/api/occurrences/{occurrence}/evidence", content='{ "quantity": 1,  "kind": "count" }',
                             headers={**headers, "Content-Type": "application/json"})
        unkeyed = program.post(f"/api/occurrences/{occurrence}/evidence", json={"kind": "count"})
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    assert (again.status_code, again.content) == (201, first.content)
    assert again.headers["idempotent-replayed"] == "true"
    assert first.json()["occurrence"]["delivered"] == 1
    # a count is never a duplicate: without a key the same body is a second item
    assert unkeyed.status_code == 201 and unkeyed.json()["occurrence"]["delivered"] == 2
    assert site.evidence_rows() == 2


def test_a_key_reused_for_another_request_is_refused_and_keys_are_per_user(site):
    occurrence, other = site.occurrence("ubnd-xa-a", "phat-lai", "2022-03-31"), site.occurrence("buu-dien", "phat-lai", "2022-03-31")
    headers = {"Idempotency-Key": "k-1"}
    with site.client("so-a") as program:
        assert program.post(f"/api/occurrences/{occurrence}/evidence", json={"kind": "count"}, headers=headers).status_code == 201
        other_body = program.post(f"/api/occurrences/{occurrence}/evidence", json={"kind": "count", "quantity": 2},
                                  headers=headers)
        other_path = program.post(f"/api/occurrences/{other}/evidence", json={"kind": "count"}, headers=headers)
    for answer in (other_body, other_path):
        assert "Idempotency-Key" in is_json_error(answer, 422)["message"]
    with site.client("admin") as program:  # another user's key of the same name is theirs
        assert program.post(f"/api/occurrences/{occurrence}/evidence", json={"kind": "count"}, headers=headers).status_code == 201
    assert site.evidence_rows() == 2


def test_a_malformed_key_is_refused(site):
    occurrence = site.occurrence("buu-dien")
    with site.client("so-a") as program:
        for key in ["", "x" * 256, "có dấu", "a b", "tab\tkey"]:
            answer = program.post(f"/api/occurrences/{occurrence}/evidence", json={"kind": "count"},
                                  headers={"Idempotency-Key": key.encode("utf-8")})
            is_json_error(answer, 422)
    assert site.evidence_rows() == 0


def test_a_refused_write_does_not_keep_its_key(site):
    occurrence = site.occurrence("buu-dien")
    headers = {"Idempotency-Key": "k-2"}
    with site.client("so-a") as program:
        future = program.post(f"/api/occurrences/{occurrence}/evidence", headers=headers,
                              json={"kind": "link", "link": "https://a.vn/1", "occurred_at": "2030-01-01T00:00:00+07:00"})
        fixed = program.post(f"/api/occurrences/{occurrence}/evidence", headers=headers,
                             json={"kind": "link", "link": "https://a.vn/1"})
    is_json_error(future, 422)
    assert fixed.status_code == 201 and "idempotent-replayed" not in fixed.headers, fixed.text


def test_concurrent_requests_with_one_key_record_once(site):
    """Eight clients send the same keyed request at the same instant: one records, the others get its answer."""
    occurrence = site.occurrence("ubnd-xa-a", "phat-lai", "2022-03-31")
    start = threading.Barrier(8)

    def send(_n: int):
        with site.client("so-a") as program:
            start.wait()
            return program.post(f"/api/occurrences/{occurrence}/evidence", json={"kind": "count"},
                                headers={"Idempotency-Key": "cung-luc"})

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, range(8)))
    assert {a.status_code for a in answers} == {201}
    assert len({a.content for a in answers}) == 1
    assert sum("idempotent-replayed" not in a.headers for a in answers) == 1
    assert site.evidence_rows() == 1


def test_a_twin_waits_for_the_first_transaction_and_reads_its_answer(site):
    """The first request holds its transaction open after claiming the key; its twin, started
    meanwhile, must wait on the key (not record, not fail) and then replay the stored answer."""
    ledger, occurrence = site.ledger, site.occurrence("ubnd-xa-a", "phat-lai", "2022-03-31")
    user_id = ledger.user("so-a").id
    claimed, twin_started = threading.Event(), threading.Event()

    def slow_answer(result: RecordResult) -> tuple[int, str]:
        claimed.set()
        assert twin_started.wait(10)
        threading.Event().wait(0.5)  # the twin is now blocked on the key (or on BEGIN IMMEDIATE)
        return 201, json.dumps({"evidence_id": result.evidence_id})

    def record(answer):
        return ledger.record_evidence_once(user_id, "k", "hash", "ke-hoach-a/phat-lai", "ubnd-xa-a",
                                           EvidenceInput(kind="count", source="api"), answer,
                                           occurrence_id=occurrence, now=NOW)

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(record, slow_answer)
        assert claimed.wait(10)
        twin = pool.submit(record, lambda result: pytest.fail("the twin recorded"))
        twin_started.set()
        one, two = first.result(timeout=30), twin.result(timeout=30)
    assert not one.replayed and two.replayed and (one.status, one.body) == (two.status, two.body)
    assert site.evidence_rows() == 1
    with pytest.raises(LedgerError, match="Idempotency-Key"):
        ledger.record_evidence_once(user_id, "k", "another hash", "ke-hoach-a/phat-lai", "ubnd-xa-a",
                                    EvidenceInput(kind="count", source="api"), lambda r: (201, "{}"),
                                    occurrence_id=occurrence, now=NOW)
