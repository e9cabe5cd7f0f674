"""Fetching feeds from a real loopback server: Vietnamese RSS 2.0 and Atom (accents in NFC and NFD), conditional
GETs, a feed that changes between runs, and what goes wrong: 500, a server that hangs or drips, malformed
XML, a page that is no feed, a 50 MB body and redirect loops (intake/fetch.py's rules)."""

from __future__ import annotations

import datetime as dt
import time
import unicodedata

import pytest
from feed_server import ATOM_TYPE, FeedServer

from commplan.intake.fetch import MB, USER_AGENT, FetchResult, fetch_feed, new_client
from commplan.intake.fetch_all import fetch_all
from commplan.intake.html_text import html_to_text
from commplan.ledger import FeedSourceState, FetchStatus

pytestmark = pytest.mark.server  # a loopback web server

UTC = dt.UTC


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# written as a provincial portal publishes it: the second item typed on a Mac (NFD), the third without a link
RSS = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
<channel>
  <title>Cổng thông tin điện tử tỉnh Thử Nghiệm</title>
  <link>https://thunghiem.gov.vn/</link>
  <description>Tin tức – sự kiện</description>
  <item>
    <title>Hội nghị tuyên truyền chuyển đổi số năm 2025</title>
    <link>https://ThuNghiem.gov.vn/tin-tuc/hoi-nghi-chuyen-doi-so.html?utm_source=rss&amp;id=12</link>
    <description><![CDATA[<p>Sáng 12/3, <b>Sở KH&amp;CN</b> tổ chức hội nghị.</p><script>alert("x")</script><p>Đã có 120 đại biểu.</p>]]></description>
    <pubDate>Wed, 12 Mar 2025 08:30:00 +0700</pubDate>
    <guid isPermaLink="false">tn-2025-0312-1</guid>
  </item>
  <item>
    <title>{nfd("Phổ biến pháp luật về an toàn thông tin mạng")}</title>
    <link>/tin-tuc/pho-bien-phap-luat.html</link>
    <description>{nfd("Tuyên truyền trên hệ thống loa truyền thanh cơ sở")}</description>
  </item>
  <item>
    <title>Thông báo lịch tiếp công dân</title>
    <description>Không có đường dẫn.</description>
  </item>
</channel>
</rss>
"""

ATOM = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Báo Thử Nghiệm điện tử</title>
  <id>tag:baothunghiem.vn,2025:feed</id>
  <updated>2025-03-12T09:00:00+07:00</updated>
  <entry>
    <title type="html">{nfd("Tọa đàm &lt;em&gt;báo chí cách mạng&lt;/em&gt; Việt Nam")}</title>
    <link rel="alternate" href="https://baothunghiem.vn/toa-dam-bao-chi.html#binh-luan"/>
    <id>tag:baothunghiem.vn,2025:1</id>
    <updated>2025-03-12T02:00:00Z</updated>
    <published>2025-03-11T15:00:00+07:00</published>
    <summary type="html">&lt;p&gt;{nfd("Chiều 11/3, Hội Nhà báo tỉnh tổ chức tọa đàm")}&lt;/p&gt;</summary>
  </entry>
  <entry>
    <title>Khóa học kỹ năng số cho cán bộ xã</title>
    <link href="https://baothunghiem.vn/khoa-hoc-ky-nang-so.html"/>
    <id>tag:baothunghiem.vn,2025:2</id>
    <updated>2025-03-10T01:00:00Z</updated>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Học viên: <strong>60</strong> người.</p></div></content>
  </entry>
</feed>
"""

# an unescaped "&" (common in hand-made feeds): the strict parser stops, feedparser's loose one reads on
MALFORMED = """<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Huyện A</title>
<item><title>Tin A & B</title><link>https://huyena.gov.vn/a</link></item>
<item><title>Tin C</title><link>https://huyena.gov.vn/c</link></item></channel></rss>"""
HTML_PAGE = "<!DOCTYPE html><html><head><title>Trang chủ</title></head><body><p>Xin chào</p></body></html>"


def changing_rss(titles: list[str]) -> str:
    items = "".join(f"<item><title>{t}</title><link>https://xa-b.gov.vn/tin/{i}</link></item>" for i, t in enumerate(titles))
    return f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Xã B</title>{items}</channel></rss>'


