"""Plan files to a validated `Catalog`, with every error of every file reported.

Each item (a unit, a group, an obligation…) is validated on its own, so one
bad obligation does not hide the errors of the next, and references to an
item that exists but is invalid are not reported a second time as unknown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from ..i18n import N_, _
from . import model as m
from . import values as v
from .catalog import Catalog, Plan
from .checks import check_files, warn_files
from .directory import Directory
from .errors import KeyPath, PlanError, PlanLoadError
from .values import describe
from .yaml_source import Source, parse_yaml, read_text

M = TypeVar("M", bound=m.Strict)

PLAN_SUFFIXES = (".yaml", ".yml")
# Parts of a pydantic error location that are not keys of the file.
_PYDANTIC_MARKER = re.compile(r"^(\[key\]|function-(plain|before|after|wrap)\[.*\])$")


@dataclass
class ParsedFile:
    """One file's valid items, each with the key path it was read from."""

    source: Source
    units: list[tuple[m.Unit, KeyPath]] = field(default_factory=list)
    groups: list[tuple[str, m.Group, KeyPath]] = field(default_factory=list)
    plan: tuple[m.PlanHeader, KeyPath] | None = None
    events: list[tuple[m.Event, KeyPath]] = field(default_factory=list)
    obligations: list[tuple[m.Obligation, KeyPath]] = field(default_factory=list)
    indicators: list[tuple[m.Indicator, KeyPath]] = field(default_factory=list)
    budget: list[tuple[m.BudgetLine, KeyPath]] = field(default_factory=list)
    # ids written in items that failed validation: not "unknown" when referenced
    attempted_ids: set[str] = field(default_factory=set)
    # events that an invalid obligation waits for: not reported again as waited for by nobody
    attempted_events: set[str] = field(default_factory=set)
    plan_failed: bool = False


def discover(paths: Iterable[str | Path]) -> tuple[list[str], list[PlanError]]:
    """Files named, and `*.yaml` / `*.yml` files found under folders (recursively, sorted)."""
    files: list[str] = []
    errors: list[PlanError] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*")
                if p.suffix in PLAN_SUFFIXES and p.is_file()
                # hidden folders (.git, .venv) hold no plans, and may hold other YAML
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not found:
                errors.append(PlanError(str(path), 1, 1, (), _("no *.yaml plan files in this folder")))
            root = path.resolve()
            for p in found:
                # a link out of the folder (to /etc/passwd, ../secret.yaml) is never read: its lines would
                # be quoted back in the errors
                if p.resolve().is_relative_to(root):
                    files.append(str(p))
                else:
                    errors.append(PlanError(str(p), 1, 1, (), _(
                        "a link to a file outside {folder}: not read "
                        "(plans are read only from inside their folder; copy the file in)").format(folder=path)))
        elif path.is_file():
            files.append(str(path))
        else:
            errors.append(PlanError(str(path), 1, 1, (), _("no such file or folder")))
    unique = list(dict.fromkeys(files))
    return unique, errors


def load_catalog(
    paths: Iterable[str | Path], *, units: Iterable[str | Path] = (), strict: bool = True
) -> tuple[Catalog, list[PlanError]]:
    """Load plans and directories. With `strict`, any error raises `PlanLoadError`."""
    files, errors = discover([*paths, *units])
    parsed: list[ParsedFile] = []
    for file in files:
        result, file_errors = parse_file(file)
        errors.extend(file_errors)
        if result is not None:
            parsed.append(result)
    errors.extend(check_files(parsed))
    catalog = _build(parsed, tuple(files))
    catalog.warnings = tuple(sorted(set(warn_files(parsed)), key=PlanError.sort_key))
    errors = sorted(set(errors), key=PlanError.sort_key)
    if strict and errors:
        raise PlanLoadError(errors)
    return catalog, errors


def parse_file(file: str) -> tuple[ParsedFile | None, list[PlanError]]:
    try:
        raw = Path(file).read_bytes()
    except OSError as exc:
        return None, [PlanError(file, 1, 1, (), _("cannot read the file: {reason}").format(reason=exc.strerror or exc))]
    text, error = read_text(file, raw)
    if error:
        return None, [error]
    assert text is not None  # read_text gives the text or an error
    source, errors = parse_yaml(file, text)
    if source.data is None:
        return None, errors
    parsed = ParsedFile(source)
    errors.extend(_validate(parsed))
    return parsed, errors


