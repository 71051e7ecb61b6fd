"""Database plumbing shared by every module: the declarative base, the Flask-SQLAlchemy handle,
a UTC-preserving DateTime type, `unit_of_work` (the one way to run a state change), engine
set-up and telling a database outage from a bug."""

from __future__ import annotations

import functools
import logging
import os
import select
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Connection, DateTime, Engine, MetaData, event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes in, timezone-aware UTC datetimes out — also on SQLite,
    which stores no zone and would otherwise hand back naive values."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# --- transactions -------------------------------------------------------------------------------

P = ParamSpec("P")
R = TypeVar("R")

_depth: ContextVar[int] = ContextVar("unit_of_work_depth", default=0)
_write_intent: ContextVar[bool] = ContextVar("sqlite_write_intent", default=False)
_reads_only: ContextVar[bool] = ContextVar("reads_only", default=False)


def in_unit_of_work() -> bool:
    return _depth.get() > 0


_ON_COMMIT = "rentkit.add_on_commit"


def add_on_commit(session: Session, obj: object) -> None:
    """Add `obj` to the session when the current unit of work commits, not before.

    For append-only rows nothing in the transaction reads back (outbox messages): they are
    not flushed by every autoflush along the way but all together at the commit, so rows of
    one table become one multi-row INSERT. Gone with a rollback like everything else."""
    session.info.setdefault(_ON_COMMIT, []).append(obj)


def on_commit_count(session: Session) -> int:
    """How many objects wait for the commit (`add_on_commit`): what a savepoint remembers."""
    return len(session.info.get(_ON_COMMIT, ()))


def forget_on_commit(session: Session, keep: int) -> None:
    """Drop what `add_on_commit` got after the first `keep`: its savepoint was rolled back."""
    del session.info.get(_ON_COMMIT, [])[keep:]


@contextmanager
def unit_of_work(session: Session | None = None) -> Iterator[Session]:
    """Run a state change in one transaction: commit on success, roll back on any error.

    Nested calls join the outer transaction (a facade called from an event handler commits
    together with the handler's inbox row). On SQLite the transaction starts with
    BEGIN IMMEDIATE so writers queue for the lock up front instead of failing mid-way.
    """
    session = session or db.session()
    depth = _depth.get()
    if depth:
        token = _depth.set(depth + 1)
        try:
            yield session
        finally:
            _depth.reset(token)
        return
    if session.in_transaction():
        # Only reads can have happened outside a unit of work; start the write afresh.
        session.rollback()
    token = _depth.set(1)
    intent = _write_intent.set(True)
    session.info.pop(_ON_COMMIT, None)
    try:
        session.connection()  # begin now, so SQLite takes its write lock here
        _write_intent.reset(intent)
        intent = None
        yield session
        session.add_all(session.info.pop(_ON_COMMIT, []))
        session.commit()
    except BaseException:
        session.info.pop(_ON_COMMIT, None)
        session.rollback()
        raise
    finally:
        if intent is not None:
            _write_intent.reset(intent)
        _depth.reset(token)


@contextmanager
def independent_transaction(*, write: bool = True) -> Iterator[Connection]:
    """A short transaction on a connection of its own, apart from the request's session and any
    unit of work (rate-limit counters must count even when the request's work rolls back).
    Never call it inside a unit of work on SQLite: the outer write lock would block it."""
    token = _write_intent.set(write)
    try:
        with db.engine.begin() as conn:
            _write_intent.reset(token)
            token = None
            yield conn
    finally:
        if token is not None:
            _write_intent.reset(token)


def reads_only(view: Callable[P, R]) -> Callable[P, R]:
    """Mark a view that only reads (the catalog, a type's page, the availability answer): on
    PostgreSQL, the connections it takes outside a unit of work are in autocommit, so its reads
    cost no BEGIN and no ROLLBACK round trip (an availability check as a request makes it:
    5.2 -> 3.0 ms p50). Nothing else changes for a reader: at READ COMMITTED, the engine's
    level, every statement of a transaction sees its own snapshot anyway. A unit of work inside
    still gets a transaction (it takes its connection anew); a streamed read (`yield_per`)
    needs one, so a view that streams must not be marked."""

    @functools.wraps(view)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        token = _reads_only.set(True)
        try:
            return view(*args, **kwargs)
        finally:
            _reads_only.reset(token)

    return run


