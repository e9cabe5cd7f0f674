"""Web app speed: the report page, the coordinator's dashboard, and 50 clerks submitting at once.

Run: scripts/bench web [OPTIONS]
  or: .venv/bin/python benchmarks/web.py [--database-url URL] [--quick] [--duration S] [--communes N]

On the synthetic province of bench_expand.py (560 communes by default), one year (2021) synced, the
clock set to 15/12/2021 09:00 (COMMPLAN_NOW, as bench_ledger.py does), against a real `commplan serve`
(uvicorn) on loopback, driven with httpx:

1. the report page, GET /bao-cao/{token}, for about 300 occurrences of every kind and status;
2. the dashboard, GET /tong-quan and GET /qua-han (its first page of 50), logged in as a coordinator
   of the province's Sở TTTT (a path that answers 404 is printed as "not built yet");
3. 50 clerks at once (asyncio, one httpx client and cookie jar each) for --duration seconds (60; 10
   with --quick) on the PostgreSQL ledger with `--workers 2`: each GETs its report page (the CSRF
   token) and POSTs a link, again and again: new links, some it sent before (the page must answer
   "already recorded"), and five pairs of clerks sharing one link (same unit, same occurrence) who send
   the same links at about the same time. Afterwards the ledger is read back: exactly one evidence row
   per distinct (occurrence, link) answered 303 `?gui=moi`, none doubled, none lost.

1 and 2 run on a SQLite ledger (the embedded default, one worker) and on PostgreSQL (one worker,
then two); their times are measured by the client (the request sent to the body read: server time
plus the loopback) and, for comparison, in-process (the same app through Starlette's TestClient, no
network). A static file is timed beside them: what the server and the connection cost alone (with
several uvicorn workers, Linux keep-alive connections lacked TCP_NODELAY, uvicorn issue #3149, and
every response waited about 40 ms for a delayed ACK; `commplan serve` now sets it: this row shows it).
PostgreSQL is the server at --database-url (default $COMMPLAN_TEST_POSTGRES_URL, else the local
`test` database), in a schema of its own, dropped afterwards; left out when no server answers.

Targets (checked here, never in the tests): the report page's p95 under 100 ms, the dashboard's
p95 under 300 ms; the clerks: no error, no evidence lost or doubled. The exit status is 1 when a
target is missed. Every figure depends on the machine: run it alone where possible.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import math
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

# Starlette's TestClient (the in-process figures) warns that it will move to httpx2: not this benchmark's concern
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")

import httpx  # noqa: E402
from bench_expand import PROVINCE, synthetic_province  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from commplan.ledger import Ledger  # noqa: E402
from commplan.ledger.status import OccurrenceStatus  # noqa: E402
from commplan.links import report_token  # noqa: E402
from commplan.plan import load_catalog  # noqa: E402
from commplan.settings import Settings  # noqa: E402
from commplan.status import Status  # noqa: E402
from commplan.web.app import create_app  # noqa: E402

VN = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2021, 12, 15, 9, 0, tzinfo=VN)  # a Wednesday; the synced year is 2021
HORIZON = dt.date(2021, 12, 31)
POSTGRES = os.environ.get("COMMPLAN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
COORDINATOR_UNIT = "so-tttt"  # the synthetic plan's coordinator, the province's Sở TTTT
LOGIN, PASSWORD = "so-tttt-bench", "Bench-" + secrets.token_urlsafe(12)
DASHBOARD = {"dashboard (/tong-quan)": "/tong-quan", "overdue list, first 50 (/qua-han)": "/qua-han"}
REPORT_TARGET_S, DASHBOARD_TARGET_S = 0.100, 0.300
CLERKS, PAIRS = 50, 5  # clerks 0..9 are five pairs sharing a token (two people of one commune office)
REPEAT_EVERY = 5  # every fifth submission of a clerk re-sends one of its own earlier links
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
MISSING = "not built yet"
STATIC = "/static/commplan.css"


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the smallest value at or above `share` of them."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


# ---------------------------------------------------------------- the ledger and the server


def prepared(url: str, folder: Path) -> tuple[list[OccurrenceStatus], float]:
    """Sync the province-year into the ledger at `url` and add the coordinator; its occurrences
    (scheduled ones included) and the sync's seconds."""
    catalog, _problems = load_catalog([folder], strict=True)
    with Ledger(url) as ledger:
        began = time.perf_counter()
        ledger.sync(catalog, now=NOW, horizon=HORIZON)
        sync_s = time.perf_counter() - began
        ledger.add_user(LOGIN, PASSWORD, role="coordinator", unit=COORDINATOR_UNIT, display_name="Bench", now=NOW)
        rows = ledger.statuses(as_of=NOW, province=PROVINCE, include_scheduled=True)
    return rows, sync_s


