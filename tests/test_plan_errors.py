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
    assert errors == ["plan.yaml:15:20: obligations[0].due.weekday: 'thur' is not a weekday (mon..sun)"]


@pytest.mark.parametrize(
    ("obligation", "expected"),
    [
        ("- id: a\n  titel: Tin\n  lead: buu-dien\n  every: month\n",
         ["obligations[0]: missing required key 'title'",
          "obligations[0].titel: unknown key 'titel'; did you mean 'title'?"]),
        ("- id: a\n  lead: buu-dien\n  every: month\n",
         "obligations[0]: missing required key 'title'"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n",
         "obligations[0]: missing the rhythm: give one of `every`, `once` or `rrule`"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n  once: true\n",
         "obligations[0].once: give only one of every, once, rrule (found every and once)"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: fortnight\n",
         "obligations[0].every: 'fortnight' is not a period: use day, workday, week, month, quarter, half-year, year, or a multiple such as '2 weeks' or '3 months'"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n  due: {weekday: thu}\n",
         "obligations[0].due.weekday: `weekday` fits week periods, not `every: month`"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: week\n  due: {day: 25}\n",
         "obligations[0].due.day: `day` fits month, quarter, half-year and year periods, not `every: week`"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: quarter\n  due: {day: 25}\n",
         "obligations[0].due.day: with `every: quarter` say which month of the period: {month: last, day: …}"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: quarter\n  due: {month: 4, day: 25}\n",
         "obligations[0].due.month: month 4 does not exist in a 3-month period"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: year\n  due: {month: 2, day: 30}\n",
         "obligations[0].due.day: 30/2 never exists"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n  due: {day: 32}\n",
         "obligations[0].due.day: 32 is not a day of the month (1..31, last, or -1 for the last day)"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n  due: {day: 25, time: \"25:00\"}\n",
         "obligations[0].due.time: '25:00' is not a time of day (write \"14:00\")"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n  due: {day: 25, if_holiday: skip}\n",
         "obligations[0].due.if_holiday: 'skip' is not a holiday rule (next-workday, previous-workday, keep)"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n  due: {after_end: soon}\n",
         "obligations[0].due.after_end: 'soon' is not a duration (e.g. 3d, 2h, 1w, 5 workdays)"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n  due: 2021-12-31\n",
         "obligations[0].due: a fixed date as due goes with `once: true`; recurring duties take {day: …}, {weekday: …}"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  once: true\n",
         "obligations[0].once: a one-off needs `due` (a date, or {after_start: 7d}) or `until`"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  once: true\n  from: 2022-01-10\n  due: 2022-01-01\n",
         "obligations[0].due: due 2022-01-01 is before from 2022-01-10"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n  from: 2022-05-01\n  until: 2022-01-01\n",
         "obligations[0].until: until 2022-01-01 is before from 2022-05-01"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: year\n  months: [5]\n",
         "obligations[0].months: no year period starts in these months (they start in 1)"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n  months: [13]\n",
         "obligations[0].months[0]: 13 is not a month (1..12)"),
        ("- id: a\n  title: Tin\n  lead: bu-dien\n  every: month\n",
         "obligations[0].lead[0]: unknown unit or group 'bu-dien' (did you mean 'buu-dien'?)"),
        ("- id: a\n  title: Tin\n  lead: Bưu điện tỉnh\n  every: month\n",
         "obligations[0].lead: 'Bưu điện tỉnh' is not an id: use lowercase letters, digits and hyphens (e.g. buu-dien-tinh)"),
        ("- id: a\n  title: Tin\n  lead: 5\n  every: month\n",
         "obligations[0].lead[0]: unknown unit or group '5'"),
        ("- id: a\n  title: Tin\n  lead: [buu-dien]\n  every: month\n  at_least: many\n",
         "obligations[0].at_least: expected a whole number, got 'many'"),
        ("- id: a\n  title: Tin\n  lead: [buu-dien]\n  every: month\n  at_least: 0\n",
         "obligations[0].at_least: must be at least 1"),
        ("- id: a\n  title: [Tin]\n  lead: buu-dien\n  every: month\n",
         "obligations[0].title: expected text, got a list"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n  kind: news\n",
         "obligations[0].kind: 'news' is not one of publish | broadcast | meeting | report | plan | deliverable"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n  from: {event: banner}\n",
         "obligations[0].from.event: unknown event 'banner'"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  rrule: \"FREQ=HOURLY\"\n",
         "obligations[0].rrule: the rule's FREQ must be DAILY or coarser: periods are whole days"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  rrule: \"FREQ=SOMETIMES\"\n",
         "obligations[0].rrule: invalid rule: invalid 'FREQ': SOMETIMES"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n  reminders: {befor: [1d]}\n",
         "obligations[0].reminders.befor: unknown key 'befor'; did you mean 'before'?"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n  reminders: {before: [tomorrow]}\n",
         "obligations[0].reminders.before[0]: 'tomorrow' is not a duration (e.g. 3d, 2h, 1w, 5 workdays)"),
        ("- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n- id: a\n  title: Tin 2\n  lead: buu-dien\n  every: week\n",
         "obligations[1].id: duplicate obligation id 'a' (first on line 10)"),
        ("- just a string\n",
         "obligations[0]: expected a mapping (a obligation), got 'just a string'"),
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
        "a-units.yaml:25:9: units[7].id: duplicate id 'buu-dien' (already a unit in a-units.yaml)",
        "a-units.yaml:27:5: units[8]: missing required key 'name'",
        "a-units.yaml:28:5: units[8].nam: unknown key 'nam'; did you mean 'name'?",
        "b/plan.yaml:12:11: obligations[0].lead[0]: unknown unit or group 'nobody'",
        "b/plan.yaml:18:20: obligations[1].due.weekday: 'thur' is not a weekday (mon..sun)",
    ]


def test_it_refuses_a_group_with_a_units_id_and_units_declared_twice_across_files(tmp_path):
    extra = "commplan: 1\nunits:\n  - id: so-khcn\n    name: Lặp lại\ngroups:\n  buu-dien:\n    name: Trùng\n    members: [viettel-post]\n"
    errors = errors_for(tmp_path, {"units.yaml": UNITS_YAML, "z.yaml": extra})
    assert errors == [
        "z.yaml:3:9: units[0].id: duplicate id 'so-khcn' (already a unit in units.yaml)",
        "z.yaml:6:3: groups.buu-dien: group id 'buu-dien' is already a unit in units.yaml",
    ]


def test_it_finds_a_succession_cycle(tmp_path):
    units = UNITS_YAML.replace(
        "    name: Sở Khoa học và Công nghệ tỉnh Thử Nghiệm\n",
        "    name: Sở Khoa học và Công nghệ tỉnh Thử Nghiệm\n    succeeded_by: {unit: so-tttt, from: 2026-01-01}\n",
    )
    errors = errors_for(tmp_path, {"units.yaml": units})
    assert len(errors) == 1
    assert "succession goes in a circle: so-tttt -> so-khcn -> so-tttt" in errors[0]


def test_it_finds_groups_that_contain_each_other(tmp_path):
    units = UNITS_YAML + "  vong-a:\n    name: A\n    members: [vong-b]\n  vong-b:\n    name: B\n    members: [vong-a]\n"
    errors = errors_for(tmp_path, {"units.yaml": units})
    assert len(errors) == 1 and "groups contain each other in a circle: vong-a -> vong-b -> vong-a" in errors[0]


def test_it_refuses_an_event_that_no_obligation_waits_for(tmp_path):
    errors = plan_errors(tmp_path, OK_OBLIGATION, events="- id: banner\n  title: Banner\n")
    assert errors == ["plan.yaml:10:9: events[0].id: no obligation waits for event 'banner' (use `from: {event: banner}`)"]


def test_it_checks_the_plan_header(tmp_path):
    errors = plan_errors(
        tmp_path,
        OK_OBLIGATION,
        header="timezone: Asia/Hanoi_City\nholidays: XX\nextra_days_off: [2026-01-02]\nextra_workdays: [2026-01-02]\nreminders: {before: [3d], overdue_every: often}\n",
    )
    messages = [e.split(": ", 1)[1] for e in errors]
    assert messages == [
        "plan.timezone: unknown time zone 'Asia/Hanoi_City' (e.g. Asia/Ho_Chi_Minh)",
        "plan.holidays: 'XX' is not a country code known to the holidays package (e.g. VN)",
        "plan.reminders.overdue_every: 'often' is not a duration (e.g. 3d, 2h, 1w, 5 workdays)",
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
        "indicators[0].targets[2023]: 'lots' is not a target: write a number (10) or a percent (70%)",
        "indicators[1].of: unknown indicator 'tong-ho'",
        "budget[0].obligation: unknown obligation 'tin-thag' (did you mean 'tin-thang'?)",
        "budget[1].amount: an amount must be more than 0",
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "x.yaml:1:1: this is a binary file, not YAML text"),
        ("commplan: 1\nunits: []\n".encode("utf-16"), "x.yaml:1:1: this is a binary file, not YAML text"),
        (b"commplan: 1\nunits:\n  - id: a\n    name: S\xe1 TTTT\n", "x.yaml:4:12: not UTF-8 text (byte 0xe1); save the file as UTF-8"),
        (b"", "x.yaml:1:1: the file is empty; a plan file starts with `commplan: 1`"),
        (b"# only a comment\n", "x.yaml:1:1: the file is empty; a plan file starts with `commplan: 1`"),
        (b"commplan: 1\nunits: [\n", "x.yaml:3:1: invalid YAML: while parsing a flow node expected the node content, but found '<stream end>'"),
        (b"commplan: 1\n\tunits: []\n", "x.yaml:2:1: invalid YAML: while scanning for the next token found character '\\t' that cannot start any token"),
        (b"commplan: 1\n---\ncommplan: 1\n", "x.yaml:2:1: invalid YAML: expected a single document in the stream but found another document"),
        (b"- commplan\n- 1\n", "x.yaml:1:1: a plan file is a mapping starting with `commplan: 1`, got a list"),
        (b"units: []\n", "x.yaml:1:1: missing `commplan: 1` (the format version) at the top of the file"),
        (b"commplan: 2\nunits: []\n", "x.yaml:1:11: commplan: format version 2 is not supported; this commplan reads version 1"),
        (b"commplan: 1\n", "x.yaml:1:1: the file holds no `units`, `groups` or `plan`"),
        (b"commplan: 1\nunit: []\n", "x.yaml:2:1: unit: unknown key 'unit'; did you mean 'units'?"),
        (b"commplan: 1\nobligations: []\n", "x.yaml:2:1: obligations: `obligations` belongs to a plan: add a `plan:` header to this file"),
        (b"commplan: 1\nunits: 5\n", "x.yaml:2:8: units: `units` is a list (each item starts with `- `), got 5"),
        (b"commplan: 1\nunits:\n  - id: a\n    name: A\n    name: B\n", "x.yaml:5:5: units[0].name: duplicate key 'name' (first given on line 4)"),
        (b"commplan: 1\nunits:\n  - ? [a, b]\n    : x\n", "x.yaml:3:7: units[0]: a key must be plain text, not a list or mapping"),
        (b"commplan: 1\nunits:\n  - !!python/object:os.system {}\n", "x.yaml:3:5: invalid YAML: the tag 'tag:yaml.org,2002:python/object:os.system' is not allowed in plans"),
    ],
)
def test_it_gives_a_one_line_error_for_malformed_files(tmp_path, content, expected):
    errors = errors_for(tmp_path, {"x.yaml": content})
    assert expected in errors, errors


