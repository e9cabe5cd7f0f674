"""Zalo replies through the real web app, on SQLite and PostgreSQL: signed events posted to `/zalo/webhook`
as Zalo posts them (tests/zalo_fake.py writes and signs them), the OA's answers read back from the loopback
Zalo, the reminders sent through it first by the real notifier.

A commune (xã A) owes three weekly duties: a news item on digital transformation (a link, keyword "chuyển đổi
số"), the weekly report (a document, shared with xã B) and broadcasts (a count, twice a week). Its culture
officer's Zalo id is in the directory; its clerk has only an email and links her Zalo account by the code
of the report page. Now is Tuesday 10/03/2026, 10:00: last week's duties (due 05/03 and 06/03) are overdue,
this week's open."""

from __future__ import annotations

import datetime as dt
import json
import re
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from test_calendar_feeds import SECRET
from two_provinces import plan_file, synced, web_app
from zalo_fake import ZaloFake

from commplan import links
from commplan.ledger import EvidenceInput, Ledger
from commplan.notify.addresses import contact_key
from commplan.notify.notifier import Notifier
from commplan.notify.zalo import ZaloOAChannel
from commplan.plan.model import Contact

pytestmark = pytest.mark.server  # the loopback Zalo

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=VN)
OFFICER, CLERK_ZALO, XA_B, STRANGER = "8400000002", "8400000009", "8400000003", "8400000077"
CLERK = Contact(name="Văn thư xã A", email="vanthu@xa-a.gov.vn")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200 + b"\xff\xd9"

UNITS = """\
commplan: 1
province: thu-nghiem
units:
  - id: ubnd-tinh
    name: UBND tỉnh Thử Nghiệm
  - id: so-tttt
    name: Sở Thông tin và Truyền thông tỉnh Thử Nghiệm
    parent: ubnd-tinh
  - id: ubnd-xa-a
    name: UBND xã A
    parent: ubnd-tinh
    contacts:
      - {name: Cán bộ văn hóa xã A, zalo: "8400000002"}
      - {name: Văn thư xã A, email: vanthu@xa-a.gov.vn}
  - id: ubnd-xa-b
    name: UBND xã B
    parent: ubnd-tinh
    contacts:
      - {name: Văn thư xã B, zalo: "8400000003"}
"""


def weekly(ident: str, title: str, lead: str, due: str, *lines: str) -> str:
    extra = "".join(f"    {line}\n" for line in lines)
    return (f"  - id: {ident}\n    title: {title}\n{extra}    lead: {lead}\n    every: week\n    from: 2026-03-02\n"
            f"    until: 2026-06-28\n    due: {{weekday: {due}, time: \"17:00\"}}\n")


PLAN = plan_file("ke-hoach-cds", "ubnd-tinh", "so-tttt", "".join([
    weekly("tin-cds", "Đăng tin về chuyển đổi số", "ubnd-xa-a", "fri", "kind: publish", "evidence: link",
           "match: [chuyển đổi số]"),
    weekly("bao-cao-tuan", "Báo cáo tuần", "[ubnd-xa-a, ubnd-xa-b]", "thu", "kind: report", "evidence: document"),
    weekly("phat-thanh", "Phát thanh tuyên truyền", "ubnd-xa-a", "fri", "kind: broadcast", "evidence: count",
           "at_least: 2"),
]), number="12/KH-UBND", effective="2026-01-01")


class Site:
    def __init__(self, ledger: Ledger, zalo: ZaloFake, client: TestClient, catalog):
        self.ledger, self.zalo, self.client, self.catalog = ledger, zalo, client, catalog

    def post(self, name: str, user: str, **event) -> int:
        body, headers = self.zalo.event(name, user, timestamp=event.pop("at", NOW).timestamp(), **event)
        return self.client.post("/zalo/webhook", content=body, headers=headers).status_code

    def replies(self, user: str) -> list[str]:
        return [m["text"] for m in self.zalo.oa_messages if m["user_id"] == user]

    def evidence(self, unit: str = "ubnd-xa-a") -> list:
        return [e for e in self.ledger.evidence(units=[unit]) if not e.withdrawn]

    def occurrence(self, obligation: str, day: dt.date, unit: str = "ubnd-xa-a"):
        [found] = [s for s in self.ledger.statuses(as_of=NOW, units=[unit], include_scheduled=True)
                   if s.obligation == obligation and s.window_start <= day <= s.window_end]
        return found

    def remind(self, clock_at) -> None:
        """Queue the steps due by now and send them through the loopback OA, as the tick does."""
        self.ledger.queue_reminders(self.catalog, as_of=clock_at("2026-03-10T10:00"), now=NOW)
        channels = {"zalo": ZaloOAChannel(self.zalo.tokens(), self.zalo.base)}
        assert Notifier(self.ledger, self.catalog, channels).run(NOW).sent >= 1


