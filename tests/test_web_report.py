"""The report page, /bao-cao/{token}, through the real app on SQLite and PostgreSQL: what a clerk
reads, the round trip (link -> evidence -> status), and the attacks (tampered, expired and
cross-unit tokens, CSRF, stored XSS, SQL metacharacters, javascript: links)."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import col
from test_calendar_feeds import SECRET

from commplan.ledger import EvidenceInput, Ledger
from commplan.ledger import tables as t
from commplan.links import report_link, report_token
from commplan.plan import load_catalog
from commplan.settings import Settings
from commplan.web.app import create_app

VN = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=VN)  # a Tuesday: this week's report is due Thursday 12/03 14:00
TODAY = NOW.date()
UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/nothing"
OBLIGATIONS = """
- id: bao-cao-tuan
  title: Báo cáo tuần
  quote: "Hằng tuần, gửi báo cáo về Sở Thông tin và Truyền thông trước 14 giờ thứ Năm."
  kind: report
  evidence: link
  lead: [buu-dien, viettel-post]
  every: week
  from: 2026-01-05
  until: 2026-06-28
  due: {weekday: thu, time: "14:00"}
- id: phat-lai
  title: Phát lại chương trình
  kind: broadcast
  evidence: count
  lead: ubnd-cap-huyen
  every: month
  at_least: 2
  from: 2026-01-01
  until: 2026-06-30
- id: hop-bao
  title: Họp báo chung
  kind: meeting
  evidence: document
  lead: ubnd-cap-huyen
  shared: true
  every: quarter
  from: 2026-01-01
  until: 2026-12-31
