"""Users of the web app in the ledger (SQLite and PostgreSQL): argon2 passwords, audited logins slowed
down after repeated failures, hashed API tokens, what each user may see (two provinces), acknowledgements
and revoked report links."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select
from sqlmodel import col
from two_provinces import PLAIN_PROVINCE_A, PROVINCE_B, plan_file, weekly_report
from two_provinces import synced as synced_ledger

from commplan import links
from commplan.ledger import Ledger, LedgerError, password_problem
from commplan.ledger import tables as t
from commplan.ledger.users import FAILURE_WINDOW, MAX_FAILURES, Scope

VN = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2022, 3, 20, 9, 0, tzinfo=VN)
GOOD = "Trống đồng Đông Sơn 1924"  # long, not common, many different characters
SECRET = "s" * 40


def plan(ident: str, issuer: str, coordinator: str, lead: str) -> str:
    return plan_file(ident, issuer, coordinator, weekly_report(lead), number="1/KH-UBND")


@pytest.fixture
def synced(ledger, tmp_path) -> Ledger:
    """Two provinces, each with its own plan (issued by the UBND, coordinated by the Sở)."""
    synced_ledger(ledger, tmp_path, {
        "a.units.yaml": PLAIN_PROVINCE_A, "b.units.yaml": PROVINCE_B,
        "plan-a.yaml": plan("ke-hoach-a", "ubnd-tinh", "so-tttt", "[buu-dien, ubnd-xa-a]"),
        "plan-b.yaml": plan("ke-hoach-b", "ubnd-tinh-lg", "so-tttt-lg", "buu-dien-lg")}, NOW)
    return ledger


def occurrence_of(ledger: Ledger, unit: str) -> int:
    return next(row.id for row in ledger.statuses(as_of=NOW) if row.unit == unit)


# ---------------------------------------------------------------- users and passwords

def test_a_user_is_stored_with_an_argon2_hash_never_the_password(synced):
    user = synced.add_user("sotttt", GOOD, role="coordinator", unit="so-tttt", display_name="Nguyễn Văn A", now=NOW)
    assert (user.login, user.role, user.unit_id, user.display_name, user.disabled) == (
        "sotttt", "coordinator", "so-tttt", "Nguyễn Văn A", False)
    assert user.created_at == NOW.astimezone(dt.UTC)
    with synced.transaction() as connection:
        stored = connection.execute(select(col(t.UserRow.password_hash))).scalar_one()
    assert stored.startswith("$argon2id$") and GOOD not in stored
    assert synced.user("sotttt") == user and [u.login for u in synced.all_users()] == ["sotttt"]


@pytest.mark.parametrize(("login", "role", "unit", "message"), [
    ("x", "coordinator", "khong-co", "đơn vị 'khong-co'"),  # not in the directory
    ("x", "coordinator", None, "--unit"),  # only an admin has no unit
    ("x", "owner", "so-tttt", "'owner'"),
    ("hai tu", "viewer", "so-tttt", "'hai tu'"),
])
def test_a_user_needs_a_known_unit_a_role_and_a_one_word_login(synced, login, role, unit, message):
    with pytest.raises(LedgerError, match=message):
        synced.add_user(login, GOOD, role=role, unit=unit, now=NOW)
    assert synced.all_users() == []


def test_a_login_is_taken_once(synced):
    synced.add_user("sotttt", GOOD, role="coordinator", unit="so-tttt", now=NOW)
    with pytest.raises(LedgerError, match="đã có"):
        synced.add_user("sotttt", GOOD, role="viewer", unit="so-tttt", now=NOW)


@pytest.mark.parametrize("weak", ["ngắn quá", "Password2024!", "123456789012345", "matkhau@123456", "aaaaaaaaaaaaab",
                                  "sotttt-la-toi-2024"])
def test_weak_passwords_are_refused(synced, weak):
    assert password_problem(weak, "sotttt") is not None
    with pytest.raises(LedgerError):
        synced.add_user("sotttt", weak, role="coordinator", unit="so-tttt", now=NOW)
    assert password_problem(GOOD, "sotttt") is None


def test_verify_login_checks_the_password_and_audits_every_attempt(synced):
    synced.add_user("sotttt", GOOD, role="coordinator", unit="so-tttt", now=NOW)
    ok = synced.verify_login("sotttt", GOOD, remote_addr="203.0.113.7", now=NOW)
    assert ok.ok and ok.user is not None and ok.user.login == "sotttt"
    wrong = synced.verify_login("sotttt", GOOD + "x", remote_addr="203.0.113.8", now=NOW + dt.timedelta(seconds=1))
    assert (wrong.ok, wrong.outcome, wrong.user) == (False, "bad-password", None)
    nobody = synced.verify_login("khong-ai", GOOD, now=NOW + dt.timedelta(seconds=2))
    assert (nobody.ok, nobody.outcome) == (False, "unknown")
    audit = synced.login_attempts()
    assert [(a.login, a.success, a.outcome, a.remote_addr) for a in audit] == [
        ("khong-ai", False, "unknown", None), ("sotttt", False, "bad-password", "203.0.113.8"),
        ("sotttt", True, "ok", "203.0.113.7")]
    assert [a.outcome for a in synced.login_attempts("sotttt")] == ["bad-password", "ok"]


def test_a_new_password_replaces_the_old_one(synced):
    synced.add_user("sotttt", GOOD, role="coordinator", unit="so-tttt", now=NOW)
    synced.set_password("sotttt", "Hồ Hoàn Kiếm rùa vàng 7", now=NOW)
    assert not synced.verify_login("sotttt", GOOD, now=NOW).ok
    assert synced.verify_login("sotttt", "Hồ Hoàn Kiếm rùa vàng 7", now=NOW + dt.timedelta(minutes=1)).ok
    with pytest.raises(LedgerError):
        synced.set_password("sotttt", "short", now=NOW)
    with pytest.raises(LedgerError, match="khong-ai"):
        synced.set_password("khong-ai", GOOD, now=NOW)


def test_a_disabled_user_cannot_log_in_nor_use_a_token(synced):
    synced.add_user("sotttt", GOOD, role="coordinator", unit="so-tttt", now=NOW)
    issued = synced.issue_api_token("sotttt", now=NOW)
    user = synced.disable_user("sotttt", now=NOW)
    assert user.disabled
    refused = synced.verify_login("sotttt", GOOD, now=NOW)
    assert (refused.ok, refused.outcome) == (False, "disabled")
    assert synced.user_for_api_token(issued.token) is None
    synced.enable_user("sotttt", now=NOW)
    assert synced.user_for_api_token(issued.token) is not None


def test_repeated_failures_lock_the_login_for_a_while_even_with_the_right_password(synced):
    synced.add_user("sotttt", GOOD, role="coordinator", unit="so-tttt", now=NOW)
    results = [synced.verify_login("sotttt", f"sai mật khẩu {attempt}", now=NOW + dt.timedelta(minutes=attempt))
               for attempt in range(MAX_FAILURES)]
    assert [r.outcome for r in results] == ["bad-password"] * MAX_FAILURES
    assert [r.retry_after for r in results[:-1]] == [None] * (MAX_FAILURES - 1)  # the brake is not on yet
    moment, result = NOW + dt.timedelta(minutes=MAX_FAILURES - 1), results[-1]
    first_lift = NOW + FAILURE_WINDOW  # the oldest failure leaves the window
    assert result.retry_after == first_lift.astimezone(dt.UTC)
    locked = synced.verify_login("sotttt", GOOD, now=moment + dt.timedelta(minutes=1))
    assert (locked.ok, locked.outcome, locked.retry_after) == (False, "locked", first_lift.astimezone(dt.UTC))
    assert synced.login_attempts("sotttt")[0].outcome == "locked"  # refusals are audited too
    # locked attempts do not extend the brake: once the oldest failure is 15 minutes old, a try is accepted
    assert synced.verify_login("sotttt", GOOD, now=first_lift + dt.timedelta(seconds=1)).ok


def test_a_burst_of_parallel_guesses_gets_no_more_tries_than_the_brake_allows(synced):
    """Guesses sent at once (several threads, several workers) each see the ones let through before them:
    only MAX_FAILURES passwords are checked, on the real clock (`now` read under the lock)."""
    synced.add_user("sotttt", GOOD, role="coordinator", unit="so-tttt", now=NOW)
    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(lambda attempt: synced.verify_login("sotttt", f"đoán {attempt}").outcome, range(16)))
    assert sorted(outcomes) == ["bad-password"] * MAX_FAILURES + ["locked"] * (16 - MAX_FAILURES)
    assert sorted(a.outcome for a in synced.login_attempts("sotttt")) == sorted(outcomes)  # none left "checking"


def test_a_success_clears_the_count_and_other_logins_are_not_braked(synced):
    synced.add_user("sotttt", GOOD, role="coordinator", unit="so-tttt", now=NOW)
    synced.add_user("xa-a", GOOD, role="viewer", unit="ubnd-xa-a", now=NOW)
    for attempt in range(MAX_FAILURES - 1):
        synced.verify_login("sotttt", "sai", now=NOW + dt.timedelta(seconds=attempt))
    assert synced.verify_login("sotttt", GOOD, now=NOW + dt.timedelta(seconds=10)).ok
    for attempt in range(MAX_FAILURES - 1):
        assert synced.verify_login("sotttt", "sai", now=NOW + dt.timedelta(seconds=20 + attempt)).outcome == "bad-password"
    for attempt in range(MAX_FAILURES):
        synced.verify_login("khong-ai", "sai", now=NOW + dt.timedelta(seconds=30 + attempt))
    assert synced.verify_login("khong-ai", "sai", now=NOW + dt.timedelta(seconds=40)).outcome == "locked"
    assert synced.verify_login("xa-a", GOOD, now=NOW + dt.timedelta(seconds=41)).ok


# ---------------------------------------------------------------- API tokens

def test_an_api_token_is_shown_once_and_stored_hashed(synced):
    synced.add_user("sotttt", GOOD, role="coordinator", unit="so-tttt", now=NOW)
    issued = synced.issue_api_token("sotttt", label="báo cáo tự động", now=NOW)
    assert issued.token.startswith("cp_") and len(issued.token) > 40
    with synced.transaction() as connection:
        digest = connection.execute(select(col(t.ApiTokenRow.digest))).scalar_one()
    assert issued.token not in digest and len(digest) == 64
    user = synced.user_for_api_token(issued.token)
    assert user is not None and user.login == "sotttt"
    for wrong in (issued.token + "x", issued.token[:-1], digest, "", "cp_' OR 1=1 --"):
        assert synced.user_for_api_token(wrong) is None
    second = synced.issue_api_token("sotttt", now=NOW)
    assert synced.revoke_api_token(issued.id, now=NOW) is True
    assert synced.revoke_api_token(issued.id, now=NOW) is False  # once
    assert synced.user_for_api_token(issued.token) is None
    assert synced.user_for_api_token(second.token) is not None  # the other token still works


# ---------------------------------------------------------------- scope

def test_an_admin_sees_everything(synced):
    synced.add_user("bo", GOOD, role="admin", unit=None, now=NOW)
    scope = synced.scope_for("bo")
    assert scope.everything and scope.sees_plan("ke-hoach-b") and scope.sees_unit("buu-dien-lg")


def test_a_coordinator_sees_their_plans_and_their_province_only(synced):
    synced.add_user("sotttt", GOOD, role="coordinator", unit="so-tttt", now=NOW)
    synced.add_user("sotttt-lg", GOOD, role="coordinator", unit="so-tttt-lg", now=NOW)
    a, b = synced.scope_for("sotttt"), synced.scope_for("sotttt-lg")
    assert not a.everything and a.province == "thu-nghiem"
    assert a.plans == {"ke-hoach-a"} and a.units == {"ubnd-tinh", "so-tttt", "buu-dien", "ubnd-xa-a", "bao-chi"}
    assert b.plans == {"ke-hoach-b"} and b.units == {"ubnd-tinh-lg", "so-tttt-lg", "buu-dien-lg"}
    assert not a.sees_unit("buu-dien-lg") and not a.sees_plan("ke-hoach-b")
    assert not b.sees_unit("buu-dien") and not b.sees_plan("ke-hoach-a")


def test_the_issuer_sees_its_plan_and_a_commune_viewer_its_province_but_no_plan(synced):
    synced.add_user("ubnd", GOOD, role="viewer", unit="ubnd-tinh", now=NOW)
    synced.add_user("xa-a", GOOD, role="viewer", unit="ubnd-xa-a", now=NOW)
    assert synced.scope_for("ubnd").plans == {"ke-hoach-a"}
    commune = synced.scope_for(synced.user("xa-a"))
    assert commune.plans == frozenset() and commune.sees_unit("buu-dien") and not commune.sees_unit("ubnd-tinh-lg")


def test_a_disabled_user_sees_nothing(synced):
    synced.add_user("sotttt", GOOD, role="coordinator", unit="so-tttt", now=NOW)
    synced.disable_user("sotttt", now=NOW)
    scope = synced.scope_for("sotttt")
    assert not scope.everything and scope.plans == scope.units == frozenset()


def test_a_disabled_admin_sees_nothing_either(synced):
    synced.add_user("bo", GOOD, role="admin", unit=None, now=NOW)
    user = synced.disable_user("bo", now=NOW)
    for who in ("bo", user):
        scope = synced.scope_for(who)
        assert not scope.everything and not scope.sees_plan("ke-hoach-a") and not scope.sees_unit("buu-dien")


# ---------------------------------------------------------------- acknowledgements

def test_an_acknowledgement_is_recorded_once_per_occurrence_and_unit(synced):
    occurrence = occurrence_of(synced, "buu-dien")
    first = synced.acknowledge(occurrence, "buu-dien", "Trần Thị B", now=NOW)
    again = synced.acknowledge(occurrence, "buu-dien", "Người khác", now=NOW + dt.timedelta(hours=1))
    assert first == again and (first.by_name, first.at) == ("Trần Thị B", NOW.astimezone(dt.UTC))
    other = occurrence_of(synced, "ubnd-xa-a")
    assert synced.acknowledgements_of([occurrence, other]) == {occurrence: [first], other: []}
    with synced.transaction() as connection:
        audited = connection.execute(select(col(t.AuditRow.action)).where(col(t.AuditRow.action) == "acknowledge")).all()
    assert len(audited) == 1


def test_only_a_holder_acknowledges(synced):
    occurrence = occurrence_of(synced, "buu-dien")
    with pytest.raises(LedgerError, match="buu-dien-lg"):
        synced.acknowledge(occurrence, "buu-dien-lg", now=NOW)
    with pytest.raises(LedgerError, match="#999999"):
        synced.acknowledge(999999, "buu-dien", now=NOW)
    assert synced.acknowledgements_of([occurrence]) == {occurrence: []}


def test_an_acknowledged_future_duty_survives_a_plan_edit(synced, tmp_path):
    """A calendar feed's report link opens a duty whose window has not begun; once the unit has said
    "received", a sync that no longer implies it keeps it (orphaned) instead of failing on its foreign key."""
    future = max((row for row in synced.statuses(as_of=NOW, units=["buu-dien"], include_scheduled=True)
                  if row.unit == "buu-dien" and row.window_start > NOW.date()), key=lambda row: row.window_start)
    synced.acknowledge(future.id, "buu-dien", "Trần Thị B", now=NOW)
    shortened = plan("ke-hoach-a", "ubnd-tinh", "so-tttt", "[buu-dien, ubnd-xa-a]").replace(
        "until: 2022-04-03", "until: 2022-03-27")
    synced_ledger(synced, tmp_path, {"plan-a.yaml": shortened}, NOW)
    assert [a.unit_id for a in synced.acknowledgements_of([future.id])[future.id]] == ["buu-dien"]
    with synced.transaction() as connection:
        orphaned = connection.execute(select(col(t.OccurrenceRow.orphaned_at)).where(col(t.OccurrenceRow.id) == future.id)).scalar()
    assert orphaned is not None


# ---------------------------------------------------------------- revoked report links

def test_a_revoked_link_is_refused_and_others_still_work(synced):
    occurrence = occurrence_of(synced, "buu-dien")
    token = links.report_token(SECRET, occurrence, "buu-dien", issued=NOW)
    other = links.report_token(SECRET, occurrence, "buu-dien", issued=NOW + dt.timedelta(seconds=5))
    assert not synced.link_revoked(token)
    revoked = synced.revoke_link(token, reason="gửi nhầm", actor="sotttt", now=NOW)
    assert revoked.new and revoked.occurrence_id == occurrence and token not in revoked.digest
    assert synced.link_revoked(token) and not synced.link_revoked(other)
    assert not synced.revoke_link(token, now=NOW + dt.timedelta(hours=1)).new  # the first revocation stands


def test_revoking_an_occurrence_revokes_its_links_issued_until_then(synced):
    occurrence = occurrence_of(synced, "buu-dien")
    before = links.report_token(SECRET, occurrence, "buu-dien", issued=NOW - dt.timedelta(days=1))
    elsewhere = links.report_token(SECRET, occurrence_of(synced, "ubnd-xa-a"), "ubnd-xa-a", issued=NOW)
    synced.revoke_link(occurrence_id=occurrence, now=NOW)
    later = links.report_token(SECRET, occurrence, "buu-dien", issued=NOW + dt.timedelta(minutes=1))
    assert synced.link_revoked(before) and not synced.link_revoked(later) and not synced.link_revoked(elsewhere)
    with pytest.raises(LedgerError, match="#999999"):
        synced.revoke_link(occurrence_id=999999, now=NOW)
    with pytest.raises(LedgerError):
        synced.revoke_link("không-phải-token", now=NOW)


def test_an_occurrence_is_seen_through_its_own_unit_or_any_holder_never_through_a_foreign_plan():
    province = Scope(everything=False, plans=frozenset({"ke-hoach-so"}), units=frozenset({"xa-a", "so-a"}),
                     province="tinh-a")
    # a duty held jointly by a unit of the province and one of another: seen, whichever is its own unit
    assert province.sees_occurrence("ke-hoach-bo", "xa-b", ("xa-b", "xa-a"))
    assert province.sees_occurrence("ke-hoach-bo", "xa-a", ("xa-a",))
    # the Sở's own plan held by another province's unit: never seen through the plan
    assert not province.sees_occurrence("ke-hoach-so", "xa-b", ("xa-b",))
    ministry = Scope(everything=False, plans=frozenset({"ke-hoach-bo"}), units=frozenset({"bo"}), province=None)
    assert ministry.sees_occurrence("ke-hoach-bo", "xa-b", ("xa-b",))
    assert not ministry.sees_occurrence("ke-hoach-khac", "xa-b", ("xa-b",))
    assert Scope(everything=True).sees_occurrence("bat-ky", "ai-cung-duoc")
    assert not Scope(everything=False).sees_occurrence("ke-hoach-bo", "xa-a", ("xa-a",))
