"""The ministry's indicator forms (Phụ lục 02/03 of 2980) as computed from figures, without a ledger:
`sum` against `last`, weeks rolled up into a month without double counting, over a province's units,
growth against a previous zero, completion against the period's year target (absolute and percent
of a baseline), the units that did not report; then the three writers (XLSX, CSV, HTML)."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from commplan.figures import FigureRow, parse_period
from commplan.plan import load_catalog
from commplan.reports.form_writers import FormFormatError, csv_bytes, form_bytes, html_text, xlsx_bytes
from commplan.reports.indicator_form import build_form

UNITS = """\
commplan: 1
units:
  - {id: so-a, name: Sở TTTT tỉnh A, province: tinh-a}
  - {id: buu-dien-a, name: Bưu điện tỉnh A, province: tinh-a}
  - {id: so-b, name: Sở TTTT tỉnh B, province: tinh-b}
groups:
  cac-don-vi: {name: Các đơn vị, members: [so-a, buu-dien-a, so-b]}
"""

PLAN = """\
commplan: 1
plan:
  id: thu-chi-tieu
  number: 9/KH-THU
  title: Kế hoạch thử chỉ tiêu
  issuer: so-a
  coordinator: so-a
  effective: {from: 2021-01-01, until: 2022-12-31}
obligations: []
indicators:
  - id: ho-dao-tao
    section: I
    section_title: Nhóm một
    name: Số hộ được đào tạo
    measure: Hộ
    targets: {2021: 50%, 2022: 80%}
    of: tong-ho
    reported_by: [cac-don-vi]
    report: [weekly, monthly]
  - id: so-cho
    section: I
    name: Số chợ lên sàn
    measure: Chợ
    targets: {2021: 4}
    aggregate: last
    reported_by: [cac-don-vi]
    report: [weekly, monthly]
  - id: san-luong
    section: II
    section_title: Nhóm hai
    name: Sản lượng tiêu thụ
    measure: Tấn
    reported_by: [cac-don-vi]
    report: [monthly]
  - id: tong-ho
    name: Tổng số hộ
    measure: Hộ
    baseline: true
