"""`commplan serve` for real: a uvicorn process on a free loopback port, one worker and two, asked
over a socket for /healthz and a calendar feed; and TCP_NODELAY on its connections (uvicorn issue #3149)."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import datetime as dt
import errno
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from test_calendar_feeds import REPO, SECRET, events_of, fetch, plan_around, uids, unit_url, window_rows

from commplan.ledger.engine import head_revision
from commplan.web.serving import NoDelayHTTPProtocol

pytestmark = pytest.mark.server  # `commplan serve` processes

VN = dt.timezone(dt.timedelta(hours=7))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served:
    """A running `commplan serve`: its process, and what it wrote once it has stopped."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.output = ""


@contextlib.contextmanager
def commplan_serve(plans: Path, port: int, workers: int, database: str) -> Iterator[Served]:
    """`commplan serve` on a loopback port, once /healthz answers 200; stopped (SIGTERM) on leaving."""
    env = {**os.environ, "COMMPLAN_LINK_SECRET": SECRET, "COMMPLAN_DATA_DIR": str(plans / "data")}
    env.pop("COMMPLAN_PUBLIC_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "commplan", "serve", "--port", str(port), "--workers", str(workers),
         "--plans", str(plans), "--database", database],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    served = Served(process)
    try:
        status = None
        for _ in range(600):
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            with contextlib.suppress(OSError):
                status = fetch(f"http://127.0.0.1:{port}/healthz").status
                if status == 200:
                    break
            time.sleep(0.1)
        assert status == 200
        yield served
    finally:
        process.terminate()
        served.output, _ = process.communicate(timeout=60)


@pytest.mark.parametrize("workers", [1, 2])
def test_commplan_serve_answers_healthz_and_a_feed(ledger_url, ledger, write_plan, tmp_path, workers):
    ledger.sync(write_plan(plan_around(dt.datetime.now(VN).date())))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with commplan_serve(tmp_path, port, workers, ledger_url) as server:
        health = fetch(f"{base}/healthz")
        assert json.loads(health.body) == {"status": "ok", "ledger": True, "migration": head_revision(),
                                           "head": head_revision(), "version": "0.1.0"}
        assert health.headers["referrer-policy"] == "no-referrer"
        got = fetch(unit_url(base, "buu-dien"))
        assert got.status == 200 and got.headers["content-type"] == "text/calendar; charset=utf-8"
        assert set(events_of(got.body)) == uids(window_rows(ledger, units=["buu-dien"]))
        assert "default-src 'self'" in got.headers["content-security-policy"]
        missing = fetch(f"{base}/khong-co")
        assert missing.status == 404 and "Không tìm thấy trang" in missing.body.decode()
    assert "GET /calendars/buu-dien.ics 200" in server.output
    assert "Traceback" not in server.output


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


# --- TCP_NODELAY: uvicorn issue #3149 ---------------------------------------------------------------


async def plain_text(scope, receive, send) -> None:
    """The smallest ASGI app: the protocol is what is under test, not the app."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.mark.parametrize(("http", "nodelay"), [("auto", 0), (NoDelayHTTPProtocol, 1)], ids=["uvicorn", "ours"])
def test_our_protocol_turns_nagle_off_where_a_bound_socket_leaves_it_on(http, nodelay):
    """What each `--workers N` worker does: a uvicorn Server on a listening socket made with proto 0
    (as uvicorn's Config.bind_socket makes it). asyncio then leaves Nagle on, uvicorn's protocol too
    (the first case, the bug reproduced); ours sets TCP_NODELAY on the accepted connection."""

    async def accepted_nodelay() -> int:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
        listener.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(plain_text, http=http, lifespan="off", log_level="warning"))
        serving = asyncio.create_task(server.serve(sockets=[listener]))
        try:
            while not server.started:
                assert not serving.done(), serving.exception()
                await asyncio.sleep(0.01)
            host, port = listener.getsockname()
            async with httpx.AsyncClient(base_url=f"http://{host}:{port}") as client:
                for _ in range(3):  # kept alive: one connection
                    assert (await client.get("/")).text == "ok"
                [connection] = server.server_state.connections
                accepted = connection.transport.get_extra_info("socket")
                assert accepted.proto == 0  # the condition of the bug, inherited from the listener
                return accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        finally:
            server.should_exit = True
            await serving
            listener.close()

    assert asyncio.run(accepted_nodelay()) == nodelay


PIDFD_GETFD = 438  # the same number on every Linux architecture (Linux 5.6+)


def descendants(pid: int) -> set[int]:
    """The processes under `pid` (uvicorn's workers are children of `commplan serve`), from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            parents[int(stat.parent.name)] = int(stat.read_text().rpartition(")")[2].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def server_side_nodelay(server_pid: int, client_address: tuple[str, int]) -> int:
    """TCP_NODELAY of the socket, in whichever worker process holds it, that is connected to
    `client_address`: a copy of the worker's descriptor (pidfd_getfd, allowed on our own descendants)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for pid in descendants(server_pid):
        pidfd = os.pidfd_open(pid)
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    if not os.readlink(fd).startswith("socket:"):
                        continue
                copy = libc.syscall(PIDFD_GETFD, pidfd, int(fd.name), 0)
                if copy < 0:
                    code = ctypes.get_errno()
                    if code in (errno.EPERM, errno.EACCES, errno.ENOSYS):
                        pytest.skip(f"this kernel or sandbox refuses pidfd_getfd: {os.strerror(code)}")
                    continue  # closed meanwhile
                with socket.socket(fileno=copy) as sock, contextlib.suppress(OSError):  # a listener has no peer
                    if sock.family == socket.AF_INET and sock.getpeername() == client_address:
                        return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        finally:
            os.close(pidfd)
    raise AssertionError(f"no worker of {server_pid} holds the connection from {client_address}")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the workers' sockets through /proc")
def test_two_workers_keep_a_connection_alive_without_nagle(tmp_path, write_plan):
    """`commplan serve --workers 2` (uvicorn binds the socket itself: issue #3149): 20 requests on one
    kept-alive connection, and the worker's end of that connection has TCP_NODELAY set."""
    write_plan(plan_around(dt.date.today()))
    port = free_port()
    with (commplan_serve(tmp_path, port, 2, f"sqlite:///{tmp_path / 'ledger.sqlite3'}") as server,
          httpx.Client(base_url=f"http://127.0.0.1:{port}") as client):
        clients = set()
        for path in ["/healthz", "/static/commplan.css"] * 10:
            response = client.get(path)
            assert response.status_code == 200, (path, response.text)
            clients.add(response.extensions["network_stream"].get_extra_info("client_addr"))
        [client_address] = clients  # one connection, kept alive
        assert server_side_nodelay(server.process.pid, client_address) == 1
    assert "Traceback" not in server.output
