"""Prefect flows on a real (ephemeral, test-harness) Prefect API, and `commplan run` as a process."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
from decimal import Decimal

import pytest
from conftest import PLANS
from openpyxl.worksheet.worksheet import Worksheet
from test_email_channel import smtp  # noqa: F401  (a fixture)

from commplan.flows.compliance_report import compliance_report
from commplan.flows.tick import tick

pytestmark = pytest.mark.server  # a Prefect API, and `commplan run` as a process

VN = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory):
    """One Prefect test server for the whole session: it takes seconds to start."""
    from commplan import prefect_env

    prefect_env.configure(tmp_path_factory.mktemp("prefect-data"))
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def artifact(key: str) -> dict | None:
    """The latest artifact with this key, read back through Prefect's own client without a limit, as
    `prefect deploy` and workers query: it sends `"limit": null, "offset": null`, which the server
    refuses with 422 under FastAPI 0.151 and newer (Prefect 3.9 caps FastAPI itself; this checks it)."""
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
                                      sort=ArtifactSort.UPDATED_DESC)
    return {"data": found[0].data} if found else None


def test_tick_syncs_evaluates_and_publishes_what_changed(prefect_api, tmp_path, set_now):
    from commplan.ledger import Ledger

    database = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    # each tick on its own clock (COMMPLAN_NOW), as the deployment's schedule runs it
    first = tick(as_of=set_now(dt.datetime(2021, 12, 8, 9, 0, tzinfo=VN)), plans=[str(PLANS)], database=database)
    assert first["sync"]["inserted"] > 3_000 and first["since"] is None  # up to the end of 2022
    plans = {p["plan"]: p for p in first["by_plan"]}
    # 2980, for each of the 4 provinces: the weekly report (due Thursday 9/12 14:00) and the weekly press
    # briefing (Sunday 12/12) fall in the next 7 days; the monthly report (25/12 is a Saturday: 24/12) does not
    assert plans["bo-tttt-2980-2021"]["open"] == 12 and plans["bo-tttt-2980-2021"]["due_this_week"] == 8
    assert first["reminders"]["queued"] > 0 and plans["bo-tttt-2980-2021"]["reminders_queued"] > 0
    assert first["reminders"]["messages"]["planned"] == first["reminders"]["messages"]["sent"] > 0  # a Wednesday, 09:00
    with Ledger(database) as ledger:
        before = (len(ledger.reminders()), len(ledger.deliveries()))
    # a replay (20/12 while the clock says 8/12): everything computed, nothing written, sent or compared
    replay = tick(as_of=dt.datetime(2021, 12, 20, 9, 0, tzinfo=VN), plans=[str(PLANS)], database=database)
    assert replay["replay"] and replay["since"] is None and replay["as_of"] == "2021-12-20T09:00:00+07:00"
    assert replay["reminders"]["queued"] == 0 and replay["reminders"]["steps"] > 0
    would_send = replay["reminders"]["would_send"]
    assert would_send and {m["channel"] for m in would_send} == {"email", "zalo", "sms"}  # a Monday, 09:00
    assert sum(p["reminders_queued"] for p in replay["by_plan"]) == replay["reminders"]["steps"]
    with Ledger(database) as ledger:
        assert (len(ledger.reminders()), len(ledger.deliveries())) == before
        assert ledger.last_tick() == dt.datetime(2021, 12, 8, 9, 0, tzinfo=VN)  # the replay is not a tick
    replayed = artifact("replay-tick-changes")
    assert replayed is not None and replayed["data"].startswith("# Chạy lại 09:00 20/12/2021 (mô phỏng)\n")
    second = tick(as_of=set_now(dt.datetime(2021, 12, 10, 9, 0, tzinfo=VN)), plans=[str(PLANS)], database=database)
    assert not second["replay"] and second["sync"]["inserted"] == 0 and second["since"] == "2021-12-08T09:00:00+07:00"
    # the weekly reports were due on 9/12 14:00: their "due" step is queued once, by this tick
    assert second["reminders"]["queued"] > 0
    assert second["changes"] > 0
    assert "đang thực hiện, trong hạn → **quá hạn, chưa hoàn thành**" in second["markdown"]
    table = artifact("overdue-by-unit")
    markdown = artifact("tick-changes")
    assert table is not None and "so-tttt-thanh-hoa" in str(table["data"])
    rows = json.loads(table["data"])  # columns as the coordinator reads them
    assert rows and set(rows[0]) == {"Mã đơn vị", "Đơn vị", "Số nhiệm vụ quá hạn", "Hạn sớm nhất"}
    oldest = [row["Hạn sớm nhất"] for row in rows]
    assert all(re.fullmatch(r"\d\d:\d\d \d\d/\d\d/20\d\d", o) for o in oldest)  # the plans' timezone (Vietnam)
    assert markdown is not None and markdown["data"].startswith("# Thay đổi từ 09:00 08/12/2021 đến 09:00 10/12/2021")
    again = tick(as_of=dt.datetime(2021, 12, 10, 9, 0, tzinfo=VN), plans=[str(PLANS)], database=database)
    assert not again["replay"]  # the same instant, seconds later on the clock: a re-run, which adds nothing
    assert again["reminders"]["queued"] == again["reminders"]["skipped"] == 0
    assert again["reminders"]["messages"]["planned"] == again["reminders"]["messages"]["sent"] == 0


@pytest.fixture
def mailing(monkeypatch, tmp_path, smtp):
    """The flow's settings: its own data folder and the loopback SMTP server (read afresh, then forgotten)."""
    from commplan.settings import get_settings

    port, inbox = smtp
    monkeypatch.setenv("COMMPLAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COMMPLAN_SMTP_URL", f"mailto://127.0.0.1:{port}?from=nhacviec@example.gov.vn")
    get_settings.cache_clear()
    yield inbox
    get_settings.cache_clear()


