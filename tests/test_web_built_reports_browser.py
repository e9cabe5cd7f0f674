"""The reports commplan built, on the overview in a real browser (headless chromium against `commplan serve`
with the seed plans, on SQLite and PostgreSQL): Thanh Hóa's Sở TTTT sees its weekly form for the ministry
and the compliance report of 241/KH-UBND with its heat map drawn (a real PNG from `heat_map.py`), not Hà
Tĩnh's form; the generated page opens from its link; the section fits a phone.

A screenshot of the section at the desktop size is kept as `dash-reports.png` (COMMPLAN_SCREENSHOTS=/tmp
to put it in /tmp) to look at."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from browser import DESKTOP, PHONE, console_messages, foreign_requests, png_size, screenshot, use_size
from conftest import PLANS
from selenium.webdriver.common.by import By
from test_web_dashboard_browser import LOGIN, PASSWORD, click_and_wait, coordinator

from commplan.figures import FigureRow, parse_period
from commplan.ledger import EvidenceInput, Ledger
from commplan.ledger.report_builds import BuiltFile, ReportBuild
from commplan.plan import load_catalog
from commplan.reports.compliance_files import write_all
from commplan.reports.compliance_report import compliance_report
from commplan.reports.form_writers import csv_bytes, html_bytes, xlsx_bytes
from commplan.reports.indicator_form import build_form

pytestmark = pytest.mark.server  # a `commplan serve` process and a chromium

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PLAN, MINISTRY_PLAN = "thanh-hoa-241-2021", "bo-tttt-2980-2021"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TYPES = {".xlsx": XLSX, ".csv": "text/csv", ".html": "text/html", ".png": "image/png"}


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=VN)


def weekly_form(ledger: Ledger, unit: str, value: str) -> ReportBuild:
    """The ministry's weekly form of 2021-W47 for `unit`, as the forms' writers draw it."""
    catalog, errors = load_catalog([PLANS], strict=True)
    assert errors == []
    week = parse_period("2021-W47")
    figure = FigureRow(MINISTRY_PLAN, "ho-co-gian-hang-tren-san", unit, week, Decimal(value), None,
                       at("2021-11-24T09:00"), "sotttt", 1)
    form = build_form(catalog.plans[MINISTRY_PLAN], catalog, [figure], week, unit=unit, as_of=at("2021-11-24T16:00"))
    stem = f"bao-cao-tuan-2021-W47-{unit}"
    files = [BuiltFile(f"{stem}.xlsx", xlsx_bytes(form), XLSX), BuiltFile(f"{stem}.csv", csv_bytes(form), "text/csv"),
             BuiltFile(f"{stem}.html", html_bytes(form), "text/html")]
    return ledger.save_report_build(
        kind="weekly", plan=MINISTRY_PLAN, scope=unit, period="2021-W47", fingerprint=f"{unit}-{value}",
        title="Biểu mẫu báo cáo tuần 47/2021 (Phụ lục 02, Công văn 2980/BTTTT-QLDN)",
        summary=f"{value} hộ có gian hàng trên sàn; 10 chỉ tiêu chưa có số liệu", files=files,
        recipients=((unit, f"{unit}@example.gov.vn"),), as_of=at("2021-11-24T16:00"), now=at("2021-11-24T16:00"))[0]


def compliance_build(ledger: Ledger, folder) -> ReportBuild:
    """241/KH-UBND's compliance report of the last quarter of 2021, with a few duties done, its files as
    commplan writes them."""
    for unit, obligation, day in (("buu-dien-thanh-hoa", "bao-cao-tuan", "2021-11-16T10:00"),
                                  ("buu-dien-thanh-hoa", "bao-cao-tuan", "2021-11-26T10:00")):
        ledger.record_evidence(obligation, unit, EvidenceInput(kind="document", document="bc-tuan.pdf"),
                               on=at(day), now=at(day))
    ledger.record_evidence("bao-thanh-hoa-tin-bai-thang", "bao-thanh-hoa",
                           EvidenceInput(kind="link", link="https://baothanhhoa.vn/a.htm"),
                           on=at("2021-11-20T09:00"), now=at("2021-11-20T09:00"))
    report = compliance_report(ledger, PLAN, dt.date(2021, 10, 1), dt.date(2021, 12, 31), as_of=at("2022-01-05T09:00"))
    files = [BuiltFile(p.name, p.read_bytes(), TYPES[p.suffix]) for p in write_all(report, folder)]
    return ledger.save_report_build(
        kind="compliance-monthly", plan=PLAN, scope="", period="2021-10-01/2021-12-31", fingerprint="q4",
        provinces=["thanh-hoa"],
        title="Báo cáo tình hình thực hiện Kế hoạch 241/KH-UBND, quý IV/2021",
        summary=f"{report.total.on_time} nhiệm vụ hoàn thành đúng hạn, {report.total.overdue} quá hạn, "
                f"{len(report.silent)} đơn vị chưa báo cáo", files=files,
        recipients=(("so-tttt-thanh-hoa", "so-tttt-thanh-hoa@example.gov.vn"),), as_of=at("2022-01-05T09:00"),
        now=at("2022-01-05T09:00"))[0]


def test_the_overview_shows_the_built_reports_and_the_heat_map(web_server, browser, tmp_path):
    coordinator(web_server.database_url)
    with Ledger(web_server.database_url) as ledger:
        form = weekly_form(ledger, "so-tttt-thanh-hoa", "1250")
        other = weekly_form(ledger, "so-tttt-ha-tinh", "830")
        report = compliance_build(ledger, tmp_path)
        for mail in ledger.claim_report_mails("w1", now=at("2022-01-05T09:00")):
            if mail.build.id == form.id:
                ledger.confirm_report_mail(mail.id, "w1", outcome="sent", now=at("2022-01-05T09:01"))
    use_size(browser, DESKTOP)
    browser.get(web_server.url("/tong-quan"))
    browser.find_element(By.ID, "login").send_keys(LOGIN)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.report button[type=submit]"))
    assert browser.current_url == web_server.url("/tong-quan")
    cards = browser.find_elements(By.CSS_SELECTOR, "article.built")
    assert [c.get_attribute("id") for c in cards] == [f"bao-cao-{report.id}", f"bao-cao-{form.id}"]
    section = browser.find_element(By.TAG_NAME, "main").text
    assert "Báo cáo đã lập" in section and "Hà Tĩnh" not in section and f"/{other.id}/" not in browser.page_source
    form_card = cards[1].text
    assert "tuần 47/2021" in form_card and "lập lúc 16:00 24/11/2021" in form_card
    assert "1250 hộ có gian hàng trên sàn" in form_card
    assert "(so-tttt-thanh-hoa@example.gov.vn): đã gửi · 09:01 05/01/2022" in form_card
    assert [a.text for a in cards[1].find_elements(By.CSS_SELECTOR, "ul.files a")] == ["Excel", "CSV", "Trang HTML"]
    assert [a.text for a in cards[0].find_elements(By.CSS_SELECTOR, "ul.files a")] == [
        "Excel", "CSV", "Biểu đồ mức độ hoàn thành", "Trang HTML"]
    assert "không rõ đã gửi chưa" not in cards[0].text and "đang gửi" in cards[0].text  # claimed, lease not over

    image = cards[0].find_element(By.CSS_SELECTOR, "figure.heat-map img")
    assert image.get_attribute("alt").startswith("Biểu đồ mức độ hoàn thành: tỉ lệ hoàn thành đúng hạn theo đơn vị và tháng, "
                                                  "kế hoạch 241/KH-UBND")
    browser.execute_script("arguments[0].scrollIntoView()", image)  # it loads lazily
    natural = browser.execute_script("return arguments[0].decode().then(() => arguments[0].naturalWidth)", image)
    assert natural == 1100
    shown = browser.execute_script("return arguments[0].getBoundingClientRect().width", image)
    assert 600 <= shown <= 802  # narrower than drawn, within the reading width (50rem and its border)
    assert foreign_requests(browser, web_server.base) == []
    problems = [m for m in console_messages(browser) if "Content Security Policy" in m or "Failed to load" in m]
    assert [m for m in problems if "/favicon.ico" not in m] == []  # the site has no icon, as before
    if web_server.database_url.startswith("sqlite"):  # one picture to look at
        browser.execute_script("document.getElementById('bao-cao-da-lap').scrollIntoView()")
        shot = screenshot(browser, "dash-reports", full_page=False)
        assert png_size(shot) == DESKTOP
        screenshot(browser, "dash-reports-page")  # the whole overview

    # the form's own page: the build, then every build of the report
    click_and_wait(browser, cards[1].find_element(By.LINK_TEXT, "Các bản đã lập của báo cáo này"))
    assert browser.current_url == web_server.url(f"/bao-cao-da-lap/{form.id}")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.builds tbody tr")
    assert [" ".join(r.text.split()) for r in rows] == ["tuần 47/2021 (bản đang xem) 16:00 24/11/2021 Excel CSV Trang HTML"]
    if web_server.database_url.startswith("sqlite"):
        screenshot(browser, "dash-report-history", full_page=False)
    browser.back()
    cards = browser.find_elements(By.CSS_SELECTOR, "article.built")

    # the generated page opens from its link, shown by the browser (no download), its own style intact
    click_and_wait(browser, cards[1].find_element(By.LINK_TEXT, "Trang HTML"))
    assert browser.current_url == web_server.url(f"/bao-cao-da-lap/{form.id}/bao-cao-tuan-2021-W47-so-tttt-thanh-hoa.html")
    assert "1.250" in browser.find_element(By.TAG_NAME, "body").text

    # the section fits a phone: nothing wider than the screen, the heat map shrunk to it
    use_size(browser, PHONE)
    browser.get(web_server.url("/tong-quan"))
    assert browser.execute_script("return document.documentElement.scrollWidth") <= PHONE[0]
    image = browser.find_element(By.CSS_SELECTOR, "figure.heat-map img")
    assert browser.execute_script("return arguments[0].getBoundingClientRect().width", image) <= PHONE[0]
    if web_server.database_url.startswith("sqlite"):
        browser.execute_script("document.getElementById('bao-cao-da-lap').scrollIntoView()")
        screenshot(browser, "dash-reports-phone", full_page=False)
