"""Units' `feeds` and obligations' `match` (issue #14): what the loader keeps, and one line per mistake."""

from __future__ import annotations

import re
import shutil

import pytest
from conftest import REPO, UNITS_YAML, plan_yaml

from commplan.plan import load_catalog
from commplan.plan import model as m

DATA = REPO / "tests" / "data" / "feeds"
DOC = REPO / "docs" / "plan-format.md"
# the names the reference gives the example files
DOC_NAMES = {"bad-units.yaml": "plans/units/thanh-hoa.yaml", "bad-plan.yaml": "plans/thanh-hoa/ke-hoach.yaml"}

FEEDS = """\
    feeds:
      - https://buudien.example.vn/rss
      - {url: "https://tinh.example.vn/rss", section: /buu-dien/, name: "Cổng tỉnh, mục Bưu điện"}
"""
MATCHED = """
- id: tin-san
  title: Tin về sàn TMĐT
  lead: [buu-dien, viettel-post]
  every: month
  match:
    keywords: [sàn thương mại điện tử, " postmart  "]
    watch: [ubnd-tinh, ubnd-cap-huyen]
    url_prefix: https://tinh.example.vn/
- id: tin-ngan
  title: Tin ngắn
  lead: buu-dien
  every: month
  match: [chuyển đổi số]
- id: khong-match
  title: Không đọc nguồn tin
  lead: buu-dien
  every: month
"""


def _write(tmp_path, units: str, obligations: str):
    (tmp_path / "units.yaml").write_text(units, encoding="utf-8")
    (tmp_path / "plan.yaml").write_text(plan_yaml(obligations), encoding="utf-8")
    catalog, errors = load_catalog([tmp_path], strict=False)
    return catalog, [str(e).replace(str(tmp_path) + "/", "") for e in errors]


def _units_with_feeds(feeds: str = FEEDS) -> str:
    return UNITS_YAML.replace("    name: Bưu điện tỉnh Thử Nghiệm\n", "    name: Bưu điện tỉnh Thử Nghiệm\n" + feeds)


def test_it_keeps_feeds_and_match_with_their_shorthands(tmp_path):
    catalog, errors = _write(tmp_path, _units_with_feeds(), MATCHED)
    assert errors == []
    feeds = catalog.directory.units["buu-dien"].feeds
    assert feeds == (m.Feed(url="https://buudien.example.vn/rss"),
                     m.Feed(url="https://tinh.example.vn/rss", section="/buu-dien/", name="Cổng tỉnh, mục Bưu điện"))
    plan = catalog.plans["ke-hoach-thu"]
    assert plan.obligation("tin-san").match == m.Match.model_validate({
        "keywords": ["sàn thương mại điện tử", "postmart"], "watch": ["ubnd-tinh", "ubnd-cap-huyen"],
        "url_prefix": "https://tinh.example.vn/"})
    assert plan.obligation("tin-ngan").match == m.Match.model_validate(["chuyển đổi số"])
    assert plan.obligation("tin-ngan").match.watch is None  # the holders' own feeds
    assert plan.obligation("khong-match").match is None
    assert catalog.directory.units["so-tttt"].feeds == ()


def test_version_one_files_without_the_new_keys_stay_valid(tmp_path):
    _, errors = _write(tmp_path, UNITS_YAML, "- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n")
    assert errors == []


def test_the_same_site_may_give_two_units_each_its_own_section(tmp_path):
    units = _units_with_feeds().replace(
        "    name: Chi nhánh Viettel Post tỉnh Thử Nghiệm\n",
        "    name: Chi nhánh Viettel Post tỉnh Thử Nghiệm\n"
        "    feeds: [{url: \"https://tinh.example.vn/rss\", section: /viettel-post/}]\n")
    _, errors = _write(tmp_path, units, MATCHED)
    assert errors == []


