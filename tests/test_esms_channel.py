"""eSMS.vn against a loopback server that speaks its documented API: HTTP 200 even on errors."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from commplan.ledger.outbox import Claimed
from commplan.notify.channels import PermanentError, TemporaryError
from commplan.notify.esms import PATH, ESMSChannel
from commplan.notify.notifier import Notifier
from commplan.notify.setup import configured_channels
from commplan.settings import Settings
from test_email_channel import catalog  # noqa: F401 - the plan with contacts (buu-dien has a phone)
from test_outbox import at, prepared


class FakeESMS(BaseHTTPRequestHandler):
    received: list[dict] = []
    seen: set[str] = set()

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path != PATH:
            return self._answer({"error": "Invalid request"})
        if body["ApiKey"] != "key-1" or body["SecretKey"] != "secret-1":
            return self._answer({"CodeResult": "101", "ErrorMessage": "Authorize Failed"})
        if body["Phone"] == "84900000000":
            return self._answer({"CodeResult": "108", "ErrorMessage": "Phone not valid"})
        if body["Phone"] == "84911111111":
            return self._answer({"CodeResult": "103", "ErrorMessage": "Balance not enough"})
        if body["RequestId"] in FakeESMS.seen:
            return self._answer({"CodeResult": "124", "ErrorMessage": "Request exist 1", "SendStatus": "5"})
        FakeESMS.seen.add(body["RequestId"])
        FakeESMS.received.append(body)
        self._answer({"CodeResult": "100", "CountRegenerate": 0, "SMSID": f"sms-{len(FakeESMS.received)}"})

    def _answer(self, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(200)  # eSMS answers 200 for errors too
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def esms():
    FakeESMS.received, FakeESMS.seen = [], set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeESMS)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def delivery(phone: str, delivery_id: int = 5) -> Claimed:
    return Claimed(id=delivery_id, recipient="buu-dien", channel="sms", address=phone, subject="S", body_text="t",
                   body_html="<p>t</p>", body_sms="Den han hom nay: Bao cao tuan - Han 14:00 10/03/2022", attempts=1)


def channel(base: str, key: str = "key-1") -> ESMSChannel:
    return ESMSChannel(key, "secret-1", "SOTTTT", sandbox=True, base=base)


def test_an_sms_is_sent_unaccented_with_our_request_id(esms):
    assert channel(esms).send(delivery("84912000001")) == "sms-1"
    sent = FakeESMS.received[0]
    assert (sent["Phone"], sent["Brandname"], sent["SmsType"], sent["IsUnicode"], sent["Sandbox"], sent["RequestId"]) == (
        "84912000001", "SOTTTT", "2", "0", "1", "commplan-5")
    assert sent["Content"] == "Den han hom nay: Bao cao tuan - Han 14:00 10/03/2022"


def test_a_repeated_request_id_is_already_sent_not_a_second_sms(esms):
    assert channel(esms).send(delivery("84912000001")) == "sms-1"
    assert channel(esms).send(delivery("84912000001")) == "esms:commplan-5"  # code 124: eSMS kept the first
    assert len(FakeESMS.received) == 1


@pytest.mark.parametrize(
    ("phone", "key", "error", "message"),
    [("84900000000", "key-1", PermanentError, "eSMS 108: Phone not valid"),
     ("84912000001", "wrong", PermanentError, "eSMS 101: Authorize Failed"),
     ("84911111111", "key-1", TemporaryError, "eSMS answered 200 103: Balance not enough")],
)
def test_code_result_decides_not_the_http_status(esms, phone, key, error, message):
    with pytest.raises(error, match=message):
        channel(esms, key).send(delivery(phone))


def test_the_notifier_sends_sms_through_esms(ledger, catalog, esms, tmp_path):  # noqa: F811
    settings = Settings(data_dir=tmp_path / "data", esms_api_key="key-1", esms_secret_key="secret-1",
                        esms_brandname="SOTTTT", esms_sandbox=True, esms_api_base=esms)
    prepared(ledger, catalog)
    report = Notifier(ledger, catalog, configured_channels(settings)).run(at("2022-03-10T15:00"))
    assert report.sent == 4 and [m["Phone"] for m in FakeESMS.received] == ["84912000001"]
    assert len(FakeESMS.received[0]["Content"]) <= 160 and FakeESMS.received[0]["Content"].isascii()
