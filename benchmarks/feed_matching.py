"""Feed matching quality (issue #14): precision and recall of `intake.matching` on a labelled set.

Run: scripts/bench feed-matching   (or: .venv/bin/python benchmarks/feed_matching.py [--set FILE] [--show])

The set (tests/data/feeds/labelled.yaml) holds feed items built from the seed plans' publishing
duties, each with the (plan, obligation, holder) credits a careful reader would give it. The seed
plans (plans/) are loaded with their `match:` blocks; the set's `directory` adds made-up feeds and
aliases to seed units. Each (item, plan, obligation, holder) is one decision: precision is the share
of the credits given that are right, recall the share of the right credits that were given.
Targets: precision >= 0.95 (a wrong "done" is worse than a missed one), recall >= 0.80; the exit
status is 1 when either is missed. `--show` lists every wrong and missed credit with its reason.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from commplan.intake.items import FeedItem, normalise_link  # noqa: E402
from commplan.intake.matching import Credit, Matcher  # noqa: E402
from commplan.plan import Catalog, Directory, load_catalog  # noqa: E402
from commplan.plan import model as m  # noqa: E402

LABELLED = ROOT / "tests" / "data" / "feeds" / "labelled.yaml"
PRECISION_TARGET, RECALL_TARGET = 0.95, 0.80

Decision = tuple[str, str, str]  # (plan, obligation, holder)


@dataclass
class Result:
    items: int = 0
    expected: int = 0  # right credits
    given: int = 0  # credits the matcher gave
    right: int = 0  # given and right
    wrong: list[tuple[str, Credit]] = field(default_factory=list)  # (item id, credit)
    missed: list[tuple[str, Decision]] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def precision(self) -> float:
        return self.right / self.given if self.given else 1.0

    @property
    def recall(self) -> float:
        return self.right / self.expected if self.expected else 1.0


def catalog_with(directory: dict, plans: Path = ROOT / "plans") -> Catalog:
    """The seed plans, their units given the set's feeds and aliases (validated as the plan format does)."""
    catalog, _ = load_catalog([plans], strict=True)
    units = dict(catalog.directory.units)
    for unit_id, feeds in directory.get("feeds", {}).items():
        units[unit_id] = units[unit_id].model_copy(update={"feeds": tuple(m.Feed.model_validate(f) for f in feeds)})
    for unit_id, aliases in directory.get("aliases", {}).items():
        units[unit_id] = units[unit_id].model_copy(update={"aliases": (*units[unit_id].aliases, *aliases)})
    return Catalog(directory=Directory(units=units, groups=dict(catalog.directory.groups)), plans=catalog.plans,
                   files=catalog.files)


def feed_item(raw: dict) -> FeedItem:
    published = raw.get("published")
    when = dt.datetime.fromisoformat(str(published)).astimezone(dt.UTC) if published else None
    return FeedItem(feed_url=raw["feed"], link=normalise_link(raw["link"]), title=raw["title"],
                    summary=raw.get("summary") or "", published=when, guid=raw.get("guid"))


def evaluate(path: Path = LABELLED) -> Result:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    matcher = Matcher(catalog_with(data.get("directory", {})))
    result = Result()
    for raw in data["items"]:
        result.items += 1
        result.notes[raw["id"]] = raw.get("note", "")
        expected = {tuple(e) for e in raw.get("expect", [])}
        given = matcher.credits_for(feed_item(raw))
        result.expected += len(expected)
        result.given += len(given)
        for credit in given:
            if (credit.plan_id, credit.obligation_id, credit.holder) in expected:
                result.right += 1
            else:
                result.wrong.append((raw["id"], credit))
        found = {(c.plan_id, c.obligation_id, c.holder) for c in given}
        result.missed += [(raw["id"], e) for e in sorted(expected - found)]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=LABELLED, help="the labelled set (YAML)")
    parser.add_argument("--show", action="store_true", help="list the wrong and the missed credits")
    args = parser.parse_args()
    result = evaluate(args.set)
    print(f"items: {result.items}   right credits: {result.expected}   given: {result.given}   given and right: {result.right}")
    print(f"precision: {result.precision:.3f} (target {PRECISION_TARGET})   recall: {result.recall:.3f} (target {RECALL_TARGET})")
    if args.show:
        for item, credit in result.wrong:
            print(f"  wrong  {item}: {credit.obligation_id} -> {credit.holder}  {credit.reason}  ({result.notes[item]})")
        for item, (plan, obligation, holder) in result.missed:
            print(f"  missed {item}: {plan}/{obligation} -> {holder}  ({result.notes[item]})")
    return 0 if result.precision >= PRECISION_TARGET and result.recall >= RECALL_TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
