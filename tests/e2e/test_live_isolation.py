"""The live server's wipe between tests and the web process's requests in flight (PostgreSQL):
the wipe waits for a request that is still running, holds back one that arrives meanwhile,
and neither deadlocks. No browser; every step waits for a state PostgreSQL reports."""

from __future__ import annotations

import fcntl
import threading
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select, text

from rental.extensions import db
from tests.support.probe import create_probe_table, probe_deliveries
from tests.support.processes import wait_until


class Call(threading.Thread):
    """Run `func` in a thread, keeping its result or error for the test to check."""

    def __init__(self, func) -> None:
        super().__init__(daemon=True)
        self.func = func
        self.result: object = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.func()
        except BaseException as error:  # reported by the test in outcome()
            self.error = error

    def outcome(self, timeout: float = 60) -> object:
        self.join(timeout)
        assert not self.is_alive(), "still running"
        if self.error is not None:
            raise self.error
        return self.result


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read().decode()


def gate_waiters() -> int:
    """Sessions of this database waiting for an advisory lock (the gate)."""
    count = db.session.execute(
        text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
        )
    ).scalar_one()
    db.session.rollback()
    return count


def test_the_wipe_waits_for_a_request_in_flight_and_holds_back_the_next_one(live_server, tmp_path):
    if not live_server.database_url.startswith("postgresql"):
        pytest.skip("the request gate is for PostgreSQL (SQLite has one writer at a time)")
    app = live_server.app
    with app.app_context():
        create_probe_table(db.engine)
    gate = tmp_path / "gate"
    gate.touch()
    with open(gate) as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        # 1. A request writes a row and stays in flight, its transaction open.
        first = Call(lambda: get(f"{live_server.url}/_probe/hold?n=1&gate={gate}"))
        first.start()
        wait_until(Path(f"{gate}.started").exists, message="the request never started")
        with app.app_context():
            # 2. The wipe starts and waits for it at the gate.
            wiping = Call(live_server.wipe)
            wiping.start()
            wait_until(lambda: gate_waiters() == 1, message="the wipe did not wait")
            # 3. A request that arrives now waits behind the wipe, before touching a table.
            second = Call(lambda: get(f"{live_server.url}/_probe/hold?n=2"))
            second.start()
            wait_until(lambda: gate_waiters() == 2, message="the next request was not held")
            assert wiping.is_alive() and first.is_alive() and second.is_alive()
        fcntl.flock(lock, fcntl.LOCK_UN)
    # 4. The first request finishes (and commits), then the wipe, then the second request.
    assert first.outcome() == "held 1"
    wiping.outcome()  # no deadlock, no lock timeout
    assert second.outcome() == "held 2"
    with app.app_context():
        rows = db.session.execute(select(probe_deliveries.c.n)).scalars().all()
        db.session.remove()
    # The first request's row was committed before the TRUNCATE and wiped with the rest; the
    # second one's came after it.
    assert rows == [2]
