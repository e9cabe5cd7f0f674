"""The compliance report's HTML page in headless Chromium: it renders alone (no request leaves the file),
the heat map inside it shows, and a screenshot is kept to look at (tests/browser.py's SCREENSHOTS)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from browser import png_size, screenshot, use_size
from conftest import PLANS

from commplan.ledger import EvidenceInput
from commplan.plan import load_catalog
from commplan.reports.compliance_files import write_all
from commplan.reports.compliance_report import compliance_report

pytestmark = pytest.mark.server
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def test_the_html_report_renders_with_its_heat_map(ledger, browser, tmp_path):
    catalog, errors = load_catalog([PLANS])
    assert errors == []
    ledger.sync(catalog, now=dt.datetime(2021, 11, 1, 8, tzinfo=VN), horizon=dt.date(2022, 12, 31))
    ledger.record_evidence("bao-thanh-hoa-tin-bai-thang", "bao-thanh-hoa",
                           EvidenceInput(kind="link", link="https://baothanhhoa.vn/a.htm"),
                           on=dt.datetime(2021, 11, 20, 9, tzinfo=VN), now=dt.datetime(2021, 11, 20, 9, tzinfo=VN))
    report = compliance_report(ledger, "thanh-hoa-241-2021", dt.date(2021, 11, 1), dt.date(2021, 11, 30),
                               as_of=dt.datetime(2021, 12, 5, 9, tzinfo=VN))
    page = write_all(report, tmp_path)[3]
    use_size(browser, (1280, 900))
    browser.get(page.as_uri())
    assert browser.find_element("css selector", "h1").text == "Báo cáo tình hình thực hiện Kế hoạch 241/KH-UBND"
    image = browser.find_element("css selector", "img.heat-map")
    assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) == 1100
    headings = [h.text for h in browser.find_elements("css selector", "h2")]
    assert headings == ["Biểu đồ mức độ hoàn thành", "Tổng hợp theo nhiệm vụ", "Theo đơn vị", "Quá hạn", "Chưa báo cáo", "Theo kênh",
                        "Ma trận tháng", "Kinh phí"]
    resources = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert [r for r in resources if not r.startswith("data:")] == []  # self-contained
    shot = screenshot(browser, "compliance-report-241-2021-11")
    width, height = png_size(shot)
    assert width >= 1200 and height > 2000
