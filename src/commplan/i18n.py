"""What people read, in their language: gettext catalogs kept with Babel.

Vietnamese is the default whatever the server's locale (LANG, LC_ALL are ignored): the
clerks who read commplan's output are Vietnamese. `COMMPLAN_LANG=en` gives the English
source strings. Machine interfaces (`--format json|csv` of status and preview) are not
translated: their keys are a stable contract.

Source strings are English and marked with `_()` (or `ngettext`); `scripts/i18n` extracts
them into `locale/commplan.pot`, updates `locale/vi/LC_MESSAGES/commplan.po` and compiles the
`.mo` the package ships. `tests/test_i18n.py` fails on a marked string without a translation
and on a user-facing string left unmarked.

A message with values uses named placeholders, `_("{count} files").format(count=n)`, never
an f-string: the translator must see the whole sentence, and may move the values.
"""

from __future__ import annotations

import argparse
import functools
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from babel.support import NullTranslations, Translations

DOMAIN = "commplan"
LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LANGUAGE = "vi"
LANGUAGES = ("vi", "en")  # en: the source strings themselves


def language() -> str:
    """The language asked for with COMMPLAN_LANG (`vi`, `en`, also `en_US.UTF-8`); Vietnamese otherwise."""
    asked = os.environ.get("COMMPLAN_LANG", "").strip().lower()
    code = asked.replace("-", "_").split(".")[0].split("_")[0]
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


@functools.cache
def translations(lang: str) -> NullTranslations:
    if lang == "en":
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [lang], DOMAIN)


def _(message: str) -> str:
    """The message in the reader's language."""
    return translations(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Vietnamese has one form; English two. Use with .format(n=...) for the number."""
    return translations(language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a string for extraction where it is defined (a table of labels); `_()` it where it is shown."""
    return message


def install_argparse() -> None:
    """argparse's own words ("usage:", "options", "the following arguments are required")
    through our catalog, whatever the server's locale: argparse looks `_` and `ngettext` up in
    its module globals at call time, so pointing them at ours translates the whole parser."""
    argparse._ = _  # type: ignore[attr-defined]
    argparse.ngettext = ngettext  # type: ignore[attr-defined]


class Labels(Mapping[str, str]):
    """A table of `N_()` labels read through the catalog at each lookup: `Labels(KINDS)["link"]`
    is "đường dẫn", or "link" with COMMPLAN_LANG=en."""

    def __init__(self, msgids: Mapping[str, str]):
        self._msgids = msgids

    def __getitem__(self, key: str) -> str:
        return _(self._msgids[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._msgids)

    def __len__(self) -> int:
        return len(self._msgids)