def state(url: str, etag: str | None = None, last_modified: str | None = None) -> FeedSourceState:
    return FeedSourceState(url=url, etag=etag, last_modified=last_modified,
                           last_checked_at=dt.datetime(2025, 3, 12, tzinfo=UTC), last_ok_at=None,
                           last_status=FetchStatus.OK, last_error=None, failures=0, items_seen=0)


@pytest.fixture
def server():
    with FeedServer() as running:
        yield running


@pytest.fixture
def client():
    with new_client() as opened:
        yield opened


def test_it_reads_a_vietnamese_rss_feed_into_nfc_items(server, client):
    server.feed("/rss.xml", RSS, etag='"v1"')
    result = fetch_feed(server.url("/rss.xml"), client=client)
    assert result.status is FetchStatus.OK and result.http_status == 200 and result.etag == '"v1"'
    assert result.skipped == 1 and result.warning is None and result.error is None
    first, second = result.items
    assert first.title == "Hội nghị tuyên truyền chuyển đổi số năm 2025"
    assert first.summary == "Sáng 12/3, Sở KH&CN tổ chức hội nghị. Đã có 120 đại biểu."  # no tags, no script
    assert first.link == "https://thunghiem.gov.vn/tin-tuc/hoi-nghi-chuyen-doi-so.html?id=12"  # normalise_link
    assert first.published == dt.datetime(2025, 3, 12, 1, 30, tzinfo=UTC) and first.guid == "tn-2025-0312-1"
    assert first.feed_url == server.url("/rss.xml")
    # typed in NFD, read in NFC: equal to the same words typed on Windows
    assert second.title == nfc("Phổ biến pháp luật về an toàn thông tin mạng") != nfd(second.title)
    assert second.summary == nfc("Tuyên truyền trên hệ thống loa truyền thanh cơ sở")
    assert second.link == server.url("/tin-tuc/pho-bien-phap-luat.html")  # relative: against where it was read
    assert second.published is None and second.guid is None  # neither date nor <guid> given
    assert all(unicodedata.is_normalized("NFC", i.title + i.summary) for i in result.items)
    assert server.requests[0]["user-agent"] == USER_AGENT and USER_AGENT.startswith("commplan/")


def test_it_reads_an_atom_feed(server, client):
    server.feed("/atom.xml", ATOM, content_type=ATOM_TYPE)
    result = fetch_feed(server.url("/atom.xml"), client=client)
    assert result.status is FetchStatus.OK
    talk, course = result.items
    assert talk.title == "Tọa đàm báo chí cách mạng Việt Nam"  # type="html": the <em> is gone
    assert talk.summary == "Chiều 11/3, Hội Nhà báo tỉnh tổ chức tọa đàm"
    assert unicodedata.is_normalized("NFC", talk.title + talk.summary)
    assert talk.link == "https://baothunghiem.vn/toa-dam-bao-chi.html"  # the fragment dropped
    assert talk.published == dt.datetime(2025, 3, 11, 8, 0, tzinfo=UTC) and talk.guid == "tag:baothunghiem.vn,2025:1"
    # no <published>: the <updated> date; no <summary>: the <content>'s text
    assert course.published == dt.datetime(2025, 3, 10, 1, 0, tzinfo=UTC)
    assert course.summary == "Học viên: 60 người." and course.title == "Khóa học kỹ năng số cho cán bộ xã"


def test_a_conditional_get_is_answered_304_by_etag_and_by_last_modified(server, client):
    stamp = "Wed, 12 Mar 2025 02:00:00 GMT"
    server.feed("/etag.xml", RSS, etag='W/"abc"')
    server.feed("/modified.xml", ATOM, content_type=ATOM_TYPE, last_modified=stamp)
    first = fetch_feed(server.url("/etag.xml"), client=client)
    again = fetch_feed(server.url("/etag.xml"), state(server.url("/etag.xml"), etag=first.etag), client=client)
    assert again.status is FetchStatus.NOT_MODIFIED and again.items == () and again.etag == 'W/"abc"'
    assert [r["if-none-match"] for r in server.requests_to("/etag.xml")] == [None, 'W/"abc"']  # sent back verbatim
    first = fetch_feed(server.url("/modified.xml"), client=client)
    assert first.last_modified == stamp and first.etag is None
    again = fetch_feed(server.url("/modified.xml"), state(server.url("/modified.xml"), last_modified=stamp),
                       client=client)
    assert again.status is FetchStatus.NOT_MODIFIED and again.last_modified == stamp
    assert [r["if-modified-since"] for r in server.requests_to("/modified.xml")] == [None, stamp]


