"""Which feeds of the directory are down, for the tick's summary: the coordinator learns that a site stopped
answering (and whose site it is) before a unit is marked overdue for an article the machine could not see.

Read from the feed states the `feeds` flow keeps (`Ledger.feed_source_states`): a feed whose last fetch failed
is still failing, and the next hourly run retries it, or, after `feed_fetching.BACKOFF_AFTER` failures in a
row, the first run a day after its last try. A feed since removed from the directory is not listed.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from ..i18n import _
from ..ledger import FetchStatus, Ledger
from ..plan import Catalog
from .feed_fetching import BACKOFF_AFTER, backed_off_until

VN = ZoneInfo("Asia/Ho_Chi_Minh")
ERROR_SHOWN = 200  # a failure's text in the summary (the ledger keeps more: a server may answer a page of HTML)


def failing_feeds(ledger: Ledger, catalog: Catalog) -> list[dict]:
    """The directory's feeds whose last fetch failed, each with its owners' names, plain values (a flow's
    result): url, name, owners, failures (in a row), last_error, next_try_at (a feed backing off: when it is tried
    next; else None), last_ok_at and last_checked_at (ISO, Vietnam)."""
    owners: dict[str, list[str]] = {}
    titles: dict[str, str | None] = {}
    names = ledger.unit_names()
    for unit in catalog.directory.units.values():
        for feed in unit.feeds:
            owners.setdefault(str(feed.url), []).append(names.get(unit.id, unit.name))
            titles.setdefault(str(feed.url), feed.name)
    states = ledger.feed_source_states(owners)
    return [{"url": url, "name": titles[url], "owners": owners[url], "failures": state.failures,
             "last_error": state.last_error,
             "next_try_at": until.astimezone(VN).isoformat() if (until := backed_off_until(state)) else None,
             "last_ok_at": state.last_ok_at.astimezone(VN).isoformat() if state.last_ok_at else None,
             "last_checked_at": state.last_checked_at.astimezone(VN).isoformat()}
            for url, state in states.items() if state.last_status is FetchStatus.FAILED]


def failing_feeds_markdown(problems: list[dict]) -> str:
    """A section of the tick's summary (Vietnamese by default); "" when every feed reads."""
    if not problems:
        return ""
    lines = ["", "## " + _("Feeds that could not be read"), "",
             _("The feeds run retries them every hour, and once a day those that failed {count} times in a row; "
               "articles published there are not seen meanwhile.").format(count=BACKOFF_AFTER)]
    for p in problems:
        since = (_("last read {moment}").format(moment=f"{dt.datetime.fromisoformat(p['last_ok_at']):%H:%M %d/%m/%Y}")
                 if p["last_ok_at"] else _("never read yet"))
        error = " ".join((p["last_error"] or "?").split())
        if len(error) > ERROR_SHOWN:
            error = error[:ERROR_SHOWN - 1] + "…"
        where = f"{p['name']} ({p['url']})" if p["name"] else p["url"]
        line = "- " + _("**{owners}**, {feed}: failed {count} times in a row, {since} (technical detail: "
                        "{error})").format(owners=", ".join(p["owners"]), feed=where, count=p["failures"],
                                           since=since, error=error)
        if p.get("next_try_at"):
            line += _("; tried once a day now, next after {moment}").format(
                moment=f"{dt.datetime.fromisoformat(p['next_try_at']):%H:%M %d/%m/%Y}")
        lines.append(line)
    return "\n".join(lines) + "\n"
