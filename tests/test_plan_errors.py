"""Every kind of bad input gets one clear line: file:line:column: key path: message."""

from __future__ import annotations

import textwrap

import pytest
from conftest import UNITS_YAML, plan_yaml

from commplan.plan import PlanLoadError, load_catalog


def errors_for(tmp_path, files: dict[str, str | bytes]) -> list[str]:
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    _, errors = load_catalog([tmp_path], strict=False)
    return [str(e).replace(str(tmp_path) + "/", "") for e in errors]


def plan_errors(tmp_path, obligations: str, header: str = "", events: str = "") -> list[str]:
    return errors_for(tmp_path, {"units.yaml": UNITS_YAML, "plan.yaml": plan_yaml(obligations, header, events)})


OK_OBLIGATION = """
- id: tin-thang
  title: Tin hàng tháng
  lead: buu-dien
  every: month
"""


def test_it_accepts_a_valid_plan(tmp_path):
    assert plan_errors(tmp_path, OK_OBLIGATION) == []


def test_it_names_file_line_column_and_key_path_of_a_bad_weekday(tmp_path):
    errors = plan_errors(
        tmp_path,
        """
        - id: bao-cao-tuan
          title: Báo cáo tuần
          lead: buu-dien
          every: week
          due: {weekday: thur, time: "14:00"}
        """,
    )
    # plan_yaml puts `obligations:` on line 9, then this text (which starts with a blank line)
    assert errors == ["plan.yaml:15:20: obligations[0].due.weekday: 'thur' không phải là thứ trong tuần (mon..sun)"]


