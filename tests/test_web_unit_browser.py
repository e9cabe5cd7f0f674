"""A coordinator's unit pages in a real browser (headless chromium against `commplan serve` with the seed
plans, on SQLite and PostgreSQL): the Sở TTTT of Hậu Giang opens a unit of its province, and a unit of
Thanh Hóa reads as the Vietnamese not-found page, exactly like a unit that does not exist."""

from __future__ import annotations

import pytest
from browser import PHONE, foreign_requests, screenshot, use_size, wait_for_next_page
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from commplan.ledger import Ledger

pytestmark = pytest.mark.server  # a `commplan serve` process and a chromium

PASSWORD = "Sông-Hậu-chảy-qua-2026!"
OURS, THEIRS = "so-tttt-hau-giang", "so-tttt-thanh-hoa"  # units of plans/units/hau-giang.yaml and thanh-hoa.yaml


def coordinator_of_hau_giang(database_url: str) -> str:
    """A coordinator bound to the Sở TTTT of Hậu Giang in the server's ledger (once per server)."""
    login = "so-tttt-hg"
    with Ledger(database_url) as ledger:
        if ledger.user(login) is None:
            ledger.add_user(login, PASSWORD, role="coordinator", unit=OURS, display_name="Phòng TTBCXB Hậu Giang")
    return login


def log_in(web_server, browser, login: str, target: str) -> None:
    """Through the login page, sent on to `target` as a reader who followed a link would be."""
    browser.get(web_server.url(target))
    WebDriverWait(browser, 15).until(expected_conditions.presence_of_element_located((By.ID, "login")))
    browser.find_element(By.ID, "login").send_keys(login)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form.report button[type=submit]").click()
    # argon2 checks the password on purpose slowly, on two cores shared with the server: wait for the target
    WebDriverWait(browser, 30).until(expected_conditions.url_to_be(web_server.url(target)))


def test_a_coordinator_of_one_province_cannot_open_a_unit_of_another(web_server, browser):
    login = coordinator_of_hau_giang(web_server.database_url)
    log_in(web_server, browser, login, f"/don-vi/{OURS}")
    assert browser.current_url == web_server.url(f"/don-vi/{OURS}")  # back where the link pointed, logged in
    assert "Sở TTTT" in browser.find_element(By.TAG_NAME, "h1").text or "Hậu Giang" in browser.find_element(
        By.TAG_NAME, "h1").text
    assert browser.find_elements(By.CSS_SELECTOR, "ul.counts li")  # the buckets
    assert foreign_requests(browser, web_server.base) == []
    if web_server.database_url.startswith("sqlite"):
        screenshot(browser, "unit-desktop")
    browser.get(web_server.url(f"/don-vi/{THEIRS}"))
    assert browser.title == "Không tìm thấy trang · commplan"
    assert browser.find_element(By.TAG_NAME, "h1").text == "Không tìm thấy trang"
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "Lỗi 404" in main and "Thanh Hóa" not in main
    # the same page as a unit that does not exist: nothing tells the other province's units apart
    browser.get(web_server.url("/don-vi/khong-co-don-vi-nay"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Không tìm thấy trang"


def test_a_units_page_reads_on_a_phone(web_server, browser):
    login = coordinator_of_hau_giang(web_server.database_url)
    use_size(browser, PHONE)
    log_in(web_server, browser, login, f"/don-vi/{OURS}")
    assert browser.current_url == web_server.url(f"/don-vi/{OURS}")
    # the page itself never scrolls sideways: a wide table scrolls inside its .table-scroll
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= PHONE[0], width
    if web_server.database_url.startswith("sqlite"):
        screenshot(browser, "unit-phone")


def test_a_coordinator_excuses_an_overdue_occurrence_of_their_province(web_server, browser):
    login = coordinator_of_hau_giang(web_server.database_url)
    with Ledger(web_server.database_url) as ledger:
        # the newest first: another test module's server never shares this ledger, this module's tests take one each
        overdue = ledger.statuses(units=[OURS], only="overdue")[-1]
    log_in(web_server, browser, login, f"/ky/{overdue.id}")
    assert browser.find_element(By.TAG_NAME, "h1").text == overdue.title
    assert "quá hạn, chưa hoàn thành" in browser.find_element(By.CSS_SELECTOR, ".facts").text
    browser.find_element(By.ID, "mien-reason").send_keys("Bão số 5 <b>gây mất điện</b>")
    page = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.CSS_SELECTOR, "form.excuse button[type=submit]").click()
    wait_for_next_page(browser, page)
    assert browser.current_url == web_server.url(f"/ky/{overdue.id}?xong=mien")
    assert browser.find_element(By.CSS_SELECTOR, "[role=status]").text == "Đã miễn nhiệm vụ kỳ này."
    facts = browser.find_element(By.CSS_SELECTOR, ".facts").text
    assert "miễn" in facts and "Bão số 5 <b>gây mất điện</b>" in facts  # shown as typed, never as markup
    if web_server.database_url.startswith("sqlite"):
        screenshot(browser, "occurrence-desktop")
    with Ledger(web_server.database_url) as ledger:
        [row] = [r for r in ledger.statuses(units=[OURS]) if r.id == overdue.id]
        assert row.status.value == "excused"
