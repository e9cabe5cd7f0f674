"""Calendar subscription feeds, served for real: uvicorn on a loopback port, a ledger on SQLite and on
PostgreSQL, requests over a socket. Tokens, 404s that reveal nothing, validators and 304s, a status
change seen on the next refresh, the coordinator's and a group's feed, and the two commands."""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path
from types import SimpleNamespace

import pytest
import uvicorn
from icalendar import Calendar, Component

from commplan.calendar.events import stable_uid
from commplan.cli import main
from commplan.ledger import EvidenceInput
from commplan.ledger.api import default_horizon
from commplan.links import feed_token, feed_token_ok, read_report_token
from commplan.settings import Settings, get_settings
from commplan.web.feeds import FeedConfigError, feed_app

pytestmark = pytest.mark.server  # uvicorn on a loopback port

SECRET = "feed-test-secret-5f0c2d7a9b-Lq8Zr3Vw6Nx1Ks4P"
PUBLIC = "https://lich.example.gov.vn"
VN = dt.timezone(dt.timedelta(hours=7))
REPO = Path(__file__).resolve().parents[1]


def plan_around(today: dt.date) -> str:
    """A weekly report by two units over the past 14 months and the next 10 weeks (some deadlines fall
    before the feeds' 365-day window), and a monthly duty of a group (each member owes it)."""
    month = today.replace(day=1)
    return f"""
- id: bao-cao-tuan
  title: Báo cáo tuần
  kind: report
  lead: [buu-dien, viettel-post]
  every: week
  from: {today - dt.timedelta(days=420)}
  until: {today + dt.timedelta(days=70)}
  due: {{weekday: thu, time: "14:00"}}
- id: phat-lai
  title: Phát lại chương trình
  kind: broadcast
  lead: ubnd-cap-huyen
  every: month
  at_least: 2
  from: {(month - dt.timedelta(days=80)).replace(day=1)}
  until: {(month + dt.timedelta(days=80)).replace(day=1) - dt.timedelta(days=1)}
"""


def settings(url: str, **overrides) -> Settings:
    return Settings(**{"database_url": url, "link_secret": SECRET, "public_url": PUBLIC, **overrides})


