"""The checks every flow makes of its parameters before any work, in one place."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from commplan import clock
from commplan.i18n import _
from commplan.ledger.engine import has_password

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def run_moment(as_of: dt.datetime | None, database: str | None) -> dt.datetime:
    """The instant a run is for (default now, on the clock: COMMPLAN_NOW), in Vietnam time. Refuses a
    `database` URL with a password (Prefect stores parameters and shows them) and a naive `as_of`."""
    if database and has_password(database):
        raise ValueError(_("the database parameter carries a password, which Prefect would store and show: "
                           "set COMMPLAN_DATABASE_URL in the worker's environment instead"))
    if as_of is not None and as_of.tzinfo is None:
        raise ValueError(_("as_of needs a timezone (e.g. 2026-02-23T09:00:00+07:00)"))
    return (as_of or clock.now()).astimezone(VN)