@pytest.mark.parametrize(
    ("obligation", "expected"),
    [
        ("- id: a\n  titel: Tin\n  lead: buu-dien\n  every: month\n",
         ["obligations[0]: thiếu khóa bắt buộc 'title'",
          "obligations[0].titel: khóa 'titel' không có trong định dạng; có phải là 'title'?"]),
        ("- id: a\n  lead: buu-dien\n  every: month\n",
         "obligations[0]: thiếu khóa bắt buộc 'title'"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n",
         "obligations[0]: thiếu nhịp thực hiện: ghi một trong `every`, `once` hoặc `rrule`"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n  once: true\n",
         "obligations[0].once: chỉ ghi một trong every, once, rrule (đang có every và once)"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: fortnight\n",
         "obligations[0].every: 'fortnight' không phải là kỳ: dùng day, workday, week, month, quarter, half-year, year, hoặc bội số như '2 weeks' hay '3 months'"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n  due: {weekday: thu}\n",
         "obligations[0].due.weekday: `weekday` dùng cho kỳ tuần, không dùng với `every: month`"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: week\n  due: {day: 25}\n",
         "obligations[0].due.day: `day` dùng cho kỳ tháng, quý, 6 tháng và năm, không dùng với `every: week`"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: quarter\n  due: {day: 25}\n",
         "obligations[0].due.day: với `every: quarter` hãy ghi tháng nào của kỳ: {month: last, day: …}"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: quarter\n  due: {month: 4, day: 25}\n",
         "obligations[0].due.month: tháng 4 không có trong kỳ 3 tháng"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: year\n  due: {month: 2, day: 30}\n",
         "obligations[0].due.day: ngày 30/2 không bao giờ có"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n  due: {day: 32}\n",
         "obligations[0].due.day: 32 không phải là ngày trong tháng (1..31, last, hoặc -1 cho ngày cuối tháng)"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n  due: {day: 25, time: \"25:00\"}\n",
         'obligations[0].due.time: \'25:00\' không phải là giờ trong ngày (ghi "14:00")'),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n  due: {day: 25, if_holiday: skip}\n",
         "obligations[0].due.if_holiday: 'skip' không phải là quy tắc ngày nghỉ (next-workday, previous-workday, keep)"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n  due: {after_end: soon}\n",
         "obligations[0].due.after_end: 'soon' không phải là khoảng thời gian (ví dụ 3d, 2h, 1w, 5 workdays)"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n  due: 2021-12-31\n",
         "obligations[0].due: thời hạn là một ngày cố định thì đi cùng `once: true`; nhiệm vụ lặp lại dùng {day: …}, {weekday: …}"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  once: true\n",
         "obligations[0].once: nhiệm vụ một lần cần có `due` (một ngày, hoặc {after_start: 7d}) hoặc `until`"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  once: true\n  from: 2022-01-10\n  due: 2022-01-01\n",
         "obligations[0].due: thời hạn 2022-01-01 trước ngày bắt đầu from 2022-01-10"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n  from: 2022-05-01\n  until: 2022-01-01\n",
         "obligations[0].until: ngày kết thúc until 2022-01-01 trước ngày bắt đầu from 2022-05-01"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: year\n  months: [5]\n",
         "obligations[0].months: không có kỳ năm nào bắt đầu trong các tháng này (các kỳ bắt đầu vào tháng 1)"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n  months: [13]\n",
         "obligations[0].months[0]: 13 không phải là tháng (1..12)"),
        ("- id: a\n  title: Tin\n  lead: bu-dien\n  every: month\n",
         "obligations[0].lead[0]: không có đơn vị hay nhóm đơn vị 'bu-dien' (có phải là 'buu-dien'?)"),
        ("- id: a\n  title: Tin\n  lead: Bưu điện tỉnh\n  every: month\n",
         "obligations[0].lead: 'Bưu điện tỉnh' không phải là mã id: chỉ dùng chữ thường không dấu, chữ số và dấu gạch ngang (ví dụ buu-dien-tinh)"),
        ("- id: a\n  title: Tin\n  lead: 5\n  every: month\n",
         "obligations[0].lead[0]: không có đơn vị hay nhóm đơn vị '5'"),
        ("- id: a\n  title: Tin\n  lead: [buu-dien]\n  every: month\n  at_least: many\n",
         "obligations[0].at_least: cần một số nguyên, nhưng gặp 'many'"),
        ("- id: a\n  title: Tin\n  lead: [buu-dien]\n  every: month\n  at_least: 0\n",
         "obligations[0].at_least: phải ít nhất là 1"),
        ("- id: a\n  title: [Tin]\n  lead: buu-dien\n  every: month\n",
         "obligations[0].title: cần một chuỗi chữ, nhưng gặp một danh sách"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n  kind: news\n",
         "obligations[0].kind: 'news' không thuộc các giá trị publish | broadcast | meeting | report | plan | deliverable"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n  from: {event: banner}\n",
         "obligations[0].from.event: không có sự kiện 'banner'"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  rrule: \"FREQ=HOURLY\"\n",
         "obligations[0].rrule: FREQ của quy tắc phải là DAILY hoặc dài hơn: kỳ tính theo ngày trọn vẹn"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  rrule: \"FREQ=SOMETIMES\"\n",
         "obligations[0].rrule: quy tắc không hợp lệ: invalid 'FREQ': SOMETIMES"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n  reminders: {befor: [1d]}\n",
         "obligations[0].reminders.befor: khóa 'befor' không có trong định dạng; có phải là 'before'?"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n  reminders: {before: [tomorrow]}\n",
         "obligations[0].reminders.before[0]: 'tomorrow' không phải là khoảng thời gian (ví dụ 3d, 2h, 1w, 5 workdays)"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n- id: a\n  title: Tin 2\n  lead: buu-dien\n  every: week\n",
         "obligations[1].id: mã nhiệm vụ 'a' bị trùng (đã có ở dòng 10)"),
        ("- just a string\n",
         "obligations[0]: cần một ánh xạ (một nhiệm vụ), nhưng gặp 'just a string'"),
    ],
)
def test_it_explains_a_bad_obligation(tmp_path, obligation, expected):
    errors = plan_errors(tmp_path, obligation)
    expected = expected if isinstance(expected, list) else [expected]
    assert [e.split(": ", 1)[1] for e in errors] == expected, errors
    assert all(e.startswith("plan.yaml:") for e in errors)


def test_it_reports_every_error_of_every_file_in_one_run(tmp_path):
    bad_units = UNITS_YAML.replace("groups:", "  - id: buu-dien\n    name: Trùng\n  - id: x\n    nam: Thiếu tên\ngroups:")
    bad_plan = plan_yaml(
        "- id: a\n  title: Tin\n  lead: nobody\n  every: month\n"
        "- id: b\n  title: Tin\n  lead: buu-dien\n  every: week\n  due: {weekday: thur}\n"
    )
    errors = errors_for(tmp_path, {"a-units.yaml": bad_units, "b/plan.yaml": bad_plan})
    assert errors == [
        "a-units.yaml:25:9: units[7].id: mã 'buu-dien' bị trùng (đã là một đơn vị trong a-units.yaml)",
        "a-units.yaml:27:5: units[8]: thiếu khóa bắt buộc 'name'",
        "a-units.yaml:28:5: units[8].nam: khóa 'nam' không có trong định dạng; có phải là 'name'?",
        "b/plan.yaml:12:11: obligations[0].lead[0]: không có đơn vị hay nhóm đơn vị 'nobody'",
        "b/plan.yaml:18:20: obligations[1].due.weekday: 'thur' không phải là thứ trong tuần (mon..sun)",
    ]


