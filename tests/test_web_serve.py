"""`commplan serve` for real: a uvicorn process on a free loopback port, one worker and two, asked
over a socket for /healthz and a calendar feed."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time

import pytest
from test_calendar_feeds import REPO, SECRET, events_of, fetch, plan_around, uids, unit_url, window_rows

from commplan.ledger.engine import head_revision

pytestmark = pytest.mark.server  # `commplan serve` processes

VN = dt.timezone(dt.timedelta(hours=7))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("workers", [1, 2])
def test_commplan_serve_answers_healthz_and_a_feed(ledger_url, ledger, write_plan, tmp_path, workers):
    ledger.sync(write_plan(plan_around(dt.datetime.now(VN).date())))
    port = free_port()
    env = {**os.environ, "COMMPLAN_LINK_SECRET": SECRET, "COMMPLAN_DATA_DIR": str(tmp_path / "data")}
    env.pop("COMMPLAN_PUBLIC_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "commplan", "serve", "--port", str(port), "--workers", str(workers),
         "--plans", str(tmp_path), "--database", ledger_url],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        health = None
        for _ in range(600):
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            with contextlib.suppress(OSError):
                health = fetch(f"{base}/healthz")
                if health.status == 200:
                    break
            time.sleep(0.1)
        assert health is not None and health.status == 200
        assert json.loads(health.body) == {"status": "ok", "ledger": True, "migration": head_revision(),
                                           "head": head_revision(), "version": "0.1.0"}
        assert health.headers["referrer-policy"] == "no-referrer"
        got = fetch(unit_url(base, "buu-dien"))
        assert got.status == 200 and got.headers["content-type"] == "text/calendar; charset=utf-8"
        assert set(events_of(got.body)) == uids(window_rows(ledger, units=["buu-dien"]))
        assert "default-src 'self'" in got.headers["content-security-policy"]
        missing = fetch(f"{base}/khong-co")
        assert missing.status == 404 and "Không tìm thấy trang" in missing.body.decode()
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=60)
    assert "GET /calendars/buu-dien.ics 200" in output
    assert "Traceback" not in output


def test_serve_refuses_in_one_line_what_it_cannot_serve(tmp_path, write_plan):
    write_plan(plan_around(dt.date.today()))
    env = {**os.environ, "COMMPLAN_LINK_SECRET": SECRET, "COMMPLAN_DATA_DIR": str(tmp_path / "data")}
    run = lambda *argv: subprocess.run([sys.executable, "-m", "commplan", "serve", *argv], cwd=REPO, env=env,  # noqa: E731
                                       capture_output=True, text=True, timeout=120, check=False)
    bad_port = run("--port", "70000", "--plans", str(tmp_path))
    assert bad_port.returncode == 2 and bad_port.stderr.strip() == "lỗi: --port 70000 không phải là cổng (0-65535)"
    no_db = run("--port", str(free_port()), "--plans", str(tmp_path), "--database",
                "postgresql+psycopg://nobody@127.0.0.1:1/nothing")
    assert no_db.returncode == 1 and no_db.stderr.startswith("lỗi: không kết nối được")
    assert "Traceback" not in no_db.stderr
