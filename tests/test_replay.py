"""Replays never reach anyone, and COMMPLAN_NOW sets the process clock (SQLite and PostgreSQL).

An `--as-of` more than 10 minutes from the clock is a replay: `remind` (and the tick, see
test_flows.py) computes everything and shows what it would send, but writes no reminder step or
delivery, sends nothing and issues no report link. With COMMPLAN_NOW the clock starts at that
instant and runs on, and commplan sends as if it were then.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time

import pytest
from cli_in_process import run_cli
from conftest import UNITS_YAML, plan_yaml
from test_outbox import CONTACTS, PLAN, Recording, at, catalog, lines  # noqa: F401 - `catalog` is a fixture

from commplan import clock
from commplan.ledger import EvidenceInput, Ledger, LedgerError, ReplayRefused
from commplan.notify.notifier import Notifier, SendReport

LINKS = {"COMMPLAN_PUBLIC_URL": "https://nhacviec.example.gov.vn", "COMMPLAN_LINK_SECRET": "Hx4mQ9tZ2vK7pW1nR8cL5bJ3fY6gD0sA9eU2oT4i"}


# ---------------------------------------------------------------- the clock

def test_the_clock_starts_at_commplan_now_and_runs_on(set_now):
    start = set_now(at("2021-12-10T08:00"))
    first = clock.now()
    time.sleep(0.05)
    second = clock.now()
    assert start <= first < second < start + dt.timedelta(seconds=5)
    assert second - first >= dt.timedelta(seconds=0.05)  # it runs on, at the pace of real time
    assert first.utcoffset() == dt.timedelta(0)
    later = set_now(at("2040-03-08T09:00"))  # set again: starts over from the new instant
    assert later <= clock.now() < later + dt.timedelta(seconds=5)


def test_a_process_clock_runs_from_the_start_of_the_process(tmp_path):
    code = ("import time, commplan; time.sleep(0.5); from commplan import clock; "
            "print(clock.now().isoformat()); time.sleep(0.2); print(clock.now().isoformat())")
    env = {**os.environ, "COMMPLAN_NOW": "2021-12-10T08:00:00+07:00"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=True)
    first, second = (dt.datetime.fromisoformat(line) for line in out.stdout.split())
    start = at("2021-12-10T08:00")
    assert start + dt.timedelta(seconds=0.5) <= first < start + dt.timedelta(seconds=5)
    assert second - first >= dt.timedelta(seconds=0.2)


def test_without_commplan_now_the_clock_is_the_real_time(monkeypatch):
    monkeypatch.delenv("COMMPLAN_NOW", raising=False)
    before = dt.datetime.now(dt.UTC)
    now = clock.now()
    assert before <= now <= dt.datetime.now(dt.UTC)


def test_ten_minutes_either_side_of_the_clock_is_not_a_replay_a_second_more_is():
    now = at("2021-12-10T08:00")
    for seconds in (0, 600, -600, 59):
        assert not clock.is_replay(now + dt.timedelta(seconds=seconds), clock=now)
    for seconds in (601, -601, 86_400, -86_400 * 365 * 4):
        assert clock.is_replay(now + dt.timedelta(seconds=seconds), clock=now)


@pytest.mark.parametrize("value, says", [
    ("garbage", "không phải thời điểm ISO có độ lệch múi giờ, ví dụ 2021-12-10T08:00:00+07:00"),
    ("2021-12-10T08:00", "thiếu độ lệch múi giờ (+07:00 cho giờ Việt Nam), ví dụ 2021-12-10T08:00:00+07:00"),
    ("0001-01-01T00:00+07:00", "năm phải từ 1900 đến 9000"),
])
def test_a_bad_commplan_now_is_one_clear_line_naming_it(value, says, tmp_path):
    result = run_cli("status", env={"COMMPLAN_NOW": value, "COMMPLAN_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [f"lỗi: COMMPLAN_NOW={value!r}{':' if 'năm' in says else ''} {says}"]
    assert not (tmp_path / "commplan.sqlite3").exists()  # nothing was opened, let alone written


def test_evidence_in_the_future_and_the_default_status_follow_the_clock(ledger, catalog, clock_at):
    ledger.sync(catalog, now=at("2022-03-01T08:00"))
    clock_at("2022-03-10T15:00")
    report = EvidenceInput(kind="document", document="bao-cao-tuan-10-3.pdf")
    with pytest.raises(LedgerError, match="10:00 11/03/2022 là thời điểm trong tương lai"):
        ledger.record_evidence("bao-cao-tuan", "buu-dien", report, on=at("2022-03-11T10:00"))
    recorded = ledger.record_evidence("bao-cao-tuan", "buu-dien", report, on=at("2022-03-10T10:00"))
    assert recorded.status == "done-on-time"
    week = {r.unit: r.status for r in ledger.statuses() if r.window_start == dt.date(2022, 3, 7)}
    assert week == {"buu-dien": "done-on-time", "viettel-post": "overdue"}  # due 14:00, now 15:00


# ---------------------------------------------------------------- the package: one guard, one preview

def test_the_ledger_and_the_notifier_refuse_a_replayed_instant_and_the_preview_writes_nothing(
        ledger, catalog, tmp_path, clock_at):
    ledger.sync(catalog, now=at("2022-03-01T08:00"))
    clock_at("2022-03-20T09:00")
    out = tmp_path / "out.jsonl"
    notifier = Notifier(ledger, catalog, {name: Recording(name, out) for name in ("email", "zalo", "sms")})
    replayed = at("2022-03-10T15:00")
    with pytest.raises(ReplayRefused, match=r"15:00 10/03/2022 cách đồng hồ .09:00 20/03/2022. hơn 10 phút: "
                                            "chạy lại thì không ghi bước nhắc việc nào"):
        ledger.queue_reminders(catalog, as_of=replayed, now=replayed)
    with pytest.raises(ReplayRefused, match="chạy lại thì không lập tin nhắn nào"):
        notifier.plan(replayed, SendReport())
    with pytest.raises(ReplayRefused, match="chạy lại thì không gửi gì"):
        notifier.send(replayed, SendReport())
    preview = notifier.preview(replayed)
    assert preview.replay and not preview.quiet and len(preview.deliveries) == 4  # 2 units × (email + phone)
    assert {s["step"] for s in preview.steps} == {"due"} and preview.by_plan() == {"ke-hoach-thu": len(preview.steps)}
    assert ledger.reminders() == [] and ledger.deliveries() == [] and lines(out) == []
    # on the clock, the same instant queues and sends exactly what the preview showed
    clock_at("2022-03-10T15:00")
    ledger.queue_reminders(catalog, as_of=replayed, now=replayed)
    report = notifier.run(replayed)
    assert report.sent == 4 and sorted((m["to"], m["subject"]) for m in lines(out)) == sorted(
        (d.address, d.subject) for d in preview.deliveries)


def test_a_preview_issues_no_report_link_where_the_same_messages_planned_on_the_clock_do(ledger, catalog, tmp_path, set_now):
    ledger.sync(catalog, now=at("2022-03-01T08:00"))
    channels = {name: Recording(name, tmp_path / "out.jsonl") for name in ("email", "zalo", "sms")}
    notifier = Notifier(ledger, catalog, channels, public_url=LINKS["COMMPLAN_PUBLIC_URL"],
                        link_secret=LINKS["COMMPLAN_LINK_SECRET"])
    moment = at("2022-03-10T15:00")
    replayed = notifier.preview(moment)  # the real clock: years later
    texts = lambda preview: [d.body_text + d.body_html + d.body_sms + d.template_data + (d.attachment or "")  # noqa: E731
                             for d in preview.deliveries]
    assert replayed.replay and len(replayed.deliveries) == 4
    assert not any("/bao-cao/" in text for text in texts(replayed))
    set_now(moment)
    live = notifier.preview(moment)  # a dry run on the clock: the same messages, and no link either
    assert not live.replay and [d.address for d in live.deliveries] == [d.address for d in replayed.deliveries]
    assert not any("/bao-cao/" in text for text in texts(live))
    ledger.queue_reminders(catalog, as_of=moment, now=moment)  # planned for real, the messages carry them
    notifier.plan(moment, SendReport())
    planned = ledger.deliveries()
    assert sorted(d["address"] for d in planned) == sorted(d.address for d in live.deliveries)
    assert all("/bao-cao/" in d["body_text"] for d in planned if d["channel"] != "sms")


def test_a_replay_of_an_earlier_day_never_shows_steps_queued_after_it(ledger, catalog, tmp_path, clock_at):
    ledger.sync(catalog, now=at("2022-03-01T08:00"))
    moment = clock_at("2022-03-10T15:00")
    ledger.queue_reminders(catalog, as_of=moment, now=moment)  # queued on the clock, not yet said
    notifier = Notifier(ledger, catalog, {name: Recording(name, tmp_path / "out.jsonl") for name in ("email", "zalo", "sms")})
    assert len(notifier.preview(moment).deliveries) == 4  # a dry run: what the next run says
    earlier = notifier.preview(at("2022-03-08T15:00"))  # before the first step of the first week
    assert earlier.replay and earlier.steps == [] and earlier.deliveries == []


# ---------------------------------------------------------------- the command line

@pytest.fixture
def commplan(ledger_url, tmp_path, monkeypatch):
    """`commplan …` on this ledger (in-process, as a new process would run it), with the file stand-ins for
    the channels."""
    monkeypatch.setenv("COMMPLAN_FILE_CHANNELS", "true")  # the embedded default's; PostgreSQL must ask for them
    env = {"COMMPLAN_DATABASE_URL": ledger_url, "COMMPLAN_DATA_DIR": str(tmp_path / "data")}

    def run(*args: str, **extra: str) -> subprocess.CompletedProcess:
        result = run_cli(*args, env={**env, **extra})
        assert result.returncode == 0, result.stderr
        return result

    return run


def outbox_file(tmp_path) -> list[str]:
    path = tmp_path / "data" / "outbox.jsonl"
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def would_send(output: str) -> int:
    """N of the replay's first line, "…; sẽ gửi N tin:", checked against the messages it lists."""
    first = output.splitlines()[0]
    count = int(first.split("sẽ gửi ")[1].split(" tin:")[0]) if "sẽ gửi " in first else 0
    assert sum(line.startswith("→ ") for line in output.splitlines()) == count
    return count


