"""What the dashboard asks the ledger about triage and self-recorded evidence (Ledger.triage_count,
triage_with_document, recent_evidence), on SQLite and PostgreSQL; and the one line that says why an item
matched (web.evidence_view.why_matched), for every intake's reason and for reasons it cannot read."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from test_ledger_triage import MARCH_28, occurrence, reply
from test_ledger_triage import synced as triage_synced  # noqa: F401  # a fixture: a month duty of two units

from commplan.ledger import EvidenceInput
from commplan.web.evidence_view import why_matched

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def synced(triage_synced):
    return triage_synced


def test_the_open_items_are_counted_within_a_scope(synced):
    first = synced.add_triage(reply("a"), now=MARCH_28)
    synced.add_triage(reply("b", unit_id="viettel-post"), now=MARCH_28)
    synced.add_triage(reply("c", unit_id=None, why="unknown-sender"), now=MARCH_28)
    assert synced.triage_count() == 3
    assert synced.triage_count(units=["buu-dien"], include_unowned=False) == 1
    assert synced.triage_count(units=["buu-dien"], include_unowned=True) == 2
    assert synced.triage_count(units=[], include_unowned=False) == 0
    synced.dismiss_triage(first, "không phải bài", actor="x", now=MARCH_28)
    assert synced.triage_count(units=["buu-dien"], include_unowned=False) == 0


def test_a_document_is_found_by_the_items_that_carry_it(synced):
    stored = synced.store_document(PDF, name="a.pdf", now=MARCH_28)
    item = synced.add_triage(reply("a", kind="document", link=None, document="Báo cáo.pdf",
                                   document_sha256=stored.sha256), now=MARCH_28)
    assert [i.id for i in synced.triage_with_document(stored.sha256)] == [item]
    assert synced.triage_with_document("0" * 64) == []


def test_recent_evidence_is_the_sources_asked_for_newest_recorded_first_within_units(synced):
    def record(unit: str, month: int, link: str, source: str, at: dt.datetime) -> int:
        result = synced.record_evidence("ke-hoach-thu/tin-san", unit, EvidenceInput(
            kind="link", link=link, source=source, match_reason=json.dumps({"via": source})),
            occurrence_id=occurrence(synced, unit, month), actor=source, now=at)
        assert result.evidence_id is not None
        return result.evidence_id

    old = record("buu-dien", 2, "https://a.vn/1", "feed", MARCH_28 - dt.timedelta(days=20))
    feed = record("buu-dien", 3, "https://a.vn/2", "feed", MARCH_28 - dt.timedelta(days=2))
    mail = record("buu-dien", 3, "https://a.vn/3", "email", MARCH_28 - dt.timedelta(days=1))
    record("buu-dien", 3, "https://a.vn/4", "manual", MARCH_28)
    other = record("viettel-post", 3, "https://b.vn/1", "zalo", MARCH_28)
    since = MARCH_28 - dt.timedelta(days=14)
    found = synced.recent_evidence(sources=("feed", "zalo", "email"), since=since)
    assert [i.id for i in found] == [other, mail, feed] and old not in [i.id for i in found]
    assert [i.id for i in synced.recent_evidence(sources=("feed", "email"), since=since, units=["buu-dien"])] == [mail, feed]
    assert [i.id for i in synced.recent_evidence(sources=("feed", "zalo", "email"), since=since, limit=1)] == [other]
    assert synced.recent_evidence(sources=(), since=since) == []


@pytest.mark.parametrize(("source", "reason", "line"), [
    ("feed", {"keyword": "chuyển đổi số", "via": "own-feed", "source": "bd"}, "từ khóa «chuyển đổi số» trên nguồn tin của đơn vị"),
    ("feed", {"keyword": "OCOP", "via": "named", "name": "Bưu điện", "source": "vp"},
     "từ khóa «OCOP» và tên «Bưu điện» trên nguồn tin của Văn phòng UBND"),
    ("email", {"delivery": 12, "message_id": "<a@b>", "keyword": "tuần"}, "trả lời email nhắc việc số 12; từ khóa «tuần»"),
    ("email", {}, "trả lời email nhắc việc"),
    ("zalo", {"via": "zalo", "reply_to_delivery": 4, "keywords": ["OCOP", "số"]},
     "trả lời Zalo tin nhắc việc số 4; từ khóa «OCOP», «số»"),
    ("zalo", {"via": "zalo", "triage": 3, "assigned_by": "web:sotttt"}, "trả lời qua Zalo; gán từ hàng chờ bởi sotttt"),
    ("feed", "not json {", "bài trên nguồn tin được theo dõi"),
    ("email", [1, 2], "trả lời email nhắc việc"),
    ("zalo", {"reply_to_delivery": "<b>4</b>"}, "trả lời qua Zalo"),
])
def test_why_an_item_matched_is_one_vietnamese_line(source, reason, line):
    text = reason if isinstance(reason, str) else json.dumps(reason, ensure_ascii=False)
    assert why_matched(source, text, {"vp": "Văn phòng UBND"}) == line


def test_an_item_a_person_typed_has_no_reason_line():
    assert why_matched("manual", None, {}) is None and why_matched("web", None, {}) is None
