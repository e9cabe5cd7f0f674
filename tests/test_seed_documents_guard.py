"""Without ../shared/seeds the seed-fidelity tests skip and say why; under CI they fail instead."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from conftest import REPO, SEEDS, require_seeds

SEED_TESTS = "tests/test_seed_plans.py"


def test_present_documents_are_returned(tmp_path):
    assert require_seeds(tmp_path) == tmp_path


def test_absent_documents_skip_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    absent = tmp_path / "shared" / "seeds"
    with pytest.raises(pytest.skip.Exception) as skipped:
        require_seeds(absent)
    assert str(absent) in str(skipped.value)
    assert "COMMPLAN_SEEDS_DIR" in str(skipped.value)


def test_absent_documents_fail_under_ci(tmp_path, monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception) as failed:
        require_seeds(tmp_path / "nowhere")
    assert "CI must check the seed plans" in str(failed.value)


def _run_seed_tests(seeds_dir, ci: bool) -> subprocess.CompletedProcess:
    env = {k: val for k, val in os.environ.items() if k != "CI"}
    env["COMMPLAN_SEEDS_DIR"] = str(seeds_dir)
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "pytest", SEED_TESTS, "-q", "-rsf", "-p", "no:cacheprovider"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False,
    )


def _counts(result: subprocess.CompletedProcess) -> dict[str, int]:
    """pytest's last line, e.g. `13 passed, 6 skipped in 0.70s`, as {'passed': 13, 'skipped': 6}."""
    summary = result.stdout.strip().splitlines()[-1]
    return {word: int(n) for n, word in re.findall(r"(\d+) (passed|skipped|failed|errors?)", summary)}


@pytest.mark.slow  # runs the seed tests twice, in pytest processes of their own
def test_without_the_documents_only_the_tests_that_read_them_skip_or_fail_under_ci(tmp_path):
    skipped = _run_seed_tests(tmp_path / "absent", ci=False)
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    quiet = _counts(skipped)
    assert quiet.get("skipped", 0) >= 6 and quiet.get("passed", 0) > 0 and "failed" not in quiet, quiet
    assert "SKIPPED WITHOUT SEEDS: the seed documents are not at" in skipped.stdout

    failed = _run_seed_tests(tmp_path / "absent", ci=True)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    loud = _counts(failed)
    # exactly the tests that skipped before fail now; the plan checks pass either way
    # (a fixture that fails is reported as an error of the test's setup)
    assert loud.get("failed", 0) + loud.get("errors", 0) + loud.get("error", 0) == quiet["skipped"], loud
    assert loud["passed"] == quiet["passed"] and "skipped" not in loud, loud
    assert "CI must check the seed plans against their sources" in failed.stdout


@pytest.mark.slow  # the seed tests in a pytest process of their own
@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed documents are not beside this checkout")
def test_the_seed_suite_runs_in_full_with_the_documents():
    result = _run_seed_tests(SEEDS, ci=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "skipped" not in result.stdout.strip().splitlines()[-1]


def test_no_test_reads_the_seed_folder_around_the_guard():
    """A test that opens SEEDS itself would crash, not skip, on a checkout without them."""
    readers = sorted(
        path.name for path in (REPO / "tests").glob("*.py")
        if path.name not in ("conftest.py", "test_seed_documents_guard.py")
        and re.search(r"\bSEEDS\b|shared/seeds|\"shared\"\s*/\s*\"seeds\"", path.read_text(encoding="utf-8"))
    )
    assert readers == [], f"use the seed_documents fixture (or require_seeds()) in {readers}"
