"""A plan's compliance report (issue 13, part 3): counts per duty, unit and channel, the overdue with
days late, the units that did not report, the month matrix, the budget against `commplan spend`; its
XLSX, CSV, HTML and heat map; a golden month of 241/KH-UBND. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from browser import png_size
from cli_in_process import run_cli
from conftest import PLANS

from commplan.ledger import EvidenceInput, LedgerError
from commplan.ledger.compliance import ComplianceRow
from commplan.plan import load_catalog
from commplan.plan.model import BudgetLine
from commplan.reports import heat_map
from commplan.reports.compliance_files import stem, write_all, write_csv, write_html, write_xlsx
from commplan.reports.compliance_report import build, compliance_report
from commplan.status import Status

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PLAN = "thanh-hoa-241-2021"
GOLDEN = Path(__file__).parent / "golden"
NOVEMBER = (dt.date(2021, 11, 1), dt.date(2021, 11, 30))
AS_OF = dt.datetime(2021, 12, 5, 9, 0, tzinfo=VN)
BUDGET = (BudgetLine(obligation="bao-thanh-hoa-tin-bai-thang", amount=30_000_000, lead="so-tttt-thanh-hoa",
                     source="Ngân sách tỉnh năm 2021", note="Phụ lục dự toán, mục 1"),
          BudgetLine(obligation="truyen-thanh-co-so-tuan", amount=120_000_000))


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=VN)


@pytest.fixture
def november(ledger):
    """The seed plans, with November 2021 as a clerk would have entered it: Bưu điện's weekly report on time
    one week and late the next, Báo Thanh Hóa's article on time, one district's week excused, money spent."""
    catalog, errors = load_catalog([PLANS])
    assert errors == []
    ledger.sync(catalog, now=at("2021-11-01T08:00"), horizon=dt.date(2022, 12, 31))
    document = EvidenceInput(kind="document", document="bc-tuan.pdf")
    ledger.record_evidence("bao-cao-tuan", "buu-dien-thanh-hoa", document, on=at("2021-11-16T10:00"), now=at("2021-11-16T10:00"))
    ledger.record_evidence("bao-cao-tuan", "buu-dien-thanh-hoa", EvidenceInput(kind="document", document="bc-tuan-2.pdf"),
                           on=at("2021-11-26T10:00"), now=at("2021-11-26T10:00"))
    ledger.record_evidence("bao-thanh-hoa-tin-bai-thang", "bao-thanh-hoa",
                           EvidenceInput(kind="link", link="https://baothanhhoa.vn/nong-san-viet-1.htm"),
                           on=at("2021-11-20T09:00"), now=at("2021-11-20T09:00"))
    week = next(r for r in ledger.compliance_rows(PLAN, *NOVEMBER, as_of=AS_OF)
                if r.obligation == "truyen-thanh-co-so-tuan" and r.unit == "ubnd-h-muong-lat")
    ledger.excuse(week.id, "Lũ quét", now=at("2021-11-20T08:00"))
    ledger.record_spending("bao-thanh-hoa-tin-bai-thang", "12.500.000,50", dt.date(2021, 11, 20), note="PC 12/11",
                           actor="ke-toan", now=at("2021-11-21T08:00"))
    ledger.record_spending("bao-thanh-hoa-tin-bai-thang", Decimal("1000000"), dt.date(2021, 12, 2), now=at("2021-12-02T08:00"))
    ledger.record_spending("tin-bai-gui-so-tttt-thang", "2.000.000đ", dt.date(2021, 11, 5), now=at("2021-11-05T08:00"))
    return catalog


def report_of(ledger, catalog):
    return compliance_report(ledger, PLAN, *NOVEMBER, as_of=AS_OF, budget=BUDGET)


def test_counts_per_duty_unit_and_channel(ledger, november):
    report = report_of(ledger, november)
    assert report.shown_number == "241/KH-UBND"
    duties = {d.code: d.tally for d in report.by_duty}
    weekly = duties["bao-cao-tuan"]  # two units × the weeks due 17/11 and 24/11
    assert (weekly.owed, weekly.on_time, weekly.late, weekly.open, weekly.overdue) == (4, 1, 1, 0, 2)
    assert weekly.share_on_time == 0.25
    radio = duties["truyen-thanh-co-so-tuan"]
    assert radio.excused == 1 and radio.owed == radio.overdue == 26 * 3 + 2  # excused apart, outside "owed"
    units = {u.unit: u.tally for u in report.by_unit}
    assert (units["buu-dien-thanh-hoa"].on_time, units["buu-dien-thanh-hoa"].late) == (1, 1)
    assert units["bao-thanh-hoa"].on_time == 1 and units["bao-thanh-hoa"].share_on_time == 1.0
    channels = {c.channel: c for c in report.by_channel}
    assert channels["newspaper"].label == "báo" and channels["newspaper"].tally.on_time == 1
    assert channels[None].label == "không ghi kênh"  # the reports name no channel
    assert report.total.owed == sum(d.tally.owed for d in report.by_duty) == sum(u.tally.owed for u in report.by_unit)


def test_overdue_with_their_deadline_in_vietnam_time_and_days_late(ledger, november):
    report = report_of(ledger, november)
    first = report.overdue[0]  # the most late first
    assert (first.code, first.due.strftime("%H:%M %d/%m/%Y"), first.days_late) == (
        "ke-hoach-truyen-thong-nam", "23:59 12/11/2021", 23)
    assert first.due.utcoffset() == dt.timedelta(hours=7)
    viettel = [o for o in report.overdue if o.unit == "viettel-post-thanh-hoa" and o.code == "bao-cao-tuan"]
    assert [(o.due.date(), o.days_late) for o in viettel] == [(dt.date(2021, 11, 17), 18), (dt.date(2021, 11, 24), 11)]
    assert all(o.unit != "bao-thanh-hoa" for o in report.overdue)
    assert len(report.overdue) == report.total.overdue


def test_units_that_did_not_report(ledger, november):
    report = report_of(ledger, november)
    silent = {(s.unit, s.code): s.missed for s in report.silent}
    # Bưu điện sent its weekly reports (one late: it reported), not its monthly one; Viettel sent nothing
    assert silent == {("buu-dien-thanh-hoa", "bao-cao-thang"): 1, ("viettel-post-thanh-hoa", "bao-cao-thang"): 1,
                      ("viettel-post-thanh-hoa", "bao-cao-tuan"): 2}
    # a deadline not yet passed is not "did not report"
    early = compliance_report(ledger, PLAN, *NOVEMBER, as_of=at("2021-11-18T09:00"))
    assert {(s.unit, s.code) for s in early.silent} == {("viettel-post-thanh-hoa", "bao-cao-tuan")}


def test_month_matrix_over_two_months(ledger, november):
    report = compliance_report(ledger, PLAN, dt.date(2021, 11, 1), dt.date(2021, 12, 31), as_of=at("2021-12-10T09:00"))
    assert report.months == [dt.date(2021, 11, 1), dt.date(2021, 12, 1)]
    rows = {m.unit: m for m in report.matrix}
    paper = rows["bao-thanh-hoa"]
    assert paper.months[0].share_on_time == 1.0
    assert paper.months[1].share_on_time is None and paper.months[1].open == 1  # December's article: not yet due
    post = rows["buu-dien-thanh-hoa"]
    assert post.months[0].on_time == 1 and post.months[0].decided == 5
    assert post.total.on_time == 1


def test_budget_planned_against_spent(ledger, november):
    report = report_of(ledger, november)
    lines = {b.code: b for b in report.budget}
    paper = lines["bao-thanh-hoa-tin-bai-thang"]
    assert paper.planned == Decimal(30_000_000) and paper.spent == Decimal("12500000.50")  # 02/12 is after the period
    assert paper.remaining == Decimal("17499999.50") and paper.lead_name == "Sở Thông tin và Truyền thông tỉnh Thanh Hóa"
    assert paper.tally.on_time == 1
    assert lines["truyen-thanh-co-so-tuan"].spent is None  # nothing entered: shown as such, not as 0
    extra = lines["tin-bai-gui-so-tttt-thang"]  # spent on a duty with no budget line: still shown
    assert extra.planned is None and extra.spent == Decimal(2_000_000) and extra.title.startswith("Tin, bài")
    assert ledger.spent(PLAN) == {"bao-thanh-hoa-tin-bai-thang": Decimal("13500000.50"),
                                  "tin-bai-gui-so-tttt-thang": Decimal(2_000_000)}


def test_spend_is_audited_and_refuses_what_is_wrong(ledger, november):
    listed = ledger.spending_list(PLAN)
    assert (listed[0].obligation, listed[0].amount, listed[0].recorded_by) == (
        "tin-bai-gui-so-tttt-thang", Decimal(2_000_000), None)
    with pytest.raises(LedgerError, match="không có nhiệm vụ 'bao-thanh-hoa-tin-bai'"):
        ledger.record_spending("bao-thanh-hoa-tin-bai", "1000", dt.date(2021, 11, 1))
    for bad, words in (("0", "lớn hơn 0"), ("-5", "không phải một số tiền"), ("1e6", "không phải một số tiền"),
                       ("12.50.000", "không phải một số tiền"), ("1; DROP TABLE spending", "không phải một số tiền"),
                       ("99999999999999999", "vượt quá")):
        with pytest.raises(LedgerError, match=words):
            ledger.record_spending("bao-thanh-hoa-tin-bai-thang", bad, dt.date(2021, 11, 1))
    assert len(ledger.spending_list(PLAN)) == len(listed)  # nothing half-recorded


def test_commplan_spend_and_report_on_the_command_line(ledger_url, ledger, november, tmp_path):
    env = {"COMMPLAN_DATABASE_URL": ledger_url, "COMMPLAN_NOW": "2021-12-05T09:00:00+07:00", "COMMPLAN_LANG": "vi"}
    done = run_cli("spend", "bao-thanh-hoa-tin-bai-thang", "--amount", "3.000.000", "--on", "21/11/2021",
                   "--note", "PC 13", "--by", "ke-toan", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Đã ghi khoản chi #") and "3.000.000 đ ngày 21/11/2021" in done.stdout
    assert "tổng đã chi: 16.500.000,50 đ" in done.stdout
    unknown = run_cli("spend", "khong-co", "--amount", "5", "--on", "2021-11-21", env=env)
    assert unknown.returncode == 1 and unknown.stderr.startswith("lỗi: không có nhiệm vụ 'khong-co'")
    bad = run_cli("spend", "bao-cao-thang", "--amount", "năm triệu", "--on", "2021-11-21", env=env)
    assert bad.returncode == 1 and "'năm triệu' không phải một số tiền (VND)" in bad.stderr
    no_date = run_cli("spend", "bao-cao-thang", "--amount", "5", "--on", "31/02/2021", env=env)
    assert no_date.returncode == 2 and "'31/02/2021'" in no_date.stderr
    out = tmp_path / "bao-cao"
    run = run_cli("report", "compliance", "--plan", PLAN, "--from", "2021-11-01", "--to", "30/11/2021", "-o", str(out),
                  "--plans", str(PLANS), env=env)
    assert run.returncode == 0, run.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"tuan-thu-241-KH-UBND-2021-11.{ext}" for ext in ("csv", "html", "png", "xlsx")]
    assert run.stdout.startswith("Báo cáo tình hình thực hiện 241/KH-UBND, 01/11/2021–30/11/2021:")
    backwards = run_cli("report", "compliance", "--plan", PLAN, "--from", "2021-11-30", "--to", "2021-11-01", "-o",
                        str(out), env=env)
    assert backwards.returncode == 2
    wrong = run_cli("report", "compliance", "--plan", "thanh-hoa-241", "--from", "2021-11-01", "--to", "2021-11-30",
                    "-o", str(out), env=env)
    assert wrong.returncode == 1 and "không có kế hoạch 'thanh-hoa-241' (có phải 'thanh-hoa-241-2021'?)" in wrong.stderr


def test_the_workbook_has_a_sheet_per_part_with_formats(ledger, november, tmp_path):
    from openpyxl import load_workbook

    report = report_of(ledger, november)
    book = load_workbook(write_xlsx(report, tmp_path / "r.xlsx"))
    assert book.sheetnames == ["Tổng hợp theo nhiệm vụ", "Theo đơn vị", "Quá hạn", "Chưa báo cáo", "Theo kênh",
                               "Ma trận tháng", "Kinh phí"]
    duties = book["Tổng hợp theo nhiệm vụ"]
    assert duties["A1"].value == "Báo cáo tình hình thực hiện Kế hoạch 241/KH-UBND"
    assert duties["A2"].value == "241/KH-UBND, các hạn từ 01/11/2021 đến 30/11/2021, tình trạng lúc 09:00 05/12/2021"
    assert [c.value for c in duties[4]] == ["Mã nhiệm vụ", "Nhiệm vụ", "Loại", "Kênh", "Phải thực hiện",
                                            "Hoàn thành đúng hạn", "Hoàn thành quá hạn", "Trong hạn", "Quá hạn",
                                            "Miễn", "Tỉ lệ đúng hạn"]
    assert duties.freeze_panes == "A5"
    weekly = next(row for row in duties.iter_rows(min_row=5) if row[0].value == "bao-cao-tuan")
    assert [c.value for c in weekly[4:9]] == [4, 1, 1, 0, 2] and weekly[10].value == 0.25
    assert weekly[4].number_format == "#,##0" and weekly[10].number_format == "0.0%"
    assert duties.column_dimensions["B"].width > 30
    overdue = book["Quá hạn"]
    first = list(overdue[5])
    assert first[4].value == dt.datetime(2021, 11, 12, 23, 59, 59) and first[4].number_format == "hh:mm dd/mm/yyyy"
    assert first[5].value == 23
    money = book["Kinh phí"]
    paper = next(row for row in money.iter_rows(min_row=5) if row[0].value == "bao-thanh-hoa-tin-bai-thang")
    assert paper[4].value == 30_000_000 and paper[5].value == 12500000.5 and paper[6].value == 17499999.5
    assert paper[4].number_format == "#,##0" and paper[7].number_format == "0.0%"
    matrix = book["Ma trận tháng"]
    assert matrix["C4"].value == "11/2021" and matrix["D4"].value == "Cả kỳ"


def test_csv_has_a_bom_and_vietnamese_headings(ledger, november, tmp_path):
    report = report_of(ledger, november)
    path = write_csv(report, tmp_path / "r.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0] == ["Mã nhiệm vụ", "Nhiệm vụ", "Loại", "Kênh", "Mã đơn vị", "Đơn vị", "Phải thực hiện",
                       "Hoàn thành đúng hạn", "Hoàn thành quá hạn", "Trong hạn", "Quá hạn", "Miễn", "Tỉ lệ đúng hạn (%)"]
    post = next(r for r in rows if r[0] == "bao-cao-tuan" and r[4] == "buu-dien-thanh-hoa")
    assert post[5:] == ["Bưu điện tỉnh", "2", "1", "1", "0", "0", "0", "50.0"]
    assert len(rows) == 1 + len(report.by_duty_unit)


def test_html_escapes_names_and_notes(ledger, november, tmp_path):
    rows = ledger.compliance_rows(PLAN, *NOVEMBER, as_of=AS_OF)
    evil = '<script>alert("x")</script>'
    report = build(rows, plan=PLAN, number="241/KH-UBND", title=f"Kế hoạch {evil}", start=NOVEMBER[0], end=NOVEMBER[1],
                   as_of=AS_OF, names={"bao-thanh-hoa": f"Báo {evil}"},
                   budget=[BudgetLine(obligation="bao-cao-tuan", amount=1000, note=evil)])
    page = write_html(report, tmp_path / "r.html", b"\x89PNG fake").read_text(encoding="utf-8")
    assert "<script>" not in page
    assert "Báo &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert page.count("&lt;script&gt;") >= 3  # the name, the title, the budget note
    assert 'src="data:image/png;base64,iVBORyBmYWtl"' in page
    assert page.startswith("<!DOCTYPE html>") and '<html lang="vi">' in page and "<link" not in page


def _synthetic_rows(units: int) -> list[ComplianceRow]:
    """`units` communes, the i-th done on time in i of every 10 weeks over two months."""
    out: list[ComplianceRow] = []
    for unit in range(units):
        for week in range(8):
            due = dt.datetime(2021, 11, 7, 23, 59, tzinfo=VN) + dt.timedelta(weeks=week)
            status = Status.DONE_ON_TIME if week < unit % 9 else Status.OVERDUE
            out.append(ComplianceRow(len(out) + 1, "tin-tuan", "Tin tuần", "publish", "grassroots-radio",
                                     f"xa-{unit}", due, 1, int(status is Status.DONE_ON_TIME), status))
    return out


def test_heat_map_of_a_big_province_shows_the_worst_and_pools_the_rest(tmp_path):
    names = {f"xa-{i}": f"UBND xã Quảng Đức {i}" for i in range(100)}
    report = build(_synthetic_rows(100), plan="tinh-thu", number="12/KH-UBND", title="Kế hoạch", start=dt.date(2021, 11, 1),
                   end=dt.date(2021, 12, 31), as_of=at("2022-01-10T09:00"), names=names)
    rows = heat_map.rows_of(report)
    assert len(rows) == heat_map.MAX_ROWS
    assert rows[0].total == 0.0 and rows[-1].label == "Các đơn vị khác (61 đơn vị)"
    named = {r.label for r in rows[:-1]}
    shown = [m.total.share_on_time or 0 for m in report.matrix if m.name in named]
    pooled = [m.total.share_on_time or 0 for m in report.matrix if m.name not in named]
    assert len(pooled) == 61 and max(shown) <= min(pooled)  # the worst are named: no better unit is, no worse is pooled
    data = heat_map.render_heat_map(report)
    path = tmp_path / "heat.png"
    path.write_bytes(data)
    assert png_size(path) == heat_map.figure_size(heat_map.MAX_ROWS) == (1100, 1540)
    if os.environ.get("COMMPLAN_KEEP_HEAT_MAP"):  # to look at it: COMMPLAN_KEEP_HEAT_MAP=/tmp/x.png
        Path(os.environ["COMMPLAN_KEEP_HEAT_MAP"]).write_bytes(data)


def test_all_four_files_and_the_heat_map_of_241(ledger, november, tmp_path):
    from PIL import Image

    report = report_of(ledger, november)
    files = write_all(report, tmp_path)
    assert [f.name for f in files] == [f"{stem(report)}.{ext}" for ext in ("xlsx", "csv", "png", "html")]
    assert stem(report) == "tuan-thu-241-KH-UBND-2021-11"
    png = files[2]
    assert png_size(png) == heat_map.figure_size(len(report.matrix))
    with Image.open(png) as image:
        image.verify()  # a whole, valid PNG, not only its header
    with Image.open(png) as image:
        counted = image.convert("RGB").getcolors(maxcolors=1_000_000) or []
    colours = [(int(c[0]), int(c[1]), int(c[2])) for _n, c in counted if isinstance(c, tuple)]
    assert any(r > 150 and g < 80 and b < 80 for r, g, b in colours)  # red cells: overdue units
    assert any(g > 150 and r < 80 for r, g, b in colours)  # green: Báo Thanh Hóa, all on time
    if os.environ.get("COMMPLAN_KEEP_HEAT_MAP"):
        Path(os.environ["COMMPLAN_KEEP_HEAT_MAP"]).with_suffix(".241.png").write_bytes(png.read_bytes())


def test_golden_month_of_241(ledger, november, tmp_path):
    """November 2021 of 241/KH-UBND as the CSV and the HTML page (without the picture: matplotlib's
    pixels are not ours to pin), byte for byte but for the occurrences' numbers (#2250: each engine
    numbers its rows). COMMPLAN_UPDATE_GOLDEN=1 rewrites them."""
    report = report_of(ledger, november)
    produced = {"tuan-thu-241-KH-UBND-2021-11.csv": write_csv(report, tmp_path / "r.csv").read_bytes(),
                "tuan-thu-241-KH-UBND-2021-11.html": re.sub(rb">#\d+<", b">#N<",
                                                            write_html(report, tmp_path / "r.html").read_bytes())}
    for name, data in produced.items():
        if os.environ.get("COMMPLAN_UPDATE_GOLDEN"):
            (GOLDEN / name).write_bytes(data)
        assert data == (GOLDEN / name).read_bytes(), name
