"""Where a feed's `section` and an obligation's `url_prefix` end (intake.matching): the path on a segment
boundary, the host compared exactly (case, the default port, the scheme and "www." aside)."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import UNITS_YAML, plan_yaml

from commplan.intake.items import FeedItem, normalise_link
from commplan.intake.matching import credits, under
from commplan.plan import load_catalog

PORTAL, POST = "https://tinh.example.vn/rss", "https://buudien.example.vn/rss"
UNITS = UNITS_YAML.replace(
    "    name: Bưu điện tỉnh Thử Nghiệm\n",
    "    name: Bưu điện tỉnh Thử Nghiệm\n    short: Bưu điện tỉnh\n"
    f"    feeds: [{{url: \"{POST}\", section: /tin-tuc}}]\n",
).replace("    name: UBND tỉnh Thử Nghiệm\n", f"    name: UBND tỉnh Thử Nghiệm\n    feeds: [\"{PORTAL}\"]\n")
OBLIGATIONS = """
- id: tin-rieng
  title: Tin trên trang riêng
  lead: buu-dien
  every: month
  match: [dịch vụ công]
- id: tin-muc
  title: Tin trong một mục của cổng tỉnh
  lead: buu-dien
  every: month
  match: {keywords: [bưu chính công ích], watch: [ubnd-tinh], url_prefix: "https://tinh.example.vn/buu-chinh"}
"""


@pytest.fixture
def catalog(tmp_path):
    (tmp_path / "units.yaml").write_text(UNITS, encoding="utf-8")
    (tmp_path / "plan.yaml").write_text(plan_yaml(OBLIGATIONS), encoding="utf-8")
    found, _ = load_catalog([tmp_path], strict=True)
    return found


def item(feed: str, title: str, link: str) -> FeedItem:
    return FeedItem(feed_url=feed, link=normalise_link(link), title=title, summary="",
                    published=dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC))


@pytest.mark.parametrize(
    ("link", "inside"),
    [
        ("https://tinh.example.vn/buu-chinh", True),
        ("https://tinh.example.vn/buu-chinh/a.html", True),
        ("HTTPS://TINH.Example.VN:443/buu-chinh/a.html", True),  # case of the site, the default port
        ("https://tinh.example.vn/buu-chinh-khac/a.html", False),  # no segment boundary
        ("https://tinh.example.vn.evil.example/buu-chinh/a.html", False),  # another host that starts alike
        ("https://tinh.example.vn:8443/buu-chinh/a.html", False),  # another port
        ("http://tinh.example.vn/buu-chinh/a.html", True),  # the other scheme: a portal answers both
        ("https://other.example.vn/buu-chinh/a.html", False),
        ("https://tinh.example.vn/Buu-Chinh/a.html", False),  # paths are case-sensitive
    ],
)
def test_a_url_prefix_holds_its_site_and_whole_path_segments(link, inside):
    assert under(normalise_link(link), normalise_link("https://tinh.example.vn/buu-chinh")) is inside
    assert under(normalise_link(link), normalise_link("https://tinh.example.vn/buu-chinh/")) is inside


def test_a_url_prefix_of_a_whole_site_holds_only_that_site():
    assert under("https://tinh.example.vn/a.html", "https://tinh.example.vn")
    assert not under("https://tinh.example.vn.evil.example/a.html", "https://tinh.example.vn")


def test_an_obligations_url_prefix_stops_at_a_segment_boundary(catalog):
    title = "Bưu điện tỉnh: bưu chính công ích"
    inside = item(PORTAL, title, "https://tinh.example.vn/buu-chinh/a.html")
    beside = item(PORTAL, title, "https://tinh.example.vn/buu-chinh-khac/a.html")
    assert [c.obligation_id for c in credits(inside, "ubnd-tinh", catalog)] == ["tin-muc"]
    assert credits(beside, "ubnd-tinh", catalog) == []


def test_a_section_stops_at_a_segment_boundary_and_stays_on_the_feeds_site(catalog):
    title = "Dịch vụ công trực tuyến tại bưu cục"
    inside = item(POST, title, "https://buudien.example.vn/tin-tuc/a.html")
    beside = item(POST, title, "https://buudien.example.vn/tin-tuc-khac/a.html")
    elsewhere = item(POST, title, "https://other.example.vn/tin-tuc/a.html")
    www = item(POST, title, "HTTP://WWW.buudien.example.vn/tin-tuc/a.html")  # the same site, as portals answer both
    assert [c.obligation_id for c in credits(inside, "buu-dien", catalog)] == ["tin-rieng"]
    assert [c.obligation_id for c in credits(www, "buu-dien", catalog)] == ["tin-rieng"]
    assert credits(beside, "buu-dien", catalog) == []
    assert credits(elsewhere, "buu-dien", catalog) == []


@pytest.mark.parametrize("link", ["http://tinh.example.vn/buu-chinh/a.html", "https://www.tinh.example.vn/buu-chinh/a.html"])
def test_a_url_prefix_holds_its_site_with_or_without_www_and_either_scheme_as_a_section_does(link):
    """A portal answers http and https, with and without www.; its feed may list either while the plan's author
    copied the other from the browser: every article would then be missed, silently."""
    assert under(normalise_link(link), normalise_link("https://tinh.example.vn/buu-chinh"))
