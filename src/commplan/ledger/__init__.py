"""The compliance ledger: occurrences, evidence, excusals and status, in SQLite or PostgreSQL."""

from .api import Ledger, RecordResult, WithdrawResult, default_horizon
from .engine import LedgerError, ReplayRefused
from .evidence import EvidenceInput, EvidenceItem
from .feed_state import FeedState
from .status import BUCKETS, STATUSES, VIETNAMESE, OccurrenceStatus, Status, SummaryRow
from .sync import SyncReport

__all__ = [
    "BUCKETS", "STATUSES", "VIETNAMESE", "EvidenceInput", "EvidenceItem", "FeedState", "Ledger", "LedgerError",
    "OccurrenceStatus", "RecordResult", "ReplayRefused", "Status", "SummaryRow", "SyncReport", "WithdrawResult",
    "default_horizon",
]
