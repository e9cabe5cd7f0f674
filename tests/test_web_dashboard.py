"""The coordinator's dashboard through the real app on SQLite and PostgreSQL: the overview's counts per
plan and per unit, the overdue list (order, filters, pages), bulk excuse and extend; and the attacks:
another province's units and rows (even named in a filter), a viewer's or a forged (CSRF) bulk action,
SQL metacharacters in every filter, and a unit name or plan title carrying a script."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from test_web_auth import client, csrf
from two_provinces import MINISTRY, PROVINCE_A, PROVINCE_B, add_users, synced, web_app
from two_provinces import signed_in as log_in_as

from commplan.ledger import EvidenceInput, Ledger, Status

VN = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=VN)  # a Tuesday
PLAN_A = """\
commplan: 1
plan:
  id: ke-hoach-a
  number: 241/KH-UBND
  title: "Kế hoạch tuyên truyền <script>alert(2)</script>"
  issuer: ubnd-tinh
  coordinator: so-tttt
  effective: {from: 2025-01-01}
obligations:
  - id: bao-cao-tuan
    title: Báo cáo tuần
    kind: report
    evidence: link
    lead: [buu-dien, ubnd-xa-a]
    every: week
    from: 2025-01-06
    until: 2026-06-28
    due: {weekday: thu, time: "14:00"}
  - id: dang-tin
    title: Đăng tin trên cổng thông tin
    kind: publish
    channel: portal
    lead: ubnd-xa-b
    every: month
    from: 2026-01-01
    until: 2026-12-31
"""
PLAN_B = """\
commplan: 1
plan:
  id: ke-hoach-b
  number: 15/KH-UBND
  title: Kế hoạch tỉnh Láng Giềng
  issuer: ubnd-tinh-lg
  coordinator: so-tttt-lg
  effective: {from: 2026-01-01}
obligations:
  - id: bao-cao-tuan
    title: Báo cáo tuần Láng Giềng
    kind: report
    lead: buu-dien-lg
    every: week
    from: 2026-01-05
    until: 2026-06-28
    due: {weekday: thu, time: "14:00"}