def read_columns(session: Session, statement: Any, params: dict[str, Any]) -> Any:
    """A select of plain columns run on the session's connection: its rows, past the ORM's
    result machinery (entities need it, columns do not; on the availability check's two reads
    it cost more than running them). Pending changes are flushed first, as `session.execute`
    would."""
    if session.autoflush:  # False inside `no_autoflush`, as session.execute reads it
        session.flush()
    return session.connection().execute(statement, params)


def read_plain_scalar(engine: Engine, statement: Any, values: dict[str, Any]) -> Any:
    """The first column of the first row of `statement` (a Core select of plain columns: no
    type conversion), on a pooled connection of its own, through the driver, outside any
    transaction. For a request's one small read when nothing else of it needs the database:
    the ORM session and SQLAlchemy's statement machinery cost more than such a read (a kept
    page's reference token: 0.46 → 0.35 ms per page in-process on SQLite, 0.66 → 0.47 ms on
    PostgreSQL). The engine's `before_cursor_execute` listeners hear of it (with no
    connection or context), so statement counts see it. A connection that failed is
    discarded, never pooled in another state than it came in; a driver error is raised as
    SQLAlchemy's (so `is_outage` tells an outage from a bug)."""
    sql, compiled = _plain_sql(engine.dialect, statement)
    params = compiled.construct_params(values)
    if compiled.positional:
        params = tuple(params[name] for name in compiled.positiontup or ())
    postgres = engine.dialect.name == "postgresql"
    try:
        raw = engine.raw_connection()
    except engine.dialect.loaded_dbapi.Error as error:  # cannot connect
        raise _as_sqlalchemy_error(engine, sql, params, error, None, None) from error
    cursor = None
    try:
        if postgres:
            raw.driver_connection.autocommit = True  # one read: no BEGIN, no ROLLBACK
        cursor = raw.cursor()
        if engine.dispatch.before_cursor_execute:
            engine.dispatch.before_cursor_execute(None, cursor, sql, params, None, False)
        cursor.execute(sql, params)
        row = cursor.fetchone()
        cursor.close()
        if postgres:
            raw.driver_connection.autocommit = False
    except BaseException as error:
        raw.invalidate(error if isinstance(error, Exception) else None)
        if isinstance(error, engine.dialect.loaded_dbapi.Error):
            wrapped = _as_sqlalchemy_error(
                engine, sql, params, error, raw.driver_connection, cursor
            )
            raise wrapped from error
        raise
    finally:
        raw.close()
    return None if row is None else row[0]


def _as_sqlalchemy_error(
    engine: Engine, sql: str, params: Any, error: Exception, connection: Any, cursor: Any
) -> sa_exc.DBAPIError:
    """`error` from the driver as SQLAlchemy raises it from a statement of its own."""
    return sa_exc.DBAPIError.instance(
        sql,
        params,
        error,
        engine.dialect.loaded_dbapi.Error,
        connection_invalidated=engine.dialect.is_disconnect(error, connection, cursor),
        dialect=engine.dialect,
    )


@functools.lru_cache(maxsize=64)
def _plain_sql(dialect: Any, statement: Any) -> tuple[str, Any]:
    compiled = statement.compile(dialect=dialect)
    return str(compiled), compiled


def is_postgres(session: Session | None = None) -> bool:
    session = session or db.session()
    return session.get_bind().dialect.name == "postgresql"


def database_unreachable(error: BaseException, engine: Engine | None = None) -> bool:
    """True when `error` came from losing the database (server down, connection dropped), as
    opposed to a statement that failed on a working database: an outage-shaped error (see
    `is_outage`) confirmed by failing to connect afresh, because drivers report both kinds
    with the same exception classes."""
    if not is_outage(error):
        return False
    try:
        with (engine or db.engine).connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        return True
    return False


def configure_engine(engine: Engine) -> None:
    """SQLite: a private file (0600), WAL, foreign keys, a busy timeout and explicit BEGIN
    (IMMEDIATE for writes). PostgreSQL: `reads_only` views read in autocommit, and a pooled
    connection the server dropped is replaced before it is used (`_replace_if_dropped`)."""
    if engine.dialect.name == "postgresql":
        event.listen(engine, "engine_connect", _autocommit_for_reads)
        event.listen(engine, "checkin", _note_checkin)
        event.listen(engine, "checkout", functools.partial(_replace_if_dropped, engine))
    if engine.dialect.name != "sqlite":
        return
    path = sqlite_file(engine)

    @event.listens_for(engine, "do_connect")
    def _private_file(*_args: Any) -> None:
        if path:
            make_private(path)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


