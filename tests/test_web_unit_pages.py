"""The coordinator's pages of a unit (/don-vi), an occurrence (/ky, with excuse, un-excuse, extend and
withdraw) and the undelivered reminders (/nhac-viec), through the real app on SQLite and PostgreSQL:
what they show, the actions and their audit, the roles, CSRF, a missing reason, two provinces (the
other's units, occurrences and evidence are "not found"), stored XSS and javascript:/data: links."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlmodel import col
from test_web_auth import csrf
from two_provinces import MINISTRY, PROVINCE_A, PROVINCE_B, add_users, plan_file, synced, web_app, weekly_report
from two_provinces import signed_in as log_in_as

from commplan.ledger import EvidenceInput, Ledger
from commplan.ledger import tables as t
from commplan.ledger.outbox import NewDelivery

VN = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2022, 3, 20, 9, 0, tzinfo=VN)  # a Sunday: reports due 10/03 and 17/03 are past
EARLIER = NOW - dt.timedelta(hours=1)


def plan(ident: str, title: str, issuer: str, coordinator: str, lead: str, extra: str = "") -> str:
    report = weekly_report(lead, 'quote: "Hằng tuần, gửi báo cáo về Sở trước 14 giờ thứ Năm."', "evidence: link")
    return plan_file(ident, issuer, coordinator, report + extra, title=title)


SHARED = """\
  - id: hop-bao
    title: Họp báo chung
    kind: meeting
    evidence: document
    lead: ubnd-cac-xa
    shared: true
    every: month
    from: 2022-03-01
    until: 2022-03-31