@pytest.fixture
def site(ledger_url, ledger, tmp_path):
    catalog = synced(ledger, tmp_path, {"units.yaml": UNITS, "plan.yaml": PLAN}, NOW)
    with ZaloFake(followers={OFFICER, CLERK_ZALO, XA_B, STRANGER}) as zalo:
        app = web_app(ledger_url, tmp_path, NOW, zalo_app_id=zalo.app_id, zalo_oa_secret_key=zalo.oa_secret_key,
                      zalo_access_token=zalo.access_token, zalo_api_base=zalo.base, zalo_oa_id=zalo.oa_id,
                      feeds_allow_private_hosts=True)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield Site(ledger, zalo, client, catalog)


def nothing_recorded(site: Site) -> None:
    assert site.evidence() == [] and site.evidence("ubnd-xa-b") == []
    assert site.ledger.triage_items(open_only=False) == []
    assert site.zalo.oa_messages == []


# ---------------------------------------------------------------- the signature

def test_a_signed_link_reply_to_a_reminder_records_it_and_the_oa_answers(site, clock_at):
    site.remind(clock_at)
    reminded = len(site.zalo.oa_messages)
    assert site.replies(OFFICER)  # the reminder went by the OA
    assert site.post("user_send_link", OFFICER, text="Xã A đã đăng tin chuyển đổi số", attachments=[
        {"type": "link", "payload": {"url": "https://xa-a.thunghiem.gov.vn/tin/cds-1", "description": "Chuyển đổi số"}}
    ]) == 200
    [item] = site.evidence()
    last_week = site.occurrence("tin-cds", dt.date(2026, 3, 3))
    assert (item.source, item.kind, item.link, item.occurrence_id) == ("zalo", "link",
                                                                      "https://xa-a.thunghiem.gov.vn/tin/cds-1", last_week.id)
    reason = json.loads(item.match_reason)
    assert reason["keywords"] == ["chuyển đổi số"] and isinstance(reason["reply_to_delivery"], int)
    assert site.occurrence("tin-cds", dt.date(2026, 3, 3)).status == "done-late"
    assert len(site.zalo.oa_messages) == reminded + 1
    assert site.replies(OFFICER)[-1] == "Đã ghi nhận: Đăng tin về chuyển đổi số — hoàn thành muộn 4 ngày"


def test_a_keyword_reply_without_a_reminder_goes_to_the_period_of_its_date_on_time(site):
    assert site.post("user_send_text", OFFICER, text="Bài chuyển đổi số: https://xa-a.thunghiem.gov.vn/tin/cds-2") == 200
    [item] = site.evidence()
    assert item.occurrence_id == site.occurrence("tin-cds", NOW.date()).id
    assert site.replies(OFFICER) == ["Đã ghi nhận: Đăng tin về chuyển đổi số — hoàn thành đúng hạn"]


@pytest.mark.parametrize("headers", [
    {"Content-Type": "application/json"},  # unsigned
    {"Content-Type": "application/json", "X-ZEvent-Signature": "mac=" + "0" * 64},  # badly signed
])
def test_unsigned_and_badly_signed_events_are_refused_and_nothing_recorded(site, headers):
    body, _signed = site.zalo.event("user_send_text", OFFICER, text="chuyển đổi số https://a.vn/x",
                                    timestamp=NOW.timestamp())
    assert site.client.post("/zalo/webhook", content=body, headers=headers).status_code == 401
    nothing_recorded(site)


def test_an_event_signed_with_another_key_is_refused(site):
    body, headers = site.zalo.event("user_send_text", OFFICER, text="chuyển đổi số https://a.vn/x",
                                    timestamp=NOW.timestamp(), secret="not-the-oa-secret")
    assert site.client.post("/zalo/webhook", content=body, headers=headers).status_code == 401
    nothing_recorded(site)


