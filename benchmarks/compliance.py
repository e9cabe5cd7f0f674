"""The compliance report's speed: one month of the synthetic 560-commune province-year, every file.

Run: scripts/bench compliance   (or: .venv/bin/python benchmarks/compliance.py [--communes N] [--month 2021-11])

Synced for 2021 (about 48,700 occurrences) on SQLite (and on PostgreSQL when $COMMPLAN_TEST_POSTGRES_URL,
default the local `test` database, answers; in a schema of its own, dropped afterwards), with one
commune in three having delivered its items, the status at 15/12/2021. Timed: reading the ledger
and building the report, then each file (XLSX, CSV, HTML, the PNG heat map). Target: the whole
under 10 s (issue 13). The exit status is 1 when it is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_expand import synthetic_province  # noqa: E402
from bench_ledger import POSTGRES  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from commplan.ledger import EvidenceInput, Ledger  # noqa: E402
from commplan.plan import load_catalog  # noqa: E402
from commplan.reports.compliance_files import write_csv, write_html, write_xlsx  # noqa: E402
from commplan.reports.compliance_report import compliance_report  # noqa: E402
from commplan.reports.heat_map import render_heat_map  # noqa: E402

VN = dt.timezone(dt.timedelta(hours=7))
TARGET_S = 10.0


def timed(action):
    began = time.perf_counter()
    result = action()
    return result, time.perf_counter() - began


def run(label: str, url: str, catalog, month: dt.date, out: Path) -> bool:
    now = dt.datetime(2021, 12, 15, 9, 0, tzinfo=VN)
    end = (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    with Ledger(url) as ledger:
        report_sync, sync_s = timed(lambda: ledger.sync(catalog, now=now, horizon=dt.date(2021, 12, 31)))
        rows = ledger.compliance_rows("tinh-thu", month, end, as_of=now)
        recorded = 0
        for row in rows:  # one commune in three delivers its weekly item, on time
            if row.obligation == "tin-tuan-xa" and int(row.unit.split("-")[1]) % 3 == 0:
                day = row.due - dt.timedelta(days=1)
                ledger.record_evidence(row.obligation, row.unit, EvidenceInput(kind="count", quantity=1),
                                       on=day, occurrence_id=row.id, now=now)
                recorded += 1
        report, read_s = timed(lambda: compliance_report(ledger, "tinh-thu", month, end, as_of=now))
    stem = out / f"{label.lower()}-tuan-thu-{month:%Y-%m}"
    _, xlsx_s = timed(lambda: write_xlsx(report, stem.with_suffix(".xlsx")))
    _, csv_s = timed(lambda: write_csv(report, stem.with_suffix(".csv")))
    png, png_s = timed(lambda: render_heat_map(report))
    stem.with_suffix(".png").write_bytes(png)
    _, html_s = timed(lambda: write_html(report, stem.with_suffix(".html"), png))
    total = read_s + xlsx_s + csv_s + png_s + html_s
    print(f"{label}: {report_sync.inserted:,} occurrences synced in {sync_s:.1f} s; {recorded:,} items recorded; "
          f"{month:%m/%Y}: {report.total.owed:,} owed, {len(report.matrix)} units, {len(report.overdue):,} overdue")
    print(f"  ledger read + report {read_s:.2f} s; XLSX {xlsx_s:.2f} s; CSV {csv_s:.2f} s; heat map {png_s:.2f} s; "
          f"HTML {html_s:.2f} s; total {total:.2f} s (target < {TARGET_S:.0f} s: {'met' if total < TARGET_S else 'MISSED'})")
    return total < TARGET_S


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=560)
    parser.add_argument("--month", default="2021-11", help="YYYY-MM, in 2021")
    args = parser.parse_args()
    month = dt.date.fromisoformat(f"{args.month}-01")
    print(f"commplan compliance benchmark, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; synthetic province of "
          f"{args.communes} communes, 2021; month {month:%m/%Y}")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "plans"
        folder.mkdir()
        synthetic_province(folder, args.communes)
        catalog, _ = load_catalog([folder])
        ok &= run("SQLite", f"sqlite:///{tmp}/ledger.sqlite3", catalog, month, Path(tmp))
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
            ok &= run("PostgreSQL", f"{POSTGRES}{separator}options=-csearch_path%3D{schema}", catalog, month, Path(tmp))
        finally:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
