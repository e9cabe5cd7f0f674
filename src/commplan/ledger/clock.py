"""Time at the ledger's edge: aware datetimes outside, naive UTC inside the database."""

from __future__ import annotations

import datetime as dt

UTC = dt.timezone.utc


def now() -> dt.datetime:
    return dt.datetime.now(UTC)


def to_db(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment} given to the ledger: pass an aware one")
    return moment.astimezone(UTC).replace(tzinfo=None)


def from_db(value: dt.datetime | str | None) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # raw SQL on SQLite returns text
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)
