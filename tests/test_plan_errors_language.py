"""Plan errors in the reader's language: Vietnamese by default, English with COMMPLAN_LANG=en, and
never pydantic's or PyYAML's own English words, with the same file, line, column and key either way."""

from __future__ import annotations

import pytest
from cli_in_process import run_cli
from conftest import UNITS_YAML, plan_yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from commplan.plan import load_catalog
from commplan.plan import model as m
from commplan.plan.loader import PYDANTIC_MESSAGES, _translate, _validate_item
from commplan.plan.yaml_source import Source, parse_yaml

BROKEN = """\
- id: bao-cao
  titel: Báo cáo tuần
  lead: buu-dien
  every: week
  due: {weekday: thur, time: "14:00"}
  at_least: .inf
- id: tin-thang
  title: Tin hàng tháng
  lead: bu-dien
  every: month
"""

VIETNAMESE = [
    "plan.yaml:10:5: obligations[0]: thiếu khóa bắt buộc 'title'",
    "plan.yaml:11:5: obligations[0].titel: khóa 'titel' không có trong định dạng; có phải là 'title'?",
    "plan.yaml:14:20: obligations[0].due.weekday: 'thur' không phải là thứ trong tuần (mon..sun)",
    "plan.yaml:15:15: obligations[0].at_least: cần một số nguyên, nhưng gặp inf",
    "plan.yaml:18:11: obligations[1].lead[0]: không có đơn vị hay nhóm đơn vị 'bu-dien' (có phải là 'buu-dien'?)",
]
ENGLISH = [
    "plan.yaml:10:5: obligations[0]: missing required key 'title'",
    "plan.yaml:11:5: obligations[0].titel: unknown key 'titel'; did you mean 'title'?",
    "plan.yaml:14:20: obligations[0].due.weekday: 'thur' is not a weekday (mon..sun)",
    "plan.yaml:15:15: obligations[0].at_least: expected a whole number, got inf",
    "plan.yaml:18:11: obligations[1].lead[0]: unknown unit or group 'bu-dien' (did you mean 'buu-dien'?)",
]


def _broken_plan(tmp_path):
    (tmp_path / "units.yaml").write_text(UNITS_YAML, encoding="utf-8")
    (tmp_path / "plan.yaml").write_text(plan_yaml(BROKEN), encoding="utf-8")
    return tmp_path


def _plan_lines(result, folder) -> list[str]:
    """The lines that name a plan file (the command's own summary line is the CLI's)."""
    prefix = str(folder) + "/"
    return [line.removeprefix(prefix) for line in result.stderr.splitlines() if line.startswith(prefix)]


def test_validate_speaks_vietnamese_by_default(tmp_path):
    folder = _broken_plan(tmp_path)
    result = run_cli("validate", str(folder), env={"COMMPLAN_LANG": None, "LANG": "en_US.UTF-8"})
    assert result.returncode == 1
    assert _plan_lines(result, folder) == VIETNAMESE


def test_validate_speaks_english_when_asked(tmp_path):
    folder = _broken_plan(tmp_path)
    result = run_cli("validate", str(folder), env={"COMMPLAN_LANG": "en"})
    assert result.returncode == 1
    assert _plan_lines(result, folder) == ENGLISH


