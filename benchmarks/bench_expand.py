"""Load and expansion speed, and peak memory, for the seed plans and a synthetic province.

Run: scripts/bench   (or: .venv/bin/python benchmarks/bench_expand.py [--communes N])

The synthetic province has the shape of Thanh Hóa before 2025: 30 departments,
27 districts, N commune radios (default 560), and a plan whose duties are the
seeds' rhythms (weekly items, monthly programmes and rebroadcasts, weekly and
monthly reports, quarterly and yearly reports, a daily working-day duty). One
year of it is about 50,000 occurrences (160,000 with --communes 2000); a
country's plans are about 5 million a year.

Target (checked here, never in the tests): a province-year expands in under
2 s and 300 MB on one core, which puts a country's 5 million occurrences
within about a minute.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from commplan.plan import load_catalog  # noqa: E402
from commplan.schedule import expand_catalog  # noqa: E402

TARGET_SECONDS = 2.0
TARGET_MB = 300


PROVINCE = "tinh-thu"  # the directory file's `province:` (plan format 1.1): every unit of the file is in it


def synthetic_province(folder: Path, communes: int) -> None:
    units = ["commplan: 1", f"province: {PROVINCE}", "units:", "  - {id: ubnd-tinh, name: UBND tỉnh}",
             "  - {id: so-tttt, name: Sở TTTT, succeeded_by: {unit: so-khcn, from: 2025-03-01}}",
             "  - {id: so-khcn, name: Sở KH&CN}"]
    units += [f"  - {{id: so-{i}, name: Sở số {i}, parent: ubnd-tinh}}" for i in range(30)]
    units += [f"  - {{id: huyen-{i}, name: UBND huyện {i}, parent: ubnd-tinh}}" for i in range(27)]
    units += [f"  - {{id: xa-{i}, name: UBND xã {i}, parent: huyen-{i % 27}}}" for i in range(communes)]
    units += ["groups:",
              "  so-nganh: {name: Các sở, members: [" + ", ".join(f"so-{i}" for i in range(30)) + "]}",
              "  cap-huyen: {name: Các huyện, members: [" + ", ".join(f"huyen-{i}" for i in range(27)) + "]}",
              "  cap-xa: {name: Các xã, members: [" + ", ".join(f"xa-{i}" for i in range(communes)) + "]}"]
    (folder / "units.yaml").write_text("\n".join(units) + "\n", encoding="utf-8")
    obligations = [
        ("tin-tuan-xa", "cap-xa", "week", None, 1),
        ("chuong-trinh-thang-xa", "cap-xa", "month", None, 1),
        ("phat-lai-thang-xa", "cap-xa", "month", None, 3),
        ("tin-tuan-huyen", "cap-huyen", "week", None, 1),
        ("bao-cao-tuan", "[cap-huyen, so-nganh]", "week", '{weekday: thu, time: "14:00"}', 1),
        ("bao-cao-thang", "[cap-huyen, so-nganh]", "month", '{day: 25, time: "14:00"}', 1),
        ("bao-cao-quy", "so-nganh", "quarter", "{month: last, day: 25}", 1),
        ("bao-cao-nam", "[cap-huyen, so-nganh]", "year", "{month: 12, day: 15}", 1),
        ("zalo-tuan", "so-tttt", "week", None, 1),
        ("cap-nhat-ngay", "so-tttt", "workday", '{time: "16:30"}', 1),
    ]
    plan = ["commplan: 1", "plan:", "  id: tinh-thu", "  title: Kế hoạch tỉnh", "  coordinator: so-tttt",
            "  effective: {from: 2021-01-01}", "obligations:"]
    for ident, lead, every, due, at_least in obligations:
        plan += [f"  - id: {ident}", f"    title: {ident}", f"    lead: {lead}", f"    every: {every}",
                 f"    at_least: {at_least}"] + ([f"    due: {due}"] if due else [])
    (folder / "plan.yaml").write_text("\n".join(plan) + "\n", encoding="utf-8")


def measure(label: str, paths: list[Path], start: dt.date, end: dt.date) -> tuple[int, float, float]:
    """Time one load and one expansion; then peak memory in a second, traced pass
    (tracemalloc slows Python several times, so it never runs while timing)."""
    began = time.perf_counter()
    catalog, _ = load_catalog(paths)
    loaded = time.perf_counter()
    occurrences = list(expand_catalog(catalog, start, end, by="window"))
    expanded = time.perf_counter()
    count, seconds = len(occurrences), expanded - loaded
    del occurrences, catalog
    tracemalloc.start()
    catalog, _ = load_catalog(paths)
    kept = list(expand_catalog(catalog, start, end, by="window"))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del kept
    print(f"{label}: load {loaded - began:.2f} s; {count:,} occurrences in {seconds:.2f} s "
          f"({count / max(seconds, 1e-9):,.0f}/s); peak {peak / 2**20:.0f} MB holding them all")
    return count, seconds, peak / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=560)
    args = parser.parse_args()
    measure("seed plans, 2021-2026", [ROOT / "plans"], dt.date(2021, 1, 1), dt.date(2026, 12, 31))
    with tempfile.TemporaryDirectory() as tmp:
        synthetic_province(Path(tmp), args.communes)
        _count, seconds, mb = measure("synthetic province, one year", [Path(tmp)], dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    ok = seconds < TARGET_SECONDS and mb < TARGET_MB
    print(f"target: a province-year in < {TARGET_SECONDS} s and < {TARGET_MB} MB: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