def test_a_replay_of_2021_writes_nothing_sends_nothing_and_shows_what_it_would_send(commplan, ledger_url, tmp_path):
    commplan("sync", "plans/")
    replay = commplan("remind", "--as-of", "2021-12-10T09:00")  # on the real clock: years ago
    assert replay.stdout.startswith("Chạy lại 09:00 ngày 10/12/2021 (mô phỏng): không gửi nhắc việc nào; sẽ gửi ")
    count = would_send(replay.stdout)
    assert count > 20 and "quá hạn 10 ngày" in replay.stdout.lower()  # about 2021, as if it were then
    assert replay.stdout.rstrip().endswith("không ghi và không gửi gì)") and "(chạy lại: " in replay.stdout
    with Ledger(ledger_url) as ledger:
        assert ledger.reminders() == [] and ledger.deliveries() == []
    assert outbox_file(tmp_path) == []
    # as if it were then (COMMPLAN_NOW), with --as-of omitted: the same messages really go out
    sent = commplan("remind", COMMPLAN_NOW="2021-12-10T09:00:00+07:00")
    assert f"đã lập {count} tin nhắn; đã gửi {count}," in sent.stdout
    written = outbox_file(tmp_path)
    assert len(written) == count and all('"written_at": "2021-12-10T02:0' in line for line in written)
    with Ledger(ledger_url) as ledger:
        assert len(ledger.deliveries()) == count and ledger.reminders() != []


