"""Safe YAML reading that remembers where every key and value came from.

PyYAML's safe loader gives plain Python values but forgets positions, and
errors must name file, line, column and key path. So the file is composed into
a node graph with the safe loader, then converted by hand, recording the
position of each value (and each mapping key) under its key path.

Guards, so that no input produces a traceback or exhausts memory: a size
limit, a nesting limit, a node budget (alias bombs), one document per file,
duplicate keys rejected, and YAML 1.1 base-60 numbers (`14:00` read as 840)
kept as text, since clerks write times unquoted.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, cast

import yaml

from ..i18n import N_, _
from .errors import KeyPath, PathPart, PlanError

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 500_000


class _SafeLoader(yaml.SafeLoader):
    """The safe loader; a subclass so that nothing global is ever changed."""


# libyaml's parser, when PyYAML was built with it: the same nodes, marks and resolver, but it reads a
# 5 MB file of 300,000 keys in about 3 s where the pure-Python scanner takes about 20 s.
_FastLoader: type | None = None
if getattr(yaml, "__with_libyaml__", False):
    class _FastLoader(yaml.CSafeLoader):  # type: ignore[no-redef]
        """libyaml's safe loader; a subclass so that nothing global is ever changed."""


@dataclass
class Source:
    """A parsed file: its data plus the positions of every key path."""

    file: str
    data: object = None
    values: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    keys: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)

    def position(self, path: KeyPath, *, key: bool = False) -> tuple[int, int]:
        """Line and column of `path` (of its key when `key`), or of its nearest recorded parent."""
        if key and path in self.keys:
            return self.keys[path]
        probe = tuple(path)
        while probe:
            if probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), (1, 1))

    def error(self, path: KeyPath, message: str, *, key: bool = False) -> PlanError:
        line, column = self.position(path, key=key)
        return PlanError(self.file, line, column, tuple(path), message)


# What plain YAML resolves to; explicit tags such as !!python/object are refused.
_PLAIN_TAGS = frozenset(
    "tag:yaml.org,2002:" + name
    for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")
)


class _TooComplex(Exception):
    def __init__(self, message: str, mark: yaml.Mark | None):
        super().__init__(message)
        self.mark = mark


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Converter:
    def __init__(self, source: Source, loader: _SafeLoader):
        self.source = source
        self.loader = loader
        self.nodes = 0
        self.errors: list[PlanError] = []

    def convert(self, node: yaml.Node, path: KeyPath, depth: int) -> object:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooComplex(
                _("document too large: more than {limit} values (aliases expanded)").format(limit=MAX_NODES),
                node.start_mark,
            )
        if depth > MAX_DEPTH:
            raise _TooComplex(_("nested deeper than {limit} levels").format(limit=MAX_DEPTH), node.start_mark)
        self.source.values.setdefault(path, _mark(node))
        if node.tag not in _PLAIN_TAGS:
            raise _TooComplex(_("invalid YAML: the tag '{tag}' is not allowed in plans").format(tag=node.tag), node.start_mark)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)  # a node is a mapping, a sequence or a scalar
        return self._scalar(node)

    def _mapping(self, node: yaml.MappingNode, path: KeyPath, depth: int) -> dict:
        # keys written in this mapping, as opposed to keys brought in by `<<: *anchor`
        written = {id(k) for k, _v in node.value if k.tag != "tag:yaml.org,2002:merge"}
        self.loader.flatten_mapping(node)  # resolves `<<` merge keys (merged pairs come first)
        result: dict = {}
        first_seen: dict[object, tuple[int, bool]] = {}  # key -> (line, written here)
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                line, column = _mark(key_node)
                self.errors.append(
                    PlanError(self.source.file, line, column, path, _("a key must be plain text, not a list or mapping"))
                )
                continue
            key = self._scalar(key_node)
            if isinstance(key, (dt.date, float, bool)) or key is None:
                key = key_node.value  # dates, booleans and nulls as keys: keep what was written
            child = path + (cast(PathPart, key),)  # str or int: the other scalars were replaced just above
            is_written = id(key_node) in written
            if key in first_seen:
                first_line, first_written = first_seen[key]
                if not is_written:
                    continue  # merged twice: the first merge wins, as YAML says
                if first_written:
                    line, column = _mark(key_node)
                    self.errors.append(
                        PlanError(self.source.file, line, column, child,
                                  _("duplicate key '{key}' (first given on line {line})").format(key=key, line=first_line))
                    )
                    continue
                # a key written here overrides the same key merged from an anchor
                self.source.values.pop(child, None)
            first_seen[key] = (key_node.start_mark.line + 1, is_written)
            self.source.keys[child] = _mark(key_node)
            result[key] = self.convert(value_node, child, depth + 1)
        return result

    def _scalar(self, node: yaml.ScalarNode) -> object:
        tag = node.tag
        # YAML 1.1 reads 14:00 as the base-60 integer 840; a clerk means a time.
        if tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float") and ":" in node.value:
            return node.value
        # YAML 1.1 reads 0241 as octal 161 and 0912345678 fails: digits with a leading zero are text
        # (phone numbers, Zalo ids, document numbers), as YAML 1.2 would have it.
        if tag == "tag:yaml.org,2002:int" and re.fullmatch(r"[-+]?0[0-9_]+", node.value):
            return node.value
        if tag == "tag:yaml.org,2002:timestamp":
            try:
                return self.loader.construct_object(node, deep=True)
            except (ValueError, OverflowError):
                return node.value  # e.g. 2021-02-30: let the model say it is not a date
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError:
            return node.value
        except (ValueError, OverflowError):
            return node.value


