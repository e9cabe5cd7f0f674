"""Bounds and clean failures on the command line: each probe a user's mistake or an attacker's try,
and each answered with one line and a non-zero exit, never a traceback (and never for minutes)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_in_process import run_cli

from commplan.cli import main
from commplan.schedule.bounds import MAX_YEARS, horizon_problem, latest_horizon, range_problem

REPO = Path(__file__).resolve().parents[1]
PLANS = str(REPO / "plans")


def commplan(*args: str, data_dir: str | os.PathLike | None = None, **env: str) -> subprocess.CompletedProcess:
    environment: dict[str, str | None] = {**env, "COMMPLAN_DATABASE_URL": None}
    if data_dir is not None:
        environment["COMMPLAN_DATA_DIR"] = str(data_dir)
    if args[0] != "run":  # `run` sets up Prefect's environment for the whole process: a process of its own
        return run_cli(*args, env=environment)
    child = {name: value for name, value in {**os.environ, **environment}.items() if value is not None}  # None: unset
    return subprocess.run([sys.executable, "-m", "commplan", *args], capture_output=True, text=True, cwd=REPO,
                          env=child, timeout=300, check=False)


def one_line(result: subprocess.CompletedProcess) -> str:
    """The whole of stderr, which must be a single `lỗi: …` line."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lỗi: "), result.stderr
    return lines[0]


# ---------------------------------------------------------------- horizons and ranges


def test_the_cap_is_ten_years_in_one_place():
    today = dt.date(2026, 12, 1)
    assert latest_horizon(today) == dt.date(2026 + MAX_YEARS, 12, 31) == dt.date(2036, 12, 31)
    assert horizon_problem(dt.date(2036, 12, 31), today) is None
    assert horizon_problem(dt.date(2037, 1, 1), today) == "mốc 01/01/2037 quá xa: tối đa 10 năm tới (muộn nhất là 31/12/2036)"
    assert range_problem(dt.date(2026, 1, 1), dt.date(2035, 12, 31)) is None
    assert range_problem(dt.date(2026, 1, 1), dt.date(2036, 1, 1)) == (
        "01/01/2026–01/01/2036 dài hơn 10 năm: mỗi lần chỉ hỏi tối đa 10 năm")
    assert range_problem(dt.date(2024, 2, 29), dt.date(2034, 2, 27)) is None
    assert range_problem(dt.date(9995, 1, 1), dt.date(9999, 12, 31)) is None  # five years, at the calendar's end


def test_a_far_horizon_is_refused_at_once_with_the_cap(capsys):
    started = time.monotonic()
    assert main(["sync", PLANS, "--horizon", "9000-12-31"]) == 2
    assert time.monotonic() - started < 60  # not the minutes (and 668 MB) it took before
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("lỗi: --horizon: mốc 31/12/9000 quá xa: tối đa 10 năm tới (muộn nhất là 31/12/2036)")


def test_a_ledger_sync_past_the_cap_is_refused_for_every_caller(ledger):
    from commplan.ledger import LedgerError
    from commplan.plan import load_catalog

    catalog, _ = load_catalog([PLANS])
    with pytest.raises(LedgerError, match="tối đa 10 năm tới"):
        ledger.sync(catalog, horizon=dt.date(9000, 12, 31))


@pytest.mark.parametrize("command", [
    ["preview", PLANS, "--from", "2000-01-01", "--to", "8999-12-31"],
    ["export", "ics", "--plans", PLANS, "--from", "2000-01-01", "--to", "8999-12-31", "-o", "-"],
])
def test_a_range_longer_than_ten_years_is_refused_at_once(command, capsys):
    assert main(command) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "lỗi: --from/--to: 01/01/2000–31/12/8999 dài hơn 10 năm: mỗi lần chỉ hỏi tối đa 10 năm\n"


def test_ten_years_exactly_is_still_previewed(capsys):
    assert main(["preview", PLANS, "--from", "2021-01-01", "--to", "2030-12-31", "--format", "json"]) == 0
    assert '"due"' in capsys.readouterr().out


# ---------------------------------------------------------------- the data folder


@pytest.fixture
def a_file(tmp_path):
    file = tmp_path / "not-a-folder"
    file.write_text("x")
    return file