@contextlib.contextmanager
def running(app):
    """uvicorn serving `app` in a thread on a free loopback port; yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    waited = 0.0
    while not server.started:
        assert thread.is_alive() and waited < 60, "uvicorn did not start"
        time.sleep(0.02)
        waited += 0.02
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def fetch(url: str, *, method: str = "GET", headers: dict | None = None) -> SimpleNamespace:
    parts = urllib.parse.urlsplit(url)
    assert parts.hostname is not None, url
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        return SimpleNamespace(status=response.status, headers={k.lower(): v for k, v in response.getheaders()},
                               body=body)
    finally:
        connection.close()


def unit_url(base: str, unit: str, token: str | None = None) -> str:
    return f"{base}/calendars/{unit}.ics?token={feed_token(SECRET, unit) if token is None else token}"


def plan_url(base: str, plan: str, token: str | None = None) -> str:
    return f"{base}/calendars/plan/{plan}.ics?token={feed_token(SECRET, 'plan:' + plan) if token is None else token}"


def events_of(body: bytes) -> dict[str, Component]:
    return {str(e["UID"]): e for e in Calendar.from_ical(body).walk("VEVENT")}


def http_time(value: str) -> dt.datetime:
    return email.utils.parsedate_to_datetime(value)


@pytest.fixture
def served(ledger_url, ledger, write_plan, tmp_path):
    """The ledger synced with plans around today, and the feeds app serving them. The sync is stamped a
    few seconds back, as a tick's is (its start): a Last-Modified is never later than its response's
    second, so a feed fetched in the very second of a change says "modified" once more."""
    stamp = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    catalog = write_plan(plan_around(stamp.astimezone(VN).date()))
    synced_from = stamp.replace(microsecond=0)
    ledger.sync(catalog, now=stamp)
    app = feed_app(settings(ledger_url), plans=[tmp_path])
    with running(app) as base:
        yield SimpleNamespace(base=base, app=app, feeds=app.state.feeds, ledger=ledger, catalog=catalog,
                              synced_from=synced_from)


def window_rows(ledger, **selection):
    now = dt.datetime.now(dt.UTC)
    today = now.astimezone(VN).date()
    return ledger.calendar_rows(as_of=now, start=today - dt.timedelta(days=365), end=default_horizon(today, 1),
                                **selection)


def uids(rows) -> set[str]:
    return {stable_uid(r["plan"], r["obligation"], r["unit"], r["window_start"]) for r in rows}


# ---------------------------------------------------------------- a unit's feed


def test_a_units_feed_is_its_calendar_from_the_ledger(served):
    got = fetch(unit_url(served.base, "buu-dien"))
    assert got.status == 200
    assert got.headers["content-type"] == "text/calendar; charset=utf-8"
    assert re.fullmatch(r'"[0-9a-f]{32}"', got.headers["etag"])
    assert got.headers["cache-control"] == "private, max-age=900"
    assert got.headers["content-disposition"] == 'inline; filename="buu-dien.ics"'
    assert got.headers["content-length"] == str(len(got.body))
    modified = http_time(got.headers["last-modified"])
    assert served.synced_from <= modified <= dt.datetime.now(dt.UTC)  # the sync is the latest change

    calendar = Calendar.from_ical(got.body)
    assert calendar["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert calendar.decoded("REFRESH-INTERVAL") == dt.timedelta(hours=1)
    assert str(calendar["X-PUBLISHED-TTL"]) == "PT1H"
    assert b"\r\nX-WR-TIMEZONE:Asia/Ho_Chi_Minh\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\nX-PUBLISHED-TTL:PT1H\r\n" in got.body

    events = events_of(got.body)
    rows = window_rows(served.ledger, units=["buu-dien"])
    assert set(events) == uids(rows) and len(events) == len(rows) > 20
    everything = served.ledger.calendar_rows(as_of=dt.datetime.now(dt.UTC), units=["buu-dien"])
    assert len(everything) > len(rows)  # deadlines more than a year old are left out
    overdue = {stable_uid(r["plan"], r["obligation"], r["unit"], r["window_start"]) for r in rows if r["status"] == "overdue"}
    assert overdue and {u for u, e in events.items() if str(e["SUMMARY"]).startswith("[Quá hạn]")} == overdue
    by_uid = {stable_uid(r["plan"], r["obligation"], r["unit"], r["window_start"]): r for r in rows}
    for uid, event in events.items():  # the one-click report link of each occurrence
        url = str(event["URL"])
        assert url.startswith(f"{PUBLIC}/bao-cao/")
        token = url.rsplit("/", 1)[1]
        assert read_report_token(SECRET, token, now=dt.datetime.now(dt.UTC)) == (by_uid[uid]["id"], "buu-dien")

    head = fetch(unit_url(served.base, "buu-dien"), method="HEAD")
    assert (head.status, head.body, head.headers["etag"], head.headers["content-length"]) == (
        200, b"", got.headers["etag"], str(len(got.body)))
    health = fetch(f"{served.base}/healthz")
    assert (health.status, health.body) == (200, b"ok")


def legacy_feed_token(secret: str, key: str) -> str:
    """A feed token as issued before the keys were derived: an HMAC under the secret itself."""
    import base64
    import hashlib
    import hmac

    mac = hmac.new(secret.encode(), f"feed\n{key}".encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def test_a_feed_url_issued_before_the_upgrade_opens_its_feed_until_the_legacy_date(served, ledger_url, tmp_path):
    today = dt.datetime.now(dt.UTC).date()
    old_unit, old_plan = legacy_feed_token(SECRET, "buu-dien"), legacy_feed_token(SECRET, "plan:ke-hoach-thu")
    assert old_unit != feed_token(SECRET, "buu-dien")
    for until, status in ((today, 200), (today + dt.timedelta(days=1), 200), (today - dt.timedelta(days=1), 404)):
        with running(feed_app(settings(ledger_url, legacy_links_until=until), plans=[tmp_path])) as base:
            assert fetch(unit_url(base, "buu-dien", old_unit)).status == status, until
            assert fetch(plan_url(base, "ke-hoach-thu", old_plan)).status == status, until
            assert fetch(unit_url(base, "viettel-post", old_unit)).status == 404  # still one unit's token
            assert fetch(unit_url(base, "buu-dien")).status == 200  # the new form, whatever the date
    assert fetch(unit_url(served.base, "buu-dien", legacy_feed_token("another secret", "buu-dien"))).status == 404


def test_a_wrong_token_and_an_unknown_unit_are_the_same_404(served):
    base = served.base
    assert fetch(unit_url(base, "buu-dien")).status == 200
    refused = [
        unit_url(base, "buu-dien", "wrong"),
        f"{base}/calendars/buu-dien.ics",  # no token
        unit_url(base, "buu-dien", ""),
        unit_url(base, "buu-dien", "%C3%A9t%C3%A9"),  # not ASCII
        unit_url(base, "buu-dien", feed_token(SECRET, "viettel-post")),  # another unit's token
        unit_url(base, "buu-dien", feed_token("another secret", "buu-dien")),
        unit_url(base, "buu-dien", feed_token(SECRET, "plan:ke-hoach-thu")),  # the plan's token
        unit_url(base, "khong-co"),  # an unknown unit, with the token it would have
        plan_url(base, "khong-co"),
        plan_url(base, "ke-hoach-thu", feed_token(SECRET, "ke-hoach-thu")),  # a unit's token on a plan
        plan_url(base, "ke-hoach-thu", feed_token(SECRET, "buu-dien")),
        f"{base}/calendars/plan:ke-hoach-thu.ics?token={feed_token(SECRET, 'plan:ke-hoach-thu')}",
        f"{base}/nowhere",
    ]
    answers = [fetch(url) for url in refused]
    assert [a.status for a in answers] == [404] * len(refused)
    assert {a.body for a in answers} == {b"Not Found"}
    assert {a.headers["content-type"] for a in answers} == {"text/plain; charset=utf-8"}
    assert not any("etag" in a.headers or "last-modified" in a.headers for a in answers)


# ---------------------------------------------------------------- validators


def test_conditional_requests_answer_304_and_if_modified_since_builds_nothing(served):
    url = unit_url(served.base, "viettel-post")
    first = fetch(url)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    served.feeds.forget()  # as after a restart: nothing cached
    builds = served.feeds.builds
    since = fetch(url, headers={"If-Modified-Since": modified})
    assert (since.status, since.body, since.headers["last-modified"]) == (304, b"", modified)
    assert "content-length" not in since.headers or since.headers["content-length"] == "0"
    assert served.feeds.builds == builds  # answered from the ledger's change times alone
    later = email.utils.format_datetime(http_time(modified) + dt.timedelta(days=3), usegmt=True)
    assert fetch(url, headers={"If-Modified-Since": later}).status == 304
    earlier = email.utils.format_datetime(http_time(modified) - dt.timedelta(seconds=1), usegmt=True)
    again = fetch(url, headers={"If-Modified-Since": earlier})
    assert (again.status, again.body, again.headers["etag"]) == (200, first.body, etag)
    assert served.feeds.builds == builds + 1
    assert fetch(url, headers={"If-Modified-Since": "not a date"}).status == 200

    for tag in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        matched = fetch(url, headers={"If-None-Match": tag})
        assert (matched.status, matched.body, matched.headers["etag"], matched.headers["last-modified"]) == (
            304, b"", etag, modified), tag
    assert served.feeds.builds == builds + 1  # the body is cached by the ledger state
    other = fetch(url, headers={"If-None-Match": '"0123"'})
    assert (other.status, other.body) == (200, first.body)
    # If-None-Match decides when both are sent (RFC 9110 13.2.2)
    assert fetch(url, headers={"If-None-Match": '"0123"', "If-Modified-Since": modified}).status == 200
    assert fetch(url, method="HEAD", headers={"If-None-Match": etag}).status == 304


def test_a_status_change_shows_on_the_next_refresh(served):
    url = unit_url(served.base, "buu-dien")
    first = fetch(url)
    before = events_of(first.body)
    recorded = served.ledger.record_evidence("bao-cao-tuan", "buu-dien", EvidenceInput(kind="document", document="bc.pdf"))
    done = next(stable_uid(r["plan"], r["obligation"], r["unit"], r["window_start"])
                for r in window_rows(served.ledger, units=["buu-dien"]) if r["id"] == recorded.occurrence_id)
    assert not str(before[done]["SUMMARY"]).startswith("[Đã hoàn thành]")

    # a subscriber's refresh sends back both validators: both say "changed"
    second = fetch(url, headers={"If-None-Match": first.headers["etag"], "If-Modified-Since": first.headers["last-modified"]})
    assert second.status == 200 and second.headers["etag"] != first.headers["etag"]
    assert fetch(url, headers={"If-Modified-Since": first.headers["last-modified"]}).status == 200
    after = events_of(second.body)
    assert str(after[done]["SUMMARY"]).startswith("[Đã hoàn thành] Báo cáo tuần")
    assert "Đã thực hiện: 1/1" in str(after[done]["DESCRIPTION"])
    assert not after[done].walk("VALARM")  # nothing left to remind of
    assert set(after) == set(before)

    overdue = next(r for r in window_rows(served.ledger, units=["buu-dien"]) if r["status"] == "overdue")
    served.ledger.excuse(overdue["id"], "Đơn vị đã báo cáo bằng văn bản")
    third = fetch(url, headers={"If-None-Match": second.headers["etag"]})
    assert third.status == 200 and third.headers["etag"] not in (first.headers["etag"], second.headers["etag"])
    excused = events_of(third.body)[stable_uid(overdue["plan"], overdue["obligation"], overdue["unit"], overdue["window_start"])]
    assert str(excused["STATUS"]) == "CANCELLED" and str(excused["SUMMARY"]).startswith("[Miễn]")
    assert http_time(third.headers["last-modified"]) >= http_time(second.headers["last-modified"])

    # an unchanged ledger: the same bytes and ETag, cached or built again
    fourth, fifth = fetch(url), fetch(url)
    builds = served.feeds.builds
    served.feeds.forget()
    rebuilt = fetch(url)
    assert served.feeds.builds == builds + 1
    assert fourth.body == fifth.body == rebuilt.body == third.body
    assert fourth.headers["etag"] == fifth.headers["etag"] == rebuilt.headers["etag"] == third.headers["etag"]
    # any If-Modified-Since at or after the excusal: not modified
    since = email.utils.format_datetime(dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=1),
                                        usegmt=True)
    assert fetch(url, headers={"If-Modified-Since": since}).status == 304
    # the other unit's feed did not change
    other = fetch(unit_url(served.base, "viettel-post"))
    assert not any(str(e["SUMMARY"]).startswith(("[Đã hoàn thành]", "[Miễn]")) for e in events_of(other.body).values())


def test_time_alone_changes_a_feed_a_deadline_passing_and_the_window_moving(ledger_url, ledger, write_plan, tmp_path):
    """No ledger write, and yet the feed changes: an open occurrence becomes overdue when its deadline
    passes, and a deadline leaves the window 366 days later. Both are Last-Modified moments, so a
    subscriber's If-Modified-Since refresh sees them (the app runs on a clock the test moves)."""
    stamp = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    ledger.sync(write_plan(plan_around(stamp.astimezone(VN).date())), now=stamp)
    rows = ledger.calendar_rows(as_of=stamp, units=["buu-dien"])
    uid = {r["id"]: stable_uid(r["plan"], r["obligation"], r["unit"], r["window_start"]) for r in rows}
    upcoming = min((r for r in rows if r["due"] > stamp + dt.timedelta(minutes=5)), key=lambda r: r["due"])
    first_day = stamp.astimezone(VN).date() - dt.timedelta(days=364)
    oldest = min((r for r in rows if r["due"].astimezone(VN).date() >= first_day), key=lambda r: r["due"])
    leaves = dt.datetime.combine(oldest["due"].astimezone(VN).date() + dt.timedelta(days=366), dt.time(), tzinfo=VN)

    clock = [stamp]
    app = feed_app(settings(ledger_url), plans=[tmp_path], clock=lambda: clock[0])
    url = unit_url("", "buu-dien")
    with running(app) as base:
        for moment, check in sorted([(upcoming["due"], "overdue"), (leaves, "window")]):
            clock[0] = moment - dt.timedelta(seconds=30)
            before = fetch(base + url)
            clock[0] = moment + dt.timedelta(seconds=30)
            after = fetch(base + url, headers={"If-Modified-Since": before.headers["last-modified"]})
            assert after.status == 200 and after.headers["etag"] != before.headers["etag"], check
            assert http_time(after.headers["last-modified"]) == moment, check
            assert fetch(base + url, headers={"If-Modified-Since": after.headers["last-modified"]}).status == 304
            if check == "overdue":
                summary = lambda data: str(events_of(data)[uid[upcoming["id"]]]["SUMMARY"])  # noqa: E731
                assert summary(before.body).startswith("Báo cáo tuần") and summary(after.body).startswith("[Quá hạn] ")
            else:
                assert set(events_of(before.body)) - set(events_of(after.body)) == {uid[oldest["id"]]}


