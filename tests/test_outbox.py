"""The outbox: each step delivered once per address, claims are compare-and-set, failures retried
or closed, a crash re-checked rather than re-sent, quiet hours kept (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from conftest import weekly_report

from commplan.ledger import Ledger
from commplan.ledger.outbox import MAX_ATTEMPTS, backoff
from commplan.notify.channels import FileChannel, PermanentError, TemporaryError
from commplan.notify.notifier import Notifier, SendReport, next_send_time
from commplan.schedule.workdays import WorkCalendar

VN = dt.timezone(dt.timedelta(hours=7))
PLAN = weekly_report(extra="  reminders: {before: [1d], on_due: true, overdue_every: 2d, escalate_after: 5d}\n")
CONTACTS = '''
  - id: buu-dien
    name: Bưu điện tỉnh Thử Nghiệm
    contacts:
      - {email: bd@example.gov.vn, phone: "0912000001"}
  - id: viettel-post
    name: Chi nhánh Viettel Post tỉnh Thử Nghiệm
    contacts:
      - {email: vtp@example.gov.vn, zalo: "8400000002"}
'''


def at(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).replace(tzinfo=VN)


@pytest.fixture
def catalog(write_plan, tmp_path):
    from conftest import UNITS_YAML

    catalog = write_plan(PLAN)
    units = UNITS_YAML.replace(
        "  - id: buu-dien\n    name: Bưu điện tỉnh Thử Nghiệm\n  - id: viettel-post\n    name: Chi nhánh Viettel Post tỉnh Thử Nghiệm\n",
        CONTACTS.lstrip("\n"))
    (tmp_path / "units.yaml").write_text(units, encoding="utf-8")
    from commplan.plan import load_catalog

    catalog, _ = load_catalog([tmp_path])
    return catalog


class Recording(FileChannel):
    """A file channel that can be made to fail, to drive the outbox through its states."""

    def __init__(self, name, path, *, fail=None, idempotent=True, quiet_hours=False):
        super().__init__(name, path)
        self.fail = fail
        self.idempotent = idempotent
        self.quiet_hours = quiet_hours

    def send(self, delivery):
        if self.fail:
            raise self.fail
        return super().send(delivery)


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def prepared(ledger, catalog, clock_at, moment="2022-03-10T15:00"):
    ledger.sync(catalog, now=at("2022-03-01T08:00"))
    ledger.queue_reminders(catalog, as_of=clock_at(moment), now=at(moment))


def test_each_step_goes_once_to_each_address_as_one_digest(ledger, catalog, tmp_path, clock_at):
    prepared(ledger, catalog, clock_at)
    out = tmp_path / "out.jsonl"
    channels = {name: Recording(name, out) for name in ("email", "zalo", "sms")}
    report = Notifier(ledger, catalog, channels).run(at("2022-03-10T15:00"))
    sent = lines(out)
    assert report.sent == report.planned == len(sent) == 4  # buu-dien: email + sms; viettel-post: email + zalo
    assert sorted((s["recipient"], s["channel"], s["to"]) for s in sent) == [
        ("buu-dien", "email", "bd@example.gov.vn"), ("buu-dien", "sms", "84912000001"),
        ("viettel-post", "email", "vtp@example.gov.vn"), ("viettel-post", "zalo", "8400000002")]
    email = next(s for s in sent if s["to"] == "bd@example.gov.vn")
    assert email["subject"] == "[Nhắc việc] Đến hạn hôm nay: Báo cáo tuần"
    again = Notifier(ledger, catalog, channels).run(clock_at("2022-03-10T15:30"))
    assert (again.planned, again.sent) == (0, 0) and len(lines(out)) == 4
    # the next step (overdue-1 on 12/03 14:00) is a new delivery, once
    ledger.queue_reminders(catalog, as_of=clock_at("2022-03-12T15:00"), now=at("2022-03-12T15:00"))
    later = Notifier(ledger, catalog, channels).run(at("2022-03-12T15:00"))
    assert later.sent == 4 and len(lines(out)) == 8
    assert {s["subject"] for s in lines(out)[4:]} == {"[Nhắc việc] Quá hạn 2 ngày: Báo cáo tuần"}


def test_a_failing_channel_never_blocks_the_others_and_is_retried_then_closed(ledger, catalog, tmp_path, set_now, clock_at):
    prepared(ledger, catalog, clock_at)
    out = tmp_path / "out.jsonl"
    flaky = Recording("sms", out, fail=TemporaryError("gateway 503"))
    channels = {"email": Recording("email", out), "zalo": Recording("zalo", out, fail=PermanentError("user unfollowed the OA")),
                "sms": flaky}
    report = Notifier(ledger, catalog, channels).run(at("2022-03-10T15:00"))
    assert (report.sent, report.retried, report.failed) == (2, 1, 1)
    failed = ledger.deliveries(statuses=["failed"])
    assert [(d["channel"], d["last_error"]) for d in failed] == [("zalo", "user unfollowed the OA")]
    pending = ledger.deliveries(statuses=["pending"])[0]
    assert pending["next_attempt_at"] == at("2022-03-10T15:00") + backoff(1)
    moment = at("2022-03-10T15:00")
    for attempt in range(2, MAX_ATTEMPTS + 1):
        moment = set_now(moment + backoff(attempt))
        Notifier(ledger, catalog, channels).send(moment, SendReport())
    gave_up = ledger.deliveries(statuses=["failed"])
    assert sorted(d["channel"] for d in gave_up) == ["sms", "zalo"]
    assert next(d for d in gave_up if d["channel"] == "sms")["last_error"] == f"dừng sau {MAX_ATTEMPTS} lần thử: gateway 503"
    flaky.fail = None  # closed for good: a recovered gateway does not resend it
    assert Notifier(ledger, catalog, channels).run(set_now(moment + dt.timedelta(days=1))).sent == 0


def test_a_crash_between_claim_and_confirmation_is_rechecked_not_blindly_resent(ledger, catalog, tmp_path, clock_at):
    prepared(ledger, catalog, clock_at)
    out = tmp_path / "out.jsonl"
    channels = {"email": Recording("email", out, idempotent=False), "zalo": Recording("zalo", out),
                "sms": Recording("sms", out)}
    notifier = Notifier(ledger, catalog, channels, worker="dies")
    notifier.plan(at("2022-03-10T15:00"), SendReport())
    claimed = ledger.claim_deliveries("dies", now=at("2022-03-10T15:00"), channels=channels)
    assert len(claimed) == 4 and all(ledger.touch_delivery(d.id, "dies") for d in claimed)  # sending ... killed here
    early = Notifier(ledger, catalog, channels, worker="next").run(clock_at("2022-03-10T15:05"))
    assert early.sent == 0 and early.unknown == 0  # within the lease: still the other sender's
    # the lease runs on the process clock, from the claim: 15 minutes on, the claim is stale
    later = Notifier(ledger, catalog, channels, worker="next").run(clock_at("2022-03-10T15:20"))
    assert (later.sent, later.unknown) == (2, 2)  # zalo and sms re-sent (idempotent); email left unknown
    assert sorted(d["channel"] for d in ledger.deliveries(statuses=["unknown"])) == ["email", "email"]
    assert len(lines(out)) == 2
    assert not ledger.confirm_delivery(claimed[0].id, "dies", outcome="sent")  # the dead claim cannot confirm now


def test_quiet_hours_hold_sms_and_zalo_until_the_next_working_morning(ledger, catalog, tmp_path, clock_at):
    calendar = WorkCalendar("VN")
    assert next_send_time(at("2026-02-13T21:00"), calendar) == at("2026-02-23T07:30")  # Friday night before Tết
    assert next_send_time(at("2026-03-02T06:00"), calendar) == at("2026-03-02T07:30")
    assert next_send_time(at("2026-03-02T10:00"), calendar) == at("2026-03-02T10:00")
    prepared(ledger, catalog, clock_at, "2022-03-10T22:00")
    out = tmp_path / "out.jsonl"
    channels = {"email": Recording("email", out), "zalo": Recording("zalo", out, quiet_hours=True),
                "sms": Recording("sms", out, quiet_hours=True)}
    night = Notifier(ledger, catalog, channels).run(at("2022-03-10T22:00"))
    assert night.sent == 2 and {s["channel"] for s in lines(out)} == {"email"}
    morning = Notifier(ledger, catalog, channels).run(clock_at("2022-03-11T07:30"))
    assert morning.sent == 2 and {s["channel"] for s in lines(out)[2:]} == {"zalo", "sms"}


def test_two_workers_draining_one_outbox_send_each_message_once(ledger_url, catalog, tmp_path, clock_at):
    with Ledger(ledger_url) as ledger:
        ledger.sync(catalog, now=at("2022-03-01T08:00"))
        for day in range(10, 31):
            moment = clock_at(f"2022-03-{day}T15:00")
            ledger.queue_reminders(catalog, as_of=moment, now=moment)
            Notifier(ledger, catalog, {n: Recording(n, tmp_path / "x") for n in ("email", "zalo", "sms")}).plan(moment, SendReport())
        planned = len(ledger.deliveries())
    out = tmp_path / "out.jsonl"
    errors = []
    clock_at("2022-04-01T09:00")

    def drain(worker: str):
        try:
            with Ledger(ledger_url) as own:
                channels = {n: Recording(n, out) for n in ("email", "zalo", "sms")}
                Notifier(own, catalog, channels, worker=worker).send(at("2022-04-01T09:00"), SendReport(), batch=3)
        except Exception as exc:  # surfaced below
            errors.append(exc)

    workers = [threading.Thread(target=drain, args=(f"w{i}",)) for i in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert errors == []
    ids = [s["delivery"] for s in lines(out)]
    assert planned > 20 and sorted(ids) == sorted(set(ids)) and len(ids) == planned


def test_a_claim_nobody_started_on_goes_back_and_is_sent_once(ledger, catalog, tmp_path, clock_at):
    """Claimed in a batch but never started (the sender died first, or its batch outlasted the lease):
    not a possible duplicate, so every channel sends it, once."""
    prepared(ledger, catalog, clock_at)
    out = tmp_path / "out.jsonl"
    channels = {"email": Recording("email", out, idempotent=False), "zalo": Recording("zalo", out, idempotent=False),
                "sms": Recording("sms", out, idempotent=False)}
    Notifier(ledger, catalog, channels, worker="dies").plan(at("2022-03-10T15:00"), SendReport())
    claimed = ledger.claim_deliveries("dies", now=at("2022-03-10T15:00"), channels=channels)
    assert len(claimed) == 4 and {d["status"] for d in ledger.deliveries()} == {"claimed"}
    later = Notifier(ledger, catalog, channels, worker="next").run(clock_at("2022-03-10T15:20"))
    assert (later.sent, later.unknown) == (4, 0) and len(lines(out)) == 4
    assert not ledger.touch_delivery(claimed[0].id, "dies")  # the dead sender's claim is gone: it cannot send
