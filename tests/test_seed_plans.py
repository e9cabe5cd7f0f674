"""The five seed documents, encoded under plans/, are valid, faithful and right to the minute."""

from __future__ import annotations

import calendar
import datetime as dt
import re

import pytest
from conftest import PLANS

from commplan.plan import load_catalog
from commplan.schedule import Expander

SEED_OF_PLAN = {
    "thanh-hoa-241-2021": "000_239cecb01762e696.txt",
    "hau-giang-211-2021": "001_b7cfee754916a29d.txt",
    "thanh-hoa-nq06-truyen-thong-2022": "002_8ccbc30ea3f5f21b.txt",
    "ha-tinh-cam-ocop-2021": "003_1716dc88e10adc21.txt",
    "bo-tttt-2980-2021": "004_7e8f0e1a1d5dd116.txt",
}


@pytest.fixture(scope="module")
def catalog():
    catalog, errors = load_catalog([PLANS], strict=False)
    assert [str(e) for e in errors] == []
    return catalog


def normalised(text: str) -> str:
    """Seed text without layout: markdown bold, HTML tags, table bars and line breaks."""
    text = re.sub(r"<[^>]+>|\*\*|\|", " ", text)
    return " ".join(text.split())


def occurrences(catalog, plan_id, obligation_id, start, end, events=None):
    plan = catalog.plans[plan_id]
    expander = Expander(plan, catalog.directory, events)
    found = expander.occurrences(plan.obligation(obligation_id), dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    return [(o.unit, o.window_start.isoformat(), o.window_end.isoformat(), o.due.isoformat()) for o in found]


def test_every_seed_document_is_encoded(catalog):
    assert set(catalog.plans) == set(SEED_OF_PLAN)


def test_every_seed_document_is_there(seed_documents):
    for seed in SEED_OF_PLAN.values():
        assert (seed_documents / seed).is_file()


@pytest.mark.parametrize("plan_id", sorted(SEED_OF_PLAN))
def test_every_obligation_quotes_its_source_verbatim(catalog, plan_id, seed_documents):
    source = normalised((seed_documents / SEED_OF_PLAN[plan_id]).read_text(encoding="utf-8"))
    plan = catalog.plans[plan_id]
    assert plan.obligations
    for obligation in plan.obligations:
        assert obligation.ref, f"{obligation.id} has no ref"
        assert obligation.quote, f"{obligation.id} has no quote"
        # "…" marks words the author left out; every other character is the source's
        for fragment in filter(None, (normalised(part) for part in obligation.quote.split("…"))):
            assert fragment in source, f"{plan_id}/{obligation.id}: quote not in the source: {fragment[:80]}"


def test_contacts_are_clearly_fake(catalog):
    for unit in catalog.directory.units.values():
        for contact in unit.contacts:
            assert contact.email is None or contact.email.endswith("@example.gov.vn"), unit.id
            assert contact.phone is None or contact.phone.startswith("+8490000"), unit.id


# ------------------------------------------------------------ 000: Thanh Hóa 241/KH-UBND

def test_241_portal_items_wait_for_the_ministrys_banner(catalog):
    assert occurrences(catalog, "thanh-hoa-241-2021", "tin-bai-cong-ttdt-thang", "2021-11-01", "2022-12-31") == []
    banner = {"banner-nong-san-viet": dt.date(2021, 11, 22)}
    got = occurrences(catalog, "thanh-hoa-241-2021", "tin-bai-cong-ttdt-thang", "2021-11-01", "2021-12-31", banner)
    assert got == [
        ("buu-dien-thanh-hoa", "2021-11-22", "2021-11-30", "2021-11-30T23:59:59+07:00"),
        ("viettel-post-thanh-hoa", "2021-11-22", "2021-11-30", "2021-11-30T23:59:59+07:00"),
        ("buu-dien-thanh-hoa", "2021-12-01", "2021-12-31", "2021-12-31T23:59:59+07:00"),
        ("viettel-post-thanh-hoa", "2021-12-01", "2021-12-31", "2021-12-31T23:59:59+07:00"),
    ]


def test_241_every_district_owes_a_weekly_grassroots_radio_item(catalog):
    got = occurrences(catalog, "thanh-hoa-241-2021", "truyen-thanh-co-so-tuan", "2022-03-07", "2022-03-13")
    assert len(got) == 27
    assert {u for u, *_ in got} == set(catalog.directory.members("ubnd-cap-huyen-thanh-hoa"))
    assert {(s, e, d) for _, s, e, d in got} == {("2022-03-07", "2022-03-13", "2022-03-13T23:59:59+07:00")}


def test_241_reports_of_the_post_office_and_viettel(catalog):
    plan = "thanh-hoa-241-2021"
    # weekly "trước thứ 5": by Wednesday; Wednesday 2/2/2022 is Tết: back to Friday 28/1, before the holiday
    assert occurrences(catalog, plan, "bao-cao-tuan", "2022-01-28", "2022-02-07")[0] == (
        "buu-dien-thanh-hoa", "2022-01-31", "2022-02-06", "2022-01-28T23:59:59+07:00")
    # monthly "trước ngày 25": by the 24th; quarterly: the 24th of the quarter's last month
    assert occurrences(catalog, plan, "bao-cao-thang", "2022-03-01", "2022-03-31")[0][3] == "2022-03-24T23:59:59+07:00"
    assert occurrences(catalog, plan, "bao-cao-quy", "2022-09-01", "2022-09-30")[0] == (
        "buu-dien-thanh-hoa", "2022-07-01", "2022-09-30", "2022-09-23T23:59:59+07:00")  # 24/9/2022 is a Saturday
    # yearly plan "trước ngày 15/11"; in 2021 the 14th is a Sunday: Friday 12/11
    assert occurrences(catalog, plan, "ke-hoach-truyen-thong-nam", "2022-01-01", "2022-12-31")[0][3] == "2022-11-14T23:59:59+07:00"
    assert occurrences(catalog, plan, "ke-hoach-truyen-thong-nam", "2021-01-01", "2021-12-31")[0][3] == "2021-11-12T23:59:59+07:00"


# ------------------------------------------------------------ 001: Hậu Giang 211/KH-UBND

def test_211_indicator_tables_carry_their_2022_and_2023_targets(catalog):
    plan = catalog.plans["hau-giang-211-2021"]
    rows = {i.id: i for i in plan.indicators if not i.baseline}
    assert sorted({i.section for i in rows.values()}) == ["2.1", "2.2", "2.3"]
    assert len(rows) == 16
    assert str(rows["ho-dao-tao-ky-nang-so"].targets[2022]) == "70%"
    assert str(rows["ho-dao-tao-ky-nang-so"].targets[2023]) == "90%"
    assert str(rows["thi-truong-nuoc-ngoai"].targets[2023]) == "4"


def test_211_information_updates_are_weekly_all_year_and_daily_in_the_harvest_peak(catalog):
    """"Hàng tuần (Hàng ngày với nông sản đang cao điểm thu hoạch)": no day of the plan without an update owed."""
    plan = catalog.plans["hau-giang-211-2021"]
    daily = plan.obligation("cap-nhat-thong-tin-san-app-ngay-cao-diem")
    weekly = plan.obligation("cap-nhat-thong-tin-san-app-tuan")
    assert str(daily.every) == "day" and str(weekly.every) == "week"
    assert weekly.months is None and daily.months == (2, 3, 6, 7)
    owed: set[dt.date] = set()
    for obligation_id in (weekly.id, daily.id):
        for _, start, end, _ in occurrences(catalog, plan.id, obligation_id, "2021-12-01", "2024-01-31"):
            day = dt.date.fromisoformat(start)
            while day <= dt.date.fromisoformat(end):
                owed.add(day)
                day += dt.timedelta(days=1)
    plan_days = {dt.date(2022, 1, 1) + dt.timedelta(days=n) for n in range(730)}
    assert sorted(plan_days - owed) == []
    # a harvest day owes the daily update, and its week the weekly one
    assert ("so-nnptnt-hau-giang", "2022-03-31", "2022-03-31", "2022-03-31T23:59:59+07:00") in occurrences(
        catalog, plan.id, daily.id, "2022-03-31", "2022-03-31")
    assert occurrences(catalog, plan.id, weekly.id, "2022-04-03", "2022-04-03") == [
        ("so-nnptnt-hau-giang", "2022-03-28", "2022-04-03", "2022-04-03T23:59:59+07:00")]


def test_211_year_end_report_before_15_december(catalog):
    assert occurrences(catalog, "hau-giang-211-2021", "bao-cao-nam", "2022-01-01", "2022-12-31") == [
        ("so-tttt-hau-giang", "2022-01-01", "2022-12-31", "2022-12-14T23:59:59+07:00")]


# ------------------------------------------------------------ 002: Thanh Hóa NQ 06-NQ/TU

def test_nq06_district_and_commune_radio_produce_one_and_rebroadcast_three_a_month(catalog):
    plan = catalog.plans["thanh-hoa-nq06-truyen-thong-2022"]
    counts = {o.id: o.at_least for o in plan.obligations if o.id.startswith(("dai-huyen", "dai-xa"))}
    assert counts == {
        "dai-huyen-san-xuat-chuong-trinh": 1, "dai-huyen-phat-lai-chuong-trinh": 3,
        "dai-xa-san-xuat-chuong-trinh": 1, "dai-xa-phat-lai-chuong-trinh": 3,
        "dai-xa-san-xuat-chuong-trinh-cap-xa": 1, "dai-xa-phat-lai-chuong-trinh-cap-xa": 3,
    }
    # districts were abolished on 1/7/2025: their last window is June 2025
    last = occurrences(catalog, plan.id, "dai-huyen-phat-lai-chuong-trinh", "2025-06-01", "2025-12-31")
    assert {w for _, w, *_ in last} == {"2025-06-01"}


def test_nq06_commune_radio_is_owed_by_the_districts_then_by_each_commune_of_the_official_list(catalog):
    plan = "thanh-hoa-nq06-truyen-thong-2022"
    directory = catalog.directory
    districts = set(directory.members("ubnd-cap-huyen-thanh-hoa"))
    communes = set(directory.members("ubnd-cap-xa-thanh-hoa"))
    assert len(districts) == 27 and len(communes) == 166
    for produce, rebroadcast in (("dai-xa-san-xuat-chuong-trinh", "dai-xa-phat-lai-chuong-trinh"),):
        june = occurrences(catalog, plan, produce, "2025-06-01", "2025-06-30")
        july = occurrences(catalog, plan, produce + "-cap-xa", "2025-07-01", "2025-07-31")
        assert {u for u, *_ in june} == districts
        assert occurrences(catalog, plan, produce + "-cap-xa", "2025-01-01", "2025-06-30") == []
        assert occurrences(catalog, plan, produce, "2025-07-01", "2025-12-31") == []
        assert {u for u, *_ in july} == communes
        assert {(s, e) for _, s, e, _ in july} == {("2025-07-01", "2025-07-31")}
        # the plan runs "đến năm 2025": December is the communes' last month
        last = occurrences(catalog, plan, rebroadcast + "-cap-xa", "2025-12-01", "2026-12-31")
        assert {(s, e) for _, s, e, _ in last} == {("2025-12-01", "2025-12-31")} and len(last) == 166
    assert all(directory.units[c].code and directory.province_of(c) == "thanh-hoa" for c in communes)


def test_nq06_every_department_posts_the_resolution(catalog):
    """"Các sở, ban, ngành cấp tỉnh": every specialised agency of UBND tỉnh (Sở TTTT listed beside the group)."""
    got = occurrences(catalog, "thanh-hoa-nq06-truyen-thong-2022", "dang-tai-nghi-quyet-trang-ttdt", "2022-01-01", "2022-12-31")
    units = {u for u, *_ in got}
    assert len(units) == 19
    assert {"so-noi-vu-thanh-hoa", "so-tu-phap-thanh-hoa", "so-khdt-thanh-hoa", "so-gtvt-thanh-hoa", "so-y-te-thanh-hoa",
            "so-gddt-thanh-hoa", "thanh-tra-thanh-hoa", "ban-dan-toc-thanh-hoa", "van-phong-ubnd-thanh-hoa",
            "so-tttt-thanh-hoa"} <= units
    # the 2025 merger into Sở Nông nghiệp và Môi trường takes both departments
    merged = {catalog.directory.holder_on(u, dt.date(2025, 3, 1)) for u in ("so-nnptnt-thanh-hoa", "so-tnmt-thanh-hoa")}
    assert merged == {"so-nnmt-thanh-hoa"}


def test_every_unit_of_a_province_directory_belongs_to_its_province(catalog):
    directory = catalog.directory
    assert directory.province_of("buu-dien-thanh-hoa") == "thanh-hoa"  # no parent: still Thanh Hóa's
    assert directory.province_of("viettel-post-hau-giang") == "hau-giang"
    assert directory.province_of("phong-ttbcxb-ha-tinh") == "ha-tinh"
    assert directory.province_of("so-vhttdl-bac-lieu") == "bac-lieu"  # in the ministry's file
    assert directory.province_of("bo-tttt") is None
    assert directory.units["ubnd-h-ba-thuoc"].code == "386" and directory.units["ubnd-thanh-hoa"].code == "38"
    for unit in directory.units.values():
        if not unit.id.startswith(("bo-tttt", "vu-")):
            assert unit.province in {"thanh-hoa", "hau-giang", "ha-tinh", "bac-lieu"}, unit.id


def test_nq06_zalo_posts_pass_to_the_department_of_science_in_march_2025(catalog):
    got = occurrences(catalog, "thanh-hoa-nq06-truyen-thong-2022", "zalo-chuyen-doi-so-tuan", "2025-02-20", "2025-03-10")
    # by due date (format 1.1): the week of 24/2 is due on Sunday 2/3/2025, after the merger of 1/3
    assert [(u, s) for u, s, *_ in got] == [
        ("so-tttt-thanh-hoa", "2025-02-17"),
        ("so-khcn-thanh-hoa", "2025-02-24"),
        ("so-khcn-thanh-hoa", "2025-03-03"),
    ]


# ------------------------------------------------------------ 003: Hà Tĩnh oranges and OCOP

def test_ha_tinh_three_dated_items_with_their_budget(catalog):
    plan = catalog.plans["ha-tinh-cam-ocop-2021"]
    budget = {line.obligation: line.amount for line in plan.budget}
    assert budget == {"cd-tuyen-truyen-cam-ocop": 30_000_000, "cong-ttdt-tin-bai-cam-ocop": 5_000_000, "chien-dich-san-tmdt-cam": 5_000_000}
    assert sum(budget.values()) == 40_000_000  # "Tổng kinh phí 40.000.000"
    assert occurrences(catalog, plan.id, "cd-tuyen-truyen-cam-ocop", "2021-12-01", "2021-12-31") == [
        ("phong-ttbcxb-ha-tinh", "2021-11-01", "2021-12-31", "2021-12-31T23:59:59+07:00")]
    assert plan.obligation("cd-tuyen-truyen-cam-ocop").at_least == 2
    assert plan.obligation("cd-tuyen-truyen-cam-ocop").partners == ("van-phong-so-tttt-ha-tinh",)


# ------------------------------------------------------------ 004: Công văn 2980/BTTTT-QLDN

def test_2980_weekly_report_before_14h_thursday_and_monthly_before_14h_on_the_25th(catalog):
    plan = "bo-tttt-2980-2021"
    # 2/9 (Thursday) is National Day: back to Wednesday 1/9 at 14:00, never after the Thursday
    weekly = occurrences(catalog, plan, "bao-cao-tuan-kh1034", "2021-09-01", "2021-09-06")
    assert {(s, d) for _, s, _, d in weekly} == {("2021-08-30", "2021-09-01T14:00:00+07:00")}
    assert len(weekly) == 4  # three provinces' Sở TTTT and Bạc Liêu's Sở VHTTDL
    monthly = occurrences(catalog, plan, "bao-cao-thang-kh1034", "2021-09-01", "2021-09-30")
    assert {d for *_, d in monthly} == {"2021-09-24T14:00:00+07:00"}  # 25/9/2021 is a Saturday
    # every deadline of both: at most 14:00 on the Thursday / the 25th the text names
    for obligation_id in ("bao-cao-tuan-kh1034", "bao-cao-thang-kh1034"):
        for _, start, _, due in occurrences(catalog, plan, obligation_id, "2021-08-01", "2021-12-31"):
            first = dt.date.fromisoformat(start)
            named = (first - dt.timedelta(days=first.weekday() - 3) if obligation_id == "bao-cao-tuan-kh1034"
                     else first.replace(day=25))
            assert dt.datetime.fromisoformat(due) <= dt.datetime.fromisoformat(f"{named}T14:00:00+07:00"), (obligation_id, due)


def test_2980_appendix_01_targets_for_2021(catalog):
    plan = catalog.plans["bo-tttt-2980-2021"]
    targets = {i.id: str(i.targets[2021]) for i in plan.indicators if 2021 in i.targets}
    assert targets == {
        "ho-dao-tao-ky-nang-so": "70%", "ho-dao-tao-dong-goi-giao-nhan": "60%",
        "ho-co-gian-hang-tren-san": "50%", "ho-co-tai-khoan-thanh-toan": "50%",
    }
    assert all(i.of == "tong-ho-sxnn" for i in plan.indicators if i.id in targets)


# ------------------------------------------------------------ "trước ngày N", "trước thứ N", "trước ngày D/M"

def _named_day(obligation, window_start: dt.date) -> dt.date:
    """The day a `before: true` deadline excludes, worked out from the rule and the calendar
    period (independently of commplan.schedule): the 25th of the month, the Thursday of the week…"""
    due = obligation.due_rule
    if due.kind.value == "weekday":
        return window_start - dt.timedelta(days=window_start.weekday()) + dt.timedelta(days=due.weekday)
    size = obligation.every.months
    first_month = (window_start.month - 1) // size * size + 1
    month = first_month + (size - 1 if due.month == -1 else (due.month or 1) - 1)
    last = calendar.monthrange(window_start.year, month)[1]
    day = last + 1 + due.day if due.day < 0 else min(due.day, last)
    return dt.date(window_start.year, month, day)


def test_no_seed_deadline_falls_on_or_after_the_day_its_text_excludes(catalog):
    """Every occurrence of every `before: true` deadline of the seeds, 2021 to 2027: strictly before
    the day named ("trước ngày 25" -> before the 25th), on a working day, and at most two weeks
    earlier (the longest run of days off, Tết, is about ten days)."""
    checked: dict[tuple[str, str], int] = {}
    for plan in catalog.plans.values():
        expander = Expander(plan, catalog.directory)
        for obligation in plan.obligations:
            if not obligation.due_rule.before:
                continue
            assert obligation.due_rule.if_holiday.value == "previous-workday", obligation.id
            for occurrence in expander.occurrences(obligation, dt.date(2021, 1, 1), dt.date(2027, 12, 31)):
                named = _named_day(obligation, occurrence.window_start)
                deadline = occurrence.due.date()
                assert deadline < named, (plan.id, obligation.id, occurrence.window_start, deadline)
                assert named - deadline <= dt.timedelta(days=14), (plan.id, obligation.id, deadline)
                assert expander.calendar.is_workday(deadline), (plan.id, obligation.id, deadline)
                assert occurrence.due.time() == dt.time(23, 59, 59)
                checked[plan.id, obligation.id] = checked.get((plan.id, obligation.id), 0) + 1
    assert set(checked) == {
        ("thanh-hoa-241-2021", "bao-cao-tuan"), ("thanh-hoa-241-2021", "bao-cao-thang"),
        ("thanh-hoa-241-2021", "bao-cao-quy"), ("thanh-hoa-241-2021", "ke-hoach-truyen-thong-nam"),
        ("hau-giang-211-2021", "bao-cao-6-thang"), ("hau-giang-211-2021", "bao-cao-nam"),
    }
    # 241 runs on with no end date: two leads, 2021-11 to 2027-12
    assert checked["thanh-hoa-241-2021", "bao-cao-thang"] == 2 * 74
    assert checked["thanh-hoa-241-2021", "bao-cao-quy"] == 2 * 25
    assert checked["hau-giang-211-2021", "bao-cao-nam"] == 2


def test_every_trước_phrase_of_the_seeds_is_encoded_with_before(catalog):
    """A quote saying "trước ngày N" / "trước thứ N" (without a time) has a `before: true` deadline."""
    phrase = re.compile(r"trước\s+(ngày\s+\d|thứ\s+\d)")
    for plan in catalog.plans.values():
        for obligation in plan.obligations:
            if obligation.quote and phrase.search(obligation.quote):
                assert obligation.due_rule.before, (plan.id, obligation.id)
