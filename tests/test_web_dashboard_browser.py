"""The coordinator's dashboard in a real browser (headless chromium against `commplan serve` with the seed
plans, on SQLite and PostgreSQL): log in as Thanh Hóa's Sở TTTT at 1280 px → the overdue list → a duty a
clerk has just answered through its report link has left the list → another one excused with the form
(no JavaScript needed) has left it too."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from browser import DESKTOP, PHONE, SECRET, foreign_requests, png_size, screenshot, use_size, wait_for_next_page
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from commplan.ledger import Ledger, Status
from commplan.links import report_link

pytestmark = pytest.mark.server  # a `commplan serve` process and a chromium

LOGIN, UNIT, PROVINCE = "sotttt-thanh-hoa", "so-tttt-thanh-hoa", "thanh-hoa"
PASSWORD = "Sông-Mã-chảy-về-biển-2026!"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def click_and_wait(browser, button: WebElement) -> None:
    """Submit a form and wait for the next page: a click returns before the browser has navigated."""
    page = browser.find_element(By.TAG_NAME, "html")
    button.click()
    wait_for_next_page(browser, page)


def coordinator(database_url: str) -> None:
    """Thanh Hóa's Sở TTTT has an account (added once per server, as `commplan user add` does)."""
    with Ledger(database_url) as ledger:
        if ledger.user(LOGIN) is None:
            ledger.add_user(LOGIN, PASSWORD, role="coordinator", unit=UNIT, display_name="Phòng TTBCXB")


def listed(browser) -> list[int]:
    return [int(a.get_attribute("href").rsplit("/", 1)[1])
            for a in browser.find_elements(By.CSS_SELECTOR, "table.overdue a[href^='/ky/']")]


def test_a_coordinator_sees_an_answered_duty_leave_the_overdue_list_and_excuses_another(web_server, browser):
    coordinator(web_server.database_url)
    # this year's duties: evidence for a window more than a year old is refused as a likely typo
    since = dt.datetime.now(VIETNAM).date() - dt.timedelta(days=300)
    with Ledger(web_server.database_url) as ledger:
        rows, total = ledger.overdue_page(province=PROVINCE, due_from=since)
        # two duties of a unit of its own (a report link is one unit's), on the first page
        answered, excused = [r for r in rows if r.holders == (r.unit,)][:2]
    assert total > 50
    listing = f"/qua-han?tu={since:%d/%m/%Y}"
    use_size(browser, DESKTOP)
    browser.get(web_server.url(listing))
    assert browser.current_url.startswith(web_server.url("/dang-nhap?tiep=/qua-han"))
    browser.find_element(By.ID, "login").send_keys(LOGIN)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.report button[type=submit]"))
    assert browser.current_url == web_server.url(listing)
    before = listed(browser)
    assert len(before) == 50 and answered.id in before and excused.id in before

    # the clerk answers from the reminder's link
    browser.get(report_link(web_server.url("/"), SECRET, answered.id, answered.unit, issued=dt.datetime.now(dt.UTC)))
    browser.find_element(By.ID, "document").send_keys("Báo cáo số 12/BC-UBND")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.report button[type=submit]"))
    assert "hoàn thành quá hạn" in browser.find_element(By.CSS_SELECTOR, ".facts").text

    browser.get(web_server.url(listing))
    after_answer = listed(browser)
    assert answered.id not in after_answer and excused.id in after_answer
    assert f"1–50 trên {total - 1} nhiệm vụ quá hạn" in browser.find_element(By.CSS_SELECTOR, "main").text

    # the coordinator excuses another one with the form
    browser.find_element(By.ID, f"ky-{excused.id}").click()
    browser.find_element(By.ID, "ly_do").send_keys("Bão số 3: đơn vị mất điện")
    click_and_wait(browser, browser.find_element(By.ID, "mien"))
    assert browser.find_element(By.CSS_SELECTOR, "[role=status]").text == "Đã miễn 1 kỳ."
    assert excused.id not in listed(browser)
    assert foreign_requests(browser, web_server.base) == []
    if web_server.database_url.startswith("sqlite"):  # one picture for the README is enough
        path = screenshot(browser, "dashboard-desktop", full_page=False)
        assert png_size(path) == DESKTOP
    with Ledger(web_server.database_url) as ledger:
        states = {r.id: r.status for r in ledger.statuses(plans=[answered.plan, excused.plan]) if r.id in (answered.id, excused.id)}
    assert states == {answered.id: Status.DONE_LATE, excused.id: Status.EXCUSED}


def test_a_coordinator_cannot_open_another_provinces_unit_in_the_overdue_list(web_server, browser):
    coordinator(web_server.database_url)
    use_size(browser, DESKTOP)
    browser.get(web_server.url("/dang-nhap"))
    browser.find_element(By.ID, "login").send_keys(LOGIN)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.report button[type=submit]"))
    browser.get(web_server.url("/qua-han?don-vi=so-tttt-ha-tinh"))
    assert "Không có quyền truy cập" in browser.find_element(By.TAG_NAME, "h1").text
    assert listed(browser) == []
    browser.get(web_server.url("/tong-quan"))
    overview = browser.find_element(By.TAG_NAME, "main").text
    assert "Tổng quan" in overview and "Hà Tĩnh" not in overview


def test_the_dashboard_fits_a_phone_its_tables_scroll_on_their_own(web_server, browser):
    coordinator(web_server.database_url)
    browser.get(web_server.url("/dang-nhap"))
    browser.find_element(By.ID, "login").send_keys(LOGIN)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.report button[type=submit]"))
    sqlite = web_server.database_url.startswith("sqlite")
    if sqlite:  # pictures to look at (not committed): the overview at the desktop size
        screenshot(browser, "overview-desktop", full_page=False)
    use_size(browser, PHONE)
    for path, name in (("/tong-quan", "overview-phone"), ("/qua-han", "overdue-phone")):
        browser.get(web_server.url(path))
        assert browser.execute_script("return document.documentElement.scrollWidth") <= PHONE[0], path
        assert browser.find_elements(By.CSS_SELECTOR, ".table-scroll table"), path
        if sqlite:
            screenshot(browser, name, full_page=False)