"""

AT = dt.datetime(2021, 12, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))


@pytest.fixture
def catalog(tmp_path):
    (tmp_path / "units.yaml").write_text(UNITS, encoding="utf-8")
    (tmp_path / "plan.yaml").write_text(PLAN, encoding="utf-8")
    loaded, errors = load_catalog([tmp_path], strict=True)
    assert not errors
    return loaded


def fig(indicator: str, unit: str, period: str, value: str, note: str | None = None) -> FigureRow:
    return FigureRow("thu-chi-tieu", indicator, unit, parse_period(period), Decimal(value), note, AT, "thu", 1)


def form(catalog, figures, period, **scope):
    return build_form(catalog.plans["thu-chi-tieu"], catalog, figures, parse_period(period), as_of=AT, **scope)


def row(built, indicator):
    return next(r for r in built.rows if r.indicator == indicator)


# ---------------------------------------------------------------- computation


def test_sum_adds_increments_and_last_keeps_the_latest_running_total(catalog):
    figures = [fig("ho-dao-tao", "so-a", "2021-W46", "100"), fig("ho-dao-tao", "so-a", "2021-W47", "150"),
               fig("so-cho", "so-a", "2021-W46", "2"), fig("so-cho", "so-a", "2021-W47", "3")]
    built = form(catalog, figures, "2021-W47", unit="so-a")
    trained, markets = row(built, "ho-dao-tao"), row(built, "so-cho")
    assert (trained.value, trained.cumulative) == (150, 250)  # increments: the week's, and their sum
    assert (markets.value, markets.cumulative) == (3, 3)  # running totals: the latest is the cumulative
    assert trained.growth == Decimal("0.5") and markets.growth == Decimal("0.5")


def test_last_carries_the_running_total_when_nothing_came_this_week(catalog):
    built = form(catalog, [fig("so-cho", "so-a", "2021-W45", "2")], "2021-W47", unit="so-a")
    markets = row(built, "so-cho")
    assert markets.value is None and markets.cumulative == 2 and markets.missing == ("so-a",)


def test_a_month_sums_its_weeks_by_their_thursday(catalog):
    # W44 (1-7/11) … W47 (22-28/11) are November's; W48 (29/11-5/12, Thursday 2/12) is December's,
    # W43 (25-31/10, Thursday 28/10) October's
    figures = [fig("ho-dao-tao", "so-a", week, "10") for week in ("2021-W43", "2021-W44", "2021-W45", "2021-W47", "2021-W48")]
    trained = row(form(catalog, figures, "2021-11", unit="so-a"), "ho-dao-tao")
    assert trained.value == 30 and trained.cumulative == 40  # October's W43 counts to date, W48 not yet
    assert trained.growth == Decimal(2)  # October: 10 -> November: 30


def test_a_months_own_figure_supersedes_its_weeks_never_both(catalog):
    figures = [fig("ho-dao-tao", "so-a", "2021-W45", "10"), fig("ho-dao-tao", "so-a", "2021-W46", "20"),
               fig("ho-dao-tao", "so-a", "2021-11", "35"), fig("ho-dao-tao", "so-a", "2021-10", "5")]
    trained = row(form(catalog, figures, "2021-11", unit="so-a"), "ho-dao-tao")
    assert trained.value == 35 and trained.cumulative == 40
    # the week's form still shows the week, and the month's figure is not counted before the month is over
    week = row(form(catalog, figures, "2021-W46", unit="so-a"), "ho-dao-tao")
    assert week.value == 20 and week.cumulative == 35  # October 5 + W45 10 + W46 20


def test_a_province_adds_its_reporting_units_and_lists_who_did_not_report(catalog):
    figures = [fig("ho-dao-tao", "so-a", "2021-W47", "100", note="2 lớp"), fig("ho-dao-tao", "buu-dien-a", "2021-W47", "40"),
               fig("ho-dao-tao", "so-b", "2021-W47", "999"),  # another province
               fig("so-cho", "buu-dien-a", "2021-W47", "1")]
    built = form(catalog, figures, "2021-W47", province="tinh-a")
    trained, markets = row(built, "ho-dao-tao"), row(built, "so-cho")
    assert trained.value == 140 and trained.missing == ()
    assert "Sở TTTT tỉnh A: 2 lớp" in trained.note
    assert markets.value == 1 and markets.missing == ("so-a",) and "chưa báo cáo: Sở TTTT tỉnh A" in markets.note
    assert [(u.unit, u.rows) for u in built.unreported] == [("so-a", ("I.2",))]
    assert built.unit_name == "tỉnh tinh-a"  # two reporting units: the province, not one of them


def test_growth_against_a_previous_zero_or_nothing_is_a_dash(catalog):
    figures = [fig("ho-dao-tao", "so-a", "2021-W46", "0"), fig("ho-dao-tao", "so-a", "2021-W47", "5"),
               fig("so-cho", "so-a", "2021-W47", "1")]
    built = form(catalog, figures, "2021-W47", unit="so-a")
    assert row(built, "ho-dao-tao").growth is None  # previous zero
    assert row(built, "so-cho").growth is None  # nothing the week before
    assert "—" in html_text(built) and "—" in csv_bytes(built).decode("utf-8-sig")


def test_completion_is_against_the_target_of_the_periods_year(catalog):
    figures = [fig("tong-ho", "so-a", "2021", "1000"), fig("tong-ho", "so-a", "2022", "2000"),
               fig("ho-dao-tao", "so-a", "2021-W50", "250"), fig("ho-dao-tao", "so-a", "2022-W02", "150"),
               fig("so-cho", "so-a", "2021-W50", "3")]
    in_2021 = form(catalog, figures, "2021-W50", unit="so-a")
    assert row(in_2021, "ho-dao-tao").completion == Decimal("0.5")  # 250 of 50% of 1000
    assert row(in_2021, "so-cho").completion == Decimal("0.75")  # 3 of an absolute 4
    in_2022 = form(catalog, figures, "2022-W02", unit="so-a")
    assert row(in_2022, "ho-dao-tao").completion == Decimal("0.25")  # 400 to date of 80% of 2000
    assert row(in_2022, "so-cho").completion is None  # no target for 2022: blank


def test_a_percent_target_sums_the_baseline_over_the_units_in_scope_and_says_when_it_is_missing(catalog):
    figures = [fig("tong-ho", "so-a", "2021", "600"), fig("tong-ho", "buu-dien-a", "2021", "400"),
               fig("ho-dao-tao", "so-a", "2021-11", "100"), fig("ho-dao-tao", "buu-dien-a", "2021-11", "150")]
    assert row(form(catalog, figures, "2021-11", province="tinh-a"), "ho-dao-tao").completion == Decimal("0.5")
    alone = row(form(catalog, figures[2:], "2021-11", province="tinh-a"), "ho-dao-tao")
    assert alone.completion is None and "chưa có số liệu gốc (tong-ho) năm 2021" in alone.note


def test_the_weekly_form_lists_only_weekly_rows_in_section_order(catalog):
    weekly = form(catalog, [], "2021-W47", unit="so-a")
    monthly = form(catalog, [], "2021-11", unit="so-a")
    assert [(g.key, g.title, [r.indicator for r in g.rows]) for g in weekly.groups] == [
        ("I", "Nhóm một", ["ho-dao-tao", "so-cho"])]
    assert [(g.key, [r.number for r in g.rows]) for g in monthly.groups] == [("I", ["1", "2"]), ("II", ["1"])]
    assert [u.rows for u in monthly.unreported] == [("I.1", "I.2", "II.1")]


def test_a_quarter_is_not_a_form(catalog):
    with pytest.raises(ValueError, match="tuần hoặc tháng"):
        form(catalog, [], "2021-Q4", unit="so-a")


# ---------------------------------------------------------------- writers

FIGURES = [fig("tong-ho", "so-a", "2021", "10000"), fig("ho-dao-tao", "so-a", "2021-W46", "1200"),
           fig("ho-dao-tao", "so-a", "2021-W47", "1500"), fig("san-luong", "so-a", "2021-11", "12.5")]


def test_xlsx_has_the_ministrys_layout_cells_merges_and_number_formats(catalog):
    built = form(catalog, FIGURES, "2021-11", unit="so-a")
    sheet = load_workbook(io.BytesIO(xlsx_bytes(built))).worksheets[0]
    assert sheet["A1"].value == "BÁO CÁO THÁNG" and sheet["A1"].font.bold
    assert sheet["A2"].value == "(Theo mẫu của văn bản số 9/KH-THU)"
    assert sheet["A3"].value == "Tháng 11/2021 (từ ngày 01/11/2021 đến ngày 30/11/2021)"
    assert sheet["A5"].value == "Tên đơn vị: Sở TTTT tỉnh A"
    assert [c.value for c in sheet[7]] == [
        "TT", "Chỉ tiêu", "Đơn vị tính", "Chỉ tiêu đạt được trong tháng (Số lượng)", "Tăng trưởng so với tháng trước (%)",
        "Chỉ tiêu đạt được lũy kế đến hiện tại (Số lượng)", "Tỉ lệ hoàn thành chỉ tiêu đến thời điểm hiện tại (%)",
        "Ghi chú thông tin bổ sung"]
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A1:H1", "A2:H2", "A3:H3", "A5:H5", "B8:H8", "B11:H11"} <= merged
    assert (sheet["A8"].value, sheet["B8"].value, sheet["B8"].font.bold) == ("I", "Nhóm một", True)
    assert (sheet["A11"].value, sheet["B11"].value) == ("II", "Nhóm hai")
    trained = [c.value for c in sheet[9]]
    assert trained[:4] == ["1", "Số hộ được đào tạo", "Hộ", 2700] and trained[4] == "—" and trained[5] == 2700
    assert trained[6] == pytest.approx(0.54)  # 2 700 of 50% of 10 000
    assert sheet["D9"].number_format == "#,##0" and sheet["F9"].number_format == "#,##0"
    assert sheet["G9"].number_format == "0.0%"
    assert sheet["D12"].value == 12.5 and sheet["D12"].number_format != "#,##0"  # tonnes keep their decimals
    assert sheet["B9"].alignment.wrap_text and sheet["H9"].alignment.wrap_text
    assert sheet.column_dimensions["B"].width > 40
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$7:$7"
    unreported = next(r for r in range(13, sheet.max_row + 1) if sheet.cell(r, 1).value == "ĐƠN VỊ CHƯA BÁO CÁO")
    assert sheet.cell(unreported + 2, 2).value == "Sở TTTT tỉnh A" and sheet.cell(unreported + 2, 3).value == "I.2"
    assert sheet.cell(sheet.max_row, 1).value == "Số liệu ghi nhận đến 09:00 01/12/2021."


def test_xlsx_growth_is_a_percent_cell_when_there_is_one(catalog):
    sheet = load_workbook(io.BytesIO(xlsx_bytes(form(catalog, FIGURES, "2021-W47", unit="so-a")))).worksheets[0]
    assert sheet["A1"].value == "BÁO CÁO TUẦN" and sheet["D7"].value == "Chỉ tiêu đạt được trong tuần (Số lượng)"
    assert sheet["E9"].value == pytest.approx(0.25) and sheet["E9"].number_format == "0.0%"


def test_csv_has_a_bom_and_the_forms_columns(catalog):
    data = csv_bytes(form(catalog, FIGURES, "2021-11", unit="so-a"))
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][0] == "TT" and rows[0][4] == "Tăng trưởng so với tháng trước (%)" and len(rows[0]) == 8
    assert rows[1][:2] == ["I", "Nhóm một"]
    assert rows[2][:7] == ["1", "Số hộ được đào tạo", "Hộ", "2700", "—", "2700", "54"]
    assert rows[5][:4] == ["1", "Sản lượng tiêu thụ", "Tấn", "12.5"]


def test_html_is_one_escaped_page_without_outside_resources(catalog):
    plan = catalog.plans["thu-chi-tieu"]
    hostile = plan.indicators[0].model_copy(update={"name": "<script>alert(1)</script>"})
    plan = dataclasses.replace(plan, indicators=(hostile, *plan.indicators[1:]))
    figures = [*FIGURES, fig("so-cho", "so-a", "2021-11", "1", note='<img src=x onerror="alert(2)">')]
    page = html_text(build_form(plan, catalog, figures, parse_period("2021-11"), unit="so-a", as_of=AT))
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img" not in page and "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in page
    assert "src=" not in page.replace("src=x", "") and "href=" not in page and "<link" not in page
    assert '<meta charset="utf-8">' in page and "2.700" in page and "54,0%" in page and "12,5" in page


def test_the_format_follows_the_extension(catalog):
    built = form(catalog, FIGURES, "2021-11", unit="so-a")
    assert form_bytes(built, "x.XLSX")[:2] == b"PK" and form_bytes(built, "x.csv")[:3] == b"\xef\xbb\xbf"
    assert form_bytes(built, "x.html").startswith(b"<!DOCTYPE html>")
    with pytest.raises(FormFormatError, match=r"\.xlsx, \.csv hoặc \.html, không phải '\.pdf'"):
        form_bytes(built, "bao-cao.pdf")