def test_it_refuses_a_group_with_a_units_id_and_units_declared_twice_across_files(tmp_path):
    extra = "commplan: 1\nunits:\n  - id: so-khcn\n    name: Lặp lại\ngroups:\n  buu-dien:\n    name: Trùng\n    members: [viettel-post]\n"
    errors = errors_for(tmp_path, {"units.yaml": UNITS_YAML, "z.yaml": extra})
    assert errors == [
        "z.yaml:3:9: units[0].id: mã 'so-khcn' bị trùng (đã là một đơn vị trong units.yaml)",
        "z.yaml:6:3: groups.buu-dien: mã nhóm 'buu-dien' đã là một đơn vị trong units.yaml",
    ]


def test_it_finds_a_succession_cycle(tmp_path):
    units = UNITS_YAML.replace(
        "    name: Sở Khoa học và Công nghệ tỉnh Thử Nghiệm\n",
        "    name: Sở Khoa học và Công nghệ tỉnh Thử Nghiệm\n    succeeded_by: {unit: so-tttt, from: 2026-01-01}\n",
    )
    errors = errors_for(tmp_path, {"units.yaml": units})
    assert len(errors) == 1
    assert "kế thừa nhiệm vụ thành vòng: so-tttt -> so-khcn -> so-tttt" in errors[0]


def test_it_finds_groups_that_contain_each_other(tmp_path):
    units = UNITS_YAML + "  vong-a:\n    name: A\n    members: [vong-b]\n  vong-b:\n    name: B\n    members: [vong-a]\n"
    errors = errors_for(tmp_path, {"units.yaml": units})
    assert len(errors) == 1 and "các nhóm đơn vị chứa lẫn nhau thành vòng: vong-a -> vong-b -> vong-a" in errors[0]


def test_it_refuses_an_event_that_no_obligation_waits_for(tmp_path):
    errors = plan_errors(tmp_path, OK_OBLIGATION, events="- id: banner\n  title: Banner\n")
    assert errors == ["plan.yaml:10:9: events[0].id: không nhiệm vụ nào chờ sự kiện 'banner' (dùng `from: {event: banner}`)"]


def test_it_checks_the_plan_header(tmp_path):
    errors = plan_errors(
        tmp_path,
        OK_OBLIGATION,
        header="timezone: Asia/Hanoi_City\nholidays: XX\nextra_days_off: [2026-01-02]\nextra_workdays: [2026-01-02]\nreminders: {before: [3d], overdue_every: often}\n",
    )
    messages = [e.split(": ", 1)[1] for e in errors]
    assert messages == [
        "plan.timezone: không có múi giờ 'Asia/Hanoi_City' (ví dụ Asia/Ho_Chi_Minh)",
        "plan.holidays: 'XX' không phải là mã quốc gia mà gói holidays biết (ví dụ VN)",
        "plan.reminders.overdue_every: 'often' không phải là khoảng thời gian (ví dụ 3d, 2h, 1w, 5 workdays)",
    ]


