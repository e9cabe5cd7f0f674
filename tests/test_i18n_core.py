"""What the core (ledger, renderers, statuses, settings, tick, reports) says to people: Vietnamese by
default, English with COMMPLAN_LANG=en; machine interfaces and what agencies receive stay as they were."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from commplan import clock
from commplan.calendar import wording
from commplan.ledger import LedgerError
from commplan.ledger.evidence import EvidenceItem, normal_link
from commplan.ledger.status import SummaryRow
from commplan.render import evidence as render_evidence
from commplan.render import ledger as render_ledger
from commplan.render import occurrences as render_occurrences
from commplan.render import outbox as render_outbox
from commplan.render import preview as render_preview
from commplan.settings import weak_secret
from commplan.status import VIETNAMESE, Status
from commplan.tick import TickReport, changes_markdown

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def lang(monkeypatch):
    """Set the reader's language; unset means the default (Vietnamese)."""
    def use(code: str | None) -> None:
        if code is None:
            monkeypatch.delenv("COMMPLAN_LANG", raising=False)
        else:
            monkeypatch.setenv("COMMPLAN_LANG", code)
    use(None)
    return use


def test_a_ledger_error_in_vietnamese_by_default_and_english_on_request(ledger, lang):
    with pytest.raises(LedgerError) as vi:
        ledger.statuses(units=["nobody"])
    lang("en")
    with pytest.raises(LedgerError) as en:
        ledger.statuses(units=["nobody"])
    assert (str(vi.value), str(en.value)) == ("không có đơn vị 'nobody'", "unknown unit 'nobody'")


def test_an_evidence_check_speaks_the_readers_language(lang):
    with pytest.raises(LedgerError, match=r"^đường dẫn 'ftp://a.vn' phải bắt đầu bằng http:// hoặc https://$"):
        normal_link("ftp://a.vn")
    lang("en")
    with pytest.raises(LedgerError, match=r"^the link 'ftp://a.vn' must start with http:// or https://$"):
        normal_link("ftp://a.vn")


def test_status_labels_follow_the_language_but_the_values_and_the_calendar_stay(lang):
    assert [s.label for s in Status] == ["chưa đến kỳ", "đang thực hiện, trong hạn", "hoàn thành đúng hạn",
                                        "hoàn thành quá hạn", "quá hạn, chưa hoàn thành", "miễn",
                                        "ngoài thời gian theo dõi"]
    lang("en")
    assert [s.label for s in Status] == ["scheduled", "open, within the deadline", "done on time", "done late",
                                        "overdue, not done", "excused", "untracked"]
    assert Status.OVERDUE.heading == "Overdue" and Status.OVERDUE.value == "overdue"
    # what agencies receive (calendar files) and the documented table stay Vietnamese
    assert VIETNAMESE["overdue"] == "quá hạn, chưa hoàn thành" == Status.OVERDUE.vietnamese
    assert wording.STATE_LABELS["overdue"] == "quá hạn, chưa hoàn thành"


def _summary_rows() -> list[SummaryRow]:
    counts = dict.fromkeys(Status, 0)
    counts[Status.OVERDUE] = 2
    return [SummaryRow(key="so-tttt", name="Sở TT&TT", counts=counts)]


def test_the_summary_headers_are_vietnamese_by_default_and_english_on_request(lang):
    vi = render_ledger.summary_table("Theo đơn vị", _summary_rows()).splitlines()
    assert vi[1].split() == ["Tên", "Đúng", "hạn", "Quá", "hạn", "(đã", "xong)", "Trong", "hạn", "Quá", "hạn", "Miễn",
                             "Ngoài", "theo", "dõi", "Tổng"]
    assert vi[3].startswith("Sở TT&TT") and vi[4].startswith("Cộng")
    assert render_ledger.BUCKET_HEADERS[-1] == "Tổng"
    lang("en")
    en = render_ledger.summary_table("By unit", _summary_rows()).splitlines()
    assert en[1].split() == ["Name", "On", "time", "Late", "(done)", "Open", "Overdue", "Excused", "Untracked", "Total"]
    assert en[4].startswith("Sum") and render_ledger.BUCKET_HEADERS[-1] == "Total"
    assert render_ledger.statuses_table([], {}) == "No duties.\n"
    # the machine CSV keeps its English keys whatever the language
    assert render_ledger.summary_csv([], _summary_rows()).splitlines()[0] == (
        "group,id,name,scheduled,open,done-on-time,done-late,overdue,excused,untracked")