"""


class Site:
    def __init__(self, url: str, ledger: Ledger, folder, catalog):
        self.url, self.ledger, self.folder, self.catalog = url, ledger, folder, catalog

    def client(self) -> TestClient:
        return TestClient(web_app(self.url, self.folder, NOW), raise_server_exceptions=False, follow_redirects=False)

    def occurrence(self, unit: str, due: str, plan: str = "ke-hoach-a") -> int:
        return next(r.id for r in self.ledger.statuses(as_of=NOW, units=[unit], plans=[plan], include_scheduled=True)
                    if r.unit == unit and f"{r.due:%d/%m}" == due)

    def status(self, occurrence: int):
        return next(r for r in self.ledger.statuses(as_of=NOW, include_scheduled=True) if r.id == occurrence)

    def record(self, unit: str, occurrence: int, link: str, note: str | None = None, plan: str = "ke-hoach-a") -> int:
        result = self.ledger.record_evidence(f"{plan}/bao-cao-tuan", unit, EvidenceInput(kind="link", link=link, note=note),
                                             occurrence_id=occurrence, on=dt.date(2022, 3, 9), actor="Nguyễn Thị Lan",
                                             now=EARLIER)
        assert result.evidence_id is not None
        return result.evidence_id

    def audit(self, action: str) -> list[tuple[str | None, str, dict]]:
        with self.ledger.transaction() as connection:
            rows = connection.execute(select(col(t.AuditRow.actor), col(t.AuditRow.subject), col(t.AuditRow.details))
                                      .where(col(t.AuditRow.action) == action).order_by(col(t.AuditRow.id))).all()
        return [(actor, subject, json.loads(details)) for actor, subject, details in rows]


@pytest.fixture
def site(ledger_url, ledger, tmp_path) -> Site:
    catalog = synced(ledger, tmp_path, {
        "a.units.yaml": PROVINCE_A, "b.units.yaml": PROVINCE_B, "c.units.yaml": MINISTRY,
        "plan-a.yaml": plan("ke-hoach-a", "Kế hoạch <script>alert(2)</script>", "ubnd-tinh", "so-tttt",
                            "[buu-dien, ubnd-xa-a]", SHARED),
        "plan-b.yaml": plan("ke-hoach-b", "Kế hoạch Láng Giềng", "bo-tttt", "so-tttt-lg", "buu-dien-lg")}, NOW)
    add_users(ledger, {"so-tttt": ("coordinator", "so-tttt"), "xem": ("viewer", "so-tttt"),
                       "so-lg": ("coordinator", "so-tttt-lg"), "bo": ("coordinator", "bo-tttt"),
                       "quan-tri": ("admin", None)})
    return Site(ledger_url, ledger, tmp_path, catalog)


def signed_in(site: Site, login: str = "so-tttt") -> TestClient:
    return log_in_as(site.client(), login)


@pytest.fixture
def coordinator(site):
    browser = signed_in(site)
    yield browser
    browser.__exit__(None, None, None)


def post(browser: TestClient, path: str, page: str, **fields: str):
    return browser.post(path, data={"csrf_token": csrf(browser, page), **fields})


# ---------------------------------------------------------------- what the pages show


def test_a_units_page_shows_its_counts_occurrences_and_acknowledgements(site, coordinator):
    first, second = site.occurrence("buu-dien", "10/03"), site.occurrence("buu-dien", "17/03")
    site.record("buu-dien", first, "https://baohaugiang.vn/tin-1.html")
    site.ledger.acknowledge(second, "buu-dien", "Trần <b>Bình</b>", now=EARLIER)
    page = coordinator.get("/don-vi/buu-dien")
    assert page.status_code == 200, page.text
    text = page.text
    assert "<h1>Bưu điện &lt;script&gt;alert(1)&lt;/script&gt;</h1>" in text and "<script>" not in text
    # the buckets: 10/03 done on time, 17/03 overdue; the coming weeks are not counted yet
    assert re.search(r'count-done-on-time"><span class="count-number status-done-on-time">1<', text)
    assert re.search(r'count-overdue"><span class="count-number status-overdue">1<', text)
    assert re.search(r'count-open"><span class="count-number status-open">0<', text)
    # the last 90 days and the next 30: every week of the plan, in Vietnam time, linked to its page
    for due in ("10/03", "17/03", "24/03", "31/03"):
        assert f'href="/ky/{site.occurrence("buu-dien", due)}"' in text
        assert f"14:00 {due}/2022" in text
    assert "1/1" in text and "quá hạn, chưa hoàn thành" in text
    assert f'href="/ky/{site.occurrence("ubnd-xa-a", "10/03")}"' not in text  # another unit's duty
    assert "Trần &lt;b&gt;Bình&lt;/b&gt;" in text and "<b>Bình" not in text  # the acknowledgement, escaped
    assert 'class="table-scroll"' in text


def test_a_units_page_takes_a_range_and_says_what_is_wrong_with_a_bad_date(site, coordinator):
    page = coordinator.get("/don-vi/buu-dien", params={"tu": "2022-03-15", "den": "18/03/2022"})
    assert page.status_code == 200
    assert f'href="/ky/{site.occurrence("buu-dien", "17/03")}"' in page.text
    assert f'href="/ky/{site.occurrence("buu-dien", "10/03")}"' not in page.text
    assert f'href="/ky/{site.occurrence("buu-dien", "24/03")}"' not in page.text
    for bad in ({"tu": "' OR 1=1 --"}, {"den": "31/02/2022"}, {"tu": "2022-03-20", "den": "2022-03-01"}):
        refused = coordinator.get("/don-vi/buu-dien", params=bad)
        assert refused.status_code == 422 and 'role="alert"' in refused.text, bad
        assert "OR 1=1" not in refused.text.split('role="alert"')[1].split("</p>")[0]


def test_a_groups_page_shows_its_shared_duty(site, coordinator):
    page = coordinator.get("/don-vi/ubnd-cac-xa")
    assert page.status_code == 200 and "<h1>UBND các xã</h1>" in page.text
    assert "Họp báo chung" in page.text


def test_an_occurrences_page_shows_the_duty_its_evidence_and_its_acknowledgements(site, coordinator):
    occurrence = site.occurrence("buu-dien", "10/03")
    kept = site.record("buu-dien", occurrence, "https://baohaugiang.vn/tin-1.html", note="Bài <script>alert(3)</script>")
    gone = site.record("buu-dien", occurrence, "https://baohaugiang.vn/nham.html")
    site.ledger.withdraw_evidence(gone, "Nhập <i>nhầm</i> kỳ", actor="Lê Văn C", now=EARLIER + dt.timedelta(minutes=5))
    site.ledger.acknowledge(occurrence, "buu-dien", "Trần Bình", now=EARLIER)
    page = coordinator.get(f"/ky/{occurrence}")
    assert page.status_code == 200
    text = page.text
    assert "<h1>Báo cáo tuần</h1>" in text and "7/KH-UBND" in text
    assert "Kế hoạch &lt;script&gt;alert(2)&lt;/script&gt;" in text and "<script>" not in text
    assert "Hằng tuần, gửi báo cáo về Sở trước 14 giờ thứ Năm." in text
    assert "07/03/2022 – 13/03/2022" in text and "14:00 10/03/2022" in text
    assert "hoàn thành đúng hạn" in text and "1/1" in text
    assert '<a href="https://baohaugiang.vn/tin-1.html" rel="noopener noreferrer nofollow">' in text
    assert "Bài &lt;script&gt;alert(3)&lt;/script&gt;" in text
    struck = text.split('class="withdrawn-item"')[1].split("</li>")[0]
    assert "baohaugiang.vn/nham.html" in struck and 'class="struck"' in struck
    assert "Nhập &lt;i&gt;nhầm&lt;/i&gt; kỳ" in struck and "Lê Văn C" in struck
    assert f'action="/ky/{occurrence}/rut/{kept}"' in text and f'action="/ky/{occurrence}/rut/{gone}"' not in text
    assert "Trần Bình" in text


def test_javascript_and_data_links_never_become_links(site, coordinator):
    occurrence = site.occurrence("buu-dien", "10/03")
    evil = [site.record("buu-dien", occurrence, f"https://a.vn/{n}") for n in range(2)]
    with site.ledger.transaction() as connection:  # as a row written before the ledger checked links would be
        for evidence_id, link in zip(evil, ("javascript:alert(document.cookie)", "data:text/html,<script>alert(4)</script>"),
                                     strict=True):
            connection.execute(update(t.EvidenceRow).where(col(t.EvidenceRow.id) == evidence_id).values(link=link))
    text = coordinator.get(f"/ky/{occurrence}").text
    assert "javascript:alert(document.cookie)" in text  # shown as text
    assert 'href="javascript:' not in text and 'href="data:' not in text
    assert "<script>alert(4)" not in text


# ---------------------------------------------------------------- the actions


def test_excusing_and_withdrawing_the_excusal_are_audited_with_the_users_actor(site, coordinator):
    occurrence = site.occurrence("buu-dien", "17/03")
    done = post(coordinator, f"/ky/{occurrence}/mien", f"/ky/{occurrence}", reason="Bão số 3")
    assert done.status_code == 303 and done.headers["location"] == f"/ky/{occurrence}?xong=mien"
    assert site.status(occurrence).status.value == "excused"
    page = coordinator.get(done.headers["location"]).text
    assert "Đã miễn nhiệm vụ kỳ này." in page and "Bão số 3" in page and f'action="/ky/{occurrence}/bo-mien"' in page
    undone = post(coordinator, f"/ky/{occurrence}/bo-mien", f"/ky/{occurrence}", reason="Miễn nhầm")
    assert undone.status_code == 303 and undone.headers["location"] == f"/ky/{occurrence}?xong=bo-mien"
    assert site.status(occurrence).status.value == "overdue"
    assert "Các lần miễn đã bỏ" in coordinator.get(f"/ky/{occurrence}").text
    assert site.audit("excuse") == [("web:so-tttt", f"occurrence/{occurrence}", {"reason": "Bão số 3"})]
    assert site.audit("unexcuse") == [("web:so-tttt", f"occurrence/{occurrence}", {"reason": "Bão số 3", "note": "Miễn nhầm"})]


def test_extending_the_deadline_to_a_day_or_a_time(site, coordinator):
    occurrence = site.occurrence("buu-dien", "17/03")
    done = post(coordinator, f"/ky/{occurrence}/gia-han", f"/ky/{occurrence}", date="2022-03-25", reason="Mất điện")
    assert done.status_code == 303 and done.headers["location"] == f"/ky/{occurrence}?xong=gia-han"
    row = site.status(occurrence)
    assert row.due == dt.datetime(2022, 3, 25, 23, 59, 59, tzinfo=VN) and row.status.value == "open"
    later = post(coordinator, f"/ky/{occurrence}/gia-han", f"/ky/{occurrence}", date="28/03/2022", time="17:00",
                 reason="Thêm thời gian")
    assert later.status_code == 303
    assert site.status(occurrence).due == dt.datetime(2022, 3, 28, 17, 0, tzinfo=VN)
    page = coordinator.get(later.headers["location"]).text
    assert "Đã gia hạn." in page and "Mất điện" in page and "từ 14:00 17/03/2022 đến 23:59 25/03/2022" in page
    audited = site.audit("extend")
    assert [(a, s, d["reason"]) for a, s, d in audited] == [
        ("web:so-tttt", f"occurrence/{occurrence}", "Mất điện"), ("web:so-tttt", f"occurrence/{occurrence}", "Thêm thời gian")]
    earlier = post(coordinator, f"/ky/{occurrence}/gia-han", f"/ky/{occurrence}", date="2022-03-01", reason="Sớm hơn")
    assert earlier.status_code == 422 and "gia hạn" in earlier.text.lower()  # the ledger's word: only later
    assert site.status(occurrence).due == dt.datetime(2022, 3, 28, 17, 0, tzinfo=VN)


def test_withdrawing_evidence_keeps_it_struck_through_and_audited(site, coordinator):
    occurrence = site.occurrence("buu-dien", "10/03")
    item = site.record("buu-dien", occurrence, "https://baohaugiang.vn/nham.html")
    done = post(coordinator, f"/ky/{occurrence}/rut/{item}", f"/ky/{occurrence}", reason="Sai đường dẫn")
    assert done.status_code == 303 and done.headers["location"] == f"/ky/{occurrence}?xong=rut"
    [kept] = site.ledger.evidence(occurrence_id=occurrence)
    assert kept.withdrawn and kept.withdrawn_by == "web:so-tttt" and kept.withdraw_reason == "Sai đường dẫn"
    assert site.status(occurrence).status.value == "overdue"
    page = coordinator.get(done.headers["location"]).text
    assert "Đã thu hồi minh chứng" in page and "web:so-tttt" in page and 'class="withdrawn-item"' in page
    [(actor, subject, details)] = site.audit("withdraw")
    assert (actor, subject, details["evidence"], details["reason"]) == ("web:so-tttt", f"occurrence/{occurrence}", item,
                                                                        "Sai đường dẫn")


@pytest.mark.parametrize(("action", "fields", "message"), [
    ("mien", {}, "Hãy ghi lý do miễn."),
    ("gia-han", {"date": "2022-03-25", "time": "16:30"}, "Hãy ghi lý do gia hạn."),
    ("gia-han", {"reason": "Bão"}, "Hãy chọn ngày của thời hạn mới."),
    ("gia-han", {"reason": "Bão", "date": "ngày mai"}, "Hãy viết ngày theo dạng dd/mm/yyyy"),
    ("rut", {"reason": "   "}, "Hãy ghi lý do thu hồi minh chứng."),
])
def test_a_missing_reason_is_said_on_the_page_the_form_kept_and_nothing_changed(site, coordinator, action, fields,
                                                                                 message):
    occurrence = site.occurrence("buu-dien", "10/03")
    item = site.record("buu-dien", occurrence, "https://baohaugiang.vn/tin-1.html")
    before = site.status(occurrence)
    path = f"/ky/{occurrence}/rut/{item}" if action == "rut" else f"/ky/{occurrence}/{action}"
    refused = post(coordinator, path, f"/ky/{occurrence}", **fields)
    assert refused.status_code == 422 and message in refused.text
    for value in fields.values():
        if value.strip():
            assert f'value="{value}"' in refused.text  # what was typed is still in the form
    assert site.status(occurrence) == before
    assert not site.ledger.evidence(occurrence_id=occurrence)[0].withdrawn
    assert site.audit("excuse") == site.audit("extend") == site.audit("withdraw") == []


def test_a_viewer_reads_without_forms_and_each_change_is_refused(site):
    occurrence = site.occurrence("buu-dien", "10/03")
    item = site.record("buu-dien", occurrence, "https://baohaugiang.vn/tin-1.html")
    browser = signed_in(site, "xem")
    try:
        page = browser.get(f"/ky/{occurrence}")
        assert page.status_code == 200 and "Báo cáo tuần" in page.text
        assert f"/ky/{occurrence}/" not in page.text  # no action form
        token = csrf(browser, f"/ky/{occurrence}")  # the logout form's: a valid token of this session
        for path, fields in ((f"/ky/{occurrence}/mien", {"reason": "x"}), (f"/ky/{occurrence}/bo-mien", {"reason": "x"}),
                             (f"/ky/{occurrence}/gia-han", {"reason": "x", "date": "2022-04-30"}),
                             (f"/ky/{occurrence}/rut/{item}", {"reason": "x"})):
            refused = browser.post(path, data={"csrf_token": token, **fields})
            assert refused.status_code == 403, path
    finally:
        browser.__exit__(None, None, None)
    assert site.status(occurrence).status.value == "done-on-time"
    assert site.audit("excuse") == site.audit("extend") == site.audit("withdraw") == []


def test_an_action_without_the_forms_csrf_token_is_refused(site, coordinator):
    occurrence = site.occurrence("buu-dien", "17/03")
    for path, fields in ((f"/ky/{occurrence}/mien", {"reason": "Bão"}),
                         (f"/ky/{occurrence}/gia-han", {"reason": "Bão", "date": "2022-04-30"})):
        assert coordinator.post(path, data=fields).status_code == 403
        assert coordinator.post(path, data={"csrf_token": "forged", **fields}).status_code == 403
    assert site.status(occurrence).status.value == "overdue" and site.audit("excuse") == []


def test_an_action_needs_a_login(site):
    occurrence = site.occurrence("buu-dien", "17/03")
    with site.client() as anonymous:
        sent = anonymous.post(f"/ky/{occurrence}/mien", data={"reason": "Bão"})
    assert sent.status_code in (303, 403) and site.status(occurrence).status.value == "overdue"


def test_evidence_of_another_occurrence_is_not_found_through_this_one(site, coordinator):
    occurrence, other = site.occurrence("buu-dien", "10/03"), site.occurrence("ubnd-xa-a", "10/03")
    foreign = site.record("ubnd-xa-a", other, "https://ubnd-xa-a.vn/tin.html")
    refused = post(coordinator, f"/ky/{occurrence}/rut/{foreign}", f"/ky/{occurrence}", reason="Thử")
    assert refused.status_code == 404
    assert not site.ledger.evidence(occurrence_id=other)[0].withdrawn
    assert post(coordinator, f"/ky/{occurrence}/rut/999999", f"/ky/{occurrence}", reason="Thử").status_code == 404


# ---------------------------------------------------------------- two provinces


def test_another_provinces_unit_occurrence_and_evidence_are_not_found(site, coordinator):
    theirs = site.occurrence("buu-dien-lg", "10/03", plan="ke-hoach-b")
    item = site.record("buu-dien-lg", theirs, "https://baolanggieng.vn/tin.html", plan="ke-hoach-b")
    unknown = coordinator.get("/don-vi/khong-co-don-vi-nay")
    assert unknown.status_code == 404
    for path in ("/don-vi/buu-dien-lg", "/don-vi/so-tttt-lg", f"/ky/{theirs}"):
        page = coordinator.get(path)
        assert page.status_code == 404, path
        assert "Không tìm thấy trang" in page.text and "Láng Giềng" not in page.text
    assert coordinator.get("/ky/999999").status_code == 404
    for path in (f"/ky/{theirs}/rut/{item}", f"/ky/{theirs}/mien", f"/ky/{theirs}/bo-mien"):
        assert post(coordinator, path, "/tai-khoan", reason="Thử").status_code == 404, path
    assert post(coordinator, f"/ky/{theirs}/gia-han", "/tai-khoan", reason="Thử", date="2022-04-30").status_code == 404
    assert not site.ledger.evidence(occurrence_id=theirs)[0].withdrawn
    assert site.status(theirs).status.value == "done-on-time" and site.audit("extend") == []
    # their own coordinator sees them, and not ours; an admin sees both
    browser = signed_in(site, "so-lg")
    try:
        assert browser.get(f"/ky/{theirs}").status_code == 200
        assert browser.get("/don-vi/buu-dien-lg").status_code == 200
        assert browser.get("/don-vi/buu-dien").status_code == 404
        assert browser.get(f"/ky/{site.occurrence('ubnd-cac-xa', '31/03')}").status_code == 404  # our shared duty
    finally:
        browser.__exit__(None, None, None)
    admin = signed_in(site, "quan-tri")
    try:
        assert admin.get(f"/ky/{theirs}").status_code == admin.get("/don-vi/buu-dien").status_code == 200
    finally:
        admin.__exit__(None, None, None)


def test_a_ministry_sees_the_rows_of_the_plans_it_issues_only(site):
    theirs, ours = site.occurrence("buu-dien-lg", "10/03", plan="ke-hoach-b"), site.occurrence("buu-dien", "10/03")
    browser = signed_in(site, "bo")
    try:
        unit = browser.get("/don-vi/buu-dien-lg")
        assert unit.status_code == 200 and f'href="/ky/{theirs}"' in unit.text
        assert browser.get(f"/ky/{theirs}").status_code == 200
        assert browser.get("/don-vi/buu-dien").status_code == browser.get(f"/ky/{ours}").status_code == 404
        assert browser.get("/nhac-viec").status_code == 200
    finally:
        browser.__exit__(None, None, None)


# ---------------------------------------------------------------- undelivered reminders


def failed_delivery(site: Site, recipient: str, error: str, status: str = "failed") -> int:
    """A reminder to `recipient` that the sender gave up on (`status` failed or unknown), through the outbox."""
    site.ledger.queue_reminders(site.catalog, as_of=NOW, now=NOW)

    def compose(steps):
        mine = [s["id"] for s in steps if s["recipient"] == recipient][:1]
        assert mine, f"no reminder step for {recipient}"
        return [NewDelivery(recipient=recipient, channel="email", address=f"{recipient}@example.gov.vn", subject="Nhắc việc",
                            body_text="x", body_html="x", body_sms="x", reminder_ids=tuple(mine))], set(mine), set()

    site.ledger.plan_deliveries(compose, now=NOW)
    [claimed] = [c for c in site.ledger.claim_deliveries("thu", now=NOW, channels=["email"]) if c.recipient == recipient]
    assert site.ledger.touch_delivery(claimed.id, "thu")
    assert site.ledger.confirm_delivery(claimed.id, "thu", outcome=status, error=error, now=NOW)
    return claimed.id


def test_undelivered_reminders_of_the_province_only_with_the_error_escaped(site, set_now):
    set_now(NOW)  # the outbox writes only at the clock's instant
    failed_delivery(site, "buu-dien", "550 <script>alert(5)</script> mailbox unavailable")
    failed_delivery(site, "buu-dien-lg", "Láng Giềng: 550 no such user", status="unknown")
    browser = signed_in(site)
    try:
        page = browser.get("/nhac-viec")
    finally:
        browser.__exit__(None, None, None)
    assert page.status_code == 200
    assert "550 &lt;script&gt;alert(5)&lt;/script&gt; mailbox unavailable" in page.text and "<script>" not in page.text
    assert 'href="/don-vi/buu-dien"' in page.text and "Email" in page.text and "gửi lỗi" in page.text
    assert "09:00 20/03/2022" in page.text
    assert "Láng Giềng" not in page.text and "buu-dien-lg" not in page.text
    admin = signed_in(site, "quan-tri")
    try:
        everything = admin.get("/nhac-viec").text
    finally:
        admin.__exit__(None, None, None)
    assert "Láng Giềng: 550 no such user" in everything and "không rõ" in everything
    # newest first: the second one ended last
    assert everything.index("Láng Giềng: 550") < everything.index("mailbox unavailable")


def test_nothing_undelivered_reads_as_such(site, coordinator):
    page = coordinator.get("/nhac-viec")
    assert page.status_code == 200 and "Mọi nhắc việc đều đã được gửi đến" in page.text
