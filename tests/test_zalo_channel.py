"""Zalo OA messages against the loopback Zalo (tests/zalo_fake.py): real HTTP, documented answers."""

from __future__ import annotations

import pytest
from test_email_channel import catalog  # noqa: F401 - the plan with contacts (viettel-post follows the OA)
from test_outbox import at, prepared
from zalo_fake import OA_PATH, ZaloFake

from commplan.ledger.outbox import Claimed
from commplan.notify.channels import PermanentError, TemporaryError, Unreachable
from commplan.notify.notifier import Notifier
from commplan.notify.setup import configured_channels
from commplan.notify.zalo import NotifyZaloOA, StaticTokens, ZaloOAChannel
from commplan.notify.zalo_oauth import PERMISSION_URL, RefreshRejected
from commplan.settings import Settings

pytestmark = pytest.mark.server  # the loopback Zalo

TEXT = "Viettel Post: đến hạn hôm nay.\nBáo cáo tuần"
FOLLOWER = "8400000002"


@pytest.fixture
def zalo():
    with ZaloFake(followers={FOLLOWER}, lapsed={"8400000003"}) as fake:
        yield fake


def delivery(address: str = FOLLOWER) -> Claimed:
    return Claimed(id=7, recipient="viettel-post", channel="zalo", address=address, subject="S",
                   body_text=TEXT, body_html="<p>x</p>", body_sms="x", attempts=1)


def oa_calls(zalo: ZaloFake) -> int:
    return sum(r["path"] == OA_PATH for r in zalo.requests)


def test_a_message_reaches_the_follower_with_the_oa_token(zalo):
    assert ZaloOAChannel(zalo.tokens(), zalo.base).send(delivery()) == "oa-msg-1"
    assert zalo.oa_messages == [{"user_id": FOLLOWER, "text": TEXT, "token": "oa-token-1", "message_id": "oa-msg-1"}]
    assert zalo.requests[0]["body"] == {"recipient": {"user_id": FOLLOWER}, "message": {"text": TEXT}}


@pytest.mark.parametrize(("address", "code"), [("8400000003", -230), ("8400000099", -213)])
def test_a_user_out_of_reach_is_unreachable_so_the_fallback_is_tried(zalo, address, code):
    with pytest.raises(Unreachable, match=f"Zalo OA {code}: "):
        ZaloOAChannel(zalo.tokens(), zalo.base).send(delivery(address))
    assert zalo.oa_messages == []


@pytest.mark.parametrize(
    ("forced", "error", "message"),
    [(dict(error=-232), Unreachable, "Zalo OA -232: User has not interacted"),
     (dict(error=-227), Unreachable, "Zalo OA -227: User is banned"),
     (dict(error=-244), Unreachable, "Zalo OA -244: User has restricted"),
     (dict(error=-201), PermanentError, "Zalo OA -201: recipient is invalid!"),
     (dict(error=-32), TemporaryError, "Zalo OA -32: Your OA reached limit call api"),
     (dict(error=-211), TemporaryError, "Zalo OA -211: Out of quota"),
     (dict(error=-100, http=502), TemporaryError, r"Zalo OA trả lời HTTP 502 \(-100: Unknown error\)"),
     (dict(error=None, http=503), TemporaryError, r"Zalo OA trả lời HTTP 503 \(None: Service Unavailable\)"),
     (dict(error=-9999, message="new"), TemporaryError, "mã lạ -9999: new")],
)
def test_zalo_error_codes_become_temporary_permanent_or_unreachable(zalo, forced, error, message):
    zalo.fail_next(path=OA_PATH, **forced)
    with pytest.raises(error, match=message) as raised:
        ZaloOAChannel(zalo.tokens(), zalo.base).send(delivery())
    assert isinstance(raised.value, Unreachable) == (error is Unreachable)
    assert oa_calls(zalo) == 1 and zalo.refreshes == []  # no retry, no refresh for anything but the token


