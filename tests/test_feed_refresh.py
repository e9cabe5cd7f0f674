"""How the feeds run asks each feed (intake.feed_fetching.read_feeds), against a real loopback server and the
ledger (SQLite and PostgreSQL): a conditional GET only when the matching rules are those of the last full read
and that read is less than a day old, so that a 304 never hides the items a new rule would match."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from conftest import UNITS_YAML, plan_yaml
from feed_server import FeedServer

from commplan.intake.feed_fetching import read_feeds
from commplan.intake.feed_rules import rules_fingerprint
from commplan.plan import load_catalog

pytestmark = pytest.mark.server  # a loopback web server

VN = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = dt.datetime(2026, 3, 28, 10, 0, tzinfo=VN)
RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Bưu điện tỉnh</title>
<item><title>Bưu điện đưa nông sản lên sàn Postmart</title><link>https://buudien.example.vn/postmart.html</link>
<pubDate>Tue, 10 Mar 2026 09:00:00 +0700</pubDate></item>
<item><title>Hội nghị chuyển đổi số tại bưu cục</title><link>https://buudien.example.vn/cds.html</link>
<pubDate>Wed, 11 Mar 2026 09:00:00 +0700</pubDate></item>
</channel></rss>"""
POSTMART = """
- id: tin-postmart
  title: Tin về sàn Postmart
  kind: publish
  lead: buu-dien
  every: month
  from: 2026-01-01
  until: 2026-12-31
  due: {day: 20}
  match: [postmart]
"""
CDS = """
- id: tin-cds
  title: Tin chuyển đổi số
  kind: publish
  lead: buu-dien
  every: month
  from: 2026-01-01
  until: 2026-12-31
  due: {day: 20}
  match: [chuyển đổi số]
"""


def catalog(tmp_path, feed: str, obligations: str):
    folder = tmp_path / str(abs(hash(obligations)))
    folder.mkdir(exist_ok=True)
    (folder / "units.yaml").write_text(UNITS_YAML.replace(
        "    name: Bưu điện tỉnh Thử Nghiệm\n", f"    name: Bưu điện tỉnh Thử Nghiệm\n    feeds: [\"{feed}\"]\n"),
        encoding="utf-8")
    (folder / "plan.yaml").write_text(plan_yaml(obligations), encoding="utf-8")
    found, _ = load_catalog([folder], strict=True)
    return found


def test_new_rules_read_a_feed_whole_though_it_did_not_change_and_so_does_a_new_day(ledger, tmp_path):
    with FeedServer() as server:
        server.feed("/rss.xml", RSS, etag='"v1"')
        url = server.url("/rss.xml")
        before = catalog(tmp_path, url, POSTMART)
        ledger.sync(before, now=T0)
        first = read_feeds(before, ledger, allow_private_hosts=True, now=T0)
        assert first.feeds == {url: "ok"} and first.as_dict()["recorded"] == 1
        assert ledger.feed_source_state(url).rules_fingerprint == rules_fingerprint(before)
        unchanged = read_feeds(before, ledger, allow_private_hosts=True, now=T0 + dt.timedelta(hours=1))
        assert unchanged.feeds == {url: "not_modified"} and server.requests[-1]["if-none-match"] == '"v1"'

        after = catalog(tmp_path, url, POSTMART + CDS)  # a new duty reads the same feed
        assert rules_fingerprint(after) != rules_fingerprint(before)
        ledger.sync(after, now=T0 + dt.timedelta(hours=2))
        new_rules = read_feeds(after, ledger, allow_private_hosts=True, now=T0 + dt.timedelta(hours=2))
        assert server.requests[-1]["if-none-match"] is None  # asked for the whole feed
        assert new_rules.feeds == {url: "ok"}
        assert [(m.credit.obligation_id, m.record and m.record.outcome.value) for m in new_rules.matches] == [
            ("tin-postmart", "already"), ("tin-cds", "recorded")]

        again = read_feeds(after, ledger, allow_private_hosts=True, now=T0 + dt.timedelta(hours=3))
        assert again.feeds == {url: "not_modified"}  # the same rules: conditional again
        next_day = read_feeds(after, ledger, allow_private_hosts=True, now=T0 + dt.timedelta(hours=27))
        assert next_day.feeds == {url: "ok"} and server.requests[-1]["if-none-match"] is None  # once a day, whole
    assert {i.obligation for i in ledger.evidence()} == {"tin-postmart", "tin-cds"}


def test_a_preview_and_a_feed_never_read_ask_for_the_whole_feed(ledger, tmp_path):
    with FeedServer() as server:
        server.feed("/rss.xml", RSS, etag='"v1"')
        url = server.url("/rss.xml")
        rules = catalog(tmp_path, url, POSTMART)
        ledger.sync(rules, now=T0)
        read_feeds(rules, ledger, allow_private_hosts=True, now=T0)
        preview = read_feeds(rules, ledger, dry_run=True, allow_private_hosts=True, now=T0 + dt.timedelta(hours=1))
        assert preview.feeds == {url: "ok"} and server.requests[-1]["if-none-match"] is None
        assert [r["if-none-match"] for r in server.requests] == [None, None]


def test_the_fingerprint_is_the_same_in_another_process(tmp_path):
    """Else every hourly run would read every feed whole (a set's order varies with the hash seed)."""
    import os
    import subprocess
    import sys

    rules = catalog(tmp_path, "https://buudien.example.vn/rss", POSTMART + CDS)
    folder = next(p for p in tmp_path.iterdir() if p.is_dir())
    code = ("import sys; from commplan.plan import load_catalog; from commplan.intake.feed_rules import rules_fingerprint;"
            f" print(rules_fingerprint(load_catalog([{str(folder)!r}])[0]))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    other = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert other.stdout.strip() == rules_fingerprint(rules)
