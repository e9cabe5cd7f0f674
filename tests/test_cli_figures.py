"""`commplan figure` as a clerk of a Sở TTTT uses it on the seed plans 2980 and 211 (both databases): a
week's figure typed, corrected, listed; a file of figures imported from Excel or CSV, and a file with bad
rows refused whole, each bad row named by its number and column, unless --skip-bad-rows."""

from __future__ import annotations

import subprocess

import pytest
from cli_in_process import run_cli

PLAN = "bo-tttt-2980-2021"
UNITS = ["plans/units/bo-tttt.yaml", "plans/units/hau-giang.yaml", "plans/units/ha-tinh.yaml",
         "plans/units/thanh-hoa.yaml"]
HEADER = ("Đơn vị", "Chỉ tiêu", "Kỳ", "Giá trị", "Ghi chú")


@pytest.fixture
def run(ledger_url, tmp_path):
    env = {"COMMPLAN_DATABASE_URL": ledger_url, "COMMPLAN_DATA_DIR": str(tmp_path / "data"),
           "COMMPLAN_USER": "chuyen-vien", "COMMPLAN_NOW": "2021-12-02T10:00:00+07:00"}

    def commplan(*args: str, at: str | None = None) -> subprocess.CompletedProcess:
        # each command starts the clock at COMMPLAN_NOW again: a correction is made later, `at`
        return run_cli(*args, env={**env, "COMMPLAN_NOW": at} if at else env)

    units = [arg for path in UNITS for arg in ("--units", path)]
    synced = commplan("sync", "plans/bo-tttt", "plans/hau-giang", *units, "--horizon", "2022-12-31")
    assert synced.returncode == 0, synced.stderr
    return commplan


def test_a_week_figure_typed_then_corrected_then_listed(run):
    typed = run("figure", "ho-co-gian-hang-tren-san", "--unit", "so-tttt-ha-tinh", "--period", "2021-W47",
                "--value", "1.250", "--plan", PLAN)
    assert typed.returncode == 2 and typed.stderr == (
        "lỗi: '1.250' không rõ là 1250 hay 1,250: viết 1250 (không có dấu phân cách hàng nghìn), hoặc 1,250 nếu là "
        "số thập phân\n")
    first = run("figure", "ho-co-gian-hang-tren-san", "--unit", "so-tttt-ha-tinh", "--period", "2021-w47",
                "--value", "1250")
    assert first.returncode == 0, first.stderr
    what = "ho-co-gian-hang-tren-san của so-tttt-ha-tinh, kỳ 2021-W47 (22/11/2021–28/11/2021), kế hoạch " + PLAN
    assert first.stdout == f"Đã ghi số liệu {what}: 1.250 Hộ.\n"
    again = run("figure", "ho-co-gian-hang-tren-san", "--unit", "so-tttt-ha-tinh", "--period", "2021-W47",
                "--value", "1250")
    assert again.stdout == f"Đã có số liệu này: {what} là 1.250 Hộ (không thay đổi).\n"
    fixed = run("figure", "ho-co-gian-hang-tren-san", "--unit", "so-tttt-ha-tinh", "--period", "2021-W47",
                "--value", "1.305,5", "--note", "cộng thêm huyện Kỳ Anh", "--by", "Trần B", at="2021-12-02T11:00:00+07:00")
    assert fixed.stdout == f"Đã sửa số liệu {what}: 1.305,5 Hộ (sửa lần 1; trước đó là 1.250).\n"

    listed = run("figure", "list", "--plan", PLAN, "--period", "2021-W47")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["Kỳ", "Chỉ", "tiêu", "Đơn", "vị", "Giá", "trị", "Lần", "Ghi", "lúc", "Người", "ghi",
                                "Ghi", "chú"]
    assert lines[1].split() == ["2021-W47", "ho-co-gian-hang-tren-san", "so-tttt-ha-tinh", "1.305,5", "Hộ", "2",
                                "11:00", "02/12/2021", "Trần", "B", "cộng", "thêm", "huyện", "Kỳ", "Anh"]
    assert lines[2:] == ["1 số liệu."]


