"""A report obligation lists the figures its report carries (`indicators: [ids]`): each must be one of
the plan's indicators, and not a baseline (a reference figure is never a row of a report)."""

from __future__ import annotations

from commplan.plan import load_catalog

PLAN = """\
commplan: 1
units:
  - id: so-tttt
    name: Sở Thông tin và Truyền thông
plan:
  id: ke-hoach
  title: Kế hoạch thử
  issued: 2022-01-01
indicators:
  - id: ho-tren-san
    name: Số hộ có gian hàng trên sàn
    reported_by: [so-tttt]
  - id: tong-ho
    name: Tổng số hộ
    baseline: true
obligations:
  - id: bao-cao-tuan
    title: Báo cáo tuần
    kind: report
    lead: so-tttt
    every: week
    indicators: {indicators}
"""


def load(tmp_path, indicators: str):
    (tmp_path / "plan.yaml").write_text(PLAN.replace("{indicators}", indicators), encoding="utf-8")
    catalog, errors = load_catalog([tmp_path], strict=False)
    return catalog, [str(e).replace(str(tmp_path) + "/", "") for e in errors]


def test_a_report_carries_the_plan_s_indicators(tmp_path):
    catalog, errors = load(tmp_path, "[ho-tren-san]")
    assert errors == []
    assert catalog.plans["ke-hoach"].obligation("bao-cao-tuan").indicators == ("ho-tren-san",)


def test_an_unknown_indicator_is_named_with_a_suggestion(tmp_path):
    _, errors = load(tmp_path, "[ho-tren-sann]")
    assert errors == ["plan.yaml:22:18: obligations[0].indicators[0]: không có chỉ tiêu 'ho-tren-sann' (có phải là 'ho-tren-san'?)"]


def test_a_baseline_is_not_a_row_of_a_report(tmp_path):
    _, errors = load(tmp_path, "[ho-tren-san, tong-ho]")
    assert errors == ["plan.yaml:22:31: obligations[0].indicators[1]: 'tong-ho' là chỉ tiêu gốc: một số liệu tham chiếu, không phải một dòng của báo cáo"]
