"""Backups of the ledger and their restore: SQLite's online backup API, PostgreSQL's pg_dump/pg_restore.

SQLite: `sqlite3.Connection.backup` copies a consistent snapshot while other
commands keep writing (WAL readers never block). The copy is written to a
temporary file beside the target, made 0600, then renamed into place, so a
failed backup never leaves half a file under the target's name.

PostgreSQL: the server's own tools, run with the URL's host, port, user and
database; the password goes through PGPASSWORD, never on the command line
(`ps` would show it). A URL that sets `search_path` (one schema per ledger)
dumps and restores that schema only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from sqlalchemy.engine import URL, make_url

from ..i18n import _
from .engine import LedgerError, head_revision

# tables whose rows mean the ledger has been used: a restore over them loses work
_WORK_TABLES = ("occurrence", "evidence", "excusal", "event_instance", "delivery", "audit_log", "app_user", "document",
                "deadline_extension")


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    revision: str | None  # the schema revision the copy is at (SQLite)


def backend(url: str) -> str:
    return make_url(url).get_backend_name()


def place(url: str) -> str:
    """Where the ledger is, for a clerk (never the password)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _("the SQLite ledger {path}").format(path=parsed.database)
    return _("the PostgreSQL ledger {name} at {host}:{port}").format(
        name=parsed.database, host=parsed.host or "localhost", port=parsed.port or 5432)


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise LedgerError(_("this ledger is in memory: there is nothing to back up or restore"))
    return Path(database)


def _check_target(target: Path, force: bool) -> None:
    """One clear line for a target that cannot be written (checked before any work)."""
    if target.is_dir():
        raise LedgerError(_("{target} is a folder, not a file: write the name of the backup file").format(target=target))
    if target.exists() and not force:
        raise LedgerError(_("{target} exists: choose another name, or add --force to overwrite it").format(target=target))
    folder = target.parent
    if not folder.is_dir():
        raise LedgerError(_("the folder {folder} does not exist: cannot write {target}").format(folder=folder, target=target))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise LedgerError(_("no permission to write in the folder {folder}: cannot write {target}").format(
            folder=folder, target=target))


@contextlib.contextmanager
def _private_temp(target: Path) -> Iterator[Path]:
    """A 0600 temporary file beside `target`, renamed onto it on success, removed on failure."""
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    except OSError as error:
        raise LedgerError(_("cannot write {target}: {error}").format(target=target, error=error.strerror)) from None
    os.close(handle)  # mkstemp creates the file 0600
    temp = Path(name)
    try:
        yield temp
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def _revision(connection: sqlite3.Connection) -> str | None:
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def backup_sqlite(url: str, target: Path, *, force: bool = False) -> BackupResult:
    source_path = sqlite_path(url)
    if not source_path.is_file():
        raise LedgerError(_("no ledger to back up: {path} does not exist").format(path=source_path))
    _check_target(target, force)
    if target.resolve() == source_path.resolve():
        raise LedgerError(_("{target} is the ledger itself: back up to another file").format(target=target))
    with _private_temp(target) as temp:
        source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=15)
        try:
            copy = sqlite3.connect(temp)
            try:
                source.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
                revision = _revision(copy)
            finally:
                copy.close()
        except sqlite3.DatabaseError as error:
            raise LedgerError(_("cannot back up {path}: {error}").format(path=source_path, error=error)) from None
        finally:
            source.close()
    return BackupResult(target, target.stat().st_size, revision)


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    from .engine import MIGRATIONS

    return {script.revision for script in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}


def _used(connection: sqlite3.Connection) -> bool:
    names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return any(connection.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone()
               for table in _WORK_TABLES if table in names)