def test_a_warning_says_so_in_the_readers_language(tmp_path, monkeypatch):
    units = UNITS_YAML.replace("    name: UBND huyện A\n", "    name: UBND huyện A\n    dissolved: 2019-01-01\n")
    (tmp_path / "units.yaml").write_text(units, encoding="utf-8")
    (tmp_path / "plan.yaml").write_text(plan_yaml("- id: a\n  title: Tin\n  lead: ubnd-huyen-a\n  every: month\n"),
                                        encoding="utf-8")
    monkeypatch.delenv("COMMPLAN_LANG", raising=False)
    catalog, errors = load_catalog([tmp_path], strict=False)
    assert errors == []
    assert [str(w).replace(str(tmp_path) + "/", "") for w in catalog.warnings] == [
        ("plan.yaml:12:11: cảnh báo: obligations[0].lead: mọi đơn vị thực hiện đều đã giải thể trước ngày bắt đầu "
         "2020-01-01 của nhiệm vụ (ubnd-huyen-a ngày 2019-01-01): không đơn vị nào phải thực hiện")]
    monkeypatch.setenv("COMMPLAN_LANG", "en")
    catalog, _ = load_catalog([tmp_path], strict=False)
    assert [str(w).replace(str(tmp_path) + "/", "") for w in catalog.warnings] == [
        ("plan.yaml:12:11: warning: obligations[0].lead: every holder is dissolved by the obligation's start "
         "2020-01-01 (ubnd-huyen-a on 2019-01-01): nobody owes it")]


# ---------------------------------------------------------------- pydantic's error types

OBLIGATION: dict[str, object] = {"id": "o", "title": "T", "lead": "a", "every": "month"}

# one plan value per pydantic error type the loader words itself: (type, item, key path, Vietnamese)
PYDANTIC_CASES = [
    ("string_type", {**OBLIGATION, "note": 5}, ("note",), "cần một chuỗi chữ, nhưng gặp 5"),
    ("string_too_short", {**OBLIGATION, "title": "  "}, ("title",), "không được để trống"),
    ("string_too_long", {**OBLIGATION, "note": "x" * 20_001}, ("note",), "quá dài (tối đa 20000 ký tự)"),
    ("bool_type", {**OBLIGATION, "shared": [True]}, ("shared",), "cần true hoặc false, nhưng gặp một danh sách"),
    ("bool_parsing", {**OBLIGATION, "shared": "often"}, ("shared",), "cần true hoặc false, nhưng gặp 'often'"),
    ("int_type", {**OBLIGATION, "at_least": None}, ("at_least",), "cần một số nguyên, nhưng gặp giá trị trống"),
    ("int_parsing", {**OBLIGATION, "at_least": "many"}, ("at_least",), "cần một số nguyên, nhưng gặp 'many'"),
    ("int_from_float", {**OBLIGATION, "at_least": 1.5}, ("at_least",), "cần một số nguyên, nhưng gặp 1.5"),
    ("finite_number", {**OBLIGATION, "at_least": float("nan")}, ("at_least",), "cần một số nguyên, nhưng gặp nan"),
    ("greater_than_equal", {**OBLIGATION, "at_least": 0}, ("at_least",), "phải ít nhất là 1"),
    ("less_than_equal", {**OBLIGATION, "at_least": 100_001}, ("at_least",), "phải nhiều nhất là 100000"),
    ("model_type", {**OBLIGATION, "reminders": "often"}, ("reminders",), "cần một ánh xạ, nhưng gặp 'often'"),
    ("tuple_type", {"id": "a", "name": "A", "contacts": "Phòng A"}, ("contacts",),
     "cần một danh sách, nhưng gặp 'Phòng A'"),
]


@pytest.mark.parametrize(("kind", "item", "key", "expected"), PYDANTIC_CASES, ids=[c[0] for c in PYDANTIC_CASES])
def test_each_pydantic_error_type_is_worded_in_vietnamese(monkeypatch, kind, item, key, expected):
    monkeypatch.delenv("COMMPLAN_LANG", raising=False)
    model = m.Unit if "name" in item else m.Obligation
    with pytest.raises(ValidationError) as caught:
        model.model_validate(item)
    assert [e["type"] for e in caught.value.errors()] == [kind]  # the case does produce this type
    _, errors = _validate_item(Source("plan.yaml"), model, item, ("obligations", 0))
    assert [(e.path, e.message) for e in errors] == [(("obligations", 0, *key), expected)]


def test_every_worded_type_has_its_case():
    assert {case[0] for case in PYDANTIC_CASES} == set(PYDANTIC_MESSAGES)


