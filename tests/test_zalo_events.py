"""The Zalo OA's webhook events, verified and read (pure), and the follower's signed code."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from zalo_fake import ZaloFake

from commplan import links
from commplan.intake.zalo_events import Refused, signature, verify

NOW = dt.datetime(2026, 3, 10, 3, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
SECRET = "a-long-link-secret-for-the-zalo-tests-0123456789"
FAKE = ZaloFake()  # only its event writer: no server is started


def event(name: str = "user_send_text", user: str = "8400000002", *, at: dt.datetime = NOW, **kwargs):
    return FAKE.event(name, user, timestamp=at.timestamp(), **kwargs)


def check(body: bytes, header: str | None, **kwargs):
    return verify(body, header, app_id=FAKE.app_id, oa_secret_key=FAKE.oa_secret_key, now=kwargs.pop("now", NOW),
                  max_age=HOUR)


def test_it_reads_a_signed_text_message():
    body, headers = event(text="Đã đăng bài", msg_id="m-1")
    read = check(body, headers["X-ZEvent-Signature"])
    assert read is not None
    assert (read.name, read.user_id, read.event_id, read.text) == ("user_send_text", "8400000002", "m-1", "Đã đăng bài")
    assert read.sent_at == NOW


def test_it_computes_the_documented_mac():
    """sha256(app_id + body + timestamp + OA secret key), hex, after "mac=" (docs/notify-research.md §3.5)."""
    body = b'{"timestamp":"1700000000000"}'
    expected = hashlib.sha256(b"app-1" + body + b"1700000000000" + b"oa-secret-1").hexdigest()
    assert signature("app-1", body, "1700000000000", "oa-secret-1") == f"mac={expected}"


@pytest.mark.parametrize("header, why", [
    (None, "unsigned"),
    ("", "unsigned"),
    ("mac=" + "0" * 64, "bad-signature"),
    ("sha256=abc", "bad-signature"),
])
def test_it_refuses_unsigned_and_badly_signed_events(header, why):
    body, _headers = event(text="x")
    with pytest.raises(Refused) as refused:
        check(body, header)
    assert refused.value.why == why and refused.value.status == 401


def test_it_refuses_a_body_changed_after_signing():
    body, headers = event(text="đã phát 1 lần")
    with pytest.raises(Refused, match="bad-signature"):
        check(body.replace("1 lần".encode(), "9 lần".encode()), headers["X-ZEvent-Signature"])


def test_it_refuses_the_app_secret_in_place_of_the_oa_secret():
    body, headers = event(text="x", secret=FAKE.secret_key)
    with pytest.raises(Refused, match="bad-signature"):
        check(body, headers["X-ZEvent-Signature"])


def test_it_refuses_another_apps_event_even_signed_with_our_key():
    body, headers = event(text="x", app_id="app-2")
    with pytest.raises(Refused):
        check(body, headers["X-ZEvent-Signature"])


@pytest.mark.parametrize("at", [NOW - HOUR - dt.timedelta(seconds=1), NOW + dt.timedelta(minutes=6)])
def test_it_refuses_a_stale_or_future_event(at):
    body, headers = event(text="x", at=at)
    with pytest.raises(Refused, match="stale"):
        check(body, headers["X-ZEvent-Signature"])


def test_it_takes_an_event_within_the_hour():
    body, headers = event(text="x", at=NOW - HOUR + dt.timedelta(seconds=5))
    assert check(body, headers["X-ZEvent-Signature"]) is not None


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b'{"event_name": "user_send_text"}'])
def test_it_refuses_what_is_not_an_event(raw):
    with pytest.raises(Refused) as refused:
        check(raw, "mac=" + "0" * 64)
    assert refused.value.status == 400


def test_it_reads_link_image_file_and_follow_events():
    body, headers = event("user_send_link", attachments=[
        {"type": "link", "payload": {"url": "https://baothanhhoa.vn/bai-1.html", "description": "Chuyển đổi số"}}])
    link = check(body, headers["X-ZEvent-Signature"])
    assert link is not None and link.attachments[0].url == "https://baothanhhoa.vn/bai-1.html"
    assert link.attachments[0].description == "Chuyển đổi số"
    body, headers = event("user_send_file", attachments=[
        {"type": "file", "payload": {"url": "https://dl.zalo/f", "name": "bao-cao.pdf", "size": "2048"}}])
    file = check(body, headers["X-ZEvent-Signature"])
    assert file is not None and (file.attachments[0].name, file.attachments[0].size) == ("bao-cao.pdf", 2048)
    body, headers = event("follow", "8400000009")
    follow = check(body, headers["X-ZEvent-Signature"])
    assert follow is not None and (follow.name, follow.user_id) == ("follow", "8400000009")
    assert follow.event_id == f"follow:8400000009:{int(NOW.timestamp() * 1000)}"


def test_a_genuine_event_of_another_kind_is_not_read():
    body, headers = event("user_send_sticker")
    assert check(body, headers["X-ZEvent-Signature"]) is None


def test_the_timestamp_signed_is_the_bodys_own():
    """The header cannot carry another timestamp: only the body's is hashed."""
    body, headers = event(text="x")
    data = json.loads(body)
    data["timestamp"] = str(int(data["timestamp"]) + 1000)
    with pytest.raises(Refused, match="bad-signature"):
        check(json.dumps(data, ensure_ascii=False).encode(), headers["X-ZEvent-Signature"])


# ---------------------------------------------------------------- the follower's code

TODAY = NOW.date()


def test_a_follow_code_names_its_unit_and_contact():
    code = links.follow_code(SECRET, "ubnd-xa-a", "email:vanthu@xa-a.gov.vn", issued=TODAY)
    assert links.find_follow_code(f"Mã của tôi: {code}.") == code
    assert links.read_follow_code(SECRET, code, today=TODAY) == ("ubnd-xa-a", links.contact_ref("email:vanthu@xa-a.gov.vn"))


def test_a_follow_code_ages_out_after_30_days():
    code = links.follow_code(SECRET, "ubnd-xa-a", "email:x@y.vn", issued=TODAY)
    assert links.read_follow_code(SECRET, code, today=TODAY + dt.timedelta(days=30))[0] == "ubnd-xa-a"
    with pytest.raises(links.BadLink, match="hết hạn"):
        links.read_follow_code(SECRET, code, today=TODAY + dt.timedelta(days=31))


@pytest.mark.parametrize("forge", [
    lambda code: code.replace("ubnd-xa-a", "ubnd-xa-b"),  # another unit, same MAC
    lambda code: code[:-1] + ("A" if code[-1] != "A" else "B"),  # a MAC guessed
    lambda code: code.replace(".20522.", ".20600."),  # a later day, to outlive the validity
    lambda code: links.follow_code("another-secret-of-the-same-length-0123456789abc", "ubnd-xa-a", "email:x@y.vn",
                                   issued=TODAY),
])
def test_a_forged_follow_code_is_refused(forge):
    code = forge(links.follow_code(SECRET, "ubnd-xa-a", "email:x@y.vn", issued=TODAY))
    with pytest.raises(links.BadLink, match=r"bị hỏng|không do commplan này cấp"):
        links.read_follow_code(SECRET, code, today=TODAY)
