"""The process clock: the real time, or the instant `COMMPLAN_NOW` names, running on from there.

Every business-time read goes through `now()`: what is overdue now, evidence
"in the future", outbox claims and leases, when a report link is issued and
when it expires, quiet hours, a tick's and `status`'s default instant. So a
test, a simulation or a demo sets the clock once, for the process and every
process it starts (`COMMPLAN_NOW=2021-12-10T08:00:00+07:00 commplan remind`),
and commplan behaves in every respect as if it were then. The machine's own
timing (timeouts, durations) stays on `time.monotonic`.

An instant more than `REPLAY_MARGIN` away from this clock, in the past or the
future, is a replay: computed and shown, never sent (`is_replay`).

Low level on purpose: it imports nothing from commplan, so every room may use it.
"""

from __future__ import annotations

import datetime as dt
import os
import time

from .i18n import _

VARIABLE = "COMMPLAN_NOW"
REPLAY_MARGIN = dt.timedelta(minutes=10)
UTC = dt.UTC
EXAMPLE = "2021-12-10T08:00:00+07:00"

# The variable as the process started (commplan's __init__ imports this module first thing) and
# when: that instant runs on from the start. It is read again on every call, so that a test can set
# it in-process: a new value starts the clock over from the moment it is first read.
_started_with, _started_at = os.environ.get(VARIABLE, ""), time.monotonic()
# (the variable's text, the instant it names, time.monotonic() at which the clock showed that instant)
_anchor: tuple[str, dt.datetime, float] | None = None


class ClockError(ValueError):
    """COMMPLAN_NOW is set but names no instant: one line, naming the variable."""


def parse(text: str) -> dt.datetime:
    """The instant of a COMMPLAN_NOW value: ISO 8601 with an offset (a naive time would be ambiguous)."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ClockError(_("{variable}={value} is not an ISO instant with an offset, e.g. {example}").format(
            variable=VARIABLE, value=repr(text), example=EXAMPLE)) from None
    if moment.tzinfo is None:
        raise ClockError(_("{variable}={value} has no offset (+07:00 for Vietnam time), e.g. {example}").format(
            variable=VARIABLE, value=repr(text), example=EXAMPLE))
    if not 1900 <= moment.year <= 9000:
        raise ClockError(_("{variable}={value}: the year must be between 1900 and 9000").format(
            variable=VARIABLE, value=repr(text)))
    return moment.astimezone(UTC)


def now() -> dt.datetime:
    """The current instant (aware, UTC): real, or COMMPLAN_NOW plus the time elapsed since the process
    started (or, for a value set later in-process, since it was first read)."""
    global _anchor  # noqa: PLW0603 -- the process-wide anchor of COMMPLAN_NOW, set on first read
    text = os.environ.get(VARIABLE, "")
    if not text.strip():
        return dt.datetime.now(UTC)
    anchor = _anchor
    if anchor is None or anchor[0] != text:
        since = _started_at if anchor is None and text == _started_with else time.monotonic()
        anchor = _anchor = (text, parse(text), since)
    _text, start, read_at = anchor
    return start + dt.timedelta(seconds=time.monotonic() - read_at)


def is_replay(instant: dt.datetime, *, clock: dt.datetime | None = None) -> bool:
    """True when `instant` lies more than REPLAY_MARGIN from the clock, before or after: a replay,
    which computes and shows what it would send but writes no reminder step or delivery, sends
    nothing and issues no report link."""
    return abs(instant - (clock or now())) > REPLAY_MARGIN
