"""No user-facing string escapes the catalog: a static read of the package.

tests/test_i18n.py proves every *marked* string is translated; this proves the strings a
person reads are marked. It looks at the places such strings are written: print(), the
argparse help and descriptions, argparse and parser errors, the exceptions that reach the
command line, and the operator's log lines. A literal with words in it there, not wrapped in
`_()` / `ngettext()`, fails the test with its file and line.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import commplan

PACKAGE = Path(commplan.__file__).parent
# strings people never read: the catalog machinery itself and argparse's list of its own words
SKIP = {"i18n.py", "i18n_catalog.py", "argparse_words.py"}
WORDS = re.compile(r"[A-Za-z]{2,}")
ARGPARSE_TEXT = {"help", "description", "epilog", "title"}
LOG_CALLS = {"debug", "info", "warning", "error", "exception", "critical"}
TRANSLATORS = {"_", "ngettext", "N_"}


def _is_words(node: ast.AST) -> bool:
    """A literal (or f-string) that a person would read as words, placeholders aside."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = re.sub(r"\{[^}]*\}|%\(?[a-z_]*\)?[sdr]|[a-z]+://\S*", "", node.value)  # placeholders, URLs
        return bool(WORDS.search(text))
    if isinstance(node, ast.JoinedStr):
        return any(_is_words(part) for part in node.values if isinstance(part, ast.Constant))
    if isinstance(node, ast.BinOp):  # "a" + "b", "..." % x
        return _is_words(node.left) or _is_words(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _is_words(node.func.value)  # "unknown {x}".format(x=...) without _()
    return False


def _name(func: ast.AST) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _user_errors() -> set[str]:
    """The exception classes whose message reaches a person: the package's own exceptions, whatever
    their name (OutcomeUnknown, Unreachable, BadLink...), and argparse's. A bare ValueError or
    RuntimeError is a programmer's error (a naive datetime, an unknown key purpose): English."""
    bases: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {_name(base) for base in node.bases}
    builtin = {"Exception", "ValueError", "RuntimeError", "OSError", "KeyError", "TypeError"}
    names = {"ArgumentTypeError"}
    while True:  # a class of ours is an exception if one of its bases is
        more = {name for name, parents in bases.items() if parents & (names | builtin)}
        if more <= names:
            return names
        names |= more


def unmarked(package: Path = PACKAGE) -> list[str]:
    errors = _user_errors()
    found = []
    for path in sorted(package.rglob("*.py")):
        if path.name in SKIP:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node.func)
            texts: list[ast.expr] = []
            if name == "print" or name in errors or (name == "error" and "parser" in ast.unparse(node.func)):
                texts = node.args[:1]
            elif name in ("add_argument", "add_parser", "ArgumentParser", "add_subparsers", "add_argument_group",
                          "add_mutually_exclusive_group"):
                texts = [k.value for k in node.keywords if k.arg in ARGPARSE_TEXT]
            elif name in LOG_CALLS and isinstance(node.func, ast.Attribute) and "log" in ast.unparse(node.func.value):
                texts = node.args[:1]
            for text in texts:
                if _is_words(text):
                    where = path.relative_to(package.parent)
                    found.append(f"{where}:{text.lineno}: {ast.unparse(text)[:90]}")
    return found


def test_every_user_facing_literal_goes_through_the_catalog():
    assert unmarked() == []


def test_the_check_catches_an_unmarked_string(tmp_path):
    # the check must be able to fail: a module with one bare print and one marked one
    module = tmp_path / "commplan_probe"
    module.mkdir()
    (module / "__init__.py").write_text("")
    (module / "shell.py").write_text(
        'from commplan.i18n import _\n'
        'print("unknown unit {unit}".format(unit=1))\n'
        'print(_("unknown unit {unit}").format(unit=1))\n'
        'parser.add_argument("--x", help=f"the {x} to use")\n'
        'raise LedgerError("no such occurrence")\n'
        'print(f"{a}: {b}")\n'
    )
    found = unmarked(module)
    assert sorted(int(line.split(":")[1]) for line in found) == [2, 4, 5], found
