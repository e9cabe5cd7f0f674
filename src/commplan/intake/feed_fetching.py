"""The one place that calls the fetcher (`intake.fetch_all`) and keeps what each fetch found in the ledger:
`feed_run` sees only a `feed_run.Fetch` (addresses in, one result per feed out)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping
from dataclasses import replace

from ..ledger import Ledger
from .fetch import FetchResult
from .fetch_all import fetch_all


def fetcher(ledger: Ledger, *, conditional: bool = True,
            allow_private_hosts: bool = False) -> Callable[[list[str]], Mapping[str, FetchResult]]:
    """Fetch with the ledger's validators (`conditional`: a feed unchanged since its last read answers 304);
    a preview fetches unconditionally, so that it sees every item the feeds hold. `allow_private_hosts`:
    the setting COMMPLAN_FEEDS_ALLOW_PRIVATE_HOSTS (loopback and private networks may be read)."""

    def fetch(urls: list[str]) -> Mapping[str, FetchResult]:
        return fetch_all(urls, ledger.feed_source_states(urls) if conditional else None,
                         allow_private_hosts=allow_private_hosts)

    return fetch


def keep_states(ledger: Ledger, fetched: Mapping[str, FetchResult], now: dt.datetime,
                refused: Collection[str] = ()) -> None:
    """Keep each feed's validators and failures, after its items were used (a state kept first would make
    the next fetch a 304 and lose them if the run stopped in between). A feed in `refused` (an item's credit
    the ledger refused: `FeedRunReport.refused_feeds`) keeps no validators: the next fetch reads it whole."""
    for url, result in fetched.items():
        ledger.record_feed_fetch(url, replace(result, etag=None, last_modified=None) if url in refused else result, now)
