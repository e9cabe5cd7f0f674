"""The web app's people: users bound to a unit, their logins (audited, slowed down after repeated
failures), hashed API tokens, and what each may see (`Scope`).

Passwords are hashed with argon2 (pwdlib). A login is checked in three steps so that the slow hash
never runs inside a write transaction (on SQLite that would hold every writer back): read the user
and the recent failures, verify outside any transaction, then record the attempt.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, insert, select, update
from sqlmodel import col

from ..i18n import N_, _
from . import tables as t
from .clock import from_db, to_db
from .engine import LedgerError

if TYPE_CHECKING:
    from pwdlib import PasswordHash

ROLES = ("admin", "coordinator", "viewer")
# a login that failed this many times within the window is refused until the oldest of them leaves it
MAX_FAILURES = 5
FAILURE_WINDOW = dt.timedelta(minutes=15)
MIN_PASSWORD = 12
# the passwords tried first by anyone guessing, as their letters without digits and signs: "Matkhau@2025",
# "password123456" and "123456789012" are all refused
COMMON_WORDS = frozenset((
    "", "password", "passwordpassword", "matkhau", "matkhaumoi", "admin", "administrator", "qwerty", "qwertyuiop",
    "qwertyuiopas", "asdfghjkl", "zxcvbnm", "abc", "abcdef", "abcdefghijkl", "iloveyou", "vietnam", "hanoi",
    "saigon", "commplan", "welcome", "letmein", "changeme", "trustno", "qqww", "qwe", "qweasd", "qweasdzxc",
    "abcabc", "aaaaaaaaaaaa", "secret", "login", "user", "pass", "test", "demo", "sotttt", "ubnd", "baocao",
))
TOKEN_PREFIX = "cp_"
# outcomes that count towards the brake ("locked" does not); "checking" is an attempt whose password is
# being verified: it counts from the moment it is let through, so a burst of parallel guesses meets the brake
FAILED = ("bad-password", "unknown", "disabled", "checking")
CHECKING = "checking"
_LOGIN_LOCK_SPACE = 0x6C6F6769  # "logi": the first key of PostgreSQL's two-key advisory locks, one lock per login


@cache
def _hasher() -> PasswordHash:
    from pwdlib import PasswordHash

    return PasswordHash.recommended()  # argon2id with pwdlib's parameters


@cache
def _dummy_hash() -> str:
    """What an unknown login is verified against, so that it takes as long as a known one."""
    return _hasher().hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class User:
    id: int
    login: str
    display_name: str | None
    role: str  # admin | coordinator | viewer
    unit_id: str | None
    disabled: bool
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class LoginResult:
    outcome: str  # ok | bad-password | unknown | disabled | locked
    user: User | None = None  # only when ok
    retry_after: dt.datetime | None = None  # when locked: the first moment a try is accepted again

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


@dataclass(frozen=True)
class LoginAttempt:
    login: str
    at: dt.datetime
    success: bool
    outcome: str
    remote_addr: str | None


@dataclass(frozen=True)
class IssuedToken:
    id: int
    token: str  # in clear: shown once, only its SHA-256 is stored
    user_id: int
    label: str | None


@dataclass(frozen=True)
class Scope:
    """What a user may see: everything (an admin), or some plans and the units of one province."""

    everything: bool
    plans: frozenset[str] = frozenset()
    units: frozenset[str] = frozenset()  # units and groups
    province: str | None = None

    def sees_plan(self, plan_id: str) -> bool:
        return self.everything or plan_id in self.plans

    def sees_unit(self, unit_id: str) -> bool:
        return self.everything or unit_id in self.units

    def sees(self, plan_id: str, unit_id: str) -> bool:
        """Whether one occurrence (a plan's duty held by a unit) is visible. A province's coordinator
        sees it through the unit only, whatever the plan: the Sở of one province never sees another
        province's units, even on a plan it coordinates with them. A coordinator bound to no province
        (a ministry) sees every holder of the plans it coordinates or issues."""
        if self.everything or unit_id in self.units:
            return True
        return self.province is None and plan_id in self.plans

    def sees_occurrence(self, plan_id: str, unit_id: str, holders: Iterable[str] = ()) -> bool:
        """Whether an occurrence is visible through its own unit or any of its holders: the one rule of
        every page, action and API route, and the same as a province's lists (which include the duties a
        unit of the province holds jointly with others)."""
        return any(self.sees(plan_id, unit) for unit in (unit_id, *holders))


def password_problem(password: str, login: str | None = None) -> str | None:
    """Why a password is too weak (translated), or None."""
    if len(password) < MIN_PASSWORD:
        return _("the password must have at least {count} characters").format(count=MIN_PASSWORD)
    lowered = password.lower()
    if "".join(c for c in lowered if c.isalpha()) in COMMON_WORDS:
        return _("this password is among the most common ones: choose another")
    if login and login.lower() in lowered:
        return _("the password must not contain the login")
    if len(set(password)) < 5:
        return _("the password repeats too few different characters")
    return None


def check_password(password: str, login: str | None = None) -> None:
    problem = password_problem(password, login)
    if problem:
        raise LedgerError(problem)


def fingerprint(password_hash: str | None) -> str:
    """A short digest of a stored password hash: changes with the password, reveals nothing usable."""
    return hashlib.sha256(("commplan.session:" + (password_hash or "")).encode()).hexdigest()[:24]


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_ROLE_NAMES = {"admin": N_("administrator"), "coordinator": N_("coordinator"), "viewer": N_("viewer")}


def role_name(role: str) -> str:
    return _(_ROLE_NAMES[role]) if role in _ROLE_NAMES else role


# ---------------------------------------------------------------- users

def _user(row: Any) -> User:
    return User(id=row["id"], login=row["login"], display_name=row["display_name"], role=row["role"],
                unit_id=row["unit_id"], disabled=bool(row["disabled"]), created_at=from_db(row["created_at"]),
                updated_at=from_db(row["updated_at"]))


def find(connection: Connection, login: str) -> tuple[User, str] | None:
    """The user and their password hash."""
    row = connection.execute(select(t.table_of(t.UserRow)).where(col(t.UserRow.login) == login)).mappings().first()
    return None if row is None else (_user(row), row["password_hash"])


def required(connection: Connection, login: str) -> User:
    found = find(connection, login)
    if found is None:
        raise LedgerError(_("no user '{login}'").format(login=login))
    return found[0]


def all_users(connection: Connection) -> list[User]:
    rows = connection.execute(select(t.table_of(t.UserRow)).order_by(col(t.UserRow.login))).mappings()
    return [_user(row) for row in rows]


def check_new_user(connection: Connection, login: str, role: str, unit: str | None) -> None:
    if not login or len(login) > 100 or not login.isprintable() or login.strip() != login or " " in login:
        raise LedgerError(_("'{login}' is not a login: one word, at most 100 characters").format(login=login))
    if role not in ROLES:
        raise LedgerError(_("'{role}' is not a role: admin, coordinator or viewer").format(role=role))
    if unit is None and role != "admin":
        raise LedgerError(_("a coordinator or viewer is bound to a unit: give --unit"))
    if unit is not None and connection.execute(select(col(t.UnitRow.id)).where(col(t.UnitRow.id) == unit)).first() is None:
        raise LedgerError(_("unknown unit '{unit}': the user's unit must be in the directory the ledger was synced "
                            "with (`commplan sync`)").format(unit=unit))
    if find(connection, login) is not None:
        raise LedgerError(_("the user '{login}' already exists").format(login=login))


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def insert_user(connection: Connection, login: str, display_name: str | None, role: str, unit: str | None,
                password_hash: str, now: dt.datetime) -> User:
    connection.execute(insert(t.UserRow).values(
        login=login, display_name=display_name, role=role, unit_id=unit, disabled=False,
        password_hash=password_hash, created_at=to_db(now), updated_at=to_db(now)))
    return required(connection, login)


def change(connection: Connection, login: str, now: dt.datetime, **values: object) -> User:
    required(connection, login)
    connection.execute(update(t.UserRow).where(col(t.UserRow.login) == login).values(updated_at=to_db(now), **values))
    return required(connection, login)


# ---------------------------------------------------------------- logins

def locked_until(connection: Connection, login: str, now: dt.datetime) -> dt.datetime | None:
    """When the brake on this login lifts, if it is on: MAX_FAILURES failures since its last success,
    within FAILURE_WINDOW."""
    attempts = t.LoginAttemptRow
    last_success = select(func.max(col(attempts.at))).where(col(attempts.login) == login, col(attempts.success))
    since = max(now - FAILURE_WINDOW, from_db(connection.execute(last_success).scalar()) or now - FAILURE_WINDOW)
    failures = connection.execute(
        select(col(attempts.at)).where(col(attempts.login) == login, col(attempts.outcome).in_(FAILED),
                                       col(attempts.at) > to_db(since), col(attempts.at) <= to_db(now))
        .order_by(col(attempts.at).desc()).limit(MAX_FAILURES)).scalars().all()
    if len(failures) < MAX_FAILURES:
        return None
    return from_db(failures[-1]) + FAILURE_WINDOW  # the oldest of the last MAX_FAILURES leaves the window


def serialise_login(connection: Connection, login: str) -> None:
    """Until this transaction ends, no other one checks or reserves an attempt at this login. SQLite's
    write transactions are serialised already (BEGIN IMMEDIATE); PostgreSQL takes an advisory lock."""
    if connection.dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(login.encode()).digest()[:4], "big", signed=True)
        connection.execute(select(func.pg_advisory_xact_lock(_LOGIN_LOCK_SPACE, key)))


def verify(password: str, password_hash: str | None) -> bool:
    """Argon2 verification (constant-time comparison inside); an unknown user is checked against a dummy hash."""
    hasher = _hasher()
    if password_hash is None:
        hasher.verify(password, _dummy_hash())
        return False
    try:
        return hasher.verify(password, password_hash)
    except Exception:  # a damaged stored hash: a refusal, not a crash
        return False


def record_attempt(connection: Connection, login: str, outcome: str, remote_addr: str | None, now: dt.datetime) -> int:
    """The attempt's row id (an attempt recorded as CHECKING gets its outcome from `settle_attempt`)."""
    inserted = connection.execute(insert(t.LoginAttemptRow).values(
        login=login[:100], at=to_db(now), success=outcome == "ok", outcome=outcome,
        remote_addr=(remote_addr or None) and remote_addr[:100])).inserted_primary_key
    assert inserted is not None
    return int(inserted[0])


