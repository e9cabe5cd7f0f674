"""Prefect flows on a real (ephemeral, test-harness) Prefect API, and `commplan run` as a process."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest

from commplan.cli_run import find_flows, load_flow
from conftest import PLANS, REPO

VN = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory):
    """One Prefect test server for the whole session: it takes seconds to start."""
    from commplan import prefect_env

    prefect_env.configure(tmp_path_factory.mktemp("prefect-data"))
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def artifact(key: str) -> dict | None:
    """The latest artifact with this key, read back through Prefect's own client (which sends
    `"offset": null`: this also proves the FastAPI pin keeps the server accepting it)."""
    from prefect.artifacts import Artifact

    found = Artifact.get(key)
    return {"data": found.data} if found else None


def test_tick_syncs_evaluates_and_publishes_what_changed(prefect_api, tmp_path):
    tick = load_flow(find_flows() / "tick.py", "tick")
    database = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    first = tick(as_of=dt.datetime(2021, 12, 8, 9, 0, tzinfo=VN), plans=[str(PLANS)], database=database)
    assert first["sync"]["inserted"] > 3_000 and first["since"] is None  # up to the end of 2022
    plans = {p["plan"]: p for p in first["by_plan"]}
    # 2980, for each of the 4 provinces: the weekly report (due Thursday 9/12 14:00) and the weekly press
    # briefing (Sunday 12/12) fall in the next 7 days; the monthly report (25/12 is a Saturday: 24/12) does not
    assert plans["bo-tttt-2980-2021"]["open"] == 12 and plans["bo-tttt-2980-2021"]["due_this_week"] == 8
    assert first["reminders"]["queued"] > 0 and plans["bo-tttt-2980-2021"]["reminders_queued"] > 0
    assert first["reminders"]["messages"]["planned"] == first["reminders"]["messages"]["sent"] > 0  # a Wednesday, 09:00
    second = tick(as_of=dt.datetime(2021, 12, 10, 9, 0, tzinfo=VN), plans=[str(PLANS)], database=database)
    assert second["sync"]["inserted"] == 0 and second["since"] == "2021-12-08T09:00:00+07:00"
    # the weekly reports were due on 9/12 14:00: their "due" step is queued once, by this tick
    assert second["reminders"]["queued"] > 0
    assert second["changes"] > 0
    assert "đang thực hiện, trong hạn → **quá hạn, chưa hoàn thành**" in second["markdown"]
    table = artifact("overdue-by-unit")
    markdown = artifact("tick-changes")
    assert table is not None and "so-tttt-thanh-hoa" in str(table["data"])
    assert markdown is not None and markdown["data"].startswith("# Thay đổi từ 09:00 08/12/2021 đến 09:00 10/12/2021")
    replay = tick(as_of=dt.datetime(2021, 12, 10, 9, 0, tzinfo=VN), plans=[str(PLANS)], database=database)
    assert replay["reminders"]["queued"] == replay["reminders"]["skipped"] == 0  # a replayed tick adds nothing
    assert replay["reminders"]["messages"]["planned"] == replay["reminders"]["messages"]["sent"] == 0


def test_compliance_report_writes_csv_and_xlsx(prefect_api, tmp_path):
    from openpyxl import load_workbook

    tick = load_flow(find_flows() / "tick.py", "tick")
    report = load_flow(find_flows() / "compliance_report.py", "compliance_report")
    database = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    as_of = dt.datetime(2021, 12, 10, 17, 0, tzinfo=VN)
    tick(as_of=as_of, plans=[str(PLANS)], database=database)
    files = report(period="weekly", as_of=as_of, database=database, folder=str(tmp_path / "reports"))
    assert [os.path.basename(f) for f in files] == ["weekly-20211206-20211212.csv", "weekly-20211206-20211212.xlsx"]
    csv_text = open(files[0], encoding="utf-8-sig").read().splitlines()
    assert csv_text[0] == "plan,unit,name,done-on-time,done-late,open,overdue,excused,total"
    assert any(line.startswith("bo-tttt-2980-2021,so-tttt-thanh-hoa,") and line.endswith(",0,0,1,1,0,2") for line in csv_text)  # report overdue, briefing open
    sheet = load_workbook(files[1]).active
    assert sheet["A1"].value == "Tình hình thực hiện kỳ 06/12/2021–12/12/2021"
    assert [c.value for c in sheet[2]][3:7] == ["hoàn thành đúng hạn", "hoàn thành quá hạn", "đang thực hiện, trong hạn",
                                               "quá hạn, chưa hoàn thành"]
    assert sheet.max_row == len(csv_text) + 1
    assert artifact("compliance-weekly") is not None


def test_commplan_run_is_the_main_job_on_the_embedded_default(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "COMMPLAN_"))}
    env["COMMPLAN_DATA_DIR"] = str(tmp_path / "data")
    result = subprocess.run([sys.executable, "-m", "commplan", "run", "--as-of", "2021-12-10"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=180)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output and "database is locked" not in output
    assert "bo-tttt-2980-2021" in result.stdout and "Quá hạn" in result.stdout and "Nhắc việc" in result.stdout
    assert "Reminders: " in result.stdout and " queued this tick" in result.stdout
    shown = [line for line in result.stdout.splitlines() if line.startswith("  → ")]
    assert 0 < len(shown) <= 10 and all(line.endswith(("sắp đến hạn", "đến hạn hôm nay", "quá hạn",
                                                       "thông báo lên cấp trên")) for line in shown)
    assert f"Ledger: {tmp_path / 'data' / 'commplan.sqlite3'}" in result.stdout
    assert (tmp_path / "data" / "commplan.sqlite3").is_file() and (tmp_path / "data" / "prefect").is_dir()
