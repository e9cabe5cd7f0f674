"""Which duties an email reply is evidence of, or why it waits in triage (pure: no I/O).

A reply counts only when it answers one of our reminder emails (its In-Reply-To / References name the
delivery's own Message-ID, `Ledger.reply_thread`) and comes from a contact email of the unit the reminder
went to (the directory's `contacts`). Then its links and attachments go to the reminder's duty if it is
still open or overdue. A digest names several duties: the reply picks one by an obligation's `match:`
keywords or its title, found in the subject or the reply's own words (`intake.matching.find_phrase`:
whole words, accents compared as written); more than one, or none, is ambiguous, even when only one of
them is still open (the reply may be about one done meanwhile). Anything else is
triage, never the ledger: an unknown sender, no thread, no open duty, an ambiguous digest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from ..ledger.status import OccurrenceStatus
from ..plan import Catalog
from ..status import Status
from .mail_parse import InboundMail
from .matching import find_phrase, words

OPEN = (Status.OPEN, Status.OVERDUE)
_PREFIX = re.compile(r"^\s*((re|fw|fwd|tl|tr|trả lời|chuyển tiếp|aw|sv)\s*:\s*)+", re.IGNORECASE)


@dataclass(frozen=True)
class Verdict:
    """Where a reply's items go: `targets` (record on them) or triage with `why` and `candidates`."""

    targets: tuple[OccurrenceStatus, ...] = ()
    why: str | None = None  # "unknown-sender" | "no-match" | "no-open-duty" | "ambiguous"
    candidates: tuple[int, ...] = ()
    unit_id: str | None = None  # whom it is about: the thread's unit, else the sender's
    keyword: str | None = None  # what picked the duty in a digest

    def reason(self, delivery_id: int | None, message_id: str | None, reply: str | None = None) -> str:
        """Why it matched (JSON, kept with the evidence); `reply`: the reply's own id, so that a reply taken in
        again finds what it recorded already."""
        why: dict[str, object] = {"reply_to": f"reply to delivery {delivery_id}, Message-ID {message_id}",
                                  "delivery": delivery_id, "message_id": message_id}
        if reply is not None:
            why["reply"] = reply
        if self.keyword is not None:
            why["keyword"] = self.keyword
        return json.dumps(why, ensure_ascii=False, sort_keys=True)


def units_of_sender(catalog: Catalog, sender: str) -> tuple[str, ...]:
    """The units whose directory contacts have this email address (compared in lower case)."""
    if not sender:
        return ()
    return tuple(sorted(unit.id for unit in catalog.directory.units.values()
                        if any((c.email or "").strip().lower() == sender for c in unit.contacts)))


def subject_words(subject: str) -> str:
    return _PREFIX.sub("", subject)


def pick(catalog: Catalog, duties: Sequence[OccurrenceStatus],
         texts: Sequence[str]) -> tuple[OccurrenceStatus | None, str | None]:
    """The one duty of a digest the texts name (by a `match:` keyword or the title), with what named it. Each
    text is read apart: an accented subject does not make an unaccented reply compare by tone marks."""
    said = [words(text) for text in texts]
    named: dict[int, tuple[OccurrenceStatus, str]] = {}
    for duty in duties:
        plan = catalog.plans.get(duty.plan)
        try:
            obligation = plan.obligation(duty.obligation) if plan else None
        except KeyError:
            obligation = None
        phrases = [*(obligation.match.keywords if obligation and obligation.match else ()), duty.title]
        for phrase in phrases:
            if any(find_phrase(words(phrase), text) is not None for text in said):
                named.setdefault(duty.id, (duty, phrase))
                break
    if len(named) == 1:
        return next(iter(named.values()))
    return None, None


def judge(mail: InboundMail, catalog: Catalog, thread_unit: str | None, duties: Sequence[OccurrenceStatus],
          recorded_by_it: Collection[int] = ()) -> Verdict:
    """Where this reply's evidence goes. `thread_unit` is the unit the answered reminder went to (None: the
    reply answers none of ours); `duties` are that reminder's duties the unit holds, with their status now;
    `recorded_by_it`: those this very reply already has evidence on (taken in again after a crash, or by two
    readers at once): still open to it, as they were when it first came."""
    senders = units_of_sender(catalog, mail.sender)
    if thread_unit is None:
        why = "unknown-sender" if not senders else "no-match"
        return Verdict(why=why, unit_id=senders[0] if len(senders) == 1 else None)
    if thread_unit not in senders:
        return Verdict(why="unknown-sender", unit_id=thread_unit, candidates=tuple(d.id for d in duties))
    still_open = tuple(d.id for d in duties if d.status in OPEN or d.id in recorded_by_it)
    if len(duties) <= 1:
        if not still_open:
            return Verdict(why="no-open-duty", unit_id=thread_unit, candidates=tuple(d.id for d in duties))
        return Verdict(targets=tuple(duties), unit_id=thread_unit)
    # a digest: the reply must name its duty, even when only one is still open (it may be about one just done)
    chosen, keyword = pick(catalog, duties, (subject_words(mail.subject), mail.text))
    if chosen is None:
        return Verdict(why="ambiguous" if still_open else "no-open-duty", unit_id=thread_unit,
                       candidates=still_open or tuple(d.id for d in duties))
    if chosen.id not in still_open:
        return Verdict(why="no-open-duty", unit_id=thread_unit, candidates=(chosen.id,), keyword=keyword)
    return Verdict(targets=(chosen,), unit_id=thread_unit, keyword=keyword)