def _autocommit_for_reads(connection: Connection) -> None:
    """A connection taken in a `reads_only` view, outside any unit of work or independent
    write: no transaction. The pool puts the level back when the connection returns."""
    if _reads_only.get() and not _depth.get() and not _write_intent.get():
        connection.execution_options(isolation_level="AUTOCOMMIT")


# A connection idle in the pool longer than this is pinged whatever its socket says: a server
# host that crashed and came back sent no goodbye (see `_replace_if_dropped`).
PING_AFTER_IDLE_SECONDS = 30.0
_CHECKED_IN = "rentkit.checked_in"


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info[_CHECKED_IN] = time.monotonic()


def _replace_if_dropped(engine: Engine, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Pool checkout (PostgreSQL), instead of SQLAlchemy's `pool_pre_ping`: that pings every
    checkout, one round trip and ~0.1 ms of CPU on every request, for the rare connection the
    server has closed (a restart, a failover, `pg_terminate_backend`, an idle timeout). A server
    that closes a connection says so on its socket (a FATAL message, then end of file), so an
    idle connection with something to read, or one idle longer than PING_AFTER_IDLE_SECONDS (a
    host that died without a word), is pinged; one that fails is replaced: DisconnectionError
    makes the pool connect afresh (and, when the server is down, that fails as an outage)."""
    checked_in = record.info.get(_CHECKED_IN)
    if checked_in is None:
        return  # just connected
    if time.monotonic() - checked_in < PING_AFTER_IDLE_SECONDS and not _has_input(dbapi_connection):
        return
    try:
        engine.dialect.do_ping(dbapi_connection)
    except engine.dialect.loaded_dbapi.Error as error:
        raise sa_exc.DisconnectionError(f"dropped while pooled: {error}") from error


def _has_input(dbapi_connection: Any) -> bool:
    """Bytes, end of file or an error waiting on an idle connection's socket (no system call
    waits: poll with a zero timeout)."""
    try:
        fd = dbapi_connection.fileno()
    except Exception:  # closed on our side
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


# --- the SQLite file is private -------------------------------------------------------------

_log = logging.getLogger(__name__)


def sqlite_file(engine: Engine) -> str | None:
    """The database file of a SQLite engine; None for in-memory and URI databases."""
    database = engine.url.database
    if not database or database == ":memory:" or engine.url.query.get("uri"):
        return None
    return database


def make_private(path: str) -> None:
    """Create the database file readable by its owner only (0600) before SQLite opens it —
    it holds customer data and password hashes. SQLite gives its -wal and -shm files the
    database file's mode. A file left group- or world-readable by an older version is
    tightened (with a warning)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for name in (path, f"{path}-wal", f"{path}-shm"):
            try:
                mode = os.stat(name).st_mode & 0o777
            except FileNotFoundError:
                continue
            if mode & 0o077:
                _log.warning("Database file %s was readable by others (%o); now 0600", name, mode)
                os.chmod(name, 0o600)
    except FileNotFoundError:
        return  # the folder is missing: let SQLite report it
    else:
        os.close(fd)


# --- outages --------------------------------------------------------------------------------

# SQLite reports a broken or busy database and a bad query with the same exception class.
_SQLITE_OUTAGE = (
    "unable to open database file",
    "database is locked",
    "database table is locked",
    "disk i/o error",
    "database or disk is full",
    "readonly database",
)


def describe_error(exc: BaseException) -> str:
    """The driver's message in one short line, for a log (no SQL, no parameters)."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return (text.splitlines() or [type(exc).__name__])[0][:300]


def is_outage(exc: BaseException) -> bool:
    """Is `exc` the database being unreachable or unable to serve right now (so the request
    may succeed later) rather than a bug? PostgreSQL: every operational or interface error
    from the driver — connection refused or lost, server shutting down or starting, too many
    connections, statement or lock timeouts; a full connection pool. SQLite: a file that
    cannot be opened, a lock held beyond the busy timeout, disk errors. Not outages: bad SQL,
    a missing table, constraint violations, data errors."""
    if isinstance(exc, sa_exc.TimeoutError):
        return True
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if isinstance(exc.orig, sqlite3.Error):
        message = str(exc.orig).lower()
        return isinstance(exc.orig, sqlite3.OperationalError) and any(
            text in message for text in _SQLITE_OUTAGE
        )
    return isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError)