"""


@pytest.fixture
def plans(write_plan, tmp_path):
    """The plan folder, with a unit name and a plan title that try to run a script."""
    write_plan(OBLIGATIONS)
    units = tmp_path / "units.yaml"
    units.write_text(units.read_text(encoding="utf-8").replace(
        "name: Bưu điện tỉnh Thử Nghiệm", 'name: "Bưu điện <script>alert(1)</script>"'), encoding="utf-8")
    plan = tmp_path / "plan.yaml"
    plan.write_text(plan.read_text(encoding="utf-8").replace(
        "title: Kế hoạch thử nghiệm", 'title: "Kế hoạch <script>alert(2)</script>"'), encoding="utf-8")
    catalog, _ = load_catalog([tmp_path], strict=True)
    return tmp_path, catalog


@pytest.fixture
def site(ledger_url, ledger, plans):
    folder, catalog = plans
    ledger.sync(catalog, now=NOW)
    return Site(ledger_url, ledger, folder)


class Site:
    def __init__(self, url: str, ledger: Ledger, folder):
        self.url, self.ledger, self.folder = url, ledger, folder

    def client(self, now: dt.datetime = NOW) -> TestClient:
        app = create_app(Settings(database_url=self.url, link_secret=SECRET, public_url="http://127.0.0.1:8000"),
                         plans=[self.folder], clock=lambda: now)
        return TestClient(app, raise_server_exceptions=False, follow_redirects=False)

    def occurrence(self, unit: str, obligation: str = "bao-cao-tuan", day: dt.date = TODAY) -> int:
        found = [s.id for s in self.ledger.statuses(as_of=NOW, units=[unit], include_scheduled=True)
                 if s.obligation == obligation and s.window_start <= day <= s.window_end and s.unit == unit]
        assert len(found) == 1, found
        return found[0]

    def evidence(self, occurrence: int):
        return self.ledger.evidence(occurrence_id=occurrence)


def link(occurrence: int, unit: str, issued: dt.datetime = NOW) -> str:
    return f"/bao-cao/{report_token(SECRET, occurrence, unit, issued=issued)}"


def csrf(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found, "no form on the page"
    return found.group(1)


def send(client: TestClient, path: str, **fields: str):
    return client.post(path, data={"csrf_token": csrf(client, path), **fields})


# ---------------------------------------------------------------- what the clerk reads


def test_the_page_shows_the_duty_in_vietnamese_with_a_form(site):
    occurrence = site.occurrence("buu-dien")
    with site.client() as client:
        page = client.get(link(occurrence, "buu-dien"))
    assert page.status_code == 200 and '<html lang="vi">' in page.text
    text = page.text
    assert "Kế hoạch số 1/KH-UBND" in text and "<h1>Báo cáo tuần</h1>" in text
    assert "1 đường dẫn đến tin, bài đã đăng" in text
    assert "<dt>Kỳ</dt><dd>09/03/2026 – 15/03/2026, hạn 14:00 thứ Năm, 12/03/2026</dd>" in text
    assert "Hằng tuần, gửi báo cáo về Sở Thông tin và Truyền thông trước 14 giờ thứ Năm." in text
    assert "<dd>0/1</dd>" in text and "đang thực hiện, trong hạn" in text
    assert "Chưa có kết quả nào được ghi nhận." in text
    assert text.index('name="link"') < text.index('name="count"') < text.index('name="document"')
    assert 'name="csrf_token"' in text and 'name="link"' in text and 'name="count"' in text and 'name="document"' in text
    assert "<script" not in text and "style=" not in text


def test_in_english_the_deadline_reads_as_english(site, monkeypatch):
    monkeypatch.setenv("COMMPLAN_LANG", "en")
    with site.client() as client:
        text = client.get(link(site.occurrence("buu-dien"), "buu-dien")).text
    assert "due 14:00 on Thursday, 12/03/2026" in text and "Plan no. 1/KH-UBND" in text and "open, within the deadline" in text


# ---------------------------------------------------------------- the round trip


def test_a_link_submitted_is_recorded_from_the_web_and_the_page_shows_done_on_time(site):
    occurrence = site.occurrence("buu-dien")
    path = link(occurrence, "buu-dien")
    with site.client() as client:
        sent = send(client, path, link="https://baothanhhoa.vn/tin/123", note="Đăng trang nhất", name="Nguyễn Văn A")
        assert sent.status_code == 303 and sent.headers["location"] == f"{path}?gui=moi"
        page = client.get(sent.headers["location"])
        assert "hoàn thành đúng hạn" in page.text and "Cảm ơn: báo cáo của quý đơn vị đã được ghi nhận." in page.text
        assert '<a href="https://baothanhhoa.vn/tin/123" rel="noopener noreferrer nofollow">' in page.text
        assert "<dd>1/1</dd>" in page.text and "Đăng trang nhất" in page.text and "Nguyễn Văn A" in page.text
        # the same link again: idempotent
        again = send(client, path, link="https://BAOTHANHHOA.vn/tin/123/")
        assert again.status_code == 303 and again.headers["location"] == f"{path}?gui=trung"
        assert "chỉ tính một lần" in client.get(again.headers["location"]).text
    items = site.evidence(occurrence)
    assert [(i.kind, i.link, i.source, i.unit, i.recorded_by, i.note) for i in items] == [
        ("link", "https://baothanhhoa.vn/tin/123", "web", "buu-dien", "Nguyễn Văn A", "Đăng trang nhất")]
    assert site.ledger.statuses(as_of=NOW, units=["buu-dien"], plans=["ke-hoach-thu"])[-1].status.value != "overdue"



def test_the_audit_trusts_the_links_holder_not_the_name_typed_in_the_form(site):
    """A clerk may type any name ("Giám đốc Sở"): it is shown with the item, but the audit's actor is
    the unit the signed link was sent to, for evidence and for an acknowledgement alike."""
    occurrence = site.occurrence("buu-dien")
    path = link(occurrence, "buu-dien")
    with site.client() as client:
        send(client, path, link="https://a.vn/bai-1", name="Giám đốc Sở TTTT")
        client.post(f"{path}/da-nhan", data={"csrf_token": csrf(client, path), "name": "admin"})
    with site.ledger.transaction() as connection:
        audit = connection.execute(select(col(t.AuditRow.action), col(t.AuditRow.actor), col(t.AuditRow.details))
                                   .where(col(t.AuditRow.subject) == f"occurrence/{occurrence}")
                                   .order_by(col(t.AuditRow.id))).all()
    assert [(action, actor) for action, actor, _details in audit] == [
        ("evidence", "link:buu-dien"), ("acknowledge", "link:buu-dien")]
    assert "Giám đốc Sở TTTT" in str(audit[0][2]) and "admin" in str(audit[1][2])
    assert [i.recorded_by for i in site.evidence(occurrence)] == ["Giám đốc Sở TTTT"]

def test_a_count_like_2_lan_and_a_document_name_are_recorded(site):
    occurrence = site.occurrence("ubnd-huyen-a", "phat-lai")
    path = link(occurrence, "ubnd-huyen-a")
    with site.client() as client:
        page = client.get(path).text
        assert "thực hiện 2 lần" in page and page.index('name="count"') < page.index('name="link"')  # what the plan asks first
        assert send(client, path, count="2 lần").status_code == 303
        done = client.get(path).text
        assert "hoàn thành đúng hạn" in done and "<dd>2/2</dd>" in done and "2 lần" in done
        assert send(client, path, document="Công văn số 12/UBND").status_code == 303
    assert [(i.kind, i.quantity, i.document, i.source) for i in site.evidence(occurrence)] == [
        ("count", 2, None, "web"), ("document", 1, "Công văn số 12/UBND", "web")]


@pytest.mark.parametrize(("fields", "message"), [
    ({}, "Hãy điền một trong các mục"),
    ({"link": "https://a.vn/x", "count": "2"}, "Chỉ điền một trong các mục"),
    ({"count": "hai"}, "Số lần phải là số nguyên"),
    ({"link": "javascript:alert(document.cookie)"}, "phải bắt đầu bằng http:// hoặc https://"),
    ({"link": "data:text/html,<script>alert(1)</script>"}, "phải bắt đầu bằng http:// hoặc https://"),
])
def test_what_cannot_be_recorded_is_said_on_the_page_and_nothing_is_recorded(site, fields, message):
    occurrence = site.occurrence("buu-dien")
    with site.client() as client:
        got = send(client, link(occurrence, "buu-dien"), **fields)
    assert got.status_code == 422 and message in got.text
    assert "<script>" not in got.text and 'name="csrf_token"' in got.text  # the form again, values escaped
    assert site.evidence(occurrence) == []


# ---------------------------------------------------------------- token rules


def test_the_link_a_reminder_carries_opens_this_page(site):
    occurrence = site.occurrence("buu-dien")
    sent = report_link("http://127.0.0.1:8000", SECRET, occurrence, "buu-dien", issued=NOW)
    with site.client() as client:
        assert client.get(sent.removeprefix("http://127.0.0.1:8000")).status_code == 200


def test_a_shared_duty_takes_a_report_from_each_holder_and_the_group_only(site):
    occurrence = site.occurrence("ubnd-cap-huyen", "hop-bao")
    with site.client() as client:
        for unit in ("ubnd-huyen-b", "ubnd-cap-huyen"):
            page = client.get(link(occurrence, unit))
            assert page.status_code == 200 and "Họp báo chung" in page.text, unit
        assert send(client, link(occurrence, "ubnd-huyen-b"), document="Biên bản họp báo").status_code == 303
        assert client.get(link(occurrence, "buu-dien")).status_code == 404  # not a holder
    assert [(i.document, i.unit) for i in site.evidence(occurrence)] == [("Biên bản họp báo", "ubnd-cap-huyen")]


def test_a_tampered_token_is_a_vietnamese_404_without_a_form(site):
    occurrence = site.occurrence("buu-dien")
    good = link(occurrence, "buu-dien")
    other = link(occurrence, "viettel-post").rsplit(".", 1)[1]
    with site.client() as client:
        for path in (good[:-1] + ("A" if good[-1] != "A" else "B"), good.rsplit(".", 1)[0] + "." + other,
                     "/bao-cao/khong-phai-token", "/bao-cao/%00%27%22<script>", good + "x"):
            got = client.get(path)
            assert got.status_code == 404, path
            assert "Không tìm thấy trang báo cáo" in got.text and "không hợp lệ" in got.text
            assert "<form" not in got.text and "<script>" not in got.text
            assert client.post(path, data={"link": "https://a.vn/x"}).status_code in (403, 404)
    assert site.evidence(occurrence) == []


def test_an_expired_token_says_so_and_names_the_coordinator(site):
    occurrence = site.occurrence("buu-dien")
    path = link(occurrence, "buu-dien", issued=NOW - dt.timedelta(days=181))
    with site.client() as client:
        got = client.get(path)
        assert got.status_code == 410 and "Đường dẫn đã hết hạn" in got.text and "180 ngày" in got.text
        assert "Vui lòng liên hệ Sở Thông tin và Truyền thông tỉnh Thử Nghiệm (đơn vị điều phối kế hoạch)" in got.text
        assert "<form" not in got.text
        # a day short of 180 days it still works
        assert client.get(link(occurrence, "buu-dien", issued=NOW - dt.timedelta(days=179))).status_code == 200


def test_a_token_never_records_for_another_unit_or_occurrence(site):
    mine, theirs = site.occurrence("buu-dien"), site.occurrence("viettel-post")
    next_week = site.occurrence("buu-dien", day=TODAY + dt.timedelta(days=7))
    path = link(mine, "buu-dien")
    with site.client() as client:
        # whatever the form names, the token's occurrence and unit are used
        got = send(client, path, link="https://a.vn/1", unit="viettel-post", occurrence=str(theirs),
                   occurrence_id=str(next_week))
        assert got.status_code == 303
        # a genuine token for buu-dien naming viettel-post's occurrence opens nothing
        crossed = link(theirs, "buu-dien")
        assert client.get(crossed).status_code == 404
        assert client.post(crossed, data={"csrf_token": csrf(client, path), "link": "https://a.vn/2"}).status_code == 404
        # nor does a token naming a unit that holds nothing here, or an occurrence that does not exist
        assert client.get(link(mine, "so-tttt")).status_code == 404
        assert client.get(link(999_999, "buu-dien")).status_code == 404
    assert [(i.link, i.unit) for i in site.evidence(mine)] == [("https://a.vn/1", "buu-dien")]
    assert site.evidence(theirs) == [] and site.evidence(next_week) == []


def test_a_settled_duty_is_read_only_30_days_on(site):
    occurrence = site.occurrence("buu-dien")
    site.ledger.record_evidence("bao-cao-tuan", "buu-dien", EvidenceInput(kind="link", link="https://a.vn/x"),
                                occurrence_id=occurrence, now=NOW)
    path = link(occurrence, "buu-dien")
    with site.client(NOW + dt.timedelta(days=20)) as client:
        assert 'name="link"' in client.get(path).text  # still open within 30 days
    with site.client(NOW + dt.timedelta(days=40)) as client:
        page = client.get(path)
        assert page.status_code == 200 and "hoàn thành đúng hạn" in page.text and "https://a.vn/x" in page.text
        assert "<form" not in page.text and "không còn nhận báo cáo" in page.text
        # a form kept open from before is refused too (the session's token comes from another page)
        token = csrf(client, link(site.occurrence("viettel-post"), "viettel-post"))
        refused = client.post(path, data={"csrf_token": token, "link": "https://a.vn/y"})
        assert refused.status_code == 409
    assert len(site.evidence(occurrence)) == 1


def test_an_excused_duty_shows_its_reason(site):
    occurrence = site.occurrence("buu-dien")
    site.ledger.excuse(occurrence, "Bão số 3", now=NOW)
    with site.client() as client:
        page = client.get(link(occurrence, "buu-dien")).text
    assert "<strong class=\"status status-excused\">miễn</strong> (Bão số 3)" in page


# ---------------------------------------------------------------- attacks


def test_a_post_without_this_sessions_csrf_token_is_refused(site):
    occurrence = site.occurrence("buu-dien")
    path = link(occurrence, "buu-dien")
    with site.client() as client:
        assert client.post(path, data={"link": "https://a.vn/x"}).status_code == 403
        assert client.post(path, data={"link": "https://a.vn/x", "csrf_token": "forged"}).status_code == 403
        with site.client() as other:  # a token from another session (another browser)
            stolen = csrf(other, path)
        refused = client.post(path, data={"link": "https://a.vn/x", "csrf_token": stolen})
        assert refused.status_code == 403 and "Biểu mẫu đã hết hạn hoặc không được gửi từ trang này." in refused.text
    assert site.evidence(occurrence) == []


def test_stored_script_in_a_unit_name_a_plan_title_and_a_note_is_shown_as_text(site):
    occurrence = site.occurrence("buu-dien")
    path = link(occurrence, "buu-dien")
    with site.client() as client:
        send(client, path, link="https://a.vn/x", note="<script>alert(3)</script>", name="<img src=x onerror=alert(4)>")
        page = client.get(path).text
    assert "Bưu điện &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Kế hoạch &lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in page and "&lt;img src=x onerror=alert(4)&gt;" in page
    assert "<script" not in page and "<img" not in page


def test_sql_metacharacters_in_the_fields_are_stored_as_typed(site):
    occurrence = site.occurrence("buu-dien")
    path = link(occurrence, "buu-dien")
    tricky = "x' OR '1'='1'; DROP TABLE evidence; --"
    with site.client() as client:
        assert send(client, path, link="https://a.vn/?id=1'%20OR%20'1'='1", note=tricky, name='Robert"); --').status_code == 303
        assert send(client, path, document=tricky + " %_\\").status_code == 303
        page = client.get(path)
    assert page.status_code == 200
    items = site.evidence(occurrence)
    assert [(i.kind, i.value, i.note, i.recorded_by) for i in items] == [
        ("link", "https://a.vn?id=1'%20OR%20'1'='1", tricky, 'Robert"); --'),
        ("document", tricky + " %_\\", None, "link:buu-dien")]  # no name typed: the link's holder
    assert len(site.ledger.statuses(as_of=NOW, include_scheduled=True)) > 2  # the tables are all there


def test_a_crash_logs_no_token_and_shows_no_traceback(site, monkeypatch, caplog):
    occurrence = site.occurrence("buu-dien")
    path = link(occurrence, "buu-dien")

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(Ledger, "report_view", broken)
    with caplog.at_level(logging.DEBUG), site.client() as client:
        got = client.get(path)
    assert got.status_code == 500 and "Traceback" not in got.text and "boom" not in got.text
    token = path.rsplit("/", 1)[1]
    # what the server logged (httpx, the test's own client, logs the address it asked for)
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records if not r.name.startswith("httpx"))
    assert "boom" in logged and "/bao-cao/…" in logged
    assert token not in logged and token.split(".")[1] not in logged


def test_an_unreachable_ledger_is_a_503_page(plans):
    folder, _catalog = plans
    app = create_app(Settings(database_url=UNREACHABLE, link_secret=SECRET), plans=[folder], clock=lambda: NOW)
    with TestClient(app, raise_server_exceptions=False) as client:
        got = client.get(link(1, "buu-dien"))
    assert got.status_code == 503 and "nobody" not in got.text and "Traceback" not in got.text


def test_a_revoked_link_says_so_and_records_nothing_while_a_newer_link_works(site):
    occurrence = site.occurrence("buu-dien")
    old = link(occurrence, "buu-dien", issued=NOW - dt.timedelta(days=2))
    with site.client() as client:
        token = csrf(client, old)  # the clerk had the page open when the coordinator revoked it
        site.ledger.revoke_link(occurrence_id=occurrence, now=NOW - dt.timedelta(hours=1))
        got = client.get(old)
        assert got.status_code == 410 and "Đường dẫn đã bị thu hồi" in got.text and "<form" not in got.text
        refused = client.post(old, data={"csrf_token": token, "link": "https://baothanhhoa.vn/tin/1"})
        assert refused.status_code == 410 and site.evidence(occurrence) == []
        # a reminder sent after the revocation carries a new link, which works
        assert client.get(link(occurrence, "buu-dien", issued=NOW)).status_code == 200


def test_received_in_progress_is_recorded_once_and_shown(site):
    occurrence = site.occurrence("buu-dien")
    path = link(occurrence, "buu-dien")
    with site.client() as client:
        page = client.get(path).text
        assert "Đã tiếp nhận, đang thực hiện</button>" in page and f'action="{path}/da-nhan"' in page
        refused = client.post(f"{path}/da-nhan", data={"name": "Lê Thị C"})  # no CSRF token
        assert refused.status_code == 403 and site.ledger.acknowledgements_of([occurrence])[occurrence] == []
        token = csrf(client, path)
        taps = [client.post(f"{path}/da-nhan", data={"csrf_token": token, "name": "Lê Thị C"}) for _tap in range(2)]
        assert [(t.status_code, t.headers["location"]) for t in taps] == [(303, f"{path}?gui=da-nhan")] * 2  # a second tap changes nothing
        shown = client.get(taps[-1].headers["location"]).text
        assert "Đã ghi nhận: quý đơn vị đã tiếp nhận nhiệm vụ và đang thực hiện." in shown
        assert "Đã tiếp nhận, đang thực hiện · " in shown and "Lê Thị C" in shown and "</button>" in shown  # the report form stays
    [ack] = site.ledger.acknowledgements_of([occurrence])[occurrence]
    assert (ack.unit_id, ack.by_name, ack.at) == ("buu-dien", "Lê Thị C", NOW)
    # another unit's token cannot acknowledge this occurrence
    other = link(occurrence, "viettel-post")
    with site.client() as client:
        assert client.get(other).status_code == 404


def test_a_database_refusal_shows_the_clerk_no_database_words_and_records_nothing(site, caplog):
    """A constraint the database enforces (here a trigger that refuses every new item) is logged for
    the operator with the database's words; the clerk reads one Vietnamese sentence, not where the
    database lives, and keeps the form."""
    occurrence = site.occurrence("buu-dien")
    path = link(occurrence, "buu-dien")
    with site.ledger.transaction() as connection:
        if site.url.startswith("sqlite"):
            connection.exec_driver_sql("CREATE TRIGGER refuse_evidence BEFORE INSERT ON evidence "
                                       "BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END")
        else:
            connection.exec_driver_sql("CREATE FUNCTION refuse_evidence() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                                       "RAISE EXCEPTION 'refused by a test trigger' USING ERRCODE = 'check_violation'; END $$")
            connection.exec_driver_sql("CREATE TRIGGER refuse_evidence BEFORE INSERT ON evidence "
                                       "FOR EACH ROW EXECUTE FUNCTION refuse_evidence()")
    with caplog.at_level(logging.ERROR, logger="commplan.web"), site.client() as client:
        refused = send(client, path, link="https://a.vn/bai-bi-tu-choi")
    assert refused.status_code == 503
    assert "Chưa ghi nhận được lúc này. Vui lòng thử lại sau ít phút." in refused.text
    assert 'value="https://a.vn/bai-bi-tu-choi"' in refused.text  # the form kept
    for leak in ("refused by a test trigger", "127.0.0.1", "sqlite", "PostgreSQL", "từ chối thay đổi"):
        assert leak not in refused.text
    assert "refused by a test trigger" in caplog.text
    assert site.evidence(occurrence) == []
