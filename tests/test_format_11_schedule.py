"""Plan format 1.1 in the schedule: issued, succession by due date, dissolved units, repeating events,
event offsets (pure: tables of plans and expected occurrences)."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest
from conftest import PLANS

from commplan.plan import load_catalog
from commplan.schedule import Expander, Instance, Occurrence

UNITS = """\
commplan: 1
units:
  - id: ubnd-tinh
    name: UBND tỉnh Thử Nghiệm
  - id: so-tttt
    name: Sở Thông tin và Truyền thông
    parent: ubnd-tinh
    succeeded_by: {unit: so-khcn, from: 2025-03-01}
  - id: so-khcn
    name: Sở Khoa học và Công nghệ
    parent: ubnd-tinh
  - id: ubnd-huyen-a
    name: UBND huyện A
    parent: ubnd-tinh
    dissolved: 2025-07-01
  - id: ubnd-huyen-b
    name: UBND huyện B
    parent: ubnd-tinh
    dissolved: 2025-07-01
  - id: ubnd-xa-a1
    name: UBND xã A1
    parent: ubnd-huyen-a
  - id: buu-dien
    name: Bưu điện tỉnh
groups:
  ubnd-cap-huyen:
    name: UBND các huyện
    members: [ubnd-huyen-a, ubnd-huyen-b]