def test_compliance_report_keeps_each_plans_report_and_mails_it_to_the_coordinator(prefect_api, ledger_url, tmp_path,
                                                                                  set_now, mailing):
    from openpyxl import load_workbook
    from test_scheduled_compliance import THURSDAY, write_plans

    from commplan.ledger import EvidenceInput, Ledger

    plans = tmp_path / "plans"
    catalog = write_plans(plans)
    with Ledger(ledger_url) as ledger:  # what the tick's sync does; the report reads the ledger
        ledger.sync(catalog, now=THURSDAY - dt.timedelta(days=16), horizon=dt.date(2022, 12, 31))
    run = lambda: compliance_report(period="weekly", as_of=set_now(THURSDAY), plans=[str(plans)],  # noqa: E731
                                    database=ledger_url, folder=str(tmp_path / "reports"))
    first = run()
    assert (first["start"], first["end"], first["replay"]) == ("2022-03-14", "2022-03-20", False)
    assert [r["plan"] for r in first["reports"]] == ["ke-hoach-thu"] and first["idle"] == ["ke-hoach-thang"]
    assert first["mail"]["sent"] == 1
    [(rcpt, message)] = mailing.messages
    assert rcpt == ["ttbc@example.gov.vn"]
    assert str(message["Subject"]) == "Báo cáo tình hình thực hiện 1/KH-UBND, tuần 14/03–20/03/2022"
    parts = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    stem = "tuan-thu-1-KH-UBND-20220314-20220320"
    assert sorted(parts) == [f"{stem}.png", f"{stem}.xlsx"]
    assert parts[f"{stem}.png"].startswith(b"\x89PNG\r\n\x1a\n")
    assert load_workbook(io.BytesIO(parts[f"{stem}.xlsx"]))["Theo đơn vị"]["A4"].value == "Mã đơn vị"
    assert "số đơn vị còn quá hạn: 2" in message.get_body(("html",)).get_content()
    assert sorted(os.listdir(tmp_path / "reports" / "ke-hoach-thu")) == [f"{stem}.{ext}" for ext in ("csv", "html", "png", "xlsx")]
    table = artifact("compliance-weekly-ke-hoach-thu")
    assert table is not None
    rows = json.loads(table["data"])
    assert [row["Mã đơn vị"] for row in rows] and rows[0]["Quá hạn"] == "1" and rows[0]["Tỉ lệ đúng hạn"] == "0,0 %"
    # again, nothing changed: no build, no mail
    again = run()
    assert [(r["build"], r["new"]) for r in again["reports"]] == [(first["reports"][0]["build"], False)]
    assert again["mail"]["sent"] == 0 and len(mailing.messages) == 1
    # evidence recorded: a new build, mailed
    with Ledger(ledger_url) as ledger:
        ledger.record_evidence("bao-cao-tuan", "buu-dien", EvidenceInput(kind="document", document="bc.pdf"),
                               on=THURSDAY, now=THURSDAY)
    third = run()
    assert third["reports"][0]["new"] and third["reports"][0]["build"] != first["reports"][0]["build"]
    assert third["mail"]["sent"] == 1 and len(mailing.messages) == 2
    # a replay of the week before (the clock still on THURSDAY): files and artifacts, no build, no mail
    replay = compliance_report(period="weekly", as_of=THURSDAY - dt.timedelta(days=7), plans=[str(plans)],
                               database=ledger_url, folder=str(tmp_path / "replay"))
    assert replay["replay"] and replay["mail"] == {} and [r["build"] for r in replay["reports"]] == [None]
    assert artifact("replay-compliance-weekly-ke-hoach-thu") is not None and len(mailing.messages) == 2


