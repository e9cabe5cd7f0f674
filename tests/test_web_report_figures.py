"""The figures form on the report page, /bao-cao/{token}, through the real app on SQLite and PostgreSQL: the
indicators the token's unit reports for the occurrence's week, prefilled with the figures in force; a
submit recorded from the web as `link:UNIT`, a correction as the next version; a bad value records
nothing; and the attacks (CSRF, another unit's token, <script> in an indicator's name and in a note)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from test_calendar_feeds import SECRET

from commplan.figures import parse_period
from commplan.ledger import Ledger
from commplan.links import report_token
from commplan.plan import load_catalog
from commplan.settings import Settings
from commplan.web.app import create_app

VN = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=VN)  # Tuesday of week 2026-W11 (09–15/03), due Thursday 12/03
PLAN = "ke-hoach-thu"
WEEK = parse_period("2026-W11")
OBLIGATIONS = """
- id: bao-cao-tuan
  title: Báo cáo tuần
  kind: report
  evidence: document
  lead: [buu-dien, viettel-post]
  every: week
  from: 2026-01-05
  until: 2026-06-28
  due: {weekday: thu, time: "14:00"}
  indicators: [ho-dao-tao, san-luong, chi-thang, cua-viettel]
"""
INDICATORS = """
- id: ho-dao-tao
  name: "Số hộ được đào tạo <script>alert(1)</script>"
  measure: Hộ
  reported_by: [buu-dien, viettel-post]
  report: [weekly, monthly]
- id: san-luong
  name: Sản lượng tiêu thụ qua sàn
  measure: Tấn
  reported_by: [buu-dien]
  report: [weekly]
- id: chi-thang
  name: Chỉ báo cáo tháng
  reported_by: [buu-dien]
  report: [monthly]
- id: cua-viettel
  name: Đơn hàng của Viettel Post
  reported_by: [viettel-post]
  report: [weekly]
