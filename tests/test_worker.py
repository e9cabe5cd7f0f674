"""The flows live in the package (an installed wheel runs them), and `commplan worker` serves the deployments."""

from __future__ import annotations

import importlib.util
import inspect
import os
import subprocess
import sys

import pytest
import yaml
from conftest import PLANS, REPO


def test_commplan_run_takes_its_flow_from_the_package_and_flows_are_entry_points():
    from commplan.cli import run as cli_run
    from commplan.flows.compliance_report import compliance_report
    from commplan.flows.mail_in import mail_in
    from commplan.flows.tick import tick

    source = inspect.getsource(cli_run)
    assert "flows/" not in source and "spec_from_file_location" not in source  # no lookup of a checkout's files
    assert "from ..flows.tick import tick" in source
    # the entry points prefect.yaml names are the package's flows, not copies of them
    for path, name, flow in (("flows/tick.py", "tick", tick),
                             ("flows/compliance_report.py", "compliance_report", compliance_report),
                             ("flows/mail_in.py", "mail_in", mail_in)):
        spec = importlib.util.spec_from_file_location(f"entry_{name}", REPO / path)
        assert spec is not None and spec.loader is not None, path
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        assert getattr(module, name) is flow, path


def test_the_schedules_are_declared_once_and_prefect_yaml_agrees():
    from commplan.flows.deployments import FEEDS, MAIL_IN, MONTHLY, TICK, TZ, WEEKLY, deployments

    declared = yaml.safe_load((REPO / "deployments" / "prefect.yaml").read_text(encoding="utf-8"))
    in_yaml = {d["name"]: (d["schedules"][0]["cron"], d["schedules"][0]["timezone"]) for d in declared["deployments"]}
    served = {d.name: (d.schedules[0].schedule.cron, d.schedules[0].schedule.timezone)
              for d in deployments(str(PLANS))}
    assert in_yaml == served == {"tick": (TICK, TZ), "weekly": (WEEKLY, TZ), "monthly": (MONTHLY, TZ),
                                 "feeds": (FEEDS, TZ), "mail-in": (MAIL_IN, TZ)}
    assert TZ == "Asia/Ho_Chi_Minh" and TICK == "0 6-21 * * *"
    (tick,) = [d for d in deployments(str(PLANS)) if d.name == "tick"]
    assert tick.parameters == {"plans": [str(PLANS)]}


@pytest.mark.server  # a `commplan` process
def test_commplan_worker_without_a_prefect_api_says_so_in_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "COMMPLAN_"))}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), COMMPLAN_DATA_DIR=str(tmp_path / "data"))  # no profile's API
    result = subprocess.run([sys.executable, "-m", "commplan", "worker", "--plans", str(PLANS)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("lỗi: không có Prefect API: hãy đặt PREFECT_API_URL") and "commplan run" in line


@pytest.mark.server  # a `commplan` process
def test_commplan_worker_refuses_plans_with_errors_before_serving(tmp_path):
    (tmp_path / "bad.yaml").write_text("format: '1.1'\nplan: [\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "COMMPLAN_"))}
    env.update(PREFECT_API_URL="http://127.0.0.1:9/api", COMMPLAN_DATA_DIR=str(tmp_path / "data"))  # never reached
    result = subprocess.run([sys.executable, "-m", "commplan", "worker", "--plans", str(tmp_path)], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == f"lỗi: các kế hoạch trong {tmp_path} có lỗi: chưa chạy gì"
    assert "bad.yaml:" in result.stderr
