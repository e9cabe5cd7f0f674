"""Zalo OA messages against a loopback server that speaks the documented API and its error codes."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from commplan.ledger.outbox import Claimed
from commplan.notify.channels import PermanentError, TemporaryError
from commplan.notify.notifier import Notifier
from commplan.notify.setup import configured_channels
from commplan.notify.zalo import NotifyZaloOA, ZaloOAChannel
from commplan.settings import Settings
from test_email_channel import catalog  # noqa: F401 - the plan with contacts (viettel-post follows the OA)
from test_outbox import at, prepared

TOKEN = "oa-token-1"


class FakeZalo(BaseHTTPRequestHandler):
    """POST /v3.0/oa/message/cs as Zalo answers it: HTTP 200 with `error` in the body."""

    received: list[dict] = []

    def do_POST(self):  # noqa: N802 - the http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        user = body["recipient"]["user_id"]
        if self.path != "/v3.0/oa/message/cs":
            return self._answer(404, {"error": -1, "message": "not found"})
        if self.headers.get("access_token") == "expired":
            return self._answer(200, {"error": -216, "message": "Access token is invalid"})
        if user == "stale":
            return self._answer(200, {"error": -230, "message": "User has not interacted with the OA in the past 7 days"})
        if user == "busy":
            return self._answer(200, {"error": -32, "message": "Your OA reached limit call api"})
        if user == "broken":
            return self._answer(502, {"error": -100, "message": "bad gateway"})
        FakeZalo.received.append({"user_id": user, "text": body["message"]["text"], "token": self.headers["access_token"]})
        self._answer(200, {"error": 0, "message": "Success", "data": {"message_id": f"m-{len(FakeZalo.received)}", "user_id": user}})

    def _answer(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:  # keep test output quiet
        pass


@pytest.fixture
def zalo():
    FakeZalo.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeZalo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def delivery(address: str) -> Claimed:
    return Claimed(id=7, recipient="viettel-post", channel="zalo", address=address, subject="S",
                   body_text="Viettel Post: đến hạn hôm nay.\nBáo cáo tuần", body_html="<p>x</p>", body_sms="x", attempts=1)


def test_a_message_reaches_the_follower_with_the_oa_token(zalo):
    assert ZaloOAChannel(TOKEN, zalo).send(delivery("8400000002")) == "m-1"
    assert FakeZalo.received == [{"user_id": "8400000002", "text": "Viettel Post: đến hạn hôm nay.\nBáo cáo tuần", "token": TOKEN}]


@pytest.mark.parametrize(
    ("address", "token", "error", "message"),
    [("stale", TOKEN, PermanentError, "Zalo OA -230: User has not interacted"),
     ("busy", TOKEN, TemporaryError, "Zalo OA -32: Your OA reached limit call api"),
     ("broken", TOKEN, TemporaryError, "Zalo OA -100: bad gateway"),
     ("8400000002", "expired", TemporaryError, "Zalo OA -216: Access token is invalid")],
)
def test_zalo_error_codes_become_temporary_or_permanent(zalo, address, token, error, message):
    with pytest.raises(error, match=message):
        ZaloOAChannel(token, zalo).send(delivery(address))


def test_an_unreachable_zalo_is_temporary():
    with pytest.raises(TemporaryError, match="Zalo OA unreachable"):
        ZaloOAChannel(TOKEN, "http://127.0.0.1:9").send(delivery("8400000002"))


def test_the_plugin_url_round_trips_and_hides_the_token():
    plugin = NotifyZaloOA(user_id="8400000002", token="secret-token-1", base="https://openapi.zalo.me")
    assert plugin.url(privacy=True).startswith("zalooa://8400000002?") and "secret-token-1" not in plugin.url(privacy=True)
    parsed = NotifyZaloOA.parse_url(plugin.url())
    assert (parsed["user_id"], parsed["token"], parsed["base"]) == ("8400000002", "secret-token-1", "https://openapi.zalo.me")


def test_the_notifier_sends_zalo_through_the_oa_once(ledger, catalog, zalo, tmp_path):  # noqa: F811
    settings = Settings(data_dir=tmp_path / "data", zalo_access_token=TOKEN, zalo_api_base=zalo)
    prepared(ledger, catalog)
    report = Notifier(ledger, catalog, configured_channels(settings)).run(at("2022-03-10T15:00"))
    assert report.sent == 4 and [r["user_id"] for r in FakeZalo.received] == ["8400000002"]
    assert FakeZalo.received[0]["text"].startswith("Chi nhánh Viettel Post tỉnh Thử Nghiệm: đến hạn hôm nay.")
    zalo_delivery = next(d for d in ledger.deliveries() if d["channel"] == "zalo")
    assert zalo_delivery["external_id"] == "m-1" and zalo_delivery["status"] == "sent"
    assert Notifier(ledger, catalog, configured_channels(settings)).run(at("2022-03-10T16:00")).sent == 0
    assert len(FakeZalo.received) == 1
