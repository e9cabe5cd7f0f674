"""Which obligations a feed item is evidence of, for which holders, and why.

Text is compared word by word after folding (`fold`): Unicode NFC, then NFKD with the combining marks
dropped, đ/Đ as d, case folded, every run of spaces and punctuation one space. So the NFC and NFD
forms of a word are equal, and a title typed without accents ("chuyen doi so") matches the keyword
"chuyển đổi số".

Two rules keep a wrong "done" rarer than a missed one (a false credit is worse than none):

- Phrases match whole words: the keyword "số" is found in "chuyển đổi số" but never inside "sốt"
  or "sống"; "OCOP" is found in "sản phẩm OCOP" but not in "OCOPs".
- Folding drops the tone marks, and Vietnamese words differ by them alone ("số" number, "sổ" book,
  "sở" department; "cam" orange, "cảm" feel). So when the keyword and the item are both written
  with accents (each has a mark somewhere), every word must carry the same marks as written, none
  included: "sổ tay" does not match the keyword "số", "quả cảm" not "quả cam". When either is
  written without any accent (an unaccented title, a keyword typed in ASCII such as "OCOP"), the
  folded forms decide. The old and new tone placements ("hoà"/"hòa", "thuỷ"/"thủy") are equal.

An item credits a holder of an obligation (`credits`) when:

1. the obligation has `match`;
2. the item's feed belongs to a unit the obligation watches (`match.watch`, groups expanded), or,
   without `watch`, to one of its holders;
3. the item's link is under `match.url_prefix` and under the feed's `section`, when they are given;
4. one of the keywords is found in the item's title or summary;
5. the feed is the holder's own, or, with `watch`, the feed is of a watched unit that holds no part of
   the obligation itself (a portal such as the Văn phòng UBND's) and the item names the holder: its
   `name`, `short` or one of its `aliases` (whole words, the same folding). Without `watch` only
   the holder's own feed credits it; a holder's feed never credits another holder. A `short` that
   several units of the directory share names none of them (a short name is counted within the
   unit's province). A name directly followed by a capitalised or upper-case word names another unit
   of the same kind ("Bưu điện tỉnh Nghệ An", "BƯU ĐIỆN TỈNH NGHỆ AN" are not "Bưu điện tỉnh"), and so
   does a name followed by a locality ("tỉnh", "thành phố", "huyện", "xã", "phường") and a name other
   than the unit's own province's ("Sở TTTT tỉnh Nghệ An" is not Thanh Hóa's "Sở TTTT"; "Sở TTTT
   tỉnh Thanh Hóa" is), unless punctuation stands between them.

The holder is the holder of the occurrence the item goes to (the ledger's `feed_holder`): after a merger
(`succeeded_by`), who holds an occurrence is decided by its deadline, as for reminders and reports, not by
the article's date; a feed of a unit whose duties passed to the holder (its predecessor) counts as the
holder's own for them.

Each `Credit` keeps why it was given (`reason`, JSON), so that wrong matches can be studied.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import takewhile
from typing import Literal, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from .. import clock
from ..plan import Catalog
from ..plan import model as m
from .items import FeedItem, normalise_link

VN = ZoneInfo("Asia/Ho_Chi_Minh")

# The five Vietnamese tone marks (as combining characters); the other marks (circumflex, breve, horn)
# make different letters and are kept in a word's shape.
TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")
# A word: letters and digits, with any combining marks of an NFD text; underscores and punctuation separate.
_WORD = re.compile(r"(?:[^\W_][\u0300-\u036f]*)+")


def _strip_marks(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def fold(text: str) -> str:
    """The text as matching compares it: no marks, đ as d, case folded, words separated by one space."""
    return " ".join(word.folded for word in words(text).words)


@dataclass(frozen=True)
class Word:
    folded: str  # no marks, đ → d, case folded
    shape: str  # case folded, with its letters' marks (NFC) and then its tone mark: tone placement does not count
    marked: bool  # written with a mark or đ
    raw: str  # as written (NFC)
    spaced: bool  # only spaces stand between it and the word before (no punctuation)


def _word(raw: str, spaced: bool) -> Word:
    nfd = unicodedata.normalize("NFD", raw.casefold())
    folded = _strip_marks(nfd).replace("đ", "d")
    letters = "".join(c for c in nfd if c not in TONES)
    tones = "".join(c for c in nfd if c in TONES)
    return Word(folded, unicodedata.normalize("NFC", letters) + "|" + tones, not nfd.isascii(), raw, spaced)


@dataclass(frozen=True)
class Words:
    """A text (or a phrase) as words, and whether it is written with accents at all."""

    words: tuple[Word, ...]
    accented: bool

    def __len__(self) -> int:
        return len(self.words)


def words(text: str) -> Words:
    text = unicodedata.normalize("NFC", text)
    out: list[Word] = []
    end = 0
    for found in _WORD.finditer(text):
        out.append(_word(found.group(), spaced=bool(out) and not text[end:found.start()].strip()))
        end = found.end()
    return Words(tuple(out), any(w.marked for w in out))


def find_phrase(phrase: Words, text: Words, start: int = 0) -> int | None:
    """Where the phrase's words stand in the text's words (whole words, in order, from `start`), or None.
    When both are written with accents, each word must carry the same marks; else the folded forms decide."""
    n = len(phrase)
    if not n:
        return None
    by_shape = phrase.accented and text.accented
    wanted = [w.shape if by_shape else w.folded for w in phrase.words]
    found = [w.shape if by_shape else w.folded for w in text.words]
    for i in range(start, len(found) - n + 1):
        if found[i:i + n] == wanted:
            return i
    return None


# ---------------------------------------------------------------- credits

Via = Literal["own-feed", "named"]
# who holds an obligation (PLAN/OBLIGATION)'s occurrence of a day, among a lead and its successors (in order)
HolderOf = Callable[[str, tuple[str, ...], dt.date], str | None]


@dataclass(frozen=True)
class Credit:
    """One holder credited for one obligation by one item, and why."""

    plan_id: str
    obligation_id: str
    holder: str  # unit id
    keyword: str  # the keyword found, as the plan writes it
    via: Via  # the feed is the holder's own, or the item names the holder
    name: str | None  # with `named`: the name, short name or alias found
    source_unit: str  # the unit whose feed carried the item
    feed_url: str

    @property
    def reason(self) -> str:
        """Why, machine-readable (stored with the evidence)."""
        why = {"keyword": self.keyword, "via": self.via, "source": self.source_unit, "feed": self.feed_url}
        if self.name is not None:
            why["name"] = self.name
        return json.dumps(why, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class _Rule:
    plan_id: str
    obligation: m.Obligation
    keywords: tuple[tuple[str, Words], ...]
    leads: tuple[str, ...]  # units the obligation's lead stands for
    watched: frozenset[str] | None  # units whose feeds it reads; None: the holders'
    url_prefix: str | None


class Matcher:
    """The catalog's `match` rules and units' names, folded once; `credits` per item."""

    def __init__(self, catalog: Catalog):
        self.directory = catalog.directory
        self.rules: list[_Rule] = []
        for plan in catalog.plans.values():
            for o in plan.obligations:
                if o.match is None:
                    continue
                watched = frozenset(self.directory.expand(o.match.watch)) if o.match.watch is not None else None
                self.rules.append(_Rule(
                    plan.id, o, tuple((k, words(k)) for k in o.match.keywords),
                    self.directory.expand(o.lead), watched,
                    normalise_link(o.match.url_prefix) if o.match.url_prefix else None))
        # a short name ("Sở TTTT", "Bưu điện tỉnh") names a unit only where no other unit of its province has it
        shorts: dict[tuple[str | None, str], int] = {}
        for unit in self.directory.units.values():
            if unit.short:
                key = (self.directory.province_of(unit.id), fold(unit.short))
                shorts[key] = shorts.get(key, 0) + 1
        self.names: dict[str, tuple[tuple[str, Words], ...]] = {}
        for unit in self.directory.units.values():
            short = [unit.short] if unit.short and shorts[(self.directory.province_of(unit.id), fold(unit.short))] == 1 else []
            written = [unit.name, *short, *unit.aliases]
            self.names[unit.id] = tuple((n, words(n)) for n in dict.fromkeys(written) if len(words(n)))

    def owners(self, item: FeedItem) -> tuple[str, ...]:
        """The units whose `feeds` list the item's feed, with a section its link is under (or none)."""
        return tuple(u.id for u in self.directory.units.values()
                     if any(_carries(feed, item) for feed in u.feeds))

    def credits(self, item: FeedItem, source_unit: str, *, on: dt.date | None = None,
                holder_of: HolderOf | None = None) -> list[Credit]:
        """Every (obligation, holder) the item is evidence of, read from `source_unit`'s feed. `on`: the day it
        counts on (default: its publication date, else today); `holder_of`: who holds the occurrence of that
        day (the ledger's `feed_holder`); default: the lead's holder by succession on that day."""
        unit = self.directory.units.get(source_unit)
        if unit is None or not any(_carries(feed, item) for feed in unit.feeds):
            return []
        text = words(f"{item.title}\n{item.summary}")
        day = on or (item.published or clock.now()).astimezone(VN).date()
        out: list[Credit] = []
        for rule in self.rules:
            if rule.url_prefix and not under(item.link, rule.url_prefix):
                continue
            keyword = next((k for k, phrase in rule.keywords if find_phrase(phrase, text) is not None), None)
            if keyword is None:
                continue
            # who holds the duty is the holder of the occurrence the article goes to (decided by its deadline,
            # as reminders and the ledger decide it); a unit whose duties passed to it publishes as its own
            holders: dict[str, str | None] = {}
            own: dict[str, tuple[str, ...]] = {}
            for lead in rule.leads:
                chain = (lead, *self.directory.successors(lead))
                holder = holder_of(f"{rule.plan_id}/{rule.obligation.id}", chain, day) if holder_of else None
                holder = holder or self.directory.holder_by_due(lead, day)
                holders[lead] = holder
                own[lead] = chain[:chain.index(holder) + 1] if holder in chain else (holder,) if holder else ()
            owners = {u for units in own.values() for u in units}
            watched = rule.watched if rule.watched is not None else owners
            if source_unit not in watched:
                continue
            # by name only on a watched feed of a unit that is no holder itself: a holder's site writing about
            # another holder (the post office's news of the newspaper) is not that holder's publishing
            by_name = rule.watched is not None and source_unit not in owners
            for lead, holder in holders.items():
                if holder is None:
                    continue  # dissolved: nobody owes it
                if source_unit in own[lead]:
                    via: Via = "own-feed"
                    name = None
                else:
                    if not by_name:
                        continue
                    name = self._named(text, _unique((holder, lead)))
                    if name is None:
                        continue
                    via = "named"
                credit = Credit(rule.plan_id, rule.obligation.id, holder, keyword, via, name, source_unit, item.feed_url)
                if all((c.obligation_id, c.holder, c.plan_id) != (credit.obligation_id, holder, rule.plan_id) for c in out):
                    out.append(credit)
        return out

    def credits_for(self, item: FeedItem, *, on: dt.date | None = None,
                    holder_of: HolderOf | None = None) -> list[Credit]:
        """`credits` from every unit that owns the item's feed."""
        out: list[Credit] = []
        for owner in self.owners(item):
            out += [c for c in self.credits(item, owner, on=on, holder_of=holder_of)
                    if all((c.plan_id, c.obligation_id, c.holder) != (d.plan_id, d.obligation_id, d.holder) for d in out)]
        return out

    def _named(self, text: Words, units: Iterable[str]) -> str | None:
        for unit in units:
            for name, phrase in self.names.get(unit, ()):
                at = find_phrase(phrase, text)
                while at is not None:
                    if self._goes_on(text, at + len(phrase), self.directory.province_of(unit)):
                        at = find_phrase(phrase, text, at + 1)
                        continue
                    return name
        return None

    @staticmethod
    def _goes_on(text: Words, after: int, province: str | None) -> bool:
        """Whether the name ending before word `after` goes on into another unit's name: a capitalised or
        upper-case word ("Bưu điện tỉnh Nghệ An", "BƯU ĐIỆN TỈNH NGHỆ AN"), or a locality word and a name
        ("Sở TTTT tỉnh Nghệ An") other than the unit's own province's. Punctuation in between ends the name."""
        spaced = list(takewhile(lambda w: w.spaced, text.words[after:after + 6]))
        if not spaced:
            return False
        if spaced[0].raw[:1].isupper():
            return True
        folded = [w.folded for w in spaced]
        for locality in _LOCALITIES:
            if folded[:len(locality)] != list(locality):
                continue
            rest = spaced[len(locality):]
            if not rest or not rest[0].raw[:1].isupper():
                return False  # "tỉnh" then a common word: not a name
            own = province.split("-") if province else []
            return not own or [w.folded for w in rest[:len(own)]] != own
        return False


