"""`commplan extend` (gia hạn) and `commplan excuse` of several occurrences, as a coordinator runs them
after a storm (both databases)."""

from __future__ import annotations

import json
import subprocess

import pytest
from cli_in_process import run_cli
from conftest import weekly_report


@pytest.fixture
def run(ledger_url, tmp_path, write_plan):
    write_plan(weekly_report())
    env = {"COMMPLAN_DATABASE_URL": ledger_url, "COMMPLAN_DATA_DIR": str(tmp_path / "data"), "COMMPLAN_USER": "sotttt",
           "COMMPLAN_LANG": None, "COMMPLAN_NOW": "2022-03-14T09:00+07:00"}

    def commplan(*args: str, **more: str | None) -> subprocess.CompletedProcess:
        return run_cli(*args, env={**env, **more})

    assert commplan("sync", str(tmp_path)).returncode == 0
    return commplan


def overdue(run) -> dict[str, int]:
    rows = json.loads(run("status", "--overdue", "--format", "json").stdout)
    return {row["unit"]: row["id"] for row in rows}


def test_extend_several_then_they_are_no_longer_overdue(run):
    late = overdue(run)
    assert sorted(late) == ["buu-dien", "viettel-post"]
    ids = [str(late["buu-dien"]), str(late["viettel-post"])]
    done = run("extend", *ids, "--to", "18/03/2022", "--reason", "Bão số 3")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "".join(f"Kỳ thực hiện #{i}: đã gia hạn từ 14:00 10/03/2022 đến 23:59 18/03/2022.\n" for i in ids) + \
        "Lý do: Bão số 3\n"
    assert overdue(run) == {}
    earlier = run("extend", ids[0], "--to", "01/03/2022", "--reason", "Nhầm")
    assert earlier.returncode == 1
    assert earlier.stderr == f"lỗi: kỳ thực hiện #{ids[0]} có hạn 23:59 18/03/2022: gia hạn phải lùi hạn về sau\n"
    assert run("extend", ids[0], "--to", "20/03/2022").returncode == 2  # a reason is required
    english = run("extend", ids[0], "--to", "2022-03-25T17:00", "--reason", "Storm", COMMPLAN_LANG="en")
    assert english.stdout.startswith(f"Occurrence #{ids[0]}: deadline moved from 23:59 18/03/2022 to 17:00 25/03/2022.")


def test_excuse_several_at_once(run):
    late = overdue(run)
    first = run("excuse", str(late["buu-dien"]), "--reason", "Đã báo cáo bằng văn bản")
    assert first.stdout == f"Đã miễn kỳ thực hiện #{late['buu-dien']}. Lý do miễn: Đã báo cáo bằng văn bản\n"
    both = run("excuse", str(late["buu-dien"]), str(late["viettel-post"]), "--reason", "Bão số 3")
    assert both.returncode == 0, both.stderr
    assert both.stdout == ("Đã miễn 1 kỳ thực hiện. Lý do miễn: Bão số 3\n"
                           f"Đã được miễn từ trước, giữ nguyên: #{late['buu-dien']}\n")
    assert overdue(run) == {}
    missing = run("excuse", "999999", str(late["viettel-post"]), "--reason", "Bão")
    assert (missing.returncode, missing.stderr) == (1, "lỗi: không có kỳ thực hiện #999999\n")