"""


def plan(obligations: str, *, header: str = "", events: str = "") -> str:
    text = "commplan: 1\nplan:\n  id: ke-hoach\n  title: Kế hoạch thử\n  coordinator: so-tttt\n  effective: {from: 2020-01-01}\n"
    text += textwrap.indent(textwrap.dedent(header), "  ")
    if events:
        text += "events:\n" + textwrap.indent(textwrap.dedent(events), "  ")
    return text + "obligations:\n" + textwrap.indent(textwrap.dedent(obligations), "  ")


@pytest.fixture
def catalog_of(tmp_path):
    def load(obligations: str, **kwargs):
        (tmp_path / "units.yaml").write_text(UNITS, encoding="utf-8")
        (tmp_path / "plan.yaml").write_text(plan(obligations, **kwargs), encoding="utf-8")
        catalog, _ = load_catalog([tmp_path], strict=True)
        return catalog

    return load


def expand(catalog, start: str, end: str, *, events=None, obligation=None, by="due"):
    the_plan = catalog.plans["ke-hoach"]
    expander = Expander(the_plan, catalog.directory, events)
    out: list[Occurrence] = []
    for o in the_plan.obligations:
        if obligation in (None, o.id):
            out += expander.occurrences(o, dt.date.fromisoformat(start), dt.date.fromisoformat(end), by=by)
    return out


def rows(found) -> list[tuple]:
    return [(o.unit, o.window_start.isoformat(), o.due.strftime("%Y-%m-%d %H:%M"), o.instance) for o in found]


# ------------------------------------------------------------ nothing owed before the plan exists

def test_241_first_week_of_district_radio_before_the_signature_is_not_owed():
    catalog, _ = load_catalog([PLANS])
    the_plan = catalog.plans["thanh-hoa-241-2021"]
    assert the_plan.header.issued == dt.date(2021, 11, 10)
    expander = Expander(the_plan, catalog.directory)
    radio = list(expander.occurrences(the_plan.obligation("truyen-thanh-co-so-tuan"), dt.date(2021, 11, 1),
                                      dt.date(2021, 11, 30), by="window"))
    # 1-7/11/2021 was due on Sunday 7/11, three days before the plan was signed: gone for all 27 districts
    assert {o.window_start.isoformat() for o in radio} == {"2021-11-08", "2021-11-15", "2021-11-22", "2021-11-29"}
    assert len(radio) == 4 * 27
    # the newspaper's November (from 1/11, due 30/11) is after the signature: still owed, from the 1st
    paper = list(expander.occurrences(the_plan.obligation("bao-thanh-hoa-tin-bai-thang"), dt.date(2021, 11, 1),
                                      dt.date(2021, 11, 30)))
    assert [(o.window_start.isoformat(), o.due.date().isoformat()) for o in paper] == [("2021-11-01", "2021-11-30")]


@pytest.mark.parametrize(("due", "first_window"), [
    ("{weekday: wed}", "2022-03-14"),  # 2/3 and 9/3 are before 10/3: not owed
    ("{weekday: thu}", "2022-03-07"),  # due 10/3, the day it was issued: owed
    ("{weekday: fri}", "2022-03-07"),
])
def test_occurrences_due_before_the_issued_date_are_not_generated(catalog_of, due, first_window):
    catalog = catalog_of(f"""
        - id: bao-cao-tuan
          title: Báo cáo tuần
          lead: buu-dien
          every: week
          from: 2022-02-28
          due: {due}
        """, header="issued: 2022-03-10\n")
    found = expand(catalog, "2022-02-01", "2022-03-31", by="window")
    assert found[0].window_start.isoformat() == first_window


# ------------------------------------------------------------ succession by due date

@pytest.mark.parametrize(("rhythm", "window", "holder"), [
    ("every: month", "2025-02-01", "so-tttt"),  # due 28/2: before the successor's 1/3
    ("every: week", "2025-02-24", "so-khcn"),  # window from 24/2, due Sunday 2/3: the successor's
    ("every: week\n  due: {weekday: fri}", "2025-02-24", "so-tttt"),  # due Friday 28/2: stays
    ("every: quarter\n  due: {month: last, day: 25}", "2025-01-01", "so-khcn"),  # Q1 due 25/3
    ("every: year\n  due: {month: 2, day: 20}", "2025-01-01", "so-tttt"),
])
def test_an_occurrence_due_on_or_after_from_belongs_to_the_successor_whatever_its_window(catalog_of, rhythm, window, holder):
    catalog = catalog_of(f"- id: nv\n  title: Nhiệm vụ\n  lead: so-tttt\n  {rhythm}\n  from: 2024-01-01\n")
    found = [o for o in expand(catalog, "2024-12-01", "2025-06-30", by="window") if o.window_start.isoformat() == window]
    assert [(o.unit, o.holders) for o in found] == [(holder, (holder,))]


# ------------------------------------------------------------ dissolved units

def test_a_dissolved_unit_owes_nothing_due_on_or_after_the_day(catalog_of):
    catalog = catalog_of("""
        - id: truyen-thanh
          title: Tin trên đài truyền thanh huyện
          lead: ubnd-cap-huyen
          every: week
          from: 2025-06-16
          until: 2025-07-31
        - id: chung
          title: Chuyên mục chung
          lead: [ubnd-huyen-a, buu-dien]
          shared: true
          every: month
          from: 2025-05-01
          until: 2025-08-31
        """)
    weekly = rows(expand(catalog, "2025-06-01", "2025-08-31", obligation="truyen-thanh"))
    assert weekly == [
        ("ubnd-huyen-a", "2025-06-16", "2025-06-22 23:59", 0), ("ubnd-huyen-b", "2025-06-16", "2025-06-22 23:59", 0),
        ("ubnd-huyen-a", "2025-06-23", "2025-06-29 23:59", 0), ("ubnd-huyen-b", "2025-06-23", "2025-06-29 23:59", 0),
    ]  # the week of 30/6 is due on Sunday 6/7, after both districts were dissolved on 1/7
    shared = [(o.unit, o.holders, o.window_start.isoformat()) for o in expand(catalog, "2025-05-01", "2025-08-31",
                                                                               obligation="chung")]
    assert shared == [
        ("ubnd-huyen-a", ("ubnd-huyen-a", "buu-dien"), "2025-05-01"),
        ("ubnd-huyen-a", ("ubnd-huyen-a", "buu-dien"), "2025-06-01"),
        ("buu-dien", ("buu-dien",), "2025-07-01"),  # the post office alone, from July
        ("buu-dien", ("buu-dien",), "2025-08-01"),
    ]


def test_reminders_and_escalations_find_someone_who_still_exists(catalog_of):
    directory = catalog_of("- id: nv\n  title: Nhiệm vụ\n  lead: buu-dien\n  every: month\n").directory
    day_after = dt.date(2025, 7, 1)
    assert directory.answering_for("so-tttt", dt.date(2025, 4, 1)) == "so-khcn"  # the successor
    assert directory.answering_for("ubnd-huyen-a", dt.date(2025, 6, 30)) == "ubnd-huyen-a"
    assert directory.answering_for("ubnd-huyen-a", day_after) == "ubnd-tinh"  # dissolved: up to its parent
    assert directory.is_dissolved("ubnd-huyen-a", day_after) and not directory.is_dissolved("ubnd-xa-a1", day_after)
    assert directory.holder_by_due("ubnd-huyen-b", day_after) is None


# ------------------------------------------------------------ repeating events

REQUEST = """\
- id: yeu-cau-bao-cao
  title: Sở TTTT yêu cầu báo cáo đột xuất
  repeats: true
