"""The one place that calls the fetcher (`intake.fetch_all`, built beside this on another branch) and keeps
what each fetch found in the ledger: `feed_run` sees only a `Fetch`.

Until the fetcher is merged, its module is looked up when a run starts (`FetcherMissing` otherwise), so
that this branch type-checks and the rest of the run is tested on its own. After the merge: import
`fetch_all` directly and drop the lookup.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Mapping
from typing import Any

from ..i18n import _
from ..ledger import Ledger
from .feed_run import Fetch, Fetched


class FetcherMissing(RuntimeError):
    pass


def _fetch_all() -> Any:
    try:
        return importlib.import_module("commplan.intake.fetch_all").fetch_all
    except ImportError:
        raise FetcherMissing(_("the feed fetcher is not installed in this build")) from None


def fetcher(ledger: Ledger, *, conditional: bool = True) -> Fetch:
    """Fetch with the ledger's validators (`conditional`: a feed unchanged since its last read answers 304);
    a preview fetches unconditionally, so that it sees every item the feeds hold."""
    fetch_all = _fetch_all()
    known: Any = ledger  # its feed state methods come with the fetcher

    def fetch(urls: list[str]) -> Mapping[str, Fetched]:
        states = known.feed_source_states(urls) if conditional else None
        return fetch_all(urls, states)

    return fetch


def keep_states(ledger: Ledger, fetched: Mapping[str, Fetched], now: dt.datetime) -> None:
    """Keep each feed's validators and failures, after its items were used (a state kept first would make
    the next fetch a 304 and lose them if the run stopped in between)."""
    keeper: Any = ledger  # `record_feed_fetch` comes with the fetcher
    for url, result in fetched.items():
        keeper.record_feed_fetch(url, result, now)
