"""Signed links: the one-click report token (round trip, tampering, another secret, expiry), the
calendar feed token, and the report link as reminders carry it by email (real SMTP), Zalo OA
(loopback Zalo) and SMS (loopback eSMS)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import string

import pytest
from esms_fake import ESMSFake
from hypothesis import given
from hypothesis import settings as fuzzing
from hypothesis import strategies as st
from test_email_channel import catalog, smtp  # noqa: F401 - the plan with contacts, and the SMTP server
from test_outbox import at, prepared
from zalo_fake import ZaloFake

from commplan.links import (
    LEGACY_LINKS_UNTIL,
    REPORT_VALIDITY,
    BadLink,
    feed_token,
    feed_token_ok,
    read_report_token,
    report_link,
    report_token,
)
from commplan.notify.setup import notifier_for
from commplan.settings import Settings

SECRET = "Tq7vR2nX9pLw4KzB8mYc1HdF6sJa3GeU5tWo0ViN"  # a strong test secret (40 bytes)
OTHER = "aP3sD8fG2hJ7kL4zX9cV1bN6mQ5wE0rT8yU3iO7p"  # another installation's
ISSUED = dt.datetime(2022, 3, 10, 8, 0, tzinfo=dt.UTC)
ALPHABET = string.ascii_letters + string.digits + "-_"  # base64url
PUBLIC = "https://nhacviec.thunghiem.gov.vn"


def test_a_report_token_reads_back_to_its_occurrence_and_unit_until_it_expires():
    token = report_token(SECRET, 4242, "viettel-post", issued=ISSUED)
    assert set(token) <= set(ALPHABET + ".") and token.count(".") == 1  # fits a URL path as it is
    assert read_report_token(SECRET, token, now=ISSUED) == (4242, "viettel-post")
    assert read_report_token(SECRET, token, now=ISSUED + REPORT_VALIDITY) == (4242, "viettel-post")  # day 180
    with pytest.raises(BadLink, match="đường dẫn này đã hết hạn"):
        read_report_token(SECRET, token, now=ISSUED + REPORT_VALIDITY + dt.timedelta(seconds=1))
    assert dt.timedelta(days=180) == REPORT_VALIDITY
    assert report_token(SECRET, 4242, "viettel-post", issued=ISSUED) == token  # deterministic
    assert report_token(SECRET, 4243, "viettel-post", issued=ISSUED) != token


@pytest.mark.parametrize("unit", ["buu-dien", "viettel-post", "so-tttt", "ubnd-huyen-a"])
def test_any_one_changed_character_in_payload_or_mac_is_refused(unit):
    token = report_token(SECRET, 7, unit, issued=ISSUED)
    accepted = []
    for position, original in enumerate(token):
        if original == ".":
            continue
        for replacement in ALPHABET.replace(original, ""):
            forged = token[:position] + replacement + token[position + 1:]
            try:
                read_report_token(SECRET, forged, now=ISSUED)
            except BadLink:
                continue
            accepted.append(forged)
    assert accepted == []


def test_a_payload_rewritten_without_the_secret_or_signed_with_another_secret_is_refused():
    token = report_token(SECRET, 7, "buu-dien", issued=ISSUED)
    other = report_token(SECRET, 8, "buu-dien", issued=ISSUED)
    swapped = other.split(".")[0] + "." + token.split(".")[1]  # occurrence 8 with occurrence 7's mac
    with pytest.raises(BadLink, match="đường dẫn này không do commplan này cấp"):
        read_report_token(SECRET, swapped, now=ISSUED)
    with pytest.raises(BadLink, match="đường dẫn này không do commplan này cấp"):
        read_report_token(OTHER, token, now=ISSUED)
    with pytest.raises(BadLink, match="đường dẫn này không do commplan này cấp"):
        read_report_token(SECRET, report_token(OTHER, 7, "buu-dien", issued=ISSUED), now=ISSUED)


@pytest.mark.parametrize("damaged", ["", "abc", "a.b.c", "!!!.???", "bm90LWEtdG9rZW4.AAAA", "é.é"])
def test_a_damaged_link_is_a_bad_link_not_a_crash(damaged):
    with pytest.raises(BadLink):
        read_report_token(SECRET, damaged, now=ISSUED)


def unsigned(payload: str, mac: str = "A" * 22) -> str:
    """A token an attacker writes by hand: any payload, any MAC."""
    return base64.urlsafe_b64encode(payload.encode()).rstrip(b"=").decode() + "." + mac


@pytest.mark.parametrize("crafted", [
    unsigned("1:buu-dien:" + "9" * 20),  # an issue time past time_t: OverflowError before the fix
    unsigned("1:buu-dien:" + "9" * 13),  # past year 9999: ValueError
    unsigned("1:buu-dien:-" + "9" * 20), unsigned("+1:buu-dien:1"), unsigned("1:buu-dien:1_0"), unsigned("١:u:1"),
    unsigned("1:buu-dien:" + "1" * 5000),  # past int()'s digit limit
    unsigned("1:buu-dien"), unsigned("a:b:c:d"), "no-dot-at-all", "..", ".", "a.b.c",
    base64.urlsafe_b64encode(b"\xff\xfe:\x80:1").decode().rstrip("=") + ".AAAA",  # not UTF-8
    "bm90-base64!.AAAA", "é.é", "x" * 100_000,
])
def test_a_crafted_unsigned_token_is_a_clean_refusal(crafted):
    with pytest.raises(BadLink):
        read_report_token(SECRET, crafted, now=ISSUED)


@fuzzing(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet=ALPHABET + ".:="),
                 st.builds(unsigned, st.text(), st.text(alphabet=ALPHABET)),
                 st.builds(lambda n, unit, t: unsigned(f"{n}:{unit}:{t}"), st.integers(), st.text(), st.integers())))
def test_read_report_token_refuses_anything_not_issued_without_crashing(token):
    with pytest.raises(BadLink):
        read_report_token(SECRET, token, now=ISSUED)


def legacy_report_token(secret: str, occurrence_id: int, unit: str, issued: dt.datetime) -> str:
    """A report token as issued before the keys were derived: an HMAC under the secret itself."""
    payload = f"{occurrence_id}:{unit}:{int(issued.timestamp())}"
    mac = hmac.new(secret.encode(), f"report\n{payload}".encode(), hashlib.sha256).digest()[:16]
    return f"{base64.urlsafe_b64encode(payload.encode()).rstrip(b'=').decode()}." \
           f"{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def legacy_feed_token(secret: str, unit: str) -> str:
    mac = hmac.new(secret.encode(), f"feed\n{unit}".encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def test_new_links_use_the_derived_keys_not_the_secret_itself():
    assert report_token(SECRET, 7, "buu-dien", issued=ISSUED) != legacy_report_token(SECRET, 7, "buu-dien", ISSUED)
    assert feed_token(SECRET, "buu-dien") != legacy_feed_token(SECRET, "buu-dien")


def test_a_report_link_issued_before_the_upgrade_works_until_it_would_have_expired():
    upgrade = LEGACY_LINKS_UNTIL - REPORT_VALIDITY
    issued = dt.datetime.combine(upgrade, dt.time(8), dt.UTC) - dt.timedelta(days=30)
    old = legacy_report_token(SECRET, 4242, "buu-dien", issued)
    assert read_report_token(SECRET, old, now=issued + dt.timedelta(days=100)) == (4242, "buu-dien")
    assert read_report_token(SECRET, old, now=issued + REPORT_VALIDITY) == (4242, "buu-dien")
    with pytest.raises(BadLink, match="đường dẫn này đã hết hạn"):
        read_report_token(SECRET, old, now=issued + REPORT_VALIDITY + dt.timedelta(seconds=1))
    with pytest.raises(BadLink, match="đường dẫn này không do commplan này cấp"):  # another installation's old link
        read_report_token(OTHER, old, now=issued)
    with pytest.raises(BadLink, match="đường dẫn này không do commplan này cấp"):  # COMMPLAN_LEGACY_LINKS_UNTIL in the past
        read_report_token(SECRET, old, now=issued, legacy_until=None)
    # the old form dated after the upgrade was never issued: refused, even inside 180 days
    later = dt.datetime.combine(upgrade, dt.time(8), dt.UTC) + dt.timedelta(days=2)
    with pytest.raises(BadLink, match="đường dẫn này không do commplan này cấp"):
        read_report_token(SECRET, legacy_report_token(SECRET, 1, "buu-dien", later), now=later)


def test_an_old_feed_token_opens_its_feed_through_the_legacy_date_and_not_after():
    old = legacy_feed_token(SECRET, "buu-dien")
    assert feed_token_ok(SECRET, "buu-dien", old, today=LEGACY_LINKS_UNTIL - dt.timedelta(days=179))
    assert feed_token_ok(SECRET, "buu-dien", old, today=LEGACY_LINKS_UNTIL)
    assert not feed_token_ok(SECRET, "buu-dien", old, today=LEGACY_LINKS_UNTIL + dt.timedelta(days=1))
    assert not feed_token_ok(SECRET, "viettel-post", old, today=LEGACY_LINKS_UNTIL)  # still one unit only
    assert not feed_token_ok(SECRET, "buu-dien", old, today=dt.date(2026, 12, 10), legacy_until=dt.date(2026, 12, 9))
    assert feed_token_ok(SECRET, "buu-dien", feed_token(SECRET, "buu-dien"), today=dt.date(2040, 1, 1))
    assert not feed_token_ok(SECRET, "buu-dien", "é" * 22) and not feed_token_ok(SECRET, "buu-dien", None)  # type: ignore[arg-type]  # no token, as a request may come


def test_a_feed_token_is_stable_per_unit_and_differs_across_units_and_secrets():
    units = ["buu-dien", "viettel-post", "so-tttt", "ubnd-huyen-a", "ubnd-huyen-b"]
    tokens = [feed_token(SECRET, unit) for unit in units]
    assert tokens == [feed_token(SECRET, unit) for unit in units]
    assert len(set(tokens)) == len(units)
    assert feed_token(OTHER, "buu-dien") != feed_token(SECRET, "buu-dien")
    assert feed_token_ok(SECRET, "buu-dien", tokens[0])
    assert not feed_token_ok(SECRET, "viettel-post", tokens[0])  # one unit's feed token opens no other feed
    assert not feed_token_ok(OTHER, "buu-dien", tokens[0])
    assert feed_token(SECRET, "buu-dien") != report_token(SECRET, 0, "buu-dien", issued=ISSUED).split(".")[1]


LINK = re.compile(re.escape(PUBLIC) + r"/bao-cao/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)")


def links_in(text: str) -> list[str]:
    return LINK.findall(text)


@pytest.mark.server  # SMTP, Zalo and eSMS on loopback
def test_reminders_carry_the_report_link_by_email_zalo_and_sms(ledger, catalog, smtp, tmp_path, clock_at):
    port, inbox = smtp
    with ZaloFake(followers={"8400000002"}) as zalo, ESMSFake() as esms:
        settings = Settings(
            data_dir=tmp_path / "data", smtp_url=f"mailto://127.0.0.1:{port}?from=nhacviec@example.gov.vn",
            zalo_access_token=zalo.access_token, zalo_api_base=zalo.base, esms_api_key=esms.api_key,
            esms_secret_key=esms.secret_key, esms_brandname="SOTTTT", esms_api_base=esms.base,
            public_url=PUBLIC + "/", link_secret=SECRET,
        )
        prepared(ledger, catalog, clock_at)
        now = at("2022-03-10T15:00")
        report = notifier_for(ledger, catalog, settings).run(now)
    assert report.sent == 4
    occurrence = {r["recipient"]: (r["occurrence_id"], r["unit_id"]) for r in ledger.reminders()}
    assert occurrence["buu-dien"][1] == "buu-dien" and occurrence["viettel-post"][1] == "viettel-post"
    later = now + dt.timedelta(days=30)

    mails = {tuple(rcpt): message for rcpt, message in inbox.messages}
    for address, unit in (("bd@example.gov.vn", "buu-dien"), ("vtp@example.gov.vn", "viettel-post")):
        message = mails[(address,)]
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        [token] = links_in(text)
        assert f"Báo cáo hoàn thành: {PUBLIC}/bao-cao/{token}" in text
        assert f'<a href="{PUBLIC}/bao-cao/{token}">' in html
        assert read_report_token(SECRET, token, now=later) == occurrence[unit]

    [oa] = zalo.oa_messages
    [token] = links_in(oa["text"])
    assert oa["user_id"] == "8400000002" and read_report_token(SECRET, token, now=later) == occurrence["viettel-post"]

    [sms] = esms.received
    [token] = links_in(sms["Content"])
    assert sms["Phone"] == "84912000001" and sms["Content"].endswith(f" {PUBLIC}/bao-cao/{token}")
    assert len(sms["Content"]) <= 160 and "Bao cao tuan" in sms["Content"]
    assert read_report_token(SECRET, token, now=later) == occurrence["buu-dien"]
    # the link is the one `report_link` makes for that occurrence, issued when the reminder was composed
    assert f"{PUBLIC}/bao-cao/{token}" == report_link(PUBLIC, SECRET, *occurrence["buu-dien"], issued=now)


@pytest.mark.server  # SMTP, Zalo and eSMS on loopback
def test_without_a_public_url_and_secret_no_link_is_sent(ledger, catalog, smtp, tmp_path, clock_at):
    port, inbox = smtp
    with ZaloFake(followers={"8400000002"}) as zalo, ESMSFake() as esms:
        settings = Settings(
            data_dir=tmp_path / "data", smtp_url=f"mailto://127.0.0.1:{port}?from=nhacviec@example.gov.vn",
            zalo_access_token=zalo.access_token, zalo_api_base=zalo.base, esms_api_key=esms.api_key,
            esms_secret_key=esms.secret_key, esms_brandname="SOTTTT", esms_api_base=esms.base,
            public_url=PUBLIC, link_secret=None, database_url=ledger.url,  # shared: no generated secret
        )
        prepared(ledger, catalog, clock_at)
        assert notifier_for(ledger, catalog, settings).run(at("2022-03-10T15:00")).sent == 4
    texts = [m.get_body(preferencelist=("plain",)).get_content() for _, m in inbox.messages]
    texts += [m["text"] for m in zalo.oa_messages] + [m["Content"] for m in esms.received]
    assert len(texts) == 4 and not any("/bao-cao/" in t for t in texts)


def test_an_expired_report_link_says_which_occurrence_and_unit_it_was_for():
    from commplan.links import BadLink, ExpiredLink

    issued = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    token = report_token("s3cret-for-expiry-test", 42, "ubnd-xa-a", issued=issued)
    with pytest.raises(ExpiredLink) as raised:
        read_report_token("s3cret-for-expiry-test", token, now=issued + dt.timedelta(days=181))
    assert isinstance(raised.value, BadLink) and (raised.value.occurrence_id, raised.value.unit) == (42, "ubnd-xa-a")
    # a forged token is never "expired": its signature is checked first
    with pytest.raises(BadLink) as forged:
        read_report_token("another-secret", token, now=issued + dt.timedelta(days=181))
    assert not isinstance(forged.value, ExpiredLink)