"""
ON_REQUEST = """
- id: bao-cao-dot-xuat
  title: Báo cáo đột xuất khi có yêu cầu
  lead: [buu-dien]
  once: true
  from: {event: yeu-cau-bao-cao}
  due: {after_start: 5 workdays}
- id: cap-nhat-tuan
  title: Cập nhật hàng tuần sau yêu cầu đầu tiên
  lead: buu-dien
  every: week
  from: {event: yeu-cau-bao-cao}
  until: 2024-06-30
"""


def test_each_instance_of_a_repeating_event_opens_its_own_occurrence(catalog_of):
    catalog = catalog_of(ON_REQUEST, events=REQUEST)
    requests = {"yeu-cau-bao-cao": [dt.date(2024, 5, 20), dt.date(2024, 5, 6), dt.date(2024, 5, 6)]}
    found = rows(expand(catalog, "2024-05-01", "2024-06-30", events=requests, obligation="bao-cao-dot-xuat"))
    # two requests on Monday 6/5 are two occurrences (instances 0 and 1), each due 5 working days later
    assert found == [
        ("buu-dien", "2024-05-06", "2024-05-13 23:59", 0),
        ("buu-dien", "2024-05-06", "2024-05-13 23:59", 1),
        ("buu-dien", "2024-05-20", "2024-05-27 23:59", 0),
    ]
    assert len({o.key for o in expand(catalog, "2024-05-01", "2024-06-30", events=requests)}) == 3 + 8
    # instances as the ledger gives them (a withdrawn one leaves a gap in the numbers)
    ledger_style = {"yeu-cau-bao-cao": (Instance(dt.date(2024, 5, 6), 1),)}
    assert rows(expand(catalog, "2024-05-01", "2024-06-30", events=ledger_style, obligation="bao-cao-dot-xuat")) == [
        ("buu-dien", "2024-05-06", "2024-05-13 23:59", 1)]


def test_an_every_obligation_waiting_for_a_repeating_event_starts_at_its_first_instance(catalog_of):
    catalog = catalog_of(ON_REQUEST, events=REQUEST)
    assert expand(catalog, "2024-01-01", "2024-12-31", obligation="cap-nhat-tuan") == []  # nothing recorded yet
    requests = {"yeu-cau-bao-cao": [dt.date(2024, 6, 12), dt.date(2024, 5, 29)]}
    weekly = expand(catalog, "2024-01-01", "2024-12-31", events=requests, obligation="cap-nhat-tuan")
    assert [o.window_start.isoformat() for o in weekly] == ["2024-05-29", "2024-06-03", "2024-06-10", "2024-06-17",
                                                            "2024-06-24"]
    assert {o.instance for o in weekly} == {0}


# ------------------------------------------------------------ event offsets

ELECTION = "- id: bau-cu\n  title: Ngày bầu cử\n"
AROUND_THE_ELECTION = """
- id: tuyen-truyen-truoc-bau-cu
  title: Tuyên truyền tuần trước bầu cử
  lead: buu-dien
  once: true
  from: {event: bau-cu, offset: -7d}
  until: {event: bau-cu, offset: -1d}