def _validate(parsed: ParsedFile) -> list[PlanError]:
    source = parsed.source
    data = source.data
    if not isinstance(data, dict):
        return [source.error((), _("a plan file is a mapping starting with `commplan: 1`, got {got}").format(got=describe(data)))]
    errors: list[PlanError] = []
    version = data.get("commplan")
    if "commplan" not in data:
        errors.append(source.error((), _("missing `commplan: 1` (the format version) at the top of the file")))
    elif version != 1 or isinstance(version, bool):
        errors.append(source.error(("commplan",), _("format version {version} is not supported; this commplan reads version 1")
                                  .format(version=describe(version))))
        return errors
    for key in data:
        if key not in m.FILE_KEYS:
            errors.append(source.error((key,), _unknown_key(key, list(m.FILE_KEYS)), key=True))
    province = _file_province(source, data, errors)
    if not any(k in data for k in ("units", "groups", "plan")):
        errors.append(source.error((), _("the file holds no `units`, `groups` or `plan`")))
    for key in m.PLAN_SECTIONS:
        if key in data and "plan" not in data:
            errors.append(source.error((key,), _("`{key}` belongs to a plan: add a `plan:` header to this file").format(key=key), key=True))

    for section in ("units", "events", "obligations", "indicators", "budget"):
        if section in data:
            errors.extend(_validate_list(parsed, section, data[section]))
    if province:
        parsed.units = [
            (unit if unit.province else unit.model_copy(update={"province": province}), path)
            for unit, path in parsed.units
        ]
    if "groups" in data:
        errors.extend(_validate_groups(parsed, data["groups"]))
    if "plan" in data:
        header, header_errors = _validate_item(source, m.PlanHeader, data["plan"], ("plan",))
        errors.extend(header_errors)
        if header is not None:
            parsed.plan = (header, ("plan",))
        else:
            parsed.plan_failed = True
    return errors


def _file_province(source: Source, data: dict, errors: list[PlanError]) -> str | None:
    """The file's `province:` (a slug), which its units belong to unless they say otherwise."""
    if "province" not in data:
        return None
    try:
        province = v.parse_id(data["province"])
    except v.Problem as exc:
        errors.append(source.error(("province",), exc.message))
        return None
    if "units" not in data and "groups" not in data:
        errors.append(source.error(("province",), _("`province` names the province of this file's units, but the file defines none"), key=True))
    return province


def _validate_list(parsed: ParsedFile, section: str, items: object) -> list[PlanError]:
    source = parsed.source
    if items is None:
        return []
    if not isinstance(items, list):
        return [source.error((section,), _("`{key}` is a list (each item starts with `- `), got {got}").format(key=section, got=describe(items)))]
    model = m.SECTIONS[section]
    target = getattr(parsed, section)
    errors = []
    for i, item in enumerate(items):
        path = (section, i)
        value, item_errors = _validate_item(source, model, item, path)
        errors.extend(item_errors)
        if value is not None:
            target.append((value, path))
        elif isinstance(item, dict):
            if isinstance(item.get("id"), str):
                parsed.attempted_ids.add(item["id"])
            for anchor in (item.get("from"), item.get("until")):
                if isinstance(anchor, dict) and isinstance(anchor.get("event"), str):
                    parsed.attempted_events.add(anchor["event"])
    return errors


def _validate_groups(parsed: ParsedFile, groups: object) -> list[PlanError]:
    source = parsed.source
    if groups is None:
        return []
    if not isinstance(groups, dict):
        return [source.error(("groups",), _("`groups` is a mapping of group id to group, got {got}").format(got=describe(groups)))]
    errors = []
    for ident, item in groups.items():
        path = ("groups", ident)
        try:
            group_id = v.parse_id(ident)
        except v.Problem as exc:
            errors.append(source.error(path, exc.message, key=True))
            continue
        value, item_errors = _validate_item(source, m.Group, item, path)
        errors.extend(item_errors)
        if value is not None:
            parsed.groups.append((group_id, value, path))
        else:
            parsed.attempted_ids.add(group_id)
    return errors