@pytest.mark.parametrize("command", [["status"], ["status", "--summary"], ["outbox"], ["sync", PLANS],
                                     ["export", "ics", "--plans", PLANS, "-o", "-"],
                                     ["remind", "--plans", PLANS, "--dry-run"], ["run", "--plans", PLANS]])
def test_a_data_folder_that_is_a_file_is_one_line_naming_it(command, a_file):
    result = commplan(*command, data_dir=a_file)
    assert result.returncode == 1
    line = one_line(result)
    assert f"thư mục dữ liệu {a_file} không chứa được cơ sở dữ liệu SQLite (đó là một tệp, không phải thư mục)" in line
    assert "COMMPLAN_DATA_DIR" in line
    assert a_file.read_text() == "x"  # untouched


@pytest.mark.parametrize("folder", ["/proc", "/proc/self/not-there", "/sys/kernel"])
def test_a_folder_nobody_can_write_is_one_line_even_for_status(folder):
    """Root ignores file modes, so the tests use folders the kernel itself keeps read-only."""
    if not Path("/proc/self").is_dir():
        pytest.skip("needs Linux /proc and /sys")
    result = commplan("status", data_dir=folder)
    assert result.returncode == 1
    line = one_line(result)
    assert f"thư mục dữ liệu {folder} không chứa được cơ sở dữ liệu SQLite" in line and "COMMPLAN_DATA_DIR" in line


def test_a_missing_data_folder_is_created_as_before(tmp_path):
    folder = tmp_path / "new" / "commplan"
    result = commplan("status", data_dir=folder)
    assert result.returncode == 0, result.stderr
    assert (folder / "commplan.sqlite3").is_file()


# ---------------------------------------------------------------- export -o


@pytest.mark.parametrize("where", ["missing/calendar.ics", ".", "a-file/calendar.ics"])
def test_export_to_a_bad_path_is_one_line(where, tmp_path, a_file):
    target = {"missing/calendar.ics": tmp_path / "missing" / "calendar.ics", ".": tmp_path,
              "a-file/calendar.ics": a_file / "calendar.ics"}[where]
    result = commplan("export", "ics", "--plans", PLANS, "-o", str(target), data_dir=tmp_path / "data")
    assert result.returncode == 1
    line = one_line(result)
    assert line.startswith(f"lỗi: không ghi được {target}: ")
    reason = {"missing/calendar.ics": "thư mục không tồn tại", ".": "đây là một thư mục",
              "a-file/calendar.ics": "một phần của đường dẫn không phải thư mục"}[where]
    assert line == f"lỗi: không ghi được {target}: {reason}; hãy cho -o một tệp trong thư mục đã có và ghi được"
    assert result.stdout == ""


# ---------------------------------------------------------------- links out of the plan folder


def test_validate_refuses_a_link_out_of_the_plan_folder_and_never_prints_its_lines(tmp_path, capsys):
    outside = tmp_path / "secret.yaml"
    outside.write_text("commplan: 1\nmat_khau_bi_mat: hunter2-do-not-print\n", encoding="utf-8")
    folder = tmp_path / "plans"
    (folder / "sub").mkdir(parents=True)
    (folder / "units.yaml").write_text("commplan: 1\nunits:\n  - id: so-tttt\n    name: Sở TTTT\n", encoding="utf-8")
    (folder / "secret.yaml").symlink_to(outside)
    (folder / "passwd.yaml").symlink_to("/etc/passwd")
    (folder / "sub" / "outside").symlink_to(tmp_path)  # a linked folder out of the plans
    (folder / "same.yaml").symlink_to(folder / "units.yaml")  # a link that stays inside is read
    assert main(["validate", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "hunter2" not in err and "mat_khau" not in err and "root:" not in err
    refused = sorted(line.split(":", 1)[0] for line in err.splitlines() if "liên kết tới một tệp nằm ngoài" in line)
    # a linked folder is not walked at all (pathlib does not follow it), so only the two files are named
    assert refused == sorted([str(folder / "passwd.yaml"), str(folder / "secret.yaml")])
    assert all(f"nằm ngoài {folder}: không đọc" in line for line in err.splitlines() if "liên kết" in line)
    # the link that stays inside is read: the same unit twice, its usual error
    assert [line for line in err.splitlines() if "same.yaml" in line] == [
        f"{folder / 'units.yaml'}:3:9: units[0].id: mã 'so-tttt' bị trùng (đã là một đơn vị trong {folder / 'same.yaml'})"]