def test_an_as_of_within_ten_minutes_of_the_clock_sends_one_further_is_a_replay(commplan, tmp_path):
    commplan("sync", "plans/")
    clock_0855 = {"COMMPLAN_NOW": "2021-12-10T08:55:00+07:00"}
    replay = commplan("remind", "--as-of", "2021-12-10T09:06", **clock_0855)
    assert replay.stdout.startswith("Chạy lại 09:06 ngày 10/12/2021 (mô phỏng)") and outbox_file(tmp_path) == []
    sent = commplan("remind", "--as-of", "2021-12-10T09:04", **clock_0855)
    assert sent.stdout.startswith("Đã xếp ") and len(outbox_file(tmp_path)) == would_send(replay.stdout) > 0


def test_a_replay_of_2040_issues_no_report_link(commplan, ledger_url, tmp_path):
    plans = tmp_path / "plans"
    plans.mkdir()
    units = UNITS_YAML.replace(
        "  - id: buu-dien\n    name: Bưu điện tỉnh Thử Nghiệm\n  - id: viettel-post\n    name: Chi nhánh Viettel Post tỉnh Thử Nghiệm\n",
        CONTACTS.lstrip("\n"))
    (plans / "units.yaml").write_text(units, encoding="utf-8")
    (plans / "plan.yaml").write_text(plan_yaml(PLAN.replace("until: 2022-04-03", "until: 2040-12-31")), encoding="utf-8")
    # a horizon is at most 10 years ahead: synced on a clock from which 2040 is within reach
    synced = commplan("sync", str(plans), "--horizon", "2040-12-31", COMMPLAN_NOW="2031-01-01T08:00:00+07:00")
    assert synced.returncode == 0, synced.stderr
    replay = commplan("remind", "--plans", str(plans), "--as-of", "2040-03-08T09:00", **LINKS)  # a Thursday, due 14:00
    assert replay.stdout.startswith("Chạy lại 09:00 ngày 08/03/2040 (mô phỏng): không gửi nhắc việc nào; sẽ gửi 4 tin:")
    assert "Đến hạn hôm nay" in replay.stdout and "/bao-cao/" not in replay.stdout
    with Ledger(ledger_url) as ledger:
        assert ledger.reminders() == [] and ledger.deliveries() == []
    assert outbox_file(tmp_path) == []
    # a dry run on a clock set to 2040 shows the same messages, and issues no link either
    on_the_clock = commplan("remind", "--plans", str(plans), "--dry-run", COMMPLAN_NOW="2040-03-08T09:00:00+07:00", **LINKS)
    assert on_the_clock.stdout.startswith("Chạy thử 09:00 ngày 08/03/2040") and would_send(on_the_clock.stdout) == 4
    assert "/bao-cao/" not in on_the_clock.stdout
    # the links are configured: really sent on that clock, the same messages carry them
    commplan("remind", "--plans", str(plans), COMMPLAN_NOW="2040-03-08T09:00:00+07:00", **LINKS)
    sent = outbox_file(tmp_path)
    messages = [json.loads(line) for line in sent]
    assert len(messages) == 4
    # the SMS leaves its links to the email ("+8 việc khác"); Zalo and email carry one per duty
    assert all(f"{LINKS['COMMPLAN_PUBLIC_URL']}/bao-cao/" in m["text"] for m in messages if m["channel"] != "sms")