@pytest.mark.parametrize(
    ("feeds", "expected"),
    [
        ("    feeds: [http://]\n",
         ("units[3].feeds[0].url: 'http://' không phải là địa chỉ web: hãy ghi đầy đủ, có http:// hoặc https:// và tên trang "
         "(ví dụ https://thanhhoa.gov.vn/rss)")),
        ("    feeds: [\"mailto:vp@example.gov.vn\"]\n",
         ("units[3].feeds[0].url: 'mailto:vp@example.gov.vn' không phải là địa chỉ web: hãy ghi đầy đủ, có http:// hoặc https:// "
         "và tên trang (ví dụ https://thanhhoa.gov.vn/rss)")),
        ("    feeds: [\"https://a.vn:80x/rss\"]\n",
         ("units[3].feeds[0].url: 'https://a.vn:80x/rss' không phải là địa chỉ web: hãy ghi đầy đủ, có http:// hoặc https:// "
         "và tên trang (ví dụ https://thanhhoa.gov.vn/rss)")),
        ("    feeds: [{url: 5}]\n",
         "units[3].feeds[0].url: cần một địa chỉ web như \"https://thanhhoa.gov.vn/rss\", nhưng gặp 5"),
        ("    feeds: [{url: \"https://a.vn/rss\", section: \"https://a.vn/tin-tuc/\"}]\n",
         ("units[3].feeds[0].section: 'https://a.vn/tin-tuc/' không phải là đường dẫn trong trang: đường dẫn bắt đầu bằng / "
         "(ví dụ /tin-tuc/)")),
        ("    feeds: [{url: \"https://a.vn/rss\", section: [a]}]\n",
         "units[3].feeds[0].section: cần một đường dẫn như \"/tin-tuc/\", nhưng gặp một danh sách"),
        ("    feeds: [{url: \"https://a.vn/rss\", name: \"\"}]\n", "units[3].feeds[0].name: không được để trống"),
        ("    feeds: [{url: \"https://a.vn/rss\", nam: Cổng}]\n",
         "units[3].feeds[0].nam: khóa 'nam' không có trong định dạng; có phải là 'name'?"),
        ("    feeds: [\"https://a.vn/rss\", \"HTTPS://A.VN/rss/\"]\n", "units[3].feeds[1]: nguồn tin HTTPS://A.VN/rss/ được ghi hai lần"),
        ("    feeds: [[https://a.vn/rss]]\n",
         "units[3].feeds[0]: một nguồn tin là một địa chỉ web hoặc {url: …, section: …}, nhưng gặp một danh sách"),
    ],
)
def test_it_explains_a_bad_feed(tmp_path, feeds, expected):
    _, errors = _write(tmp_path, _units_with_feeds(feeds), "- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n")
    assert [e.split(": ", 1)[1] for e in errors] == [expected], errors
    assert all(e.startswith("units.yaml:") for e in errors)


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        ("[]", "obligations[0].match.keywords: `keywords` cần ít nhất một từ hoặc cụm từ"),
        ("{watch: [ubnd-tinh]}", "obligations[0].match: thiếu khóa bắt buộc 'keywords'"),
        ("{keywords: chuyển đổi số}",
         ("obligations[0].match.keywords: `keywords` là một danh sách từ hoặc cụm từ (ví dụ [chuyển đổi số, sàn thương mại "
         "điện tử]), nhưng gặp 'chuyển đổi số'")),
        ("[\"  \"]", "obligations[0].match.keywords[0]: cần một từ hoặc cụm từ, nhưng gặp '  '"),
        ("[\"x\" , \"--\"]", ("obligations[0].match.keywords[1]: '--' không có chữ cái hay chữ số nào: không bao giờ tìm thấy nó "
                          "trong một tin, bài")),
        ("[OCOP, ocop]", "obligations[0].match.keywords[1]: 'ocop' được ghi hai lần"),
        (f"[{'a' * 201}]", "obligations[0].match.keywords[0]: từ khóa dài tối đa 200 ký tự"),
        ("{keywords: [OCOP], watch: [so-ttt]}",
         "obligations[0].match.watch[0]: không có đơn vị hay nhóm đơn vị 'so-ttt' (có phải là 'so-tttt'?)"),
        ("{keywords: [OCOP], watch: []}",
         ("obligations[0].match.watch: `watch` cần ít nhất một đơn vị hoặc nhóm đơn vị (bỏ khóa này để theo dõi nguồn tin "
         "của chính các đơn vị thực hiện)")),
        ("{keywords: [OCOP], watch: [Sở TTTT]}",
         ("obligations[0].match.watch[0]: 'Sở TTTT' không phải là mã id: chỉ dùng chữ thường không dấu, chữ số và dấu gạch ngang "
         "(ví dụ so-tttt)")),
        ("{keywords: [OCOP], url_prefix: tinh.example.vn}",
         ("obligations[0].match.url_prefix: 'tinh.example.vn' không phải là địa chỉ web: hãy ghi đầy đủ, có http:// hoặc "
         "https:// và tên trang (ví dụ https://thanhhoa.gov.vn/rss)")),
        ("{keywords: [OCOP], watch_units: [so-tttt]}",
         "obligations[0].match.watch_units: khóa 'watch_units' không có trong định dạng; có phải là 'watch'?"),
        ("OCOP", ("obligations[0].match: `match` là một danh sách từ khóa, hoặc {keywords: […], watch: […], url_prefix: …}, "
                 "nhưng gặp 'OCOP'")),
    ],
)
def test_it_explains_a_bad_match(tmp_path, match, expected):
    _, errors = _write(tmp_path, UNITS_YAML, f"- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n  match: {match}\n")
    assert [e.split(": ", 1)[1] for e in errors] == [expected], errors
    assert all(e.startswith("plan.yaml:14:") for e in errors), errors


def test_a_feed_belongs_to_one_unit_across_files(tmp_path):
    other = "commplan: 1\nunits:\n  - id: bao\n    name: Báo tỉnh\n    feeds: [\"https://BUUDIEN.example.vn/rss/\"]\n"
    (tmp_path / "z.yaml").write_text(other, encoding="utf-8")
    _, errors = _write(tmp_path, _units_with_feeds(), "- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n")
    assert errors == [("z.yaml:5:13: units[0].feeds[0]: nguồn tin https://BUUDIEN.example.vn/rss/ đã là nguồn tin của đơn vị "
                      "'buu-dien': mỗi nguồn tin thuộc về một đơn vị (với trang dùng chung, ghi cho mỗi đơn vị một `section` riêng)")]


def _doc_block(after: str) -> list[str]:
    doc = DOC.read_text(encoding="utf-8")
    part = doc[doc.index(after):]
    block = re.search(r"```text\n(.*?)```", part, flags=re.S)
    assert block is not None, after
    return block[1].splitlines()


def test_the_reference_prints_the_errors_validate_prints(tmp_path, monkeypatch):
    """docs/plan-format.md lists the errors of the example files line for line, in English, and some in Vietnamese."""
    for name, doc_name in DOC_NAMES.items():
        (tmp_path / doc_name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DATA / name, tmp_path / doc_name)
    for lang, heading, exact in (("en", "Errors of `feeds` and `match`, as printed", True),
                                 ("vi", "and in Vietnamese, as a clerk sees them by default", False)):
        monkeypatch.setenv("COMMPLAN_LANG", lang)
        _, errors = load_catalog([tmp_path / "plans"], strict=False)
        printed = [str(e).replace(str(tmp_path) + "/", "") for e in errors]
        documented = _doc_block(heading)
        if exact:
            assert sorted(documented) == sorted(printed)
        else:
            assert documented and set(documented) <= set(printed)