def test_tick_builds_the_weekly_form_a_working_day_ahead_and_emails_it_to_the_so(prefect_api, tmp_path, set_now,
                                                                                  mailing):
    from openpyxl import load_workbook
    from test_form_delivery import PLAN, make_catalog

    from commplan.figures import parse_period
    from commplan.ledger import Ledger
    from commplan.plan import load_catalog

    plans = tmp_path / "plans"
    make_catalog(plans)  # the weekly report of each province's Sở, due Thursday 25/11/2021 14:00
    database = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    with Ledger(database) as ledger:
        ledger.sync(load_catalog([plans])[0], now=dt.datetime(2021, 11, 22, 8, 0, tzinfo=VN))
        ledger.record_figure(PLAN, "ho-dao-tao", "so-a", parse_period("2021-W47"), Decimal("1800"), actor="so-a",
                             now=dt.datetime(2021, 11, 23, 9, 0, tzinfo=VN))
    run = lambda hour, minute: tick(as_of=set_now(dt.datetime(2021, 11, 24, hour, minute, tzinfo=VN)),  # noqa: E731
                                    plans=[str(plans)], database=database)
    reports = lambda: [(rcpt, m) for rcpt, m in mailing.messages if m["X-Commplan-Report-Mail"]]  # noqa: E731
    early = run(13, 0)
    assert early["forms"]["built"] == [] and early["report_mail"]["sent"] == 0
    result = run(14, 30)
    assert sorted(b["unit"] for b in result["forms"]["built"]) == ["so-a", "so-b"]
    assert result["forms"]["no_address"] == 1 and result["report_mail"]["sent"] == 1
    ((rcpt, message),) = reports()  # to the Sở's own address, never the ministry's; not the reminders
    assert rcpt == ["bcvt@so-a.example.gov.vn"]
    assert str(message["Subject"]) == "Báo cáo tuần 47/2021 theo mẫu 9/BTTTT-THU – Sở Thông tin và Truyền thông tỉnh A"
    (attached,) = message.iter_attachments()
    assert attached.get_filename() == "bao-cao-tuan-2021-W47-so-a.xlsx"
    sheet = load_workbook(io.BytesIO(attached.get_content())).worksheets[0]
    assert isinstance(sheet, Worksheet) and sheet["D9"].value == 1800
    markdown = artifact("tick-changes")
    assert markdown is not None and "## Biểu mẫu báo cáo đã lập" in markdown["data"]
    assert "chưa có địa chỉ email" in markdown["data"]
    # an hour later, no new figure: nothing built, nothing sent again
    later = run(15, 30)
    assert later["forms"]["built"] == [] and later["forms"]["unchanged"] == 2 and later["report_mail"]["sent"] == 0
    assert len(reports()) == 1
    # a replay builds and sends nothing
    replay = tick(as_of=dt.datetime(2021, 11, 30, 9, 0, tzinfo=VN), plans=[str(plans)], database=database)
    assert replay["replay"] and replay["forms"] is None and replay["report_mail"] is None


