"""A report's recipient (`to:`) and the indicators it carries (`indicators:`), everywhere a unit reads
about the duty: its calendar events (per deadline, the recurring view, the email's .ics), its reminders
(Zalo and email list them; SMS says the recipient and how many), its report page and the coordinator's
occurrence page. On the seed plan 2980 (the weekly report to the ministry's Vụ QLDN) and a small plan
whose recipient merges into another unit mid-way and whose indicator name tries to run a script."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import PLANS, UNITS_YAML
from fastapi.testclient import TestClient
from icalendar import Calendar
from test_calendar_export import check_rfc5545
from test_calendar_feeds import SECRET
from test_outbox import Recording
from test_web_auth import PASSWORD, log_in

from commplan.calendar.export import Selection, export_calendar
from commplan.calendar.recurring import recurring_ics
from commplan.links import report_token
from commplan.notify.messages import SMS_LIMIT, TEXT_LIMIT, Item, render
from commplan.notify.notifier import Notifier
from commplan.plan import load_catalog
from commplan.settings import Settings
from commplan.web.app import create_app

VN = dt.timezone(dt.timedelta(hours=7))
SEED_PLANS = (PLANS / "units", PLANS / "bo-tttt")  # the 2980 plan and the directories its group spans
VU_QLDN = "Vụ Quản lý doanh nghiệp, Bộ TTTT"
SECTION_I = [
    "Số hộ được đào tạo, tập huấn về kỹ năng số và kỹ năng hoạt động trên không gian mạng (Hộ)",
    "Số hộ SXNN được đào tạo, tập huấn, hướng dẫn thực hiện quy trình đóng gói - kết nối - giao nhận (Hộ)",
    "Số hộ SXNN có tài khoản/gian hàng trên sàn (Hộ)",
    "Số hộ SXNN có tài khoản thanh toán điện tử (Hộ)",
]
SO_TTTT = "Sở Thông tin và Truyền thông tỉnh Thử Nghiệm"
SO_KHCN = "Sở Khoa học và Công nghệ tỉnh Thử Nghiệm"  # receives from 15/03/2025 (succeeded_by)
SCRIPT = "Số hộ có gian hàng <script>alert(3)</script>"
REPORT = """\
- id: bao-cao-tuan
  title: Báo cáo tuần
  kind: report
  evidence: document
  lead: [buu-dien]
  every: week
  from: 2025-03-03
  until: 2025-03-30
  due: {weekday: thu, time: "14:00"}
  to: so-tttt
  indicators: [ho-tren-san, ho-thanh-toan]
- id: tin-bai
  title: Tin bài trên Cổng
  kind: publish
  lead: [buu-dien]
  every: week
  from: 2025-03-03
  until: 2025-03-30
"""
INDICATORS = f"""\
- id: ho-tren-san
  name: "{SCRIPT}"
  measure: Hộ
  reported_by: [buu-dien]
- id: ho-thanh-toan
  name: Số hộ có tài khoản thanh toán điện tử
  measure: Hộ
  reported_by: [buu-dien]