def test_a_stale_event_is_refused_and_nothing_recorded(site):
    assert site.post("user_send_text", OFFICER, text="chuyển đổi số https://a.vn/x",
                     at=NOW - dt.timedelta(hours=2)) == 401
    nothing_recorded(site)


def test_an_event_delivered_twice_records_once_and_answers_once(site):
    body, headers = site.zalo.event("user_send_text", OFFICER, text="chuyển đổi số https://a.vn/bai",
                                    timestamp=NOW.timestamp(), msg_id="zalo-msg-42")
    first = site.client.post("/zalo/webhook", content=body, headers=headers)
    again = site.client.post("/zalo/webhook", content=body, headers=headers)  # Zalo's retry, or a replay
    assert (first.status_code, first.text, again.status_code, again.text) == (200, "ok", 200, "duplicate")
    assert len(site.evidence()) == 1 and len(site.replies(OFFICER)) == 1
    assert site.ledger.inbound_outcome("zalo", "zalo-msg-42")[0] == "recorded"


def test_without_the_oa_secret_key_the_webhook_does_not_exist(ledger_url, ledger, tmp_path):
    synced(ledger, tmp_path, {"units.yaml": UNITS, "plan.yaml": PLAN}, NOW)
    with ZaloFake() as zalo, TestClient(web_app(ledger_url, tmp_path, NOW, zalo_app_id=zalo.app_id)) as client:
        body, headers = zalo.event("user_send_text", OFFICER, text="x", timestamp=NOW.timestamp())
        assert client.post("/zalo/webhook", content=body, headers=headers).status_code == 404


# ---------------------------------------------------------------- followers

def clerk_code(day: dt.date | None = None) -> str:
    return links.follow_code(SECRET, "ubnd-xa-a", contact_key(CLERK), issued=day or NOW.date())


def test_the_report_page_offers_the_clerks_code(site):
    [occurrence] = [s.id for s in [site.occurrence("tin-cds", NOW.date())]]
    page = site.client.get(f"/bao-cao/{links.report_token(SECRET, occurrence, 'ubnd-xa-a', issued=NOW)}")
    assert page.status_code == 200 and "Nhận nhắc việc qua Zalo" in page.text
    assert clerk_code() in page.text and f"https://zalo.me/{site.zalo.oa_id}" in page.text
    assert "Cán bộ văn hóa xã A:" not in page.text  # the officer has a Zalo id already


def test_a_follower_sending_the_clerks_code_is_linked_and_gets_her_reminders(site, clock_at):
    assert site.post("follow", CLERK_ZALO) == 200
    assert "gửi mã" in site.replies(CLERK_ZALO)[0]  # asked for the code
    assert site.post("user_send_text", CLERK_ZALO, text=f"Mã: {clerk_code()}") == 200
    assert site.replies(CLERK_ZALO)[-1] == "Đã liên kết: nhắc việc của UBND xã A sẽ gửi tới tài khoản Zalo này."
    linked = site.ledger.zalo_follower(CLERK_ZALO)
    assert linked is not None and (linked.unit, linked.contact_key) == ("ubnd-xa-a", contact_key(CLERK))
    before = len(site.replies(CLERK_ZALO))
    site.remind(clock_at)
    assert len(site.replies(CLERK_ZALO)) == before + 1  # the reminder came by the OA, to the linked account
    assert "UBND xã A" in site.replies(CLERK_ZALO)[-1]


def test_an_unfollow_stops_the_reminders_there(site, clock_at):
    site.post("user_send_text", CLERK_ZALO, text=clerk_code())
    assert site.post("unfollow", CLERK_ZALO) == 200
    before = len(site.replies(CLERK_ZALO))
    site.remind(clock_at)
    assert len(site.replies(CLERK_ZALO)) == before
    assert site.ledger.following_zalo() == {}


@pytest.mark.parametrize("forge", [
    lambda code: code.replace("ubnd-xa-a", "ubnd-xa-b"),
    lambda code: code[:-2] + ("AA" if not code.endswith("AA") else "BB"),
    lambda code: clerk_code(NOW.date() - dt.timedelta(days=31)),  # genuine, but too old
])
def test_a_forged_or_expired_code_links_nothing(site, forge):
    assert site.post("user_send_text", STRANGER, text=forge(clerk_code())) == 200
    assert site.ledger.zalo_follower(STRANGER) is None
    assert site.replies(STRANGER) == ["Mã này không hợp lệ: hãy sao chép lại mã trên trang báo cáo của đơn vị."]
    assert site.evidence() == [] and site.ledger.triage_items(open_only=False) == []


