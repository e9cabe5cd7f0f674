"""eSMS.vn against a loopback server that speaks its documented API: HTTP 200 even on errors."""

from __future__ import annotations

import pytest
from esms_fake import ESMSFake
from test_email_channel import catalog  # noqa: F401 - the plan with contacts (buu-dien has a phone)
from test_outbox import at, prepared

from commplan.ledger.outbox import Claimed
from commplan.notify.channels import PermanentError, TemporaryError
from commplan.notify.esms import ESMSChannel
from commplan.notify.notifier import Notifier
from commplan.notify.setup import configured_channels
from commplan.settings import Settings

pytestmark = pytest.mark.server  # the loopback eSMS


@pytest.fixture
def fake():
    with ESMSFake() as server:
        yield server


@pytest.fixture
def esms(fake):
    return fake.base


def delivery(phone: str, delivery_id: int = 5) -> Claimed:
    return Claimed(id=delivery_id, recipient="buu-dien", channel="sms", address=phone, subject="S", body_text="t",
                   body_html="<p>t</p>", body_sms="Den han hom nay: Bao cao tuan - Han 14:00 10/03/2022", attempts=1)


def channel(base: str, key: str = "key-1") -> ESMSChannel:
    return ESMSChannel(key, "secret-1", "SOTTTT", sandbox=True, base=base)


def test_an_sms_is_sent_unaccented_with_our_request_id(fake, esms):
    assert channel(esms).send(delivery("84912000001")) == "sms-1"
    sent = fake.received[0]
    assert (sent["Phone"], sent["Brandname"], sent["SmsType"], sent["IsUnicode"], sent["Sandbox"], sent["RequestId"]) == (
        "84912000001", "SOTTTT", "2", "0", "1", "commplan-5")
    assert sent["Content"] == "Den han hom nay: Bao cao tuan - Han 14:00 10/03/2022"


def test_a_repeated_request_id_is_already_sent_not_a_second_sms(fake, esms):
    assert channel(esms).send(delivery("84912000001")) == "sms-1"
    assert channel(esms).send(delivery("84912000001")) == "esms:commplan-5"  # code 124: eSMS kept the first
    assert len(fake.received) == 1


@pytest.mark.parametrize(
    ("phone", "key", "error", "message"),
    [("84900000000", "key-1", PermanentError, "eSMS 108: Phone not valid"),
     ("84912000001", "wrong", PermanentError, "eSMS 101: Authorize Failed"),
     ("84911111111", "key-1", TemporaryError, "eSMS trả lời HTTP 200 103: Balance not enough")],
)
def test_code_result_decides_not_the_http_status(fake, esms, phone, key, error, message):
    with pytest.raises(error, match=message):
        channel(esms, key).send(delivery(phone))


def test_the_notifier_sends_sms_through_esms(ledger, catalog, fake, esms, tmp_path, clock_at):
    settings = Settings(data_dir=tmp_path / "data", esms_api_key="key-1", esms_secret_key="secret-1",
                        esms_brandname="SOTTTT", esms_sandbox=True, esms_api_base=esms)
    prepared(ledger, catalog, clock_at)
    report = Notifier(ledger, catalog, configured_channels(settings)).run(at("2022-03-10T15:00"))
    assert report.sent == 1 and [m["Phone"] for m in fake.received] == ["84912000001"]  # the only phone
    assert len(fake.received[0]["Content"]) <= 160 and fake.received[0]["Content"].isascii()


def test_a_lost_answer_is_asked_again_at_once_and_eSMS_keeps_one_message(ledger, catalog, fake, esms, tmp_path, clock_at):
    """The gateway took the SMS but its answer never came (a read timeout): re-sent at once with the same
    RequestId, which eSMS remembers for the day, never in a later tick when it may have forgotten."""
    import time

    inner = fake.answer
    slowed: list[str] = []

    def slow_first(path, body):
        result = inner(path, body)
        if not slowed:
            slowed.append(body["RequestId"])
            time.sleep(6)  # past apprise's 4 s read timeout
        return result

    fake.answer = slow_first
    settings = Settings(data_dir=tmp_path / "data", esms_api_key="key-1", esms_secret_key="secret-1",
                        esms_brandname="SOTTTT", esms_sandbox=True, esms_api_base=esms)
    prepared(ledger, catalog, clock_at)
    report = Notifier(ledger, catalog, configured_channels(settings)).run(at("2022-03-10T15:00"))
    assert (report.sent, report.unknown, report.retried) == (1, 0, 0)
    assert len(fake.requests) == 2 and len(fake.received) == 1  # asked twice, one SMS
    assert [d["status"] for d in ledger.deliveries()] == ["sent"]


def test_a_refused_connection_never_left_and_is_retried_later():
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(TemporaryError, match="không kết nối được eSMS"):
        channel(f"http://127.0.0.1:{port}").send(delivery("84912000001"))
