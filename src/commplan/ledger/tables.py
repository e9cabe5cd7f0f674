"""The ledger's tables (sqlmodel). Migrations in `migrations/versions/` create them.

Conventions:
- Every datetime column is a plain `DateTime` holding UTC without a zone (`timestamp without time
  zone` on PostgreSQL, ISO text on SQLite), so that comparisons in SQL are
  the same on both; `clock.to_db` / `clock.from_db` convert at the edge.
- Dates (`window_start`, `window_end`) are the plan's local calendar dates.
- The plan mirror (units, groups, plans, obligations, events) is rewritten by
  `sync`; occurrences, evidence, excusals and the audit log are history and
  are never deleted once a person touched them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlmodel import Field, SQLModel


def table_of(row: type[SQLModel]) -> Table:
    """A row class's table: SQLModel sets `__table__` on each table model, but its types do not declare it."""
    return row.__table__  # type: ignore[attr-defined]


class UnitRow(SQLModel, table=True):
    __tablename__ = "unit"
    # "a province's rows": its units, then their occurrence_holder rows
    __table_args__ = (Index("ix_unit_province", "province", "id"),)

    id: str = Field(sa_column=Column(String(100), primary_key=True))
    name: str = Field(sa_column=Column(Text, nullable=False))
    short: str | None = Field(default=None, sa_column=Column(Text))
    parent_id: str | None = Field(default=None, sa_column=Column(String(100)))
    successor_id: str | None = Field(default=None, sa_column=Column(String(100)))
    succession_from: dt.date | None = None
    # the province (a slug) the unit belongs to (`Directory.province_of`: its own, its directory file's, or its
    # parent's), so a unit without a parent (the post office, a newspaper) belongs to one too
    province: str | None = Field(default=None, sa_column=Column(String(100)))


class GroupRow(SQLModel, table=True):
    __tablename__ = "unit_group"

    id: str = Field(sa_column=Column(String(100), primary_key=True))
    name: str = Field(sa_column=Column(Text, nullable=False))


class GroupMemberRow(SQLModel, table=True):
    __tablename__ = "group_member"

    group_id: str = Field(sa_column=Column(String(100), ForeignKey("unit_group.id", ondelete="CASCADE"), primary_key=True))
    member_id: str = Field(sa_column=Column(String(100), primary_key=True))
    position: int = Field(sa_column=Column(Integer, nullable=False))


class PlanRow(SQLModel, table=True):
    __tablename__ = "plan"

    id: str = Field(sa_column=Column(String(100), primary_key=True))
    number: str | None = Field(default=None, sa_column=Column(Text))
    title: str = Field(sa_column=Column(Text, nullable=False))
    file: str = Field(sa_column=Column(Text, nullable=False))
    timezone: str = Field(sa_column=Column(String(64), nullable=False))
    coordinator_id: str | None = Field(default=None, sa_column=Column(String(100)))
    issuer_id: str | None = Field(default=None, sa_column=Column(String(100)))  # a user's scope: plans their unit issues
    effective_from: dt.date | None = None
    effective_until: dt.date | None = None
    synced_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))


class ObligationRow(SQLModel, table=True):
    __tablename__ = "obligation"
    __table_args__ = (UniqueConstraint("plan_id", "code", name="uq_obligation_plan_code"),)

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    plan_id: str = Field(sa_column=Column(String(100), ForeignKey("plan.id"), nullable=False))
    code: str = Field(sa_column=Column(String(100), nullable=False))
    title: str = Field(sa_column=Column(Text, nullable=False))
    ref: str | None = Field(default=None, sa_column=Column(Text))
    kind: str | None = Field(default=None, sa_column=Column(String(20)))
    channel: str | None = Field(default=None, sa_column=Column(String(20)))
    evidence_kind: str = Field(sa_column=Column(String(20), nullable=False))
    at_least: int
    removed_at: dt.datetime | None = Field(default=None, sa_column=Column(DateTime))  # no longer in the plan; its touched occurrences stay, orphaned


class EventRow(SQLModel, table=True):
    __tablename__ = "event"

    plan_id: str = Field(sa_column=Column(String(100), ForeignKey("plan.id"), primary_key=True))
    code: str = Field(sa_column=Column(String(100), primary_key=True))
    title: str = Field(sa_column=Column(Text, nullable=False))
    date: dt.date | None = None
    recorded_at: dt.datetime | None = Field(default=None, sa_column=Column(DateTime))
    recorded_by: str | None = Field(default=None, sa_column=Column(Text))
    # `repeats: true` in the plan: its dates are instances (event_instance), not this row's date
    repeats: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))


