"""`commplan feeds check|run` against feeds served in Vietnamese on loopback (RSS 2.0 and Atom), on SQLite and
PostgreSQL: a run twice records once, a preview records nothing, another topic or unit records nothing."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from cli_in_process import run_cli
from conftest import UNITS_YAML, plan_yaml
from feed_server import ATOM_TYPE, FeedServer
from test_feed_run import OBLIGATIONS

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Bưu điện tỉnh</title><link>{base}/</link>
<item><title>Bưu điện đưa nông sản lên sàn Postmart</title><link>{base}/tin/postmart.html?utm_source=zalo</link>
<pubDate>Tue, 10 Mar 2026 02:00:00 GMT</pubDate></item>
<item><title>Chi trả lương hưu tháng 3</title><link>{base}/tin/luong-huu.html</link>
<pubDate>Wed, 11 Mar 2026 02:00:00 GMT</pubDate></item>
</channel></rss>"""
# the portal's Atom feed, its titles in NFD: a named holder after the deadline (done late), another province's post
ATOM = unicodedata.normalize("NFD", """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Cổng thông tin tỉnh</title><id>urn:cong</id>
<updated>2026-03-25T01:00:00Z</updated>
<entry><title>Chi nhánh Viettel Post tỉnh Thử Nghiệm hướng dẫn bán hàng trên sàn thương mại điện tử</title>
<link href="{base}/tin/viettel.html"/><id>urn:1</id><updated>2026-03-25T01:00:00Z</updated></entry>
<entry><title>Bưu điện tỉnh Nghệ An đưa nông sản lên Postmart</title>
<link href="{base}/tin/nghe-an.html"/><id>urn:2</id><updated>2026-03-12T01:00:00Z</updated></entry>
</feed>""")


@pytest.fixture
def setup(ledger_url, tmp_path):
    with FeedServer() as server:
        post, portal = server.url("/rss.xml"), server.url("/atom.xml")
        base = server.url("")
        server.feed("/rss.xml", RSS.format(base=base), etag='"v1"')
        server.feed("/atom.xml", ATOM.format(base=base), content_type=ATOM_TYPE)
        units = UNITS_YAML.replace("    name: Bưu điện tỉnh Thử Nghiệm\n",
                                   f"    name: Bưu điện tỉnh Thử Nghiệm\n    feeds: [\"{post}\"]\n").replace(
            "    name: UBND tỉnh Thử Nghiệm\n", f"    name: UBND tỉnh Thử Nghiệm\n    feeds: [\"{portal}\"]\n")
        plans = tmp_path / "plans"
        plans.mkdir()
        (plans / "units.yaml").write_text(units, encoding="utf-8")
        (plans / "plan.yaml").write_text(plan_yaml(OBLIGATIONS), encoding="utf-8")
        env = {"COMMPLAN_DATABASE_URL": ledger_url, "COMMPLAN_DATA_DIR": str(tmp_path / "data"),
               "COMMPLAN_NOW": "2026-03-28T10:00:00+07:00", "COMMPLAN_FEEDS_ALLOW_PRIVATE_HOSTS": "true"}

        def commplan(*args: str, **more_env: str | None):
            return run_cli(*args, env={**env, **more_env})

        assert commplan("sync", str(plans)).returncode == 0
        yield commplan, str(plans), server


def evidence(commplan) -> list[dict]:
    listing = commplan("evidence", "list", "--format", "json")
    assert listing.returncode == 0, listing.stderr
    return json.loads(listing.stdout)


