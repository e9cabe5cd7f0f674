"""`scripts/run --plans DIR`: the script validates DIR (not plans/) and hands every argument to
`commplan run`, which refuses plans with errors before it starts Prefect."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO, UNITS_YAML, plan_yaml, weekly_report

# `commplan run` stands in as a line saying what it was given (the script's own job is checked, fast);
# every other command is this checkout's commplan
COMMPLAN = f"""#!/usr/bin/env bash
if [ "$1" = run ]; then echo "commplan $*"; exit 0; fi
exec "{sys.executable}" -m commplan "$@"
"""


def script(tmp_path: Path) -> Path:
    """scripts/run as shipped, next to a bootstrap.sh that puts the commplan above on PATH."""
    folder = tmp_path / "scripts"
    folder.mkdir(exist_ok=True)
    shutil.copy(REPO / "scripts" / "run", folder / "run")
    (folder / "commplan").write_text(COMMPLAN, encoding="utf-8")
    (folder / "commplan").chmod(0o755)
    (folder / "bootstrap.sh").write_text(f'set -euo pipefail\nexport PATH="{folder}:$PATH"\n', encoding="utf-8")
    return folder / "run"


def run_script(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COMMPLAN_DATA_DIR": str(tmp_path / "data")}
    return subprocess.run(["bash", str(script(tmp_path)), *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def test_scripts_run_validates_the_plans_it_is_given_and_passes_them_on(tmp_path):
    plans = tmp_path / "other-plans"
    plans.mkdir()
    (plans / "units.yaml").write_text(UNITS_YAML, encoding="utf-8")
    (plans / "plan.yaml").write_text(plan_yaml(weekly_report()), encoding="utf-8")
    for args in (("--plans", str(plans), "--as-of", "2022-03-10"), (f"--plans={plans}", "--as-of", "2022-03-10")):
        result = run_script(tmp_path, *args)
        assert result.returncode == 0, result.stderr
        # one plan and 7 units: the folder given, not the bundled plans/ (5 plans)
        assert result.stdout.splitlines() == ["Hợp lệ: 2 tệp, 1 kế hoạch, 1 nhiệm vụ, 7 đơn vị, 1 nhóm đơn vị.",
                                              f"commplan run {' '.join(args)}"]


def test_scripts_run_stops_at_the_errors_of_the_plans_it_is_given(tmp_path):
    plans = tmp_path / "broken"
    plans.mkdir()
    (plans / "plan.yaml").write_text("commplan: 1\nunits: [\n", encoding="utf-8")
    result = run_script(tmp_path, "--plans", str(plans))
    assert result.returncode == 1 and "commplan run" not in result.stdout
    assert f"{plans / 'plan.yaml'}:" in result.stderr and "1 lỗi trong 1 tệp." in result.stderr


def test_commplan_run_refuses_plans_with_errors_before_starting_prefect(tmp_path):
    missing = tmp_path / "nowhere"
    env = {**os.environ, "COMMPLAN_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run([sys.executable, "-m", "commplan", "run", "--plans", str(missing)], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1 and result.stdout == "" and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [f"{missing}:1:1: không có tệp hoặc thư mục này",
                                          f"lỗi: các kế hoạch trong {missing} có lỗi: chưa chạy gì"]
    assert not (tmp_path / "data" / "prefect").exists()
