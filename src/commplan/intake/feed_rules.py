"""A fingerprint of everything the matcher reads (`matching`): the obligations with `match` (their rules and
schedules) and the directory's units (names, feeds and sections, succession). A feed answers a conditional GET
with 304 when it did not change, which says nothing about rules that changed since its last read: a new
`match:` keyword or a new unit would never see the items already in it. So a feed whose state keeps another
fingerprint is read whole (`feed_fetching`)."""

from __future__ import annotations

import hashlib

from ..plan import Catalog


def rules_fingerprint(catalog: Catalog) -> str:
    """SHA-256 (hex) of the catalog's matching rules and units, in a stable order. The models' `repr` (every
    field, in declaration order) is the text: the loaded models are not all in the types `model_dump` expects."""
    obligations = sorted(repr((plan.id, o)) for plan in catalog.plans.values() for o in plan.obligations
                         if o.match is not None)
    units = sorted(repr((u.id, u.name, u.short, u.aliases, u.feeds, u.parent, u.province, u.succeeded_by, u.dissolved))
                   for u in catalog.directory.units.values())
    groups = sorted(repr((ident, catalog.directory.expand((ident,)))) for ident in catalog.directory.groups)
    text = "\n".join([*obligations, "", *units, "", *groups])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
