"""Triage in the dashboard, through the real app on SQLite and PostgreSQL: the triage list (/hang-cho) and its
two actions (assign to an occurrence, dismiss with a reason); what recorded itself marked with its source and
why it matched, on the occurrence page, the overview and a unit's page, withdrawn there in one click.

Attacks, each tried: another province's item by id, an item of no unit (administrators only), another
province's occurrence, a closed or unknown item, an empty reason, a missing or wrong CSRF token, a viewer's
POST, HTML in an item's text, `javascript:` links, a document of another province's item, a withdrawal that
would send the browser elsewhere."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from test_web_auth import csrf
from test_web_unit_pages import EARLIER, post, signed_in
from test_web_unit_pages import site as pages_site  # noqa: F401  # a fixture: two provinces, a login per user

from commplan.ledger import EvidenceInput
from commplan.ledger.triage import TriageInput

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
RECEIVED = dt.datetime(2022, 3, 17, 2, 30, tzinfo=dt.UTC)  # 09:30 in Vietnam


@pytest.fixture
def site(pages_site):  # the imported fixture, under the name these tests use
    return pages_site


def waiting(site, external_id: str, **changes) -> int:
    values = dict(source="zalo", external_id=external_id, received_at=RECEIVED, why="ambiguous", unit_id="buu-dien",
                  sender="zalo-user-7", link="https://buudien.example.vn/tin/a", text="Đã đăng bài tuần này",
                  match_reason=json.dumps({"via": "zalo", "reply_to_delivery": 4}))
    added = site.ledger.add_triage(TriageInput(**{**values, **changes}), now=EARLIER)
    assert added is not None
    return added


def item_block(html: str, item_id: int) -> str:
    return html.split(f'id="muc-{item_id}"')[1].split("</article>")[0]


def nav_count(html: str) -> int | None:
    found = re.search(r'href="/hang-cho" class="nav-triage">[^<]*(?:<span class="count-badge"[^>]*>(\d+)</span>)?', html)
    return None if found is None else int(found.group(1) or 0)


# ---------------------------------------------------------------- the list


def test_a_coordinator_sees_the_items_of_their_province_only_escaped_and_in_vietnam_time(site):
    ours = waiting(site, "m1", text="<script>alert(1)</script> Đã đăng", link="javascript:alert(document.cookie)")
    feed = waiting(site, "https://buudien.example.vn/tin/b", source="feed", why="no-open-duty", sender=None,
                   link="https://buudien.example.vn/tin/b", text="Bưu điện <b>ra mắt</b> dịch vụ",
                   match_reason=json.dumps({"keyword": "dịch vụ", "via": "own-feed", "source": "buu-dien"}))
    theirs = waiting(site, "m2", unit_id="buu-dien-lg", text="Tin của tỉnh Láng Giềng")
    unknown = waiting(site, "<x@mail>", source="email", unit_id=None, why="unknown-sender", sender="la@example.com",
                      text="Thư từ người lạ")
    with signed_in(site) as browser:
        page = browser.get("/hang-cho")
        assert page.status_code == 200, page.text
        text = page.text
        assert f'id="muc-{ours}"' in text and f'id="muc-{feed}"' in text
        assert f'id="muc-{theirs}"' not in text and "Láng Giềng" not in text
        assert f'id="muc-{unknown}"' not in text and "la@example.com" not in text
        block = item_block(text, ours)
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Đã đăng" in block and "<script>" not in text
        assert 'href="javascript:' not in text and "<code>javascript:alert(document.cookie)</code>" in block
        assert '<span class="badge badge-zalo">trả lời qua Zalo</span>' in block
        assert "09:30 17/03/2022" in block and "zalo-user-7" in block and "có thể thuộc nhiều nhiệm vụ" in block
        assert "trả lời Zalo tin nhắc việc số 4" in block
        block = item_block(text, feed)
        assert '<a href="https://buudien.example.vn/tin/b" rel="noopener noreferrer nofollow">' in block
        assert "Bưu điện &lt;b&gt;ra mắt&lt;/b&gt; dịch vụ" in block and '<span class="badge badge-feed">nguồn tin</span>' in block
        assert "không còn nhiệm vụ nào đang mở cho mục này" in block
        assert "từ khóa «dịch vụ» trên nguồn tin của đơn vị" in block
        # the unit's open and overdue weeks are offered, in a form with this session's token
        assert f'value="{site.occurrence("buu-dien", "17/03")}"' in block and "Báo cáo tuần · kỳ 14/03/2022 – 20/03/2022" in block
        assert f'value="{site.occurrence("ubnd-xa-a", "17/03")}"' not in block  # another unit's duty
        assert f'name="csrf_token" value="{csrf(browser, "/hang-cho")}"' in block
        assert nav_count(text) == 2
        assert nav_count(browser.get("/tong-quan").text) == 2  # on every page of the dashboard
    with signed_in(site, "so-lg") as browser:
        text = browser.get("/hang-cho").text
        assert f'id="muc-{theirs}"' in text and f'id="muc-{ours}"' not in text and "Thử Nghiệm" not in text
        assert nav_count(text) == 1
    with signed_in(site, "quan-tri") as browser:
        text = browser.get("/hang-cho").text
        assert all(f'id="muc-{i}"' in text for i in (ours, feed, theirs, unknown))
        assert "chưa rõ (chỉ quản trị viên thấy)" in item_block(text, unknown)
        assert '<span class="badge badge-email">email trả lời</span>' in item_block(text, unknown)


def test_a_viewer_a_ministry_and_a_stranger_get_no_triage(site):
    waiting(site, "m1")
    with signed_in(site, "xem") as browser:
        assert browser.get("/hang-cho").status_code == 403
        assert nav_count(browser.get("/tong-quan").text) is None  # no link for who may not act
    with signed_in(site, "bo") as browser:  # the ministry sees its plans, not a province's inbox
        page = browser.get("/hang-cho")
        assert page.status_code == 200 and 'id="muc-' not in page.text and "Không có mục nào đang chờ" in page.text
    stranger = site.client()
    answer = stranger.get("/hang-cho")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/dang-nhap")


# ---------------------------------------------------------------- assign and dismiss


def test_assigning_records_the_evidence_with_its_source_and_says_so(site):
    week = site.occurrence("buu-dien", "17/03")
    item = waiting(site, "m1", candidates=(week,))
    with signed_in(site) as browser:
        block = item_block(browser.get("/hang-cho").text, item)
        suggested = block.split('<optgroup label="Gợi ý">')[1].split("</optgroup>")[0]
        assert f'value="{week}"' in suggested
        answer = post(browser, f"/hang-cho/{item}/gan", "/hang-cho", ky=str(week))
        assert answer.status_code == 303 and answer.headers["location"] == f"/hang-cho?xong=gan&muc={item}"
        page = browser.get(answer.headers["location"])
        [evidence] = site.ledger.evidence(occurrence_id=week)
        assert f"Đã gán mục #{item}: minh chứng #{evidence.id} của «Báo cáo tuần»" in page.text
        assert f'href="/ky/{week}"' in page.text and f'id="muc-{item}"' not in page.text
        assert nav_count(page.text) == 0
        assert (evidence.source, evidence.link, evidence.recorded_by) == ("zalo", "https://buudien.example.vn/tin/a",
                                                                          "web:so-tttt")
        closed = site.ledger.triage_item(item)
        assert closed is not None and (closed.outcome, closed.evidence_id) == ("assigned", evidence.id)
        # the occurrence's page: its source as a badge, why it matched, and who assigned it
        shown = browser.get(f"/ky/{week}").text.split(f'id="minh-chung-{evidence.id}"')[1].split("</li>")[0]
        assert '<span class="badge badge-zalo">trả lời qua Zalo</span>' in shown
        assert "trả lời Zalo tin nhắc việc số 4; gán từ hàng chờ bởi so-tttt" in shown
        assert f'action="/ky/{week}/rut/{evidence.id}"' in shown
        # the same item again: already handled, nothing recorded twice
        again = post(browser, f"/hang-cho/{item}/gan", "/tong-quan", ky=str(week))
        assert again.status_code == 409 and "đã được xử lý" in again.text
    assert len(site.ledger.evidence(occurrence_id=week)) == 1


def test_dismissing_needs_a_reason_and_keeps_it(site):
    item = waiting(site, "m1")
    with signed_in(site) as browser:
        refused = post(browser, f"/hang-cho/{item}/bo-qua", "/hang-cho", ly_do="   ")
        assert refused.status_code == 422 and "Hãy ghi lý do bỏ qua mục này." in item_block(refused.text, item)
        assert site.ledger.triage_item(item).open
        answer = post(browser, f"/hang-cho/{item}/bo-qua", "/hang-cho", ly_do="Tin <b>quảng cáo</b>, không phải bài")
        assert answer.status_code == 303
        page = browser.get(answer.headers["location"]).text
        assert f"Đã bỏ qua mục #{item} (lý do: Tin &lt;b&gt;quảng cáo&lt;/b&gt;, không phải bài)." in page
    closed = site.ledger.triage_item(item)
    assert (closed.outcome, closed.close_reason, closed.closed_by) == ("dismissed", "Tin <b>quảng cáo</b>, không phải bài",
                                                                       "web:so-tttt")
    assert site.ledger.evidence() == []


def test_what_the_account_may_not_see_or_touch_is_refused_and_nothing_changes(site):
    ours = waiting(site, "m1")
    theirs = waiting(site, "m2", unit_id="buu-dien-lg")
    unknown = waiting(site, "<x@mail>", source="email", unit_id=None, why="unknown-sender")
    their_week = site.occurrence("buu-dien-lg", "17/03", plan="ke-hoach-b")
    commune_week = site.occurrence("ubnd-xa-a", "17/03")
    with signed_in(site) as browser:
        for item in (theirs, unknown, 999_999):  # another province's, an admin's, none: the same 404
            for action, field in (("gan", {"ky": str(their_week)}), ("bo-qua", {"ly_do": "x"})):
                answer = post(browser, f"/hang-cho/{item}/{action}", "/hang-cho", **field)
                assert answer.status_code == 404, (item, action)
                assert "Láng Giềng" not in answer.text
        answer = post(browser, f"/hang-cho/{ours}/gan", "/hang-cho", ky=str(their_week))
        assert answer.status_code == 404 and "không thuộc phạm vi tài khoản" in answer.text
        answer = post(browser, f"/hang-cho/{ours}/gan", "/hang-cho", ky=str(commune_week))  # seen, not this unit's
        assert answer.status_code == 422 and "buu-dien" in item_block(answer.text, ours)
        for bad in ("", "abc", "-1", "1 OR 1=1"):
            assert post(browser, f"/hang-cho/{ours}/gan", "/hang-cho", ky=bad).status_code == 422, bad
        token = csrf(browser, "/hang-cho")
        assert browser.post(f"/hang-cho/{ours}/bo-qua", data={"ly_do": "x"}).status_code == 403
        assert browser.post(f"/hang-cho/{ours}/bo-qua", data={"ly_do": "x", "csrf_token": token[::-1]}).status_code == 403
        assert browser.post(f"/hang-cho/{ours}/gan",
                            data={"ky": str(site.occurrence("buu-dien", "17/03"))}).status_code == 403
    with signed_in(site, "xem") as browser:  # a viewer reads the dashboard, never acts
        assert post(browser, f"/hang-cho/{ours}/bo-qua", "/tong-quan", ly_do="x").status_code == 403
    assert all(site.ledger.triage_item(i).open for i in (ours, theirs, unknown))
    assert site.ledger.evidence() == []


def test_a_document_waiting_in_triage_is_served_to_its_coordinator_only(site):
    stored = site.ledger.store_document(PDF, name="Báo cáo.pdf", now=EARLIER)
    ours = waiting(site, "m1", kind="document", link=None, document="Báo cáo tuần 11.pdf",
                   document_sha256=stored.sha256)
    with signed_in(site) as browser:
        assert f'href="/tai-lieu/{stored.sha256}"' in item_block(browser.get("/hang-cho").text, ours)
        served = browser.get(f"/tai-lieu/{stored.sha256}")
        assert served.status_code == 200 and served.content == PDF
        assert "attachment" in served.headers["content-disposition"] and "sandbox" in served.headers["content-security-policy"]
    for login in ("so-lg", "xem"):  # another province; a viewer, who sees no triage
        with signed_in(site, login) as browser:
            assert browser.get(f"/tai-lieu/{stored.sha256}").status_code == 404, login


# ---------------------------------------------------------------- what recorded itself, reviewed and withdrawn


def record_itself(site, unit: str, due: str, link: str, source: str, reason: dict, plan: str = "ke-hoach-a") -> tuple[int, int]:
    occurrence = site.occurrence(unit, due, plan=plan)
    result = site.ledger.record_evidence(
        f"{plan}/bao-cao-tuan", unit, EvidenceInput(kind="link", link=link, note="Bài <i>tuần</i>", source=source,
                                                    match_reason=json.dumps(reason, ensure_ascii=False)),
        occurrence_id=occurrence, actor=source, now=EARLIER)
    assert result.evidence_id is not None
    return occurrence, result.evidence_id


def test_the_overview_lists_what_recorded_itself_with_its_source_and_reason_and_withdraws_it(site):
    week, by_feed = record_itself(site, "buu-dien", "17/03", "https://buudien.example.vn/tin/c", "feed",
                                  {"keyword": "chuyển đổi số", "via": "own-feed", "source": "buu-dien", "feed": "https://x"})
    commune, by_mail = record_itself(site, "ubnd-xa-a", "17/03", "https://xa-a.example.vn/bai", "email",
                                     {"delivery": 12, "message_id": "<m@x>", "reply_to": "reply to delivery 12"})
    _other, theirs = record_itself(site, "buu-dien-lg", "17/03", "https://lg.example.vn/bai", "feed",
                                   {"keyword": "x", "via": "own-feed", "source": "buu-dien-lg"}, plan="ke-hoach-b")
    typed = site.record("buu-dien", site.occurrence("buu-dien", "10/03"), "https://buudien.example.vn/go-tay")
    with signed_in(site) as browser:
        page = browser.get("/tong-quan").text
        section = page.split('id="tu-ghi-nhan"')[1].split("<h2")[0]
        assert f'id="minh-chung-{by_feed}"' in section and f'id="minh-chung-{by_mail}"' in section
        assert f'id="minh-chung-{theirs}"' not in section and "lg.example.vn" not in page
        assert f'id="minh-chung-{typed}"' not in section  # a person typed it: not the machine's to review
        assert section.index(f'id="minh-chung-{by_mail}"') < section.index(f'id="minh-chung-{by_feed}"')  # newest first
        feed_item = section.split(f'id="minh-chung-{by_feed}"')[1].split("</li>")[0]
        assert '<span class="badge badge-feed">nguồn tin</span>' in feed_item
        assert "từ khóa «chuyển đổi số» trên nguồn tin của đơn vị" in feed_item
        assert f'<a href="/ky/{week}" class="duty-link">Báo cáo tuần</a>' in feed_item
        assert "Bài &lt;i&gt;tuần&lt;/i&gt;" in feed_item
        assert f'action="/ky/{week}/rut/{by_feed}"' in feed_item and 'name="quay_lai" value="/tong-quan"' in feed_item
        assert "required" in feed_item.split('name="reason"')[1].split(">")[0]
        mail_item = section.split(f'id="minh-chung-{by_mail}"')[1].split("</li>")[0]
        assert '<span class="badge badge-email">email trả lời</span>' in mail_item
        assert "trả lời email nhắc việc số 12" in mail_item

        refused = post(browser, f"/ky/{week}/rut/{by_feed}", "/tong-quan", reason=" ", quay_lai="/tong-quan")
        assert refused.status_code == 422 and site.ledger.evidence_item(by_feed).withdrawn_at is None
        answer = post(browser, f"/ky/{week}/rut/{by_feed}", "/tong-quan", reason="Bài về chủ đề khác",
                      quay_lai="/tong-quan")
        assert answer.status_code == 303 and answer.headers["location"] == "/tong-quan?xong=rut#tu-ghi-nhan"
        page = browser.get("/tong-quan?xong=rut").text
        assert "Đã thu hồi minh chứng" in page.split('role="status"')[1].split("</p>")[0]
        struck = page.split(f'id="minh-chung-{by_feed}"')[1].split("</li>")[0]
        assert "Bài về chủ đề khác" in struck and "web:so-tttt" in struck and "rut/" not in struck
        withdrawn = site.ledger.evidence_item(by_feed)
        assert (withdrawn.withdraw_reason, withdrawn.withdrawn_by) == ("Bài về chủ đề khác", "web:so-tttt")

        # only this site's overview or unit pages: anything else goes back to the occurrence
        for elsewhere in ("https://evil.example/", "//evil.example", "/tong-quan\r\nX: y", "/don-vi/../dang-xuat"):
            site_week, again = record_itself(site, "ubnd-xa-a", "10/03", f"https://xa-a.example.vn/{len(elsewhere)}",
                                             "zalo", {"via": "zalo", "keywords": ["tuần"]})
            answer = post(browser, f"/ky/{site_week}/rut/{again}", "/tong-quan", reason="sai", quay_lai=elsewhere)
            assert answer.status_code == 303 and answer.headers["location"] == f"/ky/{site_week}?xong=rut", elsewhere
        # a unit's page lists its own, and comes back to itself
        unit_page = browser.get("/don-vi/ubnd-xa-a").text
        listed = unit_page.split('id="tu-ghi-nhan"')[1].split("<h2")[0]
        assert f'id="minh-chung-{by_mail}"' in listed and f'id="minh-chung-{by_feed}"' not in listed
        assert 'name="quay_lai" value="/don-vi/ubnd-xa-a"' in listed
        answer = post(browser, f"/ky/{commune}/rut/{by_mail}", "/don-vi/ubnd-xa-a", reason="Trả lời nhầm kỳ",
                      quay_lai="/don-vi/ubnd-xa-a")
        assert answer.headers["location"] == "/don-vi/ubnd-xa-a?xong=rut#tu-ghi-nhan"
    with signed_in(site, "so-lg") as browser:
        section = browser.get("/tong-quan").text.split('id="tu-ghi-nhan"')[1].split("<h2")[0]
        assert f'id="minh-chung-{theirs}"' in section and "buudien.example.vn" not in section
        # another province's item, withdrawn through its own occurrence: not found, kept
        assert post(browser, f"/ky/{week}/rut/{by_mail}", "/tong-quan", reason="x",
                    quay_lai="/tong-quan").status_code == 404
    with signed_in(site, "xem") as browser:  # a viewer sees the review list, without the withdraw forms
        section = browser.get("/tong-quan").text.split('id="tu-ghi-nhan"')[1].split("<h2")[0]
        assert f'id="minh-chung-{by_mail}"' in section and "/rut/" not in section


def test_an_item_of_a_unit_gone_from_the_directory_still_shows_and_can_be_dismissed(site):
    gone = waiting(site, "m9", unit_id="ubnd-xa-cu", text="Xã cũ đã sáp nhập")
    with signed_in(site, "quan-tri") as browser:
        page = browser.get("/hang-cho")
        assert page.status_code == 200
        block = item_block(page.text, gone)
        assert "Xã cũ đã sáp nhập" in block and "Không có nhiệm vụ nào đang thực hiện hoặc quá hạn để gán" in block
        assert f'action="/hang-cho/{gone}/gan"' not in block
        assert post(browser, f"/hang-cho/{gone}/bo-qua", "/hang-cho", ly_do="Đơn vị đã sáp nhập").status_code == 303
    assert site.ledger.triage_item(gone).outcome == "dismissed"


def test_digits_that_are_not_ascii_are_refused_not_a_server_error(site):
    """"²" is a digit to str.isdigit but not to int(): the address's item number and the form's occurrence are
    refused as any other wrong value (nothing said, 422), never a 500."""
    item = waiting(site, "m1")
    with signed_in(site) as browser:
        page = browser.get(f"/hang-cho?xong=gan&muc=%C2%B2{item}")
        assert page.status_code == 200 and f'id="muc-{item}"' in page.text and 'role="status"' not in page.text
        answer = post(browser, f"/hang-cho/{item}/gan", "/hang-cho", ky="²")
        assert answer.status_code == 422 and site.ledger.triage_item(item).open


def test_other_pages_refuse_digits_that_are_not_ascii_too(site):
    """The same "²" in the overview's page number, a built report's id and the bulk actions' counts: a clean
    answer (the first page, a 404, nothing said), never a 500."""
    with signed_in(site) as browser:
        for path in ("/tong-quan?trang=%C2%B2", "/qua-han?trang=%C2%B2", "/qua-han?da-mien=%C2%B2&bo-qua=%C2%B2"):
            assert browser.get(path).status_code in (200, 422), path
        assert browser.get("/bao-cao-da-lap/%C2%B2").status_code == 404
