"""The deployments on a real Prefect server (PostgreSQL) with a real process worker.

Starts `prefect server start` on a loopback port with its database on the local
PostgreSQL, deploys deployments/prefect.yaml, starts `prefect worker start`,
triggers the tick deployment through the API, waits for it to complete, and
checks its effect in the commplan ledger (also on PostgreSQL). Every process it
starts is stopped, and both databases are dropped.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import POSTGRES_URL, REPO, postgres_schema, require_postgres
from sqlalchemy import create_engine, text

PREFECT = str(Path(sys.executable).with_name("prefect"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def prefect_database():
    """A database of its own for the Prefect server, dropped afterwards."""
    name = f"commplan_prefect_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(drivername="postgresql+asyncpg", database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def process(args: list[str], env: dict, log: Path):
    """A background process in its own group, stopped (then killed) on exit."""
    handle = log.open("w")
    child = subprocess.Popen(args, cwd=REPO, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield child
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGTERM)
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait(timeout=10)
        handle.close()


def wait_for(check, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def tick_schedules() -> dict[str, tuple[str, str]]:
    """The tick's (cron, timezone) as prefect.yaml and serve.py declare it."""
    import importlib.util

    import yaml

    declared = yaml.safe_load((REPO / "deployments" / "prefect.yaml").read_text(encoding="utf-8"))
    tick = next(d for d in declared["deployments"] if d["name"] == "tick")
    (schedule,) = tick["schedules"]
    spec = importlib.util.spec_from_file_location("commplan_serve", REPO / "deployments" / "serve.py")
    assert spec is not None and spec.loader is not None
    serve = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(serve)
    (served,) = next(d for d in serve.deployments() if d.name == "tick").schedules
    return {"prefect.yaml": (schedule["cron"], schedule["timezone"]),
            "serve.py": (served.schedule.cron, served.schedule.timezone)}


def test_the_feeds_deployment_is_declared_alike_in_both_places():
    import importlib.util

    import yaml

    from commplan.flows.deployments import FEEDS, TZ

    declared = yaml.safe_load((REPO / "deployments" / "prefect.yaml").read_text(encoding="utf-8"))
    (schedule,) = next(d for d in declared["deployments"] if d["name"] == "feeds")["schedules"]
    spec = importlib.util.spec_from_file_location("commplan_serve", REPO / "deployments" / "serve.py")
    assert spec is not None and spec.loader is not None
    serve = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(serve)
    (served,) = next(d for d in serve.deployments() if d.name == "feeds").schedules
    assert (schedule["cron"], schedule["timezone"]) == (served.schedule.cron, served.schedule.timezone) == (FEEDS, TZ)


