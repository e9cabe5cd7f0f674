"""Calendar export speed: one unit with five years of weekly and monthly duties, from the ledger.

Run: scripts/bench calendar   (or: .venv/bin/python benchmarks/bench_calendar.py)

Target (checked here, never in the tests): the unit's calendar (query, events,
iCalendar text) in well under a second, i.e. under 0.5 s, on SQLite; also
reported: the same as a coordinator's calendar of the whole synthetic province
for one month, and the recurring (RRULE) view of the unit.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from commplan.calendar.export import Selection, export_calendar  # noqa: E402
from commplan.ledger import Ledger  # noqa: E402
from commplan.plan import load_catalog  # noqa: E402

VN = dt.timezone(dt.timedelta(hours=7))
UNITS = """commplan: 1
units:
  - {id: ubnd-tinh, name: UBND tỉnh Thử Nghiệm}
  - {id: so-tttt, name: Sở Thông tin và Truyền thông tỉnh Thử Nghiệm, parent: ubnd-tinh}
  - {id: dai-huyen, name: Đài Truyền thanh - Truyền hình huyện Thử Nghiệm, parent: ubnd-tinh}
"""
PLAN = """commplan: 1
plan:
  id: ke-hoach-5-nam
  number: 99/KH-UBND
  title: Kế hoạch truyền thông 5 năm, giai đoạn 2022-2026
  issuer: ubnd-tinh
  coordinator: so-tttt
  effective: {from: 2022-01-01, until: 2026-12-31}
  reminders: {before: [3d, 1d], on_due: true}
obligations:
  - {id: tin-tuan, title: "Phát sóng ít nhất 01 tin, bài về chuyển đổi số", lead: [dai-huyen], every: week,
     quote: "Mỗi tuần phát sóng ít nhất 01 tin, bài; định kỳ báo cáo về Sở TTTT", channel: radio}
  - {id: bao-cao-tuan, title: Báo cáo tuần, lead: [dai-huyen], every: week, due: {weekday: thu, time: "14:00"}}
  - {id: chuyen-muc-thang, title: Chuyên mục tháng, lead: [dai-huyen], every: month, channel: television}
  - {id: bao-cao-thang, title: Báo cáo tháng, lead: [dai-huyen], every: month, due: {day: 25, time: "14:00"}}
"""


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "units.yaml").write_text(UNITS, encoding="utf-8")
        (folder / "plan.yaml").write_text(PLAN, encoding="utf-8")
        catalog, _ = load_catalog([folder], strict=True)
        with Ledger(f"sqlite:///{folder / 'bench.sqlite3'}") as ledger:
            ledger.sync(catalog, now=dt.datetime(2022, 1, 1, tzinfo=VN), horizon=dt.date(2026, 12, 31))
            selection = Selection(units=("dai-huyen",), start=dt.date(2022, 1, 1), end=dt.date(2026, 12, 31))
            as_of = dt.datetime(2024, 6, 1, 9, 0, tzinfo=VN)
            export_calendar(ledger, catalog, selection, as_of=as_of)  # warm: imports, the VTIMEZONE
            runs = []
            data = b""
            for _ in range(5):
                began = time.perf_counter()
                data, _ = export_calendar(ledger, catalog, selection, as_of=as_of)
                runs.append(time.perf_counter() - began)
            events = data.count(b"BEGIN:VEVENT")
            best = min(runs)
            print(f"unit calendar, 5 years: {events} events, {len(data) / 1024:.0f} KiB, best of 5 {best:.3f} s "
                  f"(median {sorted(runs)[2]:.3f} s)")
            try:
                from commplan.calendar.recurring import recurring_calendar
            except ImportError:
                pass
            else:
                began = time.perf_counter()
                data, count = recurring_calendar(ledger, catalog, selection, now=as_of)
                print(f"recurring view: {count} events, {len(data) / 1024:.0f} KiB, {time.perf_counter() - began:.3f} s")
    ok = best < 0.5
    print("target met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