def settle_attempt(connection: Connection, attempt_id: int, outcome: str) -> None:
    connection.execute(update(t.LoginAttemptRow).where(col(t.LoginAttemptRow.id) == attempt_id)
                       .values(outcome=outcome, success=outcome == "ok"))


def attempts(connection: Connection, login: str | None, limit: int) -> list[LoginAttempt]:
    rows = t.LoginAttemptRow
    query = select(t.table_of(rows)).order_by(col(rows.at).desc(), col(rows.id).desc()).limit(limit)
    if login is not None:
        query = query.where(col(rows.login) == login)
    return [LoginAttempt(r["login"], from_db(r["at"]), bool(r["success"]), r["outcome"], r["remote_addr"])
            for r in connection.execute(query).mappings()]


# ---------------------------------------------------------------- API tokens

def issue_token(connection: Connection, user: User, label: str | None, now: dt.datetime) -> IssuedToken:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = connection.execute(insert(t.ApiTokenRow).values(
        user_id=user.id, digest=token_digest(token), label=label, created_at=to_db(now))).inserted_primary_key
    assert token_id is not None
    return IssuedToken(id=token_id[0], token=token, user_id=user.id, label=label)


def user_for_token(connection: Connection, token: str) -> User | None:
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    tokens, users = t.ApiTokenRow, t.UserRow
    row = connection.execute(
        select(t.table_of(users)).join(t.table_of(tokens), col(tokens.user_id) == col(users.id))
        .where(col(tokens.digest) == token_digest(token), col(tokens.revoked_at).is_(None),
               col(users.disabled).is_(False))).mappings().first()
    return None if row is None else _user(row)


