"""Shared fixtures: small plans written as YAML, the way a clerk writes them."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from commplan.plan import load_catalog
from commplan.schedule import Expander

REPO = Path(__file__).resolve().parent.parent
PLANS = REPO / "plans"
SEEDS = REPO.parent / "shared" / "seeds"

UNITS_YAML = """\
commplan: 1
units:
  - id: ubnd-tinh
    name: UBND tỉnh Thử Nghiệm
  - id: so-tttt
    name: Sở Thông tin và Truyền thông tỉnh Thử Nghiệm
    short: Sở TTTT
    parent: ubnd-tinh
    contacts:
      - {name: Phòng TTBCXB, email: ttbc@example.gov.vn, phone: "+84900000001", zalo: "8400000001"}
    succeeded_by: {unit: so-khcn, from: 2025-03-15}
  - id: so-khcn
    name: Sở Khoa học và Công nghệ tỉnh Thử Nghiệm
    parent: ubnd-tinh
  - id: buu-dien
    name: Bưu điện tỉnh Thử Nghiệm
  - id: viettel-post
    name: Chi nhánh Viettel Post tỉnh Thử Nghiệm
  - id: ubnd-huyen-a
    name: UBND huyện A
    parent: ubnd-tinh
  - id: ubnd-huyen-b
    name: UBND huyện B
    parent: ubnd-tinh
groups:
  ubnd-cap-huyen:
    name: UBND các huyện
    members: [ubnd-huyen-a, ubnd-huyen-b]
"""


def plan_yaml(obligations: str, header: str = "", events: str = "") -> str:
    """A plan file around `obligations` (YAML list items, indented by two spaces)."""
    text = textwrap.dedent(
        """\
        commplan: 1
        plan:
          id: ke-hoach-thu
          number: 1/KH-UBND
          title: Kế hoạch thử nghiệm
          issuer: ubnd-tinh
          coordinator: so-tttt
          effective: {from: 2020-01-01}
        """
    )
    if header:
        text += textwrap.indent(textwrap.dedent(header), "  ")
    if events:
        text += "events:\n" + textwrap.indent(textwrap.dedent(events), "  ")
    text += "obligations:\n" + textwrap.indent(textwrap.dedent(obligations), "  ")
    return text


@pytest.fixture
def write_plan(tmp_path):
    """Write a units file and a plan file; return the loaded catalog."""

    def write(obligations: str, header: str = "", events: str = ""):
        (tmp_path / "units.yaml").write_text(UNITS_YAML, encoding="utf-8")
        (tmp_path / "plan.yaml").write_text(plan_yaml(obligations, header, events), encoding="utf-8")
        catalog, _ = load_catalog([tmp_path], strict=True)
        return catalog

    return write


def occurrences_of(catalog, start: str, end: str, *, by: str = "due", events=None, obligation=None):
    plan = catalog.plans["ke-hoach-thu"]
    expander = Expander(plan, catalog.directory, events)
    found = []
    for o in plan.obligations:
        if obligation is None or o.id == obligation:
            found += expander.occurrences(o, dt.date.fromisoformat(start), dt.date.fromisoformat(end), by=by)
    return found
