"""ZNS template messages by phone against the loopback Zalo (tests/zalo_fake.py)."""

from __future__ import annotations

import json

import pytest
from zalo_fake import ZNS_PATH, ZaloFake

from commplan.ledger.outbox import Claimed
from commplan.notify.channels import PermanentError, TemporaryError, Unreachable
from commplan.notify.zalo import StaticTokens
from commplan.notify.zns import NotifyZaloZNS, ZNSChannel

pytestmark = pytest.mark.server  # the loopback Zalo

PHONE = "84912000001"
DATA = {"unit": "Bưu điện tỉnh Thử Nghiệm", "due": "14:00 10/03/2022"}


@pytest.fixture
def zalo():
    with ZaloFake(phones={PHONE, "84912000002"}, admins={"84912000002"}) as fake:
        yield fake


def delivery(phone: str = PHONE, *, data: dict | None = DATA, delivery_id: int = 11) -> Claimed:
    return Claimed(id=delivery_id, recipient="buu-dien", channel="zns", address=phone, subject="S", body_text="t",
                   body_html="<p>t</p>", body_sms="t", attempts=1,
                   template_data=None if data is None else json.dumps(data, ensure_ascii=False))


def channel(zalo: ZaloFake, **kwargs) -> ZNSChannel:
    return ZNSChannel(kwargs.pop("tokens", None) or zalo.tokens(), "tpl-1", base=zalo.base, **kwargs)


def zns_calls(zalo: ZaloFake) -> int:
    return sum(r["path"] == ZNS_PATH for r in zalo.requests)


def test_a_template_message_goes_to_the_phone_with_our_tracking_id(zalo):
    assert channel(zalo).send(delivery()) == "zns-msg-1"
    assert zalo.requests[0]["headers"]["access_token"] == "oa-token-1"
    assert zalo.requests[0]["body"] == {"phone": PHONE, "template_id": "tpl-1", "template_data": DATA,
                                        "tracking_id": "commplan-11"}  # no "mode" outside development
    assert [(m["phone"], m["tracking_id"], m["mode"]) for m in zalo.zns_messages] == [(PHONE, "commplan-11", None)]


def test_development_mode_is_sent_as_the_mode_field_and_reaches_admins_only(zalo):
    assert channel(zalo, development=True).send(delivery("84912000002")) == "zns-msg-1"
    assert zalo.requests[0]["body"]["mode"] == "development" and zalo.zns_messages[0]["mode"] == "development"
    with pytest.raises(PermanentError, match="Zalo ZNS -127"):
        channel(zalo, development=True).send(delivery(PHONE))
    assert len(zalo.zns_messages) == 1


def test_the_tracking_id_is_stable_across_sends_and_zalo_does_not_de_duplicate_it(zalo):
    twice = delivery(delivery_id=42)
    assert channel(zalo).send(twice) == "zns-msg-1" and channel(zalo).send(twice) == "zns-msg-2"
    assert [m["tracking_id"] for m in zalo.zns_messages] == ["commplan-42", "commplan-42"]
    assert ZNSChannel.idempotent is False  # so the outbox never re-sends a ZNS whose outcome was lost


@pytest.mark.parametrize(
    ("phone", "forced", "error", "message"),
    [("84912000009", None, Unreachable, "Zalo ZNS -118: Zalo account not existed"),
     (PHONE, dict(error=-119), Unreachable, "Zalo ZNS -119"),
     ("12ab", None, PermanentError, "Zalo ZNS -108: Phone number invalid"),
     (PHONE, dict(error=-131), PermanentError, "Zalo ZNS -131: ZNS template not approved"),
     (PHONE, dict(error=-117), PermanentError, "Zalo ZNS -117: OA or App does not have permission"),
     (PHONE, dict(error=-32), TemporaryError, "Zalo ZNS -32: Your OA reached limit call api"),
     (PHONE, dict(error=-115), TemporaryError, "Zalo ZNS -115: Out of quota"),
     (PHONE, dict(error=-144), TemporaryError, "Zalo ZNS -144"),
     (PHONE, dict(error=-147, message="Exceeded template daily limit"), TemporaryError, "Zalo ZNS -147"),
     (PHONE, dict(error=None, http=503), TemporaryError, "Zalo ZNS trả lời HTTP 503"),
     (PHONE, dict(error=-9999, message="new"), TemporaryError, "mã lạ -9999: new")],
)
def test_zns_error_codes_become_temporary_permanent_or_unreachable(zalo, phone, forced, error, message):
    if forced:
        zalo.fail_next(path=ZNS_PATH, **forced)
    with pytest.raises(error, match=message) as raised:
        channel(zalo).send(delivery(phone))
    assert isinstance(raised.value, Unreachable) == (error is Unreachable)
    assert zalo.zns_messages == [] and zns_calls(zalo) == 1


def test_template_data_is_required_and_checked(zalo):
    with pytest.raises(PermanentError, match="không có dữ liệu mẫu ZNS"):
        channel(zalo).send(delivery(data=None))
    assert zalo.requests == []  # refused before anything went out
    with pytest.raises(PermanentError, match="Zalo ZNS -112: Template data invalid"):
        channel(zalo).send(delivery(data={"unit": "only one of the two parameters"}))


def test_an_expired_token_is_refreshed_and_the_message_sent_once(zalo):
    zalo.expire()
    tokens = zalo.tokens()
    assert channel(zalo, tokens=tokens).send(delivery()) == "zns-msg-1"
    assert tokens.refreshed == 1 and zns_calls(zalo) == 2
    assert zalo.requests[0]["headers"]["access_token"] == "oa-token-1"
    assert [m["token"] for m in zalo.zns_messages] == ["oa-token-2"]


def test_a_token_rejected_after_the_refresh_is_temporary(zalo):
    zalo.fail_next(2, path=ZNS_PATH, error=-124)
    tokens = zalo.tokens()
    with pytest.raises(TemporaryError, match="Zalo ZNS vẫn từ chối mã truy cập"):
        channel(zalo, tokens=tokens).send(delivery())
    assert tokens.refreshed == 1 and zns_calls(zalo) == 2 and zalo.zns_messages == []


def test_a_bare_token_that_is_rejected_is_temporary(zalo):
    with pytest.raises(TemporaryError, match="không có app id/secret"):
        channel(zalo, tokens=StaticTokens("stale")).send(delivery())
    assert zns_calls(zalo) == 1


def test_the_plugin_url_round_trips_with_the_template_data_and_hides_the_token():
    plugin = NotifyZaloZNS(phone=PHONE, token="secret/token+1", template="tpl-1", data=DATA, tracking="commplan-11",
                           development=True, base="https://business.openapi.zalo.me")
    assert plugin.url(privacy=True).startswith("zns://84912000001?") and "secret" not in plugin.url(privacy=True)
    parsed = NotifyZaloZNS.parse_url(plugin.url())
    assert parsed is not None
    assert {k: parsed[k] for k in ("phone", "token", "template", "data", "tracking", "development", "base")} == {
        "phone": PHONE, "token": "secret/token+1", "template": "tpl-1", "data": DATA, "tracking": "commplan-11",
        "development": True, "base": "https://business.openapi.zalo.me"}
    assert NotifyZaloZNS(**parsed).url() == plugin.url()
