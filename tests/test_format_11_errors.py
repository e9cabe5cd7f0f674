"""Plan format 1.1's new keys, when written wrong: one line each with file:line:column, key path and a
suggestion; impossible combinations name both keys; a warning leaves the exit status at 0."""

from __future__ import annotations

import pytest
from cli_in_process import run_cli
from test_format_11_schedule import UNITS, plan

from commplan.plan import load_catalog

OBLIGATION = "- id: nv\n  title: Nhiệm vụ\n  lead: buu-dien\n  once: true\n  due: {after_start: 3d}\n"
EVENTS = "- id: yeu-cau\n  title: Yêu cầu báo cáo\n  repeats: true\n- id: bau-cu\n  title: Bầu cử\n"
# waits for both events, so that a broken obligation above it leaves no event nobody waits for
VALID = "- id: ok\n  title: Nhiệm vụ đúng\n  lead: buu-dien\n  once: true\n  due: {after_start: 3d}\n" \
        "  from: {event: yeu-cau}\n  until: {event: bau-cu}\n"


def errors_of(tmp_path, *, obligations: str = OBLIGATION + "  from: {event: yeu-cau}\n  until: {event: bau-cu}\n",
              header: str = "", events: str = EVENTS, units: str = UNITS) -> list[str]:
    (tmp_path / "units.yaml").write_text(units, encoding="utf-8")
    (tmp_path / "plan.yaml").write_text(plan(obligations + VALID, header=header, events=events), encoding="utf-8")
    _, errors = load_catalog([tmp_path], strict=False)
    return [str(e).replace(str(tmp_path) + "/", "") for e in errors]


def test_the_valid_forms_pass(tmp_path):
    assert errors_of(tmp_path) == []
    assert errors_of(tmp_path, obligations=OBLIGATION + "  from: {event: yeu-cau, offset: -1d}\n"
                     "  until: {event: bau-cu, offset: '+2 workdays'}\n", header="tracking_from: 2026-01-01\n") == []


# plan() writes 6 header lines, then the header text given, `events:` and the events (5 lines), `obligations:`
# and OBLIGATION (5 lines), all indented by 2: `from` is on line 19 with no header text, `until` on line 20;
# each error points at the value (or key) that is wrong.
@pytest.mark.parametrize(("obligation_tail", "expected"), [
    ("  from: {date: 2026-01-01, offset: -1d}\n",
     "plan.yaml:19:38: obligations[0].from.offset: `offset` đi cùng `event`, không đi cùng `date`: hãy ghi thẳng ngày của from (ví dụ 2021-11-01)"),
    ("  from: {event: yeu-cau}\n  until: {offset: 3d}\n",
     "plan.yaml:20:21: obligations[0].until.offset: `offset` cần có `event` (ví dụ until: {event: bau-cu, offset: -1d})"),
    ("  from: {evnt: yeu-cau}\n",
     "plan.yaml:19:18: obligations[0].from.evnt: khóa 'evnt' không có trong from; có phải là 'event'?"),
    ("  from: {event: yeu-cau, ofset: 1d}\n",
     "plan.yaml:19:35: obligations[0].from.ofset: khóa 'ofset' không có trong from; có phải là 'offset'?"),
    ("  from: {event: yeu-cau, offset: 2h}\n",
     "plan.yaml:19:36: obligations[0].from.offset: '2h': khoảng lùi/tiến dời một ngày, nên tính bằng ngày (d), tuần (w) hoặc ngày làm việc (workdays)"),
    ("  from: {event: yeu-cau, offset: soon}\n",
     "plan.yaml:19:36: obligations[0].from.offset: 'soon' không phải là khoảng lùi/tiến (ví dụ -1d, 2d, 1w, -3 workdays)"),
    ("  from: {event: yeu-cau, offset: 3}\n",
     "plan.yaml:19:36: obligations[0].from.offset: 3 thiếu đơn vị tính: ghi 3d (ngày), 3w (tuần) hoặc '3 workdays' (ngày làm việc)"),
    ("  from: {event: yeu-cau}\n  until: {event: bau_cu}\n",
     "plan.yaml:20:20: obligations[0].until.event: không có sự kiện 'bau_cu' (có phải là 'bau-cu'?)"),
    ("  from: {event: bau-cu}\n  until: {event: yeu-cau}\n",
     "plan.yaml:20:20: obligations[0].until.event: `until` không chờ sự kiện 'yeu-cau' được: sự kiện đó có `repeats: true`, mà ngày kết thúc cần một ngày duy nhất"),
    ("  from: {event: yeu-cau}\n  until: soon\n",
     "plan.yaml:20:12: obligations[0].until: 'soon' không phải là ngày kết thúc: ghi một ngày (2021-11-01) hoặc {event: <id>}"),
])
def test_from_and_until(tmp_path, obligation_tail, expected):
    assert errors_of(tmp_path, obligations=OBLIGATION + obligation_tail) == [expected]


