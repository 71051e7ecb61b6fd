"""`read_plain_scalar` (rental.shared.db): a request's one small read on a pooled connection of
its own, past the ORM (a kept page's reference token). It must answer what the session would,
hand the pool back its connection as it came (transactional on PostgreSQL, never left in
autocommit), and fail as SQLAlchemy fails: the same error classes, a bug not taken for an
outage, the connection that failed discarded."""

from __future__ import annotations

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import bindparam, column, select, table, text
from sqlalchemy import exc as sa_exc

from rental.extensions import db
from rental.shared.db import is_outage, read_plain_scalar, unit_of_work
from rental.shared.reference_cache import CacheGeneration
from tests.support.databases import one_connection_engine

TOKEN = select(CacheGeneration.token).where(CacheGeneration.name == bindparam("name"))
MISSING = select(column("x")).select_from(table("no_such_table"))


@pytest.fixture
def one_connection(app):
    """An engine set up as the app's, with one pooled connection: every checkout gets it."""
    engine = one_connection_engine(db.engine.url.render_as_string(hide_password=False))
    yield engine
    engine.dispose()


def _pid_and_status(engine) -> tuple[int, TransactionStatus]:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        info = connection.connection.driver_connection.info
        return info.backend_pid, info.transaction_status


def test_it_reads_what_the_session_reads(app, one_connection):
    with unit_of_work() as session:
        session.add(CacheGeneration(name="plain-read", token="abc123"))
    assert read_plain_scalar(one_connection, TOKEN, {"name": "plain-read"}) == "abc123"
    assert read_plain_scalar(one_connection, TOKEN, {"name": "nobody"}) is None


def test_the_pool_gets_the_connection_back_transactional(app, backend, one_connection):
    if backend != "postgresql":
        pytest.skip("SQLite's connections are in autocommit anyway: SQLAlchemy sends BEGIN")
    read_plain_scalar(one_connection, TOKEN, {"name": "anything"})
    pid, status = _pid_and_status(one_connection)
    assert status is TransactionStatus.INTRANS  # not left in autocommit: writes stay atomic
    read_plain_scalar(one_connection, TOKEN, {"name": "anything"})
    assert _pid_and_status(one_connection)[0] == pid  # a read that worked keeps its connection


def test_a_failed_read_is_sqlalchemys_error_not_an_outage_and_its_connection_is_dropped(
    app, backend, one_connection
):
    before = _pid_and_status(one_connection)[0] if backend == "postgresql" else None
    with pytest.raises(sa_exc.DBAPIError) as failed:
        read_plain_scalar(one_connection, MISSING, {})
    assert "no_such_table" in str(failed.value)
    assert not is_outage(failed.value)  # a bug answers 500 with its traceback, not 503
    if backend == "postgresql":
        pid, status = _pid_and_status(one_connection)
        assert pid != before and status is TransactionStatus.INTRANS
