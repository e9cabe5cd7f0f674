"""Only the ledger writes SQL: no module of commplan outside `commplan.ledger` builds a statement,
runs one, or opens a ledger transaction (they call public `Ledger` methods instead). The import side
("nothing else imports sqlalchemy") is the import-linter contract in pyproject.toml (`lint-imports`)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import commplan

PACKAGE = Path(commplan.__file__).parent
LEDGER = PACKAGE / "ledger"
# what a statement looks like in a string: a keyword and what follows it in SQL
SQL = re.compile(r"\b(SELECT\s+[\w*(]|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX)|"
                 r"ALTER\s+TABLE|DROP\s+TABLE|JOIN\s+\w+\s+\w+\s+ON|WHERE\s+\w+\.\w+\s*(=|IN|IS))")  # upper case, as the ledger writes it
BUILDERS = {"text", "select", "insert", "update", "delete", "bindparam"}  # sqlalchemy's statement builders
RUNNERS = {"execute", "exec_driver_sql", "transaction", "connect", "begin"}  # running SQL or holding a connection


def sql_in(source: str) -> list[tuple[int, str]]:
    """(line, what) of each SQL statement, builder call or connection use in a module's source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and (statement := SQL.search(node.value)):
            found.append((node.lineno, f"SQL in a string: {statement.group(0)!r}"))
        elif isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id in BUILDERS:
                found.append((node.lineno, f"{node.func.id}(...)"))
            elif isinstance(node.func, ast.Attribute) and node.func.attr in RUNNERS:
                found.append((node.lineno, f".{node.func.attr}(...)"))
    return found


def outside_ledger() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if LEDGER not in p.parents)


def test_it_scans_the_package_outside_the_ledger():
    modules = {p.relative_to(PACKAGE).as_posix() for p in outside_ledger()}
    assert {"web/feeds.py", "calendar/recurring.py", "notify/zalo_tokens.py", "cli/reminders.py"} <= modules
    assert not any(m.startswith("ledger/") for m in modules)


def test_it_finds_sql_where_it_would_leak():
    leaky = '''
from sqlalchemy import text
def feed_state(ledger):
    with ledger.transaction(read_only=True) as connection:
        return connection.execute(text("SELECT COUNT(*) FROM occurrence o WHERE o.id IN :ids")).one()
'''
    found = [what for _, what in sql_in(leaky)]
    assert ".transaction(...)" in found and ".execute(...)" in found and "text(...)" in found
    assert any(what.startswith("SQL in a string") for what in found)
    # prose about selections and updates is not SQL
    assert sql_in('"""Select the units; update the calendar, then delete from the cache."""') == []


def test_it_finds_no_sql_outside_the_ledger():
    leaks = [f"{path.relative_to(PACKAGE.parent)}:{line}: {what}"
             for path in outside_ledger() for line, what in sql_in(path.read_text(encoding="utf-8"))]
    assert leaks == [], "SQL outside commplan.ledger (add a Ledger method instead):\n" + "\n".join(leaks)
