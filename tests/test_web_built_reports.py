"""The reports commplan built, on the dashboard, through the real app on SQLite and PostgreSQL: who sees
which build (a province's coordinator its own units' forms and its plans' compliance reports, never the
other province's, whose builds and files answer exactly as a build that does not exist), the files
served byte for byte with the headers that keep them inert, the overview's list with its heat map, the
mail's status in Vietnamese, a build's history, and a title or summary carrying a script."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from test_web_auth import client
from test_web_dashboard import ACCOUNTS, NOW, PLAN_A, PLAN_B
from two_provinces import MINISTRY, PROVINCE_A, PROVINCE_B, add_users, synced, web_app
from two_provinces import signed_in as log_in_as

from commplan.ledger import Ledger
from commplan.ledger.report_builds import MAIL_STATUSES, BuiltFile, ReportBuild
from commplan.ledger.users import Scope, User
from commplan.reports.compliance_files import write_all
from commplan.reports.compliance_report import compliance_report
from commplan.web.auth import Viewer
from commplan.web.built_reports import MAIL_LABELS, latest_seen, period_label, visible

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TYPES = {".xlsx": XLSX, ".csv": "text/csv", ".html": "text/html", ".png": "image/png"}
FEBRUARY = (dt.date(2026, 2, 1), dt.date(2026, 2, 28))


@pytest.fixture
def site(ledger_url, ledger: Ledger, tmp_path):
    plans = tmp_path / "plans"
    plans.mkdir()
    synced(ledger, plans, {"a.units.yaml": PROVINCE_A, "b.units.yaml": PROVINCE_B, "bo.units.yaml": MINISTRY,
                           "plan-a.yaml": PLAN_A, "plan-b.yaml": PLAN_B}, NOW)
    return web_app(ledger_url, plans, NOW)


def signed_in(app, login: str):
    ledger = app.state.ledger.get()
    if ledger.user(login) is None:
        add_users(ledger, {login: ACCOUNTS[login]})
    return log_in_as(client(app), login)


def workbook(text: str) -> bytes:
    book = Workbook()
    book.worksheets[0]["A1"] = text
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def form(ledger: Ledger, plan: str, unit: str, *, period: str = "2026-W10", title: str | None = None,
         summary: str | None = "12 chỉ tiêu, 2 đơn vị chưa báo cáo", now: dt.datetime = NOW,
         recipients: tuple[tuple[str, str], ...] = ()) -> ReportBuild:
    """A weekly form of `unit` on `plan`: a real workbook, its CSV and its page."""
    stem = f"bao-cao-tuan-{period}-{unit}"
    files = [BuiltFile(f"{stem}.xlsx", workbook(f"{unit} {period}"), XLSX),
             BuiltFile(f"{stem}.csv", f"\ufeffChỉ tiêu,Số liệu\nTin bài,{len(unit)}\n".encode(), "text/csv"),
             BuiltFile(f"{stem}.html", f"<!DOCTYPE html><p>Biểu mẫu {unit}</p><script>alert(9)</script>".encode(),
                       "text/html")]
    return ledger.save_report_build(
        kind="weekly", plan=plan, scope=unit, period=period, fingerprint=f"{unit}-{period}-{now.isoformat()}",
        title=title or f"Biểu mẫu báo cáo tuần {period} của {unit}", summary=summary, files=files,
        recipients=recipients or ((unit, f"{unit}@example.gov.vn"),), as_of=now, now=now)[0]


# the provinces of the units each test plan names (who may read its compliance report)
PROVINCES_OF = {"ke-hoach-a": ["thu-nghiem"], "ke-hoach-b": ["lang-gieng"], "ke-hoach-bo": ["thu-nghiem", "lang-gieng"]}


def compliance(ledger: Ledger, plan: str, folder: Path, *, now: dt.datetime = NOW) -> ReportBuild:
    """The plan's compliance report of February from the ledger, its four files as commplan writes them."""
    report = compliance_report(ledger, plan, *FEBRUARY, as_of=now)
    files = [BuiltFile(p.name, p.read_bytes(), TYPES[p.suffix]) for p in write_all(report, folder / plan)]
    return ledger.save_report_build(
        kind="compliance-monthly", plan=plan, scope="", period="2026-02", fingerprint=f"{plan}-{now.isoformat()}",
        provinces=PROVINCES_OF[plan],
        title=f"Báo cáo tình hình thực hiện kế hoạch {report.shown_number}, tháng 02/2026",
        summary=f"{report.total.on_time} đúng hạn, {report.total.overdue} quá hạn", files=files,
        recipients=(("so-tttt", "so-tttt@example.gov.vn"),), as_of=now, now=now)[0]


