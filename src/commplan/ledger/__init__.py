"""The compliance ledger: occurrences, evidence, excusals and status, in SQLite or PostgreSQL."""

from .acknowledgements import Acknowledgement
from .api import Ledger, RecordResult, WithdrawResult, default_horizon
from .engine import LedgerError, LedgerRefused, LedgerUnavailable, ReplayRefused
from .evidence import EvidenceInput, EvidenceItem
from .feed_evidence import FeedOutcome, FeedRecord
from .feed_sources import FeedSourceState, FetchOutcome, FetchStatus, ItemSeen
from .feed_state import FeedState
from .figures import FigureEntry, FigureError, FigureImport, RowProblem
from .idempotency import ApiAnswer, IdempotencyConflict
from .overdue import OverdueRow
from .revocations import RevokedLink
from .status import BUCKETS, STATUSES, VIETNAMESE, OccurrenceStatus, Status, SummaryRow
from .sync import SyncReport
from .users import ROLES, IssuedToken, LoginAttempt, LoginResult, Scope, User, password_problem

__all__ = [
    "BUCKETS",
    "ROLES",
    "STATUSES",
    "VIETNAMESE",
    "Acknowledgement",
    "ApiAnswer",
    "EvidenceInput",
    "EvidenceItem",
    "FeedOutcome",
    "FeedRecord",
    "FeedSourceState",
    "FeedState",
    "FetchOutcome",
    "FetchStatus",
    "FigureEntry",
    "FigureError",
    "FigureImport",
    "IdempotencyConflict",
    "IssuedToken",
    "ItemSeen",
    "Ledger",
    "LedgerError",
    "LedgerRefused",
    "LedgerUnavailable",
    "LoginAttempt",
    "LoginResult",
    "OccurrenceStatus",
    "OverdueRow",
    "RecordResult",
    "ReplayRefused",
    "RevokedLink",
    "RowProblem",
    "Scope",
    "Status",
    "SummaryRow",
    "SyncReport",
    "User",
    "WithdrawResult",
    "default_horizon",
    "password_problem",
]