class EventInstanceRow(SQLModel, table=True):
    """One recorded happening of a repeating event; withdrawn, never deleted."""

    __tablename__ = "event_instance"
    __table_args__ = (
        ForeignKeyConstraint(["plan_id", "code"], ["event.plan_id", "event.code"], name="fk_event_instance_event"),
        # two on one day are two instances: `seq` counts them (0, 1, ...), withdrawn ones included
        UniqueConstraint("plan_id", "code", "date", "seq", name="uq_event_instance"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True))
    plan_id: str = Field(sa_column=Column(String(100), nullable=False))
    code: str = Field(sa_column=Column(String(100), nullable=False))
    date: dt.date = Field(sa_column=Column(Date, nullable=False))
    seq: int = Field(sa_column=Column(Integer, nullable=False))
    recorded_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    recorded_by: str | None = Field(default=None, sa_column=Column(Text))
    withdrawn_at: dt.datetime | None = Field(default=None, sa_column=Column(DateTime))
    withdrawn_by: str | None = Field(default=None, sa_column=Column(Text))


# The columns a summary reads (status.bulk_status_sql) after its grouping keys.
SUMMARY_COLUMNS = ("unit_id", "obligation_id", "orphaned_at", "met_at", "opens_at", "due_at", "untracked", "at_least")


class OccurrenceRow(SQLModel, table=True):
    __tablename__ = "occurrence"
    __table_args__ = (
        UniqueConstraint("obligation_id", "unit_id", "window_start", "instance", name="uq_occurrence_key"),
        Index("ix_occurrence_due", "due_at"),
        Index("ix_occurrence_unit_due", "unit_id", "due_at"),
        # "who is overdue now": unmet, unexcused occurrences by deadline
        Index(
            "ix_occurrence_unmet_due", "due_at",
            postgresql_where=text("met_at IS NULL AND excused_at IS NULL"),
            sqlite_where=text("met_at IS NULL AND excused_at IS NULL"),
        ),
        # a summary: each unit's rows read from the index alone, already in (unit, obligation) order
        Index("ix_occurrence_summary", *SUMMARY_COLUMNS),
        # a province's summary: the few rows held jointly (other holders than their own unit)
        Index("ix_occurrence_shared", *SUMMARY_COLUMNS, postgresql_where=text("held_jointly"),
              sqlite_where=text("held_jointly")),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True))
    obligation_id: int = Field(sa_column=Column(Integer, ForeignKey("obligation.id"), nullable=False))
    unit_id: str = Field(sa_column=Column(String(100), nullable=False))  # a unit, or a group for a shared duty
    holders: str = Field(sa_column=Column(Text, nullable=False))  # space-separated unit ids that owe it
    window_start: dt.date
    window_end: dt.date
    opens_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))  # local midnight of window_start, in UTC
    due_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    at_least: int
    evidence_total: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    met_at: dt.datetime | None = Field(default=None, sa_column=Column(DateTime))  # when the at_least-th item was delivered
    excused_at: dt.datetime | None = Field(default=None, sa_column=Column(DateTime))
    excuse_reason: str | None = Field(default=None, sa_column=Column(Text))
    orphaned_at: dt.datetime | None = Field(default=None, sa_column=Column(DateTime))  # its obligation or period left the plan after someone touched it
    created_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    updated_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    # bumped when a sync moves the deadline: the SEQUENCE of its calendar event
    sequence: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    # the sequence of a repeating event's instance among those of its day (0 otherwise): two instances
    # on one day are two occurrences
    instance: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    # the unit the calendar UID was built with, once a sync moved the row to a successor (else unit_id)
    uid_unit: str | None = Field(default=None, sa_column=Column(String(100)))
    # due before the plan's tracking_from: counted `untracked` instead of open or overdue, never reminded
    untracked: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    # owed by another unit than its own unit_id too (a shared duty; a group's): kept by the database
    # itself, so PostgreSQL has statistics on how few such rows there are
    held_jointly: bool | None = Field(default=None, sa_column=Column(Boolean, Computed("holders <> unit_id")))


