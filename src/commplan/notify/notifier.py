"""The notifier: queued reminder steps -> one message per recipient and route -> channels.

Planning composes, for each recipient and each of its routes (the phone chain
OA -> ZNS -> SMS, and email), one message with every step that route has not
carried yet: a digest when there are several, one line per occurrence (its
latest step), steps of duties done or excused meanwhile dropped. Each step
follows its obligation's policy (PLAN_FORMAT.md `reminders`):

- `digest_at`: day-scale steps ("3d before", "due", "overdue", escalation)
  wait for the recipient's morning digest, which goes at the earliest
  `digest_at` among its items (the first tick at or after it: the tick runs
  on the hour); sub-day steps ("2h before") go at their own time.
- `channels`: a step goes only on the routes its policy allows (`zalo`, the
  OA -> ZNS part of the chain; `sms`; `email`). Steps whose allowed chains
  differ (one may fall back to SMS, another may not) go in separate messages,
  so that a hand-on never carries a step where it may not go.
- `quiet_hours`: a phone message holds only the steps whose window is open
  now; the others wait for their own window and are composed fresh then, so
  what piles up over a night, a weekend or Tết goes out as one message. The
  message carries the window its steps share (`windows.py`): a retry or a
  hand-on waits for it too. Email is never quiet.

Sending claims due deliveries in small batches, renews each claim just before
its send, and records each outcome; a channel that fails never blocks the
others.

A preview (a dry run, or a replay: an instant far from the clock) runs the
same planning in a transaction that is rolled back and composes the same
messages, without report links (a link is a real, signed credential): it shows
what would go out and sends nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from .. import clock
from ..i18n import _ as gettext  # `_` is a throwaway name in this module
from ..ledger import Ledger
from ..ledger.clock import refuse_replay
from ..ledger.outbox import LEASE, Claimed, NewDelivery
from ..links import follow_code, report_link
from ..plan.catalog import Catalog
from ..plan.model import Contact, QuietHours, Reminders
from ..plan.model import ReminderChannel as Allowed
from ..plan.report_duty import report_duty
from ..schedule.reminders import Step, urgent
from ..schedule.workdays import WorkCalendar
from . import registry
from .addresses import Address, Route, contact_key, encode_fallbacks, routes_of, with_follower
from .channels import Channel, OutcomeUnknown, PermanentError, TemporaryError, Unreachable
from .messages import Item, Message, render, with_reply_invitation, with_zalo_offer
from .windows import SendWindow, open_keys

VN = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_POLICY = Reminders()


@dataclass
class SendReport:
    planned: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    unknown: int = 0  # may have gone out (a crash, a lost answer): never repeated, reported
    dropped: int = 0  # steps whose duty was done or excused before they could be said
    handed_on: int = 0  # unreachable on one channel, passed to the next (OA -> ZNS -> SMS)
    without_address: list[str] = field(default_factory=list)  # recipients some step could reach by no allowed route
    held_for_quiet_hours: int = 0  # steps a phone route keeps for their quiet_hours window


@dataclass
class Preview:
    """What a run at `as_of` would send: the steps it would queue or plan, and their messages."""

    as_of: dt.datetime
    replay: bool  # far from the clock: shown, never sent (see `commplan.clock.is_replay`)
    steps: list[dict]
    deliveries: list[NewDelivery]
    report: SendReport  # units without an address; steps dropped as done
    quiet: bool  # some steps wait on a phone route for their quiet_hours window

    def by_plan(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for step in self.steps:
            counts[step["plan_id"]] = counts.get(step["plan_id"], 0) + 1
        return counts


def next_send_time(now: dt.datetime, calendar: WorkCalendar, hours: QuietHours = QuietHours()) -> dt.datetime:
    """Now, if phones may ring under `hours` (on `calendar`'s working days); else when they next may."""
    opens = SendWindow.of(hours, "plan").next_open(now, {"plan": calendar})
    assert opens is not None  # plan checks: the quiet hours hold a tick, and working days come every week
    return opens


class Notifier:
    def __init__(self, ledger: Ledger, catalog: Catalog, channels: Mapping[str, Channel], *, worker: str | None = None,
                 public_url: str | None = None, link_secret: str | None = None, batch: int = 50,
                 lease: dt.timedelta = LEASE, zalo_offer: tuple[str, str | None] | None = None,
                 invite_replies: bool = False):
        self.ledger = ledger
        self.catalog = catalog
        self.channels = channels
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self.calendars = {
            plan.id: WorkCalendar(plan.header.holidays, plan.header.extra_days_off, plan.header.extra_workdays)
            for plan in catalog.plans.values()
        }
        self.policies = {(plan.id, o.id): plan.reminders_for(o) for plan in catalog.plans.values() for o in plan.obligations}
        self.batch = batch  # deliveries claimed at a time: small enough for workers to share the outbox
        self.lease = lease  # a claim older than this (on the process clock) belongs to a sender that died
        # reminders carry the one-click report link only when the web app is configured
        self.links = (public_url, link_secret) if public_url and link_secret else None
        # (secret, OA address): the first email to a contact without Zalo offers "Nhận nhắc việc qua Zalo"
        self.zalo_offer = zalo_offer
        # the reminder mailbox is read (intake's mail-in): emails say a reply with the link or file is enough
        self.invite_replies = invite_replies

    def _link(self, step: dict, now: dt.datetime) -> str | None:
        if self.links is None or clock.is_replay(now):  # a replay issues no link (it would be valid from then)
            return None
        return report_link(*self.links, step["occurrence_id"], step["unit_id"], issued=now)

    def _carried(self, step: dict) -> dict:
        """Where the step's report goes and the indicators it carries, from the plan."""
        duty = report_duty(self.catalog, step["plan_id"], step["code"], step["due_at"])
        short = duty.recipients and report_duty(self.catalog, step["plan_id"], step["code"], step["due_at"], short=True)
        return {"to": duty.to, "to_short": short.to if short else None,
                "indicators": tuple(i.label for i in duty.indicators)}

    def policy(self, step: dict) -> Reminders:
        """The step's policy; a step whose obligation left the plan keeps the plan's (or the default)."""
        found = self.policies.get((step["plan_id"], step["code"]))
        if found is None:
            plan = self.catalog.plans.get(step["plan_id"])
            found = plan.header.reminders if plan and plan.header.reminders else DEFAULT_POLICY
        return found

    def plan(self, now: dt.datetime, report: SendReport) -> None:
        report.planned += self.ledger.plan_deliveries(lambda steps: self.compose(steps, now, report), now=now)

    def preview(self, as_of: dt.datetime) -> Preview:
        """What a run at `as_of` would queue, plan and send, composed by the same code; nothing is
        written or sent, and no report link is issued (it would be a real, signed link)."""
        report = SendReport()
        steps = self.ledger.preview_reminders(self.catalog, as_of=as_of)
        deliveries, _, _ = self.compose(steps, as_of, report, links=False)
        return Preview(as_of=as_of, replay=clock.is_replay(as_of), steps=steps, deliveries=deliveries, report=report,
                       quiet=report.held_for_quiet_hours > 0)

    def compose(self, steps: list[dict], now: dt.datetime, report: SendReport, *,
                links: bool = True) -> tuple[list[NewDelivery], set[int], set[int]]:
        """The messages for the steps still to plan: (deliveries, steps now carried by every route their
        policy allows, steps dropped because their duty was done or excused). `links=False` (a preview)
        issues no report link."""
        dropped = {s["id"] for s in steps if s["done"]}
        report.dropped += len(dropped)
        by_recipient: dict[str, list[dict]] = {}
        for step in steps:
            if not step["done"]:
                by_recipient.setdefault(step["recipient"], []).append(step)
        names = self.ledger.unit_names()
        local = now.astimezone(VN)
        deliveries: list[NewDelivery] = []
        planned: set[int] = set()
        # followers linked on the OA stand in for a contact's missing `zalo:` id (an unfollow ends that)
        followers = self.ledger.following_zalo() if "zalo" in self.channels and by_recipient else {}
        for recipient, owed in by_recipient.items():
            unit = self.catalog.directory.units.get(recipient)
            contacts = [with_follower(c, followers.get((recipient, contact_key(c)))) for c in (unit.contacts if unit else ())]
            routes = [r for c in contacts for r in routes_of(c, set(self.channels))]
            routes = list({r.address: r for r in routes}.values())  # two contacts sharing an address get one message
            policies = {s["id"]: self.policy(s) for s in owed}
            # the morning digest goes at the earliest digest_at among the recipient's items
            digest_at = min(p.digest_at for p in policies.values())
            waiting = set() if local.time() >= digest_at else {
                s["id"] for s in owed if not urgent(Step(s["planned_at"], s["step"], ""), s["due_at"])}
            messages: dict[tuple[Address, ...], dict[int, dict]] = {}
            complete, reachable = {s["id"] for s in owed}, set()
            for route in routes:
                for step in owed:
                    chain = tuple(a for a in (route.address, *route.fallbacks) if policies[step["id"]].allows(registry.family(a.channel)))
                    if not chain:
                        continue  # a route this step may not take
                    reachable.add(step["id"])
                    if step["covered"] & {(a.channel, a.value) for a in chain}:
                        continue
                    held = step["id"] not in waiting and self._quiet(chain) and not self._window(
                        step, policies).is_open(now, self.calendars)
                    if step["id"] in waiting or held:
                        complete.discard(step["id"])  # composed fresh when its digest or its window comes
                        report.held_for_quiet_hours += held
                        continue
                    messages.setdefault(chain, {})[step["id"]] = step
            if complete - reachable:  # left queued: reported, and closed after the planning window
                report.without_address.append(recipient)
            has_email = any(registry.family(r.address.channel) is Allowed.EMAIL for r in routes)
            for chain, carried in messages.items():
                by_email = has_email and all(policies[i].allows(Allowed.EMAIL) for i in carried)
                window = SendWindow.shared(self._window(s, policies) for s in carried.values()) if self._quiet(chain) else None
                delivery = self._message(recipient, Route(chain[0], chain[1:]), list(carried.values()), names, now,
                                         by_email, window, links)
                delivery = self._invite_reply(delivery)
                deliveries.append(self._offer_zalo(delivery, contacts, now) if links else delivery)
            planned |= complete & reachable
        return deliveries, planned, dropped

    def _quiet(self, chain: tuple[Address, ...]) -> bool:
        """Whether a message on this chain rings a phone (some channel of it keeps quiet hours)."""
        return any(getattr(self.channels.get(a.channel), "quiet_hours", False) for a in chain)

    @staticmethod
    def _window(step: dict, policies: dict[int, Reminders]) -> SendWindow:
        return SendWindow.of(policies[step["id"]].quiet_hours, step["plan_id"])

    def _message(self, recipient: str, route: Route, steps: list[dict], names: dict[str, str], now: dt.datetime,
                 has_email: bool, window: SendWindow | None, links: bool = True) -> NewDelivery:
        latest: dict[int, dict] = {}
        for step in steps:  # one line per occurrence: its latest step
            if step["occurrence_id"] not in latest or step["planned_at"] >= latest[step["occurrence_id"]]["planned_at"]:
                latest[step["occurrence_id"]] = step
        items = [
            Item(step=s["step"], title=s["title"], due=s["due_at"], at_least=s["at_least"], delivered=s["delivered"],
                 plan=s["number"], unit=names.get(s["unit_id"], s["unit_id"]), link=self._link(s, now) if links else None,
                 **self._carried(s))
            for s in latest.values()
        ]
        email = registry.family(route.address.channel) is Allowed.EMAIL  # the full list and the .ics go by email
        message = render(names.get(recipient, recipient), items, now=now, full_list_by_email=has_email and not email)
        return NewDelivery(
            recipient=recipient, channel=route.address.channel, address=route.address.value,
            subject=message.subject, body_text=message.text, body_html=message.html, body_sms=message.sms,
            template_data=json.dumps(message.zns, ensure_ascii=False),
            attachment=self.attachment(list(latest.values()), names, now, links=links) if email else None,
            fallbacks=encode_fallbacks(route.fallbacks), reminder_ids=tuple(s["id"] for s in steps),
            send_window=window.key if window else None,
        )

    def _invite_reply(self, delivery: NewDelivery) -> NewDelivery:
        """An email saying that replying with the link or the file records it, when replies are read."""
        if not self.invite_replies or registry.family(delivery.channel) is not Allowed.EMAIL:
            return delivery
        invited = with_reply_invitation(Message(delivery.subject, delivery.body_text, delivery.body_html,
                                                delivery.body_sms, {}))
        return replace(delivery, body_text=invited.text, body_html=invited.html)

    def _offer_zalo(self, delivery: NewDelivery, contacts: list[Contact], now: dt.datetime) -> NewDelivery:
        """The first email to a contact with no Zalo route, with the code that links its Zalo account."""
        if self.zalo_offer is None or registry.family(delivery.channel) is not Allowed.EMAIL or clock.is_replay(now):
            return delivery
        contact = next((c for c in contacts if c.email and c.email.lower() == delivery.address.lower()), None)
        if contact is None or contact.zalo or self.ledger.last_delivery(delivery.recipient, [delivery.address]):
            return delivery
        secret, oa_url = self.zalo_offer
        code = follow_code(secret, delivery.recipient, contact_key(contact), issued=now.astimezone(VN).date())
        offered = with_zalo_offer(Message(delivery.subject, delivery.body_text, delivery.body_html, delivery.body_sms, {}),
                                  code, oa_url)
        return replace(delivery, body_text=offered.text, body_html=offered.html)

    def attachment(self, steps: list[dict], names: dict[str, str], now: dt.datetime, *, links: bool = True) -> str | None:
        """The iCalendar file of the occurrences a message is about, for email."""
        from .attachments import occurrences_ics

        return occurrences_ics(self.catalog, steps, names, now=now, link=lambda s: self._link(s, now) if links else None)

    def send(self, now: dt.datetime, report: SendReport, *, batch: int = 50, max_rounds: int = 10_000) -> None:
        """Claim and send what is due on the channels allowed now, a small batch at a time until nothing
        is left, so that several workers share a large outbox; a delivery handed on to a fallback
        address is due at once and goes out in a later round of the same call. Never at a replayed
        instant (checked once: a long send outlasting the margin is still this tick's)."""
        refuse_replay(now, gettext("sends nothing"))
        idempotent = {name for name, channel in self.channels.items() if channel.idempotent}
        same_day = {name for name, channel in self.channels.items() if getattr(channel, "dedup_same_day", False)}
        windows = open_keys(self.ledger.send_windows(), now, self.calendars)  # phone messages that may ring now
        _, report.unknown = self.ledger.recover_stale_deliveries(idempotent, same_day=same_day, lease=self.lease, now=now,
                                                                 windows=windows)
        for _ in range(max_rounds):
            claimed = self.ledger.claim_deliveries(self.worker, limit=batch, now=now, channels=sorted(self.channels),
                                                   windows=windows)
            if not claimed:
                break
            done = 0
            try:
                for delivery in claimed:
                    done += 1
                    if self.ledger.touch_delivery(delivery.id, self.worker):  # else the lease ran out: not ours
                        self._send_one(delivery, now, report)
            finally:  # cut short (an error, a cancelled task): give the rest back unsent
                self.ledger.release_deliveries([d.id for d in claimed[done:]], self.worker)

    def _send_one(self, delivery: Claimed, now: dt.datetime, report: SendReport) -> None:
        """Send one claimed delivery and record the outcome."""
        channel = self.channels.get(delivery.channel)
        outcome: dict = {}
        try:
            if channel is None:
                raise PermanentError(gettext("channel '{channel}' is not configured").format(channel=delivery.channel))
            delivery = self._stamped(channel, delivery)
            outcome = {"outcome": "sent", "external_id": channel.send(delivery)}
            report.sent += 1
        except PermanentError as error:  # Unreachable included: the next address of the chain, if any
            outcome = {"outcome": "unreachable" if isinstance(error, Unreachable) else "failed", "error": str(error)}
            if delivery.fallbacks:
                report.handed_on += 1
            else:
                report.failed += 1
        except OutcomeUnknown as error:  # the request went out, the answer was lost
            assert channel is not None  # raised by channel.send
            outcome = self._settle_unknown(channel, delivery, error, report)
        except Exception as error:  # TemporaryError, or a fault in a channel: retried later, never blocks the rest
            outcome = {"outcome": "retry", "error": str(error) if isinstance(error, TemporaryError) else repr(error)}
            report.retried += 1
        self.ledger.confirm_delivery(delivery.id, self.worker, now=now, **outcome)

    def _stamped(self, channel: Channel, delivery: Claimed) -> Claimed:
        """The delivery with the Message-ID it goes out with, for a channel that names its messages (email):
        stored before the send, so that a reply finds it; a retry keeps the first one."""
        name = getattr(channel, "message_id_for", None)
        if name is None or delivery.message_id is not None:
            return delivery
        return replace(delivery, message_id=self.ledger.stamp_message_id(delivery.id, name(delivery)))

    def _settle_unknown(self, channel: Channel, delivery: Claimed, error: Exception, report: SendReport) -> dict:
        """A send whose answer was lost. Where the provider de-duplicates by our key, ask again at once
        (eSMS remembers a RequestId only for the day: a later retry could send twice); else, or if the
        answer is lost again, `unknown`: never repeated, reported."""
        if channel.idempotent:
            try:
                external = channel.send(delivery)
            except Exception as again:
                error = again
            else:
                report.sent += 1
                return {"outcome": "sent", "external_id": external}
        report.unknown += 1
        return {"outcome": "unknown", "error": f"{error}: not re-sent later, to avoid a duplicate"}

    def run(self, now: dt.datetime) -> SendReport:
        report = SendReport()
        try:
            self.plan(now, report)
        finally:  # a planning fault must not stop what is already in the outbox from going out
            self.send(now, report, batch=self.batch)
        return report
