"""The reminder keys of plan format 1.1, per plan and per obligation: `stop_after`, `channels`,
`digest_at`, `quiet_hours` (real SQLite and PostgreSQL ledgers; file and loopback channels)."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from conftest import UNITS_YAML, plan_yaml
from esms_fake import ESMSFake
from sqlalchemy import text
from test_fallback import STRANGER, zalo_fake
from test_fallback import notifier as loopback_notifier
from test_outbox import CONTACTS as OUTBOX_CONTACTS
from test_outbox import VN, Recording, at, lines
from test_plan_errors import plan_errors

from commplan.ledger import Ledger
from commplan.ledger.engine import create_ledger_engine, upgrade
from commplan.notify.channels import TemporaryError
from commplan.notify.notifier import Notifier, SendReport
from commplan.notify.windows import SendWindow
from commplan.plan import load_catalog
from commplan.plan.model import Days, QuietHours
from commplan.schedule.reminders import steps_until
from commplan.schedule.workdays import WorkCalendar
from commplan.tick import evaluate

CONTACTS = OUTBOX_CONTACTS.lstrip("\n")  # the two postal units with a phone, a Zalo id and an email
POSTAL = ("  - id: buu-dien\n    name: Bưu điện tỉnh Thử Nghiệm\n"
          "  - id: viettel-post\n    name: Chi nhánh Viettel Post tỉnh Thử Nghiệm\n")


def weekly(code: str, title: str, *, lead: str = "[buu-dien, viettel-post]", reminders: str = "",
           until: str = "2022-04-03") -> str:
    """A weekly report due Thursday 14:00, from the week of 7/3/2022."""
    text = (f"- id: {code}\n  title: {title}\n  kind: report\n  lead: {lead}\n  every: week\n  from: 2022-03-07\n"
            f"  until: {until}\n  due: {{weekday: thu, time: \"14:00\"}}\n")
    return text + (f"  reminders: {reminders}\n" if reminders else "")


def catalog_of(tmp_path, obligations: str, header: str = "", contacts: str = CONTACTS):
    (tmp_path / "units.yaml").write_text(UNITS_YAML.replace(POSTAL, contacts), encoding="utf-8")
    (tmp_path / "plan.yaml").write_text(plan_yaml(obligations, header), encoding="utf-8")
    return load_catalog([tmp_path], strict=True)[0]


def phone_and_email(out) -> dict:
    """File channels; Zalo and SMS ring phones, so they keep quiet hours."""
    return {"email": Recording("email", out), "zalo": Recording("zalo", out, quiet_hours=True),
            "sms": Recording("sms", out, quiet_hours=True)}


@pytest.fixture(autouse=True)
def _restore_clock(monkeypatch):
    """`clock_to` sets COMMPLAN_NOW directly; this puts the variable back after each test."""
    monkeypatch.setenv("COMMPLAN_NOW", dt.datetime.now(dt.UTC).isoformat())


def clock_to(moment: dt.datetime) -> dt.datetime:
    """Run as if it were `moment` (COMMPLAN_NOW), so that what the test drives then really queues and sends."""
    os.environ["COMMPLAN_NOW"] = moment.isoformat()
    return moment


def tick(ledger, catalog, channels, moment: dt.datetime) -> SendReport:
    clock_to(moment)
    ledger.queue_reminders(catalog, as_of=moment, now=moment)
    return Notifier(ledger, catalog, channels).run(moment)


def carried(ledger, *, since: dt.datetime | None = None) -> list[tuple[str, str, tuple[str, ...]]]:
    """(recipient, channel, obligations of the steps it carries) of each delivery, oldest first, then by
    recipient and channel."""
    code = {r["id"]: r["code"] for r in ledger.reminders()}
    rows = sorted((d for d in ledger.deliveries() if since is None or d["created_at"] >= since),
                  key=lambda d: (d["created_at"], d["recipient"], d["channel"]))
    return [(d["recipient"], d["channel"], tuple(sorted({code[i] for i in d["reminder_ids"]}))) for d in rows]


# ---------------------------------------------------------------- stop_after

def test_stop_after_ends_overdue_repeats_and_an_obligation_overrides_the_plan(ledger, tmp_path):
    catalog = catalog_of(tmp_path, weekly("bao-cao-tuan", "Báo cáo tuần", until="2022-03-13")
                         + weekly("tin-tuan", "Tin tuần", until="2022-03-13", reminders="{stop_after: 2d, escalate_after: 2d}"),
                         header="reminders: {overdue_every: 1d, escalate_after: 3d, stop_after: 5d}\n")
    ledger.sync(catalog, now=at("2022-03-01T08:00"))
    out = tmp_path / "out.jsonl"
    channels = phone_and_email(out)
    day = dt.date(2022, 3, 9)
    while day <= dt.date(2022, 3, 31):  # three weeks past the deadline (Thursday 10/3 14:00), a tick every morning
        tick(ledger, catalog, channels, dt.datetime.combine(day, dt.time(9), tzinfo=VN))
        day += dt.timedelta(days=1)
    steps = {(r["code"], r["step"]) for r in ledger.reminders() if r["recipient"] == "buu-dien"}
    assert steps == {("bao-cao-tuan", name) for name in ("due", "overdue-1", "overdue-2", "overdue-3", "overdue-4", "overdue-5")} \
        | {("tin-tuan", name) for name in ("due", "overdue-1", "overdue-2")}
    escalations = {(r["code"], r["recipient"], r["planned_at"]) for r in ledger.reminders() if r["step"] == "escalate"}
    assert escalations == {("bao-cao-tuan", "so-tttt", at("2022-03-13T14:00")), ("tin-tuan", "so-tttt", at("2022-03-12T14:00"))}
    # the messages stop with the steps: the plan's last overdue step went in the morning digest of 15/3; the
    # obligation's (Saturday 12/3) by email that day and, phones being quiet at weekends, by SMS on Monday
    code = {r["id"]: r["code"] for r in ledger.reminders()}
    last: dict[tuple, str] = {}
    for d in reversed(ledger.deliveries()):  # oldest first: the last one written wins
        for step in d["reminder_ids"]:
            last[(d["recipient"], d["channel"], code[step])] = d["created_at"].astimezone(VN).strftime("%d/%m %H:%M")
    assert {k: v for k, v in last.items() if k[0] == "buu-dien"} == {
        ("buu-dien", "email", "bao-cao-tuan"): "15/03 09:00", ("buu-dien", "sms", "bao-cao-tuan"): "15/03 09:00",
        ("buu-dien", "email", "tin-tuan"): "12/03 09:00", ("buu-dien", "sms", "tin-tuan"): "14/03 09:00"}
    assert len(lines(out)) == len(ledger.deliveries())


def test_the_policy_s_steps_end_at_stop_after(tmp_path):
    catalog = catalog_of(tmp_path, weekly("bao-cao-tuan", "Báo cáo tuần",
                                          reminders="{before: [1d], overdue_every: 2d, escalate_after: 9d, stop_after: 9d}"))
    plan = catalog.plans["ke-hoach-thu"]
    policy = plan.reminders_for(plan.obligation("bao-cao-tuan"))
    steps = steps_until(policy, at("2022-03-07T00:00"), at("2022-03-10T14:00"), at("2022-04-30T00:00"))
    assert [(s.name, s.planned_at.strftime("%d/%m")) for s in steps] == [
        ("before-1d", "09/03"), ("due", "10/03"), ("overdue-1", "12/03"), ("overdue-2", "14/03"), ("overdue-3", "16/03"),
        ("overdue-4", "18/03"), ("escalate", "19/03")]  # the escalation on the last day stop_after allows


# ---------------------------------------------------------------- channels

def test_an_email_only_item_never_rings_a_phone_while_the_recipient_s_other_item_goes_by_zalo(ledger, tmp_path):
    catalog = catalog_of(tmp_path, weekly("bao-cao-tuan", "Báo cáo tuần", lead="[viettel-post]", reminders="{channels: [email]}")
                         + weekly("tin-tuan", "Tin tuần", lead="[viettel-post]"))
    ledger.sync(catalog, now=at("2022-03-01T08:00"))
    out = tmp_path / "out.jsonl"
    report = tick(ledger, catalog, phone_and_email(out), at("2022-03-10T15:00"))
    assert report.sent == 2 and report.without_address == []
    assert carried(ledger) == [("viettel-post", "email", ("bao-cao-tuan", "tin-tuan")),
                               ("viettel-post", "zalo", ("tin-tuan",))]
    zalo = [line for line in lines(out) if line["channel"] == "zalo"]
    assert len(zalo) == 1 and "Tin tuần" in zalo[0]["text"] and "Báo cáo tuần" not in zalo[0]["text"]
    # every route its policy allows has it: nothing is left to plan, however often the tick runs
    assert {r["status"] for r in ledger.reminders()} == {"planned"}
    assert tick(ledger, catalog, phone_and_email(out), at("2022-03-10T16:00")).planned == 0


def test_an_item_whose_only_route_is_missing_waits_and_is_reported(ledger, tmp_path):
    catalog = catalog_of(tmp_path, weekly("bao-cao-tuan", "Báo cáo tuần", lead="[viettel-post]", reminders="{channels: [sms]}"))
    ledger.sync(catalog, now=at("2022-03-01T08:00"))
    report = tick(ledger, catalog, phone_and_email(tmp_path / "out.jsonl"), at("2022-03-10T15:00"))
    # Viettel Post has an email and a Zalo id, no phone: nothing may carry the step
    assert (report.planned, report.without_address) == (0, ["viettel-post"])
    assert {r["status"] for r in ledger.reminders()} == {"queued"}


@pytest.mark.server  # Zalo and eSMS on loopback
def test_a_zalo_only_item_is_never_handed_on_to_sms_while_the_other_item_is(ledger, tmp_path):
    """Loopback Zalo OA, ZNS and eSMS: Bưu điện follows no OA and has no Zalo on its phone, so the
    chain ends in SMS; the item that allows only `zalo` stops at ZNS, in a message of its own."""
    contacts = CONTACTS.replace('{email: bd@example.gov.vn, phone: "0912000001"}',
                                f'{{zalo: "{STRANGER}", phone: "0912000009"}}')
    catalog = catalog_of(tmp_path, weekly("bao-cao-tuan", "Báo cáo tuần", lead="[buu-dien]", reminders="{channels: [zalo]}")
                         + weekly("tin-tuan", "Tin tuần", lead="[buu-dien]"), contacts=contacts)
    ledger.sync(catalog, now=at("2022-03-01T08:00"))
    ledger.queue_reminders(catalog, as_of=clock_to(at("2022-03-10T15:00")), now=at("2022-03-10T15:00"))
    with zalo_fake() as zalo, ESMSFake() as esms:
        report = loopback_notifier(ledger, catalog, tmp_path, zalo, esms).run(at("2022-03-10T15:00"))
    assert (report.planned, report.sent, report.handed_on, report.failed) == (2, 1, 3, 1)
    rows = sorted(ledger.deliveries(), key=lambda d: d["id"])
    code = {r["id"]: r["code"] for r in ledger.reminders()}
    chains = [(d["channel"], d["status"], d["fallbacks"], {code[i] for i in d["reminder_ids"]}) for d in rows]
    assert sorted(chains, key=str) == sorted([
        ("zalo", "failed", "zns:84912000009", {"bao-cao-tuan"}),
        ("zns", "failed", None, {"bao-cao-tuan"}),
        ("zalo", "failed", "zns:84912000009,sms:84912000009", {"tin-tuan"}),
        ("zns", "failed", "sms:84912000009", {"tin-tuan"}),
        ("sms", "sent", None, {"tin-tuan"}),
    ], key=str)
    [sms] = esms.received
    assert sms["Phone"] == "84912000009" and "Tin tuan" in sms["Content"] and "Bao cao" not in sms["Content"]
    # the Zalo-only item reached nobody: the coordinator hears of it
    assert [(p["recipient"], p["channel"]) for p in evaluate(ledger, at("2022-03-10T16:00")).undelivered] == [("buu-dien", "zns")]


# ---------------------------------------------------------------- digest_at

def test_the_morning_digest_goes_at_the_earliest_digest_at_among_the_recipient_s_items(ledger, tmp_path):
    catalog = catalog_of(tmp_path, weekly("bao-cao-tuan", "Báo cáo tuần", reminders='{digest_at: "09:00"}')
                         + weekly("tin-tuan", "Tin tuần", lead="[viettel-post]"))  # digest_at: the default 07:30
    ledger.sync(catalog, now=at("2022-03-01T08:00"))
    channels = phone_and_email(tmp_path / "out.jsonl")
    for hour in ("06:00", "07:00"):  # "due today" (14:00) is queued by the first tick, said in the digest
        assert tick(ledger, catalog, channels, at(f"2022-03-10T{hour}")).planned == 0
    assert {r["status"] for r in ledger.reminders()} == {"queued"} and len(ledger.reminders()) == 3
    # 08:00, the first tick after 07:30: Viettel Post's digest, with its 09:00 item riding along
    assert tick(ledger, catalog, channels, at("2022-03-10T08:00")).planned == 2
    assert carried(ledger) == [("viettel-post", "email", ("bao-cao-tuan", "tin-tuan")),
                               ("viettel-post", "zalo", ("bao-cao-tuan", "tin-tuan"))]
    # Bưu điện owes only the 09:00 item: not at 08:00, at 09:00
    assert tick(ledger, catalog, channels, at("2022-03-10T09:00")).planned == 2
    assert carried(ledger, since=at("2022-03-10T09:00")) == [("buu-dien", "email", ("bao-cao-tuan",)),
                                                             ("buu-dien", "sms", ("bao-cao-tuan",))]


def test_a_digest_at_between_ticks_goes_at_the_next_tick_and_sub_day_steps_keep_their_time(ledger, tmp_path):
    catalog = catalog_of(tmp_path, weekly("bao-cao-tuan", "Báo cáo tuần", lead="[buu-dien]",
                                          reminders='{before: [2h], digest_at: "10:15"}'))
    ledger.sync(catalog, now=at("2022-03-10T06:00"))
    channels = phone_and_email(tmp_path / "out.jsonl")
    for hour in range(6, 11):
        assert tick(ledger, catalog, channels, at(f"2022-03-10T{hour:02d}:00")).planned == 0
    assert tick(ledger, catalog, channels, at("2022-03-10T11:00")).planned == 2  # the "due today" digest
    assert tick(ledger, catalog, channels, at("2022-03-10T12:00")).planned == 2  # "2h before" 14:00, at its time
    assert [d["created_at"] for d in reversed(ledger.deliveries())] == [at("2022-03-10T11:00")] * 2 + [at("2022-03-10T12:00")] * 2


# ---------------------------------------------------------------- quiet_hours

ELECTION = ('reminders: {overdue_every: 1d, quiet_hours: {from: "08:00", to: "17:00"}}\n')


def test_an_election_week_duty_sends_sms_on_sunday_and_the_plan_s_default_waits_for_monday(ledger, tmp_path):
    catalog = catalog_of(tmp_path, weekly("bao-cao-tuan", "Báo cáo tuần", lead="[buu-dien]", until="2022-03-13")
                         + weekly("tin-bau-cu", "Tin bầu cử", lead="[buu-dien]", until="2022-03-13",
                                  reminders="{quiet_hours: {days: all}}"), header=ELECTION)
    ledger.sync(catalog, now=at("2022-03-01T08:00"))
    out = tmp_path / "out.jsonl"
    channels = phone_and_email(out)
    sunday = at("2022-03-13T10:00")
    assert tick(ledger, catalog, channels, sunday).sent == 2
    assert carried(ledger) == [("buu-dien", "email", ("bao-cao-tuan", "tin-bau-cu")), ("buu-dien", "sms", ("tin-bau-cu",))]
    sms = next(d for d in ledger.deliveries() if d["channel"] == "sms")
    assert sms["send_window"] == "08:00:00-17:00:00 all"  # the obligation's days over the plan's hours
    assert tick(ledger, catalog, channels, at("2022-03-13T17:00")).planned == 0  # closed at 17:00, even for it
    assert tick(ledger, catalog, channels, at("2022-03-14T07:00")).planned == 0  # before the 07:30 digest
    monday = at("2022-03-14T08:00")
    assert tick(ledger, catalog, channels, monday).sent == 2
    assert carried(ledger, since=monday) == [("buu-dien", "email", ("bao-cao-tuan", "tin-bau-cu")),
                                            ("buu-dien", "sms", ("bao-cao-tuan", "tin-bau-cu"))]
    [monday_sms] = [d for d in ledger.deliveries() if d["channel"] == "sms" and d["created_at"] == monday]
    assert monday_sms["send_window"] == "08:00:00-17:00:00 workdays:ke-hoach-thu"  # what both items allow
    texts = [line["text"] for line in lines(out) if line["channel"] == "sms"]
    assert len(texts) == 2 and "Tin bau cu" in texts[0] and "Bao cao tuan" not in texts[0]


def test_a_retry_waits_for_the_window_its_items_share(ledger, tmp_path):
    catalog = catalog_of(tmp_path, weekly("tin-bau-cu", "Tin bầu cử", lead="[buu-dien]", until="2022-03-13",
                                          reminders="{quiet_hours: {days: all}}"), header=ELECTION)
    ledger.sync(catalog, now=at("2022-03-01T08:00"))
    out = tmp_path / "out.jsonl"
    channels = phone_and_email(out)
    channels["sms"].fail = TemporaryError("gateway 503")
    first = tick(ledger, catalog, channels, at("2022-03-13T16:59"))
    assert (first.sent, first.retried) == (1, 1)  # email went; SMS is due again at 17:00, when it is quiet
    channels["sms"].fail = None
    later = SendReport()
    Notifier(ledger, catalog, channels).send(clock_to(at("2022-03-13T17:05")), later)
    assert later.sent == 0 and [d["status"] for d in ledger.deliveries() if d["channel"] == "sms"] == ["pending"]
    Notifier(ledger, catalog, channels).send(clock_to(at("2022-03-14T08:00")), later)
    assert later.sent == 1 and [(d["status"], d["attempts"]) for d in ledger.deliveries() if d["channel"] == "sms"] == [("sent", 2)]


def test_a_phone_message_waiting_before_the_upgrade_keeps_the_old_hours(ledger_url, tmp_path):
    engine = create_ledger_engine(ledger_url)
    upgrade(engine, "0006")
    stamp, saturday_night = dt.datetime(2022, 3, 1), dt.datetime(2022, 3, 12, 14, 0)  # UTC: 21:00 in Vietnam
    with engine.begin() as connection:  # an overdue step whose SMS waits for Monday morning, as 0006 wrote it
        for statement in (
            "INSERT INTO plan (id, title, file, timezone, synced_at) VALUES ('p', 'Kế hoạch', 'p.yaml', 'Asia/Ho_Chi_Minh', :s)",
            "INSERT INTO obligation (id, plan_id, code, title, evidence_kind, at_least) VALUES (1, 'p', 'o', 'Tin', 'link', 1)",
            ("INSERT INTO occurrence (id, obligation_id, unit_id, holders, window_start, window_end, opens_at, due_at, at_least,"
            " evidence_total, created_at, updated_at) VALUES (1, 1, 'buu-dien', 'buu-dien', '2022-03-07', '2022-03-13', :s, :s,"
            " 1, 0, :s, :s)"),
            ("INSERT INTO reminder (id, occurrence_id, step, recipient, planned_at, status, created_at)"
            " VALUES (1, 1, 'overdue-1', 'buu-dien', :n, 'planned', :n)"),
            ("INSERT INTO delivery (id, recipient, channel, address, subject, body_text, body_html, body_sms, status, attempts,"
            " next_attempt_at, created_at) VALUES (1, 'buu-dien', 'sms', '84912000001', 's', 't', 'h', 'Nhac viec', 'pending',"
            " 0, :n, :n)"),
            "INSERT INTO delivery_item (delivery_id, reminder_id, channel, address) VALUES (1, 1, 'sms', '84912000001')",
        ):
            connection.execute(text(statement), {"s": stamp, "n": saturday_night})
    engine.dispose()
    catalog = catalog_of(tmp_path, weekly("bao-cao-tuan", "Báo cáo tuần"))
    out = tmp_path / "out.jsonl"
    with Ledger(ledger_url) as ledger:
        [row] = ledger.deliveries()
        assert row["send_window"] == "07:30:00-20:00:00 workdays"
        report = SendReport()
        Notifier(ledger, catalog, phone_and_email(out)).send(clock_to(at("2022-03-13T10:00")), report)  # Sunday
        assert report.sent == 0
        Notifier(ledger, catalog, phone_and_email(out)).send(clock_to(at("2022-03-14T07:30")), report)
        assert report.sent == 1 and [line["text"] for line in lines(out)] == ["Nhac viec"]


def test_send_windows_follow_each_plan_s_working_days():
    tet = {"a": WorkCalendar("VN"), "b": WorkCalendar("VN", extra_days_off=[dt.date(2022, 3, 14)])}
    hours = QuietHours.model_validate({"from": "08:00", "to": "17:00"})
    a, b = SendWindow.of(hours, "a"), SendWindow.of(hours, "b")
    every_day = SendWindow.of(hours.model_copy(update={"days": Days.ALL}), "a")
    both = SendWindow.shared([a, b, every_day])
    assert both == SendWindow(dt.time(8), dt.time(17), False, ("a", "b")) and SendWindow.parse(both.key) == both
    monday = at("2022-03-14T09:00")  # a day off that only plan b announced
    assert [w.is_open(monday, tet) for w in (a, b, every_day, both)] == [True, False, True, False]
    assert both.next_open(monday, tet) == at("2022-03-15T08:00")
    assert every_day.next_open(at("2022-02-01T17:00"), tet) == at("2022-02-02T08:00")  # Tết: every day means every day
    assert a.next_open(at("2022-01-28T17:00"), tet) == at("2022-02-07T08:00")  # ... the working days wait for Tết to end


# ---------------------------------------------------------------- validation

OBLIGATION = "- id: a\n  title: Tin\n  lead: buu-dien\n  every: month\n  reminders: {reminders}\n"


@pytest.mark.parametrize(("reminders", "expected"), [
    ("{channels: [zallo]}", "plan.yaml:15:28: obligations[0].reminders.channels[0]: kênh 'zallo' không có (có phải là 'zalo'? được dùng: zalo, sms, email)"),
    ("{channels: [email, zns]}", "plan.yaml:15:35: obligations[0].reminders.channels[1]: kênh 'zns' không có: ghi `zalo`, chuỗi gửi qua Zalo (OA, rồi ZNS)"),
    ("{channels: []}", "plan.yaml:15:27: obligations[0].reminders.channels: `channels` cần ít nhất một trong các kênh zalo, sms, email"),
    ("{channels: [email, email]}", "plan.yaml:15:35: obligations[0].reminders.channels[1]: 'email' được ghi hai lần"),
    ('{digest_at: "05:30"}', "plan.yaml:15:28: obligations[0].reminders.digest_at: digest_at 05:30 nằm ngoài 06:00–21:00: lúc đó không có lượt chạy (mỗi giờ, vào đầu giờ), nên bản tổng hợp nhắc việc sẽ không được gửi"),
    ("{digest_at: 21:30}", "plan.yaml:15:28: obligations[0].reminders.digest_at: digest_at 21:30 nằm ngoài 06:00–21:00: lúc đó không có lượt chạy (mỗi giờ, vào đầu giờ), nên bản tổng hợp nhắc việc sẽ không được gửi"),
    ("{digest_at: 25:00}", 'plan.yaml:15:28: obligations[0].reminders.digest_at: \'25:00\' không phải là giờ trong ngày (ghi "14:00")'),
    ("{stopafter: 30d}", "plan.yaml:15:17: obligations[0].reminders.stopafter: khóa 'stopafter' không có trong định dạng; có phải là 'stop_after'?"),
    ("{stop_after: 2 months}", "plan.yaml:15:29: obligations[0].reminders.stop_after: '2 months' không phải là khoảng thời gian (ví dụ 3d, 2h, 1w, 5 workdays)"),
    ("{quiet_hours: {form: 07:00}}", "plan.yaml:15:31: obligations[0].reminders.quiet_hours.form: khóa 'form' không có trong định dạng; có phải là 'from'?"),
    ("{quiet_hours: {days: weekends}}", "plan.yaml:15:37: obligations[0].reminders.quiet_hours.days: 'weekends' không thuộc các giá trị workdays | all"),
    ("{quiet_hours: {from: 8h00, to: 7h00}}", "plan.yaml:15:47: obligations[0].reminders.quiet_hours.to: quiet_hours: from 08:00 không trước to 07:00: tin nhắn tới điện thoại được gửi từ `from` đến `to`, trong cùng một ngày"),
    ("{quiet_hours: {from: \"21:30\", to: \"23:00\"}}",
     "plan.yaml:15:50: obligations[0].reminders.quiet_hours.to: quiet_hours 21:30–23:00 không chứa lượt chạy nào (lượt chạy diễn ra mỗi giờ, vào đầu giờ, 06:00–21:00): điện thoại sẽ không bao giờ nhận được tin nhắn"),
    ("{stop_after: 5d}", "plan.yaml:15:29: obligations[0].reminders.stop_after: escalate_after 7d vượt quá stop_after 5d: sau stop_after không còn nhắc gì, nên thông báo lên cấp trên sẽ không bao giờ được gửi (tăng stop_after hoặc rút ngắn escalate_after)"),
])
def test_bad_reminder_keys_name_file_line_column_and_key(tmp_path, reminders, expected):
    header = 'reminders: {escalate_after: 7d, quiet_hours: {from: "07:00"}}\n'
    assert plan_errors(tmp_path, OBLIGATION.format(reminders=reminders), header) == [expected]


def test_a_plan_s_escalation_past_its_stop_after_is_reported_once_at_the_plan(tmp_path):
    obligations = OBLIGATION.format(reminders="{before: [1d]}") + OBLIGATION.format(reminders="{on_due: false}").replace("id: a", "id: b")
    assert plan_errors(tmp_path, obligations, "reminders: {escalate_after: 70d}\n") == [
        "plan.yaml:9:31: plan.reminders.escalate_after: escalate_after 70d vượt quá stop_after 60d: sau stop_after không còn nhắc gì, nên thông báo lên cấp trên sẽ không bao giờ được gửi (tăng stop_after hoặc rút ngắn escalate_after)"]


def test_an_obligation_s_partial_quiet_hours_are_merged_over_the_plan_s(tmp_path):
    header = 'reminders: {quiet_hours: {from: "06:00", to: "21:00"}, channels: [zalo, email]}\n'
    obligation = OBLIGATION.format(reminders="{quiet_hours: {to: 07:00, days: all}, digest_at: 06:00, stop_after: 3 workdays}")
    assert plan_errors(tmp_path, obligation, header) == []  # 06:00-07:00 every day: the 06:00 tick rings
    (tmp_path / "plan.yaml").write_text(plan_yaml(obligation, header), encoding="utf-8")
    plan = load_catalog([tmp_path], strict=True)[0].plans["ke-hoach-thu"]
    policy = plan.reminders_for(plan.obligation("a"))
    assert (policy.quiet_hours.from_, policy.quiet_hours.to, policy.quiet_hours.days) == (dt.time(6), dt.time(7), Days.ALL)
    assert policy.channels is not None and [c.value for c in policy.channels] == ["zalo", "email"] and policy.digest_at == dt.time(6)
    assert str(policy.stop_after) == "3 workdays"


@pytest.mark.parametrize(("obligation", "header", "expected"), [
    (OBLIGATION.format(reminders="{before: [2h]}"), "",
     "plan.yaml:14:25: obligations[0].reminders.before: mốc nhắc trước 2h của thời hạn lúc 23:59:59 rơi vào 21:59:59, và từ lúc đó đến hạn không có lượt chạy nào (lượt chạy diễn ra mỗi giờ, vào đầu giờ, 06:00–21:00): mốc nhắc này sẽ không bao giờ được gửi; hãy đặt due.time để có một lượt chạy trước hạn, hoặc tính mốc nhắc theo ngày"),
    (OBLIGATION.format(reminders="{on_due: true}").replace("every: month", "every: month\n  due: {day: 25, time: \"05:30\"}"),
     "reminders: {before: [3d, 30m]}\n",
     "plan.yaml:15:10: obligations[0].due: mốc nhắc trước 30m của thời hạn lúc 05:30 rơi vào 05:00, và từ lúc đó đến hạn không có lượt chạy nào (lượt chạy diễn ra mỗi giờ, vào đầu giờ, 06:00–21:00): mốc nhắc này sẽ không bao giờ được gửi; hãy đặt due.time để có một lượt chạy trước hạn, hoặc tính mốc nhắc theo ngày"),
])
def test_a_sub_day_step_no_tick_can_send_is_refused(tmp_path, obligation, header, expected):
    assert plan_errors(tmp_path, obligation, header) == [expected]


@pytest.mark.parametrize("due", ['{day: 25, time: "14:00"}', '{day: 25, time: "07:00"}', '{day: 25, time: "22:30"}',
                                 '{after_end: 5h}'])
def test_sub_day_steps_a_tick_can_send_are_accepted(tmp_path, due):
    # 90 minutes before 14:00, 07:00 (the 06:00 tick) and 22:30 (the last tick, 21:00) each have a tick; an hour
    # offset from the period's end has no fixed time of day
    obligation = OBLIGATION.format(reminders="{before: [90m, 1d]}").replace("every: month", f"every: month\n  due: {due}")
    assert plan_errors(tmp_path, obligation) == []


def test_a_preview_says_phones_wait_only_when_a_step_is_held_on_a_phone_route(ledger, tmp_path):
    """The "Zalo and SMS wait" note of a dry run or a replay: true when some step waits on a phone
    route for its quiet_hours, never for a duty that goes by email only."""
    evening = at("2022-03-10T21:00")  # Thursday, after 20:00: phones are quiet
    email_only = catalog_of(tmp_path, weekly("bao-cao-tuan", "Báo cáo tuần", lead="[viettel-post]",
                                             reminders="{channels: [email]}"))
    ledger.sync(email_only, now=at("2022-03-01T08:00"))
    preview = Notifier(ledger, email_only, phone_and_email(tmp_path / "out.jsonl")).preview(clock_to(evening))
    assert [d.channel for d in preview.deliveries] == ["email"] and not preview.quiet
    both = catalog_of(tmp_path, weekly("bao-cao-tuan", "Báo cáo tuần", lead="[viettel-post]"))
    preview = Notifier(ledger, both, phone_and_email(tmp_path / "out.jsonl")).preview(evening)
    assert [d.channel for d in preview.deliveries] == ["email"] and preview.quiet
