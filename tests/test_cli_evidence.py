"""Evidence on the command line as a clerk uses it, on the bundled plans: a late report recorded with its
real date, listed, withdrawn and replayed; items that count once; one clear line per mistake (both databases)."""

from __future__ import annotations

import json
import subprocess

import pytest
from cli_in_process import run_cli

DOCUMENT = "Báo cáo tháng 10/2021 số 215/BC-STTTT"


@pytest.fixture
def run(ledger_url, tmp_path):
    env = {"COMMPLAN_DATABASE_URL": ledger_url, "COMMPLAN_DATA_DIR": str(tmp_path / "data"), "COMMPLAN_USER": "chuyen-vien"}

    def commplan(*args: str) -> subprocess.CompletedProcess:
        return run_cli(*args, env=env)

    assert commplan("sync", "plans/").returncode == 0
    return commplan


def october_report(run, *as_of: str) -> dict:
    """Thanh Hóa's Sở TTTT's monthly report on plan 1034 for October 2021 (due 25/10/2021 14:00)."""
    listing = run("status", *as_of, "--unit", "so-tttt-thanh-hoa", "--plan", "bo-tttt-2980-2021", "--format", "json")
    assert listing.returncode == 0, listing.stderr
    return next(r for r in json.loads(listing.stdout)
                if r["obligation"] == "bao-cao-thang-kh1034" and r["window_start"] == "2021-10-01")


def test_a_late_report_recorded_with_its_real_date_then_withdrawn(run):
    october = october_report(run, "--as-of", "2021-11-10")
    assert (october["status"], october["due"]) == ("overdue", "2021-10-25T14:00:00+07:00")
    ident = str(october["id"])
    window = f"kỳ thực hiện #{ident} (01/10/2021–31/10/2021)"

    recorded = run("record", "bao-cao-thang-kh1034", "--unit", "so-tttt-thanh-hoa", "--occurrence", ident,
                   "--on", "02/11/2021", "--document", DOCUMENT)
    assert recorded.returncode == 0, recorded.stderr
    assert recorded.stdout == f"Đã ghi nhận minh chứng #1, ngày 02/11/2021, cho {window}.\nĐã nộp 1/1: hoàn thành quá hạn.\n"
    assert october_report(run, "--as-of", "2021-11-10")["status"] == "done-late"
    assert october_report(run, "--as-of", "2021-11-01")["status"] == "overdue"  # sent on the 2nd

    again = run("record", "bao-cao-thang-kh1034", "--unit", "so-tttt-thanh-hoa", "--occurrence", ident,
                "--on", "2021-11-03", "--document", "  báo cáo tháng 10/2021  số 215/BC-STTTT")
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(f"Minh chứng này đã được ghi nhận (#1) cho {window}: chỉ tính một lần.\n")

    table = run("evidence", "list", "--unit", "so-tttt-thanh-hoa")
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[0].split() == ["#", "Ngày", "Đơn", "vị", "Nhiệm", "vụ", "Kỳ", "Loại", "Minh", "chứng",
                                                    "Nguồn", "Người", "ghi", "nhận", "Tình", "trạng"]
    assert f"#{ident} 01/10–31/10/2021  văn bản  {DOCUMENT}  nhập tay  chuyen-vien     còn hiệu lực" in table.stdout
    assert table.stdout.endswith("\n1 minh chứng.\n")

    withdrawn = run("evidence", "withdraw", "1", "--reason", "Nhập nhầm: báo cáo này là của tháng 11", "--by", "Trần B")
    assert withdrawn.returncode == 0, withdrawn.stderr
    assert withdrawn.stdout == (f"Đã thu hồi minh chứng #1 (văn bản {DOCUMENT}) của {window}. "
                                "Lý do: Nhập nhầm: báo cáo này là của tháng 11\nĐã nộp 0/1: quá hạn, chưa hoàn thành.\n")
    assert october_report(run)["status"] == "overdue"
    assert october_report(run, "--as-of", "2021-11-10")["status"] == "overdue"  # a mistake never counts for 2021

    [item] = json.loads(run("evidence", "list", "--occurrence", ident, "--format", "json").stdout)
    assert (item["kind"], item["value"], item["occurred_at"], item["withdrawn"], item["withdrawn_by"],
            item["withdraw_reason"]) == ("document", DOCUMENT, "2021-11-02T00:00:00+07:00", True, "Trần B",
                                         "Nhập nhầm: báo cáo này là của tháng 11")
    # a replay of a moment while it was in the ledger still counts it
    assert october_report(run, "--as-of", item["recorded_at"])["status"] == "done-late"
    listed = run("evidence", "list", "--occurrence", ident).stdout
    assert "đã thu hồi" in listed and "(Trần B): Nhập nhầm" in listed and "1 minh chứng, 1 đã thu hồi." in listed

    twice = run("evidence", "withdraw", "1", "--reason", "lần hai")
    assert twice.returncode == 1 and twice.stderr.startswith("lỗi: minh chứng #1 đã được thu hồi lúc ")
    assert twice.stderr.endswith(" bởi Trần B (lý do: Nhập nhầm: báo cáo này là của tháng 11)\n")
    unknown = run("evidence", "withdraw", "42", "--reason", "x")
    assert (unknown.returncode, unknown.stderr) == (1, "lỗi: không có minh chứng #42\n")
    blank = run("evidence", "withdraw", "1", "--reason", "   ")
    assert (blank.returncode, blank.stderr) == (1, "lỗi: thu hồi minh chứng cần có lý do (--reason)\n")
    far = run("record", "bao-cao-thang-kh1034", "--unit", "so-tttt-thanh-hoa", "--occurrence", ident,
              "--on", "02/11/2023", "--document", DOCUMENT)
    assert (far.returncode, far.stderr) == (1, (f"lỗi: ngày 02/11/2023 cách kỳ thực hiện #{ident} (01/10/2021–31/10/2021) "
                                               "hơn một năm: kiểm tra lại số kỳ (--occurrence) hoặc ghi ngày thật bằng --on\n"))


