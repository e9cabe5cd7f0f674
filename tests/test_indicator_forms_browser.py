"""The monthly indicator form of 2980 (Phụ lục 03) as HTML, opened in headless chromium from its file:
it loads nothing else, shows the ministry's columns and group rows, fits a desktop window, and its
screenshot (docs/screenshots/indicator-form-monthly.png) is there to look at."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from browser import console_messages, png_size, screenshot
from conftest import PLANS

from commplan.figures import FigureRow, parse_period
from commplan.plan import load_catalog
from commplan.reports.form_writers import html_bytes
from commplan.reports.indicator_form import build_form

pytestmark = pytest.mark.server

PLAN = "bo-tttt-2980-2021"
AT = dt.datetime(2021, 11, 24, 16, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))


def fig(indicator: str, period: str, value: str, note: str | None = None) -> FigureRow:
    return FigureRow(PLAN, indicator, "so-tttt-thanh-hoa", parse_period(period), Decimal(value), note, AT, "thu", 1)


def test_the_monthly_form_reads_like_phu_luc_03_in_chromium(browser, tmp_path):
    catalog, errors = load_catalog([PLANS])
    assert errors == []
    figures = [fig("tong-ho-sxnn", "2021", "412000"), fig("ho-dao-tao-ky-nang-so", "2021-10", "52000"),
               fig("ho-dao-tao-ky-nang-so", "2021-11", "61250", note="<script>alert(1)</script> 14 lớp"),
               fig("san-luong-tieu-thu-qua-san", "2021-11", "37.5"), fig("thi-truong-trong-nuoc", "2021-11", "6",
                                                                        note="Miền Bắc: Hà Nội; Miền Nam: TP. HCM")]
    form = build_form(catalog.plans[PLAN], catalog, figures, parse_period("2021-11"), province="thanh-hoa", as_of=AT)
    page = tmp_path / "bao-cao-thang.html"
    page.write_bytes(html_bytes(form))
    browser.get(page.as_uri())
    assert browser.title.startswith("BÁO CÁO THÁNG")
    headers = [th.text for th in browser.find_elements("css selector", "table:first-of-type th")]
    assert headers[3] == "Chỉ tiêu đạt được trong tháng (Số lượng)" and len(headers) == 8
    groups = [tr.text for tr in browser.find_elements("css selector", "tr.group")]
    assert [g.split(" ", 1)[0] for g in groups] == ["I", "II", "III"]
    first = [td.text for td in browser.find_elements("css selector", "tbody tr:nth-child(2) td")]
    assert first[3:7] == ["61.250", "17,8%", "113.250", "39,3%"]  # 113 250 of 70% of 412 000
    assert "<script>alert(1)</script> 14 lớp" in first[7]  # shown as text, not run
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    assert not [m for m in console_messages(browser) if "alert" in m or "SEVERE" in m]
    shot = screenshot(browser, "indicator-form-monthly")
    width, height = png_size(shot)
    assert width >= 1200 and height > 600