# words that start a locality's name: "tỉnh Nghệ An", "thành phố Vinh", "huyện …", "xã …", "phường …"
_LOCALITIES = (("tinh",), ("thanh", "pho"), ("huyen",), ("xa",), ("phuong",))


def _carries(feed: m.Feed, item: FeedItem) -> bool:
    if feed.url != item.feed_url:
        return False
    if not feed.section:
        return True
    # a section is a part of the feed's own site: the same host (any scheme; "www." or not, as portals answer
    # both), the path on a segment boundary
    return (_bare_host(item.link) == _bare_host(feed.url)
            and _path_under(urlsplit(item.link).path, feed.section))


def under(link: str, prefix: str) -> bool:
    """Whether `link` is under `prefix` (both normalised): the same host (case-insensitive, the default port
    dropped; http or https, "www." or not, as for a section: a portal answers all four, and a plan's author
    copies whichever the browser showed), and the prefix's path a whole-segment prefix of the link's:
    `/tin-tuc` holds `/tin-tuc` and `/tin-tuc/a.html`, never `/tin-tuc-khac/a.html`. The prefix's query, if
    any, must be the link's."""
    if _bare_host(link) != _bare_host(prefix) or not _path_under(urlsplit(link).path, urlsplit(prefix).path):
        return False
    query = urlsplit(prefix).query
    return not query or urlsplit(link).query == query