class OccurrenceHolderRow(SQLModel, table=True):
    """Who an occurrence's questions find it by, one row each: every unit that owes it, and the
    occurrence's own `unit_id` (a group, for a shared duty). Kept by `sync` with the `holders` text."""

    __tablename__ = "occurrence_holder"
    __table_args__ = (Index("ix_occurrence_holder_unit", "unit_id", "occurrence_id"),)

    occurrence_id: int = Field(sa_column=Column(BigInteger().with_variant(Integer, "sqlite"),
                                                ForeignKey("occurrence.id", ondelete="CASCADE"), primary_key=True))
    unit_id: str = Field(sa_column=Column(String(100), primary_key=True))


class EvidenceRow(SQLModel, table=True):
    __tablename__ = "evidence"
    __table_args__ = (
        # the same (normalised) link twice for one occurrence counts once, unless the first was withdrawn
        Index(
            "uq_evidence_active_link", "occurrence_id", "link", unique=True,
            postgresql_where=text("withdrawn_at IS NULL"), sqlite_where=text("withdrawn_at IS NULL"),
        ),
        Index("ix_evidence_occurrence", "occurrence_id", "occurred_at"),
        # the items a summary at T recounts (status.RECOUNT_IDS): few, whatever the size of the table
        Index("ix_evidence_withdrawn", "withdrawn_at", "recorded_at", "occurrence_id",
              postgresql_where=text("withdrawn_at IS NOT NULL"), sqlite_where=text("withdrawn_at IS NOT NULL")),
        # who may read an uploaded document: the occurrences whose evidence it is
        Index("ix_evidence_document", "document_sha256", postgresql_where=text("document_sha256 IS NOT NULL"),
              sqlite_where=text("document_sha256 IS NOT NULL")),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True))
    occurrence_id: int = Field(sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), ForeignKey("occurrence.id"), nullable=False))
    kind: str = Field(sa_column=Column(String(20), nullable=False))  # link | document | count
    link: str | None = Field(default=None, sa_column=Column(Text))
    document: str | None = Field(default=None, sa_column=Column(Text))  # its name as shown (typed, or an upload's file name)
    # an uploaded document's SHA-256 (the `document` table's key; checked to exist when recorded), else NULL
    document_sha256: str | None = Field(default=None, sa_column=Column(String(64)))
    quantity: int = Field(sa_column=Column(Integer, nullable=False))
    note: str | None = Field(default=None, sa_column=Column(Text))
    occurred_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))  # when the item was published or sent
    recorded_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    recorded_by: str | None = Field(default=None, sa_column=Column(Text))
    source: str = Field(sa_column=Column(String(20), nullable=False))  # manual | web | feed | import
    # a soft withdrawal (evidence is never deleted): from then on the item no longer counts
    withdrawn_at: dt.datetime | None = Field(default=None, sa_column=Column(DateTime))
    withdrawn_by: str | None = Field(default=None, sa_column=Column(Text))
    withdraw_reason: str | None = Field(default=None, sa_column=Column(Text))
    # why an automatic match was made (JSON: the keyword, the feed, ...), so that wrong matches can be studied
    match_reason: str | None = Field(default=None, sa_column=Column(Text))


class ExcusalRow(SQLModel, table=True):
    __tablename__ = "excusal"

    id: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True))
    occurrence_id: int = Field(sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), ForeignKey("occurrence.id"), nullable=False, index=True))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    excused_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    excused_by: str | None = Field(default=None, sa_column=Column(Text))
    revoked_at: dt.datetime | None = Field(default=None, sa_column=Column(DateTime))
    revoked_by: str | None = Field(default=None, sa_column=Column(Text))


class AuditRow(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True))
    at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    actor: str | None = Field(default=None, sa_column=Column(Text))
    action: str = Field(sa_column=Column(String(40), nullable=False))
    subject: str = Field(sa_column=Column(Text, nullable=False))
    details: str = Field(sa_column=Column(Text, nullable=False))  # JSON


class SyncStagingRow(SQLModel, table=True):
    """Where `sync` puts the occurrences the plans imply, to reconcile them in set-based SQL."""

    __tablename__ = "sync_staging"

    obligation_id: int = Field(sa_column=Column(Integer, primary_key=True))
    unit_id: str = Field(sa_column=Column(String(100), primary_key=True))
    window_start: dt.date = Field(sa_column=Column(Date, primary_key=True))
    instance: int = Field(default=0, sa_column=Column(Integer, primary_key=True, server_default="0"))
    holders: str = Field(sa_column=Column(Text, nullable=False))
    window_end: dt.date
    opens_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    due_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    at_least: int
    untracked: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))