def token_for(secret: str, row: OccurrenceStatus) -> str:
    # issued a day before the clock: never "in the future" of a server whose clock started later
    return report_token(secret, row.id, row.unit, issued=NOW - dt.timedelta(days=1))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    base: str
    log: Path


@contextmanager
def serve(url: str, folder: Path, data: Path, secret: str, workers: int) -> Iterator[Server]:
    """`commplan serve` of this tree (PYTHONPATH), on a free loopback port, until the block ends."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COMMPLAN_LINK_SECRET": secret, "COMMPLAN_PUBLIC_URL": base,
           "COMMPLAN_DATA_DIR": str(data), "COMMPLAN_NOW": NOW.isoformat()}
    env.pop("COMMPLAN_DATABASE_URL", None)
    log = data / f"serve-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "commplan", "serve", "--port", str(port), "--workers",
                                    str(workers), "--plans", str(folder), "--database", url],
                                   cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 120
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"commplan serve exited with {process.returncode}:\n{log.read_text()}")
                with suppress(httpx.HTTPError):
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"commplan serve did not answer /healthz:\n{log.read_text()}")
                time.sleep(0.2)
            yield Server(base, log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# ---------------------------------------------------------------- 1 and 2: one request at a time


@dataclass
class Row:
    name: str
    times: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    size: int = 0  # bytes of the last body: a page that is really there, not an empty shell
    missing: bool = False

    def line(self, target: float) -> str:
        """Its figures; `target` 0 for a row shown for comparison only."""
        if self.missing:
            return f"  {self.name:<38} {MISSING}"
        odd = {code: n for code, n in self.statuses.items() if code != 200}
        verdict = f"(target p95 < {target * 1000:.0f} ms: {'met' if self.met(target) else 'MISSED'})" if target else ""
        return (f"  {self.name:<38} n={len(self.times):<4} p50 {ms(percentile(self.times, 0.50)):>6} ms  "
                f"p95 {ms(percentile(self.times, 0.95)):>6} ms  max {ms(max(self.times)):>6} ms  "
                f"{self.size / 1024:>5.0f} KiB  {verdict}"
                + (f"  non-200: {odd}" if odd else "")).rstrip()

    def met(self, target: float) -> bool:
        if self.missing:
            return True
        return (not target or percentile(self.times, 0.95) < target) and set(self.statuses) == {200}


def timed_gets(client: httpx.Client, name: str, paths: list[str]) -> Row:
    row = Row(name)
    for path in paths:
        began = time.perf_counter()
        reply = client.get(path)
        row.times.append(time.perf_counter() - began)  # the body is read by then (httpx reads it)
        row.statuses[reply.status_code] += 1
        row.size = len(reply.content)
    return row


def log_in(client: httpx.Client) -> None:
    form = CSRF.search(client.get("/dang-nhap").text)
    if form is None:
        raise RuntimeError("the login page has no CSRF token")
    reply = client.post("/dang-nhap", data={"csrf_token": form.group(1), "login": LOGIN, "password": PASSWORD,
                                            "tiep": "/tai-khoan"})
    if reply.status_code != 303 or reply.headers.get("location") != "/tai-khoan":
        raise RuntimeError(f"the coordinator's login failed: {reply.status_code}")


def page_timings(client: httpx.Client, report_paths: list[str], dashboard_count: int) -> list[tuple[Row, float]]:
    """The report page over `report_paths`, then the dashboard's pages `dashboard_count` times each,
    after a few warm-up requests of each (templates compiled, connections opened)."""
    for path in report_paths[:5]:
        client.get(path)
    rows = [(timed_gets(client, "report page (/bao-cao/{token})", report_paths), REPORT_TARGET_S)]
    # no ledger, no template: what the server and the connection cost alone (where uvicorn#3149 showed, before `commplan serve` set TCP_NODELAY)
    static = timed_gets(client, "(a static file: the transport alone)", [STATIC] * len(report_paths))
    log_in(client)
    for name, path in DASHBOARD.items():
        if client.get(path).status_code == 404:
            rows.append((Row(name, missing=True), DASHBOARD_TARGET_S))
            continue
        for _warm in range(2):
            client.get(path)
        rows.append((timed_gets(client, name, [path] * dashboard_count), DASHBOARD_TARGET_S))
    return [*rows, (static, 0.0)]


def measure_pages(label: str, server: Server, report_paths: list[str], dashboard_count: int) -> bool:
    with httpx.Client(base_url=server.base, timeout=30, follow_redirects=False) as client:
        rows = page_timings(client, report_paths, dashboard_count)
    print(f"{label}: through the server on loopback (client-measured)")
    ok = True
    for row, target in rows:
        print(row.line(target))
        ok &= row.met(target)
    return ok


def measure_in_process(label: str, url: str, folder: Path, data: Path, secret: str, report_paths: list[str],
                       dashboard_count: int) -> None:
    """The same pages through the app itself (Starlette's TestClient): the server's own time, for comparison."""
    settings = Settings(database_url=url, link_secret=secret, public_url="http://127.0.0.1:8000", data_dir=data)
    with TestClient(create_app(settings, plans=[folder]), base_url="http://127.0.0.1:8000",
                    follow_redirects=False) as client:
        rows = page_timings(client, report_paths, dashboard_count)
    print(f"{label}: in-process (TestClient, no network; for comparison)")
    for row, target in rows:
        print(row.line(target))


# ---------------------------------------------------------------- 3: clerks at once


@dataclass
class Submission:
    occurrence: int
    link: str
    expected: str  # "moi" (a new link), "trung" (one this clerk sent before), "either" (a shared link)
    answer: str | None = None  # "moi" or "trung" from the 303's Location; None for an error


@dataclass
class Load:
    gets: list[float] = field(default_factory=list)
    posts: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)  # "GET 200", "POST 303", "POST exception", ...
    submissions: list[Submission] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    client_cpu: float = 0.0  # seconds of CPU this process (the 50 clients) used: taken from the server's 2 cores


async def clerk(number: int, base: str, token: str, occurrence: int, pair: int | None, until: float, load: Load) -> None:
    sent: list[str] = []
    rng = random.Random(number)
    async with httpx.AsyncClient(base_url=base, timeout=60, follow_redirects=False) as client:
        turn = 0
        while time.monotonic() < until:
            began = time.perf_counter()
            try:
                page = await client.get(f"/bao-cao/{token}")
            except httpx.HTTPError as error:
                load.statuses["GET exception"] += 1
                load.errors.append(f"GET {type(error).__name__}")
                continue
            load.gets.append(time.perf_counter() - began)
            load.statuses[f"GET {page.status_code}"] += 1
            form = CSRF.search(page.text)
            if page.status_code != 200 or form is None:
                load.errors.append(f"GET {page.status_code}")
                await asyncio.sleep(0.1)
                continue
            if pair is not None and turn % 2 == 0:  # both of the pair send these, in the same order
                submission = Submission(occurrence, f"https://bao.example.vn/chung/{pair}/{turn}", "either")
            elif sent and turn % REPEAT_EVERY == REPEAT_EVERY - 1:
                submission = Submission(occurrence, rng.choice(sent), "trung")
            else:
                submission = Submission(occurrence, f"https://bao.example.vn/xa/{number}/{turn}", "moi")
            turn += 1
            began = time.perf_counter()
            try:
                reply = await client.post(f"/bao-cao/{token}", data={
                    "csrf_token": form.group(1), "link": submission.link, "name": f"Cán bộ {number}"})
            except httpx.HTTPError as error:  # the request may or may not have been recorded
                load.statuses["POST exception"] += 1
                load.errors.append(f"POST {type(error).__name__}")
                load.submissions.append(submission)
                continue
            load.posts.append(time.perf_counter() - began)
            load.statuses[f"POST {reply.status_code}"] += 1
            answer = reply.headers.get("location", "").rpartition("?gui=")[2]
            if reply.status_code == 303 and answer in ("moi", "trung"):
                submission.answer = answer
                if submission.expected != "trung":
                    sent.append(submission.link)
            else:
                load.errors.append(f"POST {reply.status_code} {answer}")
            load.submissions.append(submission)


async def crowd(base: str, assignments: list[tuple[str, int, int | None]], seconds: float) -> tuple[Load, float]:
    load = Load()
    began, cpu = time.monotonic(), time.process_time()
    await asyncio.gather(*(clerk(n, base, token, occurrence, pair, began + seconds, load)
                           for n, (token, occurrence, pair) in enumerate(assignments)))
    load.client_cpu = time.process_time() - cpu
    return load, time.monotonic() - began


def assignments_for(secret: str, rows: list[OccurrenceStatus], rng: random.Random) -> list[tuple[str, int, int | None]]:
    """A token for each clerk: open or overdue duties of distinct units; the first PAIRS share theirs in twos."""
    by_unit: dict[str, OccurrenceStatus] = {}
    for row in rng.sample(rows, len(rows)):
        if row.status in (Status.OPEN, Status.OVERDUE):
            by_unit.setdefault(row.unit, row)
    chosen = list(by_unit.values())[:CLERKS - PAIRS]
    clerks: list[tuple[str, int, int | None]] = []
    for n in range(CLERKS):
        if n < 2 * PAIRS:
            row, pair = chosen[n // 2], n // 2
        else:
            row, pair = chosen[n - PAIRS], None
        clerks.append((token_for(secret, row), row.id, pair))
    return clerks


def verify(url: str, load: Load) -> dict[str, int]:
    """What the ledger holds against what the clerks were told."""
    with Ledger(url) as ledger:
        rows = [(item.occurrence_id, item.link) for item in ledger.evidence(plans=["tinh-thu"]) if item.source == "web"]
    new = [(s.occurrence, s.link) for s in load.submissions if s.answer == "moi"]
    answered = {(s.occurrence, s.link) for s in load.submissions if s.answer is not None}
    unanswered = {(s.occurrence, s.link) for s in load.submissions if s.answer is None} - answered
    return {
        "evidence rows (source web)": len(rows),
        "distinct (occurrence, link) answered 'moi'": len(set(new)),
        "answered 'moi' more than once (doubled)": len(new) - len(set(new)),
        "doubled rows in the ledger": len(rows) - len(set(rows)),
        "lost (answered 303, not in the ledger)": len(answered - set(rows)),
        "in the ledger, answered 'trung' only (a 'moi' lost)": len(set(rows) & answered - set(new)),
        "in the ledger, never answered (a request that failed)": len(set(rows) - answered),
        "sent unanswered, not in the ledger": len(unanswered - set(rows)),
        "new link answered 'trung'": sum(s.expected == "moi" and s.answer == "trung" for s in load.submissions),
        "repeated link answered 'moi'": sum(s.expected == "trung" and s.answer == "moi" for s in load.submissions),
        "shared links sent by both of a pair": sum(n == 2 for n in Counter(
            s.link for s in load.submissions if s.expected == "either" and s.answer is not None).values()),
    }


def measure_clerks(url: str, server: Server, secret: str, rows: list[OccurrenceStatus], seconds: float) -> bool:
    assignments = assignments_for(secret, rows, random.Random(50))
    load, elapsed = asyncio.run(crowd(server.base, assignments, seconds))
    answered = sum(1 for s in load.submissions if s.answer is not None)
    errors = sum(n for status, n in load.statuses.items() if not re.fullmatch(r"(GET|POST) [23]\d\d", status))
    checks = verify(url, load)
    print(f"PostgreSQL, 2 workers: {CLERKS} clerks ({PAIRS} pairs sharing a link) for {seconds:.0f} s "
          f"(ran {elapsed:.1f} s; the clients themselves used {load.client_cpu:.1f} s of CPU)")
    print(f"  requests {sum(load.statuses.values()):,} ({', '.join(f'{k}: {v:,}' for k, v in sorted(load.statuses.items()))}); "
          f"errors {errors}")
    print(f"  submissions answered {answered:,}: {answered / elapsed:.1f}/s "
          f"({sum(s.answer == 'moi' for s in load.submissions):,} new, {sum(s.answer == 'trung' for s in load.submissions):,} "
          "already recorded)")
    for name, times in (("GET report page", load.gets), ("POST a link (to the 303)", load.posts)):
        if times:
            print(f"  {name:<26} p50 {ms(percentile(times, 0.5)):>7} ms  p95 {ms(percentile(times, 0.95)):>7} ms  "
                  f"max {ms(max(times)):>7} ms")
    if load.errors:
        print(f"  first errors: {Counter(load.errors).most_common(5)}")
    print("  ledger check:")
    for name, value in checks.items():
        print(f"    {name:<55} {value:>6}")
    bad = ("answered 'moi' more than once (doubled)", "doubled rows in the ledger", "lost (answered 303, not in the ledger)",
           "in the ledger, answered 'trung' only (a 'moi' lost)", "new link answered 'trung'", "repeated link answered 'moi'")
    ok = (errors == 0 and all(checks[name] == 0 for name in bad)
          and checks["evidence rows (source web)"] == checks["distinct (occurrence, link) answered 'moi'"])
    print(f"  no error, no evidence lost or doubled: {'met' if ok else 'MISSED'}")
    return ok


# ---------------------------------------------------------------- main


@contextmanager
def postgres_schema(server_url: str) -> Iterator[str | None]:
    """A fresh schema on the server (its URL with search_path), dropped afterwards; None when no server answers."""
    schema = f"commplan_bench_{uuid.uuid4().hex[:8]}"
    try:
        admin = create_engine(server_url, connect_args={"connect_timeout": 3})
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as error:  # no server here: the SQLite figures stand alone
        print(f"PostgreSQL: left out ({type(error).__name__})")
        yield None
        return
    separator = "&" if "?" in server_url else "?"
    try:
        yield f"{server_url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def run_ledger(label: str, url: str, folder: Path, data: Path, workers: tuple[int, ...], args: argparse.Namespace,
               then: Callable[[Server, str, list[OccurrenceStatus]], bool] | None = None) -> bool:
    """Sync, then the pages through `commplan serve --workers N` for each N (and `then` on the last
    server), then in-process."""
    rows, sync_s = prepared(url, folder)
    secret = secrets.token_urlsafe(48)
    rng = random.Random(300)
    report_paths = [f"/bao-cao/{token_for(secret, row)}" for row in rng.sample(rows, min(args.requests, len(rows)))]
    kinds = Counter(str(row.status) for row in rows)
    print(f"{label}: {len(rows):,} occurrences synced in {sync_s:.1f} s ({dict(kinds)})")
    ok = True
    for count in workers:
        with serve(url, folder, data, secret, count) as server:
            ok &= measure_pages(f"{label}, `commplan serve --workers {count}`", server, report_paths,
                                args.dashboard_requests)
            if then is not None and count == workers[-1]:
                ok &= then(server, secret, rows)
    # 48,679 rows held here would make each full collection of this process walk them, in the timed requests
    del rows
    gc.collect()
    measure_in_process(label, url, folder, data, secret, report_paths, args.dashboard_requests)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=POSTGRES,
                        help="the PostgreSQL server for the second ledger and the clerks (a schema of its own, dropped after)")
    parser.add_argument("--quick", action="store_true", help="fewer requests, and clerks for 10 s")
    parser.add_argument("--duration", type=float, default=None, help="seconds of clerks (default 60; 10 with --quick)")
    parser.add_argument("--communes", type=int, default=560)
    args = parser.parse_args()
    args.duration = args.duration or (10.0 if args.quick else 60.0)
    args.requests, args.dashboard_requests = (60, 20) if args.quick else (300, 100)
    os.environ["COMMPLAN_NOW"] = NOW.isoformat()  # this process's clock (the in-process app) is the servers'
    print(f"commplan web benchmark, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs; "
          f"synthetic province of {args.communes} communes, 2021, clock at {NOW:%d/%m/%Y %H:%M}")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "plans"
        folder.mkdir()
        synthetic_province(folder, args.communes)
        sqlite_data = Path(tmp) / "sqlite"
        sqlite_data.mkdir()
        ok &= run_ledger("SQLite", f"sqlite:///{sqlite_data / 'commplan.sqlite3'}", folder, sqlite_data, (1,), args)
        with postgres_schema(args.database_url) as url:
            if url is not None:
                postgres_url, postgres_data = url, Path(tmp) / "postgresql"
                postgres_data.mkdir()

                def clerks(server: Server, secret: str, rows: list[OccurrenceStatus]) -> bool:
                    return measure_clerks(postgres_url, server, secret, rows, args.duration)

                ok &= run_ledger("PostgreSQL", postgres_url, folder, postgres_data, (1, 2), args, then=clerks)
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
