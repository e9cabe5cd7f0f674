"""Money spent on an obligation's budget line: recorded by `commplan spend`, read by the compliance report.

Amounts are exact decimals in VND (Numeric in both engines, Decimal in Python): a float would turn
30.000.000,10 đ into 30000000.099999… and sums would drift.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import Connection, func, insert, select
from sqlmodel import col

from ..i18n import _
from . import tables as t
from .clock import to_db
from .engine import LedgerError

MAX_AMOUNT = Decimal("9999999999999999.99")  # Numeric(18, 2)
# 30000000, 30000000,5 or 30000000.50; grouped as printed: 30.000.000 or 30,000,000, with a fraction after
# the other mark (30.000.000,50 / 30,000,000.50); then an optional đ, đồng, VND, vnđ
PLAIN = re.compile(r"(\d+)(?:[.,](\d{1,2}))?")
GROUPED_DOTS = re.compile(r"(\d{1,3}(?:\.\d{3})+)(?:,(\d{1,2}))?")
GROUPED_COMMAS = re.compile(r"(\d{1,3}(?:,\d{3})+)(?:\.(\d{1,2}))?")
CURRENCY = re.compile(r"\s*(đồng|đ|vnđ|vnd)$", re.IGNORECASE)


@dataclass(frozen=True)
class Spending:
    id: int
    plan: str
    obligation: str  # its code in the plan
    amount: Decimal
    spent_on: dt.date
    note: str | None
    recorded_by: str | None


def parse_amount(text: str) -> Decimal:
    """An amount in VND as people write it (see PLAIN, GROUPED_*), exact; LedgerError in the reader's words."""
    cleaned = CURRENCY.sub("", text.strip())
    for pattern in (PLAIN, GROUPED_DOTS, GROUPED_COMMAS):
        if found := pattern.fullmatch(cleaned):
            whole = re.sub(r"[.,]", "", found.group(1))
            try:
                amount = Decimal(f"{whole}.{found.group(2) or '0'}")
            except InvalidOperation:  # cannot happen with these patterns; kept as a plain refusal
                break
            if amount <= 0:
                raise LedgerError(_("an amount spent must be more than 0 VND"))
            if amount > MAX_AMOUNT:
                raise LedgerError(_("{amount} VND is more than the ledger can hold").format(amount=text.strip()))
            return amount
    raise LedgerError(_("'{text}' is not an amount in VND (e.g. 12500000, 12.500.000 or 12.500.000,50)").format(text=text))


def record(connection: Connection, obligation_id: int, amount: Decimal, on: dt.date, note: str | None, *,
           actor: str | None, at: dt.datetime) -> int:
    result = connection.execute(insert(t.SpendingRow).values(
        obligation_id=obligation_id, amount=amount, spent_on=on, note=note, recorded_at=to_db(at), recorded_by=actor))
    key = result.inserted_primary_key
    assert key is not None  # an insert of one row
    return int(key[0])


def spent_by_obligation(connection: Connection, plan: str, until: dt.date | None) -> dict[str, Decimal]:
    """The plan's spending summed per obligation code, up to and including `until` (None: all)."""
    query = (
        select(col(t.ObligationRow.code), func.sum(col(t.SpendingRow.amount)))
        .join(t.ObligationRow, col(t.ObligationRow.id) == col(t.SpendingRow.obligation_id))
        .where(col(t.ObligationRow.plan_id) == plan)
        .group_by(col(t.ObligationRow.code))
    )
    if until is not None:
        query = query.where(col(t.SpendingRow.spent_on) <= until)
    return {code: Decimal(total) for code, total in connection.execute(query).all()}


def listing(connection: Connection, plan: str) -> list[Spending]:
    query = (
        select(col(t.SpendingRow.id), col(t.ObligationRow.plan_id), col(t.ObligationRow.code), col(t.SpendingRow.amount),
               col(t.SpendingRow.spent_on), col(t.SpendingRow.note), col(t.SpendingRow.recorded_by))
        .join(t.ObligationRow, col(t.ObligationRow.id) == col(t.SpendingRow.obligation_id))
        .where(col(t.ObligationRow.plan_id) == plan)
        .order_by(col(t.SpendingRow.spent_on), col(t.SpendingRow.id))
    )
    return [Spending(int(i or 0), p, c, Decimal(a), d if isinstance(d, dt.date) else dt.date.fromisoformat(d), n, b)
            for i, p, c, a, d, n, b in connection.execute(query).all()]
