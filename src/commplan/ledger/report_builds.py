"""Reports commplan builds on its own (the ministry's forms, the compliance report) and their mail.

A build is kept once per content: `fingerprint` is a digest of what it was built from (the figures in
force, the statuses counted), so the hourly tick that builds the same form again adds nothing, and a
later figure makes a new build, whose mail supersedes the older build's unsent mail. The files are
stored documents (by SHA-256, `documents.py`); the web app serves them to whoever sees the build's plan
and unit.

The mail follows the outbox's rules (`outbox.py`): each (build, address) is planned once, claimed by
compare-and-set before it goes, confirmed after; a claim older than the lease is never re-sent (SMTP
does not de-duplicate) but marked `unknown` and reported.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Row, and_, func, insert, or_, select, update
from sqlmodel import col

from . import documents
from . import tables as t
from .clock import from_db, to_db
from .engine import insert_for

MAX_ATTEMPTS = 6
BACKOFF = (dt.timedelta(minutes=5), dt.timedelta(minutes=30), dt.timedelta(hours=2))
FORM_KINDS = ("weekly", "monthly")  # the ministry's forms: one per unit (scope = the unit that owes it)
COMPLIANCE_KINDS = ("compliance-weekly", "compliance-monthly")  # a plan's compliance report: scope ""
KINDS = FORM_KINDS + COMPLIANCE_KINDS
MAIL_STATUSES = ("pending", "sending", "sent", "written", "failed", "unknown", "superseded")


@dataclass(frozen=True)
class BuiltFile:
    """A file of a build, before it is stored."""

    name: str  # as the recipient sees it: bao-cao-tuan-2021-W47-so-tttt-thanh-hoa.xlsx
    data: bytes
    media_type: str


@dataclass(frozen=True)
class StoredFile:
    name: str
    sha256: str
    media_type: str
    size: int


@dataclass(frozen=True)
class ReportBuild:
    id: int
    kind: str
    plan: str
    scope: str  # the unit whose form it is; "" for a whole plan
    period: str
    occurrence_id: int | None
    title: str
    summary: str | None
    files: tuple[StoredFile, ...]
    as_of: dt.datetime
    built_at: dt.datetime
    provinces: tuple[str, ...] | None = None  # of the units it names; None: not known (any reader of the plan)

    def file(self, name: str) -> StoredFile | None:
        return next((f for f in self.files if f.name == name), None)


@dataclass(frozen=True)
class ClaimedMail:
    id: int
    build: ReportBuild
    recipient: str
    address: str
    attempts: int


def _build(r: Row) -> ReportBuild:
    """A report_build row as a ReportBuild."""
    return ReportBuild(
        id=r.id, kind=r.kind, plan=r.plan_id, scope=r.scope, period=r.period, occurrence_id=r.occurrence_id,
        title=r.title, summary=r.summary, files=tuple(StoredFile(**f) for f in json.loads(r.files)),
        as_of=from_db(r.as_of), built_at=from_db(r.built_at),
        provinces=tuple(json.loads(r.provinces)) if r.provinces is not None else None,
    )


def save(connection: Connection, folder: Path | None, *, kind: str, plan: str, scope: str, period: str,
         occurrence_id: int | None, fingerprint: str, title: str, summary: str | None, files: Iterable[BuiltFile],
         recipients: Iterable[tuple[str, str]], as_of: dt.datetime, now: dt.datetime,
         provinces: Iterable[str] | None = None) -> tuple[ReportBuild, bool]:
    """Store a build and plan its mail to `recipients` ((unit, address) pairs), unless the same content was
    built before: then the earlier build, and False. A new build supersedes the unsent mail of the earlier
    builds of the same report (kind, plan, scope, period). `files` is read only for new content, so the
    caller may pass a generator that writes them."""
    if kind not in KINDS:
        raise ValueError(f"unknown report kind {kind!r}")
    table = t.table_of(t.ReportBuildRow)
    key = and_(table.c.kind == kind, table.c.plan_id == plan, table.c.scope == scope, table.c.period == period)
    newest = connection.execute(select(table).where(key).order_by(table.c.id.desc()).limit(1)).first()
    if newest is not None and newest.fingerprint == fingerprint:  # compared with the content in force only:
        return _build(newest), False  # content that returns to an earlier state is built (and mailed) again
    files = list(files)  # only now: a generator of files is not written out for content already kept
    stored = [documents.store(connection, folder, f.data, name=f.name, by="commplan", media_type=f.media_type, now=now)
              for f in files]
    listing = [{"name": f.name, "sha256": s.sha256, "media_type": f.media_type, "size": s.size}
               for f, s in zip(files, stored, strict=True)]
    dialect_insert = insert_for(connection)
    inserted = connection.execute(dialect_insert(table).values(
        kind=kind, plan_id=plan, scope=scope, period=period, occurrence_id=occurrence_id, fingerprint=fingerprint,
        replaces=newest.id if newest is not None else 0,
        provinces=json.dumps(sorted(set(provinces)), ensure_ascii=False) if provinces is not None else None,
        title=title, summary=summary, files=json.dumps(listing, ensure_ascii=False), as_of=to_db(as_of),
        built_at=to_db(now),
    ).on_conflict_do_nothing().returning(table.c.id)).first()
    if inserted is None:  # a concurrent run built this report meanwhile (the same `replaces`): theirs stands
        row = connection.execute(select(table).where(key).order_by(table.c.id.desc()).limit(1)).one()
        return _build(row), False
    build_id = inserted[0]
    mail = t.table_of(t.ReportMailRow)
    older = select(table.c.id).where(key, table.c.id != build_id)
    connection.execute(update(mail).where(mail.c.build_id.in_(older), mail.c.status == "pending")
                       .values(status="superseded", last_error=f"build {build_id}"))
    seen: set[str] = set()
    for recipient, address in recipients:
        if address in seen:
            continue
        seen.add(address)
        connection.execute(insert(mail).values(build_id=build_id, recipient=recipient, address=address,
                                               status="pending", attempts=0, next_at=to_db(now)))
    return _build(connection.execute(select(table).where(table.c.id == build_id)).one()), True


def get(connection: Connection, build_id: int) -> ReportBuild | None:
    table = t.table_of(t.ReportBuildRow)
    row = connection.execute(select(table).where(table.c.id == build_id)).first()
    return _build(row) if row is not None else None


def latest(connection: Connection, *, plans: Collection[str] | None = None, kinds: Collection[str] = KINDS,
           units: Collection[str] | None = None, limit: int = 50) -> list[ReportBuild]:
    """The newest build of each report (kind, plan, scope), newest first: what the dashboard links. Given
    `plans` or `units`, only the builds of one of those plans or whose scope is one of those units (a
    reader's forms); neither: every build."""
    table = t.table_of(t.ReportBuildRow)
    # the newest period first (a late rebuild of last week's form must not hide this week's), then the newest
    # build of it; periods of one kind are written alike (2021-W47, 2021-11, 2021-11-01/2021-11-30), so they sort
    rank = func.row_number().over(partition_by=(table.c.kind, table.c.plan_id, table.c.scope),
                                  order_by=(table.c.period.desc(), table.c.id.desc())).label("rank")
    ranked = select(table.c.id, rank).where(table.c.kind.in_(list(kinds)))
    if plans is not None or units is not None:
        ranked = ranked.where(or_(table.c.plan_id.in_(list(plans or ())), table.c.scope.in_(list(units or ()))))
    newest = ranked.subquery()
    ids = select(newest.c.id).where(newest.c.rank == 1)
    rows = connection.execute(select(table).where(table.c.id.in_(ids))
                              .order_by(table.c.built_at.desc(), table.c.id.desc()).limit(limit)).all()
    return [_build(r) for r in rows]


def history(connection: Connection, build_id: int, *, limit: int = 50) -> list[ReportBuild]:
    """The builds of the same report (kind, plan, scope) as `build_id`, every period, newest first: itself
    and those before and after it. Empty for an unknown id."""
    table = t.table_of(t.ReportBuildRow)
    found = get(connection, build_id)
    if found is None:
        return []
    rows = connection.execute(select(table).where(
        table.c.kind == found.kind, table.c.plan_id == found.plan, table.c.scope == found.scope,
    ).order_by(table.c.period.desc(), table.c.id.desc()).limit(limit)).all()
    return [_build(r) for r in rows]


def mails_of(connection: Connection, build_id: int) -> list[dict]:
    return mails_by_build(connection, [build_id]).get(build_id, [])


def mails_by_build(connection: Connection, build_ids: Collection[int]) -> dict[int, list[dict]]:
    """The mail of each of `build_ids` (in the order it was planned); a build without mail is left out."""
    mail = t.table_of(t.ReportMailRow)
    rows = connection.execute(select(mail).where(mail.c.build_id.in_(list(build_ids)))
                              .order_by(mail.c.build_id, mail.c.id)).mappings().all()
    out: dict[int, list[dict]] = {}
    for r in rows:
        out.setdefault(r["build_id"], []).append({
            **r, "next_at": from_db(r["next_at"]), "sent_at": from_db(r["sent_at"]) if r["sent_at"] else None,
            "claimed_at": from_db(r["claimed_at"]) if r["claimed_at"] else None})
    return out


def recover_stale(connection: Connection, *, now: dt.datetime, lease: dt.timedelta) -> int:
    """Claims older than the lease: the sender stopped between the send and its confirmation. The mail may
    have gone: never re-sent, marked `unknown` for the coordinator."""
    mail = t.table_of(t.ReportMailRow)
    return connection.execute(update(mail).where(mail.c.status == "sending", mail.c.claimed_at < to_db(now - lease))
                              .values(status="unknown", last_error="claim expired before confirmation",
                                      closed_at=to_db(now))).rowcount


def claim(connection: Connection, worker: str, *, now: dt.datetime, limit: int = 20) -> list[ClaimedMail]:
    """Up to `limit` due mails, each claimed by compare-and-set (a row another worker took is skipped). A
    mail whose build a newer one replaced meanwhile is superseded, not sent. Claim few at a time (the
    mailer takes one): a claim the sender does not live to confirm ends `unknown`, never re-sent."""
    mail = t.table_of(t.ReportMailRow)
    claimed: list[ClaimedMail] = []
    while len(claimed) < limit:  # candidates superseded or taken by another worker leave the pending set: it ends
        candidates = connection.execute(
            select(mail.c.id, mail.c.build_id, mail.c.recipient, mail.c.address, mail.c.attempts)
            .where(mail.c.status == "pending", mail.c.next_at <= to_db(now)).order_by(mail.c.id)
            .limit(limit - len(claimed))
        ).all()
        if not candidates:
            break
        claimed += _claim_some(connection, worker, candidates, now=now)
    return claimed


def _claim_some(connection: Connection, worker: str, candidates: Sequence[Row], *, now: dt.datetime) -> list[ClaimedMail]:
    mail = t.table_of(t.ReportMailRow)
    build = t.table_of(t.ReportBuildRow)
    claimed: list[ClaimedMail] = []
    for row in candidates:
        found = get(connection, row.build_id)
        assert found is not None  # a mail row references its build
        newer = connection.execute(select(col(build.c.id)).where(
            build.c.kind == found.kind, build.c.plan_id == found.plan, build.c.scope == found.scope,
            build.c.period == found.period, build.c.id > found.id).limit(1)).first()
        if newer is not None:
            connection.execute(update(mail).where(mail.c.id == row.id, mail.c.status == "pending")
                               .values(status="superseded", last_error=f"build {newer[0]}"))
            continue
        taken = connection.execute(update(mail).where(mail.c.id == row.id, mail.c.status == "pending").values(
            status="sending", claimed_by=worker, claimed_at=to_db(now), attempts=mail.c.attempts + 1)).rowcount
        if taken == 1:
            claimed.append(ClaimedMail(id=row.id, build=found, recipient=row.recipient, address=row.address,
                                       attempts=row.attempts + 1))
    return claimed


def confirm(connection: Connection, mail_id: int, worker: str, *, outcome: str, now: dt.datetime,
            error: str | None = None) -> bool:
    """`sent`, `written` (to the outbox file stand-in: shown, not emailed), `failed` (permanent) or `retry`
    (temporary: back to pending with a backoff, failed once the attempts are used up). False when the claim
    was lost (recovered as stale meanwhile)."""
    mail = t.table_of(t.ReportMailRow)
    attempts = connection.execute(select(mail.c.attempts).where(mail.c.id == mail_id)).scalar_one()
    values: dict[str, object]
    if outcome in ("sent", "written"):
        values = {"status": outcome, "sent_at": to_db(now), "last_error": None}
    elif outcome == "retry" and attempts < MAX_ATTEMPTS:
        wait = BACKOFF[min(attempts - 1, len(BACKOFF) - 1)]
        values = {"status": "pending", "next_at": to_db(now + wait), "last_error": error}
    elif outcome in ("failed", "retry"):
        values = {"status": "failed", "last_error": error, "closed_at": to_db(now)}
    else:
        raise ValueError(f"unknown outcome {outcome!r}")
    return connection.execute(update(mail).where(mail.c.id == mail_id, mail.c.status == "sending",
                                                 mail.c.claimed_by == worker).values(**values)).rowcount == 1


def release(connection: Connection, mail_id: int, worker: str) -> bool:
    """Give a claim back untried (nothing left: the error came before the send), its attempt not counted."""
    mail = t.table_of(t.ReportMailRow)
    return connection.execute(update(mail).where(mail.c.id == mail_id, mail.c.status == "sending",
                                                 mail.c.claimed_by == worker)
                              .values(status="pending", claimed_by=None, claimed_at=None,
                                      attempts=mail.c.attempts - 1)).rowcount == 1


def pending(connection: Connection) -> int:
    mail = t.table_of(t.ReportMailRow)
    return connection.execute(select(func.count()).select_from(mail).where(mail.c.status == "pending")).scalar_one()


def problems(connection: Connection, since: dt.datetime, until: dt.datetime | None = None) -> list[dict]:
    """Mails that nobody received, closed after `since` and by `until`: failed, or unknown after a crash. Each
    is said once: by the run whose span its closing falls in."""
    mail = t.table_of(t.ReportMailRow)
    build = t.table_of(t.ReportBuildRow)
    rows = connection.execute(
        select(mail.c.id, mail.c.recipient, mail.c.address, mail.c.status, mail.c.last_error, build.c.title)
        .join(build, build.c.id == mail.c.build_id)
        .where(mail.c.status.in_(["failed", "unknown"]), mail.c.closed_at > to_db(since),
               mail.c.closed_at <= to_db(until or dt.datetime.max.replace(tzinfo=dt.UTC))).order_by(mail.c.id)
    ).mappings().all()
    return [dict(r) for r in rows]