def test_outbox_states_have_a_label_in_both_languages(lang):
    rows = [{"id": 7, "recipient": "so-tttt", "channel": "email", "address": "a@b.vn", "status": "sent",
             "attempts": 1, "last_error": None, "subject": "Nhắc việc"},
            {"id": 6, "recipient": "so-tttt", "channel": "sms", "address": "0912", "status": "unknown",
             "attempts": 1, "last_error": None, "subject": "Nhắc việc"}]
    table = render_outbox.outbox_table(rows, {"so-tttt": "Sở TT&TT"}).splitlines()
    assert table[0].split() == ["#", "Đơn", "vị", "Kênh", "Địa", "chỉ", "Trạng", "thái", "Lần", "Ghi", "chú"]
    assert "đã gửi" in table[2] and "chưa rõ kết quả" in table[3]
    assert render_outbox.outbox_table([], {}) == "Hộp thư đi trống.\n"
    assert render_outbox.outbox_table([], {}, failed_only=True) == "Không có tin nhắn lỗi.\n"
    lang("en")
    assert [render_outbox.state_label(s) for s in ("pending", "sent", "failed", "unknown", "cancelled")] == [
        "waiting to be sent", "sent", "failed", "outcome unknown", "cancelled"]
    assert render_outbox.outbox_table(rows, {})[:40].split()[:4] == ["#", "Unit", "Channel", "Address"]


def test_every_outbox_state_the_ledger_writes_has_a_vietnamese_label():
    import re
    from pathlib import Path

    import commplan.ledger.outbox as outbox

    written = set(re.findall(r'status="([a-z-]+)"', Path(outbox.__file__).read_text(encoding="utf-8")))
    assert written and written <= set(render_outbox.STATES)
    assert all(render_outbox.state_label(s) != s for s in written)  # each one translated


def _item(**changes) -> EvidenceItem:
    at = dt.datetime(2021, 11, 2, 15, 30, tzinfo=VN)
    base = dict(id=3, occurrence_id=12, plan="kh", obligation="tin-bai", title="Tin bài", unit="so-tttt",
                window_start=dt.date(2021, 11, 1), window_end=dt.date(2021, 11, 30), kind="link",
                link="https://a.vn/x", document=None, quantity=1, note=None, source="manual", occurred_at=at,
                recorded_at=at, recorded_by="Trần B")
    return EvidenceItem(**{**base, **changes})


def test_the_evidence_listing_in_both_languages(lang):
    withdrawn = _item(id=4, withdrawn_at=dt.datetime(2021, 11, 12, 9, 0, tzinfo=VN), withdrawn_by="Lê C",
                      withdraw_reason="Nhập nhầm kỳ")
    vi = render_evidence.evidence_table([_item(), withdrawn], {})
    assert vi.splitlines()[0].split()[:3] == ["#", "Ngày", "Đơn"]
    assert "đường dẫn" in vi and "nhập tay" in vi and "còn hiệu lực" in vi
    assert "đã thu hồi 12/11/2021 09:00 (Lê C): Nhập nhầm kỳ" in vi
    assert vi.endswith("\n2 minh chứng, 1 đã thu hồi.\n")
    assert render_evidence.spoken(_item().occurred_at) == "lúc 15:30 ngày 02/11/2021"
    assert render_evidence.KINDS["document"] == "văn bản"
    lang("en")
    en = render_evidence.evidence_table([_item(), withdrawn], {})
    assert "typed in" in en and "in force" in en and "withdrawn 12/11/2021 09:00 (Lê C): Nhập nhầm kỳ" in en
    assert en.endswith("\n2 items of evidence, 1 withdrawn.\n")
    assert render_evidence.evidence_table([_item()], {}).endswith("\n1 item of evidence.\n")
    assert render_evidence.spoken(_item().occurred_at) == "at 15:30 on 02/11/2021"
    assert json.loads(render_evidence.evidence_json([_item()]))[0]["kind"] == "link"  # JSON: stable values


def test_deadlines_weekdays_and_the_preview_in_both_languages(lang):
    due = dt.datetime(2026, 2, 19, 14, 0, tzinfo=VN)
    assert render_occurrences.vietnamese_deadline(due) == "Thứ Năm 19/02/2026 14:00"
    assert render_preview.headline(due, 0, replay=False) == (
        "Chạy thử 14:00 ngày 19/02/2026: không ghi, không gửi gì; không có tin nào để gửi.")
    assert render_preview.QUIET_NOTE.startswith("Ngoài khung giờ gửi")
    lang("en")
    assert render_occurrences.vietnamese_deadline(due) == "Thursday 19/02/2026 14:00"
    assert render_preview.headline(due, 2, replay=True) == (
        "Replay of 14:00 on 19/02/2026 (simulated): no reminder is sent; would send 2 messages:")
    assert render_preview.QUIET_NOTE.startswith("Outside sending hours")


def test_a_weak_secret_and_a_bad_commplan_now_are_explained_in_the_readers_language(lang):
    assert weak_secret("changeme") == "ngắn hơn 32 byte"
    with pytest.raises(clock.ClockError, match=r"^COMMPLAN_NOW='x' không phải thời điểm ISO"):
        clock.parse("x")
    lang("en")
    assert weak_secret("changeme") == "is shorter than 32 bytes"
    with pytest.raises(clock.ClockError, match=r"^COMMPLAN_NOW='x' is not an ISO instant"):
        clock.parse("x")