def test_a_type_not_worded_yet_is_still_vietnamese_with_pydantics_detail(monkeypatch):
    monkeypatch.delenv("COMMPLAN_LANG", raising=False)
    error: ErrorDetails = {"type": "uuid_parsing", "loc": ("ref",), "msg": "Input should be a valid UUID", "input": "x"}
    found = _translate(Source("plan.yaml"), m.Obligation, ("obligations", 0), error)
    assert (found.path, found.message) == (("obligations", 0, "ref"),
                                          "giá trị không hợp lệ (Input should be a valid UUID)")


WRONG_VALUES: list[object] = [None, 5, 1.5, "x", [], {}, True, "", "  ", [1], [[1]], {"a": 1}, [{"a": 1}], -1, 10**9,
                2**70, float("nan"), float("inf")]
ITEMS: dict[str, dict[str, object]] = {
    "units": {"id": "a", "name": "A"}, "plan": {"id": "p", "title": "T"}, "events": {"id": "e", "title": "E"},
    "obligations": OBLIGATION, "indicators": {"id": "i", "name": "N"}, "budget": {"obligation": "o", "amount": 1},
}


def test_no_wrong_value_of_any_key_shows_pydantics_english(monkeypatch):
    # every key of every section, and of the mappings nested in them, given each kind of wrong value
    monkeypatch.delenv("COMMPLAN_LANG", raising=False)
    messages: set[str] = set()
    for section, item in ITEMS.items():
        model = m.SECTIONS[section]
        for key in m.known_keys(model):
            nested = m.NESTED.get(key)
            for value in WRONG_VALUES:
                tries: list[dict[str, object]] = [{**item, key: value}]
                if nested is not None:
                    tries += [{**item, key: {sub: value}} for sub in m.known_keys(nested)]
                for data in tries:
                    _, errors = _validate_item(Source(f"{section}.yaml"), model, data, (section, 0))
                    messages.update(e.message for e in errors)
    assert len(messages) > 100
    english = [text for text in messages
               if any(word in text for word in ("Input should", "Field required", "Extra inputs", "Value error",
                                                "invalid value", "giá trị không hợp lệ ("))]
    assert english == []


def test_pyyaml_problems_are_worded_in_the_readers_language(monkeypatch):
    monkeypatch.delenv("COMMPLAN_LANG", raising=False)
    cases = {
        "a: b: c\n": "YAML không hợp lệ: không được ghi `khóa: giá trị` ở đây (kiểm tra thụt lề)",
        "a: [1, 2\n": "YAML không hợp lệ: khi đọc một danh sách trong ngoặc […]: cần ',' hoặc ']', nhưng gặp '<stream end>'",
        "a: {b: 1\n": "YAML không hợp lệ: khi đọc một ánh xạ trong ngoặc {…}: cần ',' hoặc '}', nhưng gặp '<stream end>'",
        "a: *x\n": "YAML không hợp lệ: gặp alias 'x' chưa được khai báo (thiếu &tên ở phía trên)",
        'a: "x\n': "YAML không hợp lệ: khi đọc một chuỗi trong ngoặc kép: tệp kết thúc quá sớm (thiếu dấu đóng ngoặc kép?)",
    }
    for text, expected in cases.items():
        _, errors = parse_yaml("x.yaml", text)
        assert [e.message for e in errors] == [expected], text
    monkeypatch.setenv("COMMPLAN_LANG", "en")
    _, errors = parse_yaml("x.yaml", "a: [1, 2\n")
    assert [e.message for e in errors] == [
        "invalid YAML: while parsing a flow sequence: expected ',' or ']', but got '<stream end>'"]


def test_a_time_zone_too_long_for_a_file_name_is_an_error_not_a_traceback(tmp_path):
    errors = _validate_item(Source("plan.yaml"), m.PlanHeader, {"id": "p", "title": "T", "timezone": "y" * 5000},
                            ("plan",))[1]
    assert [(e.path, e.message) for e in errors] == [
        (("plan", "timezone"), f"không có múi giờ '{'y' * 5000}' (ví dụ Asia/Ho_Chi_Minh)")]