def test_a_linked_clerk_is_recognised_as_the_unit(site):
    site.post("user_send_text", CLERK_ZALO, text=clerk_code())
    site.post("user_send_text", CLERK_ZALO, text="Tin chuyển đổi số tuần này https://xa-a.thunghiem.gov.vn/tin/3")
    [item] = site.evidence()
    assert item.unit == "ubnd-xa-a" and item.recorded_by == f"zalo:{CLERK_ZALO}"


# ---------------------------------------------------------------- what a reply records

def test_a_file_reply_is_downloaded_and_stored_as_the_reports_document(site):
    url = site.zalo.file_url("bao-cao-tuan.pdf", PDF)
    assert site.post("user_send_file", XA_B, attachments=[
        {"type": "file", "payload": {"url": url, "name": "Báo cáo tuần 10.pdf", "size": str(len(PDF))}}]) == 200
    [item] = site.evidence("ubnd-xa-b")
    assert (item.kind, item.document, item.source) == ("document", "Báo cáo tuần 10.pdf", "zalo")
    assert site.ledger.document_content(item.document_sha256) == PDF
    assert item.occurrence_id == site.occurrence("bao-cao-tuan", NOW.date(), "ubnd-xa-b").id
    assert site.replies(XA_B) == ["Đã ghi nhận: Báo cáo tuần — hoàn thành đúng hạn"]


def test_an_image_reply_is_stored_as_a_document(site):
    url = site.zalo.file_url("anh.jpg", JPEG)
    site.post("user_send_image", XA_B, text="Báo cáo tuần", attachments=[{"type": "image", "payload": {"url": url}}])
    [item] = site.evidence("ubnd-xa-b")
    assert item.kind == "document" and site.ledger.document_content(item.document_sha256) == JPEG


def test_a_file_over_the_cap_is_not_stored_and_the_sender_is_told(site):
    url = site.zalo.file_url("big.pdf", PDF + b"0" * 1_100_000)
    site.client.app.state.settings = site.client.app.state.settings.model_copy(update={"upload_max_mb": 1})
    site.post("user_send_file", XA_B, attachments=[{"type": "file", "payload": {"url": url, "name": "big.pdf"}}])
    assert site.evidence("ubnd-xa-b") == []
    assert site.replies(XA_B) == ["Không nhận được tệp: vui lòng gửi lại."]


def test_a_broadcast_count_is_recorded_only_for_the_count_duty(site):
    site.post("user_send_text", OFFICER, text="Đã phát 2 lần trên loa truyền thanh")
    [item] = site.evidence()
    assert (item.kind, item.quantity, item.obligation) == ("count", 2, "phat-thanh")
    assert item.occurrence_id == site.occurrence("phat-thanh", NOW.date()).id
    assert site.replies(OFFICER) == ["Đã ghi nhận: Phát thanh tuyên truyền — hoàn thành đúng hạn"]


def test_a_count_for_a_unit_with_no_count_duty_records_nothing(site):
    site.post("user_send_text", XA_B, text="đã đăng 3 bài")
    assert site.evidence("ubnd-xa-b") == [] and site.ledger.triage_items(open_only=False) == []
    assert site.replies(XA_B) == [("Hãy gửi đường dẫn tới bài đã đăng (số lần chỉ được ghi nhận cho nhiệm vụ tính "
                                  "theo số lần).")]


# ---------------------------------------------------------------- ambiguity, unknown senders, failures