class SyncStagingHolderRow(SQLModel, table=True):
    """The holders of each `sync_staging` row (same key), as `occurrence_holder` will hold them."""

    __tablename__ = "sync_staging_holder"

    obligation_id: int = Field(sa_column=Column(Integer, primary_key=True))
    unit_id: str = Field(sa_column=Column(String(100), primary_key=True))
    window_start: dt.date = Field(sa_column=Column(Date, primary_key=True))
    instance: int = Field(default=0, sa_column=Column(Integer, primary_key=True, server_default="0"))
    holder: str = Field(sa_column=Column(String(100), primary_key=True))


class ReminderRow(SQLModel, table=True):
    """One reminder step for one recipient unit: created once (the unique key), so each step fires once."""

    __tablename__ = "reminder"
    __table_args__ = (
        UniqueConstraint("occurrence_id", "step", "recipient", name="uq_reminder_step"),
        Index("ix_reminder_status", "status", "planned_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True))
    occurrence_id: int = Field(sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), ForeignKey("occurrence.id"), nullable=False))
    step: str = Field(sa_column=Column(String(40), nullable=False))  # before-3d | due | overdue-2 | escalate
    recipient: str = Field(sa_column=Column(String(100), nullable=False))  # a unit id
    planned_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    status: str = Field(sa_column=Column(String(20), nullable=False))  # queued | skipped (issue 5 adds delivery)
    reason: str | None = Field(default=None, sa_column=Column(Text))
    created_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))


class DeliveryRow(SQLModel, table=True):
    """One message to one address on one channel: the outbox row a sender claims, then confirms."""

    __tablename__ = "delivery"
    __table_args__ = (Index("ix_delivery_due", "status", "next_attempt_at"),
                      Index("ux_delivery_message_id", "message_id", unique=True))

    id: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True))
    recipient: str = Field(sa_column=Column(String(100), nullable=False))
    channel: str = Field(sa_column=Column(String(20), nullable=False))
    address: str = Field(sa_column=Column(Text, nullable=False))
    subject: str = Field(sa_column=Column(Text, nullable=False))
    body_text: str = Field(sa_column=Column(Text, nullable=False))
    body_html: str = Field(sa_column=Column(Text, nullable=False))
    body_sms: str = Field(sa_column=Column(Text, nullable=False))
    # pending -> claimed -> sending -> sent | pending (retry) | failed (permanent, attempts used up, or handed on to a
    # fallback) | unknown (crash) | cancelled (its steps were done or excused before it went out)
    status: str = Field(sa_column=Column(String(20), nullable=False))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    next_attempt_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    claimed_by: str | None = Field(default=None, sa_column=Column(Text))
    claimed_at: dt.datetime | None = Field(default=None, sa_column=Column(DateTime))
    sent_at: dt.datetime | None = Field(default=None, sa_column=Column(DateTime))
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    external_id: str | None = Field(default=None, sa_column=Column(Text))
    created_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    template_data: str | None = Field(default=None, sa_column=Column(Text))  # JSON: ZNS template parameters
    attachment: str | None = Field(default=None, sa_column=Column(Text))  # an iCalendar file, for email
    # the routes still to try when this address proves unreachable, e.g. "zns:84912345678,sms:84912345678"
    fallbacks: str | None = Field(default=None, sa_column=Column(Text))
    fallback_of: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite")))
    closed_at: dt.datetime | None = Field(default=None, sa_column=Column(DateTime))  # became failed or unknown
    # when a phone message may go out (its items' quiet hours, e.g. "07:30:00-20:00:00 workdays:plan-id"); NULL: any time
    send_window: str | None = Field(default=None, sa_column=Column(Text))
    # an email's own Message-ID (`notify.email.message_id`), set just before its first send: what a reply's
    # In-Reply-To / References name (`mail_replies.thread_of`)
    message_id: str | None = Field(default=None, sa_column=Column(String(250)))


class DeliveryItemRow(SQLModel, table=True):
    """Which reminder steps a delivery carries; a step goes to each address once (the unique key)."""

    __tablename__ = "delivery_item"
    __table_args__ = (UniqueConstraint("reminder_id", "channel", "address", name="uq_delivery_item_step"),)

    delivery_id: int = Field(sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), ForeignKey("delivery.id"), primary_key=True))
    reminder_id: int = Field(sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), ForeignKey("reminder.id"), primary_key=True))
    channel: str = Field(sa_column=Column(String(20), nullable=False))
    address: str = Field(sa_column=Column(Text, nullable=False))


