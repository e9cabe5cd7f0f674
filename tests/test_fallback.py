"""The fallback chain Zalo OA -> ZNS -> SMS end to end: the notifier and the channels configured from
`Settings` send real HTTP to the loopback Zalo and eSMS; the token store lives in the ledger
(SQLite file and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from esms_fake import INVALID_PHONE, ESMSFake
from test_outbox import at, prepared
from zalo_fake import OA_PATH, OAUTH_PATH, ZNS_PATH, ZaloFake

from commplan.ledger import EvidenceInput
from commplan.ledger.outbox import backoff
from commplan.notify.esms import ESMSChannel
from commplan.notify.messages import SMS_LIMIT, ZNS_LIMITS
from commplan.notify.notifier import Notifier
from commplan.notify.setup import configured_channels
from commplan.notify.zalo import ZaloOAChannel
from commplan.notify.zalo_tokens import LedgerZaloTokens
from commplan.notify.zns import ZNSChannel
from commplan.settings import Settings
from commplan.tick import changes_markdown, evaluate

pytestmark = pytest.mark.server  # the loopback Zalo and eSMS

TEMPLATE = "tpl-nhac-viec"
PARAMETERS = ("don_vi", "tinh_trang", "nhiem_vu", "han_chot", "so_nhiem_vu")  # ma_bao_cao only with links
TITLE = ("Báo cáo tuần về kết quả thông tin, tuyên truyền chuyển đổi số và phòng, chống tin giả, tin sai sự thật "
         "trên địa bàn tỉnh")
PLAN = f"""
- id: bao-cao-tuan
  title: {TITLE}
  kind: report
  lead: [buu-dien, viettel-post, ubnd-huyen-a]
  every: week
  from: 2022-03-07
  until: 2022-04-03
  due: {{weekday: thu, time: "14:00"}}
  reminders: {{before: [1d], on_due: true, overdue_every: 2d, escalate_after: 5d}}
