"""SMS through apprise's own services, by URL (`COMMPLAN_SMS_APPRISE_URL` with {phone}).

The real SMS services (Twilio, Vonage, SMPP, …) cannot be reached from here; apprise's `json://`
service, posting to a loopback server, drives the same channel code: the URL template, the
unaccented one-segment text, and a refusal as a temporary error."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from commplan.ledger.outbox import Claimed
from commplan.notify.channels import TemporaryError
from commplan.notify.setup import configured_channels
from commplan.notify.sms_apprise import AppriseSMSChannel
from commplan.settings import Settings

pytestmark = pytest.mark.server  # a loopback HTTP server

SMS = "Den han hom nay: Bao cao tuan - Han 14:00 10/03/2022"


@pytest.fixture
def gateway():
    received, status = [], {"code": 200}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append((self.path, json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
            self.send_response(status["code"])
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}", received, status
    server.shutdown()
    server.server_close()


def delivery() -> Claimed:
    return Claimed(id=3, recipient="buu-dien", channel="sms", address="84912000001", subject="S", body_text="t",
                   body_html="<p>t</p>", body_sms=SMS, attempts=1)


def test_the_phone_goes_into_the_url_and_the_sms_text_is_sent(gateway):
    where, received, _ = gateway
    channel = AppriseSMSChannel(f"json://{where}/sms/{{phone}}")
    assert channel.send(delivery()) == "sms:3"
    [(path, body)] = received
    assert path == "/sms/84912000001" and body["message"] == SMS


def test_a_refusal_is_temporary_and_a_url_without_phone_is_refused(gateway):
    where, received, status = gateway
    status["code"] = 503
    with pytest.raises(TemporaryError, match="không nhận tin"):
        AppriseSMSChannel(f"json://{where}/sms/{{phone}}").send(delivery())
    assert len(received) == 1
    with pytest.raises(ValueError, match=r"cần có \{phone\} ở chỗ đặt số điện thoại người nhận"):
        AppriseSMSChannel(f"json://{where}/sms")


def test_settings_choose_it_when_esms_is_not_configured(gateway, tmp_path):
    where, _, _ = gateway
    settings = Settings(data_dir=tmp_path, sms_apprise_url=f"json://{where}/{{phone}}")
    assert isinstance(configured_channels(settings)["sms"], AppriseSMSChannel)
    both = settings.model_copy(update={"esms_api_key": "k", "esms_secret_key": "s", "esms_brandname": "B"})
    assert not isinstance(configured_channels(both)["sms"], AppriseSMSChannel)  # eSMS wins when configured
