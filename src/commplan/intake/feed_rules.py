"""A fingerprint of everything the matcher reads (`matching`): the obligations with `match` (their rules and
schedules) and the directory's units (names, feeds and sections, succession). A feed answers a conditional GET
with 304 when it did not change, which says nothing about rules that changed since its last read: a new
`match:` keyword or a new unit would never see the items already in it. So a feed whose state keeps another
fingerprint is read whole (`feed_fetching`)."""

from __future__ import annotations

import hashlib
import json

from ..plan import Catalog


def rules_fingerprint(catalog: Catalog) -> str:
    """SHA-256 (hex) of the catalog's matching rules and units, in a stable order."""
    obligations = sorted(
        [plan.id, o.id, o.model_dump(mode="json")]
        for plan in catalog.plans.values() for o in plan.obligations if o.match is not None)  # (plan, id): unique
    units = sorted(
        [unit.id, unit.model_dump(mode="json", include={"name", "short", "aliases", "feeds", "parent", "province",
                                                         "succeeded_by", "dissolved"})]
        for unit in catalog.directory.units.values())
    groups = sorted([ident, list(catalog.directory.expand((ident,)))] for ident in catalog.directory.groups)
    text = json.dumps([obligations, units, groups], ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
