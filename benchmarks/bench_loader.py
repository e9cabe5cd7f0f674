"""Plan loading speed on a large file: a units directory of 300,000 keys (about 5 MB) and a tenth of it.

Run: scripts/bench loader   (or: .venv/bin/python benchmarks/bench_loader.py [--keys N])

Target (checked here, never in the tests): the loader stays linear in the size of the file (the large
file takes about ten times the small one, not a hundred), and the 5 MB file loads in seconds. With
libyaml (PyYAML's usual wheels) the parse of 300,000 keys takes about 3 s; the pure-Python parser,
used for files libyaml refuses (to word their errors the same way), about 20 s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from commplan.plan import load_catalog  # noqa: E402


def directory(path: Path, keys: int) -> Path:
    units = keys // 2  # id and name
    lines = ["commplan: 1", "province: thanh-hoa", "units:"]
    lines += [f"  - id: u{i:06d}\n    name: Xã {i}" for i in range(units)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def measure(path: Path, keys: int) -> float:
    tracemalloc.start()
    started = time.perf_counter()
    catalog, errors = load_catalog([path], strict=False)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert not errors and len(catalog.directory.units) == keys // 2, errors[:3]
    print(f"{keys:>9,} keys, {path.stat().st_size / 1e6:5.1f} MB: {seconds:6.2f} s, peak {peak / 1e6:6.0f} MB (traced)")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=300_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        small = measure(directory(Path(folder) / "small.yaml", args.keys // 10), args.keys // 10)
        large = measure(directory(Path(folder) / "large.yaml", args.keys), args.keys)
    print(f"ratio large/small: {large / small:.1f} (linear: about 10)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