def _site(url: str) -> tuple[str, str]:
    """(scheme, host[:port]) as `normalise_link` writes them."""
    parts = urlsplit(normalise_link(url))
    return parts.scheme, parts.netloc.rpartition("@")[2]


def _bare_host(url: str) -> str:
    host = _site(url)[1]
    return host[4:] if host.startswith("www.") else host


def _path_under(path: str, prefix: str) -> bool:
    if not prefix or prefix == "/":
        return True
    return path == prefix.rstrip("/") or path.startswith(prefix if prefix.endswith("/") else prefix + "/")


T = TypeVar("T")


def _unique(values: Iterable[T]) -> tuple[T, ...]:
    return tuple(dict.fromkeys(values))


_matchers: weakref.WeakKeyDictionary[Catalog, Matcher] = weakref.WeakKeyDictionary()


def matcher(catalog: Catalog) -> Matcher:
    """The catalog's matcher, built once per catalog."""
    found = _matchers.get(catalog)
    if found is None:
        found = _matchers[catalog] = Matcher(catalog)
    return found


def credits(item: FeedItem, source_unit: str, catalog: Catalog) -> list[Credit]:
    """Every (obligation, holder) `item`, read from `source_unit`'s feed, is evidence of (rules in the module notes)."""
    return matcher(catalog).credits(item, source_unit)
