"""Opening the ledger database: engine settings, migrations, and clear errors.

Every open upgrades the schema to the newest migration, so an older database
is upgraded in place rather than crashing. Two processes opening at once
(two syncs, a sync and a worker) take a lock around the upgrade: a PostgreSQL
advisory lock, or a lock file beside a SQLite database.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection

if TYPE_CHECKING:
    import psycopg

from ..i18n import _

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK_KEY = 0x636F6D6D706C616E  # "commplan" in ASCII: one advisory lock id for migrations
SQLITE_BUSY_SECONDS = 15


class LedgerError(Exception):
    """A problem with the ledger a person can act on; the message says what and where."""


class LedgerRefused(LedgerError):
    """The database refused a change (a constraint, a value it cannot store): the message names the
    database and carries the driver's words, for an operator; a page for the public says less."""


class LedgerUnavailable(LedgerError):
    """The database cannot answer now (busy, unreachable, cannot be opened): the request may be
    retried as it is, unlike other LedgerErrors, which say what is wrong with it."""


class ReplayRefused(LedgerError):
    """A reminder step, a delivery or a send asked for at an instant far from the clock (a replay):
    shells show a replay through the preview instead, so this is a last guard, not a path."""


def insert_for(connection: Connection) -> Callable[..., Any]:
    """The connection's dialect's `insert` (both offer ON CONFLICT … DO NOTHING / DO UPDATE)."""
    return postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except exc.ArgumentError:
        raise LedgerError(_("'{url}' is not a database URL (e.g. sqlite:///path/commplan.sqlite3 or "
                            "postgresql+psycopg://user@host:5432/commplan)").format(url=url)) from None


def masked_url(url: str) -> str:
    """The URL as it may be printed or handed to Prefect: its password masked."""
    try:
        return _parse(url).render_as_string(hide_password=True)
    except LedgerError:
        return _("(not a database URL)")


def has_password(url: str) -> bool:
    try:
        return _parse(url).password is not None
    except LedgerError:
        return False


def describe_url(url: str) -> str:
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        return _("the SQLite database {path}").format(path=parsed.database)
    return _("the PostgreSQL database {name} at {host}:{port}").format(
        name=parsed.database, host=parsed.host or "localhost", port=parsed.port or 5432)


def unusable_folder(folder: Path, reason: str) -> LedgerError:
    """The one line for a data folder that is missing, read-only or not a folder, with the remedy."""
    return LedgerError(_("the data folder {folder} cannot hold the SQLite database ({reason}): make it a writable "
                         "folder, or set COMMPLAN_DATA_DIR (or COMMPLAN_DATABASE_URL) to one that is").format(
        folder=folder, reason=reason))


def _private_file(path: Path) -> None:
    """Create the SQLite file readable by its owner only (0600) before SQLite creates it 0644;
    its -wal and -shm files take the database file's mode."""
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


def create_ledger_engine(url: str, *, busy_seconds: float = SQLITE_BUSY_SECONDS) -> Engine:
    parsed = _parse(url)
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise LedgerError(_("{backend} is not supported: use SQLite or PostgreSQL").format(backend=parsed.get_backend_name()))
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            folder = Path(parsed.database).parent
            try:
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # the ledger holds contacts and tokens
                _private_file(Path(parsed.database))
            except OSError as error:
                if folder.exists() and not folder.is_dir():
                    reason = _("it is a file, not a folder")
                elif folder.is_dir():
                    reason = _("cannot write in it: {error}").format(error=error.strerror)
                else:
                    reason = _("cannot create it: {error}").format(error=error.strerror)
                raise unusable_folder(folder, reason) from None
        engine = create_engine(url, connect_args={"timeout": busy_seconds})
        event.listen(engine, "connect", lambda conn, record: _sqlite_pragmas(conn, busy_seconds))
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    engine = create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    event.listen(engine, "connect", _postgresql_settings)
    return engine


