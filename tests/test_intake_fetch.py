"""Fetching feeds from a real loopback server: Vietnamese RSS 2.0 and Atom (accents in NFC and NFD), conditional
GETs, a feed that changes between runs, and what goes wrong: 500, a server that hangs or drips, malformed
XML, a page that is no feed, a 50 MB body, gzip bombs, redirect loops and internal addresses (intake/fetch.py's
and intake/address_guard.py's rules)."""

from __future__ import annotations

import datetime as dt
import gzip
import socket
import time
import tracemalloc
import unicodedata
import zlib
from ipaddress import ip_address

import httpx
import pytest
from feed_server import ATOM_TYPE, FeedServer

from commplan.intake.address_guard import refusal
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
    result = fetch_feed(server.url("/rss.xml"), client=client, allow_private_hosts=True)
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
    result = fetch_feed(server.url("/atom.xml"), client=client, allow_private_hosts=True)
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
    first = fetch_feed(server.url("/etag.xml"), client=client, allow_private_hosts=True)
    again = fetch_feed(server.url("/etag.xml"), state(server.url("/etag.xml"), etag=first.etag), client=client, allow_private_hosts=True)
    assert again.status is FetchStatus.NOT_MODIFIED and again.items == () and again.etag == 'W/"abc"'
    assert [r["if-none-match"] for r in server.requests_to("/etag.xml")] == [None, 'W/"abc"']  # sent back verbatim
    first = fetch_feed(server.url("/modified.xml"), client=client, allow_private_hosts=True)
    assert first.last_modified == stamp and first.etag is None
    again = fetch_feed(server.url("/modified.xml"), state(server.url("/modified.xml"), last_modified=stamp),
                       client=client, allow_private_hosts=True)
    assert again.status is FetchStatus.NOT_MODIFIED and again.last_modified == stamp
    assert [r["if-modified-since"] for r in server.requests_to("/modified.xml")] == [None, stamp]


def test_a_feed_that_changes_between_runs_is_read_again(server, client):
    url = server.url("/xa-b.xml")
    server.feed("/xa-b.xml", changing_rss(["Tin một", "Tin hai"]), etag='"1"')
    first = fetch_all([url], client=client, allow_private_hosts=True)[url]
    unchanged = fetch_all([url], {url: state(url, etag=first.etag)}, client=client, allow_private_hosts=True)[url]
    server.feed("/xa-b.xml", changing_rss(["Tin một", "Tin hai", "Tin ba"]), etag='"2"')  # the site publishes
    changed = fetch_all([url], {url: state(url, etag=first.etag)}, client=client, allow_private_hosts=True)[url]
    assert [i.title for i in first.items] == ["Tin một", "Tin hai"]
    assert unchanged.status is FetchStatus.NOT_MODIFIED
    assert changed.status is FetchStatus.OK and changed.etag == '"2"'
    assert [i.title for i in changed.items] == ["Tin một", "Tin hai", "Tin ba"]


def test_a_server_error_is_a_transient_failure_retried_once(server, client):
    server.status("/500.xml", 500)
    result = fetch_all([server.url("/500.xml")], client=client, allow_private_hosts=True, retry_delay=0)[server.url("/500.xml")]
    assert result.status is FetchStatus.FAILED and result.transient and result.http_status == 500
    assert result.reason == "máy chủ nguồn tin trả lời lỗi (HTTP 500)" and result.detail == "HTTP 500"
    assert result.attempts == 2 and len(server.requests_to("/500.xml")) == 2
    assert result.error == "máy chủ nguồn tin trả lời lỗi (HTTP 500) (HTTP 500)"


def test_a_missing_feed_is_not_retried(server, client):
    result = fetch_all([server.url("/gone.xml")], client=client, allow_private_hosts=True, retry_delay=0)[server.url("/gone.xml")]
    assert result.status is FetchStatus.FAILED and not result.transient and result.http_status == 404
    assert result.attempts == 1 and len(server.requests_to("/gone.xml")) == 1


def test_a_server_that_hangs_times_out(server, client):
    server.sleep("/slow.xml", 30, RSS.encode())
    result = fetch_feed(server.url("/slow.xml"), client=client, allow_private_hosts=True, timeout=0.3)
    assert result.status is FetchStatus.FAILED and result.transient
    assert result.reason == "nguồn tin không trả lời trong 0,3 giây" and result.detail == "máy chủ ngừng gửi dữ liệu quá thời gian cho phép"