def test_it_checks_indicators_and_budget(tmp_path):
    text = plan_yaml(OK_OBLIGATION) + textwrap.dedent(
        """\
        indicators:
          - id: ho-dao-tao
            name: Số hộ được đào tạo
            targets: {2022: 70%, 2023: lots}
          - id: ho-co-tai-khoan
            name: Số hộ có tài khoản
            targets: {2022: 50%}
            of: tong-ho
        budget:
          - obligation: tin-thag
            amount: "30.000.000đ"
          - obligation: tin-thang
            amount: -5
        """
    )
    errors = errors_for(tmp_path, {"units.yaml": UNITS_YAML, "plan.yaml": text})
    messages = [e.split(": ", 1)[1] for e in errors]
    assert messages == [
        "indicators[0].targets[2023]: 'lots' không phải là mục tiêu: ghi một số (10) hoặc phần trăm (70%)",
        "indicators[1].of: không có chỉ tiêu 'tong-ho'",
        "budget[0].obligation: không có nhiệm vụ 'tin-thag' (có phải là 'tin-thang'?)",
        "budget[1].amount: số tiền phải lớn hơn 0",
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "x.yaml:1:1: đây là tệp nhị phân, không phải văn bản YAML"),
        ("commplan: 1\nunits: []\n".encode("utf-16"), "x.yaml:1:1: đây là tệp nhị phân, không phải văn bản YAML"),
        (b"commplan: 1\nunits:\n  - id: a\n    name: S\xe1 TTTT\n", "x.yaml:4:12: không phải văn bản UTF-8 (byte 0xe1); hãy lưu tệp dạng UTF-8"),
        (b"", "x.yaml:1:1: tệp trống; tệp kế hoạch bắt đầu bằng `commplan: 1`"),
        (b"# only a comment\n", "x.yaml:1:1: tệp trống; tệp kế hoạch bắt đầu bằng `commplan: 1`"),
        (b"commplan: 1\nunits: [\n", "x.yaml:3:1: YAML không hợp lệ: khi đọc một giá trị: cần một giá trị, nhưng gặp '<stream end>'"),
        (b"commplan: 1\n\tunits: []\n", "x.yaml:2:1: YAML không hợp lệ: khi đọc tệp: gặp ký tự '\\t' không được đứng đầu một giá trị (thụt lề bằng dấu cách, không dùng tab)"),
        (b"commplan: 1\n---\ncommplan: 1\n", "x.yaml:2:1: YAML không hợp lệ: mỗi tệp chỉ chứa một tài liệu YAML: nhưng lại gặp tài liệu thứ hai"),
        (b"- commplan\n- 1\n", "x.yaml:1:1: tệp kế hoạch là một ánh xạ bắt đầu bằng `commplan: 1`, nhưng gặp một danh sách"),
        (b"units: []\n", "x.yaml:1:1: thiếu `commplan: 1` (phiên bản định dạng) ở đầu tệp"),
        (b"commplan: 2\nunits: []\n", "x.yaml:1:11: commplan: phiên bản định dạng 2 không được hỗ trợ; commplan này đọc phiên bản 1"),
        (b"commplan: 1\n", "x.yaml:1:1: tệp không có `units`, `groups` hay `plan`"),
        (b"commplan: 1\nunit: []\n", "x.yaml:2:1: unit: khóa 'unit' không có trong định dạng; có phải là 'units'?"),
        (b"commplan: 1\nobligations: []\n", "x.yaml:2:1: obligations: `obligations` thuộc về một kế hoạch: hãy thêm phần đầu `plan:` vào tệp này"),
        (b"commplan: 1\nunits: 5\n", "x.yaml:2:8: units: `units` là một danh sách (mỗi mục bắt đầu bằng `- `), nhưng gặp 5"),
        (b"commplan: 1\nunits:\n  - id: a\n    name: A\n    name: B\n", "x.yaml:5:5: units[0].name: khóa 'name' bị trùng (đã ghi ở dòng 4)"),
        (b"commplan: 1\nunits:\n  - ? [a, b]\n    : x\n", "x.yaml:3:7: units[0]: khóa phải là một chuỗi chữ, không phải danh sách hay ánh xạ"),
        (b"commplan: 1\nunits:\n  - !!python/object:os.system {}\n", "x.yaml:3:5: YAML không hợp lệ: thẻ 'tag:yaml.org,2002:python/object:os.system' không được phép trong kế hoạch"),
    ],
)
def test_it_gives_a_one_line_error_for_malformed_files(tmp_path, content, expected):
    errors = errors_for(tmp_path, {"x.yaml": content})
    assert expected in errors, errors


def test_it_refuses_deep_nesting(tmp_path):
    errors = errors_for(tmp_path, {"x.yaml": "commplan: 1\nunits: " + "[" * 5000 + "]" * 5000 + "\n"})
    assert len(errors) == 1
    assert "lồng quá sâu" in errors[0] and errors[0].startswith("x.yaml:")