def test_the_tick_runs_at_every_time_a_plan_can_ask_for():
    """Hourly on the hour, 06:00-21:00 Vietnam time, every day of the week (Sunday too): each digest_at
    and quiet_hours window that `commplan validate` accepts has a tick, and there is none at night."""
    import asyncio
    import datetime as dt
    import inspect

    from prefect.server.schemas.schedules import CronSchedule

    from commplan.plan.model import TICK_HOURS

    monday = dt.datetime(2026, 3, 2, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    expected = [(day, hour) for day in range(7) for hour in TICK_HOURS]
    for where, (cron, timezone) in tick_schedules().items():
        assert timezone == "Asia/Ho_Chi_Minh", where
        fires: Any = CronSchedule(cron=cron, timezone=timezone).get_dates(n=len(expected) + 1, start=monday)
        if inspect.iscoroutine(fires):  # prefect's sync_compatible: a coroutine where a loop runs
            fires = asyncio.run(fires)
        week = [((f - monday).days, f.hour) for f in fires if f < monday + dt.timedelta(days=7)]
        assert week == expected and all(f.minute == 0 for f in fires), (where, cron)


@pytest.mark.server  # a Prefect server and a process worker
def test_the_tick_deployment_runs_on_a_server_with_a_worker(tmp_path):
    require_postgres()
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "COMMPLAN_"))}
    common = {**base, "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
              "PREFECT_LOGGING_LEVEL": "WARNING"}
    with prefect_database() as prefect_db, postgres_schema() as ledger_url:
        server_env = {**common, "PREFECT_API_DATABASE_CONNECTION_URL": prefect_db, "PREFECT_UI_ENABLED": "false"}
        client_env = {**common, "PREFECT_API_URL": api, "COMMPLAN_REPO": str(REPO), "COMMPLAN_DATABASE_URL": ledger_url,
                      "COMMPLAN_DATA_DIR": str(tmp_path / "data")}
        with process([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)], server_env,
                     tmp_path / "server.log"):
            wait_for(lambda: _healthy(api), timeout=120, what="the Prefect server")
            run = lambda *args: subprocess.run([PREFECT, *args], cwd=REPO, env=client_env, capture_output=True,  # noqa: E731
                                               text=True, timeout=180, check=False)
            created = run("work-pool", "create", "commplan", "--type", "process")
            assert created.returncode == 0, created.stdout + created.stderr
            deployed = run("--no-prompt", "deploy", "--all", "--prefect-file", "deployments/prefect.yaml")
            assert deployed.returncode == 0, deployed.stdout + deployed.stderr
            for name in ("tick/tick", "compliance-report/weekly", "compliance-report/monthly"):
                assert f"'{name}'" in deployed.stdout
            # each flow runs on a clock set to its as_of (COMMPLAN_NOW): a tick, not a replay
            with process([PREFECT, "worker", "start", "--pool", "commplan", "--type", "process"],
                         {**client_env, "COMMPLAN_NOW": "2021-12-10T09:00:00+07:00"}, tmp_path / "worker.log"):
                started = run("deployment", "run", "tick/tick", "--param", "as_of=2021-12-10T09:00:00+07:00")
                assert started.returncode == 0, started.stdout + started.stderr
                found = re.search(r"UUID: ([0-9a-f-]{36})", started.stdout)
                assert found, started.stdout
                run_id = found.group(1)
                state = wait_for(lambda: _final_state(api, run_id), timeout=300, what=f"flow run {run_id}")
                assert state == "COMPLETED", (tmp_path / "worker.log").read_text()
            tick = httpx.get(f"{api}/deployments/name/tick/tick", timeout=5).json()
            assert [(s["schedule"]["cron"], s["schedule"]["timezone"]) for s in tick["schedules"]] == [
                tick_schedules()["prefect.yaml"]]  # what the server will run is what the plans need
            limit = tick.get("global_concurrency_limit") or {}
            assert limit.get("limit") == 1, {k: v for k, v in tick.items() if "concurrency" in k}  # two ticks never run at once
            # the single-machine way: every deployment served from one process (the same names, so
            # the worker's deployments go first, as when a machine switches from one way to the other)
            for name in ("tick/tick", "compliance-report/weekly", "compliance-report/monthly"):
                assert run("deployment", "delete", name).returncode == 0
            with process([sys.executable, "-m", "commplan", "worker"],  # what deployments/serve.py runs
                         {**client_env, "COMMPLAN_NOW": "2021-12-11T09:00:00+07:00"}, tmp_path / "serve.log"):
                log = tmp_path / "serve.log"
                wait_for(lambda: "prefect deployment run" in log.read_text(), timeout=120,
                         what="commplan worker to serve its deployments")
                served = log.read_text()
                assert all(name in served for name in ("tick/tick", "compliance-report/weekly",
                                                       "compliance-report/monthly")), served
                started = run("deployment", "run", "tick/tick", "--param", "as_of=2021-12-11T09:00:00+07:00")
                assert started.returncode == 0, started.stdout + started.stderr
                found = re.search(r"UUID: ([0-9a-f-]{36})", started.stdout)
                assert found, started.stdout
                run_id = found.group(1)
                state = wait_for(lambda: _final_state(api, run_id), timeout=300, what=f"served flow run {run_id}")
                assert state == "COMPLETED", (tmp_path / "serve.log").read_text()
        engine = create_engine(ledger_url)
        with engine.connect() as connection:
            occurrences = connection.execute(text("SELECT COUNT(*) FROM occurrence")).scalar_one()
            actions = connection.execute(text("SELECT action FROM audit_log ORDER BY id")).scalars().all()
            reminders = connection.execute(text("SELECT COUNT(*) FROM reminder WHERE status = 'queued'")).scalar_one()
        engine.dispose()
    assert occurrences > 3000 and actions == ["sync", "tick", "sync", "tick"] and reminders > 0


def _healthy(api: str) -> bool:
    try:
        return httpx.get(f"{api}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _final_state(api: str, run_id: str) -> str | None:
    state = httpx.get(f"{api}/flow_runs/{run_id}", timeout=5).json()["state"]["type"]
    return state if state in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") else None
