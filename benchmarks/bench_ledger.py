"""Ledger speed: sync, re-sync, summary and overdue queries on SQLite and PostgreSQL.

Run: scripts/bench ledger   (or: .venv/bin/python benchmarks/bench_ledger.py [--communes N] [--years N])

Uses the synthetic province of bench_expand.py from 2021 to the horizon. The
PostgreSQL run uses $COMMPLAN_TEST_POSTGRES_URL (default the local `test`
database) in a schema of its own, dropped afterwards; it is left out when no
server answers.

Targets (checked here, never in the tests), for one province-year (about
50,000 occurrences): first sync under 10 s, an unchanged re-sync under 5 s,
a summary and an overdue listing under 1 s, on both databases; one unit's
summary, the province's summary and the first page (50 rows) of the
unit's and of the province's overdue list under 50 ms each (every one of three
runs must be; the first and the best are shown). The query timings run with the
start-up heap frozen (gc.freeze), as in a long-running process: see `run`.
The exit status is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_expand import PROVINCE, synthetic_province  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from commplan.ledger import Ledger  # noqa: E402
from commplan.plan import load_catalog  # noqa: E402

VN = dt.timezone(dt.timedelta(hours=7))
UNIT = "xa-7"  # one commune of the synthetic province
PAGE = 50
SCOPED_TARGET_S = 0.05
POSTGRES = os.environ.get("COMMPLAN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def timed(action):
    began = time.perf_counter()
    result = action()
    return result, time.perf_counter() - began


def run(label: str, url: str, catalog, years: int) -> bool:
    now = dt.datetime(2021 + years - 1, 12, 15, 9, 0, tzinfo=VN)
    horizon = dt.date(2021 + years - 1, 12, 31)
    with Ledger(url) as ledger:
        first, sync_s = timed(lambda: ledger.sync(catalog, now=now, horizon=horizon))
        again, resync_s = timed(lambda: ledger.sync(catalog, now=now, horizon=horizon))
        # The start-up heap (about 120,000 objects: the modules, the catalog) is frozen, as a long-running
        # process does after start-up: otherwise a full collection of it (about 40 ms here) lands in
        # whichever timed query crosses the collector's threshold. The collector still runs.
        gc.collect()
        gc.freeze()
        _, summary_s = timed(lambda: ledger.summary(as_of=now))
        # only the count is kept: 48,679 rows held on would make every full garbage collection of
        # this process (one lands in a timed query now and then) walk them during the timings below
        overdue, overdue_s = timed(lambda: len(ledger.statuses(as_of=dt.datetime.now(dt.UTC), only="overdue")))
        scoped = {
            "one unit's summary": lambda: ledger.summary(as_of=now, units=[UNIT]),
            "the province's summary": lambda: ledger.summary(as_of=now, province=PROVINCE),
            "one unit's overdue, first 50": lambda: ledger.statuses(units=[UNIT], only="overdue", limit=PAGE),
            "the province's overdue, first 50": lambda: ledger.statuses(province=PROVINCE, only="overdue", limit=PAGE),
        }
        scoped_s = {name: [timed(query)[1] for _ in range(3)] for name, query in scoped.items()}
    per_year = first.inserted / years
    print(f"{label}: sync {first.inserted:,} occurrences in {sync_s:.1f} s ({first.inserted / sync_s:,.0f}/s); "
          f"re-sync {resync_s:.1f} s ({again.unchanged:,} unchanged); summary {summary_s:.2f} s; "
          f"overdue listing {overdue_s:.2f} s ({overdue:,} rows)")
    scale = per_year / max(first.inserted, 1)
    ok = sync_s * scale < 10 and resync_s * scale < 5 and summary_s < years and overdue_s < years
    print(f"  per province-year: sync {sync_s * scale:.1f} s, re-sync {resync_s * scale:.1f} s; "
          f"queries under {years} s: {'met' if ok else 'MISSED'}")
    fast = all(max(times) < SCOPED_TARGET_S for times in scoped_s.values())
    print("  " + "; ".join(f"{name} {times[0] * 1000:.1f} ms (best {min(times) * 1000:.1f})"
                           for name, times in scoped_s.items())
          + f"; under {SCOPED_TARGET_S * 1000:.0f} ms: {'met' if fast else 'MISSED'}")
    return ok and fast


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=560)
    parser.add_argument("--years", type=int, default=1, help="years from 2021 to materialise")
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "plans"
        folder.mkdir()
        synthetic_province(folder, args.communes)
        catalog, _ = load_catalog([folder])
        ok &= run("SQLite", f"sqlite:///{tmp}/ledger.sqlite3", catalog, args.years)
        schema = f"commplan_bench_{uuid.uuid4().hex[:8]}"
        try:
            admin = create_engine(POSTGRES, connect_args={"connect_timeout": 3})
            with admin.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        except Exception as exc:  # no server here: report and go on
            print(f"PostgreSQL: left out ({type(exc).__name__})")
            return 0 if ok else 1
        try:
            separator = "&" if "?" in POSTGRES else "?"
            ok &= run("PostgreSQL", f"{POSTGRES}{separator}options=-csearch_path%3D{schema}", catalog, args.years)
        finally:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
            gc.unfreeze()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
