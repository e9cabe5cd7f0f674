"""A clerk uploads a PDF from a phone in a real browser (headless chromium against `commplan serve`, on
SQLite and PostgreSQL): the reminder's link → the report page at 360 px → a real PDF file chosen in the
form's file field (no JavaScript involved) → the page lists the document with the new status, and its
link gives back the same bytes."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from browser import PHONE, fetch, foreign_requests, screenshot, use_size
from selenium.webdriver.common.by import By
from test_web_report_browser import click_and_wait, reminder_link

from commplan.ledger import Ledger

pytestmark = pytest.mark.server  # a `commplan serve` process and a chromium


def minimal_pdf() -> bytes:
    """A one-page PDF that readers open: its objects, and a cross-reference table with their offsets."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def open_duty_met_by_one_item(database_url: str) -> tuple[int, str]:
    """An open duty of the seed plans that one item settles (asking for a document, if one does)."""
    now = dt.datetime.now(dt.UTC)
    with Ledger(database_url) as ledger:
        found = []
        for row in ledger.statuses(as_of=now):
            if row.status.value == "open" and row.at_least == 1:
                view = ledger.report_view(row.id, row.unit, as_of=now)
                if view is not None:
                    found.append((view.duty.evidence_kind != "document", row.id, row.unit))
    assert found, "the seed plans have no open duty that one item settles today"
    _kind, occurrence, unit = min(found)
    return occurrence, unit


def test_a_clerk_uploads_a_pdf_from_a_phone_and_sees_it_listed_with_the_new_status(web_server, browser, tmp_path):
    occurrence, unit = open_duty_met_by_one_item(web_server.database_url)
    pdf = minimal_pdf()
    chosen = tmp_path / "Báo cáo kết quả tuyên truyền.pdf"
    chosen.write_bytes(pdf)
    use_size(browser, PHONE)
    browser.get(reminder_link(web_server, occurrence, unit))
    browser.find_element(By.ID, "file").send_keys(str(chosen))  # what choosing a file in the picker does
    browser.find_element(By.ID, "name").send_keys("Phạm Văn Dũng")
    if web_server.database_url.startswith("sqlite"):  # to look at: the form with a file chosen, at 360 px
        screenshot(browser, "report-upload-phone")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.report button[type=submit]"))
    assert not browser.find_elements(By.CSS_SELECTOR, "[role=alert]"), browser.find_element(By.TAG_NAME, "main").text
    assert browser.find_element(By.CSS_SELECTOR, "[role=status]").text == "Cảm ơn: báo cáo của quý đơn vị đã được ghi nhận."
    assert "hoàn thành đúng hạn" in browser.find_element(By.CSS_SELECTOR, ".facts").text
    [listed] = browser.find_elements(By.CSS_SELECTOR, ".evidence a.document-file")
    assert listed.text == "Báo cáo kết quả tuyên truyền.pdf"
    assert "Phạm Văn Dũng" in browser.find_element(By.CSS_SELECTOR, ".evidence").text
    # the page fits the phone: nothing wider than the screen
    assert browser.execute_script("return document.documentElement.scrollWidth") <= PHONE[0]
    assert foreign_requests(browser, web_server.base) == []
    served = fetch(listed.get_attribute("href") or "")
    assert served.status == 200 and served.body == pdf and served.headers["content-type"] == "application/pdf"
    with Ledger(web_server.database_url) as ledger:
        [item] = ledger.evidence(occurrence_id=occurrence)
        assert (item.kind, item.source, item.document, item.document_sha256, item.recorded_by) == (
            "document", "web", "Báo cáo kết quả tuyên truyền.pdf", hashlib.sha256(pdf).hexdigest(), "Phạm Văn Dũng")