def test_it_refuses_deep_nesting(tmp_path):
    errors = errors_for(tmp_path, {"x.yaml": "commplan: 1\nunits: " + "[" * 5000 + "]" * 5000 + "\n"})
    assert len(errors) == 1
    assert "nested" in errors[0] and errors[0].startswith("x.yaml:")


def test_it_refuses_an_alias_bomb(tmp_path):
    lines = ["commplan: 1", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    errors = errors_for(tmp_path, {"x.yaml": "\n".join(lines) + "\n"})
    assert len(errors) == 1
    assert "document too large: more than 500000 values (aliases expanded)" in errors[0]


def test_it_refuses_a_huge_file(tmp_path):
    errors = errors_for(tmp_path, {"x.yaml": b"commplan: 1\n" + b"#" * (9 * 1024 * 1024)})
    assert errors == [f"x.yaml:1:1: file is {9 * 1024 * 1024 + 12} bytes; plans are limited to 8388608 bytes"]


def test_it_reads_unquoted_times_as_times_not_base_60_numbers(tmp_path):
    errors = plan_errors(
        tmp_path,
        "- id: a\n  title: Tin\n  lead: buu-dien\n  every: week\n  due: {weekday: thu, time: 14:00}\n",
    )
    assert errors == []


def test_it_names_missing_paths(tmp_path):
    _, errors = load_catalog([tmp_path / "nowhere"], strict=False)
    assert [e.message for e in errors] == ["no such file or folder"]


def test_strict_loading_raises_with_every_error(tmp_path):
    (tmp_path / "x.yaml").write_text("commplan: 3\nunits: []\n", encoding="utf-8")
    with pytest.raises(PlanLoadError) as caught:
        load_catalog([tmp_path])
    assert len(caught.value.errors) == 1
    assert "format version 3" in str(caught.value)


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
        "obligations[2].rrule: periods are whole days: the rule cannot have BYHOUR, BYMINUTE or BYSECOND (use due.time)",
        "obligations[3].from: 9999-12-30 is not a start: write a date (2021-11-01) or {event: <id>}",
        "obligations[4].due.day: 30/2 never exists",
        "obligations[5]: missing required key 'title'",
        "obligations[6].due.after_end: '3660 workdays' is too long (at most 366)",
        "obligations[7].rrule: the rule gives no date from 2026-01-05 on: check UNTIL, COUNT and BYMONTHDAY",
    ]


