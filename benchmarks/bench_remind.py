"""Reminder speed: queueing a busy morning's steps, composing the messages (digests, .ics
attachments) and draining the outbox through the file channels, on SQLite and PostgreSQL.

Run: scripts/bench remind   (or: .venv/bin/python benchmarks/bench_remind.py [--communes N])

The synthetic province of bench_expand.py, every unit with an email and a phone,
one year synced. The morning is the 25th of a month at 08:00: monthly reports
due, weekly ones overdue, commune programmes due at month end.

Targets (checked here, never in the tests), for a province of 600 communes:
queueing under 5 s, composing under 30 s, sending through the file channels
under 30 s (the outbox's own cost: two transactions per message).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_expand import synthetic_province  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from commplan.ledger import Ledger  # noqa: E402
from commplan.notify.channels import Channel, FileChannel  # noqa: E402
from commplan.notify.notifier import Notifier, SendReport  # noqa: E402
from commplan.plan import load_catalog  # noqa: E402

VN = dt.timezone(dt.timedelta(hours=7))
POSTGRES = os.environ.get("COMMPLAN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def with_contacts(folder: Path) -> None:
    """Give every unit of the synthetic directory an email and a mobile number."""
    path = folder / "units.yaml"
    counter = iter(range(10**6))

    def add(match: re.Match) -> str:
        n = next(counter)
        return f'{match.group(1)}, contacts: [{{email: u{n}@example.gov.vn, phone: "09{n:08d}"}}]}}'

    path.write_text(re.sub(r"^(  - \{id: [^}]*)\}$", add, path.read_text(encoding="utf-8"), flags=re.M), encoding="utf-8")


def timed(action):
    began = time.perf_counter()
    result = action()
    return result, time.perf_counter() - began


def run(label: str, url: str, catalog, folder: Path) -> bool:
    morning = dt.datetime(2022, 3, 25, 8, 0, tzinfo=VN)
    os.environ["COMMPLAN_NOW"] = morning.isoformat()  # run as if it were then: far from the clock it would be a replay
    with Ledger(url) as ledger:
        ledger.sync(catalog, now=dt.datetime(2022, 1, 1, tzinfo=VN), horizon=dt.date(2022, 12, 31))
        queued, queue_s = timed(lambda: ledger.queue_reminders(catalog, as_of=morning, now=morning))
        channels: dict[str, Channel] = {name: FileChannel(name, folder / f"{label}-outbox.jsonl") for name in ("email", "zalo", "sms")}
        notifier = Notifier(ledger, catalog, channels)
        report = SendReport()
        _, plan_s = timed(lambda: notifier.plan(morning, report))
        _, send_s = timed(lambda: notifier.send(morning, report))
    print(f"{label}: queued {queued.queued:,} steps in {queue_s:.1f} s; composed {report.planned:,} messages "
          f"({report.planned / max(plan_s, 1e-9):,.0f}/s) in {plan_s:.1f} s; sent {report.sent:,} in {send_s:.1f} s "
          f"({report.sent / max(send_s, 1e-9):,.0f}/s)")
    return queue_s < 5 and plan_s < 30 and send_s < 30


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=600)
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        synthetic_province(folder, args.communes)
        with_contacts(folder)
        catalog, _ = load_catalog([folder], strict=True)
        ok &= run("SQLite", f"sqlite:///{folder / 'bench.sqlite3'}", catalog, folder)
        schema = f"commplan_bench_{uuid.uuid4().hex[:8]}"
        try:
            admin = create_engine(POSTGRES)
            with admin.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        except Exception as error:  # no server: the SQLite figures stand alone
            print(f"PostgreSQL: skipped ({error.__class__.__name__})")
            return 0 if ok else 1
        try:
            ok &= run("PostgreSQL", f"{POSTGRES}?options=-csearch_path%3D{schema}", catalog, folder)
        finally:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