class OAuthTokenRow(SQLModel, table=True):
    """A provider's current access/refresh token pair (Zalo: the refresh token is single-use, so the
    rotated pair is written here, under a row lock, before the new access token is used)."""

    __tablename__ = "oauth_token"

    provider: str = Field(sa_column=Column(String(40), primary_key=True))
    access_token: str = Field(sa_column=Column(Text, nullable=False))
    refresh_token: str = Field(sa_column=Column(Text, nullable=False))
    access_expires_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    refreshed_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    last_error: str | None = Field(default=None, sa_column=Column(Text))


class UserRow(SQLModel, table=True):
    """A person who logs in to the web app: bound to one unit of the directory, never deleted (disabled)."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    login: str = Field(sa_column=Column(String(100), nullable=False, unique=True))
    display_name: str | None = Field(default=None, sa_column=Column(Text))
    role: str = Field(sa_column=Column(String(20), nullable=False))  # admin | coordinator | viewer
    unit_id: str | None = Field(default=None, sa_column=Column(String(100)))  # None only for an admin
    disabled: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    password_hash: str = Field(sa_column=Column(Text, nullable=False))  # argon2 (pwdlib)
    created_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    updated_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))


class LoginAttemptRow(SQLModel, table=True):
    """One login attempt, kept for the audit and to slow down guessing (failures per login in a window)."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_login_at", "login", "at"),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True))
    login: str = Field(sa_column=Column(String(100), nullable=False))  # as typed: unknown logins are audited too
    at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    success: bool = Field(sa_column=Column(Boolean, nullable=False))
    outcome: str = Field(sa_column=Column(String(20), nullable=False))  # ok | bad-password | unknown | disabled | locked
    remote_addr: str | None = Field(default=None, sa_column=Column(String(100)))


class ApiTokenRow(SQLModel, table=True):
    """A user's API token, stored as the SHA-256 of the token (shown once, never kept in clear)."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=False, index=True))
    digest: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    label: str | None = Field(default=None, sa_column=Column(Text))
    created_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    revoked_at: dt.datetime | None = Field(default=None, sa_column=Column(DateTime))


class AcknowledgementRow(SQLModel, table=True):
    """"Đã nhận, đang thực hiện": a unit said it got the reminder; once per occurrence and unit."""

    __tablename__ = "acknowledgement"

    occurrence_id: int = Field(sa_column=Column(BigInteger().with_variant(Integer, "sqlite"),
                                                ForeignKey("occurrence.id"), primary_key=True))
    unit_id: str = Field(sa_column=Column(String(100), primary_key=True))
    by_name: str | None = Field(default=None, sa_column=Column(Text))
    at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))


class RevokedLinkRow(SQLModel, table=True):
    """A report link withdrawn before it expired: the SHA-256 of the token, or a whole occurrence's links."""

    __tablename__ = "revoked_link"

    digest: str = Field(sa_column=Column(String(64), primary_key=True))  # sha256 of the token, or "occurrence:<id>"
    occurrence_id: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), index=True))
    revoked_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    revoked_by: str | None = Field(default=None, sa_column=Column(Text))
    reason: str | None = Field(default=None, sa_column=Column(Text))


class DocumentRow(SQLModel, table=True):
    """An uploaded document, content-addressed by its SHA-256: the same file uploaded twice is stored once.
    Its bytes live here on PostgreSQL (several workers share them), in the data folder on SQLite (`content` NULL)."""

    __tablename__ = "document"

    sha256: str = Field(sa_column=Column(String(64), primary_key=True))
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    media_type: str = Field(sa_column=Column(String(100), nullable=False))  # from its first bytes, not its name
    name: str | None = Field(default=None, sa_column=Column(Text))  # the name it was first uploaded with
    uploaded_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    uploaded_by: str | None = Field(default=None, sa_column=Column(Text))
    content: bytes | None = Field(default=None, sa_column=Column(LargeBinary))


class DeadlineExtensionRow(SQLModel, table=True):
    """A deadline moved later by a coordinator (gia hạn), with the reason: the occurrence's `due_at` holds the
    new one, and the row makes it touched, so a sync keeps it instead of restoring the plan's deadline."""

    __tablename__ = "deadline_extension"

    id: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True))
    occurrence_id: int = Field(sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), ForeignKey("occurrence.id"), nullable=False, index=True))
    previous_due_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    due_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    extended_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    extended_by: str | None = Field(default=None, sa_column=Column(Text))