def test_it_refuses_an_alias_bomb(tmp_path):
    lines = ["commplan: 1", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    errors = errors_for(tmp_path, {"x.yaml": "\n".join(lines) + "\n"})
    assert len(errors) == 1
    assert "tài liệu quá lớn: hơn 500000 giá trị (kể cả các alias đã mở rộng)" in errors[0]


def test_it_refuses_a_huge_file(tmp_path):
    errors = errors_for(tmp_path, {"x.yaml": b"commplan: 1\n" + b"#" * (9 * 1024 * 1024)})
    assert errors == [f"x.yaml:1:1: tệp có {9 * 1024 * 1024 + 12} byte; tệp kế hoạch dài tối đa 8388608 byte"]


def test_it_reads_unquoted_times_as_times_not_base_60_numbers(tmp_path):
    errors = plan_errors(
        tmp_path,
        "- id: a\n  title: Tin\n  lead: buu-dien\n  every: week\n  due: {weekday: thu, time: 14:00}\n",
    )
    assert errors == []


def test_it_names_missing_paths(tmp_path):
    _, errors = load_catalog([tmp_path / "nowhere"], strict=False)
    assert [e.message for e in errors] == ["không có tệp hoặc thư mục này"]


def test_strict_loading_raises_with_every_error(tmp_path):
    (tmp_path / "x.yaml").write_text("commplan: 3\nunits: []\n", encoding="utf-8")
    with pytest.raises(PlanLoadError) as caught:
        load_catalog([tmp_path])
    assert len(caught.value.errors) == 1
    assert "commplan: phiên bản định dạng 3 không được hỗ trợ" in str(caught.value)


def test_hidden_folders_are_not_searched(tmp_path):
    (tmp_path / ".venv" / "lib").mkdir(parents=True)
    (tmp_path / ".venv" / "lib" / "other.yaml").write_text("not: a plan\n", encoding="utf-8")
    (tmp_path / "units.yaml").write_text(UNITS_YAML, encoding="utf-8")
    catalog, errors = load_catalog([tmp_path], strict=False)
    assert errors == [] and catalog.files == (str(tmp_path / "units.yaml"),)


def test_review_findings_on_the_plan_language(tmp_path):
    """Inputs a second reader found: each now gets a clear error, or the right value."""
    errors = plan_errors(
        tmp_path,
        """
        - &base
          id: a
          title: Tin
          lead: buu-dien
          every: month
        - <<: *base
          id: b
        - id: c
          title: Tin
          lead: buu-dien
          rrule: "FREQ=DAILY;BYHOUR=9"
        - id: d
          title: Tin
          lead: buu-dien
          every: week
          from: 9999-12-30
        - id: e
          title: Tin
          lead: buu-dien
          every: 2 years
          due: {month: 2, day: 30}
        - id: f
          lead: [buu-dien]
        - id: g
          title: Tin
          lead: buu-dien
          every: day
          due: {after_end: 3660 workdays}
        - id: h
          title: Tin
          lead: buu-dien
          rrule: "FREQ=DAILY;UNTIL=20200101"
          from: 2026-01-05
        """,
    )
    messages = [e.split(": ", 1)[1] for e in errors]
    assert messages == [
        "obligations[2].rrule: kỳ tính theo ngày trọn vẹn: quy tắc không được có BYHOUR, BYMINUTE hay BYSECOND (dùng due.time)",
        "obligations[3].from: 9999-12-30 không phải là ngày bắt đầu: ghi một ngày (2021-11-01) hoặc {event: <id>}",
        "obligations[4].due.day: ngày 30/2 không bao giờ có",
        "obligations[5]: thiếu khóa bắt buộc 'title'",
        "obligations[6].due.after_end: '3660 workdays' quá dài (tối đa 366)",
        "obligations[7].rrule: quy tắc không cho ngày nào từ 2026-01-05 trở đi: kiểm tra UNTIL, COUNT và BYMONTHDAY",
    ]


def test_leading_zeros_stay_text_and_groups_cannot_succeed(tmp_path):
    units = UNITS_YAML.replace('phone: "+84900000001", zalo: "8400000001"', "phone: 0345671234, zalo: 0123456701").replace(
        "    succeeded_by: {unit: so-khcn, from: 2025-03-15}", "    succeeded_by: {unit: ubnd-cap-huyen, from: 2025-03-15}")
    errors = errors_for(tmp_path, {"units.yaml": units})
    assert [e.split(": ", 1)[1] for e in errors] == [
        "units[1].succeeded_by.unit: 'ubnd-cap-huyen' là một nhóm đơn vị: ở đây phải ghi một đơn vị"]
    catalog, _ = load_catalog([tmp_path], strict=False)
    contact = catalog.directory.units["so-tttt"].contacts[0]
    assert (contact.zalo, contact.phone) == ("0123456701", "0345671234")


def test_extra_days_off_joined_by_a_weekend_count_as_one_run(tmp_path):
    days = [f"2026-06-{d:02d}" for d in range(4, 31)] + ["2026-07-01", "2026-07-02", "2026-07-03"]
    days += [f"2026-07-{d:02d}" for d in range(6, 31)]
    errors = plan_errors(tmp_path, OK_OBLIGATION, header=f"extra_days_off: [{', '.join(days)}]\n")
    assert len(errors) == 1 and "ngày nghỉ liền nhau (kể cả cuối tuần): tối đa 30" in errors[0]


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        ("{after_end: 5d, before: true}",
         "obligations[0].due.before: `before: true` không đi cùng `after_end` được: nó chỉ ngày liền trước một `day` hoặc `weekday`"),
        ("{after_start: 7d, before: true}",
         "obligations[0].due.before: `before: true` không đi cùng `after_start` được: nó chỉ ngày liền trước một `day` hoặc `weekday`"),
        ("{day: 25, time: \"14:00\", before: true}",
         'obligations[0].due.before: `before: true` không đi cùng `time` được: hạn là 23:59:59 của ngày hôm trước; "trước 14h00 ngày 25" ghi là {day: 25, time: "14:00"}, không có `before`'),
        ("{before: true}",
         "obligations[0].due.before: `before: true` cần có `day` hoặc `weekday` (ví dụ {day: 25, before: true})"),
        ("{day: 25, before: \"có\"}", "obligations[0].due.before: `before` nhận true hoặc false, nhưng gặp 'có'"),
        ("{day: 25, before: 1}", "obligations[0].due.before: `before` nhận true hoặc false, nhưng gặp 1"),
        ("{day: 25, befor: true}",
         "obligations[0].due.befor: khóa 'befor' không có trong due (được dùng: weekday, day, month, after_end, after_start, date, time, if_holiday, before)"),
    ],
)
def test_it_refuses_before_where_it_means_nothing(tmp_path, due, expected):
    errors = plan_errors(tmp_path, f"- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n  due: {due}\n")
    assert [e.split(": ", 1)[1] for e in errors] == [expected], errors
    assert errors[0].startswith("plan.yaml:14:")