"""


def at(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).replace(tzinfo=VN)


@pytest.fixture
def small(write_plan, tmp_path):
    """The small plan, its directory in a province (as a province's directory file says)."""
    write_plan(REPORT, indicators=INDICATORS)
    (tmp_path / "units.yaml").write_text(UNITS_YAML.replace("commplan: 1\n", "commplan: 1\nprovince: thu-nghiem\n", 1),
                                         encoding="utf-8")
    catalog, errors = load_catalog([tmp_path], strict=True)
    assert errors == []
    return tmp_path, catalog


@pytest.fixture(scope="module")
def seed():
    catalog, errors = load_catalog(list(SEED_PLANS))
    assert errors == []
    return catalog


def descriptions(data: bytes) -> dict[str, list[str]]:
    """Each VEVENT's DESCRIPTION lines, by its start (YYYY-MM-DD) and summary."""
    return {f"{e.decoded('DTSTART'):%Y-%m-%d} {e['SUMMARY']}": str(e["DESCRIPTION"]).split("\n")
            for e in Calendar.from_ical(data).walk("VEVENT")}


def carried(lines: list[str]) -> list[str]:
    """The lines from `Gửi đến` on, without the deadline and status lines between."""
    return [line for line in lines if line.startswith(("Gửi đến", "Các chỉ tiêu")) or line[:1].isdigit()]


# ---------------------------------------------------------------- calendar


def test_the_2980_weekly_event_says_it_goes_to_vu_qldn_and_lists_the_phu_luc_02_rows(ledger, seed):
    ledger.sync(seed, now=at("2021-12-01T08:00"), horizon=dt.date(2021, 12, 31))
    data, _ = export_calendar(ledger, seed, Selection(units=("so-tttt-thanh-hoa",), start=dt.date(2021, 12, 6),
                                                      end=dt.date(2021, 12, 12)), as_of=at("2021-12-06T09:00"))
    check_rfc5545(data)
    events = descriptions(data)
    weekly = next(lines for title, lines in events.items() if "Báo cáo tuần" in title)
    assert weekly[weekly.index("Đơn vị phối hợp: Vụ BC") + 1] == f"Gửi đến: {VU_QLDN}"
    listed = weekly[weekly.index("Các chỉ tiêu cần báo cáo:") + 1:]
    assert listed[:4] == [f"{n}. {name}" for n, name in enumerate(SECTION_I, 1)]
    assert listed[10] == "11. Số thị trường nước ngoài (quốc gia) đã tiêu thụ (Quốc gia)" and listed[11].startswith("Trích")
    meeting = next(lines for title, lines in events.items() if "Giao ban" in title)  # no `to:`, no indicators
    assert not carried(meeting)


def test_the_2980_recurring_view_says_the_same_once_for_the_series(seed):
    data, _ = recurring_ics(seed, Selection(units=("so-tttt-thanh-hoa",)), now=at("2021-12-01T08:00"))
    events = descriptions(data)
    weekly = next(lines for title, lines in events.items() if "Báo cáo tuần" in title)
    assert weekly[0].startswith("Kế hoạch: 2980/BTTTT-QLDN") and any(line.startswith("Số kỳ:") for line in weekly)
    assert f"Gửi đến: {VU_QLDN}" in weekly
    assert carried(weekly)[1:6] == ["Các chỉ tiêu cần báo cáo:", *(f"{n}. {name}" for n, name in enumerate(SECTION_I, 1))]


def test_a_recipient_merged_mid_way_is_named_per_deadline_and_in_the_series(ledger, small):
    _, catalog = small
    ledger.sync(catalog, now=at("2025-03-01T08:00"))
    data, _ = export_calendar(ledger, catalog, Selection(units=("buu-dien",)), as_of=at("2025-03-01T09:00"))
    check_rfc5545(data)
    events = descriptions(data)
    reports = {title[:10]: carried(lines) for title, lines in events.items() if "Báo cáo tuần" in title}
    assert {day: lines[0] for day, lines in reports.items()} == {
        "2025-03-06": f"Gửi đến: {SO_TTTT}", "2025-03-13": f"Gửi đến: {SO_TTTT}",
        "2025-03-20": f"Gửi đến: {SO_KHCN}", "2025-03-27": f"Gửi đến: {SO_KHCN}"}
    assert reports["2025-03-06"][1:] == ["Các chỉ tiêu cần báo cáo:", f"1. {SCRIPT} (Hộ)",
                                         "2. Số hộ có tài khoản thanh toán điện tử (Hộ)"]
    assert all(not carried(lines) for title, lines in events.items() if "Tin bài" in title)
    series, _ = recurring_ics(catalog, Selection(units=("buu-dien",)), now=at("2025-03-01T08:00"))
    weekly = next(lines for title, lines in descriptions(series).items() if "Báo cáo tuần" in title)
    assert f"Gửi đến: {SO_TTTT}; {SO_KHCN} (từ hạn 20/03/2025)" in weekly


# ---------------------------------------------------------------- reminders


def test_a_reminder_lists_the_indicators_by_zalo_and_email_and_counts_them_by_sms():
    item = Item("before-1d", "Báo cáo tuần", at("2025-03-06T14:00"), link="https://commplan.example.gov.vn/bao-cao/Ab1",
                to=SO_TTTT, to_short="Sở TTTT", indicators=(f"{SCRIPT} (Hộ)", "Số hộ có tài khoản thanh toán điện tử (Hộ)"))
    message = render("Bưu điện tỉnh", [item], now=at("2025-03-05T08:00"))
    assert message.text.splitlines() == [
        "Bưu điện tỉnh: sắp đến hạn.",
        "Báo cáo tuần (hạn 14:00 06/03/2025). Đã nộp 0/1.",
        f"Gửi đến: {SO_TTTT}.",
        "Các chỉ tiêu cần báo cáo (2):",
        f"1. {SCRIPT} (Hộ)",
        "2. Số hộ có tài khoản thanh toán điện tử (Hộ)",
        "Báo cáo hoàn thành: https://commplan.example.gov.vn/bao-cao/Ab1",
        "commplan – nhắc việc kế hoạch truyền thông",
    ]
    assert message.sms == ("Sap den han: Bao cao tuan - Han 14:00 06/03/2025 - Gui So TTTT; 2 chi tieu "
                           "https://commplan.example.gov.vn/bao-cao/Ab1")
    assert f"<br>Gửi đến: {SO_TTTT}" in message.html and "<script>" not in message.html
    assert "<li>Số hộ có gian hàng &lt;script&gt;alert(3)&lt;/script&gt; (Hộ)</li>" in message.html


def test_many_indicators_keep_sms_in_one_segment_and_zalo_within_2000_characters():
    many = tuple(f"Số hộ sản xuất nông nghiệp được đào tạo, tập huấn về kỹ năng số, chỉ tiêu số {n} (Hộ)" for n in range(60))
    link = "https://commplan.thanhhoa.gov.vn/bao-cao/" + "A" * 70
    item = Item("due", "Báo cáo tháng tình hình triển khai Kế hoạch 1034 (mẫu Phụ lục 03)", at("2021-12-24T14:00"),
                plan="2980/BTTTT-QLDN", link=link, to=VU_QLDN, to_short="Vụ QLDN, Bộ TTTT", indicators=many)
    message = render("Sở Thông tin và Truyền thông tỉnh Thanh Hóa", [item], now=at("2021-12-24T08:00"))
    # a report link as the app issues it (about 110 characters) gives way to the recipient and the count
    assert len(message.sms) <= SMS_LIMIT and message.sms.isascii() and "https://" not in message.sms
    assert message.sms == ("Den han hom nay: Bao cao thang tinh hinh trien khai Ke hoach 1034 (mau Phu luc 03) - Han "
                           "14:00 24/12/2021 - Gui Vu QLDN, Bo TTTT; 60 chi tieu")
    lines = message.text.splitlines()
    assert len(message.text) <= TEXT_LIMIT and lines[3] == "Các chỉ tiêu cần báo cáo (60):"
    listed = [line for line in lines[4:] if line[:1].isdigit()]
    assert 5 < len(listed) < 60 and f"… và {60 - len(listed)} chỉ tiêu khác." in lines
    assert lines[-2] == f"Báo cáo hoàn thành: {link}"  # the link outlives the list
    assert message.html.count("chỉ tiêu số") == 60  # the email lists every one
    # a short link fits beside them, the title cut to make room
    short = render("Sở", [Item("due", item.title, item.due, link="https://x.gov.vn/r/Ab1", to=VU_QLDN,
                               to_short="Vụ QLDN, Bộ TTTT", indicators=many)], now=at("2021-12-24T08:00")).sms
    assert len(short) <= SMS_LIMIT and short.startswith("Den han hom nay: Bao cao thang tinh hinh")
    assert short.endswith("... - Han 14:00 24/12/2021 - Gui Vu QLDN, Bo TTTT; 60 chi tieu https://x.gov.vn/r/Ab1")
    # a digest of long reports still fits Zalo, each item saying how many it carries
    digest = render("Sở", [Item("due", f"Báo cáo số {n}", item.due + dt.timedelta(days=n), to=VU_QLDN, indicators=many)
                           for n in range(30)], now=at("2021-12-24T08:00"))
    assert len(digest.text) <= TEXT_LIMIT and "   Số chỉ tiêu cần báo cáo: 60." in digest.text.splitlines()


def test_the_2980_reminders_carry_the_recipient_and_indicators_by_every_route(ledger, seed, tmp_path):
    ledger.sync(seed, now=at("2021-12-01T08:00"), horizon=dt.date(2021, 12, 31))
    out = tmp_path / "out.jsonl"
    channels = {"email": Recording("email", out), "zalo": Recording("zalo", out, quiet_hours=True),
                "sms": Recording("sms", out, quiet_hours=True)}
    preview = Notifier(ledger, seed, channels).preview(at("2021-12-08T10:00"))
    mine = {d.channel: d for d in preview.deliveries if d.recipient == "so-tttt-thanh-hoa"}
    assert set(mine) == {"email", "zalo", "sms"}
    zalo = mine["zalo"].body_text.splitlines()  # a digest: each report says where and how many
    weekly = next(i for i, line in enumerate(zalo) if "Báo cáo tuần" in line)
    assert zalo[weekly + 1:weekly + 3] == [f"   Gửi đến: {VU_QLDN}.", "   Số chỉ tiêu cần báo cáo: 11."]
    html = mine["email"].body_html
    assert f"Gửi đến: {VU_QLDN}" in html and "Các chỉ tiêu cần báo cáo (11):" in html
    assert all(f"<li>{name}</li>" in html for name in SECTION_I)
    ics = mine["email"].attachment
    assert ics is not None and "Gửi đến: Vụ Quản lý doanh nghiệp\\, Bộ TTTT" in ics.replace("\r\n ", "")
    assert len(mine["sms"].body_sms) <= SMS_LIMIT


# ---------------------------------------------------------------- pages


def client(url: str, folders: list[Path], now: dt.datetime) -> TestClient:
    app = create_app(Settings(database_url=url, link_secret=SECRET, public_url="http://127.0.0.1:8000"),
                     plans=folders, clock=lambda: now)
    return TestClient(app, raise_server_exceptions=False, follow_redirects=False)


def occurrence(ledger, unit: str, obligation: str, due: str, now: dt.datetime) -> int:
    return next(s.id for s in ledger.statuses(as_of=now, units=[unit], include_scheduled=True)
                if s.obligation == obligation and s.unit == unit and f"{s.due:%d/%m/%Y}" == due)


def test_the_report_page_says_where_it_goes_and_lists_the_indicators_escaped(ledger_url, ledger, small):
    folder, catalog = small
    now = at("2025-03-18T09:00")
    ledger.sync(catalog, now=now)
    before, after = (occurrence(ledger, "buu-dien", "bao-cao-tuan", due, now) for due in ("13/03/2025", "20/03/2025"))
    other = occurrence(ledger, "buu-dien", "tin-bai", "16/03/2025", now)
    with client(ledger_url, [folder], now) as browser:
        pages = {o: browser.get(f"/bao-cao/{report_token(SECRET, o, 'buu-dien', issued=now)}").text
                 for o in (before, after, other)}
    assert f'<dt>Gửi đến</dt><dd class="recipients">{SO_TTTT}</dd>' in pages[before]
    assert f'<dt>Gửi đến</dt><dd class="recipients">{SO_KHCN}</dd>' in pages[after]
    page = pages[before]
    assert "<h2>Các chỉ tiêu cần báo cáo</h2>" in page and "<script>alert(3)" not in page
    assert '<li>Số hộ có gian hàng &lt;script&gt;alert(3)&lt;/script&gt; <span class="muted">(Hộ)</span></li>' in page
    assert page.index("Các chỉ tiêu cần báo cáo") < page.index("</article>")  # under the duty, above the form
    assert "Gửi đến" not in pages[other] and "Các chỉ tiêu" not in pages[other]


def test_the_2980_report_and_occurrence_pages_name_vu_qldn_and_the_section_i_rows(ledger_url, ledger, seed):
    now = at("2021-12-08T09:00")
    ledger.sync(seed, now=now, horizon=dt.date(2021, 12, 31))
    ledger.add_user("vu-qldn", PASSWORD, role="coordinator", unit="vu-qldn-bo-tttt")
    weekly = occurrence(ledger, "so-tttt-thanh-hoa", "bao-cao-tuan-kh1034", "09/12/2021", now)
    with client(ledger_url, list(SEED_PLANS), now) as browser:
        report = browser.get(f"/bao-cao/{report_token(SECRET, weekly, 'so-tttt-thanh-hoa', issued=now)}")
        assert log_in(browser, "vu-qldn").status_code == 303
        dashboard = browser.get(f"/ky/{weekly}")
    assert report.status_code == 200 and dashboard.status_code == 200
    for page in (report.text, dashboard.text):
        assert f'<dt>Gửi đến</dt><dd class="recipients">{VU_QLDN}</dd>' in page
        rows = [f"<li>{name[:-5]} <span class=\"muted\">(Hộ)</span></li>" for name in SECTION_I]
        assert all(row in page for row in rows)
        assert [page.index(row) for row in rows] == sorted(page.index(row) for row in rows)  # in the plan's order
        assert page.count("<li>") >= 11


def test_the_occurrence_page_escapes_an_indicator_name(ledger_url, ledger, small):
    folder, catalog = small
    now = at("2025-03-18T09:00")
    ledger.sync(catalog, now=now)
    ledger.add_user("so-tttt", PASSWORD, role="coordinator", unit="so-tttt")
    found = occurrence(ledger, "buu-dien", "bao-cao-tuan", "13/03/2025", now)
    with client(ledger_url, [folder], now) as browser:
        assert log_in(browser, "so-tttt").status_code == 303
        page = browser.get(f"/ky/{found}").text
    assert f'<dt>Gửi đến</dt><dd class="recipients">{SO_TTTT}</dd>' in page
    assert "<script>alert(3)" not in page and "&lt;script&gt;alert(3)&lt;/script&gt;" in page
