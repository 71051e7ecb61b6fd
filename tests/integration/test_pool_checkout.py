"""A pooled PostgreSQL connection that the server closed while it sat in the pool (a restart,
a failover, `pg_terminate_backend`, an idle timeout) is replaced when it is checked out, and a
live one is handed out as it is (rental.shared.db._replace_if_dropped, which stands in for a
ping on every checkout). The whole-server restart is in test_outage.py."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from rental.extensions import db
from tests.support.databases import one_connection_engine
from tests.support.processes import wait_until


def _backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _running(pid: int) -> bool:
    with db.engine.connect() as connection:
        found = connection.execute(
            text("SELECT 1 FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
        ).first()
    return found is not None


def test_a_connection_the_server_ended_in_the_pool_is_replaced_and_a_live_one_kept(app, backend):
    if backend != "postgresql":
        pytest.skip("a SQLite connection has no server to lose")
    # One pooled connection, set up as the app's engine is: every checkout gets that one.
    engine = one_connection_engine(db.engine.url.render_as_string(hide_password=False))
    try:
        pid = _backend_pid(engine)
        assert _backend_pid(engine) == pid  # alive: kept, not reconnected
        with db.engine.connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            admin.commit()
        wait_until(lambda: not _running(pid), message=f"backend {pid} did not end")
        replaced = _backend_pid(engine)  # no error: the dead one was noticed at checkout
        assert replaced != pid
        assert _backend_pid(engine) == replaced
    finally:
        engine.dispose()