def restore_sqlite(url: str, source: Path, *, force: bool = False) -> str:
    """Copy the backup `source` over the ledger at `url`; returns the backup's schema revision.
    The caller opens the ledger afterwards, which upgrades an older backup to the newest schema."""
    target = sqlite_path(url)
    if not source.is_file():
        raise LedgerError(_("backup file {source} not found").format(source=source))
    try:
        backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise LedgerError(_("cannot open {source}: {error}").format(source=source, error=error)) from None
    try:
        revision = _revision(backup)
        if revision is None:
            raise LedgerError(_("{source} is not a backup of a commplan ledger (it has no schema revision)").format(source=source))
        if revision not in _known_revisions():
            raise LedgerError(_("{source} has schema {revision}, of a newer commplan (this one knows up to {head}): "
                                "upgrade commplan").format(source=source, revision=revision, head=head_revision()))
        if target.exists() and not force:
            current = sqlite3.connect(f"file:{target}?mode=ro", uri=True, timeout=15)
            try:
                if _used(current):
                    raise LedgerError(_("the ledger {target} has data: add --force to replace it with the backup "
                                        "(back up the current ledger first)").format(target=target))
            except sqlite3.DatabaseError as error:
                raise LedgerError(_("{target} cannot be read ({error}): add --force to replace it").format(
                    target=target, error=error)) from None
            finally:
                current.close()
        target.parent.mkdir(parents=True, exist_ok=True)
        with _private_temp(target) as temp:
            copy = sqlite3.connect(temp)
            try:
                backup.backup(copy)
                copy.execute("PRAGMA journal_mode=WAL")
            finally:
                copy.close()
            for stale in (Path(f"{target}-wal"), Path(f"{target}-shm")):  # the old database's journal
                stale.unlink(missing_ok=True)
    except sqlite3.DatabaseError as error:
        raise LedgerError(_("{source} is not an SQLite database ({error})").format(source=source, error=error)) from None
    finally:
        backup.close()
    return revision


# ---------------------------------------------------------------- PostgreSQL


def _pg_tool(name: str, recipe: str) -> str:
    found = shutil.which(name)
    if not found:
        raise LedgerError(_("{tool} not found: install the postgresql-client package (the same major version as the "
                            "server), or run on a machine that has it: {recipe}").format(tool=name, recipe=recipe))
    return found


def _schema_of(parsed: URL) -> str | None:
    options = unquote(str(parsed.query.get("options", "")))
    for part in options.split():
        if part.startswith("-csearch_path="):
            return part.partition("=")[2].split(",")[0].strip('"') or None
    return None


def pg_connection(url: str) -> tuple[list[str], dict[str, str], str | None]:
    """The libpq arguments of `url` (no password), the environment carrying its password, its schema."""
    parsed = make_url(url)
    conninfo = [f"dbname={parsed.database}"]
    if parsed.host:
        conninfo.append(f"host={parsed.host}")
    if parsed.port:
        conninfo.append(f"port={parsed.port}")
    if parsed.username:
        conninfo.append(f"user={parsed.username}")
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return ["--dbname", " ".join(conninfo)], env, _schema_of(parsed)


def pg_recipe(url: str, file: str, *, restore: bool = False) -> str:
    """The command a person would type (no password: it comes from PGPASSWORD or ~/.pgpass)."""
    dbname, _env, schema = pg_connection(url)
    scope = f" --schema={schema}" if schema else ""
    if restore:
        return (f"pg_restore --clean --if-exists --no-owner --single-transaction --exit-on-error "
                f"--dbname='{dbname[1]}' {file}")
    return f"pg_dump --format=custom{scope} --no-owner --dbname='{dbname[1]}' --file={file}"


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[0]
        raise LedgerError(_("{tool} failed: {error}").format(tool=what, error=first))


def backup_postgresql(url: str, target: Path, *, force: bool = False) -> BackupResult:
    _check_target(target, force)
    dbname, env, schema = pg_connection(url)
    command = [_pg_tool("pg_dump", pg_recipe(url, str(target))), "--format=custom", "--no-owner", *dbname]
    if schema:
        command.append(f"--schema={schema}")
    with _private_temp(target) as temp:
        _run([*command, f"--file={temp}"], env, "pg_dump")
    return BackupResult(target, target.stat().st_size, None)


def restore_postgresql(url: str, source: Path, *, force: bool = False, used: bool) -> None:
    """pg_restore the dump `source` in one transaction (all or nothing); `used`: the ledger has work in it."""
    if not source.is_file():
        raise LedgerError(_("backup file {source} not found").format(source=source))
    if used and not force:
        raise LedgerError(_("the ledger has data: add --force to replace it with the backup (back up the current ledger first)"))
    dbname, env, _schema = pg_connection(url)
    _run([_pg_tool("pg_restore", pg_recipe(url, str(source), restore=True)), "--clean", "--if-exists", "--no-owner", "--single-transaction",
          "--exit-on-error", *dbname, str(source)], env, "pg_restore")


def work_tables() -> tuple[str, ...]:
    return _WORK_TABLES
