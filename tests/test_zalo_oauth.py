"""The OAuth v4 refresh against the loopback Zalo: rotation, single use, and what each failure means."""

from __future__ import annotations

import pytest
import requests
from zalo_fake import OA_PATH, OAUTH_PATH, ZaloFake

from commplan.notify.channels import PermanentError, TemporaryError
from commplan.notify.zalo_oauth import PERMISSION_URL, RefreshRejected, TokenPair, refresh_tokens

pytestmark = pytest.mark.server  # the loopback Zalo


@pytest.fixture
def zalo():
    with ZaloFake(followers={"8400000002"}) as fake:
        yield fake


def refresh(zalo: ZaloFake, token: str, **kwargs) -> TokenPair:
    return refresh_tokens(kwargs.pop("app_id", "app-1"), kwargs.pop("secret", "secret-1"), token, base=zalo.base,
                          **kwargs)


def test_a_refresh_returns_a_new_pair_with_the_lifetime_in_seconds(zalo):
    assert refresh(zalo, "refresh-1") == TokenPair("oa-token-2", "refresh-2", 90000)
    sent = zalo.requests[0]
    assert sent["path"] == OAUTH_PATH and sent["headers"]["secret_key"] == "secret-1"
    assert sent["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert sent["body"] == {"app_id": "app-1", "grant_type": "refresh_token", "refresh_token": "refresh-1"}


def test_the_refresh_token_rotates_and_each_one_works_once(zalo):
    first = refresh(zalo, "refresh-1")
    second = refresh(zalo, first.refresh_token)
    assert (second.access_token, second.refresh_token) == ("oa-token-3", "refresh-3")
    with pytest.raises(RefreshRejected, match="-14020") as raised:
        refresh(zalo, "refresh-1")
    assert isinstance(raised.value, PermanentError) and PERMISSION_URL in str(raised.value)
    assert "quản trị viên cần cấp quyền lại cho OA" in str(raised.value)
    assert (zalo.access_token, zalo.refresh_token) == ("oa-token-3", "refresh-3")  # the reuse changed nothing
    assert refresh(zalo, "refresh-3").refresh_token == "refresh-4"


def test_the_new_access_token_is_accepted_by_the_oa(zalo):
    pair = refresh(zalo, "refresh-1")
    answer = requests.post(zalo.base + OA_PATH, headers={"access_token": pair.access_token}, timeout=5,
                           json={"recipient": {"user_id": "8400000002"}, "message": {"text": "x"}}).json()
    assert answer["error"] == 0 and zalo.oa_messages[0]["token"] == "oa-token-2"


@pytest.mark.parametrize("kwargs", [dict(secret="wrong"), dict(app_id="app-2")])
def test_wrong_app_credentials_are_rejected(zalo, kwargs):
    with pytest.raises(RefreshRejected, match="-14003"):
        refresh(zalo, "refresh-1", **kwargs)
    assert zalo.refreshes == [] and zalo.refresh_token == "refresh-1"


@pytest.mark.parametrize(
    ("forced", "message"),
    [(dict(error=None, http=503), "HTTP 503"),
     (dict(error=None, http=200, message="<html>maintenance</html>"), "không có đối tượng JSON")],
)
def test_server_trouble_is_temporary(zalo, forced, message):
    zalo.fail_next(path=OAUTH_PATH, **forced)
    with pytest.raises(TemporaryError, match=message):
        refresh(zalo, "refresh-1")
    assert refresh(zalo, "refresh-1").refresh_token == "refresh-2"  # the refresh token was not spent


def test_a_network_error_is_temporary():
    with pytest.raises(TemporaryError, match="không kết nối được Zalo OAuth"):
        refresh_tokens("app-1", "secret-1", "refresh-1", base="http://127.0.0.1:9", timeout=2)
