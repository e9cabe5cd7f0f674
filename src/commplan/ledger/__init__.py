"""The compliance ledger: occurrences, evidence, excusals and status, in SQLite or PostgreSQL."""

from .api import Ledger, RecordResult, default_horizon
from .engine import LedgerError, ReplayRefused
from .records import EvidenceInput
from .status import BUCKETS, STATUSES, VIETNAMESE, OccurrenceStatus, SummaryRow
from .sync import SyncReport

__all__ = [
    "BUCKETS", "STATUSES", "VIETNAMESE", "EvidenceInput", "Ledger", "LedgerError", "OccurrenceStatus",
    "RecordResult", "ReplayRefused", "SummaryRow", "SyncReport", "default_horizon",
]
