"""Reminder steps of one occurrence, from its obligation's policy (pure: no I/O).

Policy (PLAN_FORMAT.md `reminders`): `before: [3d, 1d]` steps before the
deadline, `on_due` at the deadline, `overdue_every` repeated while overdue,
`escalate_after` once, to the coordinator and the holder's parent.

- Steps planned before the window opens are dropped (a daily duty gets no
  "3 days before" reminder for a day that has not begun).
- Nothing is said more than `stop_after` (default 60d) past the deadline:
  a duty overdue for months is the coordinator's report, not a daily
  message. This bounds the escalation too (a one-time step at
  `escalate_after`): `commplan validate` refuses an `escalate_after` past
  `stop_after`, so an escalation is never silently lost.
- Daily digest: a step of a day or more ("3d before", "due", "overdue",
  escalation) is said in the recipient's first message of the day it falls
  on, not at its minute (a "due" step for a deadline at 23:59 is useless at
  23:59), so a unit gets one morning digest instead of a message per tick.
  Only sub-day steps ("2h before") go at their own time: `digest_until`.
  When in the day the digest goes (`digest_at`) and on which routes and
  hours (`channels`, `quiet_hours`) is the notifier's business.
- Steps form two chains: the holder's (before…, due, overdue-1, overdue-2 …)
  and the escalation. When several steps of one chain are past (a tick was
  missed), only the latest is sent; the earlier ones are recorded as skipped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..plan.model import Reminders
from ..plan.values import Duration

HOLDER, ESCALATION = "holder", "escalation"


@dataclass(frozen=True, order=True)
class Step:
    planned_at: dt.datetime
    name: str
    chain: str


def _span(duration: Duration) -> dt.timedelta:
    return duration.calendar_span()


def urgent(step: Step, due: dt.datetime) -> bool:
    """A sub-day "before" step: said at its own time, not in the day's digest."""
    return step.name.startswith("before-") and due - step.planned_at < dt.timedelta(days=1)


def steps_until(policy: Reminders, opens_at: dt.datetime, due: dt.datetime, until: dt.datetime,
                digest_until: dt.datetime | None = None) -> list[Step]:
    """Every step of the policy planned at or before `until`, and the day-scale steps planned at
    or before `digest_until` (the end of `until`'s day: they go in that day's digest), in time order."""
    digest_until = max(digest_until or until, until)
    steps: list[Step] = []
    for offset in policy.before:
        steps.append(Step(due - _span(offset), f"before-{offset}".replace(" ", ""), HOLDER))
    if policy.on_due:
        steps.append(Step(due, "due", HOLDER))
    stop = due + _span(policy.stop_after)
    last = min(digest_until, stop)
    if policy.overdue_every is not None:
        every = _span(policy.overdue_every)
        count = int((last - due) / every) if last > due and every > dt.timedelta(0) else 0
        steps += [Step(due + every * k, f"overdue-{k}", HOLDER) for k in range(1, count + 1)]
    if policy.escalate_after is not None:
        steps.append(Step(due + _span(policy.escalate_after), "escalate", ESCALATION))
    return sorted(
        s for s in steps
        if opens_at <= s.planned_at <= (digest_until if not urgent(s, due) else until) and s.planned_at <= stop
    )