def revoke_token(connection: Connection, token_id: int, now: dt.datetime) -> bool:
    result = connection.execute(update(t.ApiTokenRow).where(col(t.ApiTokenRow.id) == token_id,
                                                            col(t.ApiTokenRow.revoked_at).is_(None))
                                .values(revoked_at=to_db(now)))
    return result.rowcount == 1


# ---------------------------------------------------------------- scope

def scope(connection: Connection, user: User) -> Scope:
    if user.disabled:  # before the role: a disabled admin sees nothing either
        return Scope(everything=False)
    if user.role == "admin":
        return Scope(everything=True)
    if user.unit_id is None:
        return Scope(everything=False)
    unit = user.unit_id
    province = connection.execute(select(col(t.UnitRow.province)).where(col(t.UnitRow.id) == unit)).scalar()
    units = {unit}
    if province is not None:
        units |= set(connection.execute(select(col(t.UnitRow.id)).where(col(t.UnitRow.province) == province)).scalars())
    # a group is seen when all its members are
    members: dict[str, set[str]] = {}
    for group, member in connection.execute(select(col(t.GroupMemberRow.group_id), col(t.GroupMemberRow.member_id))):
        members.setdefault(group, set()).add(member)
    units |= {group for group, held in members.items() if held <= units}
    plans = connection.execute(select(col(t.PlanRow.id)).where(
        (col(t.PlanRow.coordinator_id) == unit) | (col(t.PlanRow.issuer_id) == unit))).scalars()
    return Scope(everything=False, plans=frozenset(plans), units=frozenset(units), province=province)

