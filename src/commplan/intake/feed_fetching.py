"""The one place that calls the fetcher (`intake.fetch_all`) and keeps what each fetch found in the ledger:
`feed_run` sees only a `feed_run.Fetch` (addresses in, one result per feed out).

Two rules decide how a feed is asked, from its state in the ledger:

- **Read whole, or only if changed.** A feed is fetched conditionally (a 304 when it did not change) only when
  its last full read was made with today's matching rules (`feed_rules.rules_fingerprint`) and less than a
  day ago. A new `match:` keyword, a new obligation or a new unit changes the fingerprint, and the next run
  reads every feed whole: the items already in it meet the new rules, which a 304 would hide.
- **Back off.** A feed that failed `BACKOFF_AFTER` times in a row (an address the guard refuses, a site gone)
  is tried at most once a day (`BACKOFF`) instead of every hour; the run's summary and the tick's say so and
  when it is tried next. A preview (`commplan feeds check`) always tries every feed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping
from dataclasses import replace

from ..ledger import FeedSourceState, FetchStatus, Ledger
from ..plan import Catalog
from .feed_rules import rules_fingerprint
from .feed_run import FeedRunReport, feed_urls, run_feeds
from .fetch import FetchResult
from .fetch_all import fetch_all

FULL_READ_EVERY = dt.timedelta(days=1)  # at least one unconditional read a day, whatever the validators
BACKOFF_AFTER = 6  # failures in a row (six hours of hourly runs) before a feed is tried only daily
BACKOFF = dt.timedelta(days=1)


def backed_off_until(state: FeedSourceState | None) -> dt.datetime | None:
    """When a failing feed is tried next, if it is backing off (else None)."""
    if state is None or state.last_status is not FetchStatus.FAILED or state.failures < BACKOFF_AFTER:
        return None
    return state.last_checked_at + BACKOFF


def needs_full_read(state: FeedSourceState | None, fingerprint: str | None, now: dt.datetime) -> bool:
    """Whether the feed must be read whole (no validators sent): see the module notes."""
    if state is None or fingerprint is None:
        return True
    return (state.rules_fingerprint != fingerprint or state.last_read_at is None
            or now - state.last_read_at >= FULL_READ_EVERY)


def fetcher(ledger: Ledger, *, conditional: bool = True, allow_private_hosts: bool = False,
            fingerprint: str | None = None, now: dt.datetime | None = None,
            fetch: Callable[..., Mapping[str, FetchResult]] = fetch_all
            ) -> Callable[[list[str]], Mapping[str, FetchResult]]:
    """Fetch with the ledger's validators (`conditional`: a feed unchanged since its last full read with the
    rules of `fingerprint`, less than a day ago, answers 304), skipping feeds that back off (see the module
    notes). A preview fetches every feed unconditionally, so that it sees every item the feeds hold.
    `allow_private_hosts`: the setting COMMPLAN_FEEDS_ALLOW_PRIVATE_HOSTS (loopback and private networks may be read)."""

    def run(urls: list[str]) -> Mapping[str, FetchResult]:
        if not conditional:
            return fetch(urls, None, allow_private_hosts=allow_private_hosts)
        moment = now or dt.datetime.now(dt.UTC)
        states = ledger.feed_source_states(urls)
        resting = {url: until for url in urls if (until := backed_off_until(states.get(url))) and until > moment}
        asked = {url: state if not needs_full_read(state, fingerprint, moment)
                 else replace(state, etag=None, last_modified=None)
                 for url, state in states.items() if url not in resting}
        fetched = fetch([url for url in urls if url not in resting], asked, allow_private_hosts=allow_private_hosts)
        out: dict[str, FetchResult] = {}
        for url in dict.fromkeys(urls):
            if url in resting:
                state = states[url]
                out[url] = FetchResult(url, FetchStatus.FAILED, reason=state.last_error, backed_off_until=resting[url],
                                       failures=state.failures)
            else:
                out[url] = fetched[url]
        return out

    return run


def keep_states(ledger: Ledger, fetched: Mapping[str, FetchResult], now: dt.datetime,
                refused: Collection[str] = (), *, fingerprint: str | None = None) -> None:
    """Keep each feed's validators and failures, after its items were used (a state kept first would make
    the next fetch a 304 and lose them if the run stopped in between), with the rules' `fingerprint` for a full
    read. A feed in `refused` (an item's credit the ledger refused: `FeedRunReport.refused_feeds`) keeps no
    validators and no fingerprint: the next fetch reads it whole. A feed backing off was not fetched: its
    state stays as it was."""
    for url, result in fetched.items():
        if result.backed_off_until is not None:
            continue
        if url in refused:
            ledger.record_feed_fetch(url, replace(result, etag=None, last_modified=None), now)
        else:
            ledger.record_feed_fetch(url, result, now, fingerprint=fingerprint)


def read_feeds(catalog: Catalog, ledger: Ledger, *, dry_run: bool = False, units: Collection[str] = (),
               allow_private_hosts: bool = False, now: dt.datetime | None = None,
               fetch: Callable[..., Mapping[str, FetchResult]] = fetch_all) -> FeedRunReport:
    """One run as `commplan feeds run` and the `feeds` flow make it (`dry_run`: as `commplan feeds check`):
    fetch the directory's feeds (see the module notes), match and record (`feed_run.run_feeds`), then keep
    each fetch's state with the rules' fingerprint. `units`: a preview of these units' credits only."""
    moment = now or dt.datetime.now(dt.UTC)
    fingerprint = rules_fingerprint(catalog)
    fetched = fetcher(ledger, conditional=not dry_run, allow_private_hosts=allow_private_hosts,
                      fingerprint=fingerprint, now=moment, fetch=fetch)(feed_urls(catalog))
    report = run_feeds(catalog, ledger, fetched, dry_run=dry_run, holders=set(units), now=moment)
    if not dry_run:
        keep_states(ledger, fetched, moment, report.refused_feeds, fingerprint=fingerprint)
    return report