"""
B_WORDS = ("Láng Giềng", "buu-dien-lg", "15/KH-UBND", "ke-hoach-b")  # nothing of province B on A's pages


@pytest.fixture
def site(ledger_url, ledger: Ledger, tmp_path):
    synced(ledger, tmp_path, {"a.units.yaml": PROVINCE_A, "b.units.yaml": PROVINCE_B, "bo.units.yaml": MINISTRY,
                              "plan-a.yaml": PLAN_A, "plan-b.yaml": PLAN_B}, NOW)
    return web_app(ledger_url, tmp_path, NOW)


# (role, unit) of each account; added when a test first logs in with it (argon2 is slow on purpose)
ACCOUNTS = {"sotttt": ("coordinator", "so-tttt"), "xem": ("viewer", "so-tttt"),
            "sotttt-lg": ("coordinator", "so-tttt-lg"), "quan-tri": ("admin", None),
            "bo": ("viewer", "bo-tttt")}  # "bo": no province, coordinates no plan


def signed_in(app, login: str) -> TestClient:
    ledger = app.state.ledger.get()
    if ledger.user(login) is None:
        add_users(ledger, {login: ACCOUNTS[login]})
    return log_in_as(client(app), login)


def overdue_rows(ledger: Ledger, **narrow) -> list[int]:
    """The overdue occurrences by an independent path (`statuses`, row by row), most late first."""
    rows = [r for r in ledger.statuses(as_of=NOW, only="overdue", **narrow) if not r.orphaned]
    return [r.id for r in sorted(rows, key=lambda r: (r.due, r.id))]


def listed(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<a href="/ky/(\d+)">', html)]


def row_cells(html: str, label: str) -> list[int]:
    """The numbers of the table row whose heading holds `label`: on time, late, open, overdue, excused, total."""
    rows = [r for r in re.findall(r"<tr>(.*?)</tr>", html, re.S) if label in r]
    assert len(rows) == 1, (label, rows)
    return [int(n) for n in re.findall(r'<td class="num[^"]*">(?:<a [^>]*>)?(\d+)', rows[0])]


def csrf_of(browser: TestClient, path: str = "/qua-han") -> str:
    return csrf(browser, path)


def occurrence(ledger: Ledger, unit: str, due: dt.date) -> int:
    return next(r.id for r in ledger.statuses(as_of=NOW, units=[unit]) if r.due.date() == due)


# ---------------------------------------------------------------- the overview


def test_the_overview_counts_each_plan_and_unit_in_the_four_buckets_and_excused(site, ledger):
    on_time = occurrence(ledger, "buu-dien", dt.date(2026, 1, 8))
    ledger.record_evidence("ke-hoach-a/bao-cao-tuan", "buu-dien", EvidenceInput(kind="link", link="https://a.vn/1"),
                           occurrence_id=on_time, on=dt.date(2026, 1, 7), now=NOW)
    late = occurrence(ledger, "ubnd-xa-a", dt.date(2026, 1, 8))
    ledger.record_evidence("ke-hoach-a/bao-cao-tuan", "ubnd-xa-a", EvidenceInput(kind="link", link="https://a.vn/2"),
                           occurrence_id=late, on=dt.date(2026, 1, 10), now=NOW)
    ledger.excuse(occurrence(ledger, "buu-dien", dt.date(2026, 1, 15)), "bão số 3", now=NOW)
    with signed_in(site, "sotttt") as browser:
        page = browser.get("/tong-quan")
    assert page.status_code == 200
    html = page.text
    # by hand: 61 weekly deadlines passed (9/1/2025 to 5/3/2026) and this week's open, per unit
    assert row_cells(html, "/don-vi/buu-dien\"") == [1, 0, 1, 59, 1, 61]
    assert row_cells(html, "/don-vi/ubnd-xa-a\"") == [0, 1, 1, 60, 0, 62]
    assert row_cells(html, "/don-vi/ubnd-xa-b\"") == [0, 0, 1, 2, 0, 3]  # January and February's, March open
    assert row_cells(html, "241/KH-UBND") == [1, 1, 3, 121, 1, 126]
    # and as the ledger counts row by row
    statuses = ledger.statuses(as_of=NOW, province="thu-nghiem")
    expected = [sum(1 for r in statuses if r.status is s)
                for s in (Status.DONE_ON_TIME, Status.DONE_LATE, Status.OPEN, Status.OVERDUE, Status.EXCUSED)]
    assert row_cells(html, "241/KH-UBND")[:5] == expected
    assert 'href="/qua-han?ke-hoach=ke-hoach-a"' in html and 'href="/qua-han?don-vi=ubnd-xa-b"' in html
    # the most overdue unit first
    assert html.index("/don-vi/ubnd-xa-a") < html.index("/don-vi/buu-dien\"") < html.index("/don-vi/ubnd-xa-b")
    # the calendars: the unit's own and the plan it coordinates (every unit of it in the province)
    assert "http://127.0.0.1:8000/calendars/so-tttt.ics?token=" in html
    assert "http://127.0.0.1:8000/calendars/plan/ke-hoach-a.ics?token=" in html
    for word in B_WORDS:
        assert word not in html


def test_an_account_that_sees_nothing_gets_a_sentence_not_an_error(site):
    with signed_in(site, "bo") as browser:
        for path in ("/tong-quan", "/qua-han"):
            page = browser.get(path)
            assert page.status_code == 200
            assert "không có gì để hiển thị" in page.text
            assert "241/KH-UBND" not in page.text and "/ky/" not in page.text


def test_the_dashboard_needs_a_login(site):
    with client(site) as browser:
        for path in ("/tong-quan", "/qua-han?ke-hoach=ke-hoach-a"):
            sent = browser.get(path)
            assert sent.status_code == 303 and sent.headers["location"].startswith("/dang-nhap?tiep=")


# ---------------------------------------------------------------- the overdue list


def test_the_overdue_list_is_most_late_first_in_pages_of_fifty(site, ledger):
    expected = overdue_rows(ledger, province="thu-nghiem")
    assert len(expected) == 124
    acknowledged = expected[1]
    ledger.acknowledge(acknowledged, next(r.unit for r in ledger.statuses(as_of=NOW) if r.id == acknowledged),
                       "Trần Thị B", now=NOW)
    with signed_in(site, "sotttt") as browser:
        pages = [browser.get(f"/qua-han?trang={n}") for n in (1, 2, 3, 4)]
    assert [p.status_code for p in pages] == [200] * 4
    assert listed(pages[0].text) == expected[:50]
    assert listed(pages[1].text) == expected[50:100]
    assert listed(pages[2].text) == expected[100:]
    assert listed(pages[3].text) == [] and "Trang này không có dòng nào." in pages[3].text
    first = pages[0].text
    assert "1–50 trên 124 nhiệm vụ quá hạn" in first
    assert '<a href="/qua-han?trang=2" rel="next">' in first and 'rel="prev"' not in first
    assert '<a href="/qua-han" rel="prev">' in pages[1].text and '<a href="/qua-han?trang=3" rel="next">' in pages[1].text
    # the first row: 9/1/2025 14:00, 425 days before 10/3/2026
    assert "14:00 09/01/2025" in first and "425 ngày" in first
    ack_row = next(r for r in re.findall(r"<tr>(.*?)</tr>", first, re.S) if f"/ky/{acknowledged}\"" in r)
    assert "Đã tiếp nhận, đang thực hiện" in ack_row and "Trần Thị B" in ack_row


@pytest.mark.parametrize(("query", "narrow"), [
    ("don-vi=ubnd-xa-b", {"units": ["ubnd-xa-b"]}),
    ("ke-hoach=ke-hoach-a&don-vi=buu-dien", {"units": ["buu-dien"]}),
    ("kenh=publish", {"units": ["ubnd-xa-b"]}),
    ("kenh=portal", {"units": ["ubnd-xa-b"]}),
    ("kenh=report", {"units": ["buu-dien", "ubnd-xa-a"]}),
    ("kenh=radio", None),
    ("tu=01/02/2026&den=28/02/2026", {"due": (dt.date(2026, 2, 1), dt.date(2026, 2, 28))}),
    ("tu=2026-02-01&den=2026-02-28", {"due": (dt.date(2026, 2, 1), dt.date(2026, 2, 28))}),
    ("don-vi=buu-dien&tu=05/03/2026", {"units": ["buu-dien"], "due": (dt.date(2026, 3, 5), dt.date(2026, 3, 5))}),
])
def test_the_overdue_list_filters_by_plan_unit_channel_and_deadline(site, ledger, query, narrow):
    expected: list[int] = []
    if narrow is not None:
        rows = [r for r in ledger.statuses(as_of=NOW, only="overdue", province="thu-nghiem")
                if r.unit in narrow.get("units", [r.unit])
                and narrow.get("due", (r.due.date(), r.due.date()))[0] <= r.due.date() <= narrow.get("due", (r.due.date(),) * 2)[1]]
        expected = [r.id for r in sorted(rows, key=lambda r: (r.due, r.id))][:50]
    with signed_in(site, "sotttt") as browser:
        page = browser.get(f"/qua-han?{query}")
    assert page.status_code == 200
    assert listed(page.text) == expected
    if narrow and "due" in narrow and "units" not in narrow:
        assert len(expected) == 9  # four weeks for two units, and February's publishing


def test_the_admin_sees_both_provinces_and_filters_by_plan(site, ledger):
    with signed_in(site, "quan-tri") as browser:
        everything = browser.get("/qua-han?trang=3").text
        only_b = browser.get("/qua-han?ke-hoach=ke-hoach-b").text
    assert "1–9 trên 9" in only_b and listed(only_b) == overdue_rows(ledger, plans=["ke-hoach-b"])
    assert "101–133 trên 133" in everything


# ---------------------------------------------------------------- two provinces


def test_a_coordinator_never_sees_another_provinces_units_or_rows_even_by_naming_them(site, ledger):
    ours = set(overdue_rows(ledger, province="thu-nghiem"))
    theirs = overdue_rows(ledger, province="lang-gieng")
    assert len(theirs) == 9 and not ours & set(theirs)
    with signed_in(site, "sotttt") as browser:
        seen = set()
        for n in (1, 2, 3):
            page = browser.get(f"/qua-han?trang={n}")
            seen |= set(listed(page.text))
            for word in B_WORDS:
                assert word not in page.text
        assert seen == ours
        for query in ("don-vi=buu-dien-lg", "ke-hoach=ke-hoach-b", "don-vi=ubnd-tinh-lg&ke-hoach=ke-hoach-a",
                      "don-vi=khong-co-don-vi-nay", "ke-hoach=khong-co"):
            refused = browser.get(f"/qua-han?{query}")
            assert refused.status_code == 403, query
            assert not set(listed(refused.text)) and not any(w in refused.text for w in B_WORDS[:3])
        # a bulk action naming their occurrences changes nothing
        token = csrf_of(browser)
        refused = browser.post("/qua-han/mien", data={"csrf_token": token, "ky": [sorted(ours)[0], theirs[0]],
                                                      "ly_do": "thử"})
        assert refused.status_code == 403
    assert overdue_rows(ledger, province="lang-gieng") == theirs
    assert set(overdue_rows(ledger, province="thu-nghiem")) == ours  # not even our own one: all or nothing
    with signed_in(site, "sotttt-lg") as browser:
        page = browser.get("/qua-han")
        assert listed(page.text) == theirs and "Bưu điện &lt;script&gt;" not in page.text
        assert browser.get("/qua-han?don-vi=buu-dien").status_code == 403


# ---------------------------------------------------------------- bulk actions


def test_a_coordinator_excuses_several_at_once_with_a_reason(site, ledger):
    chosen = overdue_rows(ledger, province="thu-nghiem")[:3]
    with signed_in(site, "sotttt") as browser:
        token = csrf_of(browser)
        missing = browser.post("/qua-han/mien", data={"csrf_token": token, "ky": chosen, "ly_do": "  "})
        assert missing.status_code == 422 and "Hãy ghi lý do miễn." in missing.text
        assert missing.text.count(" checked") == 3  # the selection is kept
        done = browser.post("/qua-han/mien", data={"csrf_token": token, "ky": chosen, "ly_do": "Bão số 3",
                                                   "quay_lai": "don-vi=ubnd-xa-a&x=1"})
        assert done.status_code == 303
        assert done.headers["location"] == "/qua-han?don-vi=ubnd-xa-a&da-mien=3"
        after = browser.get("/qua-han?da-mien=3")
    assert "Đã miễn 3 kỳ." in after.text
    assert not set(chosen) & set(listed(after.text))
    statuses = {r.id: r for r in ledger.statuses(as_of=NOW)}
    assert all(statuses[i].status is Status.EXCUSED for i in chosen)
    assert len(overdue_rows(ledger, province="thu-nghiem")) == 121


def test_a_coordinator_extends_several_deadlines_all_or_none(site, ledger):
    chosen = overdue_rows(ledger, province="thu-nghiem")[:2]
    with signed_in(site, "sotttt") as browser:
        token = csrf_of(browser)
        earlier = browser.post("/qua-han/gia-han", data={"csrf_token": token, "ky": chosen, "ly_do": "Sáp nhập xã",
                                                         "gia_han_den": "01/01/2020"})
        assert earlier.status_code == 422 and "gia hạn" in earlier.text
        assert overdue_rows(ledger, province="thu-nghiem")[:2] == chosen  # nothing moved
        bad_day = browser.post("/qua-han/gia-han", data={"csrf_token": token, "ky": chosen, "ly_do": "x",
                                                         "gia_han_den": "31/02/2026"})
        assert bad_day.status_code == 422
        done = browser.post("/qua-han/gia-han", data={"csrf_token": token, "ky": chosen, "ly_do": "Sáp nhập xã",
                                                      "gia_han_den": "2026-03-20"})
        assert done.status_code == 303 and done.headers["location"] == "/qua-han?da-gia-han=2"
        assert "Đã gia hạn 2 kỳ." in browser.get(done.headers["location"]).text
    statuses = {r.id: r for r in ledger.statuses(as_of=NOW)}
    for i in chosen:
        assert statuses[i].status is Status.OPEN
        assert statuses[i].due == dt.datetime(2026, 3, 20, 23, 59, 59, tzinfo=statuses[i].due.tzinfo)


def test_a_viewer_sees_no_checkbox_and_cannot_excuse(site, ledger):
    chosen = overdue_rows(ledger, province="thu-nghiem")[:1]
    with signed_in(site, "xem") as browser:
        page = browser.get("/qua-han")
        assert page.status_code == 200 and listed(page.text)
        assert 'name="ky"' not in page.text and "/qua-han/mien" not in page.text
        token = csrf_of(browser)
        for action in ("mien", "gia-han"):
            refused = browser.post(f"/qua-han/{action}", data={"csrf_token": token, "ky": chosen, "ly_do": "x",
                                                               "gia_han_den": "2026-12-31"})
            assert refused.status_code == 403
    assert overdue_rows(ledger, province="thu-nghiem")[:1] == chosen


def test_a_bulk_action_without_this_sessions_csrf_token_is_refused(site, ledger):
    chosen = overdue_rows(ledger, province="thu-nghiem")[:2]
    with signed_in(site, "sotttt") as other:
        stolen = csrf_of(other)
    with signed_in(site, "sotttt") as browser:
        for data in ({"ky": chosen, "ly_do": "x"}, {"csrf_token": stolen, "ky": chosen, "ly_do": "x"}):
            refused = browser.post("/qua-han/mien", data=data)
            assert refused.status_code == 403 and "Biểu mẫu đã hết hạn" in refused.text
    assert overdue_rows(ledger, province="thu-nghiem")[:2] == chosen


# ---------------------------------------------------------------- attacks through the filters


@pytest.mark.parametrize("value", ["' OR 1=1 --", "%", "_", "buu-dien-lg' OR '1'='1", '"><script>alert(3)</script>'])
def test_sql_metacharacters_in_every_filter_give_a_clean_answer(site, ledger, value):
    with signed_in(site, "sotttt") as browser:
        for name in ("ke-hoach", "don-vi", "kenh", "tu", "den", "trang"):
            page = browser.get("/qua-han", params={name: value})
            assert page.status_code in (403, 422), (name, page.status_code)
            assert not listed(page.text) and "<script>alert(3)" not in page.text
            assert not any(word in page.text for word in B_WORDS[:3])
        # a form's own filters, sent back after an action, are read the same way
        token = csrf_of(browser)
        chosen = overdue_rows(ledger, province="thu-nghiem")[:1]
        done = browser.post("/qua-han/mien", data={"csrf_token": token, "ky": chosen, "ly_do": value,
                                                   "quay_lai": f"don-vi={value}&kenh={value}"})
        assert done.status_code == 303 and done.headers["location"] == "/qua-han?da-mien=1"


@pytest.mark.parametrize("value", ["' OR 1=1 --", "%", "_"])
def test_the_ledgers_filters_are_bound_parameters(site, ledger, value):
    assert ledger.overdue_page(as_of=NOW, kinds=[value]) == ([], 0)
    assert ledger.overdue_page(as_of=NOW, channels=[value]) == ([], 0)
    rows, total = ledger.overdue_page(as_of=NOW, province="thu-nghiem", limit=5, offset=120)
    assert total == 124 and [r.id for r in rows] == overdue_rows(ledger, province="thu-nghiem")[120:]


def test_a_script_in_a_unit_name_or_a_plan_title_is_shown_as_text(site):
    with signed_in(site, "sotttt") as browser:
        for path in ("/tong-quan", "/qua-han", "/qua-han?don-vi=buu-dien"):
            html = browser.get(path).text
            assert "<script>" not in html, path
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path
        overview = browser.get("/tong-quan").text
    assert "Kế hoạch tuyên truyền &lt;script&gt;alert(2)&lt;/script&gt;" in overview
