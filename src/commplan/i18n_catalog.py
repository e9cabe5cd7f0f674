"""Keeping the gettext catalogs in step with the code (`scripts/i18n`, tests/test_i18n.py).

The template is extracted in memory from the `_()`, `ngettext()` and `N_()` calls under
src/commplan, in Python and in the web app's Jinja2 templates (no .pot file to fall behind). The Vietnamese .po is sorted and carries no
source locations, so that two branches adding strings rarely touch the same lines; the .mo
beside it is what the package loads, compiled from the .po and checked to match it.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from .i18n import DOMAIN, LOCALE_DIR

PACKAGE = Path(__file__).parent
LANGUAGES = ("vi",)
# fixed, so that regenerating an unchanged catalog changes no byte
STAMP = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(lang: str) -> Path:
    return po_path(lang).with_suffix(".mo")


def extract() -> Catalog:
    """Every marked string of the package."""
    template = Catalog(project="commplan", domain=DOMAIN, creation_date=STAMP, revision_date=STAMP)
    # the web pages call `_()` in their templates (web/templates/*.html), read by Jinja2's own extractor
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2.ext:babel_extract")]
    found = extract_from_dir(str(PACKAGE), method_map=method_map, keywords=DEFAULT_KEYWORDS,
                             comment_tags=("TRANSLATORS:",), strip_comment_tags=True)
    for filename, lineno, message, comments, context in found:
        template.add(message, locations=[(filename, lineno)], auto_comments=comments, context=context)
    return template


def read(lang: str) -> Catalog:
    path = po_path(lang)
    if not path.exists():
        return Catalog(locale=lang, project="commplan", domain=DOMAIN, creation_date=STAMP, revision_date=STAMP)
    with path.open("rb") as handle:
        return read_po(handle, locale=lang, domain=DOMAIN)


def po_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    catalog.creation_date = catalog.revision_date = STAMP
    write_po(out, catalog, width=0, no_location=True, sort_output=True, ignore_obsolete=True)
    return out.getvalue()


def mo_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def updated(lang: str, template: Catalog) -> Catalog:
    catalog = read(lang)
    # no fuzzy guesses: a new string stays empty until someone translates it
    catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
    catalog.fuzzy = False  # the header: a fuzzy header would leave Plural-Forms out of the .mo
    catalog.project, catalog.version = "commplan", "1"
    catalog.last_translator = catalog.language_team = "commplan <https://github.com/commplan>"
    catalog.msgid_bugs_address = ""
    catalog.header_comment = "# Vietnamese catalog of commplan: what clerks read. See src/commplan/i18n.py.\n"
    return catalog


def problems(lang: str, template: Catalog | None = None) -> list[str]:
    """What keeps the catalog from being complete and in step with the code."""
    template = template or extract()
    catalog = read(lang)
    found: list[str] = []
    wanted = {m.id for m in template if m.id}
    have = {m.id for m in catalog if m.id}
    for missing in sorted(wanted - have, key=str):
        found.append(f"{lang}: not in the catalog: {missing!r}")
    for stale in sorted(have - wanted, key=str):
        found.append(f"{lang}: in the catalog but no longer in the code: {stale!r}")
    for message in catalog:
        if not message.id or message.id not in wanted:
            continue
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        if message.fuzzy or not all(strings):
            found.append(f"{lang}: untranslated{' (fuzzy)' if message.fuzzy else ''}: {message.id!r}")
    if po_path(lang).exists() and po_path(lang).read_bytes() != po_bytes(updated(lang, template)):
        found.append(f"{lang}: {po_path(lang).name} is not in its canonical form: run scripts/i18n")
    if not mo_path(lang).exists() or mo_path(lang).read_bytes() != mo_bytes(catalog):
        found.append(f"{lang}: {mo_path(lang).name} is not compiled from the .po: run scripts/i18n")
    return found


def main(argv: list[str]) -> int:
    template = extract()
    if argv[:1] == ["--check"]:
        found = [line for lang in LANGUAGES for line in problems(lang, template)]
        print("\n".join(found) or "catalogs complete and in step", file=sys.stderr if found else sys.stdout)
        return 1 if found else 0
    for lang in LANGUAGES:
        catalog = updated(lang, template)
        po_path(lang).parent.mkdir(parents=True, exist_ok=True)
        po_path(lang).write_bytes(po_bytes(catalog))
        catalog = read(lang)
        mo_path(lang).write_bytes(mo_bytes(catalog))
        todo = [m.id for m in catalog if m.id and (m.fuzzy or not m.string)]
        print(f"{lang}: {len(catalog)} strings, {len(todo)} to translate in {po_path(lang)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