def test_a_tick_whose_forms_fail_still_publishes_and_sends_the_mail_already_planned(prefect_api, tmp_path, set_now,
                                                                                    mailing, monkeypatch):
    """The statuses are recorded before the forms are built: a failed build step is reported, and the tick
    still publishes its artifacts and sends the report mail an earlier tick planned."""
    import sys

    from prefect import task
    from test_form_delivery import PLAN, make_catalog

    from commplan.figures import parse_period
    from commplan.ledger import Ledger
    from commplan.plan import load_catalog
    from commplan.reports.form_delivery import build_due_forms

    plans = tmp_path / "plans"
    make_catalog(plans)
    database = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    moment = dt.datetime(2021, 11, 24, 14, 30, tzinfo=VN)
    with Ledger(database) as ledger:
        catalog = load_catalog([plans])[0]
        ledger.sync(catalog, now=dt.datetime(2021, 11, 22, 8, 0, tzinfo=VN))
        ledger.record_figure(PLAN, "ho-dao-tao", "so-a", parse_period("2021-W47"), Decimal("1800"), actor="so-a",
                             now=dt.datetime(2021, 11, 23, 9, 0, tzinfo=VN))
        assert len(build_due_forms(ledger, catalog, now=moment - dt.timedelta(minutes=20)).built) == 2  # mail planned

    @task(task_run_name="build report forms")  # no retries: the real task's would only wait
    def failing(plans: list[str], database: str | None, as_of: dt.datetime) -> dict:
        raise OSError("đĩa đầy")

    monkeypatch.setattr(sys.modules["commplan.flows.tick"], "build_report_forms", failing)
    result = tick(as_of=set_now(moment), plans=[str(plans)], database=database)
    assert result["forms"]["error"] == "OSError: đĩa đầy" and result["forms"]["built"] == []
    assert result["report_mail"]["sent"] == 1 and result["report_mail_undelivered"] == 0
    assert [rcpt for rcpt, m in mailing.messages if m["X-Commplan-Report-Mail"]] == [["bcvt@so-a.example.gov.vn"]]
    markdown = artifact("tick-changes")
    assert markdown is not None and "## Không lập được biểu mẫu báo cáo" in markdown["data"]
    assert "## Thư gửi báo cáo đã lập" in markdown["data"]
    with Ledger(database) as ledger:
        assert ledger.last_tick() == moment  # the tick was recorded