def _postgresql_settings(dbapi_connection: psycopg.Connection, record: object) -> None:
    # The status SQL's correlated subqueries look costly to the planner, which then JIT-compiles a
    # province's summary for most of a second to save milliseconds: the ledger's queries never gain by it.
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    dbapi_connection.commit()


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, busy_seconds: float) -> None:
    # Let SQLAlchemy, not the sqlite3 module, issue BEGIN (see _sqlite_begin_immediate).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
    cursor.close()


READ_ONLY = "commplan_read_only"


def _sqlite_begin_immediate(connection: Connection) -> None:
    # A writer takes the write lock at BEGIN, so two writers queue instead of failing
    # mid-transaction; a reader begins deferred and, in WAL mode, never waits for a writer.
    if connection.get_execution_options().get(READ_ONLY):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextlib.contextmanager
def translated_errors(url: str) -> Iterator[None]:
    """Turn driver errors into `LedgerError`s that name the database and the remedy."""
    where = describe_url(url)
    try:
        yield
    except exc.OperationalError as error:
        text = str(error.orig)
        if "locked" in text or "busy" in text:
            raise LedgerUnavailable(_("{database} is busy: another commplan command is writing to it. Try again.").format(
                database=where)) from None
        if "unable to open" in text or "readonly" in text:
            database = make_url(url).database
            if database:
                raise LedgerUnavailable(str(unusable_folder(Path(database).parent, text.strip().splitlines()[0]))) from None
            raise LedgerUnavailable(_("cannot open {database}: check that its folder exists and is writable.").format(
                database=where)) from None
        if "connection" in text.lower() or "connect" in text.lower():
            raise LedgerUnavailable(_("cannot connect to {database}: {error}").format(
                database=where, error=text.strip().splitlines()[0])) from None
        raise LedgerUnavailable(f"{where}: {text.strip().splitlines()[0]}") from None
    except (exc.IntegrityError, exc.DataError) as error:
        first = str(error.orig).strip().splitlines()[0]
        raise LedgerRefused(_("{database} refused the change: {error}").format(database=where, error=first)) from None
    except exc.DatabaseError as error:
        text = str(error.orig)
        if "not a database" in text or "malformed" in text:
            raise LedgerError(_("{database} is damaged or is not a commplan database ({error}).").format(
                database=where, error=text)) from None
        raise


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None  # the package ships its migrations
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect().execution_options(**{READ_ONLY: True}) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (newest by default), under a cross-process lock."""
    with _migration_lock(engine):
        current = current_revision(engine)
        if revision == "head" and current == head_revision():
            return
        known = {script.revision for script in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}
        if current is not None and current not in known:
            raise LedgerError(
                _("{database} has schema {revision}, written by a newer commplan (this one knows up to {head}): "
                  "upgrade commplan").format(database=describe_url(str(engine.url)), revision=current, head=head_revision())
            )
        with _schema_transaction(engine) as connection:
            command.upgrade(_alembic_config(connection), revision)


@contextlib.contextmanager
def _schema_transaction(engine: Engine) -> Iterator:
    """The migrations' transaction. On SQLite, foreign keys are off while it runs: changing a
    constraint rebuilds the table (copy, drop, rename), and the drop is refused while other rows
    refer to it. They are checked before the commit instead (a pragma cannot change inside a transaction)."""
    if engine.dialect.name != "sqlite":
        with engine.begin() as connection:
            yield connection
        return
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        assert raw is not None  # an open connection has one (sqlite3's)
        raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                yield connection
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise LedgerError(_("{database}: the upgrade would leave {count} rows pointing at nothing (first: "
                                        "{first}); nothing was changed").format(
                        database=describe_url(str(engine.url)), count=len(broken), first=tuple(broken[0])))
        finally:
            raw.execute("PRAGMA foreign_keys=ON")


@contextlib.contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")
            try:
                yield
            finally:
                connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")
                connection.commit()
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    try:
        lock = os.fdopen(os.open(f"{database}.migrate.lock", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "a")
    except OSError as error:  # a read-only, missing or special folder (/proc, a file): one line, no traceback
        raise unusable_folder(Path(database).parent, _("cannot write in it: {error}").format(error=error.strerror)) from None
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