"""
STRANGER, FOLLOWER = "8400000009", "8400000002"  # OA user ids: not following / following the OA
# buu-dien: not a follower, and no Zalo account on its phone -> SMS
# viettel-post: a follower (whose phone has Zalo too) -> OA only
# ubnd-huyen-a (a name longer than ZNS allows): a phone with Zalo, no OA user id -> ZNS
CONTACTS = {
    "buu-dien": f'{{name: Văn thư, zalo: "{STRANGER}", phone: "0912000009"}}',
    "viettel-post": f'{{name: Văn thư, zalo: "{FOLLOWER}", phone: "0912000002"}}',
    "ubnd-huyen-a": '{phone: "0912 000 003"}',
}
PHONES = {"buu-dien": "84912000009", "viettel-post": "84912000002", "ubnd-huyen-a": "84912000003"}
LONG_NAME = "Ủy ban nhân dân huyện A tỉnh Thử Nghiệm (UBND huyện A)"
NOW = at("2022-03-10T15:00")  # Thursday afternoon: working hours, the due step is queued


@pytest.fixture
def make_catalog(write_plan, tmp_path):
    """The plan above with `contacts` (unit -> one contact, as YAML flow) in the units file."""
    from conftest import UNITS_YAML

    from commplan.plan import load_catalog

    def make(contacts: dict[str, str] = CONTACTS):
        write_plan(PLAN)
        units = UNITS_YAML.replace("    name: UBND huyện A\n", f"    name: {LONG_NAME}\n")
        for unit, contact in contacts.items():
            name_line = next(line for line in units.splitlines() if line == f"  - id: {unit}")
            start = units.index(name_line)
            end = units.index("\n", units.index("    name: ", start)) + 1
            units = units[:end] + f"    contacts:\n      - {contact}\n" + units[end:]
        (tmp_path / "units.yaml").write_text(units, encoding="utf-8")
        return load_catalog([tmp_path], strict=True)[0]

    return make


@pytest.fixture
def esms():
    with ESMSFake() as fake:
        yield fake


def zalo_fake(**kwargs) -> ZaloFake:
    return ZaloFake(followers={FOLLOWER}, phones={PHONES["viettel-post"], PHONES["ubnd-huyen-a"]},
                    templates={TEMPLATE: PARAMETERS}, **kwargs)


@pytest.fixture
def zalo():
    with zalo_fake() as fake:
        yield fake


def settings_for(tmp_path, zalo: ZaloFake, esms: ESMSFake) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", zalo_app_id=zalo.app_id, zalo_secret_key=zalo.secret_key,
        zalo_oauth_base=zalo.base, zalo_api_base=zalo.base, zns_template_id=TEMPLATE, zns_api_base=zalo.base,
        esms_api_key=esms.api_key, esms_secret_key=esms.secret_key, esms_brandname="SOTTTT", esms_sandbox=True,
        esms_api_base=esms.base,
    )


def notifier(ledger, catalog, tmp_path, zalo, esms, *, seed: bool = True) -> Notifier:
    settings = settings_for(tmp_path, zalo, esms)
    channels = configured_channels(settings, ledger)
    assert (type(channels["zalo"]), type(channels["zns"]), type(channels["sms"])) == (ZaloOAChannel, ZNSChannel, ESMSChannel)
    if seed:  # what `commplan zalo-token --refresh-token` does once
        key = settings_for(tmp_path, zalo, esms).token_store_key  # what configured_channels uses
        LedgerZaloTokens(ledger, zalo.app_id, zalo.secret_key, key=key, oauth_base=zalo.base).seed(zalo.refresh_token)
    return Notifier(ledger, catalog, channels, worker="test")


def by_recipient(ledger, recipient: str) -> list[dict]:
    return sorted((d for d in ledger.deliveries() if d["recipient"] == recipient), key=lambda d: d["id"])


def test_a_unit_out_of_zalos_reach_gets_the_sms_exactly_once_in_one_run(ledger, make_catalog, tmp_path, zalo, esms, clock_at, set_now):
    catalog = make_catalog()
    prepared(ledger, catalog, clock_at, "2022-03-10T15:00")
    report = notifier(ledger, catalog, tmp_path, zalo, esms).run(NOW)
    assert (report.planned, report.sent, report.handed_on, report.failed, report.retried) == (3, 3, 2, 0, 0)

    oa, zns, sms = by_recipient(ledger, "buu-dien")
    assert (oa["channel"], oa["address"], oa["status"], oa["fallback_of"]) == ("zalo", STRANGER, "failed", None)
    assert oa["last_error"] == "Zalo OA -213: User has not followed OA; đã chuyển sang zns:84912000009"
    assert (zns["channel"], zns["address"], zns["status"], zns["fallback_of"]) == ("zns", "84912000009", "failed", oa["id"])
    assert zns["last_error"] == "Zalo ZNS -118: Zalo account not existed; đã chuyển sang sms:84912000009"
    assert (sms["channel"], sms["address"], sms["status"], sms["fallback_of"]) == ("sms", "84912000009", "sent", zns["id"])
    assert oa["reminder_ids"] == zns["reminder_ids"] == sms["reminder_ids"] != []  # the same steps, carried on
    texts = [m for m in esms.received if m["Phone"] == "84912000009"]
    assert len(texts) == 1 and texts[0]["Content"] == sms["body_sms"] and texts[0]["RequestId"] == f"commplan-{sms['id']}"
    assert sms["external_id"] == "sms-1" and len(texts[0]["Content"]) <= SMS_LIMIT and texts[0]["Content"].isascii()
    assert [m["user_id"] for m in zalo.oa_messages] == [FOLLOWER]  # Zalo delivered nothing to buu-dien
    assert "84912000009" not in [m["phone"] for m in zalo.zns_messages]

    again = notifier(ledger, catalog, tmp_path, zalo, esms, seed=False).run(set_now(NOW + dt.timedelta(hours=1)))
    assert (again.planned, again.sent) == (0, 0) and len(esms.received) == 1 and len(esms.requests) == 1
    assert evaluate(ledger, NOW + dt.timedelta(hours=2)).undelivered == []  # handed on is not undelivered


def test_a_follower_gets_the_oa_message_only(ledger, make_catalog, tmp_path, zalo, esms, clock_at):
    catalog = make_catalog()
    prepared(ledger, catalog, clock_at, "2022-03-10T15:00")
    notifier(ledger, catalog, tmp_path, zalo, esms).run(NOW)
    [only] = by_recipient(ledger, "viettel-post")
    assert (only["channel"], only["address"], only["status"], only["external_id"]) == ("zalo", FOLLOWER, "sent", "oa-msg-1")
    assert only["fallbacks"] == "zns:84912000002,sms:84912000002"  # were it unreachable
    assert [(m["user_id"], m["token"]) for m in zalo.oa_messages] == [(FOLLOWER, "oa-token-2")]  # the seeded token
    assert zalo.oa_messages[0]["text"] == only["body_text"] and TITLE in only["body_text"]
    assert "84912000002" not in [m["phone"] for m in zalo.zns_messages] + [m["Phone"] for m in esms.received]


def test_a_phone_only_unit_gets_a_zns_template_within_limits_with_a_stable_tracking_id(
        ledger, make_catalog, tmp_path, zalo, esms, clock_at, set_now):
    catalog = make_catalog()
    prepared(ledger, catalog, clock_at, "2022-03-10T15:00")
    zalo.fail_next(path=ZNS_PATH, error=-32)  # the first ZNS call hits the rate limit: retried later
    sender = notifier(ledger, catalog, tmp_path, zalo, esms)
    first = sender.run(NOW)
    assert first.retried == 1
    sender.send(set_now(NOW + backoff(1)), first)
    [zns] = by_recipient(ledger, "ubnd-huyen-a")
    assert (zns["channel"], zns["address"], zns["status"], zns["attempts"]) == ("zns", "84912000003", "sent", 2)
    assert zns["fallbacks"] == "sms:84912000003"
    [message] = [m for m in zalo.zns_messages if m["phone"] == "84912000003"]
    assert message["template_id"] == TEMPLATE and message["mode"] is None and zns["external_id"] == message["msg_id"]
    data = message["template_data"]
    assert data == json.loads(zns["template_data"]) and set(data) == set(PARAMETERS)
    assert all(len(value) <= ZNS_LIMITS[key] for key, value in data.items()), data
    assert data["don_vi"] == LONG_NAME[:29].rstrip() + "…" and data["nhiem_vu"] == TITLE[:89].rstrip() + "…"
    assert (data["tinh_trang"], data["han_chot"], data["so_nhiem_vu"]) == ("Đến hạn hôm nay", "14:00 10/03/2022", "1")
    # both attempts carried the same tracking id, the delivery's own
    sent = [r["body"]["tracking_id"] for r in zalo.requests if r["path"] == ZNS_PATH and r["body"]["phone"] == "84912000003"]
    assert sent == [f"commplan-{zns['id']}"] * 2 and message["tracking_id"] == f"commplan-{zns['id']}"
    assert "84912000003" not in [m["Phone"] for m in esms.received]


def test_a_zalo_locked_out_by_a_refused_refresh_hands_everything_on_to_sms(ledger, make_catalog, tmp_path, esms, clock_at):
    catalog = make_catalog()
    prepared(ledger, catalog, clock_at, "2022-03-10T15:00")
    with zalo_fake(refresh_token="refresh-issued-elsewhere") as zalo:
        sender = notifier(ledger, catalog, tmp_path, zalo, esms, seed=False)
        key = settings_for(tmp_path, zalo, esms).token_store_key
        tokens = LedgerZaloTokens(ledger, zalo.app_id, zalo.secret_key, key=key,
                                  oauth_base=zalo.base)
        tokens.seed("refresh-we-kept", access_token="oa-token-1", expires_in=0)  # lapsed: needs a refresh
        report = sender.run(NOW)
    assert (report.sent, report.failed, report.handed_on) == (3, 0, 5)
    assert sorted(m["Phone"] for m in esms.received) == sorted(PHONES.values())
    assert zalo.oa_messages == zalo.zns_messages == zalo.refreshes == []
    assert {r["path"] for r in zalo.requests} == {OAUTH_PATH}  # nothing was sent with a dead token
    failed = [d for d in ledger.deliveries() if d["channel"] in ("zalo", "zns")]
    assert len(failed) == 5 and all(d["status"] == "failed" and "-14020" in d["last_error"] for d in failed)
    assert all("; đã chuyển sang " in d["last_error"] for d in failed)
    assert all(d["status"] == "sent" for d in ledger.deliveries() if d["channel"] == "sms")
    stored = tokens.status()
    assert stored is not None and "-14020" in (stored.last_error or "")  # where `commplan zalo-token` shows it
    assert evaluate(ledger, NOW + dt.timedelta(hours=1)).undelivered == []


def test_a_permanent_failure_at_the_end_of_the_chain_is_reported_in_vietnamese(
        ledger, make_catalog, tmp_path, zalo, esms, clock_at):
    catalog = make_catalog({**CONTACTS, "buu-dien": f'{{zalo: "{STRANGER}", phone: "0{INVALID_PHONE[2:]}"}}'})
    prepared(ledger, catalog, clock_at, "2022-03-10T15:00")
    ledger.record_tick(at("2022-03-10T08:00"), {}, now=at("2022-03-10T08:00"))
    report = notifier(ledger, catalog, tmp_path, zalo, esms).run(NOW)
    assert (report.failed, report.handed_on) == (1, 2)
    _oa, _zns, sms = by_recipient(ledger, "buu-dien")
    assert (sms["status"], sms["last_error"], sms["fallbacks"]) == ("failed", "eSMS 108: Phone not valid", None)
    tick = evaluate(ledger, at("2022-03-10T16:00"))
    assert [(p["id"], p["recipient"], p["name"], p["channel"], p["address"], p["status"]) for p in tick.undelivered] == [
        (sms["id"], "buu-dien", "Bưu điện tỉnh Thử Nghiệm", "sms", INVALID_PHONE, "failed")]  # not the OA, not ZNS
    text = changes_markdown(tick)
    assert text.startswith("# Thay đổi từ 08:00 10/03/2022 đến 16:00 10/03/2022\n")
    assert ("\n## Nhắc việc không gửi được\n\n"
            f"- **Bưu điện tỉnh Thử Nghiệm** qua SMS ({INVALID_PHONE}): không gửi được (chi tiết kỹ thuật: eSMS 108: Phone not valid)\n") in text
    assert "Zalo OA (" not in text and "Zalo ZNS (" not in text


SUPERSEDED = "superseded by a later step (a tick was missed)"


def test_a_reminder_held_for_quiet_hours_is_dropped_when_the_work_is_done_overnight(
        ledger, make_catalog, tmp_path, zalo, esms, clock_at):
    catalog = make_catalog()
    prepared(ledger, catalog, clock_at, "2022-03-10T21:00")
    sender = notifier(ledger, catalog, tmp_path, zalo, esms)
    night = sender.run(at("2022-03-10T21:00"))
    # Zalo, ZNS and SMS keep quiet hours: nothing is composed for them at night, so the morning's
    # message is written fresh, with whatever is still owed then
    assert (night.planned, night.sent) == (0, 0) and ledger.deliveries() == []
    done = ledger.record_evidence("bao-cao-tuan", "buu-dien", EvidenceInput(kind="document", document="bc.pdf"),
                                  now=at("2022-03-10T22:00"))
    assert done.status == "done-late"
    morning = sender.run(clock_at("2022-03-11T07:30"))
    assert by_recipient(ledger, "buu-dien") == []  # done overnight: never said
    steps = [r for r in ledger.reminders() if r["recipient"] == "buu-dien" and r["reason"] != SUPERSEDED]
    assert steps and {(r["status"], r["reason"]) for r in steps} == {("skipped", "đã hoàn thành hoặc được miễn trước khi kịp gửi")}
    assert morning.sent == 2 and morning.handed_on == 0 and morning.dropped == len(steps)  # the two units still owing it
    assert [m["user_id"] for m in zalo.oa_messages] == [FOLLOWER]
    assert [m["phone"] for m in zalo.zns_messages] == ["84912000003"]
    assert STRANGER not in [r["body"].get("recipient", {}).get("user_id") for r in zalo.requests if r["path"] == OA_PATH]
    assert esms.requests == []
    assert evaluate(ledger, at("2022-03-11T08:00")).undelivered == []  # a dropped step is not a failure
