"""The Zalo token store in the ledger (`LedgerZaloTokens`) against the loopback Zalo: seeded once,
refreshed early, rotated exactly once even by two processes at the same moment, and a refused
refresh made visible (SQLite file and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
import os
import queue
import subprocess
import sys
import threading

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from zalo_fake import OAUTH_PATH, TOKEN_LIFETIME, ZaloFake

from commplan.ledger.tokens import StoredToken
from commplan.notify.channels import Unreachable
from commplan.notify.zalo_oauth import PERMISSION_URL
from commplan.notify.zalo_tokens import EARLY, LedgerZaloTokens, ZaloLockedOut

pytestmark = pytest.mark.server  # the loopback Zalo, and processes racing for the token

START = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
KEY = Fernet.generate_key().decode()  # the token store's key (COMMPLAN_TOKEN_KEY)
LIFETIME = dt.timedelta(seconds=TOKEN_LIFETIME)  # 25 h


class Clock:
    """A clock the test moves by hand (the store's `clock=`)."""

    def __init__(self, moment: dt.datetime = START):
        self.moment = moment

    def __call__(self) -> dt.datetime:
        return self.moment


@pytest.fixture
def zalo():
    with ZaloFake() as fake:
        yield fake


def store(ledger, zalo: ZaloFake, clock=None) -> LedgerZaloTokens:
    return LedgerZaloTokens(ledger, zalo.app_id, zalo.secret_key, key=KEY, oauth_base=zalo.base, clock=clock or Clock())


def oauth_calls(zalo: ZaloFake) -> list[dict]:
    return [r for r in zalo.requests if r["path"] == OAUTH_PATH]


def test_seeding_refreshes_at_once_and_a_fresh_token_is_used_without_asking_zalo(ledger, zalo):
    clock = Clock()
    tokens = store(ledger, zalo, clock)
    with pytest.raises(ZaloLockedOut, match="sổ theo dõi chưa có mã truy cập Zalo: chạy `commplan zalo-token --refresh-token -`"):
        tokens.current()  # nothing seeded yet: an Unreachable, so messages go on to SMS
    stored = tokens.seed("refresh-1")
    assert (stored.access_token, stored.refresh_token, stored.last_error) == ("oa-token-2", "refresh-2", None)
    assert stored.access_expires_at == START + LIFETIME and stored.refreshed_at == START
    assert [r["used"] for r in zalo.refreshes] == ["refresh-1"]

    assert tokens.current() == "oa-token-2"
    clock.moment = START + LIFETIME - EARLY - dt.timedelta(minutes=1)  # 19 h 59 min: 5 h 1 min left
    assert tokens.current() == "oa-token-2"
    assert len(zalo.refreshes) == 1 and len(oauth_calls(zalo)) == 1  # fresh: Zalo was not asked

    clock.moment = START + dt.timedelta(hours=21)  # 4 h left: refreshed early, once
    assert tokens.current() == "oa-token-3"
    assert tokens.current() == "oa-token-3"
    assert [r["used"] for r in zalo.refreshes] == ["refresh-1", "refresh-2"]
    stored = stored_pair(tokens)
    assert (stored.access_token, stored.refresh_token) == ("oa-token-3", "refresh-3") == (zalo.access_token, zalo.refresh_token)
    assert stored.access_expires_at == clock.moment + LIFETIME and stored.refreshed_at == clock.moment
    # the pair lives in the ledger, not in this object: another worker uses it without a refresh
    assert store(ledger, zalo, clock).current() == "oa-token-3" and len(zalo.refreshes) == 2


def test_a_rejected_token_is_rotated_once_however_many_holders_report_it(ledger, zalo):
    tokens, other = store(ledger, zalo), store(ledger, zalo)
    tokens.seed("refresh-1")
    assert tokens.invalidate("oa-token-2") == "oa-token-3"
    # another holder of the same old token: refresh-3 is not spent again, the rotated token comes back
    assert other.invalidate("oa-token-2") == "oa-token-3"
    assert [r["used"] for r in zalo.refreshes] == ["refresh-1", "refresh-2"]
    assert len(oauth_calls(zalo)) == 2  # no third request, so no -14020 either
    assert stored_pair(tokens).refresh_token == "refresh-3" == zalo.refresh_token
    # but the current token rejected is rotated (the check is "replaced", not "refresh at most once")
    assert other.invalidate("oa-token-3") == "oa-token-4" and tokens.current() == "oa-token-4"


def stored_pair(tokens: LedgerZaloTokens) -> StoredToken:
    stored = tokens.status()
    assert stored is not None, "no token pair stored"
    return stored


class GatedZalo(ZaloFake):
    """Holds each refresh answer until the test releases it, so the first process keeps the row
    locked while the second one tries to take it."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.gated = False
        self.arrived = threading.Event()
        self.release = threading.Event()

    def answer(self, path, headers, raw):
        if path == OAUTH_PATH and self.gated:
            self.arrived.set()
            self.release.wait(120)
        return super().answer(path, headers, raw)


# One worker process: opens the ledger, waits for "go", then reports the stale token it holds. On
# SQLite it says when it starts BEGIN IMMEDIATE (the statement trace runs before the lock is taken,
# so a worker that said so is waiting for the lock or holds it).
WORKER = """
import json, sys
from sqlalchemy import event
from commplan.ledger import Ledger
from commplan.notify.zalo_tokens import LedgerZaloTokens
url, base, stale, key = sys.argv[1:5]

def trace(statement):
    if statement.startswith("BEGIN IMMEDIATE"):
        print("BEGIN IMMEDIATE", flush=True)

with Ledger(url) as ledger:
    if ledger.engine.dialect.name == "sqlite":
        event.listen(ledger.engine, "connect", lambda dbapi, record: dbapi.set_trace_callback(trace))
        ledger.engine.dispose()  # new connections, traced
    tokens = LedgerZaloTokens(ledger, "app-1", "secret-1", key=key, oauth_base=base)
    print("ready", flush=True)
    sys.stdin.readline()
    print("go", flush=True)
    try:
        print(json.dumps({"token": tokens.invalidate(stale)}), flush=True)
    except Exception as error:
        print(json.dumps({"error": f"{type(error).__name__}: {error}"}), flush=True)
"""


class Worker:
    def __init__(self, url: str, base: str, stale: str):
        self.process = subprocess.Popen([sys.executable, "-c", WORKER, url, base, stale, KEY], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None  # stdout=PIPE
        for line in self.process.stdout:
            self.lines.put(line.strip())
        self.lines.put("<exit>")

    def expect(self, word: str) -> str:
        line = self.lines.get(timeout=120)
        if line == "<exit>" or (word and line != word):
            self.process.wait(timeout=30)
            assert self.process.stderr is not None  # stderr=PIPE
            pytest.fail(f"worker said {line!r}, expected {word!r}; stderr:\n{self.process.stderr.read()}")
        return line

    def go(self) -> None:
        assert self.process.stdin is not None  # stdin=PIPE
        self.process.stdin.write("go\n")
        self.process.stdin.flush()


def waiting_for_a_row_lock(ledger) -> bool:
    with ledger.engine.connect() as connection:
        return connection.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%oauth_token%'"
        )).scalar() > 0


def test_two_processes_with_the_same_stale_token_rotate_it_once(ledger, ledger_url):
    with GatedZalo() as zalo:
        store(ledger, zalo).seed("refresh-1")  # oa-token-2, which Zalo has just rejected for both workers
        zalo.gated = True
        workers = [Worker(ledger_url, zalo.base, "oa-token-2") for _ in range(2)]
        try:
            for worker in workers:
                worker.expect("ready")
            for worker in workers:
                worker.go()
            for worker in workers:
                worker.expect("go")
            assert zalo.arrived.wait(120), "no worker asked Zalo for a refresh"
            # one worker holds the row (its refresh is held by the fake); the other is at the lock
            if ledger.engine.dialect.name == "sqlite":
                for worker in workers:
                    worker.expect("BEGIN IMMEDIATE")
            else:
                for _ in range(1200):
                    if waiting_for_a_row_lock(ledger):
                        break
                    threading.Event().wait(0.1)
                else:
                    pytest.fail("the second worker never waited on the token row's lock")
            zalo.release.set()
            answers = [json.loads(worker.expect("")) for worker in workers]
            for worker in workers:
                assert worker.process.wait(timeout=60) == 0
        finally:
            zalo.release.set()
            for worker in workers:
                if worker.process.poll() is None:
                    worker.process.kill()
                worker.process.wait()
    assert answers == [{"token": "oa-token-3"}, {"token": "oa-token-3"}]
    assert [r["used"] for r in zalo.refreshes] == ["refresh-1", "refresh-2"]
    assert len(oauth_calls(zalo)) == 2  # seed + one rotation: the second worker never sent refresh-2 (-14020)
    stored = stored_pair(store(ledger, zalo))
    assert (stored.access_token, stored.refresh_token, stored.last_error) == ("oa-token-3", "refresh-3", None)


def cli(url: str, zalo: ZaloFake, *args: str, stdin: str | None = None, **variables: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COMMPLAN_ZALO_APP_ID": zalo.app_id, "COMMPLAN_ZALO_SECRET_KEY": zalo.secret_key,
           "COMMPLAN_ZALO_OAUTH_BASE": zalo.base, "COMMPLAN_TOKEN_KEY": KEY, **variables}
    env.pop("COMMPLAN_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "commplan", "zalo-token", "--database", url, *args],
                          env=env, capture_output=True, text=True, timeout=120, input=stdin or "", check=False)


def test_a_refused_refresh_locks_zalo_out_visibly_until_it_is_seeded_again(ledger, ledger_url):
    with ZaloFake(refresh_token="refresh-zalo-knows") as zalo:
        tokens = store(ledger, zalo)
        tokens.seed("refresh-we-kept", access_token="oa-token-1", expires_in=TOKEN_LIFETIME)  # no refresh yet
        assert zalo.requests == []
        with pytest.raises(ZaloLockedOut, match="-14020") as raised:
            tokens.invalidate("oa-token-1")
        assert isinstance(raised.value, Unreachable) and PERMISSION_URL in str(raised.value)
        stored = stored_pair(tokens)
        assert stored.last_error is not None and "-14020" in stored.last_error and stored.last_error.startswith(f"{START:%Y-%m-%d %H:%M} UTC: ")
        assert (stored.access_token, stored.refresh_token) == ("oa-token-1", "refresh-we-kept")  # nothing lost
        assert zalo.refreshes == [] and [r["body"]["refresh_token"] for r in oauth_calls(zalo)] == ["refresh-we-kept"]
        # once refused, the same refresh token is not offered again (every Zalo delivery would ask)
        with pytest.raises(ZaloLockedOut, match="cấp quyền lại cho OA"):
            tokens.invalidate("oa-token-1")
        assert len(oauth_calls(zalo)) == 1

        status = cli(ledger_url, zalo)
        assert status.returncode == 1, status.stderr
        assert "Lỗi làm mới gần nhất:" in status.stdout and "-14020" in status.stdout

        seeded = cli(ledger_url, zalo, "--refresh-token", "-", stdin="refresh-zalo-knows\n")
        assert seeded.returncode == 0, seeded.stderr
        assert "được làm mới tự động" in seeded.stdout and "Lỗi làm mới gần nhất" not in seeded.stdout
        assert [r["used"] for r in zalo.refreshes] == ["refresh-zalo-knows"]
    stored = stored_pair(tokens)
    assert (stored.access_token, stored.refresh_token, stored.last_error) == ("oa-token-2", "refresh-2", None)
    assert tokens.current() == "oa-token-2"


def test_seeding_with_a_refused_refresh_token_exits_1_and_stores_nothing(ledger, ledger_url):
    with ZaloFake() as zalo:
        refused = cli(ledger_url, zalo, "--refresh-token", "-", stdin="not-the-one\n")
        assert refused.returncode == 1 and "Zalo từ chối hoặc không kết nối được" in refused.stderr
        assert "-14020" in refused.stderr
    assert store(ledger, zalo).status() is None
