"""The developer's test loop: `scripts/test --fast` leaves out the tests marked `slow` and `server`, so
every test that starts a server (or a commplan process) must say so, and the CLI runner used in-process
gives what the process would."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cli_in_process import run_cli
from conftest import REPO

TESTS = Path(__file__).resolve().parent
# what starts a server or a process of its own, as the tests write it
STARTS_A_SERVER = re.compile(r"uvicorn\.Server|aiosmtpd|ZaloFake\(|zalo_fake\(|ESMSFake\(|ThreadingHTTPServer\(|"
                             r"subprocess\.Popen\(|prefect_test_harness|\bprefect_api\b")


def run_test_script(tmp_path: Path, *args: str) -> list[str]:
    """scripts/test as shipped, its bootstrap replaced by a `python` that prints the arguments it gets."""
    folder = tmp_path / "scripts"
    folder.mkdir(exist_ok=True)
    shutil.copy(REPO / "scripts" / "test", folder / "test")
    (folder / "python").write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@"\n', encoding="utf-8")
    (folder / "python").chmod(0o755)
    (folder / "bootstrap.sh").write_text(f'set -euo pipefail\nexport PATH="{folder}:$PATH"\n', encoding="utf-8")
    done = subprocess.run(["bash", str(folder / "test"), *args], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_scripts_test_runs_everything_and_passes_arguments_through(tmp_path):
    assert run_test_script(tmp_path) == ["-m", "pytest"]
    assert run_test_script(tmp_path, "-q", "-k", "recurrence and not fuzz") == ["-m", "pytest", "-q", "-k",
                                                                              "recurrence and not fuzz"]


def test_scripts_test_fast_leaves_out_slow_and_server_tests(tmp_path):
    assert run_test_script(tmp_path, "--fast", "-x", "tests/test_cli.py") == [
        "-m", "pytest", "-m", "not slow and not server", "-x", "tests/test_cli.py"]
    # a marker expression of one's own narrows the fast loop further, it does not replace it
    assert run_test_script(tmp_path, "-q", "--fast", "-m", "not postgres") == [
        "-m", "pytest", "-m", "(not postgres) and not slow and not server", "-q"]
    assert run_test_script(tmp_path, "-m", "postgres", "-q") == ["-m", "pytest", "-m", "postgres", "-q"]


def test_ci_runs_the_whole_suite():
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "set -euo pipefail" in ci and "bash scripts/test -q" in ci and "--fast" not in ci


def test_every_module_that_starts_a_server_marks_its_tests():
    unmarked = [path.name for path in sorted(TESTS.glob("test_*.py"))
                if STARTS_A_SERVER.search(text := path.read_text(encoding="utf-8")) and "pytest.mark.server" not in text
                and path.name != Path(__file__).name]
    assert unmarked == []


def test_the_markers_are_registered_and_strict():
    import tomllib

    options = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    assert {line.split(":")[0] for line in options["markers"]} >= {"slow", "server", "postgres"}
    assert "--strict-markers" in options["addopts"]  # a misspelt marker fails instead of running in --fast


# ---------------------------------------------------------------- the in-process runner


def test_in_process_it_exits_as_the_process_does_on_usage_errors_and_help():
    usage = run_cli("preview")
    assert usage.returncode == 2 and usage.stdout == ""
    assert usage.stderr.startswith("cách dùng: commplan preview") and "thiếu các tham số bắt buộc: PATH" in usage.stderr
    helped = run_cli("--help")
    assert helped.returncode == 0 and helped.stdout.startswith("cách dùng: commplan") and helped.stderr == ""
    english = run_cli("--help", env={"COMMPLAN_LANG": "en"})
    assert english.returncode == 0 and english.stdout.startswith("usage: commplan")


def test_in_process_it_sees_the_environment_it_is_given_and_leaves_none_behind(tmp_path, monkeypatch):
    from commplan.settings import get_settings

    monkeypatch.delenv("COMMPLAN_DATABASE_URL", raising=False)
    before = get_settings().data_dir
    data = tmp_path / "data"
    done = run_cli("status", env={"COMMPLAN_DATA_DIR": str(data)})
    assert done.returncode == 0, done.stderr
    assert (data / "commplan.sqlite3").is_file()  # the settings were read from the command's environment
    assert os.environ["COMMPLAN_DATA_DIR"] != str(data) and get_settings().data_dir == before
    bad_clock = run_cli("status", env={"COMMPLAN_NOW": "hôm nay", "COMMPLAN_DATA_DIR": str(data)})
    assert bad_clock.returncode == 2 and bad_clock.stderr.startswith("lỗi: COMMPLAN_NOW='hôm nay' không phải thời điểm ISO")
    assert "COMMPLAN_NOW" not in os.environ


def test_in_process_the_clock_starts_at_commplan_now_for_each_command_as_in_a_new_process(tmp_path, set_now):
    import datetime as dt
    import time

    from commplan import clock

    instant = set_now(dt.datetime(2021, 12, 10, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=7))))
    # the same value first read two hours ago in this process: its clock has run on to 11:00
    clock._anchor = (os.environ["COMMPLAN_NOW"], instant.astimezone(dt.UTC), time.monotonic() - 7200)
    assert clock.now() >= instant + dt.timedelta(hours=2)
    done = run_cli("status", "--summary", env={"COMMPLAN_DATA_DIR": str(tmp_path / "data")})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "Tình hình thực hiện đến 09:00 10/12/2021"  # a new process's clock


@pytest.mark.parametrize("where", ["-", "file"])
def test_in_process_bytes_written_to_stdout_are_captured(where, tmp_path):
    out = tmp_path / "calendar.ics"
    target = "-" if where == "-" else str(out)
    done = run_cli("export", "ics", "--plans", "plans/", "--from", "2021-12-01", "--to", "2021-12-07",
                   "--unit", "buu-dien-thanh-hoa", "-o", target, env={"COMMPLAN_DATA_DIR": str(tmp_path / "data")})
    assert done.returncode == 0, done.stderr
    text = done.stdout if where == "-" else out.read_text(encoding="utf-8")
    assert text.startswith("BEGIN:VCALENDAR") and "BEGIN:VEVENT" in text