class ApiIdempotencyRow(SQLModel, table=True):
    """The first answer to an API write sent with an `Idempotency-Key`: the same key and body from the
    same user get it again, without a second write. Written in the write's own transaction, so a row
    exists only with its answer; the unique key makes a concurrent twin wait, then read it."""

    __tablename__ = "api_idempotency"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_api_idempotency_user_key"),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True))
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=False))
    key: str = Field(sa_column=Column(String(255), nullable=False))
    request_hash: str = Field(sa_column=Column(String(64), nullable=False))  # sha256 of method, path and body
    response_status: int | None = Field(default=None, sa_column=Column(Integer))
    response_body: str | None = Field(default=None, sa_column=Column(Text))
    created_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))


class SpendingRow(SQLModel, table=True):
    """Money spent on an obligation's budget line (`commplan spend`): an exact amount in VND, on a day.
    Never edited or deleted; each row is in the audit log."""

    __tablename__ = "spending"

    id: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True))
    obligation_id: int = Field(sa_column=Column(Integer, ForeignKey("obligation.id"), nullable=False, index=True))
    amount: Decimal = Field(sa_column=Column(Numeric(18, 2), nullable=False))  # VND; Numeric: exact, never a float
    spent_on: dt.date = Field(sa_column=Column(Date, nullable=False))
    note: str | None = Field(default=None, sa_column=Column(Text))
    recorded_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    recorded_by: str | None = Field(default=None, sa_column=Column(Text))


class IndicatorRow(SQLModel, table=True):
    """A plan's indicator (chỉ tiêu), mirrored by `sync` like its obligations: what a recorded figure is
    checked against (who reports it, for which periods). Rewritten whole for each synced plan; the
    figures keep their indicator's id, so an indicator that leaves the plan leaves its figures as they were."""

    __tablename__ = "indicator"

    plan_id: str = Field(sa_column=Column(String(100), ForeignKey("plan.id"), primary_key=True))
    code: str = Field(sa_column=Column(String(100), primary_key=True))
    position: int = Field(sa_column=Column(Integer, nullable=False))  # its order in the plan
    section: str | None = Field(default=None, sa_column=Column(Text))
    name: str = Field(sa_column=Column(Text, nullable=False))
    measure: str | None = Field(default=None, sa_column=Column(Text))
    aggregate: str = Field(sa_column=Column(String(10), nullable=False))  # sum | last
    baseline: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    of_code: str | None = Field(default=None, sa_column=Column(String(100)))  # the baseline a percent target is of
    reported_by: str = Field(sa_column=Column(Text, nullable=False))  # space-separated unit and group ids, as written
    report: str = Field(sa_column=Column(Text, nullable=False))  # space-separated templates: weekly monthly ...


# A figure's value: an exact decimal, at most FIGURE_DIGITS significant digits of which FIGURE_SCALE after the
# point. 15 digits in all, because SQLite keeps a NUMERIC as a double, exact to 15 significant digits.
FIGURE_DIGITS, FIGURE_SCALE = 15, 4