@pytest.mark.parametrize(("args", "code", "message"), [
    (("ho-co-gian-hang-tren-san", "--unit", "so-tttt-ha-tinh", "--period", "2021-W47"), 2,
     "lỗi: nhập số liệu cần có --value\n"),
    (("ho-co-gian-hang-tren-san", "--unit", "so-tttt-ha-tinh", "--period", "tuần 47", "--value", "3"), 2,
     "lỗi: 'tuần 47' không phải là một kỳ: hãy viết tuần 2021-W47"),
    (("ho-co-gian-hang-tren-san", "--unit", "so-tttt-ha-tinh", "--period", "2021-W47", "--value", "ba"), 2,
     "lỗi: 'ba' không phải là số: hãy viết như 120, 12,5 hoặc 1.234,5\n"),
    (("ho-co-gian-hang-tren-san", "--unit", "buu-dien-hau-giang", "--period", "2021-W47", "--value", "3"), 1,
     "lỗi: kỳ 2021-W47 (22/11/2021–28/11/2021) nằm ngoài thời gian của kế hoạch hau-giang-211-2021"),
    (("ho-co-gian-hang-tren-sann", "--unit", "so-tttt-ha-tinh", "--period", "2021-W47", "--value", "3"), 1,
     "lỗi: không có chỉ tiêu 'ho-co-gian-hang-tren-sann' (có phải 'ho-co-gian-hang-tren-san'"),
    (("list",), 2, "lỗi: hãy ghi kế hoạch: commplan figure list --plan MÃ\n"),
])
def test_each_mistake_on_the_command_line_is_one_vietnamese_line(run, args, code, message):
    done = run("figure", *args)
    assert done.returncode == code and done.stderr.startswith(message), done.stderr
    assert run("figure", "list", "--plan", PLAN).stdout == "Kỳ  Chỉ tiêu  Đơn vị  Giá trị  Lần  Ghi lúc  Người ghi  Ghi chú\n0 số liệu.\n"


def _xlsx(path, rows):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return str(path)


def _csv(path, rows, delimiter=";"):
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(delimiter.join(map(str, r)) for r in rows).encode())
    return str(path)


GOOD = [
    HEADER,
    ("so-tttt-ha-tinh", "ho-dao-tao-ky-nang-so", "2021-W47", 120, "Cẩm Xuyên"),
    ("so-tttt-ha-tinh", "ho-co-gian-hang-tren-san", "2021-W47", 45.5, None),
    ("so-tttt-hau-giang", "ho-dao-tao-ky-nang-so", "2021-W47", "1.234,5", None),
    ("so-tttt-ha-tinh", "tong-ho-sxnn", 2021, 72500, "Cục Thống kê"),
]


def test_an_excel_file_is_imported_row_by_row(run, tmp_path):
    done = run("figure", "import", _xlsx(tmp_path / "tuan47.xlsx", GOOD), "--by", "Văn thư Sở")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Đã nhập 4 số liệu (0 sửa, 0 không đổi) từ tuan47.xlsx.\n"
    listed = run("figure", "list", "--plan", PLAN).stdout.splitlines()
    assert [line.split()[:5] for line in listed[1:-1]] == [
        ["2021", "tong-ho-sxnn", "so-tttt-ha-tinh", "72.500", "Hộ"],
        ["2021-W47", "ho-co-gian-hang-tren-san", "so-tttt-ha-tinh", "45,5", "Hộ"],
        ["2021-W47", "ho-dao-tao-ky-nang-so", "so-tttt-ha-tinh", "120", "Hộ"],
        ["2021-W47", "ho-dao-tao-ky-nang-so", "so-tttt-hau-giang", "1.234,5", "Hộ"]]
    again = run("figure", "import", _xlsx(tmp_path / "tuan47-sua.xlsx", [*GOOD[:4], (*GOOD[4][:3], 73000, "sửa")]),
                at="2021-12-03T08:00:00+07:00")
    assert again.stdout == "Đã nhập 1 số liệu (1 sửa, 3 không đổi) từ tuan47-sua.xlsx.\n"


def test_a_csv_with_bom_and_english_headers_is_imported_and_a_dry_run_writes_nothing(run, tmp_path):
    rows = [("unit", "indicator", "period", "value", "note", "plan"),
            ("so-tttt-ha-tinh", "ho-dao-tao-ky-nang-so", "2021-11", "12,5", "", PLAN)]
    checked = run("figure", "import", _csv(tmp_path / "thang11.csv", rows), "--dry-run")
    assert checked.stdout == "Đã kiểm tra thang11.csv, chưa ghi gì: sẽ ghi 1 số liệu (0 sửa, 0 không đổi).\n"
    assert run("figure", "list", "--plan", PLAN).stdout.endswith("0 số liệu.\n")
    split = run("figure", "import", _csv(tmp_path / "thang11.csv", rows, delimiter=","))
    assert split.returncode == 1 and split.stderr.splitlines()[1] == (  # "12,5": two cells, never read as 12
        "  dòng 2: dòng này có nhiều ô hơn dòng tiêu đề: dấu phẩy thập phân trong tệp phân cách bằng dấu phẩy? "
        "Hãy phân cách các ô bằng dấu ; hoặc đặt số trong dấu ngoặc kép")
    done = run("figure", "import", _csv(tmp_path / "thang11.csv", rows))
    assert done.stdout == "Đã nhập 1 số liệu (0 sửa, 0 không đổi) từ thang11.csv.\n"
    assert "2021-11  ho-dao-tao-ky-nang-so  so-tttt-ha-tinh  12,5 Hộ" in run("figure", "list", "--plan", PLAN).stdout