def test_an_expired_token_is_refreshed_and_the_message_sent_once(zalo):
    zalo.expire()
    tokens = zalo.tokens()
    assert ZaloOAChannel(tokens, zalo.base).send(delivery()) == "oa-msg-1"
    assert tokens.refreshed == 1 and tokens.current() == "oa-token-2" and oa_calls(zalo) == 2
    assert [m["token"] for m in zalo.oa_messages] == ["oa-token-2"]


def test_a_401_without_a_zalo_body_counts_as_a_rejected_token(zalo):
    zalo.fail_next(path=OA_PATH, error=None, http=401, message="Unauthorized")
    tokens = zalo.tokens()
    assert ZaloOAChannel(tokens, zalo.base).send(delivery()) == "oa-msg-1"
    assert tokens.refreshed == 1 and len(zalo.oa_messages) == 1


def test_a_token_rejected_again_after_the_refresh_is_temporary_and_not_retried_twice(zalo):
    zalo.fail_next(2, path=OA_PATH, error=-216)
    tokens = zalo.tokens()
    with pytest.raises(TemporaryError, match="vẫn từ chối mã truy cập sau khi làm mới"):
        ZaloOAChannel(tokens, zalo.base).send(delivery())
    assert tokens.refreshed == 1 and oa_calls(zalo) == 2 and zalo.oa_messages == []


def test_a_bare_token_that_is_rejected_cannot_be_refreshed(zalo):
    with pytest.raises(TemporaryError, match="không có app id/secret để làm mới"):
        ZaloOAChannel(StaticTokens("not-issued-by-zalo"), zalo.base).send(delivery())
    assert zalo.requests[0]["headers"]["access_token"] == "not-issued-by-zalo" and oa_calls(zalo) == 1


def test_a_spent_refresh_token_asks_an_administrator_to_re_authorise(zalo):
    zalo.tokens().invalidate("oa-token-1")  # another process refreshed: refresh-1 is spent
    zalo.expire()
    with pytest.raises(RefreshRejected, match="-14020") as raised:
        ZaloOAChannel(zalo.tokens(refresh_token="refresh-1"), zalo.base).send(delivery())
    assert PERMISSION_URL in str(raised.value) and zalo.oa_messages == []


def test_an_unreachable_zalo_is_temporary():
    with pytest.raises(TemporaryError, match="không kết nối được Zalo OA"):
        ZaloOAChannel(StaticTokens("oa-token-1"), "http://127.0.0.1:9").send(delivery())


def test_the_plugin_url_round_trips_and_hides_the_token():
    plugin = NotifyZaloOA(user_id=FOLLOWER, token="secret-token-1", base="https://openapi.zalo.me")
    assert plugin.url(privacy=True).startswith("zalooa://8400000002?") and "secret-token-1" not in plugin.url(privacy=True)
    parsed = NotifyZaloOA.parse_url(plugin.url())
    assert parsed is not None
    assert (parsed["user_id"], parsed["token"], parsed["base"]) == (FOLLOWER, "secret-token-1", "https://openapi.zalo.me")


def test_the_notifier_sends_zalo_through_the_oa_once(ledger, catalog, zalo, tmp_path, clock_at):
    settings = Settings(data_dir=tmp_path / "data", zalo_access_token="oa-token-1", zalo_api_base=zalo.base)
    prepared(ledger, catalog, clock_at)
    report = Notifier(ledger, catalog, configured_channels(settings)).run(at("2022-03-10T15:00"))
    assert report.sent == 1 and [m["user_id"] for m in zalo.oa_messages] == [FOLLOWER]  # the only Zalo contact
    assert zalo.oa_messages[0]["text"].startswith("Chi nhánh Viettel Post tỉnh Thử Nghiệm: đến hạn hôm nay.")
    zalo_delivery = next(d for d in ledger.deliveries() if d["channel"] == "zalo")
    assert zalo_delivery["external_id"] == "oa-msg-1" and zalo_delivery["status"] == "sent"
    assert Notifier(ledger, catalog, configured_channels(settings)).run(clock_at("2022-03-10T16:00")).sent == 0
    assert len(zalo.oa_messages) == 1
