"""Ordering Vietnamese names the way a reader expects them in a list."""
from __future__ import annotations

import unicodedata


def folded(text: str) -> str:
    """The name without tone marks or diacritics, Đ read as D, case ignored.

    Python's plain ordering sorts by code point, which puts "Hoằng Hóa" before "Hà Trung" and every
    "Đ..." after "Y...": a clerk looking down a list of districts would not find them."""
    base = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in base if not unicodedata.combining(c)).casefold()


def name_key(text: str) -> tuple[str, str]:
    """Sort key: folded first, then the name itself, so that names differing only in accents keep a fixed order."""
    return folded(text), text
