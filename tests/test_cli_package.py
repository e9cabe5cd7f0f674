"""The `commplan.cli` package: each command registered once, by one module, one way; the light
commands stay light (no SQLAlchemy, no Prefect loaded for `--help` or `validate`)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

from conftest import REPO

from commplan import cli


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_command_is_registered_once_by_exactly_one_module():
    shown = _commands(cli.build_parser())
    owners: dict[str, list[str]] = {}
    for module in cli.MODULES:
        parser = argparse.ArgumentParser(prog="commplan")
        sub = parser.add_subparsers(dest="command")
        module.register(sub)
        for name, command in _commands(parser).items():
            owners.setdefault(name, []).append(module.__name__)
            # bound the one way, to a handler of the module that registered it
            handler = command.get_default("handler")
            assert callable(handler) and handler.__module__ == module.__name__, (name, handler)
    assert {name: modules for name, modules in owners.items() if len(modules) != 1} == {}
    assert set(owners) == set(shown)
    assert len(shown) >= 20 and {"validate", "preview", "sync", "status", "run", "worker", "contact"} <= set(shown)
    # the order of `commplan --help` follows cli.MODULES
    assert list(shown) == [name for module in cli.MODULES for name in owners if owners[name] == [module.__name__]]


def test_no_module_of_the_old_layout_is_left():
    package = REPO / "src" / "commplan"
    assert not list(package.glob("cli_*.py")) and not (package / "cli.py").exists()


def _loaded_after(*argv: str) -> dict:
    script = ("import json, sys\nfrom commplan.cli import main\n"
              "try:\n    code = main(sys.argv[1:])\nexcept SystemExit as exit:\n    code = exit.code\n"
              "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'prefect', 'alembic', 'uvicorn'})\n"
              "ledger = sorted(m for m in sys.modules if m.startswith('commplan.ledger'))\n"
              "print(json.dumps({'code': code, 'heavy': heavy, 'ledger': ledger}), file=sys.stderr)\n")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    done = subprocess.run([sys.executable, "-c", script, *argv], cwd=REPO, env=env, capture_output=True, text=True, check=False,
                          timeout=60)
    return json.loads(done.stderr.strip().splitlines()[-1])


def test_help_and_validate_load_neither_sqlalchemy_nor_prefect():
    for argv in (["--help"], ["validate", "plans/"], ["status", "--help"], ["run", "--help"]):
        loaded = _loaded_after(*argv)
        assert loaded == {"code": 0, "heavy": [], "ledger": []}, argv
    # and the check sees them when a command does load them
    assert "sqlalchemy" in _loaded_after("status", "--database", "sqlite://")["heavy"]
