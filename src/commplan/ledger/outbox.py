"""The outbox: deliveries planned from queued reminder steps, claimed, confirmed, retried.

Exactly once, the healthchecks way:
- planning is idempotent: `delivery_item` is unique on (reminder step,
  channel, address), and planning is serialised (an advisory lock on
  PostgreSQL, the write lock on SQLite), so a step is put in one delivery per
  address, once;
- sending claims a row with a compare-and-set UPDATE (`status = 'pending'`
  must still hold, exactly one row must change) before anything goes out; on
  PostgreSQL the candidates are picked with FOR UPDATE SKIP LOCKED, so
  several workers share the outbox without waiting on each other;
- after the send, the row is confirmed (`sent`), put back with a backoff
  (temporary error), or closed (`failed`, permanent error or attempts used up);
- a crash between claim and confirmation leaves a `sending` row. After the
  lease it is re-checked, not blindly re-sent: on a channel whose provider
  de-duplicates by our idempotency key (eSMS RequestId, the console file) it
  goes back to `pending`; elsewhere (email, Zalo OA, ZNS, whose tracking_id
  is for matching records, not documented to stop duplicates) it becomes
  `unknown`, is never re-sent, and is reported to the coordinator;
- an address that proves unreachable (not an OA follower, no Zalo account on
  the number) closes its delivery and, in the same transaction, opens one to
  the next address of its fallback chain (OA -> ZNS -> SMS);
- a delivery whose every step was done or excused by the time it may go out
  (a quiet-hours wait, a retry) is `cancelled` at claim time, never sent;
- a phone message carries its send window (`send_window`: the quiet hours
  its items share, as a key the notifier writes and judges): a retry, a
  hand-on to the next address of the chain (which copies it) or a re-send
  after a crash is claimed only while the window is open.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BindParameter, Connection, DateTime, RowMapping, Text, bindparam, insert, select, text, update
from sqlmodel import col

from ..i18n import _
from . import tables as t
from .clock import from_db, to_db
from .status import DELIVERED_SQL, EXCUSED_AT_SQL, MET_BY_SQL

PLAN_LOCK_KEY = 0x6F7574626F78  # "outbox"
MAX_ATTEMPTS = 8
LEASE = dt.timedelta(minutes=10)
VN = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True, kw_only=True)
class Envelope:
    """One message to one address: what a delivery row holds besides its state."""

    recipient: str
    channel: str
    address: str
    subject: str
    body_text: str
    body_html: str
    body_sms: str
    template_data: str | None = None  # JSON: the ZNS template's parameters
    attachment: str | None = None  # an iCalendar file of the occurrences, attached to email
    fallbacks: str | None = None  # "zns:84912…,sms:84912…": where to go when this address proves unreachable
    send_window: str | None = None  # when a phone message may go out (notify.windows); None: any time


@dataclass(frozen=True, kw_only=True)
class NewDelivery(Envelope):
    """Due at once: a message is composed only when its channel may send (quiet hours)."""

    reminder_ids: tuple[int, ...]
    fallback_of: int | None = None


@dataclass(frozen=True, kw_only=True)
class Claimed(Envelope):
    id: int
    attempts: int
    message_id: str | None = None  # an email's own Message-ID, once stamped (`Ledger.stamp_message_id`)


def backoff(attempts: int) -> dt.timedelta:
    """1 min, 5 min, 25 min, 2 h, then every 6 h: a gateway that is down is not hammered."""
    return dt.timedelta(minutes=min(5 ** max(attempts - 1, 0), 360))


PLANNING_WINDOW = dt.timedelta(days=14)  # a step no route could take for two weeks is left for the report


def unplanned_reminders(connection: Connection, now: dt.datetime, *, created_by: dt.datetime | None = None) -> list[dict]:
    """Queued reminder steps that some route of their recipient may still lack, with what a message
    needs, the (channel, address) pairs already carrying each (`covered`), and whether its occurrence
    was done or excused by `now` (`done`: then it is dropped, never said). With `created_by`, only
    steps created by then (a replay of an earlier day never shows what was queued after it)."""
    params = {"since": to_db(now - PLANNING_WINDOW), "as_of": to_db(now)}
    if created_by is not None:
        params["created_by"] = to_db(created_by)
    rows = connection.execute(
        text(
            "SELECT r.id, r.step, r.recipient, r.planned_at, o.id AS occurrence_id, o.opens_at, o.due_at, o.at_least,"
            " o.unit_id, o.holders, o.window_start, ob.plan_id, ob.code, ob.title, p.number, p.title AS plan_title,"
            " COALESCE(o.uid_unit, o.unit_id) AS uid_unit, o.instance,"  # the calendar UID's parts
            f" {DELIVERED_SQL} AS delivered,"
            f" CASE WHEN {MET_BY_SQL} = 1 OR {EXCUSED_AT_SQL} THEN 1 ELSE 0 END AS done"
            " FROM reminder r JOIN occurrence o ON o.id = r.occurrence_id JOIN obligation ob ON ob.id = o.obligation_id"
            " JOIN plan p ON p.id = ob.plan_id"
            " WHERE r.status = 'queued' AND r.created_at >= :since AND o.orphaned_at IS NULL"
            + (" AND r.created_at <= :created_by" if created_by is not None else "") +
            " ORDER BY r.recipient, o.due_at, r.planned_at"
        ).bindparams(*(bindparam(k, type_=DateTime()) for k in params)),
        params,
    ).mappings().all()
    covered: dict[int, set[tuple[str, str]]] = {}
    ids = [row["id"] for row in rows]
    for chunk in range(0, len(ids), 5000):
        for reminder_id, channel, address in connection.execute(
            text("SELECT reminder_id, channel, address FROM delivery_item WHERE reminder_id IN :ids")
            .bindparams(bindparam("ids", expanding=True)), {"ids": ids[chunk:chunk + 5000]},
        ):
            covered.setdefault(reminder_id, set()).add((channel, address))
    return [{**row, "planned_at": from_db(row["planned_at"]), "due_at": from_db(row["due_at"]),
             "opens_at": from_db(row["opens_at"]), "window_start": _as_date(row["window_start"]),
             "done": bool(row["done"]), "covered": covered.get(row["id"], set())} for row in rows]


def expire_unplanned(connection: Connection, now: dt.datetime) -> int:
    """Steps no route could take within the planning window (no contact, an unknown recipient):
    closed as skipped with the reason, so nothing stays queued for ever unseen."""
    return connection.execute(
        update(t.ReminderRow).where(col(t.ReminderRow.status) == "queued",
                                    col(t.ReminderRow.created_at) < to_db(now - PLANNING_WINDOW))
        .values(status="skipped", reason=_("not said within 14 days: no contact could take it, or its duty left the plan"))
    ).rowcount


def settle_reminders(connection: Connection, planned: set[int], dropped: set[int]) -> None:
    """Steps every route now carries become `planned`; steps whose duty was done or excused before
    any message said them become `skipped`."""
    for status, ids, reason in (("planned", planned, None),
                                ("skipped", dropped, _("done or excused before it could be sent"))):
        ordered = sorted(ids)
        for start in range(0, len(ordered), 5000):
            connection.execute(
                update(t.ReminderRow).where(col(t.ReminderRow.id).in_(ordered[start:start + 5000]),
                                            col(t.ReminderRow.status) == "queued").values(status=status, reason=reason)
            )


def _as_date(value: dt.date | str) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def add_deliveries(connection: Connection, deliveries: list[NewDelivery], now: dt.datetime) -> int:
    """Insert deliveries and their items; a step already planned for an address is left out."""
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"SELECT pg_advisory_xact_lock({PLAN_LOCK_KEY})"))
    added = 0
    for new in deliveries:
        taken = set(connection.execute(
            select(col(t.DeliveryItemRow.reminder_id)).where(
                col(t.DeliveryItemRow.reminder_id).in_(new.reminder_ids),
                col(t.DeliveryItemRow.channel) == new.channel, col(t.DeliveryItemRow.address) == new.address,
            )
        ).scalars())
        steps = [r for r in new.reminder_ids if r not in taken]  # planning is locked: only a shared fallback
        if not steps:                                                # address (two contacts, one phone) overlaps
            continue
        delivery_id = connection.execute(
            insert(t.DeliveryRow).values(
                recipient=new.recipient, channel=new.channel, address=new.address, subject=new.subject,
                body_text=new.body_text, body_html=new.body_html, body_sms=new.body_sms, template_data=new.template_data,
                attachment=new.attachment, fallbacks=new.fallbacks, fallback_of=new.fallback_of,
                send_window=new.send_window, status="pending",
                attempts=0, next_attempt_at=to_db(now), created_at=to_db(now),
            ).returning(col(t.DeliveryRow.id))
        ).scalar_one()
        connection.execute(insert(t.DeliveryItemRow), [
            {"delivery_id": delivery_id, "reminder_id": r, "channel": new.channel, "address": new.address} for r in steps
        ])
        added += 1
    return added


def send_windows(connection: Connection) -> list[str]:
    """The distinct send windows of the deliveries still to go out or in flight (a handful: the
    notifier decides which are open at a given moment)."""
    return sorted(window for window in connection.execute(
        select(col(t.DeliveryRow.send_window)).distinct()
        .where(col(t.DeliveryRow.status).in_(("pending", "claimed", "sending")), col(t.DeliveryRow.send_window).is_not(None))
    ).scalars() if window is not None)  # typed optional: filtered in SQL


def claim(connection: Connection, worker: str, now: dt.datetime, limit: int, *, channels: list[str],
          clock: dt.datetime, windows: list[str] | None = None) -> list[Claimed]:
    """Claim up to `limit` deliveries due by `now` on `channels` (those this worker can send) whose
    send window is open (`windows`: the open ones; None: every window) for `worker`; each claim is
    a compare-and-set. `clock` is the process clock (`commplan.clock`: real time, or COMMPLAN_NOW's),
    which the lease runs on; `now` is the sender's instant, which stays the same through a long send."""
    if not channels:
        return []
    lock = " FOR UPDATE SKIP LOCKED" if connection.dialect.name == "postgresql" else ""
    open_only = "" if windows is None else " AND (send_window IS NULL OR send_window IN :windows)"
    params = {"now": to_db(now), "limit": limit, "channels": sorted(channels)}
    binds: list[BindParameter[Any]] = [bindparam("now", type_=DateTime()), bindparam("channels", expanding=True)]
    if windows is not None:
        params["windows"] = sorted(windows)
        binds.append(bindparam("windows", expanding=True, type_=Text()))
    while True:  # a batch that was all cancelled (its duties done) is not the end of the outbox
        candidates = connection.execute(
            text(
                "SELECT id FROM delivery WHERE status = 'pending' AND next_attempt_at <= :now AND channel IN :channels"
                f"{open_only} ORDER BY next_attempt_at, id LIMIT :limit{lock}"
            ).bindparams(*binds),
            params,
        ).scalars().all()
        if not candidates:
            return []
        claimed = []
        for delivery_id in candidates:
            # `claimed`, not yet `sending`: a claim nobody started on always goes back to pending
            changed = connection.execute(
                update(t.DeliveryRow)
                .where(col(t.DeliveryRow.id) == delivery_id, col(t.DeliveryRow.status) == "pending")
                .values(status="claimed", claimed_by=worker, claimed_at=to_db(clock), attempts=col(t.DeliveryRow.attempts) + 1)
            ).rowcount
            if changed != 1:
                continue  # another worker got there first
            if _obsolete(connection, delivery_id, now):
                connection.execute(update(t.DeliveryRow).where(col(t.DeliveryRow.id) == delivery_id).values(
                    status="cancelled", closed_at=to_db(now),
                    last_error=_("not sent: every step it carries was done or excused before it could go out"),
                ))
                continue
            row = connection.execute(select(t.table_of(t.DeliveryRow)).where(col(t.DeliveryRow.id) == delivery_id)).mappings().one()
            claimed.append(Claimed(**{name: row[name] for name in Claimed.__dataclass_fields__}))
        if claimed:
            return claimed


def touch(connection: Connection, delivery_id: int, worker: str, clock: dt.datetime) -> bool:
    """`claimed` -> `sending`, just before the send, with a fresh lease; False if the claim was lost
    (its lease ran out and another worker put it back): then this worker must not send."""
    return connection.execute(
        update(t.DeliveryRow).where(col(t.DeliveryRow.id) == delivery_id, col(t.DeliveryRow.status) == "claimed",
                                    col(t.DeliveryRow.claimed_by) == worker).values(status="sending", claimed_at=to_db(clock))
    ).rowcount == 1


def release(connection: Connection, delivery_ids: list[int], worker: str) -> int:
    """Give back claims that were never sent (a batch cut short by an error): pending again, the
    attempt not counted."""
    if not delivery_ids:
        return 0
    return connection.execute(
        update(t.DeliveryRow).where(col(t.DeliveryRow.id).in_(delivery_ids), col(t.DeliveryRow.status) == "claimed",
                                    col(t.DeliveryRow.claimed_by) == worker)
        .values(status="pending", claimed_by=None, attempts=col(t.DeliveryRow.attempts) - 1)
    ).rowcount


def _obsolete(connection: Connection, delivery_id: int, now: dt.datetime) -> bool:
    """True when no step of the delivery still needs saying (a quiet-hours wait, a retry backoff)."""
    return bool(connection.execute(
        text(
            "SELECT NOT EXISTS (SELECT 1 FROM delivery_item i JOIN reminder r ON r.id = i.reminder_id"
            " JOIN occurrence o ON o.id = r.occurrence_id WHERE i.delivery_id = :delivery"
            f" AND {MET_BY_SQL} = 0 AND NOT {EXCUSED_AT_SQL})"
        ).bindparams(bindparam("as_of", type_=DateTime())),
        {"delivery": delivery_id, "as_of": to_db(now)},
    ).scalar())


def confirm(connection: Connection, delivery_id: int, worker: str, now: dt.datetime, *,
            outcome: str, error: str | None = None, external_id: str | None = None) -> bool:
    """Record the outcome of a claimed send: `sent`; `retry` (back to pending with a backoff);
    `failed` or `unreachable` (closed; handed on to the next fallback address, if any, in the same
    transaction); `unknown` (the request may have gone out: never repeated). A compare-and-set on
    the claim: False, and nothing written, if this worker no longer holds it."""
    claim = (col(t.DeliveryRow.id) == delivery_id, col(t.DeliveryRow.status) == "sending", col(t.DeliveryRow.claimed_by) == worker)
    query = select(t.table_of(t.DeliveryRow)).where(*claim)
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    row = connection.execute(query).mappings().first()
    if row is None:
        return False
    values: dict = {"last_error": error, "external_id": external_id}
    if outcome == "sent":
        values.update(status="sent", sent_at=to_db(now))
    elif outcome == "retry" and row["attempts"] < MAX_ATTEMPTS:
        values.update(status="pending", next_attempt_at=to_db(now + backoff(row["attempts"])), claimed_by=None)
    elif outcome == "unknown":
        values.update(status="unknown", closed_at=to_db(now))
    else:
        values.update(status="failed", closed_at=to_db(now))
        if outcome == "retry":
            values["last_error"] = _("gave up after {attempts} attempts: {error}").format(attempts=row["attempts"], error=error)
        if row["fallbacks"]:  # whatever closed this route's link, the next one may still reach the unit
            values["last_error"] = _("{error}; handed on to {route}").format(
                error=values["last_error"], route=_hand_on(connection, row, now))
    if connection.execute(update(t.DeliveryRow).where(*claim).values(**values)).rowcount != 1:
        raise RuntimeError(f"delivery {delivery_id}: the claim changed while it was locked")
    return True


def _hand_on(connection: Connection, row: RowMapping, now: dt.datetime) -> str:
    # due at once: the sender's channel filter holds a quiet channel's message until working hours
    """A new delivery of the same message to the first fallback address, carrying the same steps."""
    first, _comma, rest = row["fallbacks"].partition(",")
    channel, address = first.split(":", 1)
    steps = connection.execute(
        select(col(t.DeliveryItemRow.reminder_id)).where(col(t.DeliveryItemRow.delivery_id) == row["id"])
    ).scalars().all()
    add_deliveries(connection, [NewDelivery(
        **{name: row[name] for name in Envelope.__dataclass_fields__ if name not in ("channel", "address", "fallbacks")},
        channel=channel, address=address, fallbacks=rest or None, reminder_ids=tuple(steps),
        fallback_of=row["id"],
    )], now)
    return first


def recover_stale(connection: Connection, clock: dt.datetime, idempotent: set[str], *, now: dt.datetime,
                  same_day: AbstractSet[str] = frozenset(), lease: dt.timedelta = LEASE,
                  windows: list[str] | None = None) -> tuple[int, int]:
    """Claims whose lease ran out on the process clock `clock` (the sender died): sent again where the
    provider de-duplicates by our key (for `same_day` channels, such as eSMS, only within the same
    Vietnamese day, as far as its memory goes, and only while the send window is open (`windows`, as
    for `claim`), since a re-send that waits for the morning may come after the provider forgot), else
    `unknown`: never repeated, reported. `now` (the sender's instant) stamps what is closed."""
    cutoff = col(t.DeliveryRow.claimed_at) <= to_db(clock - lease)  # re-checked in each UPDATE: a renewal wins
    unstarted = connection.execute(
        update(t.DeliveryRow).where(col(t.DeliveryRow.status) == "claimed", cutoff)
        .values(status="pending", claimed_by=None, attempts=col(t.DeliveryRow.attempts) - 1)
    ).rowcount
    stale = connection.execute(
        select(col(t.DeliveryRow.id), col(t.DeliveryRow.channel), col(t.DeliveryRow.claimed_at), col(t.DeliveryRow.send_window))
        .where(col(t.DeliveryRow.status) == "sending", cutoff)
    ).all()
    today = clock.astimezone(VN).date()

    def sent_today(claimed: dt.datetime | None, window: str | None) -> bool:
        assert claimed is not None  # a delivery being sent was claimed
        return from_db(claimed).astimezone(VN).date() == today and (window is None or windows is None or window in windows)

    retry = [i for i, channel, claimed, window in stale if channel in idempotent
             and (channel not in same_day or sent_today(claimed, window))]
    give_up = [i for i, *_row in stale if i not in set(retry)]
    if retry:
        connection.execute(update(t.DeliveryRow).where(col(t.DeliveryRow.id).in_(retry), col(t.DeliveryRow.status) == "sending", cutoff)
                           .values(status="pending", claimed_by=None,
                                   last_error=_("re-sent after a crash: the provider de-duplicates")))
    if give_up:
        connection.execute(update(t.DeliveryRow).where(col(t.DeliveryRow.id).in_(give_up), col(t.DeliveryRow.status) == "sending", cutoff)
                           .values(status="unknown", closed_at=to_db(now),
                                   last_error=_("the sender stopped before confirming; not re-sent, to avoid a duplicate")))
    return len(retry) + unstarted, len(give_up)


def problems(connection: Connection, since: dt.datetime, until: dt.datetime) -> list[dict]:
    """Deliveries that ended failed or unknown in (since, until], not handed on to a fallback:
    what the coordinator must hear about, since nobody received those steps."""
    rows = connection.execute(
        text(
            "SELECT d.id, d.recipient, d.channel, d.address, d.status, d.last_error, d.closed_at FROM delivery d"
            " WHERE d.status IN ('failed', 'unknown') AND d.closed_at > :since AND d.closed_at <= :until"
            " AND NOT EXISTS (SELECT 1 FROM delivery f WHERE f.fallback_of = d.id) ORDER BY d.closed_at, d.id"
        ).bindparams(bindparam("since", type_=DateTime()), bindparam("until", type_=DateTime())),
        {"since": to_db(since), "until": to_db(until)},
    ).mappings().all()
    return [{**row, "closed_at": from_db(row["closed_at"])} for row in rows]