def test_an_ambiguous_link_is_asked_about_then_the_number_assigns_it(site):
    site.post("user_send_link", OFFICER, attachments=[{"type": "link", "payload": {"url": "https://xa-a.vn/tin/9"}}])
    assert site.evidence() == []
    [item] = site.ledger.triage_items(units=["ubnd-xa-a"])
    assert item.why == "ambiguous" and item.sender == OFFICER and item.link == "https://xa-a.vn/tin/9"
    question = site.replies(OFFICER)[-1].splitlines()
    assert question[0] == "Minh chứng này cho nhiệm vụ nào? Trả lời bằng số thứ tự:"
    offered = [site.ledger.occurrence(i, as_of=NOW) for i in item.candidates]
    assert question[1:] == [f"{n}. {o.title} (hạn {o.due:%d/%m/%Y})" for n, o in enumerate(offered, 1)]
    assert re.match(r"2\. ", question[2])
    site.post("user_send_text", OFFICER, text="2")
    [recorded] = site.evidence()
    assert (recorded.occurrence_id, recorded.source, recorded.link) == (item.candidates[1], "zalo", "https://xa-a.vn/tin/9")
    assert site.ledger.triage_item(item.id).outcome == "assigned"
    assert site.replies(OFFICER)[-1].startswith(f"Đã ghi nhận: {offered[1].title} — ")


def test_an_unknown_sender_goes_to_triage_never_to_the_ledger(site):
    site.post("user_send_link", STRANGER, text="chuyển đổi số", attachments=[
        {"type": "link", "payload": {"url": "https://mao-danh.vn/tin"}}])
    assert site.evidence() == []
    [item] = site.ledger.triage_items(units=[], include_unowned=True)
    assert (item.why, item.unit_id, item.sender, item.link) == ("unknown-sender", None, STRANGER, "https://mao-danh.vn/tin")
    assert "chưa được liên kết" in site.replies(STRANGER)[0]


def test_a_link_from_a_unit_with_one_open_duty_goes_to_it(site):
    """xã B owes only the weekly report: a link to it needs no keyword and no reminder."""
    site.post("user_send_link", XA_B, attachments=[{"type": "link", "payload": {"url": "https://xa-b.vn/bao-cao"}}])
    [item] = site.evidence("ubnd-xa-b")
    assert item.occurrence_id == site.occurrence("bao-cao-tuan", NOW.date(), "ubnd-xa-b").id


def test_counts_add_up_to_the_duty(site):
    site.post("user_send_text", OFFICER, text="Đã phát 1 lần")
    assert site.replies(OFFICER) == ["Đã ghi nhận: Phát thanh tuyên truyền — đã có 1/2"]
    site.post("user_send_text", OFFICER, text="Đã phát thêm 1 lần nữa")
    assert site.occurrence("phat-thanh", NOW.date()).status == "done-on-time"


def test_no_open_duty_sends_the_item_to_triage(site):
    for day in (dt.date(2026, 3, 3), NOW.date()):  # every count duty of xã A is done
        occurrence = site.occurrence("phat-thanh", day)
        site.ledger.record_evidence("ke-hoach-cds/phat-thanh", "ubnd-xa-a", EvidenceInput(kind="count", quantity=2),
                                    occurrence_id=occurrence.id, now=NOW)
    site.post("user_send_text", OFFICER, text="đã phát 2 lần")
    [item] = site.ledger.triage_items(units=["ubnd-xa-a"])
    assert (item.why, item.kind, item.quantity) == ("no-open-duty", "count", 2)
    assert site.replies(OFFICER) == [("Chưa có nhiệm vụ đang thực hiện phù hợp với tin nhắn này: đơn vị đầu mối theo dõi "
                                     "sẽ xem xét.")]


def test_a_reply_the_oa_cannot_send_does_not_lose_the_evidence(site):
    site.zalo.fail_next(1, path="/v3.0/oa/message/cs", error=-32)  # rate limited
    body, headers = site.zalo.event("user_send_text", OFFICER, text="chuyển đổi số https://a.vn/bai-x",
                                    timestamp=NOW.timestamp(), msg_id="zalo-msg-7")
    assert site.client.post("/zalo/webhook", content=body, headers=headers).status_code == 200
    assert len(site.evidence()) == 1 and site.replies(OFFICER) == []
    outcome, detail = site.ledger.inbound_outcome("zalo", "zalo-msg-7")
    assert outcome == "reply-failed" and detail.startswith("recorded: ")


def test_erasing_a_zalo_id_unlinks_the_follower(site):
    from commplan.ledger.personal import Identity, erase_contact

    site.post("user_send_text", CLERK_ZALO, text=clerk_code())
    assert site.ledger.zalo_follower(CLERK_ZALO) is not None
    _alias, counts = erase_contact(site.ledger, Identity("zalo", CLERK_ZALO, ("zalo",)), reason="yêu cầu xóa",
                                   actor="admin", now=NOW)
    assert counts["followers"] == 1 and site.ledger.zalo_follower(CLERK_ZALO) is None
    assert site.ledger.following_zalo() == {}