# PyYAML's problems are English whatever the language: the msgids are PyYAML 6's own wording (of
# its pure-Python parser: a file libyaml refuses is read again by it, see _compose), so English
# stays as PyYAML says it; {found} and {wanted} are the tokens or characters PyYAML quotes, kept.
# Anything not listed passes through as PyYAML says it.
_YAML_PROBLEMS = tuple((re.compile(pattern), template) for pattern, template in (
    (r"mapping values are not allowed here", N_("mapping values are not allowed here")),
    (r"while scanning a simple key", N_("while scanning a simple key")),
    (r"could not find expected ':'", N_("could not find expected ':'")),
    (r"while parsing a block mapping", N_("while parsing a block mapping")),
    (r"while parsing a block collection", N_("while parsing a block collection")),
    (r"while parsing a flow mapping", N_("while parsing a flow mapping")),
    (r"while parsing a flow sequence", N_("while parsing a flow sequence")),
    (r"while parsing a block node", N_("while parsing a block node")),
    (r"while parsing a flow node", N_("while parsing a flow node")),
    (r"while scanning a quoted scalar", N_("while scanning a quoted scalar")),
    (r"while scanning a plain scalar", N_("while scanning a plain scalar")),
    (r"while scanning a double-quoted scalar", N_("while scanning a double-quoted scalar")),
    (r"while scanning a single-quoted scalar", N_("while scanning a single-quoted scalar")),
    (r"while scanning a block scalar", N_("while scanning a block scalar")),
    (r"while composing a mapping", N_("while composing a mapping")),
    (r"while parsing a node", N_("while parsing a node")),
    (r"while scanning for the next token", N_("while scanning for the next token")),
    (r"while scanning an alias", N_("while scanning an alias")),
    (r"while scanning an anchor", N_("while scanning an anchor")),
    (r"while constructing a mapping", N_("while constructing a mapping")),
    (r"found unexpected end of stream", N_("found unexpected end of stream")),
    (r"found unhashable key", N_("found unhashable key")),
    (r"found character (?P<found>.+) that cannot start any token", N_("found character {found} that cannot start any token")),
    (r"found undefined alias (?P<found>.+)", N_("found undefined alias {found}")),
    (r"expected the node content, but found (?P<found>.+)", N_("expected the node content, but found {found}")),
    (r"expected <block end>, but found (?P<found>.+)", N_("expected <block end>, but found {found}")),
    (r"expected ',' or '\]', but got (?P<found>.+)", N_("expected ',' or ']', but got {found}")),
    (r"expected ',' or '\}', but got (?P<found>.+)", N_("expected ',' or '}}', but got {found}")),
    (r"expected alphabetic or numeric character, but found (?P<found>.+)",
     N_("expected alphabetic or numeric character, but found {found}")),
    (r"expected a comment or a line break, but found (?P<found>.+)",
     N_("expected a comment or a line break, but found {found}")),
    (r"expected a mapping for merging, but found (?P<found>.+)", N_("expected a mapping for merging, but found {found}")),
    (r"found duplicate anchor (?P<found>.+); first occurrence", N_("found duplicate anchor {found}; first occurrence")),
    (r"second occurrence", N_("second occurrence")),
    (r"found unknown escape character (?P<found>.+)", N_("found unknown escape character {found}")),
    (r"expected (?P<wanted>.+), but found (?P<found>.+)", N_("expected {wanted}, but found {found}")),
    (r"did not find expected (?P<wanted>.+)", N_("did not find expected {wanted}")),
    (r"expected a single document in the stream", N_("expected a single document in the stream")),
    (r"but found another document", N_("but found another document")),
))


