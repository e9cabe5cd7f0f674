"""Fetching many feeds at once: a bounded pool of threads sharing one HTTP client, each feed on its own.

Threads rather than asyncio: the work is waiting on sockets (httpx's pool is thread-safe), and the
callers (Prefect tasks, the CLI, the ledger) are synchronous. Every feed ends within its own time
budget (`fetch_feed`), so a dead server holds one worker, never the others; an error in one feed's
reading (even a bug) becomes that feed's failed result. A transient failure (timeout, connection,
5xx, 429) is tried again `retries` times after `retry_delay` seconds; what still fails is reported in
the result (the next run tries again, and the ledger counts the failures in a row).

Recording is left to the caller, after it has used the items: a state recorded first would make the
next fetch a 304 and lose them if the run stopped in between.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import httpx

from ..i18n import _
from ..ledger import FeedSourceState, FetchStatus
from .fetch import MAX_BYTES, MAX_REDIRECTS, TIMEOUT, FetchResult, fetch_feed, new_client, technical

log = logging.getLogger(__name__)

WORKERS = 8  # feeds fetched at once: polite to shared hosting, and an hourly run of hundreds of feeds ends in minutes
RETRIES = 1
RETRY_DELAY = 5.0  # seconds


def fetch_all(urls: Iterable[str], states: Mapping[str, FeedSourceState] | None = None, *, workers: int = WORKERS,
              timeout: float = TIMEOUT, max_bytes: int = MAX_BYTES, max_redirects: int = MAX_REDIRECTS,
              retries: int = RETRIES, retry_delay: float = RETRY_DELAY, client: httpx.Client | None = None,
              allow_private_hosts: bool = False) -> dict[str, FetchResult]:
    """Each feed's result, by address, in the order given (an address given twice is fetched once).
    `states`: the ledger's (`Ledger.feed_source_states`), for conditional GETs; `allow_private_hosts`:
    loopback and private networks may be read too (see `address_guard`)."""
    wanted = list(dict.fromkeys(urls))
    known = states or {}
    if not wanted:
        return {}
    own = client is None
    shared = new_client(connections=workers) if client is None else client

    def one(url: str) -> FetchResult:
        attempts = 0
        while True:
            attempts += 1
            try:
                result = fetch_feed(url, known.get(url), client=shared, timeout=timeout, max_bytes=max_bytes,
                                    max_redirects=max_redirects, allow_private_hosts=allow_private_hosts)
            except Exception as exc:  # a bug reading one feed must not stop the others
                log.exception(_("reading the feed %s failed unexpectedly"), url)
                result = FetchResult(url, FetchStatus.FAILED, reason=_("reading the feed failed unexpectedly"),
                                     detail=technical(exc),
                                     etag=known[url].etag if url in known else None,
                                     last_modified=known[url].last_modified if url in known else None)
            if result.status is not FetchStatus.FAILED or not result.transient or attempts > retries:
                return _with_attempts(result, attempts)
            time.sleep(retry_delay)

    try:
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(wanted))), thread_name_prefix="feed") as pool:
            return dict(zip(wanted, pool.map(one, wanted), strict=True))
    finally:
        if own:
            shared.close()


def _with_attempts(result: FetchResult, attempts: int) -> FetchResult:
    return result if attempts == 1 else replace(result, attempts=attempts)