def test_a_server_that_drips_its_body_times_out_on_the_whole_fetch(server, client):
    server.drip("/drip.xml", every=0.05)
    result = fetch_feed(server.url("/drip.xml"), client=client, allow_private_hosts=True, timeout=0.5)
    assert result.status is FetchStatus.FAILED and result.transient
    assert result.reason == "nguồn tin không trả lời trong 0,5 giây"
    assert result.detail == "cả lần tải kéo dài quá thời gian cho phép"  # each byte came well within the timeout


def test_a_server_that_never_accepts_times_out_on_connect(client):
    """A listening socket whose queue is full: Linux drops the SYN, so the connection never completes."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = [socket.socket() for _n in range(3)]
        for filler in fillers:
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
        try:
            result = fetch_feed(f"http://127.0.0.1:{port}/rss.xml", client=client, allow_private_hosts=True, timeout=0.3)
        finally:
            for filler in fillers:
                filler.close()
    assert result.status is FetchStatus.FAILED and result.transient
    assert result.reason == "nguồn tin không trả lời trong 0,3 giây" and result.detail == "không kết nối được trong thời gian cho phép"


def test_a_refused_connection_fails_clearly(client):
    with FeedServer() as closed:
        url = closed.url("/rss.xml")
    result = fetch_feed(url, client=client, allow_private_hosts=True)
    assert result.status is FetchStatus.FAILED and result.transient
    assert result.reason == "không kết nối được với máy chủ nguồn tin" and str(result.detail).startswith("không mở được kết nối")


def test_items_are_read_from_malformed_xml_when_feedparser_recovers_them(server, client):
    server.feed("/malformed.xml", MALFORMED)
    result = fetch_feed(server.url("/malformed.xml"), client=client, allow_private_hosts=True)
    assert result.status is FetchStatus.OK and [i.title for i in result.items] == ["Tin A & B", "Tin C"]
    assert result.warning is not None and result.warning.startswith("XML sai cú pháp (dòng ")


@pytest.mark.parametrize(("body", "content_type", "detail"), [
    (HTML_PAGE, "text/html; charset=utf-8", "máy chủ không trả về XML"),  # a portal's home page
    ('<?xml version="1.0"?><rss version="2.0"><channel><title>Cắt ngang</tit', "application/rss+xml", "XML sai cú pháp (dòng 1, cột "),
    ("\x00\x01 không phải XML <<<", "application/xml", "XML sai cú pháp (dòng "),
    ("", "application/rss+xml", "application/rss+xml, 0 byte"),
])
def test_a_body_that_is_not_a_feed_is_a_failure(server, client, body, content_type, detail):
    server.feed("/not-a-feed", body, content_type=content_type)
    result = fetch_feed(server.url("/not-a-feed"), client=client, allow_private_hosts=True)
    assert result.status is FetchStatus.FAILED and not result.transient and result.items == ()
    assert result.reason == "địa chỉ không trả về nguồn tin RSS hoặc Atom đọc được"
    assert result.detail is not None and result.detail.startswith(detail)


@pytest.mark.parametrize("declared", [False, True], ids=["streamed", "content-length"])
def test_a_50_mb_body_fails_at_the_cap_without_being_read_whole(server, client, declared):
    server.endless("/huge.xml", 50 * MB, declared=declared)
    result = fetch_feed(server.url("/huge.xml"), client=client, allow_private_hosts=True)
    assert result.status is FetchStatus.FAILED and not result.transient
    assert result.reason == "nguồn tin lớn hơn 5 MB (giới hạn cho phép)"
    assert result.detail == ("Content-Length: 52428800" if declared else f"đã đọc quá {5 * MB} byte")
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
    moved = fetch_feed(server.url("/moved.xml"), client=client, allow_private_hosts=True)
    assert moved.status is FetchStatus.OK and moved.final_url == server.url("/rss.xml") and len(moved.items) == 2
    loop = fetch_feed(server.url("/a.xml"), client=client, allow_private_hosts=True)
    assert loop.status is FetchStatus.FAILED and not loop.transient
    assert loop.reason == "địa chỉ nguồn tin chuyển hướng vòng quanh" and loop.detail == f"302 → {server.url('/a.xml')}"
    assert len(server.requests_to("/a.xml")) == 1 and len(server.requests_to("/b.xml")) == 1


def test_too_many_redirects_fail(server, client):
    for hop in range(10):
        server.redirect(f"/hop/{hop}", f"/hop/{hop + 1}")
    result = fetch_feed(server.url("/hop/0"), client=client, allow_private_hosts=True, max_redirects=3)
    assert result.status is FetchStatus.FAILED and not result.transient
    assert result.reason == "địa chỉ nguồn tin chuyển hướng quá 3 lần"
    assert [r["path"] for r in server.requests] == ["/hop/0", "/hop/1", "/hop/2", "/hop/3"]


def test_one_failing_feed_never_blocks_the_others(server):
    server.feed("/rss.xml", RSS, etag='"v1"')
    server.feed("/atom.xml", ATOM, content_type=ATOM_TYPE)
    server.sleep("/slow.xml", 30, RSS.encode())
    server.status("/500.xml", 503)
    urls = [server.url(p) for p in ("/slow.xml", "/rss.xml", "/500.xml", "/atom.xml")] + ["ftp://thunghiem.gov.vn/rss"]
    results = fetch_all(urls + [urls[1]], workers=2, timeout=0.5, retry_delay=0,  # its own client
                        allow_private_hosts=True)
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
    result: FetchResult = fetch_feed(url, state(url, etag='"v1"', last_modified="x"), client=client, allow_private_hosts=True)
    assert (result.etag, result.last_modified) == ('"v1"', "x")


# -- compressed bodies: decompressed here, a bounded piece at a time ---------------------------------------------


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw deflate"])
def test_a_compressed_feed_is_read(server, client, encoding):
    if encoding == "gzip":
        body = gzipped(RSS.encode())
    else:  # a zlib stream, as the standard says, or a raw one, as some servers send
        packer = zlib.compressobj(wbits=zlib.MAX_WBITS if encoding == "deflate" else -zlib.MAX_WBITS)
        body = packer.compress(RSS.encode()) + packer.flush()
    server.feed("/rss.xml", body, encoding=encoding.split()[-1])
    result = fetch_feed(server.url("/rss.xml"), client=client, allow_private_hosts=True)
    assert result.status is FetchStatus.OK and len(result.items) == 2
    assert result.items[0].title == "Hội nghị tuyên truyền chuyển đổi số năm 2025"


def test_a_gzip_bomb_fails_at_the_cap_without_being_inflated(server, client):
    """50 MB of zeros in about 50 KB of gzip: httpx would inflate each 64 KB chunk whole (about 64 MB);
    read here, nothing past the 5 MB cap is ever made."""
    bomb = gzipped(bytes(50 * MB))
    assert len(bomb) < 100_000
    server.feed("/bomb.xml", bomb, encoding="gzip")
    tracemalloc.start()
    try:
        result = fetch_feed(server.url("/bomb.xml"), client=client, allow_private_hosts=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.status is FetchStatus.FAILED and not result.transient
    assert result.reason == "nguồn tin lớn hơn 5 MB (giới hạn cho phép)"
    assert result.detail == f"đã đọc quá {5 * MB} byte"
    assert peak < 20 * MB, f"{peak / MB:.1f} MB allocated"


@pytest.mark.parametrize("encoding", ["gzip, gzip", "br", "compress"])
def test_stacked_or_unknown_encodings_are_refused_before_reading(server, client, encoding):
    """A double gzip (each layer inflating a thousandfold) is refused from its header, as is anything not offered."""
    server.feed("/stacked.xml", gzipped(gzipped(bytes(50 * MB))), encoding=encoding)
    tracemalloc.start()
    try:
        result = fetch_feed(server.url("/stacked.xml"), client=client, allow_private_hosts=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.status is FetchStatus.FAILED and not result.transient
    assert result.reason == f"máy chủ nguồn tin nén nội dung theo cách không được chấp nhận ({encoding})"
    assert result.detail == f"Content-Encoding: {encoding}" and peak < 5 * MB


def test_a_corrupt_gzip_body_fails_clearly(server, client):
    server.feed("/corrupt.xml", b"\x1f\x8b\x08\x00 not gzip at all", encoding="gzip")
    result = fetch_feed(server.url("/corrupt.xml"), client=client, allow_private_hosts=True)
    assert result.status is FetchStatus.FAILED and not result.transient
    assert result.reason == "máy chủ nguồn tin gửi nội dung nén không đọc được"
    assert str(result.detail).startswith("dữ liệu nén bị hỏng ") and str(result.detail).endswith("(Content-Encoding: gzip)")


# -- addresses: public only, checked where the connection is made ------------------------------------------------

INTERNAL = "địa chỉ nguồn tin dẫn đến một địa chỉ nội bộ ({address}): chỉ đọc nguồn tin từ địa chỉ công khai"


def test_a_loopback_feed_is_refused_without_the_setting(server, client):
    server.feed("/rss.xml", RSS)
    result = fetch_feed(server.url("/rss.xml"), client=client)
    assert result.status is FetchStatus.FAILED and not result.transient
    assert result.reason == INTERNAL.format(address="127.0.0.1")
    assert str(result.detail).startswith("127.0.0.1 → 127.0.0.1 (địa chỉ loopback (chính máy này)); đặt COMMPLAN_FEEDS_ALLOW_PRIVATE_HOSTS=true")
    assert server.requests == []  # never connected
    # the same client, allowed, reads it; refused again after (a kept-alive connection is checked again)
    assert fetch_feed(server.url("/rss.xml"), client=client, allow_private_hosts=True).status is FetchStatus.OK
    again = fetch_feed(server.url("/rss.xml"), client=client)
    assert again.reason == INTERNAL.format(address="127.0.0.1") and len(server.requests) == 1


def test_a_public_looking_name_resolving_to_loopback_is_refused(server, client, monkeypatch):
    """The name is checked by what it resolves to at connect time, and that address is the one connected to."""
    port = int(server.url("").rsplit(":", 1)[1])
    real = socket.getaddrinfo
    answers: list[str] = []

    def rebinding(host, *args, **kwargs):  # the portal's DNS, answering as an attacker's would
        if host == "tin.thunghiem.gov.vn":
            answers.append(host)
            return real("127.0.0.1", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    server.feed("/rss.xml", RSS)
    result = fetch_feed(f"http://tin.thunghiem.gov.vn:{port}/rss.xml", client=client)
    assert result.reason == INTERNAL.format(address="127.0.0.1") and server.requests == []
    assert str(result.detail).startswith("tin.thunghiem.gov.vn → 127.0.0.1 (địa chỉ loopback") and answers
    localhost = fetch_feed(f"http://localhost:{port}/rss.xml", client=client)
    assert localhost.status is FetchStatus.FAILED and str(localhost.detail).startswith("localhost → ")
    assert "(địa chỉ loopback" in str(localhost.detail) and server.requests == []
    # allowed: the name is read, connected to the address it resolved to, Host header as written
    allowed = fetch_feed(f"http://tin.thunghiem.gov.vn:{port}/rss.xml", client=client, allow_private_hosts=True)
    assert allowed.status is FetchStatus.OK and allowed.final_url == f"http://tin.thunghiem.gov.vn:{port}/rss.xml"


def test_a_redirect_to_the_metadata_service_is_refused_even_with_the_setting(server, client):
    server.redirect("/rss.xml", "http://169.254.169.254/latest/meta-data/iam/security-credentials/")
    server.redirect("/private.xml", "http://10.1.2.3/rss.xml")
    result = fetch_feed(server.url("/rss.xml"), client=client, allow_private_hosts=True)
    assert result.status is FetchStatus.FAILED and not result.transient
    assert result.reason == INTERNAL.format(address="169.254.169.254")
    assert str(result.detail).startswith("169.254.169.254 → 169.254.169.254 (địa chỉ link-local)")
    assert [r["path"] for r in server.requests] == ["/rss.xml"]
    # a redirect to a private network: refused without the setting, whatever the first hop was
    assert refusal(ip_address("10.1.2.3"), allow_private=False) == "private"


@pytest.mark.parametrize(("address", "kind", "with_setting"), [
    ("127.0.0.1", "loopback", None), ("::1", "loopback", None), ("10.0.0.5", "private", None),
    ("172.16.3.4", "private", None), ("192.168.1.10", "private", None), ("100.64.0.1", "private", None),
    ("fd12:3456::1", "private", None), ("::ffff:192.168.1.10", "private", None),
    ("2002:c0a8:010a::1", "private", None),  # 6to4 around 192.168.1.10
    ("169.254.169.254", "link-local", "link-local"), ("fe80::1", "link-local", "link-local"),
    ("::ffff:169.254.169.254", "link-local", "link-local"),
    ("0.0.0.0", "unspecified", "unspecified"), ("::", "unspecified", "unspecified"),
    ("224.0.0.1", "multicast", "multicast"), ("ff02::1", "multicast", "multicast"),
    ("240.0.0.1", "reserved", "reserved"), ("192.0.2.10", "reserved", "reserved"),
    ("255.255.255.255", "reserved", "reserved"),
    ("203.162.4.190", None, None), ("2001:ee0:4f0::1", None, None),  # public (VNPT)
])
def test_which_addresses_are_refused(address, kind, with_setting):
    assert refusal(ip_address(address), allow_private=False) == kind
    assert refusal(ip_address(address), allow_private=True) == with_setting


def test_a_client_without_the_guard_is_refused():
    with httpx.Client() as plain, pytest.raises(ValueError, match="new_client"):
        fetch_feed("https://thunghiem.gov.vn/rss.xml", client=plain)