def test_a_feed_that_changes_between_runs_is_read_again(server, client):
    url = server.url("/xa-b.xml")
    server.feed("/xa-b.xml", changing_rss(["Tin một", "Tin hai"]), etag='"1"')
    first = fetch_all([url], client=client)[url]
    unchanged = fetch_all([url], {url: state(url, etag=first.etag)}, client=client)[url]
    server.feed("/xa-b.xml", changing_rss(["Tin một", "Tin hai", "Tin ba"]), etag='"2"')  # the site publishes
    changed = fetch_all([url], {url: state(url, etag=first.etag)}, client=client)[url]
    assert [i.title for i in first.items] == ["Tin một", "Tin hai"]
    assert unchanged.status is FetchStatus.NOT_MODIFIED
    assert changed.status is FetchStatus.OK and changed.etag == '"2"'
    assert [i.title for i in changed.items] == ["Tin một", "Tin hai", "Tin ba"]


def test_a_server_error_is_a_transient_failure_retried_once(server, client):
    server.status("/500.xml", 500)
    result = fetch_all([server.url("/500.xml")], client=client, retry_delay=0)[server.url("/500.xml")]
    assert result.status is FetchStatus.FAILED and result.transient and result.http_status == 500
    assert result.reason == "máy chủ nguồn tin trả lời lỗi (HTTP 500)" and result.detail == "HTTP 500 Internal Server Error"
    assert result.attempts == 2 and len(server.requests_to("/500.xml")) == 2
    assert result.error == "máy chủ nguồn tin trả lời lỗi (HTTP 500) (HTTP 500 Internal Server Error)"


def test_a_missing_feed_is_not_retried(server, client):
    result = fetch_all([server.url("/gone.xml")], client=client, retry_delay=0)[server.url("/gone.xml")]
    assert result.status is FetchStatus.FAILED and not result.transient and result.http_status == 404
    assert result.attempts == 1 and len(server.requests_to("/gone.xml")) == 1


def test_a_server_that_hangs_times_out(server, client):
    server.sleep("/slow.xml", 30, RSS.encode())
    result = fetch_feed(server.url("/slow.xml"), client=client, timeout=0.3)
    assert result.status is FetchStatus.FAILED and result.transient
    assert result.reason == "nguồn tin không trả lời trong 0,3 giây" and str(result.detail).startswith("ReadTimeout")


def test_a_server_that_drips_its_body_times_out_on_the_whole_fetch(server, client):
    server.drip("/drip.xml", every=0.05)
    result = fetch_feed(server.url("/drip.xml"), client=client, timeout=0.5)
    assert result.status is FetchStatus.FAILED and result.transient
    assert result.reason == "nguồn tin không trả lời trong 0,5 giây"
    assert result.detail == "the whole fetch took longer than the timeout"  # each byte came well within the timeout


def test_a_refused_connection_fails_clearly(client):
    with FeedServer() as closed:
        url = closed.url("/rss.xml")
    result = fetch_feed(url, client=client)
    assert result.status is FetchStatus.FAILED and result.transient
    assert result.reason == "không kết nối được với máy chủ nguồn tin" and str(result.detail).startswith("ConnectError")


def test_items_are_read_from_malformed_xml_when_feedparser_recovers_them(server, client):
    server.feed("/malformed.xml", MALFORMED)
    result = fetch_feed(server.url("/malformed.xml"), client=client)
    assert result.status is FetchStatus.OK and [i.title for i in result.items] == ["Tin A & B", "Tin C"]
    assert result.warning is not None and result.warning.startswith("SAXParseException")


@pytest.mark.parametrize(("body", "content_type", "detail"), [
    (HTML_PAGE, "text/html; charset=utf-8", "NonXMLContentType"),  # a portal's home page
    ('<?xml version="1.0"?><rss version="2.0"><channel><title>Cắt ngang</tit', "application/rss+xml", "SAXParseException"),
    ("\x00\x01 không phải XML <<<", "application/xml", "SAXParseException"),
    ("", "application/rss+xml", "application/rss+xml, 0 bytes"),
])
def test_a_body_that_is_not_a_feed_is_a_failure(server, client, body, content_type, detail):
    server.feed("/not-a-feed", body, content_type=content_type)
    result = fetch_feed(server.url("/not-a-feed"), client=client)
    assert result.status is FetchStatus.FAILED and not result.transient and result.items == ()
    assert result.reason == "địa chỉ không trả về nguồn tin RSS hoặc Atom đọc được"
    assert result.detail is not None and result.detail.startswith(detail)