def test_the_first_reminder_email_offers_the_zalo_code_and_the_next_does_not(site, clock_at, tmp_path):
    from test_outbox import Recording, lines

    out = tmp_path / "mail.jsonl"
    site.ledger.queue_reminders(site.catalog, as_of=clock_at("2026-03-10T10:00"), now=NOW)
    notifier = Notifier(site.ledger, site.catalog, {"email": Recording("email", out)},
                        zalo_offer=(SECRET, f"https://zalo.me/{site.zalo.oa_id}"))
    notifier.run(NOW)
    [first] = [m for m in lines(out) if m["to"] == CLERK.email]
    assert "Nhận nhắc việc qua Zalo" in first["text"] and f"https://zalo.me/{site.zalo.oa_id}" in first["text"]
    code = links.find_follow_code(first["text"])
    assert code is not None and links.read_follow_code(SECRET, code, today=NOW.date()) == (
        "ubnd-xa-a", links.contact_ref(contact_key(CLERK)))
    later = dt.datetime(2026, 3, 12, 18, 0, tzinfo=VN)  # Thursday: this week's report is due
    site.ledger.queue_reminders(site.catalog, as_of=clock_at("2026-03-12T18:00"), now=later)
    notifier.run(later)
    [*_, second] = [m for m in lines(out) if m["to"] == CLERK.email]
    assert second["delivery"] != first["delivery"] and "Nhận nhắc việc qua Zalo" not in second["text"]


def test_a_file_address_inside_the_network_is_not_fetched(site):
    """The download goes through the feeds' address guard: an event naming an internal address (a
    forged one would not be signed, but Zalo's own could be redirected) stores nothing."""
    site.client.app.state.settings = site.client.app.state.settings.model_copy(update={"feeds_allow_private_hosts": False})
    url = site.zalo.file_url("bao-cao.pdf", PDF)  # on 127.0.0.1
    site.post("user_send_file", XA_B, msg_id="zalo-msg-ssrf", attachments=[
        {"type": "file", "payload": {"url": url, "name": "bao-cao.pdf"}}])
    assert site.evidence("ubnd-xa-b") == [] and not site.zalo.requests_for_files
    assert site.ledger.inbound_outcome("zalo", "zalo-msg-ssrf")[0] == "download-failed"
    assert site.replies(XA_B) == ["Không nhận được tệp: vui lòng gửi lại."]


def test_a_number_from_another_unit_assigns_nothing_of_this_one(site):
    site.post("user_send_link", OFFICER, attachments=[{"type": "link", "payload": {"url": "https://xa-a.vn/tin/9"}}])
    [waiting] = site.ledger.triage_items(units=["ubnd-xa-a"])
    site.post("user_send_text", XA_B, text="1")  # xã B's officer has no question open
    assert site.ledger.triage_item(waiting.id).open and site.evidence() == [] and site.evidence("ubnd-xa-b") == []


def test_an_unknown_senders_file_is_not_downloaded(site):
    url = site.zalo.file_url("la.pdf", PDF)
    site.post("user_send_file", STRANGER, attachments=[{"type": "file", "payload": {"url": url, "name": "la.pdf"}}])
    [item] = site.ledger.triage_items(units=[], include_unowned=True)
    assert (item.why, item.link, item.document_sha256) == ("unknown-sender", url, None)
    assert site.zalo.requests_for_files == [] and site.evidence() == []


def test_a_file_of_another_type_is_refused_and_the_sender_told_why(site):
    url = site.zalo.file_url("virus.exe", b"MZ\x90\x00" + b"\x00" * 100)
    site.post("user_send_file", XA_B, msg_id="zalo-msg-exe", attachments=[
        {"type": "file", "payload": {"url": url, "name": "bao-cao.exe"}}])
    assert site.evidence("ubnd-xa-b") == [] and site.ledger.inbound_outcome("zalo", "zalo-msg-exe")[0] == "file-refused"
    assert site.replies(XA_B)[0].startswith("Tệp chưa được ghi nhận: ") and "PDF" in site.replies(XA_B)[0]
