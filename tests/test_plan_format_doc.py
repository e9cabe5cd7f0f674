"""docs/plan-format.md documents every key and value the plan model accepts, so the two cannot drift.

The keys come from the model itself: each section's pydantic model (`SECTIONS`,
`NESTED`) and, recursively, every `Strict` model its fields can hold, plus the
keys parsed by hand (`DUE_KEYS`, `EVENT_DATE_KEYS`) and a file's top-level
keys (`FILE_KEYS`). A key counts as documented when, in a section of the doc
whose heading names the key that holds the mapping (`` ### Deadlines (`due`) ``),
it heads a table row (`` | `before` | … ``) or is written as a key in a YAML
block (`before: true`). A mention in prose is not enough.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass
from enum import Enum

import pytest
from conftest import REPO

from commplan.ledger.status import STATUSES, VIETNAMESE
from commplan.plan import load_catalog
from commplan.plan import model as m
from commplan.plan import values as v

DOC = REPO / "docs" / "plan-format.md"
TOP_LEVEL_HEADING = "Files and folders"  # the section that documents a file's top-level keys


# ---------------------------------------------------------------- what the model accepts

@dataclass(frozen=True)
class Mapping:
    """One kind of YAML mapping: the key that holds it (None: the file itself) and its keys."""

    holder: str | None
    keys: tuple[str, ...]
    origin: str  # the model or constant the keys come from, for messages


_T = typing.TypeVar("_T")


def _inner_types(annotation: object) -> typing.Iterator[object]:
    """Every type an annotation can hold: Optional[X], tuple[X, ...], dict[K, V], X | Y, Annotated[X, …]."""
    yield annotation
    for arg in typing.get_args(annotation):
        if arg is not Ellipsis:
            yield from _inner_types(arg)


def _is(candidate: object, kind: type[_T]) -> typing.TypeGuard[type[_T]]:  # narrows `candidate`, the first
    return isinstance(candidate, type) and not isinstance(candidate, types.GenericAlias) and issubclass(candidate, kind)


def accepted() -> tuple[list[Mapping], list[type[Enum]]]:
    """Every mapping the model accepts (reached from SECTIONS and NESTED) and every enum its fields use."""
    mappings = [Mapping(None, tuple(m.FILE_KEYS), "FILE_KEYS")]
    enums: dict[type[Enum], None] = {}
    todo: list[tuple[str, type[m.Strict]]] = [*m.SECTIONS.items(), *m.NESTED.items()]
    seen: set[tuple[str, type]] = set()
    while todo:
        holder, model = todo.pop(0)
        if (holder, model) in seen:
            continue
        seen.add((holder, model))
        mappings.append(Mapping(holder, tuple(m.known_keys(model)), model.__name__))
        for name, field in model.model_fields.items():
            for inner in _inner_types(field.annotation):
                if _is(inner, m.Strict):
                    todo.append((field.alias or name, inner))
                elif _is(inner, Enum):
                    enums.setdefault(inner, None)
    mappings.append(Mapping("due", tuple(v.DUE_KEYS), "values.DUE_KEYS"))
    mappings.append(Mapping("from", tuple(m.EVENT_DATE_KEYS), "model.EVENT_DATE_KEYS"))
    mappings.append(Mapping("until", tuple(m.EVENT_DATE_KEYS), "model.EVENT_DATE_KEYS"))
    # values parsed by hand, whose words a clerk writes
    enums.update(dict.fromkeys([v.PeriodUnit, v.HolidayRule, v.DurationUnit]))
    return mappings, list(enums)


# ---------------------------------------------------------------- what the doc documents

@dataclass
class Section:
    level: int
    title: str
    lines: list[str]  # its own lines and those of its subsections


_FENCE = re.compile(r"^\s*(```|~~~)(\w*)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
# a key in YAML: at the start of a line or after "- ", "{", "," or a space, followed by ":" and a space or the end
_YAML_KEY = re.compile(r"(?:^|[\s{,\[-])([A-Za-z_][\w-]*):(?=\s|$)")
_WORD_SEPARATORS = re.compile(r"[\s,{}\[\]:|()\"']+")


def sections(doc: str) -> list[Section]:
    found: list[Section] = []
    open_sections: list[Section] = []
    in_fence = False
    for line in doc.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else _HEADING.match(line)
        if heading:
            level = len(heading[1])
            open_sections = [s for s in open_sections if s.level < level]
            section = Section(level, heading[2], [])
            found.append(section)
            open_sections.append(section)
        for section in open_sections:
            section.lines.append(line)
    return found


def _yaml_lines(lines: list[str]) -> typing.Iterator[str]:
    """Lines of ```yaml blocks, without their comments."""
    in_yaml = in_fence = False
    for line in lines:
        fence = _FENCE.match(line)
        if fence:
            in_fence = not in_fence
            in_yaml = in_fence and fence[2] == "yaml"
            continue
        if in_yaml:
            yield re.sub(r"(^|\s)#.*$", "", line)


def documented_keys(lines: list[str]) -> set[str]:
    """Keys heading a table row, or written as keys in a YAML block."""
    keys: set[str] = set()
    in_fence = False
    for line in lines:
        if _FENCE.match(line):
            in_fence = not in_fence
        if in_fence or not line.lstrip().startswith("|"):
            continue
        first_cell = line.strip().strip("|").split("|")[0]
        for found in _CODE_SPAN.findall(first_cell):
            span = found.strip()
            if re.fullmatch(r"[A-Za-z_][\w-]*", span):
                keys.add(span)
            keys.update(_YAML_KEY.findall(span))
    for line in _yaml_lines(lines):
        keys.update(_YAML_KEY.findall(line))
    return keys


def code_words(doc: str) -> set[str]:
    """Every word written in code: inline spans and fenced blocks (a value such as `half-year`)."""
    words: set[str] = set()
    in_fence = False
    for line in doc.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        for text in [line] if in_fence else _CODE_SPAN.findall(line):
            words.update(w for w in _WORD_SEPARATORS.split(text) if w)
    return words


def _holds(title: str, holder: str | None) -> bool:
    if holder is None:
        return title.strip() == TOP_LEVEL_HEADING
    return holder in (span.strip() for span in _CODE_SPAN.findall(title))


def undocumented(doc: str) -> list[str]:
    """What the model accepts and the doc does not document, one line each (empty: nothing)."""
    mappings, enums = accepted()
    parts = sections(doc)
    problems = []
    for mapping in mappings:
        where = [s for s in parts if _holds(s.title, mapping.holder)]
        label = mapping.holder or "(file)"
        if not where:
            heading = TOP_LEVEL_HEADING if mapping.holder is None else f"a heading naming `{mapping.holder}`"
            problems += [f"{label}.{key}: no section ({heading})" for key in mapping.keys]
            continue
        keys = set().union(*(documented_keys(s.lines) for s in where))
        problems += [
            f"{label}.{key}: key of {mapping.origin} not documented under {', '.join(repr(s.title) for s in where)}"
            for key in mapping.keys if key not in keys
        ]
    words = code_words(doc)
    for enum in enums:
        problems += [f"{enum.__name__}={member.value}: value not listed" for member in enum if member.value not in words]
    problems += [f"weekday={day}: value not listed" for day in v.WEEKDAYS if day not in words]
    rows = [line for line in doc.splitlines() if line.lstrip().startswith("|")]
    for status in STATUSES:
        row = next((r for r in rows if r.strip().strip("|").split("|")[0].strip() == f"`{status}`"), None)
        if row is None:
            problems.append(f"status={status}: no table row")
        elif VIETNAMESE.get(status) and VIETNAMESE[status] not in row:
            problems.append(f"status={status}: its Vietnamese label '{VIETNAMESE[status]}' is not in its row")
    return problems


# ---------------------------------------------------------------- the tests

@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


def test_the_reference_documents_every_key_and_value_the_model_accepts(doc):
    assert undocumented(doc) == []


def test_the_walk_reaches_nested_models_hand_parsed_keys_and_enums():
    mappings, enums = accepted()
    origins = {(mp.holder, mp.origin) for mp in mappings}
    assert {("contacts", "Contact"), ("succeeded_by", "Succession"), ("effective", "Effective"),
            ("reminders", "Reminders"), ("quiet_hours", "QuietHours"), ("from", "EventDate"), ("until", "EventDate"),
            ("due", "values.DUE_KEYS")} <= origins
    assert {m.Kind, m.Channel, m.EvidenceKind, m.ReportTemplate, v.PeriodUnit, v.HolidayRule} <= set(enums)
    assert "if_holiday" in {mp.holder: mp.keys for mp in mappings}["due"]


def _every_documented_name() -> list[str]:
    mappings, enums = accepted()
    keys = {key for mp in mappings for key in mp.keys}
    values = {str(member.value) for enum in enums for member in enum}
    return sorted(keys | values | set(STATUSES) | set(v.WEEKDAYS))


@pytest.mark.parametrize("name", _every_documented_name())
def test_the_check_fails_when_a_key_or_value_is_removed_from_the_reference(doc, name):
    # remove the word wherever it stands on its own (not inside a longer key such as `on_due`)
    without = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", "REMOVED", doc)
    problems = undocumented(without)
    assert any(p.split(":")[0].endswith((f".{name}", f"={name}")) for p in problems), problems


def test_a_key_mentioned_only_in_prose_or_under_another_heading_is_not_documented():
    doc = """
## Files and folders

## Units (`units`)

| key | meaning |
| --- | --- |
| `id` | the id |

The `name` key is the name (prose: not enough).

## Contacts (`contacts`)

```yaml
contacts:
  - short: Sở TTTT     # documented here, but `short` belongs to units
    note: x            # parent: in a comment does not count