def test_it_refuses_before_with_a_fixed_date(tmp_path):
    errors = plan_errors(tmp_path, "- id: a\n  title: Tin\n  lead: buu-dien\n  once: true\n  due: {date: 2022-01-31, before: true}\n")
    assert [e.split(": ", 1)[1] for e in errors] == [
        "obligations[0].due.before: `before: true` không đi cùng `date` được: nó chỉ ngày liền trước một `day` hoặc `weekday`"]
    # `before: false` is the same as leaving it out
    assert plan_errors(tmp_path, "- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n  due: {day: 25, before: false}\n") == []


DIRECTORY_WITH_PROVINCE = """\
commplan: 1
province: thu-nghiem
units:
  - id: ubnd-tinh
    name: UBND tỉnh Thử Nghiệm
    code: 0241
    aliases: [UBND tỉnh, Ủy ban tỉnh]
  - id: so-tttt
    name: Sở TTTT tỉnh Thử Nghiệm
    code: "38"
    parent: ubnd-tinh
  - id: buu-dien
    name: Bưu điện tỉnh Thử Nghiệm
  - id: so-tttt-tinh-ban
    name: Sở TTTT tỉnh bạn
    province: tinh-ban
  - id: phong-ttbc
    name: Phòng TTBC
    parent: so-tttt-tinh-ban
"""