@pytest.mark.parametrize(("events", "expected"), [
    ("- id: yeu-cau\n  title: Yêu cầu\n  repeats: true\n  date: 2026-01-05\n",
     "plan.yaml:10:14: events[0].repeats: `repeats` và `date` không đi cùng nhau được: sự kiện lặp lại không có một ngày duy nhất; hãy ghi nhận mỗi lần sự kiện diễn ra (commplan event ID --date D)"),
    ("- id: yeu-cau\n  title: Yêu cầu\n  repeat: true\n",
     "plan.yaml:10:5: events[0].repeat: khóa 'repeat' không có trong định dạng; có phải là 'repeats'?"),
    ("- id: yeu-cau\n  title: Yêu cầu\n  repeats: often\n",
     "plan.yaml:10:14: events[0].repeats: cần true hoặc false, nhưng gặp 'often'"),
])
def test_repeating_events(tmp_path, events, expected):
    events += "- id: bau-cu\n  title: Bầu cử\n"
    assert errors_of(tmp_path, obligations=OBLIGATION + "  from: {event: yeu-cau}\n", events=events) == [expected]


@pytest.mark.parametrize(("header", "expected"), [
    ("tracking_from: 2026-13-01\n", "plan.yaml:7:18: plan.tracking_from: '2026-13-01' không phải là ngày (ghi YYYY-MM-DD, ví dụ 2021-11-10)"),
    ("tracking_form: 2026-01-01\n", "plan.yaml:7:3: plan.tracking_form: khóa 'tracking_form' không có trong định dạng; có phải là 'tracking_from'?"),
])
def test_tracking_from(tmp_path, header, expected):
    assert errors_of(tmp_path, header=header) == [expected]


@pytest.mark.parametrize(("unit", "expected"), [
    ("    dissolved: 2025-13-01\n", "units.yaml:15:16: units[3].dissolved: '2025-13-01' không phải là ngày (ghi YYYY-MM-DD, ví dụ 2021-11-10)"),
    ("    disolved: 2025-07-01\n", "units.yaml:15:5: units[3].disolved: khóa 'disolved' không có trong định dạng; có phải là 'dissolved'?"),
    ("    succeeded_by: {unit: buu-dien, from: 2025-08-01}\n",
     "units.yaml:16:42: units[3].succeeded_by.from: succeeded_by.from 2025-08-01 sau ngày giải thể dissolved 2025-07-01: đơn vị phải chuyển giao nhiệm vụ vào hoặc trước ngày giải thể"),
])
def test_dissolved(tmp_path, unit, expected):
    units = UNITS.replace("    dissolved: 2025-07-01\n", "    dissolved: 2025-07-01\n" + unit, 1)
    if "disolved" in unit or "2025-13-01" in unit:
        units = UNITS.replace("    dissolved: 2025-07-01\n", unit, 1)
    assert errors_of(tmp_path, units=units) == [expected]


def test_succession_before_dissolution_is_consistent(tmp_path):
    units = UNITS.replace("    dissolved: 2025-07-01\n", "    dissolved: 2025-07-01\n"
                          "    succeeded_by: {unit: buu-dien, from: 2025-07-01}\n", 1)
    assert errors_of(tmp_path, units=units) == []


def test_validate_warns_about_an_obligation_every_holder_of_which_is_dissolved(tmp_path):
    (tmp_path / "units.yaml").write_text(UNITS, encoding="utf-8")
    obligations = ("- id: truyen-thanh\n  title: Tin trên đài huyện\n  lead: ubnd-cap-huyen\n  every: week\n  from: 2025-07-01\n"
                   "- id: con-huyen\n  title: Tin trước giải thể\n  lead: ubnd-cap-huyen\n  every: week\n  from: 2025-06-01\n")
    (tmp_path / "plan.yaml").write_text(plan(obligations), encoding="utf-8")
    result = run_cli("validate", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stderr.replace(str(tmp_path) + "/", "").splitlines() == [
        "plan.yaml:10:11: cảnh báo: obligations[0].lead: mọi đơn vị thực hiện đều đã giải thể trước ngày bắt đầu 2025-07-01 của nhiệm vụ (ubnd-huyen-a ngày 2025-07-01, ubnd-huyen-b ngày 2025-07-01): không đơn vị nào phải thực hiện"]
    assert result.stdout.startswith("Hợp lệ: 2 tệp, 1 kế hoạch, 2 nhiệm vụ") and "1 cảnh báo." in result.stdout


def test_an_event_waited_for_by_a_broken_obligation_is_not_also_reported_as_waited_for_by_nobody(tmp_path):
    (tmp_path / "units.yaml").write_text(UNITS, encoding="utf-8")
    (tmp_path / "plan.yaml").write_text(plan(OBLIGATION + "  from: {event: bau-cu, offset: 2h}\n",
                                             events="- id: bau-cu\n  title: Bầu cử\n"), encoding="utf-8")
    _, errors = load_catalog([tmp_path], strict=False)
    assert [str(e).split(": ", 1)[1] for e in errors] == [
        "obligations[0].from.offset: '2h': khoảng lùi/tiến dời một ngày, nên tính bằng ngày (d), tuần (w) hoặc ngày làm việc (workdays)"]