```
"""
    problems = undocumented(doc)
    assert "units.id" not in " ".join(problems)
    for key in ("name", "short", "parent", "note"):
        assert any(p.startswith(f"units.{key}:") for p in problems), key
    assert not any(p.startswith("contacts.note:") for p in problems)
    assert any(p.startswith("contacts.email:") for p in problems)
    assert any(p.startswith(("due.before:", "due.weekday:")) for p in problems)


def test_the_reference_stands_on_its_own(doc):
    """A user never needs a file outside the repository: no link out of it, and every anchor exists."""
    assert "../" not in doc and "PLAN_FORMAT" not in doc
    slugs = {_slug(s.title) for s in sections(doc)}
    anchors = set(re.findall(r"\]\(#([^)]+)\)", doc))
    assert anchors and anchors <= slugs, sorted(anchors - slugs)


def _slug(title: str) -> str:
    """The anchor GitHub gives a heading."""
    text = title.replace("`", "").strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


# ---------------------------------------------------------------- the worked example

def _worked_example(doc: str) -> dict[str, str]:
    """The ```yaml blocks of the worked example, by the path in their first line (`# file: …`)."""
    part = doc[doc.index("## A worked example"):]
    part = part[: part.index("\n## ", 1)]
    blocks = re.findall(r"```yaml\n(# file: (\S+)\n.*?)```", part, flags=re.S)
    return {path: text for text, path in blocks}


def test_the_worked_example_is_valid(doc, tmp_path):
    files = _worked_example(doc)
    assert set(files) == {"plans/units/vi-du.yaml", "plans/thanh-hoa/vi-du-2025.yaml"}
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text, encoding="utf-8")
    catalog, errors = load_catalog([tmp_path / "plans"], strict=False)
    assert [str(e) for e in errors] == []
    assert set(catalog.plans) == {"vi-du-2025"}


def test_the_worked_example_is_found(doc):
    files = _worked_example(doc)
    assert set(files) == {"plans/units/vi-du.yaml", "plans/thanh-hoa/vi-du-2025.yaml"}
    assert all(text.startswith("# file: ") and "\ncommplan: 1\n" in text for text in files.values())