BAD = [
    HEADER,
    ("so-tttt-ha-tinh", "ho-dao-tao-ky-nang-so", "2021-W47", 120, None),  # good
    ("so-tttt-ha-tinh", "ho-dao-tao-ky-nang-so", "2021-W46", "một trăm", None),
    ("so-tttt-ha-tinhh", "ho-dao-tao-ky-nang-so", "2021-W47", 5, None),
    ("so-tttt-ha-tinh", "ho-dao-tao", "2021-W47", 5, None),
    ("so-tttt-ha-tinh", "ho-dao-tao-ky-nang-so", "2021-W47", 121, None),
    ("so-tttt-ha-tinh", "ho-co-gian-hang-tren-san", "2022-W03", 5, None),
    ("so-tttt-ha-tinh", "ho-co-gian-hang-tren-san", "2021-W99", 5, None),
    ("so-tttt-hau-giang", "ho-co-gian-hang-tren-san", "2021-W46", 7, None),  # good
    ("so-tttt-ha-tinh", "ho-co-gian-hang-tren-san", "2021-W45", None, None),
]
PROBLEMS = [
    "  dòng 3, cột “Giá trị”: 'một trăm' không phải là số: hãy viết như 120, 12,5 hoặc 1.234,5",
    "  dòng 4, cột “Đơn vị”: không có đơn vị 'so-tttt-ha-tinhh' (có phải 'so-tttt-ha-tinh'",
    "  dòng 5, cột “Chỉ tiêu”: không có chỉ tiêu 'ho-dao-tao' (có phải 'ho-dao-tao-ky-nang-so'",
    "  dòng 6: trùng đơn vị, chỉ tiêu và kỳ với dòng 2: mỗi số liệu chỉ ghi một lần",
    ("  dòng 7, cột “Kỳ”: kỳ 2022-W03 (17/01/2022–23/01/2022) nằm ngoài thời gian của kế hoạch bo-tttt-2980-2021 "
     "(06/08/2021–31/12/2021)"),
    "  dòng 8, cột “Kỳ”: '2021-W99' không phải là một kỳ",
    "  dòng 10, cột “Giá trị”: ô trống",
]


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_file_with_bad_rows_imports_nothing_unless_they_are_skipped(run, tmp_path, kind):
    path = _xlsx(tmp_path / "sai.xlsx", BAD) if kind == "xlsx" else _csv(
        tmp_path / "sai.csv", [["" if c is None else c for c in r] for r in BAD])
    name = path.rsplit("/", 1)[1]
    refused = run("figure", "import", path)
    assert refused.returncode == 1 and refused.stdout == ""
    lines = refused.stderr.splitlines()
    assert lines[0] == (f"lỗi: {name} có 7 dòng lỗi; chưa nhập gì (sửa các dòng này, hoặc chỉ nhập các dòng đúng "
                        "với --skip-bad-rows):")
    assert len(lines) == 8 and all(line.startswith(p) for line, p in zip(lines[1:], PROBLEMS, strict=True)), lines
    assert run("figure", "list", "--plan", PLAN).stdout.endswith("0 số liệu.\n")

    skipped = run("figure", "import", path, "--skip-bad-rows")
    assert skipped.returncode == 0, skipped.stderr
    out = skipped.stdout.splitlines()
    assert out[:2] == [f"Đã nhập 2 số liệu (0 sửa, 0 không đổi) từ {name}.", "Bỏ qua 7 dòng lỗi:"]
    assert all(line.startswith(p) for line, p in zip(out[2:], PROBLEMS, strict=True))
    listed = run("figure", "list", "--plan", PLAN).stdout
    assert listed.endswith("2 số liệu.\n") and "so-tttt-hau-giang  7 Hộ" in listed and "120 Hộ" in listed


def test_a_file_that_is_not_figures_is_refused_in_one_line(run, tmp_path):
    (tmp_path / "a.txt").write_text("x")
    assert run("figure", "import", str(tmp_path / "a.txt")).stderr == "lỗi: a.txt: chỉ nhập số liệu từ tệp .xlsx hoặc .csv\n"
    (tmp_path / "b.xlsx").write_text("not a zip")
    assert run("figure", "import", str(tmp_path / "b.xlsx")).stderr == "lỗi: b.xlsx không phải tệp Excel (.xlsx)\n"
    headless = _csv(tmp_path / "c.csv", [("Đơn vị", "Chỉ tiêu", "Giá trị"), ("a", "b", "1")])
    assert run("figure", "import", headless).stderr == (
        "lỗi: c.csv, dòng 1: dòng tiêu đề thiếu cột kỳ (đặt tên cột là đơn vị/unit, chỉ tiêu/indicator, kỳ/period, "
        "giá trị/value)\n")
    (tmp_path / "d.csv").write_bytes("Đơn vị;Kỳ\n".encode("cp1258", errors="replace"))
    assert run("figure", "import", str(tmp_path / "d.csv")).stderr == (
        'lỗi: d.csv không phải văn bản UTF-8: hãy lưu dạng "CSV UTF-8"\n')