def test_units_carry_code_aliases_and_the_files_province(tmp_path):
    (tmp_path / "units.yaml").write_text(DIRECTORY_WITH_PROVINCE, encoding="utf-8")
    (tmp_path / "bo.yaml").write_text("commplan: 1\nunits:\n  - id: bo\n    name: Bộ\n  - id: vu\n    name: Vụ\n    parent: bo\n",
                                      encoding="utf-8")
    catalog, errors = load_catalog([tmp_path], strict=False)
    assert errors == []
    directory = catalog.directory
    assert directory.units["ubnd-tinh"].code == "0241"  # unquoted leading zero stays text
    assert directory.units["so-tttt"].code == "38"
    assert directory.units["ubnd-tinh"].aliases == ("UBND tỉnh", "Ủy ban tỉnh")
    assert directory.province_of("ubnd-tinh") == "thu-nghiem"
    assert directory.province_of("buu-dien") == "thu-nghiem"  # no parent, still the file's province
    assert directory.province_of("so-tttt-tinh-ban") == "tinh-ban"  # the unit's own key wins
    assert directory.units["phong-ttbc"].province == "thu-nghiem"  # set by the file, not the parent
    assert directory.province_of("bo") is None and directory.province_of("vu") is None
    assert directory.province_of("no-such-unit") is None


def test_a_unit_in_a_file_without_province_takes_its_parents():
    from commplan.plan.directory import Directory
    from commplan.plan.model import Unit

    units = {u.id: u for u in (Unit(id="so", name="Sở", province="thanh-hoa"), Unit(id="phong", name="Phòng", parent="so"))}
    assert Directory(units=units).province_of("phong") == "thanh-hoa"


def test_it_refuses_bad_codes_aliases_provinces_and_aggregates(tmp_path):
    units = (
        "commplan: 1\nprovince: Thanh Hóa\nunits:\n"
        "  - id: a\n    name: A\n    code: 38a\n"
        "  - id: b\n    name: B\n    code: 1.5\n"
        "  - id: c\n    name: C\n    aliases: [X, X]\n"
        "  - id: d\n    name: D\n    province: [thanh-hoa]\n"
        "  - id: e\n    name: E\n    provnce: thanh-hoa\n"
    )
    text = plan_yaml(OK_OBLIGATION) + textwrap.dedent(
        """\
        indicators:
          - id: thi-truong
            name: Số thị trường
            aggregate: max
          - id: tong-ho
            name: Tổng số hộ
            baseline: true
            aggregate: last
        """
    )
    errors = errors_for(tmp_path, {"base.yaml": UNITS_YAML, "units.yaml": units, "plan.yaml": text, "empty.yaml": "commplan: 1\nprovince: ha-tinh\nplan: {id: p, title: P, effective: {from: 2022-01-01}}\n"})
    assert errors == [
        "empty.yaml:2:1: province: `province` ghi tỉnh của các đơn vị trong tệp này, nhưng tệp không khai báo đơn vị nào",
        "plan.yaml:18:16: indicators[0].aggregate: 'max' không thuộc các giá trị sum | last",
        "plan.yaml:22:16: indicators[1].aggregate: chỉ tiêu gốc được nhập mỗi năm một lần: `aggregate` dành cho số liệu báo cáo",
        "units.yaml:2:11: province: 'Thanh Hóa' không phải là mã id: chỉ dùng chữ thường không dấu, chữ số và dấu gạch ngang (ví dụ thanh-hoa)",
        'units.yaml:6:11: units[0].code: \'38a\' không phải là mã đơn vị hành chính: chỉ gồm chữ số (ví dụ "38")',
        'units.yaml:9:11: units[1].code: cần một mã đơn vị hành chính như "38", nhưng gặp 1.5',
        "units.yaml:12:18: units[2].aliases[1]: 'X' được ghi hai lần",
        "units.yaml:15:15: units[3].province: cần một mã id (ví dụ so-tttt-thanh-hoa), nhưng gặp một danh sách",
        "units.yaml:18:5: units[4].provnce: khóa 'provnce' không có trong định dạng; có phải là 'province'?",
    ]


def test_indicators_sum_by_default_and_may_keep_the_last_figure(tmp_path):
    text = plan_yaml(OK_OBLIGATION) + "indicators:\n  - id: a\n    name: A\n  - id: b\n    name: B\n    aggregate: last\n"
    (tmp_path / "units.yaml").write_text(UNITS_YAML, encoding="utf-8")
    (tmp_path / "plan.yaml").write_text(text, encoding="utf-8")
    catalog, _ = load_catalog([tmp_path], strict=True)
    aggregates = {i.id: i.aggregate.value for i in catalog.plans["ke-hoach-thu"].indicators}
    assert aggregates == {"a": "sum", "b": "last"}