def _validate_item(source: Source, model: type[M], item: object, path: KeyPath) -> tuple[M | None, list[PlanError]]:
    if not isinstance(item, dict):
        what = _(ITEM_NAMES.get(model.__name__, model.__name__.lower()))
        return None, [source.error(path, _("expected a mapping (a {what}), got {got}").format(what=what, got=describe(item)))]
    try:
        return model.model_validate(item), []
    except ValidationError as exc:
        return None, [_translate(source, model, path, error) for error in exc.errors(include_url=False)]


def _translate(source: Source, model: type[m.Strict], base: KeyPath, error: ErrorDetails) -> PlanError:
    """One pydantic error as the clerk's line: the same key path, pydantic's English replaced by ours
    (pydantic's own words are English whatever the language), chosen by the error's `type`."""
    loc = tuple(p for p in error["loc"] if not _PYDANTIC_MARKER.match(str(p)))
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    path = base + loc
    if kind == "commplan":
        return source.error(path + tuple(ctx.get("subpath", ())), ctx["message"])
    if kind == "missing" and loc:
        return source.error(path[:-1], _("missing required key '{key}'").format(key=loc[-1]))
    if kind == "extra_forbidden" and loc:
        parent = next((p for p in reversed(loc[:-1]) if isinstance(p, str)), None)
        owner = m.NESTED.get(parent, model) if parent else model
        return source.error(path, _unknown_key(str(loc[-1]), m.known_keys(owner)), key=True)
    template = PYDANTIC_MESSAGES.get(kind)
    if template is None:
        # a type no plan key has produced so far: still our words, with pydantic's detail
        return source.error(path, _("invalid value ({detail})").format(detail=error.get("msg", kind)))
    return source.error(path, _(template).format(got=describe(value), ge=ctx.get("ge"), le=ctx.get("le"),
                                                 max_length=ctx.get("max_length")))


# pydantic's error types that plan keys produce (tests/test_plan_errors_language.py has one case each
# and finds no other), as messages with the same information: {got} the value written, {ge} / {le} /
# {max_length} the bound. `missing` and `extra_forbidden` are worded above, with the key.
PYDANTIC_MESSAGES = {
    "string_type": N_("expected text, got {got}"),
    "string_too_short": N_("must not be empty"),
    "string_too_long": N_("is too long (at most {max_length} characters)"),
    "bool_type": N_("expected true or false, got {got}"),
    "bool_parsing": N_("expected true or false, got {got}"),
    "int_type": N_("expected a whole number, got {got}"),
    "int_parsing": N_("expected a whole number, got {got}"),
    "int_from_float": N_("expected a whole number, got {got}"),
    "finite_number": N_("expected a whole number, got {got}"),  # .inf, .nan
    "greater_than_equal": N_("must be at least {ge}"),
    "less_than_equal": N_("must be at most {le}"),
    "model_type": N_("expected a mapping, got {got}"),
    "tuple_type": N_("expected a list, got {got}"),
}

# What an item of each section is called in "expected a mapping (a …)".
ITEM_NAMES = {
    "Unit": N_("unit"),
    "Group": N_("group"),
    "PlanHeader": N_("plan header"),
    "Event": N_("event"),
    "Obligation": N_("obligation"),
    "Indicator": N_("indicator"),
    "BudgetLine": N_("budget line"),
}


def _unknown_key(key: object, allowed: list[str]) -> str:
    return v.unknown_key(str(key), allowed)


def _build(parsed: list[ParsedFile], files: tuple[str, ...]) -> Catalog:
    units: dict[str, m.Unit] = {}
    groups: dict[str, m.Group] = {}
    plans: dict[str, Plan] = {}
    for pf in parsed:
        for unit, _p in pf.units:
            units.setdefault(unit.id, unit)
        for ident, group, _p in pf.groups:
            groups.setdefault(ident, group)
        if pf.plan is not None and pf.plan[0].id not in plans:
            header = pf.plan[0]
            plans[header.id] = Plan(
                header=header,
                file=pf.source.file,
                events=tuple(e for e, _p in pf.events),
                obligations=tuple(o for o, _p in pf.obligations),
                indicators=tuple(i for i, _p in pf.indicators),
                budget=tuple(b for b, _p in pf.budget),
            )
    return Catalog(directory=Directory(units=units, groups=groups), plans=plans, files=files)
