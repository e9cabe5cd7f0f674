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
# (a ZaloFake built only to write signed events, and saying so, starts nothing: its server starts in `with`)
STARTS_A_SERVER = re.compile(r"uvicorn\.Server|aiosmtpd|ZaloFake\((?!\)  # only its event writer)|zalo_fake\(|ESMSFake\(|ThreadingHTTPServer\(|"
                             r"subprocess\.Popen\(|prefect_test_harness|\bprefect_api\b|"
                             # the browser tests' fixtures (conftest.py, browser.py): `commplan serve`, chromium
                             r"\bweb_server\b|\bbrowser_process\b|\bstart_browser\(|def test_\w+\([^)]*\bbrowser\b")


def run_test_script(tmp_path: Path, *args: str) -> list[str]:
    """scripts/test as shipped, its bootstrap replaced by a `python` that prints the arguments it gets,
    and scripts/browser.sh by one that notes in browser-calls that it ran (and fails, which must not matter)."""
    folder = tmp_path / "scripts"
    folder.mkdir(exist_ok=True)
    shutil.copy(REPO / "scripts" / "test", folder / "test")
    (folder / "python").write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@"\n', encoding="utf-8")
    (folder / "python").chmod(0o755)
    (folder / "bootstrap.sh").write_text(f'set -euo pipefail\nexport PATH="{folder}:$PATH"\n', encoding="utf-8")
    (folder / "browser.sh").write_text(f'echo ran >> "{tmp_path / "browser-calls"}"\nexit 1\n', encoding="utf-8")
    done = subprocess.run(["bash", str(folder / "test"), *args], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def browser_script_runs(tmp_path: Path) -> int:
    calls = tmp_path / "browser-calls"
    return len(calls.read_text(encoding="utf-8").splitlines()) if calls.exists() else 0


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


def test_scripts_test_offers_the_browser_to_all_but_the_fast_loop(tmp_path):
    run_test_script(tmp_path, "-q")
    assert browser_script_runs(tmp_path) == 1  # and its failure did not stop the tests
    run_test_script(tmp_path, "--fast", "-q")
    assert browser_script_runs(tmp_path) == 1  # --fast runs no browser test (they are marked `server`)


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


# ---------------------------------------------------------------- the browser for the browser tests


def run_browser_script(tmp_path: Path, *, present: bool = False, uid: int = 0, sudo: bool = False,
                       apt: str = "works") -> tuple[str, list[str]]:
    """scripts/browser.sh on a PATH of fakes: `id` says `uid`, a passwordless `sudo` if asked, and an
    `apt-get` that logs its calls and installs (`works`), only after an update (`stale`) or never (`fails`).
    Returns its stderr and the apt-get calls."""
    bin_dir, calls = tmp_path / "bin", tmp_path / "apt-calls"
    bin_dir.mkdir(parents=True)
    for tool in ("mktemp", "tail", "head", "rm", "env", "cat", "touch", "chmod"):
        (bin_dir / tool).symlink_to(shutil.which(tool) or f"/usr/bin/{tool}")
    chromium, driver = tmp_path / "chromium", tmp_path / "chromedriver"

    def script(name: str, body: str) -> None:
        (bin_dir / name).write_text(f"#!/bin/bash\n{body}\n", encoding="utf-8")
        (bin_dir / name).chmod(0o755)

    script("id", f"echo {uid}")
    if sudo:
        script("sudo", f'[ "$1" = -n ] || exit 1; shift; [ "$*" = true ] && exit 0; echo "sudo $*" >> "{calls}"; exec "$@"')
    fake_browser = f'printf "#!/bin/bash\\necho Chromium 156\\n" > "{chromium}"; touch "{driver}"; chmod +x "{chromium}" "{driver}"'
    script("apt-get", f'echo "$* frontend=${{DEBIAN_FRONTEND:-}}" >> "{calls}"\n'
                      f'case "$1:{apt}" in\n  update:*) touch "{tmp_path / "lists"}" ;;\n'
                      f'  install:works) {fake_browser} ;;\n'
                      f'  install:stale) [ -e "{tmp_path / "lists"}" ] || exit 100; {fake_browser} ;;\n'
                      f'  *) echo "E: Unable to locate package chromium" >&2; exit 100 ;;\nesac')
    if present:
        script("../chromium", "echo Chromium 156")
        script("../chromedriver", "exit 0")
    done = subprocess.run([shutil.which("bash") or "bash", str(REPO / "scripts" / "browser.sh")], capture_output=True, text=True, timeout=60,
                          check=False, env={"PATH": str(bin_dir), "COMMPLAN_CHROMIUM": str(chromium),
                                            "COMMPLAN_CHROMEDRIVER": str(driver)})
    assert done.returncode == 0 and done.stdout == "", done  # it never fails the test run
    return done.stderr, calls.read_text(encoding="utf-8").splitlines() if calls.exists() else []


INSTALL = "install -y -q chromium chromium-driver frontend=noninteractive"


def test_browser_script_does_nothing_when_both_are_there(tmp_path):
    assert run_browser_script(tmp_path, present=True) == ("", [])


def test_browser_script_installs_them_as_root(tmp_path):
    said, calls = run_browser_script(tmp_path)
    assert calls == [INSTALL]
    assert "installing chromium and chromium-driver" in said and "installed: Chromium 156" in said
    assert os.access(tmp_path / "chromedriver", os.X_OK)


def test_browser_script_reads_the_package_lists_when_apt_knows_no_chromium_yet(tmp_path):
    said, calls = run_browser_script(tmp_path, apt="stale")
    assert calls == [INSTALL, "update -q frontend=", INSTALL] and "installed: Chromium 156" in said


def test_browser_script_uses_passwordless_sudo_and_otherwise_says_how(tmp_path):
    said, calls = run_browser_script(tmp_path / "sudo", uid=1000, sudo=True)
    assert calls == ["sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver", INSTALL]
    said, calls = run_browser_script(tmp_path / "user", uid=1000)
    assert calls == []
    assert said == ("scripts/browser.sh: not root and no passwordless sudo: run 'sudo apt-get install chromium "
                    "chromium-driver', or the browser tests skip\n")


def test_browser_script_reports_a_failed_install_and_lets_the_tests_run(tmp_path):
    said, calls = run_browser_script(tmp_path, apt="fails")
    assert calls == [INSTALL, "update -q frontend=", INSTALL]
    assert "E: Unable to locate package chromium" in said and "could not install them" in said


def test_without_a_browser_the_browser_tests_skip_but_fail_under_ci(tmp_path, monkeypatch):
    import browser

    monkeypatch.setattr(browser, "CHROMIUM", tmp_path / "chromium")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=f"SKIPPED WITHOUT A BROWSER: {tmp_path}/chromium missing"):
        browser.require_browser()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser tests"):
        browser.require_browser()
