"""Plan format 1.1 on the command line: repeating events recorded and withdrawn, `untracked` in the summary,
instances in the preview (both databases for the ledger's commands)."""

from __future__ import annotations

import csv
import io
import json
import subprocess

import pytest
from cli_in_process import run_cli
from test_format_11_schedule import ON_REQUEST, REQUEST, UNITS, plan


@pytest.fixture
def plans(tmp_path):
    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "units.yaml").write_text(UNITS, encoding="utf-8")
    (folder / "plan.yaml").write_text(plan(ON_REQUEST, events=REQUEST, header="tracking_from: 2024-05-13\n"),
                                      encoding="utf-8")
    return folder


def commplan(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return run_cli(*args, env=env)


def test_a_repeating_event_recorded_twice_on_one_day_then_withdrawn(ledger_url, plans, tmp_path):
    env = {"COMMPLAN_DATABASE_URL": ledger_url, "COMMPLAN_DATA_DIR": str(tmp_path / "data"), "COMMPLAN_USER": "chuyen-vien"}
    assert commplan("sync", str(plans), env=env).returncode == 0
    first = commplan("event", "yeu-cau-bao-cao", "--date", "2024-05-06", "--plans", str(plans), env=env)
    assert first.returncode == 0, first.stderr
    assert "Đã ghi nhận một lần xảy ra của sự kiện ke-hoach/yeu-cau-bao-cao ngày 06/05/2024 (ngày này có 1 lần" in first.stdout
    second = commplan("event", "yeu-cau-bao-cao", "--date", "2024-05-06", "--plans", str(plans), env=env)
    assert "(ngày này có 2 lần; mỗi lần mở nhiệm vụ riêng)" in second.stdout and "kỳ thực hiện mới 1," in second.stdout

    status = commplan("status", "--as-of", "2024-05-20", "--format", "json", "--plan", "ke-hoach", env=env)
    rows = [r for r in json.loads(status.stdout) if r["obligation"] == "bao-cao-dot-xuat"]
    # two requests, two reports due 13/5; 13/5 is on tracking_from: tracked, so overdue by 20/5
    assert [(r["window_start"], r["status"]) for r in rows] == [("2024-05-06", "overdue"), ("2024-05-06", "overdue")]
    summary = commplan("status", "--as-of", "2024-05-20", "--summary", env=env)
    header = summary.stdout.splitlines()[3]
    assert "Miễn" in header and "Ngoài theo dõi" in header and header.rstrip().endswith("Tổng")
    counts = json.loads(commplan("status", "--as-of", "2024-05-20", "--summary", "--format", "json", env=env).stdout)
    # the weekly duty's first week (6-12/5) was due before tracking_from: counted apart
    assert counts["by_plan"][0]["untracked"] == 1 and counts["by_plan"][0]["overdue"] == 3

    undo = commplan("event", "yeu-cau-bao-cao", "--date", "2024-05-06", "--undo", "--plans", str(plans), env=env)
    assert undo.returncode == 0, undo.stderr
    assert undo.stdout.splitlines()[:2] == [
        "Đã rút lại một lần của sự kiện ke-hoach/yeu-cau-bao-cao ngày 06/05/2024 (ngày này còn 1 lần).",
        "Đã xóa 1 kỳ thực hiện chưa có minh chứng, chưa được miễn, chưa được nhắc.",
    ]
    nothing = commplan("event", "yeu-cau-bao-cao", "--date", "2024-05-07", "--undo", "--plans", str(plans), env=env)
    assert nothing.returncode == 1
    assert nothing.stderr.strip() == "lỗi: sự kiện 'yeu-cau-bao-cao' không có lần nào ngày 07/05/2024 để rút lại"


def test_preview_lists_each_instance_of_a_repeating_event(plans):
    args = ("preview", str(plans), "--from", "2024-05-01", "--to", "2024-05-31", "--unit", "buu-dien",
            "--event", "yeu-cau-bao-cao=2024-05-06", "--event", "yeu-cau-bao-cao=2024-05-06")
    table = commplan(*args)
    assert table.returncode == 0, table.stderr
    lines = [line for line in table.stdout.splitlines() if "Báo cáo đột xuất" in line]
    assert len(lines) == 2 and "06/05–13/05/2024 (lần 2)" in lines[1] and "(lần" not in lines[0]
    rows = [r for r in json.loads(commplan(*args, "--format", "json").stdout) if r["obligation"] == "bao-cao-dot-xuat"]
    assert [r.get("instance") for r in rows] == [None, 1]
    table_csv = list(csv.DictReader(io.StringIO(commplan(*args, "--format", "csv").stdout)))
    assert [r["instance"] for r in table_csv if r["obligation"] == "bao-cao-dot-xuat"] == ["0", "1"]