def yaml_problem(problem: str) -> str:
    """One of PyYAML's problems in the reader's language, its quoted parts unchanged."""
    for pattern, template in _YAML_PROBLEMS:
        match = pattern.fullmatch(problem)
        if match:
            return _(template).format(**match.groupdict())
    return problem


def read_text(file: str, raw: bytes) -> tuple[str | None, PlanError | None]:
    """Decode a plan file, refusing binary and oversized input with a clear error."""
    if len(raw) > MAX_FILE_BYTES:
        return None, PlanError(file, 1, 1, (), _("file is {size} bytes; plans are limited to {limit} bytes")
                               .format(size=len(raw), limit=MAX_FILE_BYTES))
    if b"\x00" in raw:
        return None, PlanError(file, 1, 1, (), _("this is a binary file, not YAML text"))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, PlanError(file, line, column, (), _("not UTF-8 text (byte 0x{byte}); save the file as UTF-8")
                               .format(byte=f"{raw[exc.start]:02x}"))
    return text, None


def _compose(text: str) -> tuple[Any, yaml.Node | None]:  # the loader: _SafeLoader or _FastLoader
    """The document's node graph and the loader that made it. libyaml reads it when present; a file it
    refuses is read again by the pure-Python parser, so every error is worded and placed the same way
    whichever parser is installed (and only broken files pay twice)."""
    if _FastLoader is not None:
        fast = _FastLoader(text)
        try:
            return fast, fast.get_single_node()
        except yaml.YAMLError:
            fast.dispose()
    loader = _SafeLoader(text)
    return loader, loader.get_single_node()


def parse_yaml(file: str, text: str) -> tuple[Source, list[PlanError]]:
    """Parse one YAML document into a `Source`; every problem is returned, none raised."""
    source = Source(file)
    loader = None
    try:
        loader, node = _compose(text)
        if node is None:
            return source, [PlanError(file, 1, 1, (), _("the file is empty; a plan file starts with `commplan: 1`"))]
        converter = _Converter(source, loader)
        source.data = converter.convert(node, (), 0)
        return source, converter.errors
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = ": ".join(yaml_problem(" ".join(p.split())) for p in (exc.context, exc.problem) if p)
        return source, [PlanError(file, line, column, (), _("invalid YAML: {problem}").format(problem=problem))]
    except _TooComplex as exc:
        mark = exc.mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return source, [PlanError(file, line, column, (), str(exc))]
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        return source, [PlanError(file, line, column, (), _("invalid YAML: character #x{code} is not allowed in a plan")
                                  .format(code=f"{exc.character:04x}"))]
    except yaml.YAMLError as exc:
        return source, [PlanError(file, 1, 1, (), _("invalid YAML: {problem}").format(problem=" ".join(str(exc).split())))]
    except RecursionError:
        return source, [PlanError(file, 1, 1, (), _("nested too deeply to read (the limit is {limit} levels)").format(limit=MAX_DEPTH))]
    finally:
        if loader is not None:
            loader.dispose()
