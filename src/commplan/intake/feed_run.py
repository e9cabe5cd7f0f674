"""One run over the units' feeds: each fetched item matched (`matching`), each credit recorded in the ledger.

The fetch is a boundary (`Fetch`: addresses in, one result per feed out), so that the CLI, the flow and the
tests share this code whatever fetches. For each item and each credit the matcher gives, the ledger
(`Ledger.record_feed_item`) puts the article in the occurrence whose window contains its publication date
when that one is open or overdue, and counts a link once per duty and holder, in any period.

Undated items. An item without a publication date counts on the day it was first seen (kept in the ledger,
so a later run does not date it again). But an undated item already in a feed when that feed is read for
the first time (a new feed, or one unread for `SEEN_HORIZON`) may be years old: it is only recorded as
seen, never credited, so that adding a feed does not mark this month's duties done with old articles.
Sightings of items gone from every feed for `SEEN_HORIZON` are forgotten (pruned) by each run.

What credits nobody is counted here and not recorded. A credit that finds no open duty (the occurrence
done or excused, or no window for its date) puts the article in the triage list (`Ledger.add_triage`, why
"no-open-duty"), once per link and holder, for a coordinator to assign or dismiss, except an article already
in its feed at the feed's first read: its old articles are history, not work to sort, then and at every
later read that carries them again (a daily full read, a site that ignores validators). So every item's
sighting is kept, dated or not; only an undated one's date is read from it.

A failing feed only lands in the report: the others go on. A credit the ledger refuses (the plans not
synced yet, a unit unknown to the ledger) is one line of the report, never the end of the run, and its
feed's validators are not kept (`refused_feeds`); a ledger that cannot be reached (`LedgerUnavailable`) ends it.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Protocol
from zoneinfo import ZoneInfo

from .. import clock
from ..ledger import FeedOutcome, FeedRecord, Ledger, LedgerError, LedgerUnavailable
from ..ledger.triage import TriageInput
from ..plan import Catalog
from .items import FeedItem
from .matching import Credit, matcher

VN = ZoneInfo("Asia/Ho_Chi_Minh")
ACTOR = "feed"  # who the audit log says recorded it
SEEN_HORIZON = dt.timedelta(days=90)  # an item gone from its feed this long is forgotten
TITLE_LIMIT = 500  # a title kept as the evidence's note; longer ones are cut (the link says the rest)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


class Fetched(Protocol):
    """What the run reads of one feed's fetch (`intake.fetch.FetchResult` has these)."""

    @property
    def url(self) -> str: ...
    @property
    def status(self) -> str: ...  # ok | not_modified | failed
    @property
    def items(self) -> tuple[FeedItem, ...]: ...
    @property
    def reason(self) -> str | None: ...  # why it failed, for people


Fetch = Callable[[list[str]], Mapping[str, Fetched]]


@dataclass(frozen=True)
class Match:
    """One credit of one item, and what the ledger did with it (or, in a preview, would do)."""

    item: FeedItem
    credit: Credit
    record: FeedRecord | None  # None: refused (see `error`)
    error: str | None = None


@dataclass(frozen=True)
class BackedOff:
    """A failing feed not tried this run (`feed_fetching`): when it is tried next, and why it failed."""

    until: dt.datetime
    failures: int
    reason: str | None


@dataclass
class FeedRunReport:
    feeds: dict[str, str] = field(default_factory=dict)  # url -> ok | not_modified | failed | backed_off
    failures: dict[str, str] = field(default_factory=dict)  # url -> why
    backed_off: dict[str, BackedOff] = field(default_factory=dict)  # failing feeds not tried this run
    items_seen: int = 0
    matches: list[Match] = field(default_factory=list)
    unmatched: list[FeedItem] = field(default_factory=list)  # credits nobody
    not_counted: list[FeedItem] = field(default_factory=list)  # undated, already there at its feed's first read
    triaged: list[int] = field(default_factory=list)  # triage items added
    triage_errors: list[str] = field(default_factory=list)
    pruned: int = 0  # sightings of items forgotten
    dry_run: bool = False

    def count(self, status: str) -> int:
        return sum(1 for s in self.feeds.values() if s == status)

    def outcomes(self, outcome: FeedOutcome) -> list[Match]:
        return [m for m in self.matches if m.record is not None and m.record.outcome is outcome]

    @property
    def errors(self) -> list[Match]:
        return [m for m in self.matches if m.record is None]

    @property
    def refused_feeds(self) -> set[str]:
        """Feeds with an item whose credit the ledger refused: their validators are not kept, so that the
        next run reads those items again instead of a 304."""
        return {m.item.feed_url for m in self.errors}

    @property
    def no_open_duty(self) -> list[Match]:
        return self.outcomes(FeedOutcome.NO_OPEN_DUTY)

    def as_dict(self) -> dict:
        """Plain numbers and lists (a flow's result, JSON)."""
        return {
            "feeds": len(self.feeds), "ok": self.count("ok"), "not_modified": self.count("not_modified"),
            "failed": self.count("failed"), "failures": dict(self.failures), "backed_off": len(self.backed_off),
            "items_seen": self.items_seen, "not_counted": len(self.not_counted), "triaged": len(self.triaged),
            "pruned": self.pruned,
            "recorded": len(self.outcomes(FeedOutcome.RECORDED)), "already": len(self.outcomes(FeedOutcome.ALREADY)),
            "no_open_duty": len(self.no_open_duty), "dismissed": len(self.outcomes(FeedOutcome.DISMISSED)),
            "unmatched": len(self.unmatched), "errors": len(self.errors),
            "dry_run": self.dry_run,
        }