@pytest.mark.parametrize("declared", [False, True], ids=["streamed", "content-length"])
def test_a_50_mb_body_fails_at_the_cap_without_being_read_whole(server, client, declared):
    server.endless("/huge.xml", 50 * MB, declared=declared)
    result = fetch_feed(server.url("/huge.xml"), client=client)
    assert result.status is FetchStatus.FAILED and not result.transient
    assert result.reason == "nguồn tin lớn hơn 5 MB (giới hạn cho phép)"
    assert result.detail == ("Content-Length: 52428800" if declared else f"more than {5 * MB} bytes read")
    # the server stops once the client hangs up: what it wrote is the cap and the sockets' buffers, not 50 MB
    assert settled(server, "/huge.xml") < 20 * MB


def settled(server: FeedServer, path: str) -> int:
    """What the server wrote to `path` once its writing stopped (its thread ends after the client returns)."""
    previous = -1
    for _round in range(50):
        current = server.sent[path]
        if current == previous:
            return current
        previous = current
        time.sleep(0.1)
    raise AssertionError(f"the server is still writing {path}: {previous} bytes")


def test_a_redirect_is_followed_and_a_loop_fails(server, client):
    server.feed("/rss.xml", RSS)
    server.redirect("/moved.xml", "/rss.xml", code=301)
    server.redirect("/a.xml", "/b.xml")
    server.redirect("/b.xml", server.url("/a.xml"))
    moved = fetch_feed(server.url("/moved.xml"), client=client)
    assert moved.status is FetchStatus.OK and moved.final_url == server.url("/rss.xml") and len(moved.items) == 2
    loop = fetch_feed(server.url("/a.xml"), client=client)
    assert loop.status is FetchStatus.FAILED and not loop.transient
    assert loop.reason == "địa chỉ nguồn tin chuyển hướng vòng quanh" and loop.detail == f"302 → {server.url('/a.xml')}"
    assert len(server.requests_to("/a.xml")) == 1 and len(server.requests_to("/b.xml")) == 1


def test_too_many_redirects_fail(server, client):
    for hop in range(10):
        server.redirect(f"/hop/{hop}", f"/hop/{hop + 1}")
    result = fetch_feed(server.url("/hop/0"), client=client, max_redirects=3)
    assert result.status is FetchStatus.FAILED and not result.transient
    assert result.reason == "địa chỉ nguồn tin chuyển hướng quá 3 lần"
    assert [r["path"] for r in server.requests] == ["/hop/0", "/hop/1", "/hop/2", "/hop/3"]


def test_one_failing_feed_never_blocks_the_others(server):
    server.feed("/rss.xml", RSS, etag='"v1"')
    server.feed("/atom.xml", ATOM, content_type=ATOM_TYPE)
    server.sleep("/slow.xml", 30, RSS.encode())
    server.status("/500.xml", 503)
    urls = [server.url(p) for p in ("/slow.xml", "/rss.xml", "/500.xml", "/atom.xml")] + ["ftp://thunghiem.gov.vn/rss"]
    results = fetch_all(urls + [urls[1]], workers=2, timeout=0.5, retry_delay=0)  # its own client
    assert list(results) == urls  # in the order given, each once
    assert [r.status for r in results.values()] == [FetchStatus.FAILED, FetchStatus.OK, FetchStatus.FAILED,
                                                    FetchStatus.OK, FetchStatus.FAILED]
    assert [len(r.items) for r in results.values()] == [0, 2, 0, 2, 0]
    assert results[urls[4]].reason == "địa chỉ nguồn tin không phải địa chỉ http hoặc https"


def test_html_summaries_become_text():
    assert html_to_text("<p>Tin &amp; bài<br>mới</p><style>p{}</style><!-- ghi chú -->") == "Tin & bài mới"
    assert html_to_text('<a href="x?a=1&b=<2>">Đường dẫn</a> 5 < 6') == "Đường dẫn 5 < 6"


def test_a_failure_keeps_the_validators_it_was_given(client):
    with FeedServer() as closed:
        url = closed.url("/rss.xml")
    result: FetchResult = fetch_feed(url, state(url, etag='"v1"', last_modified="x"), client=client)
    assert (result.etag, result.last_modified) == ('"v1"', "x")
