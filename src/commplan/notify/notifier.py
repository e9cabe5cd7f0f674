"""The notifier: queued reminder steps -> one message per recipient and address -> channels.

Planning groups every step a recipient is owed right now into one message (a
digest when there are several), one delivery per address. Sending claims due
deliveries from the ledger's outbox and records each outcome; a channel that
fails never blocks the others, since every delivery is claimed and confirmed
on its own.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from ..ledger import Ledger
from ..ledger.outbox import NewDelivery
from ..plan.catalog import Catalog
from ..schedule.workdays import WorkCalendar
from ..links import report_link
from .addresses import decode_fallbacks, encode_fallbacks, routes_of
from .channels import Channel, PermanentError, TemporaryError, Unreachable
from .messages import Item, render

VN = ZoneInfo("Asia/Ho_Chi_Minh")
# Zalo and SMS reach phones: not at night, not on days off
QUIET_START, QUIET_END = dt.time(7, 30), dt.time(20, 0)


@dataclass
class SendReport:
    planned: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    unknown: int = 0
    handed_on: int = 0  # unreachable on one channel, passed to the next (OA -> ZNS -> SMS)
    without_address: list[str] = field(default_factory=list)


def next_send_time(now: dt.datetime, calendar: WorkCalendar) -> dt.datetime:
    """Now, if it is working hours on a working day; else the start of the next working morning."""
    local = now.astimezone(VN)
    if calendar.is_workday(local.date()) and QUIET_START <= local.time() < QUIET_END:
        return now
    day = local.date() if local.time() < QUIET_START else local.date() + dt.timedelta(days=1)
    day = calendar.next_workday(day)
    return dt.datetime.combine(day, QUIET_START, tzinfo=VN)


class Notifier:
    def __init__(self, ledger: Ledger, catalog: Catalog, channels: dict[str, Channel], *, worker: str | None = None,
                 public_url: str | None = None, link_secret: str | None = None, batch: int = 50):
        self.ledger = ledger
        self.catalog = catalog
        self.channels = channels
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self.calendar = WorkCalendar("VN")
        self.batch = batch  # deliveries claimed at a time: small enough for workers to share the outbox
        # reminders carry the one-click report link only when the web app is configured
        self.links = (public_url, link_secret) if public_url and link_secret else None

    def _link(self, step: dict, now: dt.datetime) -> str | None:
        if self.links is None:
            return None
        return report_link(*self.links, step["occurrence_id"], step["unit_id"], issued=now)

    def _not_before(self, channel: str, now: dt.datetime) -> dt.datetime:
        handler = self.channels.get(channel)
        return next_send_time(now, self.calendar) if handler is not None and handler.quiet_hours else now

    def plan(self, now: dt.datetime, report: SendReport) -> None:
        deliveries = self.compose(self.ledger.unplanned_reminders(), now, report)
        report.planned += self.ledger.add_deliveries(deliveries, now=now)

    def compose(self, steps: list[dict], now: dt.datetime, report: SendReport) -> list[NewDelivery]:
        """The messages for queued steps: one per recipient and route, a digest when several are owed."""
        by_recipient: dict[str, list[dict]] = {}
        for step in steps:
            by_recipient.setdefault(step["recipient"], []).append(step)
        names = self.ledger.unit_names()
        deliveries: list[NewDelivery] = []
        for recipient, owed in by_recipient.items():
            unit = self.catalog.directory.units.get(recipient)
            routes = [r for c in (unit.contacts if unit else ()) for r in routes_of(c, set(self.channels))]
            routes = list({r.address: r for r in routes}.values())  # two contacts sharing an address get one message
            if not routes:
                report.without_address.append(recipient)
                continue
            items = [
                Item(step=s["step"], title=s["title"], due=s["due_at"], at_least=s["at_least"], delivered=s["delivered"],
                     plan=s["number"], unit=names.get(s["unit_id"], s["unit_id"]), link=self._link(s, now))
                for s in owed
            ]
            message = render(names.get(recipient, recipient), items, now=now)
            attachment = self.attachment(owed, names, now) if any(r.address.channel == "email" for r in routes) else None
            for route in routes:
                deliveries.append(NewDelivery(
                    recipient=recipient, channel=route.address.channel, address=route.address.value,
                    subject=message.subject, body_text=message.text, body_html=message.html, body_sms=message.sms,
                    template_data=json.dumps(message.zns, ensure_ascii=False),
                    attachment=attachment if route.address.channel == "email" else None,
                    fallbacks=encode_fallbacks(route.fallbacks),
                    reminder_ids=tuple(s["id"] for s in owed), not_before=self._not_before(route.address.channel, now),
                ))
        return deliveries

    def attachment(self, steps: list[dict], names: dict[str, str], now: dt.datetime) -> str | None:
        """The iCalendar file of the occurrences a message is about, for email."""
        from .attachments import occurrences_ics

        return occurrences_ics(self.catalog, steps, names, now=now, link=lambda s: self._link(s, now))

    def send(self, now: dt.datetime, report: SendReport, *, batch: int = 50, max_rounds: int = 10_000) -> None:
        """Claim and send what is due, a small batch at a time until nothing due is left, so that several
        workers share a large outbox; a delivery handed on to a fallback address is due at once and goes
        out in a later round of the same call."""
        idempotent = {name for name, channel in self.channels.items() if channel.idempotent}
        _, report.unknown = self.ledger.recover_stale_deliveries(idempotent, now=now)
        for _ in range(max_rounds):
            claimed = self.ledger.claim_deliveries(self.worker, limit=batch, now=now)
            if not claimed:
                break
            for delivery in claimed:
                self._send_one(delivery, now, report)

    def _send_one(self, delivery, now: dt.datetime, report: SendReport) -> None:
        """Send one claimed delivery and record the outcome."""
        channel = self.channels.get(delivery.channel)
        outcome: dict = {}
        try:
            if channel is None:
                raise PermanentError(f"channel '{delivery.channel}' is not configured")
            outcome = {"outcome": "sent", "external_id": channel.send(delivery)}
            report.sent += 1
        except Unreachable as error:
            fallbacks = decode_fallbacks(delivery.fallbacks)
            outcome = {"outcome": "unreachable", "error": str(error),
                       "fallback_not_before": self._not_before(fallbacks[0].channel, now) if fallbacks else None}
            if fallbacks:
                report.handed_on += 1
            else:
                report.failed += 1
        except PermanentError as error:
            outcome = {"outcome": "failed", "error": str(error)}
            report.failed += 1
        except Exception as error:  # TemporaryError, or a fault in a channel: retried later, never blocks the rest
            outcome = {"outcome": "retry", "error": str(error) if isinstance(error, TemporaryError) else repr(error)}
            report.retried += 1
        self.ledger.confirm_delivery(delivery.id, self.worker, now=now, **outcome)

    def run(self, now: dt.datetime) -> SendReport:
        report = SendReport()
        self.plan(now, report)
        self.send(now, report, batch=self.batch)
        return report
