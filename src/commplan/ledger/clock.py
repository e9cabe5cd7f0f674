"""Time at the ledger's edge: aware datetimes outside, naive UTC inside the database; `now` is the
process clock (`commplan.clock`: real, or shifted by COMMPLAN_NOW)."""

from __future__ import annotations

import datetime as dt
from typing import overload

from .. import clock
from ..i18n import _
from .engine import ReplayRefused

UTC = dt.UTC


def now() -> dt.datetime:
    return clock.now()


def refuse_replay(instant: dt.datetime, what: str) -> None:
    """Steps, deliveries and sends happen only at the clock's instant (give or take the margin):
    a replayed instant is shown by a preview, never written (see `commplan.clock.is_replay`)."""
    current = clock.now()
    if clock.is_replay(instant, clock=current):
        vn = dt.timezone(dt.timedelta(hours=7))
        raise ReplayRefused(
            _("{instant} is more than {minutes} minutes from the clock ({clock}): a replay {what}; it only shows what "
              "it would send (set {variable} to run as if it were then)").format(
                instant=f"{instant.astimezone(vn):%H:%M %d/%m/%Y}", minutes=clock.REPLAY_MARGIN.seconds // 60,
                clock=f"{current.astimezone(vn):%H:%M %d/%m/%Y}", what=what, variable=clock.VARIABLE)
        )


def to_db(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment} given to the ledger: pass an aware one")
    return moment.astimezone(UTC).replace(tzinfo=None)


@overload
def from_db(value: dt.datetime | str) -> dt.datetime: ...
@overload
def from_db(value: None) -> None: ...
def from_db(value: dt.datetime | str | None) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # raw SQL on SQLite returns text
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)
