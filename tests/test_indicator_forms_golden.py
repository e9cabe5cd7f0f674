"""The 2980 forms end to end: figures entered in the ledger (corrections and all), then `commplan report
weekly|monthly` writes Thanh Hóa's week 47 and November 2021 as CSV, HTML and XLSX. Golden files under
tests/golden/ hold the CSV and HTML byte for byte and the XLSX as a dump of its cells, number formats and
merged ranges, so that any change to the forms shows as a reviewable diff. COMMPLAN_UPDATE_GOLDEN=1
rewrites them."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest
from cli_in_process import run_cli
from conftest import PLANS
from openpyxl import load_workbook

from commplan.figures import parse_period
from commplan.plan import load_catalog

GOLDEN = Path(__file__).parent / "golden"
PLAN = "bo-tttt-2980-2021"
SO = "so-tttt-thanh-hoa"
VN = dt.timezone(dt.timedelta(hours=7))


def at(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).replace(tzinfo=VN)


@pytest.fixture
def entered(ledger):
    """Thanh Hóa's figures for October and November 2021, as a Sở enters them week by week."""
    catalog, errors = load_catalog([PLANS])
    assert errors == []
    ledger.sync(catalog, now=at("2021-10-01T08:00"), horizon=dt.date(2021, 12, 31))

    def put(indicator: str, period: str, value: str, when: str, note: str | None = None) -> None:
        ledger.record_figure(PLAN, indicator, SO, parse_period(period), Decimal(value), note=note, actor="so-tttt",
                             now=at(when))

    put("tong-ho-sxnn", "2021", "412000", "2021-10-04T09:00")
    put("ho-dao-tao-ky-nang-so", "2021-10", "5000", "2021-10-25T10:00")
    for week, value in (("2021-W44", "900"), ("2021-W45", "1200"), ("2021-W46", "1500")):
        put("ho-dao-tao-ky-nang-so", week, value, "2021-11-18T10:00")
    put("ho-dao-tao-ky-nang-so", "2021-W47", "1800", "2021-11-25T09:00", note="12 lớp tại 6 huyện")
    put("ho-dao-tao-dong-goi-giao-nhan", "2021-W46", "0", "2021-11-18T10:00")
    put("ho-dao-tao-dong-goi-giao-nhan", "2021-W47", "350", "2021-11-25T09:00")
    put("ho-co-gian-hang-tren-san", "2021-W47", "900", "2021-11-25T09:00")
    put("ho-co-gian-hang-tren-san", "2021-W47", "950", "2021-11-25T11:00")  # a correction before the form
    put("ho-co-gian-hang-tren-san", "2021-W47", "1000", "2021-11-26T08:00")  # after it: not on the form
    put("ho-co-tai-khoan-thanh-toan", "2021-W46", "400", "2021-11-18T10:00")
    put("ho-co-tai-khoan-thanh-toan", "2021-W47", "300", "2021-11-25T09:00")
    put("san-luong-tieu-thu-qua-san", "2021-W47", "12.5", "2021-11-25T09:00")
    put("thi-truong-trong-nuoc", "2021-W47", "5", "2021-11-25T09:00",
        note="Miền Bắc: Hà Nội, Hải Phòng; Miền Trung: Đà Nẵng; Miền Nam: TP. Hồ Chí Minh, Cần Thơ")
    put("hang-muc-thong-tin-cung-cap", "2021-11", "24", "2021-11-24T16:00")
    return ledger


def xlsx_dump(path: Path) -> str:
    sheet = load_workbook(path).worksheets[0]
    lines = [f"sheet {sheet.title}; print titles {sheet.print_title_rows}; {sheet.page_setup.orientation}",
             "merged " + " ".join(sorted(str(r) for r in sheet.merged_cells.ranges))]
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is not None:
                shown = f"{cell.value!r}" + (f" [{cell.number_format}]" if cell.number_format != "General" else "")
                lines.append(f"{cell.coordinate}{' bold' if cell.font.bold else ''}: {shown}")
    return "\n".join(lines) + "\n"


def check_golden(name: str, data: bytes) -> None:
    golden = GOLDEN / name
    if os.environ.get("COMMPLAN_UPDATE_GOLDEN"):
        golden.write_bytes(data)
    assert data == golden.read_bytes(), f"{name} differs from its golden file (COMMPLAN_UPDATE_GOLDEN=1 to rewrite)"


@pytest.mark.parametrize(("kind", "flag", "period", "as_of"), [
    ("weekly", "--week", "2021-W47", "2021-11-25T13:00"),  # Thursday, before 14:00
    ("monthly", "--month", "2021-11", "2021-11-25T13:00"),  # the 25th, before 14:00
])
def test_the_2980_forms_of_thanh_hoa_match_their_golden_files(entered, ledger_url, tmp_path, kind, flag, period, as_of):
    name = f"2980-thanh-hoa-{period}"
    for suffix in ("csv", "html", "xlsx"):
        out = tmp_path / f"{name}.{suffix}"
        done = run_cli("report", kind, "--plan", PLAN, flag, period, "--province", "thanh-hoa", "--as-of", as_of,
                       "-o", str(out), "--plans", str(PLANS), "--database", ledger_url)
        assert done.returncode == 0, done.stderr
        assert "chưa báo cáo" in done.stdout
        data = xlsx_dump(out).encode("utf-8") if suffix == "xlsx" else out.read_bytes()
        check_golden(f"{name}.{suffix}" + (".txt" if suffix == "xlsx" else ""), data)


def test_the_weekly_form_shows_the_correction_recorded_by_as_of(entered, ledger_url, tmp_path):
    out = tmp_path / "tuan.csv"
    for as_of, expected in (("2021-11-25T13:00", "950"), ("2021-11-26T09:00", "1000")):
        done = run_cli("report", "weekly", "--plan", PLAN, "--week", "2021-W47", "--unit", SO, "--as-of", as_of,
                       "-o", str(out), "--plans", str(PLANS), "--database", ledger_url)
        assert done.returncode == 0, done.stderr
        shop = next(line for line in out.read_text(encoding="utf-8-sig").splitlines() if "gian hàng" in line)
        assert shop.split(",")[3] == expected


def test_report_refuses_what_it_cannot_write(entered, ledger_url, tmp_path):
    def report(*args: str):
        return run_cli("report", *args, "--plans", str(PLANS), "--database", ledger_url)

    bad = report("weekly", "--plan", PLAN, "--week", "2021-W47", "--unit", SO, "-o", tmp_path / "x.pdf")
    assert bad.returncode == 2 and bad.stderr.startswith("lỗi: ") and ".xlsx, .csv hoặc .html" in bad.stderr
    assert not (tmp_path / "x.pdf").exists()
    month = report("weekly", "--plan", PLAN, "--week", "2021-11", "--unit", SO, "-o", tmp_path / "x.csv")
    assert month.returncode == 2 and "không phải là một tuần" in month.stderr
    unknown = report("monthly", "--plan", PLAN, "--month", "2021-11", "--unit", "so-khong-co", "-o", tmp_path / "x.csv")
    assert unknown.returncode == 2 and "không có đơn vị 'so-khong-co'" in unknown.stderr
    no_plan = report("monthly", "--plan", "khong-co", "--month", "2021-11", "--province", "thanh-hoa", "-o", tmp_path / "x.csv")
    assert no_plan.returncode == 2 and "không có kế hoạch 'khong-co'" in no_plan.stderr
    both = report("monthly", "--plan", PLAN, "--month", "2021-11", "--unit", SO, "--province", "thanh-hoa",
                  "-o", tmp_path / "x.csv")
    assert both.returncode == 2