# ---------------------------------------------------------------- coordinator and group feeds


def test_a_plans_coordinator_feed_and_a_groups_feed(served):
    got = fetch(plan_url(served.base, "ke-hoach-thu"))
    assert got.status == 200 and got.headers["content-type"] == "text/calendar; charset=utf-8"
    assert got.headers["content-disposition"] == 'inline; filename="ke-hoach-thu.ics"'
    calendar = Calendar.from_ical(got.body)
    assert str(calendar["X-WR-CALNAME"]) == "Lịch theo dõi kế hoạch 1/KH-UBND"
    events = events_of(got.body)
    rows = window_rows(served.ledger, plans=["ke-hoach-thu"])
    assert set(events) == uids(rows) and len(events) == len(rows)
    assert {r["unit"] for r in rows} == {"buu-dien", "viettel-post", "ubnd-huyen-a", "ubnd-huyen-b"}
    assert any(str(e["SUMMARY"]).endswith("Chi nhánh Viettel Post tỉnh Thử Nghiệm") for e in events.values())
    assert fetch(plan_url(served.base, "ke-hoach-thu"), headers={"If-None-Match": got.headers["etag"]}).status == 304

    group = fetch(unit_url(served.base, "ubnd-cap-huyen"))
    assert group.status == 200
    members = window_rows(served.ledger, units=["ubnd-cap-huyen"])
    assert set(events_of(group.body)) == uids(members)
    assert {r["unit"] for r in members} == {"ubnd-huyen-a", "ubnd-huyen-b"}
    assert {u for u in events if ".phat-lai." in u} == uids(members)