def test_feeds_run_twice_records_once_with_source_feed_and_check_records_nothing(setup):
    commplan, plans, _server = setup
    check = commplan("feeds", "check", "--plans", plans)
    assert check.returncode == 0, check.stderr
    assert "Sẽ được ghi nhận: 2" in check.stdout and "Không khớp nhiệm vụ nào: 2" in check.stdout
    assert "lý do khớp: từ khóa \"postmart\" trên nguồn tin của chính đơn vị" in check.stdout
    assert evidence(commplan) == []

    first = commplan("feeds", "run", "--plans", plans)
    assert first.returncode == 0, first.stderr
    assert "Nguồn tin: 2 (2 đọc được, 0 không có gì mới, 0 lỗi)" in first.stdout
    assert "Minh chứng đã ghi nhận: 2" in first.stdout
    second = commplan("feeds", "run", "--plans", plans)
    assert "Nguồn tin: 2 (1 đọc được, 1 không có gì mới, 0 lỗi)" in second.stdout  # the RSS answered 304
    assert "Minh chứng đã ghi nhận: 0" in second.stdout and "Đã ghi nhận từ trước: 1" in second.stdout

    items = {e["unit"]: e for e in evidence(commplan)}
    assert set(items) == {"buu-dien", "viettel-post"}
    assert items["buu-dien"]["source"] == "feed" and items["buu-dien"]["value"].endswith("/tin/postmart.html")
    assert items["buu-dien"]["note"] == "Bưu điện đưa nông sản lên sàn Postmart"
    assert json.loads(items["viettel-post"]["match_reason"])["via"] == "named"
    late = commplan("status", "--unit", "viettel-post", "--format", "json", "--as-of", "2026-03-28")
    march = [r for r in json.loads(late.stdout) if r["window_start"] == "2026-03-01"]
    assert [r["status"] for r in march] == ["done-late"]


def test_a_failing_feed_is_reported_and_blocks_nothing(setup):
    commplan, plans, server = setup
    server.status("/atom.xml", 500)
    run = commplan("feeds", "run", "--plans", plans)
    assert run.returncode == 1
    assert "1 lỗi" in run.stdout and "Minh chứng đã ghi nhận: 1" in run.stdout


def test_loopback_feeds_are_refused_unless_the_setting_allows_them(setup):
    commplan, plans, server = setup
    run = commplan("feeds", "run", "--plans", plans, COMMPLAN_FEEDS_ALLOW_PRIVATE_HOSTS=None)
    assert run.returncode == 1 and "Nguồn tin: 2 (0 đọc được, 0 không có gì mới, 2 lỗi)" in run.stdout
    assert "địa chỉ nguồn tin dẫn đến một địa chỉ nội bộ (127.0.0.1)" in run.stdout
    assert server.requests == []  # never connected
    allowed = commplan("feeds", "run", "--plans", plans, COMMPLAN_FEEDS_ALLOW_PRIVATE_HOSTS="true")
    assert allowed.returncode == 0 and "Nguồn tin: 2 (2 đọc được, 0 không có gì mới, 0 lỗi)" in allowed.stdout


def test_a_changed_rule_reads_the_feeds_whole_on_the_next_run(setup):
    """A 304 would hide the article a new keyword matches: the run after the plan changed asks for every feed
    whole, and the one after that is conditional again."""
    commplan, plans, server = setup
    commplan("feeds", "run", "--plans", plans)
    assert "1 không có gì mới" in commplan("feeds", "run", "--plans", plans).stdout
    plan = Path(plans) / "plan.yaml"
    plan.write_text(plan.read_text(encoding="utf-8").replace("keywords: [sàn thương mại điện tử, postmart]",
                                                             "keywords: [sàn thương mại điện tử, postmart, lương hưu]"),
                    encoding="utf-8")
    changed = commplan("feeds", "run", "--plans", plans)
    assert "Nguồn tin: 2 (2 đọc được, 0 không có gì mới, 0 lỗi)" in changed.stdout, changed.stdout
    assert server.requests_to("/rss.xml")[-1]["if-none-match"] is None
    # "Chi trả lương hưu tháng 3" now matches; March is done already. It was in the feed at its first read:
    # history, not work to sort, so it stays out of the triage list (as it would have with the rule from the start)
    assert "Không có nhiệm vụ đang mở vào ngày đăng: 1" in changed.stdout
    assert "Đưa vào hàng chờ xác nhận: 0" in changed.stdout
    assert "1 không có gì mới" in commplan("feeds", "run", "--plans", plans).stdout