def test_leading_zeros_stay_text_and_groups_cannot_succeed(tmp_path):
    units = UNITS_YAML.replace('phone: "+84900000001", zalo: "8400000001"', "phone: 0345671234, zalo: 0123456701").replace(
        "    succeeded_by: {unit: so-khcn, from: 2025-03-15}", "    succeeded_by: {unit: ubnd-cap-huyen, from: 2025-03-15}")
    errors = errors_for(tmp_path, {"units.yaml": units})
    assert [e.split(": ", 1)[1] for e in errors] == [
        "units[1].succeeded_by.unit: 'ubnd-cap-huyen' is a group: a unit must be a single unit"]
    catalog, _ = load_catalog([tmp_path], strict=False)
    contact = catalog.directory.units["so-tttt"].contacts[0]
    assert (contact.zalo, contact.phone) == ("0123456701", "0345671234")


def test_extra_days_off_joined_by_a_weekend_count_as_one_run(tmp_path):
    days = [f"2026-06-{d:02d}" for d in range(4, 31)] + ["2026-07-01", "2026-07-02", "2026-07-03"]
    days += [f"2026-07-{d:02d}" for d in range(6, 31)]
    errors = plan_errors(tmp_path, OK_OBLIGATION, header=f"extra_days_off: [{', '.join(days)}]\n")
    assert len(errors) == 1 and "days off in a row (with weekends): at most 30" in errors[0]


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        ("{after_end: 5d, before: true}",
         "obligations[0].due.before: `before: true` cannot go with `after_end`: it means the day before a `day` or `weekday`"),
        ("{after_start: 7d, before: true}",
         "obligations[0].due.before: `before: true` cannot go with `after_start`: it means the day before a `day` or `weekday`"),
        ("{day: 25, time: \"14:00\", before: true}",
         ("obligations[0].due.before: `before: true` cannot go with `time`: it ends at 23:59:59 on the day before; "
         "\"trước 14h00 ngày 25\" is {day: 25, time: \"14:00\"} without `before`")),
        ("{before: true}",
         "obligations[0].due.before: `before: true` needs `day` or `weekday` (e.g. {day: 25, before: true})"),
        ("{day: 25, before: \"có\"}", "obligations[0].due.before: `before` is true or false, got 'có'"),
        ("{day: 25, before: 1}", "obligations[0].due.before: `before` is true or false, got 1"),
        ("{day: 25, befor: true}",
         "obligations[0].due.befor: unknown key 'befor' in due (allowed: weekday, day, month, after_end, after_start, date, time, if_holiday, before)"),
    ],
)
def test_it_refuses_before_where_it_means_nothing(tmp_path, due, expected):
    errors = plan_errors(tmp_path, f"- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n  due: {due}\n")
    assert [e.split(": ", 1)[1] for e in errors] == [expected], errors
    assert errors[0].startswith("plan.yaml:14:")