def test_the_tick_report_shows_each_deadline_in_its_plans_timezone(lang):
    tokyo = ZoneInfo("Asia/Tokyo")
    as_of = dt.datetime(2022, 3, 10, 16, 0, tzinfo=VN)
    change = {"id": 1, "plan": "kh", "obligation": "bc", "unit": "u", "name": "Sở TT&TT", "title": "Báo cáo tuần",
              "due": dt.datetime(2022, 3, 10, 14, 0, tzinfo=tokyo), "before": "open", "after": "overdue"}
    report = TickReport(as_of=as_of, since=as_of - dt.timedelta(hours=8), changes=[change])
    vi = changes_markdown(report)
    assert vi.startswith("# Thay đổi từ 08:00 10/03/2022 đến 16:00 10/03/2022\n")
    # 14:00 in Tokyo, as the plan says; not 12:00 Vietnam time
    assert ("- **Sở TT&TT**: Báo cáo tuần (hạn 14:00 10/03/2022): đang thực hiện, trong hạn → "
            "**quá hạn, chưa hoàn thành**") in vi
    lang("en")
    en = changes_markdown(report)
    assert en.startswith("# Changes from 08:00 10/03/2022 to 16:00 10/03/2022\n")
    assert "(due 14:00 10/03/2022): open, within the deadline → **overdue, not done**" in en


def test_the_compliance_files_follow_the_language(tmp_path, lang):
    """The workbook's sheets and headings, the CSV's headings and the mail's title: Vietnamese by default,
    English with COMMPLAN_LANG=en."""
    import csv

    from openpyxl import load_workbook

    from commplan.ledger.compliance import ComplianceRow
    from commplan.reports.compliance_files import csv_bytes, write_xlsx
    from commplan.reports.compliance_report import build
    from commplan.reports.scheduled_compliance import mail_title

    due = dt.datetime(2021, 11, 25, 14, 0, tzinfo=VN)
    rows = [ComplianceRow(1, "bao-cao-thang", "Báo cáo tháng", "report", None, "so", due, 1, 0, Status.OVERDUE)]
    report = build(rows, plan="kh", number="241/KH-UBND", title="Kế hoạch", start=dt.date(2021, 11, 1),
                   end=dt.date(2021, 11, 30), as_of=dt.datetime(2021, 12, 1, 9, 0, tzinfo=VN), names={"so": "Sở"})
    book = load_workbook(write_xlsx(report, tmp_path / "vi.xlsx"))
    assert book.sheetnames[:2] == ["Tổng hợp theo nhiệm vụ", "Theo đơn vị"]
    assert [c.value for c in book["Theo đơn vị"][4]][:4] == ["Mã đơn vị", "Đơn vị", "Phải thực hiện", "Hoàn thành đúng hạn"]
    assert next(csv.reader(csv_bytes(report).decode("utf-8-sig").splitlines()))[:2] == ["Mã nhiệm vụ", "Nhiệm vụ"]
    assert mail_title(report, "monthly") == "Báo cáo tình hình thực hiện 241/KH-UBND, tháng 11/2021"
    lang("en")
    book = load_workbook(write_xlsx(report, tmp_path / "en.xlsx"))
    assert book.sheetnames[:2] == ["Summary by duty", "By unit"]
    assert [c.value for c in book["By unit"][4]][:4] == ["Unit code", "Unit", "Owed", "Done on time"]
    assert next(csv.reader(csv_bytes(report).decode("utf-8-sig").splitlines()))[:2] == ["Duty code", "Duty"]
    assert mail_title(report, "monthly") == "Compliance report of 241/KH-UBND, month 11/2021"


def test_sunday_and_the_occurrences_an_event_undo_touched_use_the_glossarys_words(lang):
    """GLOSSARY.md: weekdays "thứ Hai" … "Chủ nhật" (as the calendar files write it); an occurrence is a
    "kỳ thực hiện", an obligation a "nhiệm vụ": an undo removes occurrences, never obligations."""
    from commplan.cli.sync import _event_lines
    from commplan.ledger.events import EventChange

    sunday = dt.datetime(2026, 2, 22, 23, 59, tzinfo=VN)
    assert render_occurrences.vietnamese_deadline(sunday) == "Chủ nhật 22/02/2026"
    undo = EventChange(plan="p", event="e", day=dt.date(2024, 5, 6), repeats=False, undo=True, removed=2, kept=(7,))
    assert _event_lines(undo)[1:] == [
        "Đã xóa 2 kỳ thực hiện chưa có minh chứng, chưa được miễn, chưa được nhắc.",
        ("Giữ lại 1 kỳ thực hiện đã có minh chứng, được miễn hoặc đã được nhắc (đánh dấu mồ côi, minh chứng không bao "
         "giờ bị xóa): #7."),
    ]
    lang("en")
    assert render_occurrences.vietnamese_deadline(sunday) == "Sunday 22/02/2026"
    assert _event_lines(undo)[1] == "Removed 2 occurrences without evidence, excusal or reminder."