class FigureRecordRow(SQLModel, table=True):
    """One recorded figure: an indicator's value for a unit and a period. Never updated: a correction is
    a new row with the next `version`, and the latest one recorded by a moment is the one that counts then."""

    __tablename__ = "figure"
    __table_args__ = (
        UniqueConstraint("plan_id", "indicator", "unit_id", "period", "version", name="uq_figure_version"),
        # a form's figures: a plan's periods, then the latest version of each
        Index("ix_figure_plan_period", "plan_id", "period_start", "indicator", "unit_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True))
    plan_id: str = Field(sa_column=Column(String(100), ForeignKey("plan.id"), nullable=False))
    indicator: str = Field(sa_column=Column(String(100), nullable=False))
    unit_id: str = Field(sa_column=Column(String(100), nullable=False))
    period: str = Field(sa_column=Column(String(10), nullable=False))  # its label: 2021-W47, 2021-11, 2021-Q4, 2021-H2, 2021
    period_kind: str = Field(sa_column=Column(String(10), nullable=False))  # week | month | quarter | half | year
    period_start: dt.date = Field(sa_column=Column(Date, nullable=False))
    period_end: dt.date = Field(sa_column=Column(Date, nullable=False))
    value: Decimal = Field(sa_column=Column(Numeric(FIGURE_DIGITS, FIGURE_SCALE), nullable=False))
    note: str | None = Field(default=None, sa_column=Column(Text))
    source: str = Field(sa_column=Column(String(20), nullable=False))  # cli | import | web | api
    recorded_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    recorded_by: str | None = Field(default=None, sa_column=Column(Text))
    version: int = Field(sa_column=Column(Integer, nullable=False))  # 1, then 2 for the first correction ...


class ReportBuildRow(SQLModel, table=True):
    """A form or compliance report commplan built on its own (`reports/form_delivery.py`,
    `reports/scheduled_compliance.py`): its files are stored documents (by SHA-256). A new row only when the
    content differs from the report's newest build: a rebuild from the same figures adds nothing."""

    __tablename__ = "report_build"
    __table_args__ = (
        UniqueConstraint("kind", "plan_id", "scope", "period", "replaces", name="uq_report_build_succession"),
        Index("ix_report_build_latest", "plan_id", "kind", "built_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True))
    kind: str = Field(sa_column=Column(String(20), nullable=False))  # weekly | monthly | compliance-weekly | compliance-monthly
    plan_id: str = Field(sa_column=Column(String(100), nullable=False))
    scope: str = Field(sa_column=Column(String(100), nullable=False))  # the unit whose form it is; "" for a whole plan
    period: str = Field(sa_column=Column(String(40), nullable=False))  # 2021-W47, 2021-11, 2021-11-01/2021-11-30
    # SET NULL: a sync may retire an occurrence not yet begun; its built form stays, unlinked
    occurrence_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("occurrence.id", ondelete="SET NULL")))
    fingerprint: str = Field(sa_column=Column(String(64), nullable=False))  # of what it was built from
    # the build it follows (0: the first): two runs that build the same report at once cannot both follow it
    replaces: int = Field(default=0, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), nullable=False, server_default="0"))
    provinces: str | None = Field(default=None, sa_column=Column(Text))  # JSON: the provinces of the units it names
    title: str = Field(sa_column=Column(Text, nullable=False))
    summary: str | None = Field(default=None, sa_column=Column(Text))
    files: str = Field(sa_column=Column(Text, nullable=False))  # JSON: [{name, sha256, media_type}]
    as_of: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    built_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))


class ReportMailRow(SQLModel, table=True):
    """One build emailed to one address, exactly once: claimed by compare-and-set before it goes, never
    re-sent after a crash (SMTP does not de-duplicate), superseded unsent when a newer build replaces it."""

    __tablename__ = "report_mail"
    __table_args__ = (
        UniqueConstraint("build_id", "address", name="uq_report_mail_build_address"),
        Index("ix_report_mail_status", "status", "next_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True))
    build_id: int = Field(sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), ForeignKey("report_build.id"), nullable=False))
    recipient: str = Field(sa_column=Column(String(100), nullable=False))  # the unit whose contact it is
    address: str = Field(sa_column=Column(Text, nullable=False))
    # pending | sending | sent | written (to the outbox file) | failed | unknown | superseded
    status: str = Field(sa_column=Column(String(20), nullable=False))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    next_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    claimed_by: str | None = Field(default=None, sa_column=Column(Text))
    claimed_at: dt.datetime | None = Field(default=None, sa_column=Column(DateTime))
    sent_at: dt.datetime | None = Field(default=None, sa_column=Column(DateTime))
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    closed_at: dt.datetime | None = Field(default=None, sa_column=Column(DateTime))  # when it became failed or unknown


class FeedSourceStateRow(SQLModel, table=True):
    """What the last fetch of one RSS/Atom feed (a unit's `feeds:`) found: one row per address, rewritten by each
    fetch (`feed_sources.record`). Its validators make the next fetch a conditional GET."""

    __tablename__ = "feed_source_state"

    url: str = Field(sa_column=Column(String(2048), primary_key=True))
    etag: str | None = Field(default=None, sa_column=Column(Text))  # as the server sent it, quotes included
    last_modified: str | None = Field(default=None, sa_column=Column(Text))  # the header's text, sent back verbatim
    last_checked_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    last_ok_at: dt.datetime | None = Field(default=None, sa_column=Column(DateTime))  # a 200 read or a 304
    last_status: str = Field(sa_column=Column(String(20), nullable=False))  # ok | not_modified | failed
    last_error: str | None = Field(default=None, sa_column=Column(Text))  # the last failure's reason and detail
    failures: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))  # in a row
    items_seen: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))  # last 200
    rules_fingerprint: str | None = Field(default=None, sa_column=Column(String(64)))  # the matching rules of the last 200
    last_read_at: dt.datetime | None = Field(default=None, sa_column=Column(DateTime))  # the last 200 (a full read)