def test_it_refuses_before_with_a_fixed_date(tmp_path):
    errors = plan_errors(tmp_path, "- id: a\n  title: Tin\n  lead: buu-dien\n  once: true\n  due: {date: 2022-01-31, before: true}\n")
    assert [e.split(": ", 1)[1] for e in errors] == [
        "obligations[0].due.before: `before: true` cannot go with `date`: it means the day before a `day` or `weekday`"]
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
        "empty.yaml:2:1: province: `province` names the province of this file's units, but the file defines none",
        "plan.yaml:18:16: indicators[0].aggregate: 'max' is not one of sum | last",
        "plan.yaml:22:16: indicators[1].aggregate: a baseline is entered once a year: `aggregate` is for reported figures",
        "units.yaml:2:11: province: 'Thanh Hóa' is not an id: use lowercase letters, digits and hyphens (e.g. thanh-hoa)",
        "units.yaml:6:11: units[0].code: '38a' is not an administrative code: digits only (e.g. \"38\")",
        "units.yaml:9:11: units[1].code: expected an administrative code such as \"38\", got 1.5",
        "units.yaml:12:18: units[2].aliases[1]: 'X' is listed twice",
        "units.yaml:15:15: units[3].province: expected an id (e.g. so-tttt-thanh-hoa), got a list",
        "units.yaml:18:5: units[4].provnce: unknown key 'provnce'; did you mean 'province'?",
    ]


def test_indicators_sum_by_default_and_may_keep_the_last_figure(tmp_path):
    text = plan_yaml(OK_OBLIGATION) + "indicators:\n  - id: a\n    name: A\n  - id: b\n    name: B\n    aggregate: last\n"
    (tmp_path / "units.yaml").write_text(UNITS_YAML, encoding="utf-8")
    (tmp_path / "plan.yaml").write_text(text, encoding="utf-8")
    catalog, _ = load_catalog([tmp_path], strict=True)
    aggregates = {i.id: i.aggregate.value for i in catalog.plans["ke-hoach-thu"].indicators}
    assert aggregates == {"a": "sum", "b": "last"}
