"""The command line: exit codes, formats, filters (in-process through `cli.main`; one real process)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

from cli_in_process import run_cli as commplan
from conftest import REPO, UNITS_YAML, plan_yaml


def test_validate_passes_on_the_bundled_plans():
    # a real process: `python -m commplan` and its exit status, as a user runs it
    result = subprocess.run([sys.executable, "-m", "commplan", "validate", "plans/"], cwd=REPO, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Hợp lệ: 10 tệp, 5 kế hoạch,")  # plans/units/thanh-hoa-communes.yaml is the 10th


def test_validate_prints_every_error_and_exits_1(tmp_path):
    (tmp_path / "units.yaml").write_text(UNITS_YAML, encoding="utf-8")
    (tmp_path / "a.yaml").write_text(plan_yaml("- id: a\n  title: T\n  lead: nobody\n  every: month\n"), encoding="utf-8")
    (tmp_path / "b.yaml").write_text("commplan: 1\nunits:\n  - id: x\n", encoding="utf-8")
    result = commplan("validate", str(tmp_path))
    assert result.returncode == 1
    lines = result.stderr.replace(str(tmp_path) + "/", "").splitlines()
    assert lines == [
        "a.yaml:12:11: obligations[0].lead[0]: không có đơn vị hay nhóm đơn vị 'nobody'",
        "b.yaml:3:5: units[0]: thiếu khóa bắt buộc 'name'",
        "2 lỗi trong 2 tệp.",
    ]
    assert result.stdout == ""


def test_preview_json_has_exactly_the_documented_keys_sorted_by_due():
    result = commplan("preview", "plans/", "--from", "2021-12-01", "--to", "2021-12-31", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows, "December 2021 has deadlines in the seed plans"
    assert all(list(row) == ["plan", "obligation", "unit", "window_start", "window_end", "due", "at_least"] for row in rows)
    order = [(r["due"], r["plan"], r["obligation"], r["unit"]) for r in rows]
    assert order == sorted(order)
    first = rows[0]
    assert first["due"].endswith("+07:00") and len(first["window_start"]) == 10
    assert {"plan": "bo-tttt-2980-2021", "obligation": "bao-cao-tuan-kh1034", "unit": "so-tttt-thanh-hoa",
            "window_start": "2021-11-29", "window_end": "2021-12-05", "due": "2021-12-02T14:00:00+07:00",
            "at_least": 1} in rows


def test_preview_filters_by_unit_group_and_plan():
    result = commplan("preview", "plans/", "--from", "2022-03-07", "--to", "2022-03-13", "--format", "csv",
                      "--unit", "ubnd-cap-huyen-thanh-hoa", "--plan", "thanh-hoa-241-2021")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 27
    assert {r["obligation"] for r in rows} == {"truyen-thanh-co-so-tuan"}


def test_preview_opens_event_obligations_with_event():
    args = ("preview", "plans/", "--from", "2021-11-01", "--to", "2021-11-30", "--format", "json", "--plan", "thanh-hoa-241-2021")
    before = {r["obligation"] for r in json.loads(commplan(*args).stdout)}
    after = {r["obligation"] for r in json.loads(commplan(*args, "--event", "banner-nong-san-viet=2021-11-15").stdout)}
    assert "lap-chuyen-muc-cong-ttdt" not in before
    assert {"lap-chuyen-muc-cong-ttdt", "tin-bai-cong-ttdt-thang"} <= after


def test_preview_table_is_in_vietnamese():
    result = commplan("preview", "plans/", "--from", "2026-02-13", "--to", "2026-02-28", "--unit", "buu-dien-thanh-hoa")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].split() == ["Hạn", "Đơn", "vị", "Kế", "hoạch", "Nhiệm", "vụ", "Kỳ", "SL"]
    # the weekly report "trước thứ 5" due Wednesday 18/02/2026 (Tết) moves back to Friday 13/02
    assert "Thứ Sáu 13/02/2026  Bưu điện tỉnh  241/KH-UBND  Báo cáo tuần" in result.stdout
    assert "nhiệm vụ." in result.stdout.splitlines()[-1]


def test_preview_refuses_unknown_ids_and_bad_ranges():
    unknown = commplan("preview", "plans/", "--unit", "so-ttt-thanh-hoa")
    assert unknown.returncode == 2 and "không có kế hoạch hoặc đơn vị: so-ttt-thanh-hoa" in unknown.stderr
    backwards = commplan("preview", "plans/", "--from", "2022-02-01", "--to", "2022-01-01")
    assert backwards.returncode == 2 and "lỗi: --to 01/01/2022 trước --from 01/02/2022" in backwards.stderr
    bad_date = commplan("preview", "plans/", "--from", "31/02/2022")  # dd/mm/yyyy is a date, 31 February is not
    assert bad_date.returncode == 2 and "'31/02/2022' không phải là ngày (dd/mm/yyyy hoặc YYYY-MM-DD)" in bad_date.stderr


def test_dates_are_read_as_clerks_write_them_and_as_iso():
    import argparse
    import datetime as dt

    import pytest

    from commplan.cli.arguments import date_type, on_type

    assert date_type("02/11/2021") == date_type("2/11/2021") == date_type("2021-11-02") == dt.date(2021, 11, 2)
    assert on_type("02/11/2021") == on_type(" 2021-11-02 ") == dt.date(2021, 11, 2)  # a day: 00:00 in the plan's timezone
    assert on_type("02/11/2021 15:30") == on_type("2021-11-02T15:30") == on_type("2021-11-02 15:30") == dt.datetime(2021, 11, 2, 15, 30)
    with_offset = on_type("2021-11-02T15:30+07:00")
    assert isinstance(with_offset, dt.datetime) and with_offset.utcoffset() == dt.timedelta(hours=7)
    for wrong in ("31/02/2021", "11/2021", "02/11/2021 25:00", "2021-11-02T", "hôm qua", "1800-01-01"):
        with pytest.raises(argparse.ArgumentTypeError):
            on_type(wrong)
    with pytest.raises(argparse.ArgumentTypeError, match=r"'2021/11/02' không phải là ngày \(dd/mm/yyyy hoặc YYYY-MM-DD\)"):
        date_type("2021/11/02")