def test_mounted_in_another_app_the_feeds_open_the_ledger_themselves(served, ledger_url, tmp_path):
    """A later web app may mount the feeds: Starlette runs no lifespan of a mounted app."""
    from starlette.applications import Starlette
    from starlette.routing import Mount

    host = Starlette(routes=[Mount("/", app=feed_app(settings(ledger_url), plans=[tmp_path]))])
    with running(host) as base:
        mounted = fetch(unit_url(base, "viettel-post"))
    direct = fetch(unit_url(served.base, "viettel-post"))
    assert mounted.status == direct.status == 200
    # another app on the same ledger: the same bytes, the same validators
    assert (mounted.body, mounted.headers["etag"], mounted.headers["last-modified"]) == (
        direct.body, direct.headers["etag"], direct.headers["last-modified"])


# ---------------------------------------------------------------- configuration and commands


def test_no_link_secret_no_feeds(tmp_path, write_plan, monkeypatch, capsys):
    write_plan(plan_around(dt.date.today()))
    for secret in (None, "", "   "):
        with pytest.raises(FeedConfigError, match="chưa đặt COMMPLAN_LINK_SECRET: mã của nguồn lịch được ký bằng khóa này"):
            feed_app(settings(f"sqlite:///{tmp_path / 'x.sqlite3'}", link_secret=secret), plans=[tmp_path])
    (tmp_path / "broken.yaml").write_text("commplan: 1\nplan: [\n", encoding="utf-8")
    with pytest.raises(FeedConfigError, match="các kế hoạch có lỗi:"):
        feed_app(settings(f"sqlite:///{tmp_path / 'x.sqlite3'}"), plans=[tmp_path])

    monkeypatch.delenv("COMMPLAN_LINK_SECRET", raising=False)
    # a database of its own (not the embedded default, where a secret is generated): every process must share one
    monkeypatch.setenv("COMMPLAN_DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    get_settings.cache_clear()
    try:
        assert main(["serve-calendars", "--plans", str(tmp_path), "--port", "0"]) == 1
        assert "chưa đặt COMMPLAN_LINK_SECRET" in capsys.readouterr().err
        assert main(["feed-url", "--unit", "buu-dien"]) == 1
        assert "lỗi: chưa đặt COMMPLAN_LINK_SECRET" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()


def test_feed_url_prints_an_address_that_opens_the_feed(served, monkeypatch, capsys):
    monkeypatch.setenv("COMMPLAN_LINK_SECRET", SECRET)
    monkeypatch.setenv("COMMPLAN_PUBLIC_URL", served.base + "/")
    get_settings.cache_clear()
    try:
        for argv, key, path in ((["--unit", "buu-dien"], "buu-dien", "/calendars/buu-dien.ics"),
                                (["--plan", "ke-hoach-thu"], "plan:ke-hoach-thu", "/calendars/plan/ke-hoach-thu.ics")):
            assert main(["feed-url", *argv]) == 0
            http_line, webcal_line = capsys.readouterr().out.splitlines()
            parts = urllib.parse.urlsplit(http_line)
            assert f"{parts.scheme}://{parts.netloc}" == served.base and parts.path == path
            token = urllib.parse.parse_qs(parts.query)["token"][0]
            assert feed_token_ok(SECRET, key, token) and not feed_token_ok(SECRET, "viettel-post", token)
            assert webcal_line == "webcal://" + http_line.removeprefix("http://")
            got = fetch(http_line)
            assert got.status == 200 and got.headers["content-type"] == "text/calendar; charset=utf-8"
        monkeypatch.delenv("COMMPLAN_PUBLIC_URL")
        get_settings.cache_clear()
        assert main(["feed-url", "--unit", "viettel-post"]) == 0
        out = capsys.readouterr()
        assert out.out.splitlines()[0] == f"http://127.0.0.1:8080/calendars/viettel-post.ics?token={feed_token(SECRET, 'viettel-post')}"
        assert "lưu ý: chưa đặt COMMPLAN_PUBLIC_URL" in out.err
    finally:
        get_settings.cache_clear()


def test_serve_calendars_on_the_command_line(ledger_url, ledger, write_plan, tmp_path):
    ledger.sync(write_plan(plan_around(dt.datetime.now(VN).date())))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "COMMPLAN_LINK_SECRET": SECRET, "COMMPLAN_DATA_DIR": str(tmp_path / "data")}
    env.pop("COMMPLAN_PUBLIC_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "commplan", "serve-calendars", "--port", str(port), "--plans", str(tmp_path),
         "--database", ledger_url],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            with contextlib.suppress(OSError):
                if fetch(f"{base}/healthz").status == 200:
                    break
            time.sleep(0.1)
        got = fetch(unit_url(base, "buu-dien"))
        assert got.status == 200 and got.headers["content-type"] == "text/calendar; charset=utf-8"
        assert set(events_of(got.body)) == uids(window_rows(ledger, units=["buu-dien"]))
        assert "URL:" not in got.body.decode()  # no public address configured: no report links
        assert fetch(unit_url(base, "buu-dien", "wrong")).status == 404
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=60)
    assert "GET /calendars/buu-dien.ics 200" in output and "GET /calendars/buu-dien.ics 404" in output
    assert feed_token(SECRET, "buu-dien") not in output  # tokens stay out of the log