def test_links_count_once_in_their_normal_form_and_bad_items_get_one_clear_line(run):
    def record(*args: str) -> subprocess.CompletedProcess:
        return run("record", "bao-cao-thang-kh1034", "--unit", "so-tttt-thanh-hoa", *args)

    first = record("--on", "31/10/2021 23:00", "--link", "HTTPS://Stttt.ThanhHoa.gov.vn:443/tin/bao-cao-10/#dau")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("Đã ghi nhận minh chứng #1, lúc 23:00 ngày 31/10/2021, cho kỳ thực hiện #")
    for variant in (" https://stttt.thanhhoa.gov.vn/tin/bao-cao-10 ", "https://STTTT.thanhhoa.gov.vn/tin/bao-cao-10/"):
        again = record("--on", "30/10/2021", "--link", variant)
        assert again.returncode == 0 and "chỉ tính một lần." in again.stdout and "Đã nộp 1/1" in again.stdout
    [item] = json.loads(run("evidence", "list", "--plan", "bo-tttt-2980-2021", "--format", "json").stdout)
    assert item["value"] == "https://stttt.thanhhoa.gov.vn/tin/bao-cao-10"

    for args, message in [
        (("--link", "javascript:alert(1)"), "lỗi: đường dẫn 'javascript:alert(1)' phải bắt đầu bằng http:// hoặc https://\n"),
        (("--link", "data:text/html,x"), "lỗi: đường dẫn 'data:text/html,x' phải bắt đầu bằng http:// hoặc https://\n"),
        (("--link", "  "), "lỗi: đường dẫn trống: ghi địa chỉ đầy đủ, ví dụ https://baothanhhoa.vn/…\n"),
        (("--document", ""), "lỗi: minh chứng là văn bản cần có tên văn bản (--document \"Báo cáo số …\")\n"),
        (("--document", "x" * 501), "lỗi: tên văn bản dài 501 ký tự, quá giới hạn 500 ký tự\n"),
        (("--count", "1", "--note", "x" * 2001), "lỗi: ghi chú dài 2.001 ký tự, quá giới hạn 2.000 ký tự\n"),
    ]:
        refused = record("--on", "2021-10-20", *args)
        assert (refused.returncode, refused.stderr) == (1, message)
    bad_day = record("--on", "31/02/2021", "--count", "1")
    assert bad_day.returncode == 2 and "'31/02/2021' không phải là ngày hoặc thời điểm (dd/mm/yyyy" in bad_day.stderr
    assert len(json.loads(run("evidence", "list", "--format", "json").stdout)) == 1  # nothing else was written
    missing = run("evidence", "list", "--occurrence", "999999")
    assert (missing.returncode, missing.stderr) == (1, "lỗi: không có kỳ thực hiện #999999\n")
    empty = run("evidence", "list", "--unit", "so-tttt-ha-tinh")
    assert (empty.returncode, empty.stdout) == (0, "Không có minh chứng nào.\n")