def test_commplan_run_replays_a_day_without_sending_then_runs_it_on_its_clock(tmp_path):
    """The main job as a process, twice (each starts an ephemeral Prefect API): a replay of 10/12/2021
    writes no step or delivery and lists what it would send; the same day on its clock sends for real.
    From a folder holding only the plans: the flow comes from the package, as from an installed wheel."""
    import shutil

    from commplan.ledger import Ledger

    workdir = tmp_path / "work"
    shutil.copytree(PLANS, workdir / "plans")
    assert not (workdir / "flows").exists()

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "COMMPLAN_"))}
    env["COMMPLAN_DATA_DIR"] = str(tmp_path / "data")
    ledger_file = tmp_path / "data" / "commplan.sqlite3"
    outbox = tmp_path / "data" / "outbox.jsonl"

    def run(*args: str, **extra: str) -> str:
        result = subprocess.run([sys.executable, "-m", "commplan", "run", *args], cwd=workdir, env={**env, **extra},
                                capture_output=True, text=True, timeout=300, check=False)
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        assert "Traceback" not in output and "database is locked" not in output
        assert "2980/BTTTT-QLDN" in result.stdout and "Quá hạn" in result.stdout and "Nhắc việc" in result.stdout
        assert f"Sổ theo dõi: {ledger_file}" in result.stdout
        return result.stdout

    replay = run("--as-of", "2021-12-10")  # the end of that day, years before the real clock
    assert "Lượt chạy lúc 23:59 10/12/2021 (giờ Việt Nam) với plans/ ..." in replay
    [headline] = [line for line in replay.splitlines() if line.startswith("Chạy lại ")]
    assert headline.startswith("Chạy lại 23:59 ngày 10/12/2021 (mô phỏng): không gửi nhắc việc nào; sẽ gửi ")
    count = int(headline.split("sẽ gửi ")[1].split(" tin:")[0])
    listed = [line for line in replay.splitlines() if line.startswith("  → ")]
    assert count > 20 and len(listed) == 20 and f"  … và {count - 20} tin khác." in replay
    assert all(" qua email (" in line for line in listed)  # 23:59: Zalo and SMS would wait for the morning
    assert "Ngoài khung giờ gửi" in replay and "Nhắc việc: lượt chạy" not in replay and "replay-tick-changes" in replay
    with Ledger(f"sqlite:///{ledger_file}") as ledger:
        assert ledger.reminders() == [] and ledger.deliveries() == [] and ledger.last_tick() is None
    assert not outbox.exists()
    assert ledger_file.is_file() and (tmp_path / "data" / "prefect").is_dir()

    real = run(COMMPLAN_NOW="2021-12-10T09:00:00+07:00")  # as if it were then: no --as-of, the clock's instant
    assert "Lượt chạy lúc 09:00 10/12/2021 (giờ Việt Nam) với plans/ ..." in real
    assert "Nhắc việc: lượt chạy này xếp " in real and "Chạy lại" not in real
    # each plan by its number, as clerks know it, not by its id
    assert any(line.startswith("241/KH-UBND ") for line in real.splitlines()) and "thanh-hoa-241-2021" not in real
    sent = int(real.split(" tin nhắn, đã gửi ")[1].split(",")[0])
    lines = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
    assert sent > 0 and len([line for line in lines if "delivery" in line]) == sent
    # the week's forms (due Thursday 9/12) built for each province's Sở, their mail written beside the reminders
    [forms] = [line for line in real.splitlines() if line.startswith("Biểu mẫu báo cáo: ")]
    written = int(forms.split("ghi vào tệp hộp thư đi ")[1].split(",")[0])
    assert forms.startswith("Biểu mẫu báo cáo: lập mới 4, ") and written == len([line for line in lines if "report_mail" in line]) > 0
    shown = [line for line in real.splitlines() if line.startswith("  → ")]
    assert 0 < len(shown) <= 10 and all(line.endswith(("sắp đến hạn", "đến hạn hôm nay", "quá hạn",
                                                       "thông báo lên cấp trên")) for line in shown)


@pytest.fixture
def loopback_feeds(monkeypatch):
    """The feeds flow's setting allowing a loopback feed (read afresh, then forgotten)."""
    from commplan.settings import get_settings

    monkeypatch.setenv("COMMPLAN_FEEDS_ALLOW_PRIVATE_HOSTS", "true")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_feeds_flow_records_a_vietnamese_article_once_and_a_dead_feed_shows_in_the_ticks_summary(prefect_api, tmp_path, set_now,
                                                                                                 loopback_feeds):
    """The hourly `feeds` flow over a loopback RSS feed: the post office's article on Postmart is recorded
    once (source feed), the artifact says so in Vietnamese; a second run (the feed answers 304) adds nothing.
    When the site then fails, the next tick's summary names the feed and the unit that owns it."""
    from conftest import UNITS_YAML, plan_yaml
    from feed_server import FeedServer
    from test_cli_feeds import RSS
    from test_feed_run import OBLIGATIONS

    from commplan.flows.feeds import feeds
    from commplan.ledger import Ledger
    from commplan.plan import load_catalog

    plans = tmp_path / "plans"
    plans.mkdir()
    database = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    set_now(dt.datetime(2026, 3, 28, 10, 0, tzinfo=VN))
    with FeedServer() as server:
        server.feed("/rss.xml", RSS.format(base=server.url("")), etag='"v1"')
        (plans / "units.yaml").write_text(UNITS_YAML.replace(
            "    name: Bưu điện tỉnh Thử Nghiệm\n",
            f"    name: Bưu điện tỉnh Thử Nghiệm\n    feeds: [\"{server.url('/rss.xml')}\"]\n"), encoding="utf-8")
        (plans / "plan.yaml").write_text(plan_yaml(OBLIGATIONS), encoding="utf-8")
        with Ledger(database) as ledger:
            ledger.sync(load_catalog([plans])[0])
        first = feeds(plans=[str(plans)], database=database)
        assert (first["ok"], first["failed"], first["recorded"], first["unmatched"]) == (1, 0, 1, 1)
        published = artifact("feeds")
        assert published is not None
        assert published["data"].startswith("# Nguồn tin\n") and "- Minh chứng đã ghi nhận: 1" in published["data"]
        assert "Bưu điện đưa nông sản lên sàn Postmart" in published["data"]
        assert "lý do khớp: từ khóa \"postmart\" trên nguồn tin của chính đơn vị" in published["data"]
        second = feeds(plans=[str(plans)], database=database)
        assert (second["not_modified"], second["recorded"]) == (1, 0)
        assert [r["if-none-match"] for r in server.requests] == [None, '"v1"']
        # the site goes down: the feeds run says so, and so does the tick's summary, naming the owner
        server.status("/rss.xml", 404)
        third = feeds(plans=[str(plans)], database=database)
        assert (third["failed"], third["recorded"]) == (1, 0)
        ticked = tick(as_of=set_now(dt.datetime(2026, 3, 28, 10, 30, tzinfo=VN)), plans=[str(plans)],
                      database=database)
        assert ticked["feeds_failing"] == 1
        summary = artifact("tick-changes")
        assert summary is not None and "## Nguồn tin không đọc được" in summary["data"]
        assert (f"- **Bưu điện tỉnh Thử Nghiệm**, {server.url('/rss.xml')}: lỗi 1 lần liên tiếp, "
                "đọc được lần cuối lúc 10:00 28/03/2026 (chi tiết kỹ thuật: ") in summary["data"]
    with Ledger(database) as ledger:
        [item] = ledger.evidence()
    assert (item.unit, item.obligation, item.source) == ("buu-dien", "tin-san", "feed")
    assert item.link is not None and item.link.endswith("/tin/postmart.html")  # utm_source dropped
    assert item.note == "Bưu điện đưa nông sản lên sàn Postmart"