class FeedItemSeenRow(SQLModel, table=True):
    """When a feed item (its normalised link) was first seen: the date an undated one counts on, in every run;
    and whether it was history, already in its feed at that feed's first read (`counts` false)."""

    __tablename__ = "feed_item_seen"

    __table_args__ = (Index("ix_feed_item_seen_last_seen", "last_seen_at"),)

    link: str = Field(sa_column=Column(String(2048), primary_key=True))
    first_seen_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    last_seen_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))  # pruned 90 days after (feed_run)
    # False: already in its feed at the feed's first read, so of unknown age: seen, never credited
    counts: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, server_default=true()))


class TriageItemRow(SQLModel, table=True):
    """Something that came in by itself (a feed article, a Zalo or email reply) that commplan could not put on one
    duty: no open duty, several possible ones, or an unknown sender. It waits for a coordinator, who assigns it
    to an occurrence (it becomes evidence, its source kept) or dismisses it with a reason; never deleted."""

    __tablename__ = "triage_item"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_triage_item_source_external"),
        Index("ix_triage_item_open", "closed_at", "unit_id", "received_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True))
    source: str = Field(sa_column=Column(String(20), nullable=False))  # feed | zalo | email
    external_id: str = Field(sa_column=Column(String(1000), nullable=False))  # the message id / link: in triage once
    why: str = Field(sa_column=Column(String(20), nullable=False))  # no-open-duty | ambiguous | unknown-sender | no-match
    unit_id: str | None = Field(default=None, sa_column=Column(String(100)))  # whose it is; NULL: administrators only
    sender: str | None = Field(default=None, sa_column=Column(Text))
    kind: str = Field(sa_column=Column(String(20), nullable=False))  # the evidence it would become
    link: str | None = Field(default=None, sa_column=Column(Text))
    document: str | None = Field(default=None, sa_column=Column(Text))
    document_sha256: str | None = Field(default=None, sa_column=Column(String(64)))
    quantity: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    text: str | None = Field(default=None, sa_column=Column(Text))
    candidates: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))  # JSON occurrence ids
    match_reason: str | None = Field(default=None, sa_column=Column(Text))
    received_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    created_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    closed_at: dt.datetime | None = Field(default=None, sa_column=Column(DateTime))
    closed_by: str | None = Field(default=None, sa_column=Column(Text))
    outcome: str | None = Field(default=None, sa_column=Column(String(20)))  # assigned | dismissed
    close_reason: str | None = Field(default=None, sa_column=Column(Text))
    evidence_id: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), ForeignKey("evidence.id")))


class InboundMessageRow(SQLModel, table=True):
    """A message that came in (a Zalo event, an email), once per source and id: a second delivery of the same
    message (a webhook retried, a mailbox read twice) finds its row and records nothing again."""

    __tablename__ = "inbound_message"

    source: str = Field(sa_column=Column(String(20), primary_key=True))
    external_id: str = Field(sa_column=Column(String(1000), primary_key=True))
    received_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    seen_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    outcome: str | None = Field(default=None, sa_column=Column(String(40)))  # recorded | triage | refused | …
    detail: str | None = Field(default=None, sa_column=Column(Text))

class ZaloFollowerRow(SQLModel, table=True):
    """A Zalo OA follower linked to one contact of a unit (the contact sent the OA its signed code), beside
    the directory's own `zalo:` ids: the OA route of reminders uses it where the YAML gives none."""

    __tablename__ = "zalo_follower"
    __table_args__ = (UniqueConstraint("unit_id", "contact_key", name="uq_zalo_follower_contact"),)

    user_id: str = Field(sa_column=Column(String(64), primary_key=True))  # the follower's id for this OA
    unit_id: str = Field(sa_column=Column(String(100), nullable=False))
    contact_key: str = Field(sa_column=Column(Text, nullable=False))  # notify.addresses.contact_key
    linked_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    unfollowed_at: dt.datetime | None = Field(default=None, sa_column=Column(DateTime))  # set: no reminders there
