"""The plan loader on a large file: a 5 MB directory of 300,000 keys is read whole and right (linear
work; the speed figure is `scripts/bench loader`, never a timed test), and a huge file of unknown
keys still gives every error on its own line."""

from __future__ import annotations

import pytest

from commplan.cli import main
from commplan.plan import load_catalog

pytestmark = pytest.mark.slow

UNITS = 150_000  # two keys each: 300,000 keys


def big_directory(path, count: int = UNITS):
    lines = ["commplan: 1", "province: thanh-hoa", "units:"]
    lines += [f"  - id: u{i:06d}\n    name: Xã {i}" for i in range(count)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_5_mb_file_of_300000_keys_loads_whole(tmp_path):
    file = big_directory(tmp_path / "communes.yaml")
    assert 4_000_000 < file.stat().st_size < 6_000_000
    catalog, errors = load_catalog([file], strict=False)
    assert errors == []
    units = catalog.directory.units
    assert len(units) == UNITS
    last = units[f"u{UNITS - 1:06d}"]
    assert (last.name, last.province) == (f"Xã {UNITS - 1}", "thanh-hoa")


def test_an_error_at_the_end_of_a_large_file_names_its_line(tmp_path, capsys):
    file = big_directory(tmp_path / "communes.yaml", 100_000)
    with file.open("a", encoding="utf-8") as out:
        out.write("  - id: u000007\n    name: Trùng mã\n")  # a duplicate at the very end
    assert main(["validate", str(file)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"{file}:{3 + 2 * 100_000 + 1}:")
    assert "u000007" in err[0]


def test_a_file_of_many_unknown_keys_gives_one_line_each(tmp_path, capsys):
    file = tmp_path / "keys.yaml"
    count = 20_000
    file.write_text("commplan: 1\n" + "".join(f"k{i}: {i}\n" for i in range(count)), encoding="utf-8")
    assert main(["validate", str(file)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert sum(": khóa 'k" in line and "' không có trong định dạng (được dùng: commplan, province, units" in line for line in err) == count
    assert err[-1].endswith("lỗi trong 1 tệp.")
