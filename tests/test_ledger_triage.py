"""The triage list (Ledger.add_triage / assign_triage / dismiss_triage) and inbound messages handled once
(Ledger.claim_inbound), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from conftest import UNITS_YAML, plan_yaml

from commplan.ledger import LedgerError, Status
from commplan.ledger.triage import LONGEST_ID, TriageInput
from commplan.plan import load_catalog

VN = ZoneInfo("Asia/Ho_Chi_Minh")
OBLIGATIONS = """
- id: tin-san
  title: Tin về sàn TMĐT
  kind: publish
  lead: [buu-dien, viettel-post]
  every: month
  from: 2026-01-01
  until: 2026-12-31
  due: {day: 20}
"""
MARCH_28 = dt.datetime(2026, 3, 28, 10, 0, tzinfo=VN)


@pytest.fixture
def synced(ledger, tmp_path):
    (tmp_path / "units.yaml").write_text(UNITS_YAML, encoding="utf-8")
    (tmp_path / "plan.yaml").write_text(plan_yaml(OBLIGATIONS), encoding="utf-8")
    catalog, _errors = load_catalog([tmp_path], strict=True)
    ledger.sync(catalog, now=MARCH_28)
    return ledger


def occurrence(ledger, unit: str, month: int) -> int:
    [row] = [r for r in ledger.statuses(as_of=MARCH_28, units=[unit]) if r.window_start == dt.date(2026, month, 1)]
    return row.id


def reply(external_id: str = "msg-1", **changes) -> TriageInput:
    values = dict(source="zalo", external_id=external_id, received_at=dt.datetime(2026, 3, 12, 9, tzinfo=VN),
                  why="ambiguous", unit_id="buu-dien", sender="zalo-user-7", link="https://buudien.example.vn/tin/a",
                  text="Đã đăng <b>bài</b>", match_reason=json.dumps({"reply_to": "delivery 4"}))
    return TriageInput(**{**values, **changes})


def test_an_item_enters_triage_once_and_is_listed_for_its_unit_only(synced):
    first = synced.add_triage(reply(), now=MARCH_28)
    assert first is not None
    assert synced.add_triage(reply(text="again"), now=MARCH_28) is None  # the same message, retried
    [item] = synced.triage_items(units=["buu-dien"], include_unowned=False)
    assert (item.id, item.why, item.text, item.sender) == (first, "ambiguous", "Đã đăng <b>bài</b>", "zalo-user-7")
    assert synced.triage_items(units=["viettel-post"], include_unowned=False) == []
    unowned = synced.add_triage(reply("mail-1", source="email", unit_id=None, why="unknown-sender"), now=MARCH_28)
    assert [i.id for i in synced.triage_items(units=["viettel-post"], include_unowned=True)] == [unowned]
    assert {i.id for i in synced.triage_items()} == {first, unowned}


def test_a_long_external_id_is_kept_as_its_digest_and_still_unique(synced):
    link = "https://tinh.example.vn/tin/" + "a" * (LONGEST_ID + 50)
    assert synced.add_triage(reply(link, source="feed", why="no-open-duty"), now=MARCH_28) is not None
    assert synced.add_triage(reply(link, source="feed", why="no-open-duty"), now=MARCH_28) is None
    [item] = synced.triage_items()
    assert item.external_id.startswith("sha256:")


def test_assigning_records_the_evidence_with_its_source_and_closes_the_item(synced):
    item_id = synced.add_triage(reply(), now=MARCH_28)
    march = occurrence(synced, "buu-dien", 3)
    result = synced.assign_triage(item_id, march, actor="dieu-phoi", now=MARCH_28)
    assert result.status is Status.DONE_ON_TIME and result.evidence_id is not None
    [evidence] = synced.evidence()
    assert (evidence.source, evidence.link, evidence.unit) == ("zalo", "https://buudien.example.vn/tin/a", "buu-dien")
    assert json.loads(evidence.match_reason or "") == {"reply_to": "delivery 4", "triage": item_id,
                                                        "assigned_by": "dieu-phoi"}
    closed = synced.triage_item(item_id)
    assert closed is not None and (closed.outcome, closed.evidence_id, closed.closed_by) == (
        "assigned", result.evidence_id, "dieu-phoi")
    assert synced.triage_items() == []
    with pytest.raises(LedgerError, match=f"#{item_id}"):
        synced.assign_triage(item_id, march, actor="dieu-phoi", now=MARCH_28)
    assert len(synced.evidence()) == 1


def test_an_item_of_one_unit_cannot_become_another_units_evidence(synced):
    item_id = synced.add_triage(reply(), now=MARCH_28)
    with pytest.raises(LedgerError, match="buu-dien"):
        synced.assign_triage(item_id, occurrence(synced, "viettel-post", 3), actor="dieu-phoi", now=MARCH_28)
    with pytest.raises(LedgerError, match="#999999"):
        synced.assign_triage(item_id, 999_999, actor="dieu-phoi", now=MARCH_28)
    assert synced.evidence() == [] and synced.triage_item(item_id).open


def test_dismissing_needs_a_reason_and_keeps_the_item(synced):
    item_id = synced.add_triage(reply(), now=MARCH_28)
    with pytest.raises(LedgerError):
        synced.dismiss_triage(item_id, "  ", actor="dieu-phoi", now=MARCH_28)
    synced.dismiss_triage(item_id, "Tin của đơn vị khác", actor="dieu-phoi", now=MARCH_28)
    [item] = synced.triage_items(open_only=False)
    assert (item.outcome, item.close_reason) == ("dismissed", "Tin của đơn vị khác")
    with pytest.raises(LedgerError, match=f"#{item_id}"):
        synced.dismiss_triage(item_id, "again", actor="dieu-phoi", now=MARCH_28)
    with pytest.raises(LedgerError, match="#424242"):
        synced.dismiss_triage(424242, "x", actor="dieu-phoi", now=MARCH_28)


def test_a_numbered_answer_finds_the_senders_newest_ambiguous_item(synced):
    synced.add_triage(reply("m1"), now=MARCH_28)
    newest = synced.add_triage(reply("m2", candidates=(5, 3)), now=MARCH_28 + dt.timedelta(minutes=1))
    synced.add_triage(reply("m3", why="no-open-duty"), now=MARCH_28 + dt.timedelta(minutes=2))
    found = synced.open_triage_for("zalo", "zalo-user-7")
    assert found is not None and (found.id, found.candidates) == (newest, (5, 3))
    assert synced.open_triage_for("zalo", "someone-else") is None


def test_an_inbound_message_is_claimed_once_and_its_outcome_kept(synced):
    sent = dt.datetime(2026, 3, 12, 9, tzinfo=VN)
    assert synced.claim_inbound("email", "<abc@x>", received_at=sent, now=MARCH_28) is True
    assert synced.claim_inbound("email", "<abc@x>", received_at=sent, now=MARCH_28) is False
    assert synced.claim_inbound("zalo", "<abc@x>", received_at=sent, now=MARCH_28) is True  # another source
    synced.note_inbound("email", "<abc@x>", "recorded", "evidence 4")
    assert synced.inbound_outcome("email", "<abc@x>") == ("recorded", "evidence 4")
    assert synced.inbound_outcome("email", "<nope@x>") is None


def test_bad_triage_input_is_refused(synced):
    with pytest.raises(LedgerError):
        synced.add_triage(reply(source="fax"), now=MARCH_28)
    with pytest.raises(LedgerError):
        synced.add_triage(reply(received_at=dt.datetime(2026, 3, 12, 9)), now=MARCH_28)
    assert synced.triage_items() == []


def test_two_coordinators_assigning_one_item_at_once_record_it_once(synced, ledger_url):
    """Two processes' ledgers assign the same item at the same moment, to two different months: one wins, the
    other is told it was handled; one evidence in all (PostgreSQL: the item's row lock; SQLite: BEGIN IMMEDIATE)."""
    import threading

    from commplan.ledger import Ledger

    item_id = synced.add_triage(reply(), now=MARCH_28)
    targets = [occurrence(synced, "buu-dien", 3), occurrence(synced, "buu-dien", 2)]
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def assign(target: int) -> None:
        with Ledger(ledger_url) as own:
            start.wait()
            try:
                outcomes.append(own.assign_triage(item_id, target, actor=f"dieu-phoi-{target}", now=MARCH_28))
            except LedgerError as error:
                outcomes.append(error)

    threads = [threading.Thread(target=assign, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 2 and sum(isinstance(o, LedgerError) for o in outcomes) == 1, outcomes
    assert "already handled" in str(next(o for o in outcomes if isinstance(o, LedgerError))) or "đã được xử lý" in str(
        next(o for o in outcomes if isinstance(o, LedgerError)))
    [evidence] = synced.evidence()
    closed = synced.triage_item(item_id)
    assert closed is not None and closed.evidence_id == evidence.id and evidence.occurrence_id in targets


def test_the_ledgers_triage_refusals_name_the_triage_list_as_the_pages_do(synced):
    """The triage page shows these refusals as they are (a second coordinator's click): they name the list the
    page names, "hàng chờ xác nhận", not another word for it."""
    item_id = synced.add_triage(reply(), now=MARCH_28)
    synced.dismiss_triage(item_id, "Tin của đơn vị khác", actor="dieu-phoi", now=MARCH_28)
    refusals = []
    for act in (lambda: synced.dismiss_triage(item_id, "x", actor="a", now=MARCH_28),
                lambda: synced.assign_triage(item_id, occurrence(synced, "buu-dien", 3), actor="a", now=MARCH_28),
                lambda: synced.dismiss_triage(424242, "x", actor="a", now=MARCH_28),
                lambda: synced.add_triage(reply(source="fax"), now=MARCH_28)):
        with pytest.raises(LedgerError) as refused:
            act()
        refusals.append(str(refused.value))
    assert all("hàng chờ xác nhận" in r and "phân loại" not in r for r in refusals), refusals
    assert refusals[0] == f"mục #{item_id} trong hàng chờ xác nhận đã được xử lý"


def test_a_long_sender_is_kept_whole(synced):
    """An email address may have 254 characters, a feed's address more: a sender is not a name of 200."""
    sender = "https://tinh.example.vn/" + "rss/" * 80
    added = synced.add_triage(reply("long", source="feed", why="no-open-duty", sender=sender), now=MARCH_28)
    assert added is not None and synced.triage_item(added).sender == sender