def feed_urls(catalog: Catalog, units: Collection[str] = ()) -> list[str]:
    """Every feed address of the directory (of `units` only, when given), each once, in directory order."""
    return list(dict.fromkeys(feed.url for unit in catalog.directory.units.values()
                              if not units or unit.id in units for feed in unit.feeds))


def title_note(title: str) -> str | None:
    """The item's title as the evidence's note: one line, no control characters, within TITLE_LIMIT."""
    line = " ".join(_CONTROL.sub(" ", title).split())
    return (line[:TITLE_LIMIT - 1] + "…" if len(line) > TITLE_LIMIT else line) or None


def first_reads(ledger: Ledger, urls: Collection[str], moment: dt.datetime) -> set[str]:
    """The feeds read for the first time: never read, or not read for `SEEN_HORIZON` (their sightings pruned)."""
    states = ledger.feed_source_states(urls)
    return {url for url in urls if (state := states.get(url)) is None or state.last_ok_at is None
            or state.last_ok_at < moment - SEEN_HORIZON}


def run_feeds(catalog: Catalog, ledger: Ledger, fetched: Mapping[str, Fetched], *, dry_run: bool = False,
              holders: Collection[str] = (), now: dt.datetime | None = None) -> FeedRunReport:
    """Match and record (or, `dry_run`, only preview) the items of fetched feeds. `holders`: only the credits
    of these units (a preview for one unit). Call it before the fetches' states are kept (`keep_states`):
    it asks the ledger which feeds are read for the first time."""
    moment = now or clock.now()
    report = FeedRunReport(dry_run=dry_run)
    found = matcher(catalog)
    holder_of = functools.cache(ledger.feed_holder)  # the same duty and day asked once per run
    read = [url for url, result in fetched.items() if result.status == "ok"]
    first = first_reads(ledger, read, moment) if read else set()
    # every item's sighting: an undated item counts on the day it was first seen, in this run and every later
    # one; an item already in its feed at the feed's first read is history (never triaged; undated, never credited)
    links = [item.link for result in fetched.values() for item in result.items]
    seen = ledger.feed_items_seen(links, moment, keep=not dry_run, first_read={
        item.link for url in first for item in fetched[url].items}) if links else {}
    for url, result in fetched.items():
        report.feeds[url] = str(result.status)
        resting = getattr(result, "backed_off_until", None)
        if resting is not None:
            report.feeds[url] = "backed_off"
            report.backed_off[url] = BackedOff(resting, getattr(result, "failures", 0), result.reason)
        elif result.status == "failed":
            report.failures[url] = result.reason or "?"
        for item in result.items:
            report.items_seen += 1
            sighting = seen.get(item.link) if item.published is None else None
            if sighting is not None and not sighting.counts:
                report.not_counted.append(item)
                continue
            published = item.published or (sighting.first_seen_at if sighting else moment)
            credits = [c for c in found.credits_for(item, on=min(published, moment).astimezone(VN).date(),
                                                    holder_of=holder_of)
                       if not holders or c.holder in holders]
            if not credits:
                report.unmatched.append(item)
            for credit in credits:
                match = _record(ledger, item, credit, published, moment, dry_run)
                report.matches.append(match)
                new = (known := seen.get(item.link)) is None or known.counts
                if (not dry_run and url not in first and new and match.record
                        and match.record.outcome is FeedOutcome.NO_OPEN_DUTY):
                    _triage(ledger, report, match, published, moment)
    if not dry_run:
        report.pruned = ledger.prune_feed_items_seen(moment - SEEN_HORIZON)
    return report


def _triage(ledger: Ledger, report: FeedRunReport, match: Match, published: dt.datetime, moment: dt.datetime) -> None:
    """The article in the triage list, once per link and holder (the ledger keeps (source, external id) unique):
    an article naming two holders waits for each, whose coordinators may differ. A normalised link has no
    fragment, so "#" parts it from the holder."""
    item, credit = match.item, match.credit
    try:
        added = ledger.add_triage(TriageInput(
            source="feed", external_id=f"{item.link}#{credit.holder}", received_at=min(published, moment), why="no-open-duty",
            unit_id=credit.holder, sender=item.feed_url, kind="link", link=item.link, text=title_note(item.title),
            match_reason=credit.reason), now=moment)
    except LedgerUnavailable:
        raise
    except LedgerError as error:
        report.triage_errors.append(f"{item.link}: {error}")
        return
    if added is not None:
        report.triaged.append(added)


def _record(ledger: Ledger, item: FeedItem, credit: Credit, published: dt.datetime, moment: dt.datetime,
            dry_run: bool) -> Match:
    try:
        record = ledger.record_feed_item(
            f"{credit.plan_id}/{credit.obligation_id}", credit.holder, link=item.link, title=title_note(item.title),
            published=published, reason=credit.reason, dry_run=dry_run, actor=ACTOR, now=moment)
    except LedgerUnavailable:
        raise  # the database, not this credit: the run stops and is retried (no feed state kept)
    except LedgerError as error:
        return Match(item, credit, None, str(error))
    return Match(item, credit, record)