- id: tin-hang-ngay
  title: Tin hàng ngày từ 3 ngày làm việc trước bầu cử
  lead: buu-dien
  every: day
  from: {event: bau-cu, offset: -3 workdays}
  until: {event: bau-cu}
- id: bao-cao-ket-qua
  title: Báo cáo kết quả sau bầu cử
  lead: buu-dien
  once: true
  from: {event: bau-cu, offset: 1 workdays}
  due: {after_start: 2d}
"""


def test_event_offsets_move_from_and_until_in_days_and_working_days(catalog_of):
    catalog = catalog_of(AROUND_THE_ELECTION, events=ELECTION)
    sunday = {"bau-cu": dt.date(2026, 3, 15)}
    before = rows(expand(catalog, "2026-03-01", "2026-03-31", events=sunday, obligation="tuyen-truyen-truoc-bau-cu"))
    assert before == [("buu-dien", "2026-03-08", "2026-03-14 23:59", 0)]  # -7d to -1d: the week before
    daily = expand(catalog, "2026-03-01", "2026-03-31", events=sunday, obligation="tin-hang-ngay")
    # 3 working days before Sunday 15/3: Wednesday 11/3 (Friday 13 is the first, Thursday 12 the second)
    assert [o.window_start.day for o in daily] == [11, 12, 13, 14, 15]
    after = rows(expand(catalog, "2026-03-01", "2026-03-31", events=sunday, obligation="bao-cao-ket-qua"))
    assert after == [("buu-dien", "2026-03-16", "2026-03-18 23:59", 0)]  # the next working day, Monday 16/3


def test_a_working_day_offset_skips_holidays_on_the_plans_calendar(catalog_of):
    catalog = catalog_of(AROUND_THE_ELECTION, events=ELECTION)
    # 3 working days before Monday 4/5/2026: 29/4, 28/4, then Friday 24/4 (30/4 and 1/5 are holidays, and
    # Monday 27/4 is the day off for the Hùng Kings' day, which fell on Sunday 26/4)
    daily = expand(catalog, "2026-04-01", "2026-05-31", events={"bau-cu": dt.date(2026, 5, 4)}, obligation="tin-hang-ngay")
    assert daily[0].window_start.isoformat() == "2026-04-24" and daily[-1].window_start.isoformat() == "2026-05-04"


def test_an_end_waiting_for_an_unknown_event(catalog_of):
    catalog = catalog_of(AROUND_THE_ELECTION.replace("from: {event: bau-cu, offset: -3 workdays}", "from: 2026-01-01"),
                         events=ELECTION)
    the_plan = catalog.plans["ke-hoach"]
    expander = Expander(the_plan, catalog.directory)
    # a duty "until the election" runs on while the date is unknown; a one-off due by then waits for it
    assert len(expand(catalog, "2026-01-01", "2026-01-31", obligation="tin-hang-ngay")) == 31
    assert expander.waiting_for(the_plan.obligation("tin-hang-ngay")) is None
    assert expand(catalog, "2026-01-01", "2026-12-31", obligation="tuyen-truyen-truoc-bau-cu") == []
    assert expander.waiting_for(the_plan.obligation("tuyen-truyen-truoc-bau-cu")) == "bau-cu"
    known = expand(catalog, "2026-01-01", "2026-12-31", events={"bau-cu": dt.date(2026, 2, 1)}, obligation="tin-hang-ngay")
    assert known[-1].window_start.isoformat() == "2026-02-01"