def file_url(build: ReportBuild, suffix: str) -> str:
    name = next(f.name for f in build.files if f.name.endswith(suffix))
    return f"/bao-cao-da-lap/{build.id}/{name}"


def without_address(html: str) -> str:
    return re.sub(r"<code>.*?</code>", "", html)


def heading(html: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", html, re.S)
    assert found is not None, html
    return found.group(1).strip()


# ---------------------------------------------------------------- the rule


A_COORDINATOR = Scope(everything=False, plans=frozenset({"ke-hoach-a"}), units=frozenset({"so-tttt", "buu-dien"}),
                      province="thu-nghiem")
MINISTRY_COORDINATOR = Scope(everything=False, plans=frozenset({"ke-hoach-bo"}), units=frozenset({"bo-tttt"}))


def build_of(kind: str, plan: str, scope: str, provinces: tuple[str, ...] | None = ("thu-nghiem",)) -> ReportBuild:
    moment = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    return ReportBuild(id=1, kind=kind, plan=plan, scope=scope, period="2026-W10", occurrence_id=None, title="t",
                       summary=None, files=(), as_of=moment, built_at=moment, provinces=provinces)


@pytest.mark.parametrize(("scope", "build", "seen"), [
    (A_COORDINATOR, build_of("weekly", "ke-hoach-a", "so-tttt"), True),
    (A_COORDINATOR, build_of("monthly", "ke-hoach-bo", "so-tttt"), True),  # its own Sở's form on the ministry's plan
    (A_COORDINATOR, build_of("weekly", "ke-hoach-a", "so-tttt-lg"), False),  # B's unit, even on A's plan
    (A_COORDINATOR, build_of("weekly", "ke-hoach-bo", "so-tttt-lg"), False),
    (A_COORDINATOR, build_of("compliance-monthly", "ke-hoach-a", ""), True),
    (A_COORDINATOR, build_of("compliance-weekly", "ke-hoach-a", ""), True),
    # A's own plan naming B's units too: its report shows B's units, which A's users never see
    (A_COORDINATOR, build_of("compliance-monthly", "ke-hoach-a", "", ("lang-gieng", "thu-nghiem")), False),
    (A_COORDINATOR, build_of("compliance-monthly", "ke-hoach-a", "", None), False),  # provinces not known
    (A_COORDINATOR, build_of("compliance", "ke-hoach-a", ""), False),  # a kind nobody knows
    (A_COORDINATOR, build_of("compliance-monthly", "ke-hoach-bo", ""), False),  # a plan it neither coordinates nor issues
    (A_COORDINATOR, build_of("compliance-monthly", "ke-hoach-a", "so-tttt"), False),  # a plan's report names no unit
    (A_COORDINATOR, build_of("weekly", "ke-hoach-a", ""), False),  # a form names its unit
    (A_COORDINATOR, build_of("yearly", "ke-hoach-a", "so-tttt"), False),  # a kind nobody knows
    (MINISTRY_COORDINATOR, build_of("weekly", "ke-hoach-bo", "so-tttt-lg"), True),  # every Sở's form of its plan
    (MINISTRY_COORDINATOR, build_of("compliance-monthly", "ke-hoach-bo", "", ("lang-gieng", "thu-nghiem")), True),
    (MINISTRY_COORDINATOR, build_of("weekly", "ke-hoach-a", "so-tttt"), False),
    (Scope(everything=True), build_of("weekly", "x", "y"), True),
    (Scope(everything=True), build_of("compliance-monthly", "x", ""), True),
    (Scope(everything=False), build_of("compliance-monthly", "ke-hoach-a", ""), False),
])
def test_it_sees_a_form_through_its_unit_and_a_compliance_report_through_its_plan(scope, build, seen):
    assert visible(scope, build) is seen


def test_every_mail_status_has_its_vietnamese_words():
    assert set(MAIL_LABELS) == set(MAIL_STATUSES)
    assert [MAIL_LABELS[s] for s in MAIL_STATUSES] == [
        "đang chờ gửi", "đang gửi", "đã gửi", "đã ghi vào tệp hộp thư đi (chưa cấu hình email)",
        "gửi không thành công", "không rõ đã gửi chưa", "đã thay bằng bản mới"]


@pytest.mark.parametrize(("period", "shown"), [
    ("2021-W47", "tuần 47/2021"), ("2021-11", "tháng 11/2021"),
    ("2021-11-01/2021-11-30", "01/11/2021 – 30/11/2021"), ("2021-13-01/2021-11-30", "2021-13-01/2021-11-30"),
    ("2021-13", "2021-13"), ("2021-W54", "2021-W54"), ("2021-W01", "tuần 1/2021"), ("quý 4", "quý 4"),
])
def test_a_period_is_written_as_people_write_it(period, shown):
    assert period_label(period) == shown


# ---------------------------------------------------------------- the files


def test_a_coordinator_gets_its_own_files_byte_for_byte_with_inert_headers(site, ledger, tmp_path):
    mine = form(ledger, "ke-hoach-a", "so-tttt")
    report = compliance(ledger, "ke-hoach-a", tmp_path)
    with signed_in(site, "sotttt") as browser:
        replies = {suffix: browser.get(file_url(build, suffix))
                   for build, suffix in ((mine, ".xlsx"), (mine, ".csv"), (mine, ".html"), (report, ".png"))}
    for (suffix, reply), build in zip(replies.items(), (mine, mine, mine, report), strict=True):
        stored = next(f for f in build.files if f.name.endswith(suffix))
        assert reply.status_code == 200, suffix
        assert reply.content == ledger.document_content(stored.sha256) and len(reply.content) == stored.size
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert reply.headers["cache-control"].split(",")[0] == "private"
        assert reply.headers["content-security-policy"].startswith("sandbox;")
        assert "script-src" not in reply.headers["content-security-policy"]
    assert replies[".xlsx"].headers["content-type"] == XLSX
    assert load_workbook(io.BytesIO(replies[".xlsx"].content)).worksheets[0]["A1"].value == "so-tttt 2026-W10"
    assert replies[".xlsx"].headers["content-disposition"].startswith(
        'attachment; filename="bao-cao-tuan-2026-W10-so-tttt.xlsx"')
    assert replies[".csv"].headers["content-type"] == "text/csv; charset=utf-8"
    assert replies[".csv"].headers["content-disposition"].startswith("attachment;")
    assert replies[".html"].headers["content-type"] == "text/html; charset=utf-8"
    assert replies[".html"].headers["content-disposition"].startswith("inline;")
    assert replies[".png"].headers["content-type"] == "image/png"
    assert replies[".png"].headers["content-disposition"].startswith("inline;")
    assert replies[".png"].content.startswith(b"\x89PNG\r\n\x1a\n")


def test_another_provinces_builds_and_files_are_not_found_as_a_missing_one(site, ledger, tmp_path):
    theirs = form(ledger, "ke-hoach-b", "so-tttt-lg")
    their_report = compliance(ledger, "ke-hoach-b", tmp_path)
    on_my_plan = form(ledger, "ke-hoach-a", "so-tttt-lg")  # B's unit, even on A's plan: not A's to see
    mine = form(ledger, "ke-hoach-a", "so-tttt")
    missing = mine.id + 1000
    with signed_in(site, "sotttt") as browser:
        paths = [file_url(theirs, ".xlsx"), file_url(theirs, ".html"), file_url(their_report, ".png"),
                 file_url(on_my_plan, ".csv"), f"/bao-cao-da-lap/{theirs.id}", f"/bao-cao-da-lap/{their_report.id}",
                 f"/bao-cao-da-lap/{missing}", f"/bao-cao-da-lap/{missing}/bao-cao.xlsx",
                 # a name the build does not list, a path, an id that is no number
                 f"/bao-cao-da-lap/{mine.id}/khac.xlsx", f"/bao-cao-da-lap/{mine.id}/..%2F..%2Fetc%2Fpasswd",
                 f"/bao-cao-da-lap/{mine.id}/{theirs.files[0].name}", "/bao-cao-da-lap/abc/x.xlsx",
                 "/bao-cao-da-lap/-1/x.xlsx", "/bao-cao-da-lap/99999999999999999999999/x.xlsx"]
        replies = {path: browser.get(path) for path in paths}
        overview = browser.get("/tong-quan").text
        assert browser.get(file_url(mine, ".xlsx")).status_code == 200
    missing_page = replies[f"/bao-cao-da-lap/{missing}"]
    for path, reply in replies.items():
        assert reply.status_code == 404, path
        assert heading(reply.text) == "Không tìm thấy trang", path
        # the same page as for a build that does not exist, but for the address it repeats
        assert without_address(reply.text) == without_address(missing_page.text), path
        assert reply.headers.get("content-disposition") is None, path
    assert f"/bao-cao-da-lap/{mine.id}/" in overview
    for build in (theirs, their_report, on_my_plan):
        assert f"/bao-cao-da-lap/{build.id}/" not in overview
        assert build.title not in overview


def test_a_viewer_reads_the_files_and_the_admin_sees_both_provinces(site, ledger, tmp_path):
    mine = form(ledger, "ke-hoach-a", "so-tttt")
    theirs = compliance(ledger, "ke-hoach-b", tmp_path)
    with signed_in(site, "xem") as browser:
        assert browser.get(file_url(mine, ".csv")).status_code == 200
        assert browser.get(f"/bao-cao-da-lap/{mine.id}").status_code == 200
        assert browser.get(file_url(theirs, ".png")).status_code == 404
    with signed_in(site, "quan-tri") as browser:
        assert browser.get(file_url(theirs, ".png")).status_code == 200
        overview = browser.get("/tong-quan").text
    assert f"/bao-cao-da-lap/{mine.id}/" in overview and f"/bao-cao-da-lap/{theirs.id}/" in overview


def test_an_account_that_sees_nothing_finds_nothing(site, ledger):
    mine = form(ledger, "ke-hoach-a", "so-tttt")
    with signed_in(site, "bo") as browser:
        assert browser.get(file_url(mine, ".xlsx")).status_code == 404
        assert browser.get(f"/bao-cao-da-lap/{mine.id}").status_code == 404


def test_the_files_need_a_login(site, ledger):
    mine = form(ledger, "ke-hoach-a", "so-tttt")
    with client(site) as browser:
        for path in (file_url(mine, ".xlsx"), f"/bao-cao-da-lap/{mine.id}", "/bao-cao-da-lap/999/x.xlsx"):
            sent = browser.get(path)
            assert sent.status_code == 303 and sent.headers["location"].startswith("/dang-nhap?tiep=/bao-cao-da-lap/")
            assert b"so-tttt" not in sent.content


# ---------------------------------------------------------------- the overview


def test_the_overview_lists_the_newest_builds_with_their_mail_and_the_heat_map(site, ledger, tmp_path):
    older = form(ledger, "ke-hoach-a", "so-tttt", period="2026-W09", now=NOW - dt.timedelta(days=7))
    first = form(ledger, "ke-hoach-a", "so-tttt", now=NOW - dt.timedelta(hours=3))  # rebuilt below, unsent
    report = compliance(ledger, "ke-hoach-a", tmp_path, now=NOW - dt.timedelta(hours=2))
    newer = form(ledger, "ke-hoach-a", "so-tttt", now=NOW - dt.timedelta(hours=1),
                 recipients=(("so-tttt", "so-tttt@example.gov.vn"), ("buu-dien", "buu-dien@example.gov.vn")))
    claimed = ledger.claim_report_mails("w1", now=NOW)
    by_address = {(c.build.id, c.address): c for c in claimed}
    assert ledger.confirm_report_mail(by_address[newer.id, "so-tttt@example.gov.vn"].id, "w1", outcome="sent",
                                      now=NOW)
    assert ledger.confirm_report_mail(by_address[newer.id, "buu-dien@example.gov.vn"].id, "w1", outcome="failed",
                                      error="550 no such user", now=NOW)
    # the report's mail was claimed and never confirmed: unknown after the lease
    ledger.claim_report_mails("w2", now=NOW + dt.timedelta(hours=1))
    with signed_in(site, "sotttt") as browser:
        html = browser.get("/tong-quan").text
        first_page = browser.get(f"/bao-cao-da-lap/{first.id}").text
        heat = browser.get(file_url(report, ".png"))
    start = html.index('<h2 id="bao-cao-da-lap">')
    section = html[start:html.index("<h2>", start)]
    assert "Báo cáo đã lập</h2>" in html
    assert [int(i) for i in re.findall(r'<article class="built[^"]*" id="bao-cao-(\d+)">', section)] == [newer.id, report.id]
    newest = section[:section.index(f'id="bao-cao-{report.id}"')]
    assert newer.title in newest and "tuần 10/2026" in newest and "lập lúc 09:00 10/03/2026" in newest
    assert "12 chỉ tiêu, 2 đơn vị chưa báo cáo" in newest
    for label, suffix in (("Excel", ".xlsx"), ("CSV", ".csv"), ("Trang HTML", ".html")):
        assert f'<a href="{file_url(newer, suffix)}" title="{file_url(newer, suffix).rsplit("/", 1)[1]}">{label}</a>' in newest
    assert ("Sở Thông tin và Truyền thông tỉnh Thử Nghiệm (so-tttt@example.gov.vn): "
            '<span class="status-ok">đã gửi</span> · 10:00 10/03/2026') in newest  # in Vietnam time
    assert '(buu-dien@example.gov.vn): <span class="status-overdue">gửi không thành công</span>' in newest
    assert "550" not in html  # what the mail server said is for the operator, not the page
    compliance_card = section[section.index(f'id="bao-cao-{report.id}"'):]
    assert '<span class="status-late">không rõ đã gửi chưa</span>' in compliance_card
    png = file_url(report, ".png")
    assert f'<a href="{png}" title="{png.rsplit("/", 1)[1]}">Biểu đồ mức độ hoàn thành</a>' in compliance_card
    image = re.search(r'<img src="([^"]+)" alt="([^"]+)"', compliance_card)
    assert image is not None and image.group(1) == file_url(report, ".png")
    assert image.group(2) == ("Biểu đồ mức độ hoàn thành: tỉ lệ hoàn thành đúng hạn theo đơn vị và tháng, kế hoạch 241/KH-UBND, "
                              "tháng 02/2026")
    assert section.count("<img ") == 1
    assert heat.status_code == 200 and heat.headers["content-type"] == "image/png"
    # the first build of this week's form has its page: its mail replaced by the newer build's, and every
    # build of the report, newest first (the week before's too)
    card = first_page[:first_page.index("<table")]
    assert "đã thay bằng bản mới" in card and "tuần 10/2026" in card
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", first_page[first_page.index("<tbody>"):], re.S)
    assert len(rows) == 3
    assert f'href="/bao-cao-da-lap/{newer.id}">tuần 10/2026</a>' in rows[0] and "09:00 10/03/2026" in rows[0]
    assert "(bản đang xem)" in rows[1] and "07:00 10/03/2026" in rows[1]
    assert f'href="/bao-cao-da-lap/{older.id}">tuần 9/2026</a>' in rows[2] and "10:00 03/03/2026" in rows[2]
    assert f'href="{file_url(older, ".xlsx")}"' in rows[2]


def test_one_heat_map_per_plan_the_newest(site, ledger, tmp_path):
    old = compliance(ledger, "ke-hoach-a", tmp_path / "old", now=NOW - dt.timedelta(days=7))
    new = compliance(ledger, "ke-hoach-a", tmp_path / "new")
    with signed_in(site, "quan-tri") as browser:
        html = browser.get("/tong-quan").text
        page = browser.get(f"/bao-cao-da-lap/{new.id}").text
    assert html.count("<img ") == 1 and f'<img src="/bao-cao-da-lap/{new.id}/' in html
    assert f"/bao-cao-da-lap/{old.id}/" not in html
    assert f'href="/bao-cao-da-lap/{old.id}"' in page  # the older one in the history


def test_with_nothing_built_the_overview_says_when_reports_appear(site):
    with signed_in(site, "sotttt") as browser:
        html = browser.get("/tong-quan").text
    assert "Chưa có báo cáo nào được lập." in html
    assert "1 ngày làm việc trước hạn" in html and "lượt chạy hằng tuần và hằng tháng" in html


def test_a_script_in_a_title_or_summary_is_shown_as_text(site, ledger):
    evil = form(ledger, "ke-hoach-a", "so-tttt", title="Biểu mẫu <script>alert(3)</script>",
                summary='<img src=x onerror="alert(4)"> & "trích dẫn"')
    with signed_in(site, "sotttt") as browser:
        pages = [browser.get("/tong-quan").text, browser.get(f"/bao-cao-da-lap/{evil.id}").text]
    for html in pages:
        assert "<script>alert(3)" not in html and "<img src=x" not in html
        assert "Biểu mẫu &lt;script&gt;alert(3)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&#34;alert(4)&#34;&gt; &amp; &#34;trích dẫn&#34;" in pages[0]


def test_a_new_province_coordinator_is_not_crowded_out_by_other_builds(site, ledger):
    """The ledger is asked for the reader's units and plans only: fifty of another province's forms
    built after theirs leave their own on the page."""
    mine = form(ledger, "ke-hoach-a", "so-tttt", now=NOW - dt.timedelta(days=1))
    for n in range(55):
        form(ledger, "ke-hoach-b", f"don-vi-lg-{n}")
    with signed_in(site, "sotttt") as browser:
        html = browser.get("/tong-quan").text
    assert f"/bao-cao-da-lap/{mine.id}/" in html and "don-vi-lg" not in html


def test_a_ministry_coordinator_sees_every_units_form_of_its_plan_and_its_report(ledger):
    """A coordinator bound to no province: the plans it coordinates or issues, every unit's form of them."""
    forms = [form(ledger, "ke-hoach-bo", unit, now=NOW + dt.timedelta(minutes=n))
             for n, unit in enumerate(("so-tttt", "so-tttt-lg"))]
    report = ledger.save_report_build(kind="compliance-monthly", plan="ke-hoach-bo", scope="", period="2026-02",
                                      fingerprint="bo", title="Báo cáo của Bộ", files=[], as_of=NOW,
                                      now=NOW + dt.timedelta(minutes=5))[0]
    form(ledger, "ke-hoach-a", "so-tttt")  # a province's plan
    ledger.save_report_build(kind="compliance-monthly", plan="ke-hoach-a", scope="", period="2026-02", fingerprint="a",
                             title="Báo cáo của tỉnh", files=[], as_of=NOW, now=NOW)
    user = User(id=1, login="bo", display_name=None, role="coordinator", unit_id="bo-tttt", disabled=False,
                created_at=NOW, updated_at=NOW)
    who = Viewer(user=user, scope=MINISTRY_COORDINATOR)
    assert [b.id for b in latest_seen(ledger, who)] == [report.id, forms[1].id, forms[0].id]
