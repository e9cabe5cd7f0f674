"""Where a person's address is written in the directory files (file:line), for a data subject's request.

The directory YAML is the clerk's own source file: commplan never rewrites it,
so an export lists the contacts found and an erasure lists the lines to remove.
Files are read as written (no validation), so a broken plan does not hide a contact.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from .loader import discover
from .yaml_source import parse_yaml

FIELDS = ("phone", "email", "zalo")


def _same_phone(written: object, wanted: str) -> bool:
    digits = re.sub(r"[\s.\-()+]", "", str(written))
    if digits.startswith("0"):
        digits = "84" + digits[1:]
    return digits == wanted


def matches(kind: str, written: object, wanted: str) -> bool:
    """`wanted` is normalised (849…, a lower-case email, a Zalo user_id)."""
    if written is None:
        return False
    if kind == "phone":
        return _same_phone(written, wanted)
    if kind == "email":
        return str(written).strip().lower() == wanted
    return str(written).strip() == wanted


def _at(data: object, path: tuple) -> object:
    for part in path:
        try:
            data = data[part]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def find_contacts(paths: Iterable[str | Path], kind: str, wanted: str) -> tuple[list[dict], list[str]]:
    """Every contact whose `kind` is `wanted`: file, line, unit and what the contact holds; and the
    files that could not be read (one line each)."""
    files, errors = discover(paths)
    problems = [f"{e.file}: {e.message}" for e in errors]
    found: list[dict] = []
    for file in files:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            problems.append(f"{file}: {getattr(error, 'strerror', None) or error}")
            continue
        source, parse_errors = parse_yaml(file, text)
        if source.data is None:
            problems.extend(f"{e.file}:{e.line}: {e.message}" for e in parse_errors)
            continue
        for path, (line, _column) in sorted(source.values.items(), key=lambda item: item[1]):
            if len(path) < 3 or path[-1] != kind or path[-3] != "contacts":
                continue
            if not matches(kind, _at(source.data, path), wanted):
                continue
            contact = _at(source.data, path[:-1])
            unit = _at(source.data, path[:-3])
            found.append({
                "file": file, "line": line, "field": kind,
                "unit": unit.get("id") if isinstance(unit, dict) else None,
                "contact": {k: str(v) for k, v in contact.items()} if isinstance(contact, dict) else None,
            })
    return found, problems
