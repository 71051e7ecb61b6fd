"""A gate between the live web processes' requests and the test's wipe, on PostgreSQL.

Why: after an end-to-end test the database is emptied (one TRUNCATE of every table that
holds rows), while the real gunicorn process may still be serving the browser's last request.
The wipe takes its locks table by table and a request takes its locks in its own order, so the
two could deadlock; PostgreSQL then aborted one of them (the wipe, at times), the data stayed
and the next test failed. Retrying only made that rarer.

How: every request of a process that loaded the probe plugin first takes a *shared* advisory
lock on GATE (on a connection of its own, so the request's transactions do not matter) and
lets it go only after its own session has ended. The wipe takes the same lock *exclusively*
before it wipes and keeps it until the wipe has committed. So the wipe waits for the
requests in flight, holds new ones back in their first step (before they have touched a
table: PostgreSQL queues a new shared request behind a waiting exclusive one), and never
meets a request holding table locks — the cycle a deadlock needs cannot form. The wait is
bounded by `lock_timeout`, so a request that never ends fails the wipe instead of hanging.

The worker process does not pass the gate: the live server stops it before wiping.
SQLite needs none of this (one writer at a time, waiting on its busy timeout); production
code never sees it, as only the test-only probe plugin installs it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, g
from sqlalchemy import Connection, Engine, text

from rental.shared.db import db

# The two-integer form of advisory keys: a key space apart from the bigint keys the booking
# module locks with, so the gate can never collide with them. 0x52454E54 is "RENT".
GATE = {"space": 0x52454E54, "key": 1}
WIPE_LOCK_TIMEOUT = "60s"


def init_app(app: Flask) -> None:
    """Install the gate on `app`'s requests (PostgreSQL only)."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return
    # First of the before_request hooks, so no other hook touches the database before it;
    # and the last of the teardown hooks (they run in reverse order), after Flask-SQLAlchemy
    # has ended the request's session.
    app.before_request_funcs.setdefault(None, []).insert(0, _enter)
    app.teardown_appcontext_funcs.insert(0, _leave)


def _enter() -> None:
    connection = db.engine.connect()
    try:
        connection.execute(text("SELECT pg_advisory_lock_shared(:space, :key)"), GATE)
        connection.commit()  # the session-level lock outlives the transaction
    except BaseException:
        connection.invalidate()  # a lock of a lost session is gone with it
        connection.close()
        raise
    g._request_gate = connection


def _leave(_error: BaseException | None = None) -> None:
    connection: Connection | None = g.pop("_request_gate", None)
    if connection is None:
        return
    db.session.remove()  # the request's own transaction (and its table locks) ends first
    try:
        connection.execute(text("SELECT pg_advisory_unlock_shared(:space, :key)"), GATE)
        connection.commit()
    except Exception:
        connection.invalidate()  # never hand a connection that may hold the lock to the pool
    finally:
        connection.close()


@contextmanager
def closed(engine: Engine) -> Iterator[None]:
    """Hold the gate shut for the block: wait for the requests in flight and keep new ones
    waiting until the block has ended (so a wipe inside it must have committed)."""
    if engine.dialect.name != "postgresql":
        yield
        return
    connection = engine.connect()
    try:
        with connection.begin():
            connection.execute(text(f"SET LOCAL lock_timeout = '{WIPE_LOCK_TIMEOUT}'"))
            connection.execute(text("SELECT pg_advisory_lock(:space, :key)"), GATE)
        try:
            yield
        finally:
            with connection.begin():
                connection.execute(text("SELECT pg_advisory_unlock(:space, :key)"), GATE)
    except BaseException:
        connection.invalidate()
        raise
    finally:
        connection.close()