# ---------------------------------------------------------------- hostile requests


@pytest.mark.parametrize("since", [
    "Mon, 01 Jan 0001 00:00:00 GMT",
    "Sat, 01 Jan 1 00:00:00 +2359",  # the year 1 pushed before the start of the calendar
    "Fri, 31 Dec 9999 23:59:59 -2359",  # the year 9999 pushed past its end
    "Fri, 31 Dec 9999 23:59:59 GMT",
    "Mon, 01 Jan 99999999999999999999999 00:00:00 GMT",  # too large for the C library
    "Mon, 99 Foo 2024 99:99:99 GMT",
    "garbage",
    "",
])
def test_an_extreme_or_garbled_if_modified_since_is_ignored_or_answered_never_a_500(served, since):
    url = unit_url(served.base, "buu-dien")
    got = fetch(url, headers={"If-Modified-Since": since})
    assert got.status in (200, 304)
    if got.status == 200:
        assert events_of(got.body)  # the whole calendar, as without the header
    else:  # only a date after the last change may answer "not modified"
        assert "9999" in since


def test_a_trailing_slash_is_not_found_never_a_redirect_to_the_host_header(served):
    token = feed_token(SECRET, "buu-dien")
    for path in (f"/calendars/buu-dien.ics/?token={token}", (f"/calendars/plan/ke-hoach-thu.ics/?token="
                 f"{feed_token(SECRET, 'plan:ke-hoach-thu')}"), "/healthz/"):
        got = fetch(served.base + path, headers={"Host": "attacker.example"})
        assert got.status == 404, path
        assert "location" not in got.headers
        assert token.encode() not in got.body and b"attacker" not in got.body
    assert fetch(unit_url(served.base, "buu-dien"), headers={"Host": "attacker.example"}).status == 200
