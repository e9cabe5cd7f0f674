"""Reminder messages: Vietnamese text per step, a digest, one-segment unaccented SMS, escaped HTML."""

from __future__ import annotations

import datetime as dt

import pytest

from commplan.notify.messages import SMS_LIMIT, Item, render, unaccented

VN = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2021, 12, 12, 9, 0, tzinfo=VN)
DUE = dt.datetime(2021, 12, 9, 14, 0, tzinfo=VN)
MORNING = dt.datetime(2021, 12, 9, 7, 30, tzinfo=VN)  # DUE's day, at the digest hour: "due today" is true
LINK = "https://commplan.example.gov.vn/r/AbC123"


@pytest.mark.parametrize(
    ("step", "said", "headline"),
    # due 09/12 14:00; the late steps said on 12/12 09:00: three calendar days late (not 2 days 19 hours)
    [("before-3d", dt.datetime(2021, 12, 6, 7, 30, tzinfo=VN), "sắp đến hạn"),
     ("due", dt.datetime(2021, 12, 9, 7, 30, tzinfo=VN), "đến hạn hôm nay"),
     ("due", dt.datetime(2021, 12, 9, 15, 0, tzinfo=VN), "đến hạn hôm nay"),  # past the hour, the same day
     ("overdue-2", NOW, "quá hạn 3 ngày"),
     ("escalate", NOW, "thông báo lên cấp trên: Bưu điện tỉnh quá hạn 3 ngày"),
     # a step sent after its day (the scheduler was down: the catch-up sends the latest step missed) says
     # what is true when it is read, not "due today" of a deadline three days gone
     ("due", NOW, "quá hạn 3 ngày"), ("before-1d", NOW, "quá hạn 3 ngày"),
     ("before-2h", dt.datetime(2021, 12, 9, 12, 0, tzinfo=VN), "sắp đến hạn")],
)
def test_each_step_has_its_vietnamese_headline(step, said, headline):
    message = render("Sở TTTT", [Item(step, "Báo cáo tuần", DUE, plan="241/KH-UBND", unit="Bưu điện tỉnh")], now=said)
    assert message.text.splitlines()[0] == f"Sở TTTT: {headline}."
    assert message.subject == f"[Nhắc việc] {headline[0].upper() + headline[1:]}: Báo cáo tuần"  # "Bưu điện" stays


def test_a_single_reminder_carries_deadline_progress_and_the_one_click_link():
    item = Item("overdue-1", "Báo cáo tuần tình hình thực hiện Kế hoạch 241/KH-UBND", DUE, at_least=1, delivered=0,
                plan="241/KH-UBND", link=LINK)
    message = render("Bưu điện tỉnh Thanh Hóa", [item], now=NOW)
    assert message.text.splitlines() == [
        "Bưu điện tỉnh Thanh Hóa: quá hạn 3 ngày.",
        "Báo cáo tuần tình hình thực hiện Kế hoạch 241/KH-UBND (hạn 14:00 09/12/2021, KH 241/KH-UBND). Đã nộp 0/1.",
        f"Báo cáo hoàn thành: {LINK}",
        "commplan – nhắc việc kế hoạch truyền thông",
    ]
    assert message.sms == f"Qua han 3 ngay: Bao cao tuan tinh hinh thuc hien Ke hoach 241/KH-UBND - Han 14:00 09/12/2021 {LINK}"


def test_several_reminders_for_one_recipient_become_one_digest():
    items = [Item("before-3d", "Tin bài tháng 12", dt.datetime(2021, 12, 31, 23, 59, 59, tzinfo=VN)),
             Item("due", "Báo cáo tuần", DUE)]
    message = render("Bưu điện tỉnh", items, now=MORNING)
    assert message.subject == "[Nhắc việc] 2 nhiệm vụ cần chú ý"
    assert message.text.splitlines() == [
        "Bưu điện tỉnh: 2 nhiệm vụ cần chú ý.",
        "1. Đến hạn hôm nay: Báo cáo tuần (hạn 14:00 09/12/2021).",  # ordered by deadline
        "2. Sắp đến hạn: Tin bài tháng 12 (hạn 31/12/2021).",
        "commplan – nhắc việc kế hoạch truyền thông",
    ]
    assert message.sms == "Den han hom nay: Bao cao tuan - Han 14:00 09/12/2021 (+1 viec khac)"


def test_a_digests_duties_due_together_read_in_one_order_whatever_order_they_came_in():
    items = [Item("due", "Phát thanh tuyên truyền", DUE), Item("due", "Đăng tin về chuyển đổi số", DUE),
             Item("due", "Báo cáo tuần", DUE)]
    first, second = (render("UBND xã A", order, now=MORNING) for order in (items, items[::-1]))
    assert first == second
    assert [line.split(": ", 1)[1].split(" (")[0] for line in first.text.splitlines()[1:4]] == [
        "Báo cáo tuần", "Đăng tin về chuyển đổi số", "Phát thanh tuyên truyền"]  # Đ read as D


def test_sms_always_fits_one_gsm_segment():
    title = "Tin, bài có hình ảnh tổng hợp về hoạt động hỗ trợ các hộ sản xuất nông nghiệp trên địa bàn tỉnh lên sàn TMĐT " * 3
    message = render("Đơn vị", [Item("due", title, DUE, link=LINK)], now=MORNING)
    assert len(message.sms) <= SMS_LIMIT and message.sms.isascii()
    assert message.sms.startswith("Den han hom nay: Tin, bai co hinh anh") and "..." in message.sms
    assert message.sms.endswith(f"- Han 14:00 09/12/2021 {LINK}")  # the title gave way to deadline and link
    short = render("Đơn vị", [Item("due", title, DUE, link="https://x.example.gov.vn/" + "r" * 120)], now=NOW).sms
    assert len(short) <= SMS_LIMIT and "https://" not in short and short.endswith("- Han 14:00 09/12/2021")


def test_html_escapes_what_plans_contain():
    message = render("Đơn vị <A>", [Item("due", "Tin <script>alert(1)</script> & bài", DUE, link=LINK)], now=NOW)
    assert "<script>" not in message.html and "&lt;script&gt;" in message.html and "&amp; bài" in message.html
    assert "<strong>Đơn vị &lt;A&gt;</strong>" in message.html and f'<a href="{LINK}">' in message.html


def test_unaccented_keeps_every_letter():
    assert unaccented("Đài Phát thanh và Truyền hình tỉnh Thanh Hóa: đúng hạn") == "Dai Phat thanh va Truyen hinh tinh Thanh Hoa: dung han"


def test_a_long_digest_fits_one_zalo_message_and_says_how_many_more():
    items = [Item("before-3d", f"Tin bài tuyên truyền chuyển đổi số số {i} trên Cổng thông tin điện tử tỉnh và các trang mạng xã hội",
                  DUE + dt.timedelta(days=i), plan="241/KH-UBND", link=LINK) for i in range(40)]
    message = render("UBND huyện Nga Sơn", items, now=MORNING)
    assert len(message.text) <= 2000
    shown = [line for line in message.text.splitlines() if line[:1].isdigit()]
    assert message.text.splitlines()[0] == "UBND huyện Nga Sơn: 40 nhiệm vụ cần chú ý."
    assert f"… và {40 - len(shown)} nhiệm vụ khác có hạn muộn hơn" in message.text
    assert shown[0].startswith("1. Sắp đến hạn: Tin bài tuyên truyền chuyển đổi số số 0 ")  # the earliest first
    assert message.html.count("<li>") == 40  # the email lists every one
