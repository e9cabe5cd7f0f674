"""A clerk's round trip in a real browser (headless chromium against `commplan serve`, on SQLite and
PostgreSQL): the link a reminder carries → the report page on a phone → a link submitted → the
status reads "hoàn thành đúng hạn"; and "Đã tiếp nhận, đang thực hiện" tapped without JavaScript."""

from __future__ import annotations

import datetime as dt

import pytest
from browser import PHONE, SECRET, foreign_requests, screenshot, use_size, wait_for_next_page
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from commplan.ledger import Ledger
from commplan.links import report_link

pytestmark = pytest.mark.server  # a `commplan serve` process and a chromium


def open_duties(database_url: str, *, kind: str | None = None) -> list[tuple[int, str]]:
    """Occurrences of the seed plans open now (whose evidence is of `kind`), not used by another test."""
    now = dt.datetime.now(dt.UTC)
    with Ledger(database_url) as ledger:
        found = []
        for row in ledger.statuses(as_of=now):
            if row.status.value != "open" or (database_url, row.id) in TAKEN:
                continue
            view = ledger.report_view(row.id, row.unit, as_of=now)
            if view is not None and kind in (None, view.duty.evidence_kind):
                found.append((row.id, row.unit))
        return found


def click_and_wait(browser, button: WebElement) -> None:
    """Submit a form and wait for the next page: a click returns before the browser has navigated."""
    page = browser.find_element(By.TAG_NAME, "html")
    button.click()
    wait_for_next_page(browser, page)


# each test uses its own duty: a server (and its ledger) is shared by the module's tests
TAKEN: set[tuple[str, int]] = set()


def reminder_link(server, occurrence: int, unit: str) -> str:
    return report_link(server.url("/"), SECRET, occurrence, unit, issued=dt.datetime.now(dt.UTC))




def test_a_clerk_reports_a_link_from_a_phone_and_sees_done_on_time(web_server, browser):
    duties = open_duties(web_server.database_url, kind="link")
    assert duties, "the seed plans have no open duty reported by a link today"
    occurrence, unit = duties[0]
    TAKEN.add((web_server.database_url, occurrence))
    use_size(browser, PHONE)
    browser.get(reminder_link(web_server, occurrence, unit))
    assert "đang thực hiện, trong hạn" in browser.find_element(By.CSS_SELECTOR, ".facts").text
    if web_server.database_url.startswith("sqlite"):  # one picture for the README is enough
        screenshot(browser, "report-phone")
    browser.find_element(By.ID, "link").send_keys("https://baothanhhoa.vn/tin-tuc/kinh-te-so-nong-nghiep-123.html")
    browser.find_element(By.ID, "name").send_keys("Nguyễn Thị Lan")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.report button[type=submit]"))
    notice = browser.find_element(By.CSS_SELECTOR, "[role=status]").text
    assert notice == "Cảm ơn: báo cáo của quý đơn vị đã được ghi nhận."
    assert "hoàn thành đúng hạn" in browser.find_element(By.CSS_SELECTOR, ".facts").text
    assert "baothanhhoa.vn/tin-tuc/kinh-te-so-nong-nghiep-123.html" in browser.find_element(By.CSS_SELECTOR, ".evidence").text
    assert foreign_requests(browser, web_server.base) == []
    with Ledger(web_server.database_url) as ledger:
        [item] = ledger.evidence(occurrence_id=occurrence)
        assert (item.kind, item.source, item.unit, item.recorded_by) == ("link", "web", unit, "Nguyễn Thị Lan")
        [status] = [s for s in ledger.statuses(units=[unit]) if s.id == occurrence]
        assert status.status.value == "done-on-time"


def test_received_in_progress_is_one_tap_without_javascript(web_server, browser):
    duties = open_duties(web_server.database_url)
    assert duties, "the seed plans have no open duty today"
    occurrence, unit = duties[0]
    TAKEN.add((web_server.database_url, occurrence))
    use_size(browser, PHONE)
    browser.get(reminder_link(web_server, occurrence, unit))
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.acknowledge button"))
    assert not browser.find_elements(By.CSS_SELECTOR, "[role=alert]"), browser.find_element(By.TAG_NAME, "main").text
    assert browser.find_element(By.CSS_SELECTOR, "[role=status]").text == (
        "Đã ghi nhận: quý đơn vị đã tiếp nhận nhiệm vụ và đang thực hiện.")
    assert browser.find_elements(By.CSS_SELECTOR, "form.acknowledge") == []  # said once, shown instead of the button
    with Ledger(web_server.database_url) as ledger:
        [ack] = ledger.acknowledgements_of([occurrence])[occurrence]
        assert ack.unit_id == unit
