"""Waiting, on PostgreSQL, until a session waits for a lock — asked of the server
(pg_stat_activity), not guessed with a sleep: how the race tests know their second session is
blocked before they let the first one go.

    waiting = wait_until_blocked(db.engine, query_like="crm_loyalty", thread=worker)
    assert waiting, "the second completion must wait for the loyalty row"
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import Connection, Engine, create_engine, text

TIMEOUT = 60.0  # generous: a loaded CI machine is slow, a passing test returns at once
POLL = 0.01

_WAITERS = (
    "SELECT count(DISTINCT a.pid) FROM pg_stat_activity a "
    "WHERE a.datname = current_database() AND a.wait_event_type = 'Lock' "
    "AND a.pid <> pg_backend_pid()"
)


def lock_waiters(
    connection: Connection,
    *,
    query_like: str | None = None,
    wait_event: str | None = None,
    pid: int | None = None,
) -> int:
    """Sessions of this database (other tests may share the server) waiting for a lock right
    now — those whose statement contains `query_like`, waiting for a `wait_event` lock
    ("advisory", "transactionid"…), or the backend `pid`, when given. Fresh statistics even
    inside a transaction (pg_stat_clear_snapshot)."""
    sql, params = _WAITERS, {}
    if query_like is not None:
        sql, params["like"] = sql + " AND a.query ILIKE :like", f"%{query_like}%"
    if wait_event is not None:
        sql, params["event"] = sql + " AND a.wait_event = :event", wait_event
    if pid is not None:
        sql, params["pid"] = sql + " AND a.pid = :pid", pid
    connection.execute(text("SELECT pg_stat_clear_snapshot()"))
    return int(connection.execute(text(sql), params).scalar_one())


def wait_until_blocked(
    bind: Engine | Connection | str,
    *,
    count: int = 1,
    query_like: str | None = None,
    wait_event: str | None = None,
    pid: int | None = None,
    thread: threading.Thread | None = None,
    timeout: float = TIMEOUT,
) -> int:
    """Poll until at least `count` sessions wait for a lock (see lock_waiters for the
    filters); the number seen then. Returns early (a smaller number, for the caller's assert)
    when `timeout` passes or `thread` — the worker expected to block — has ended instead.

    `bind`: an engine or a URL (a connection of its own, in autocommit), or a connection —
    say the one holding the lock, in its transaction, which this leaves open."""
    if isinstance(bind, Connection):
        return _poll(bind, count, query_like, wait_event, pid, thread, timeout)
    engine = create_engine(bind) if isinstance(bind, str) else bind
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            return _poll(connection, count, query_like, wait_event, pid, thread, timeout)
    finally:
        if isinstance(bind, str):
            engine.dispose()


def _poll(
    connection: Connection,
    count: int,
    query_like: str | None,
    wait_event: str | None,
    pid: int | None,
    thread: threading.Thread | None,
    timeout: float,
) -> int:
    deadline = time.monotonic() + timeout
    while True:
        waiting = lock_waiters(connection, query_like=query_like, wait_event=wait_event, pid=pid)
        if waiting >= count or time.monotonic() >= deadline:
            return waiting
        if thread is not None:
            if not thread.is_alive():
                return waiting
            thread.join(POLL)  # returns at once when the worker ends
        else:
            time.sleep(POLL)