"""
SCRIPT_NAME = "Số hộ được đào tạo &lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def site(ledger_url, ledger, write_plan, tmp_path):
    write_plan(OBLIGATIONS, indicators=INDICATORS)
    catalog, _problems = load_catalog([tmp_path], strict=True)
    ledger.sync(catalog, now=NOW)
    return Site(ledger_url, ledger, tmp_path)


class Site:
    def __init__(self, url: str, ledger: Ledger, folder):
        self.url, self.ledger, self.folder = url, ledger, folder

    def client(self, now: dt.datetime = NOW) -> TestClient:
        app = create_app(Settings(database_url=self.url, link_secret=SECRET, public_url="http://127.0.0.1:8000"),
                         plans=[self.folder], clock=lambda: now)
        return TestClient(app, raise_server_exceptions=False, follow_redirects=False)

    def occurrence(self, unit: str) -> int:
        day = NOW.date()
        found = [s.id for s in self.ledger.statuses(as_of=NOW, units=[unit], include_scheduled=True)
                 if s.obligation == "bao-cao-tuan" and s.window_start <= day <= s.window_end and s.unit == unit]
        assert len(found) == 1, found
        return found[0]

    def figures(self, unit: str | None = None):
        return [(f.indicator, f.unit, f.period.label, f.value, f.version, f.source, f.recorded_by, f.note)
                for f in self.ledger.figures(PLAN, until=NOW + dt.timedelta(days=1))
                if unit is None or f.unit == unit]


def link(occurrence: int, unit: str) -> str:
    return f"/bao-cao/{report_token(SECRET, occurrence, unit, issued=NOW)}"


def csrf(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found, "no form on the page"
    return found.group(1)


def send(client: TestClient, path: str, **fields: str):
    return client.post(f"{path}/so-lieu", data={"csrf_token": csrf(client, path), **fields})


def fields_of(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input id="so-lieu-[^"]+" name="(so-lieu-[^"]+)" type="text" inputmode="decimal" '
                           r'maxlength="40" value="([^"]*)">', page))


def test_the_form_lists_the_units_weekly_indicators_prefilled_with_the_figures_in_force(site):
    site.ledger.record_figure(PLAN, "san-luong", "buu-dien", WEEK, Decimal("1234.5"), now=NOW)
    site.ledger.record_figure(PLAN, "san-luong", "buu-dien", WEEK.previous(), Decimal(7), now=NOW)  # another week
    with site.client() as client:
        post = client.get(link(site.occurrence("buu-dien"), "buu-dien")).text
        viettel = client.get(link(site.occurrence("viettel-post"), "viettel-post")).text
    assert "<h2>Số liệu tuần 2026-W11 (09/03/2026 – 15/03/2026)</h2>" in post
    # its own weekly indicators, in the obligation's order; the monthly one and Viettel's left out
    assert fields_of(post) == {"so-lieu-ho-dao-tao": "", "so-lieu-san-luong": "1234,5"}
    assert fields_of(viettel) == {"so-lieu-ho-dao-tao": "", "so-lieu-cua-viettel": ""}
    assert 'name="ghi-chu-so-lieu"' in post and 'action="/bao-cao/' in post and "/so-lieu\"" in post
    assert "Sản lượng tiêu thụ qua sàn <span class=\"muted\">(Tấn)</span>" in post


def test_a_submit_records_from_the_web_as_the_links_unit_and_a_correction_is_the_next_version(site):
    path = link(site.occurrence("buu-dien"), "buu-dien")
    with site.client() as client:
        sent = send(client, path, **{"so-lieu-ho-dao-tao": "1.234", "so-lieu-san-luong": "12,5",
                                     "ghi-chu-so-lieu": "Số liệu tuần 11"})
        assert sent.status_code == 422  # 1.234 is ambiguous: nothing recorded, the form kept
        assert "Số hộ được đào tạo &lt;script&gt;" in sent.text and "1234" in sent.text
        assert 'value="12,5"' in sent.text and "Số liệu tuần 11</textarea>" in sent.text
        assert site.figures() == []

        sent = send(client, path, **{"so-lieu-ho-dao-tao": "1.234,0", "so-lieu-san-luong": "12,5",
                                     "ghi-chu-so-lieu": "Số liệu tuần 11"})
        assert sent.status_code == 303 and sent.headers["location"] == f"{path}?so-lieu=2#so-lieu"
        page = client.get(sent.headers["location"]).text
        assert "Đã ghi nhận 2 số liệu" in page
        # prefilled without a thousands separator: sent back unchanged, it reads again
        assert fields_of(page) == {"so-lieu-ho-dao-tao": "1234", "so-lieu-san-luong": "12,5"}
        # the form sent back with one figure changed: only that one is written, as a correction
        corrected = send(client, path, **{**fields_of(page), "so-lieu-san-luong": "13"})
        assert corrected.headers["location"] == f"{path}?so-lieu=1#so-lieu"
        assert "Đã ghi nhận 1 số liệu" in client.get(corrected.headers["location"]).text
    assert sorted(site.figures()) == [
        ("ho-dao-tao", "buu-dien", "2026-W11", Decimal(1234), 1, "web", "link:buu-dien", "Số liệu tuần 11"),
        ("san-luong", "buu-dien", "2026-W11", Decimal(13), 2, "web", "link:buu-dien", None)]
    history = site.ledger.figure_history(PLAN, "san-luong", "buu-dien", WEEK)
    assert [(h.value, h.version) for h in history] == [(Decimal("12.5"), 1), (Decimal(13), 2)]


@pytest.mark.parametrize(("typed", "message"), [
    ("mười hai", "không phải là số"),
    ("-5", "số liệu không được âm"),
    ("9" * 30, "quá lớn"),  # read, then refused by the ledger: the transaction writes nothing
    ("9" * 50, "quá dài"),
])
def test_a_bad_value_records_nothing_and_names_its_indicator(site, typed, message):
    path = link(site.occurrence("buu-dien"), "buu-dien")
    with site.client() as client:
        sent = send(client, path, **{"so-lieu-ho-dao-tao": "5", "so-lieu-san-luong": typed})
    assert sent.status_code == 422
    alert = re.search(r'<p class="notice notice-error" role="alert">([^<]*)</p>', sent.text)
    assert alert and alert.group(1).startswith("Sản lượng tiêu thụ qua sàn: ") and message in alert.group(1)
    assert fields_of(sent.text)["so-lieu-ho-dao-tao"] == "5"  # the form as typed
    assert site.figures() == []


def test_without_the_sessions_csrf_token_nothing_is_recorded(site):
    path = link(site.occurrence("buu-dien"), "buu-dien")
    with site.client() as client:
        client.get(path)
        refused = client.post(f"{path}/so-lieu", data={"csrf_token": "forged", "so-lieu-san-luong": "5"})
        missing = client.post(f"{path}/so-lieu", data={"so-lieu-san-luong": "5"})
    assert refused.status_code == 403 and missing.status_code == 403
    assert site.figures() == []


def test_the_token_decides_the_unit_whatever_the_form_names(site):
    """Viettel Post's link cannot write Bưu điện's figures: fields of Bưu điện's own indicator are ignored,
    a unit field is ignored, and what is recorded is Viettel Post's; a Viettel token for Bưu điện's
    occurrence is not a page at all."""
    viettel = link(site.occurrence("viettel-post"), "viettel-post")
    with site.client() as client:
        sent = send(client, viettel, **{"so-lieu-ho-dao-tao": "3", "so-lieu-san-luong": "99",
                                        "unit": "buu-dien", "unit_id": "buu-dien"})
        assert sent.status_code == 303
        crossed = f"/bao-cao/{report_token(SECRET, site.occurrence('buu-dien'), 'viettel-post', issued=NOW)}"
        assert client.post(f"{crossed}/so-lieu", data={"csrf_token": csrf(client, viettel),
                                                       "so-lieu-san-luong": "99"}).status_code == 404
    assert site.figures() == [
        ("ho-dao-tao", "viettel-post", "2026-W11", Decimal(3), 1, "web", "link:viettel-post", None)]
    assert site.figures("buu-dien") == []


def test_names_and_notes_are_escaped(site):
    path = link(site.occurrence("buu-dien"), "buu-dien")
    with site.client() as client:
        sent = send(client, path, **{"so-lieu-ho-dao-tao": "x", "ghi-chu-so-lieu": "<script>alert(4)</script>"})
        assert sent.status_code == 422
        page = client.get(path).text
    for text in (sent.text, page):
        assert "<script" not in text
    assert SCRIPT_NAME in page and "&lt;script&gt;alert(4)&lt;/script&gt;</textarea>" in sent.text


def test_a_page_settled_more_than_30_days_ago_shows_the_figures_without_a_form(site):
    occurrence = site.occurrence("buu-dien")
    path = link(occurrence, "buu-dien")
    site.ledger.record_figure(PLAN, "san-luong", "buu-dien", WEEK, Decimal("1234.5"), now=NOW)
    site.ledger.excuse(occurrence, "Nghỉ lễ", now=NOW)
    later = NOW + dt.timedelta(days=40)
    with site.client(now=later) as client:
        page = client.get(path).text
        assert "Số liệu tuần 2026-W11" in page and '/so-lieu"' not in page and fields_of(page) == {}
        assert '<td class="number">1.234,5</td>' in page and '<td class="number">—</td>' in page
        token = csrf(client, link(site.occurrence("viettel-post"), "viettel-post"))  # this session's, from an open page
        refused = client.post(f"{path}/so-lieu", data={"csrf_token": token, "so-lieu-san-luong": "9"})
    assert refused.status_code == 409
    assert [f[3] for f in site.figures()] == [Decimal("1234.5")]