def test_mail_in_flow_reads_the_mailbox_once_and_does_nothing_without_it(prefect_api, tmp_path, set_now, monkeypatch):
    """The `mail-in` flow (every 5 minutes) over a real IMAP mailbox (dovecot): a stranger's message goes to
    triage, a second run reads nothing; without COMMPLAN_IMAP_URL the flow says so and reads nothing."""
    from email.message import EmailMessage

    from conftest import UNITS_YAML, plan_yaml, weekly_report
    from imap_server import dovecot
    from imapclient import IMAPClient

    from commplan.flows.mail_in import mail_in
    from commplan.ledger import Ledger
    from commplan.plan import load_catalog
    from commplan.settings import get_settings

    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "units.yaml").write_text(UNITS_YAML, encoding="utf-8")
    (plans / "plan.yaml").write_text(plan_yaml(weekly_report()), encoding="utf-8")
    database = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    set_now(dt.datetime(2022, 3, 10, 10, 0, tzinfo=VN))
    with Ledger(database) as ledger:
        ledger.sync(load_catalog([plans])[0])
    monkeypatch.delenv("COMMPLAN_IMAP_URL", raising=False)
    get_settings.cache_clear()
    assert mail_in(plans=[str(plans)], database=database)["configured"] is False
    with dovecot() as server:
        message = EmailMessage()
        message["From"], message["Subject"], message["Message-ID"] = "someone@gmail.com", "Bài viết", "<m1@gmail.com>"
        message.set_content("https://baothanhhoa.vn/bai-1.html")
        client = IMAPClient(server.host, port=server.port, ssl=False)
        client.login(server.user, server.password)
        client.append("INBOX", message.as_bytes(), msg_time=dt.datetime(2022, 3, 10, 9, 0, tzinfo=VN))
        monkeypatch.setenv("COMMPLAN_IMAP_URL", server.url())
        try:
            first = mail_in(plans=[str(plans)], database=database)
            second = mail_in(plans=[str(plans)], database=database)
            client.select_folder("INBOX")
            flags = client.get_flags(client.search(["ALL"]))
        finally:
            client.logout()
            get_settings.cache_clear()
    assert (first["configured"], first["triage"], first["recorded"]) == (True, 1, 0)
    assert (second["triage"], second["already"]) == (0, 0) and all(b"\\Seen" in f for f in flags.values())
    with Ledger(database) as ledger:
        (item,) = ledger.triage_items(units=None, include_unowned=True)
        assert (item.why, item.sender, item.unit_id) == ("unknown-sender", "someone@gmail.com", None)
        assert ledger.evidence() == []
