"""Outbox faults with real worker processes (issue 8, items 5, 6 and 7): a newer event type
meets an older worker, a worker is SIGKILLed mid-batch, the database goes away and comes back."""

from __future__ import annotations

import itertools
import socket
import threading
import time
import uuid

import pytest
from sqlalchemy.orm import defer

from rental.extensions import db
from rental.shared import outbox
from rental.shared.db import unit_of_work
from rental.shared.outbox import OutboxMessageEntity
from rental.shared.time_range import utcnow
from tests.support.databases import migrate
from tests.support.outbox_counts import delivery_counts, processed_count
from tests.support.private_postgres import NO_SERVER_BINARIES, PrivatePostgres, postgres_bin
from tests.support.probe import HANDLERS, ProbeEvent, create_probe_table
from tests.support.processes import kill_worker_at_gate, start_worker, wait_until

pytestmark = pytest.mark.slow
PROBE = {"RENTAL_PLUGINS": "tests.support.probe", "OUTBOX_POLL_SECONDS": "0.2"}


@pytest.fixture
def probe_db(app):
    create_probe_table(db.engine)
    return app


def publish(*events: ProbeEvent) -> None:
    with unit_of_work():
        for e in events:
            outbox.record(e)


def message(message_id: int) -> OutboxMessageEntity:
    found = db.session.get(
        OutboxMessageEntity,
        message_id,
        populate_existing=True,
        options=[defer(OutboxMessageEntity.payload)],
    )
    db.session.expunge_all()
    db.session.rollback()
    return found


def test_an_event_type_an_older_worker_does_not_know_waits_for_a_worker_that_does(
    probe_db, database_url, logs_dir
):
    # A newer release recorded ProbeFutureEvent; this test process and the first worker are
    # the older release and do not know it.
    now = utcnow()
    with unit_of_work() as session:
        future = OutboxMessageEntity(
            event_type="ProbeFutureEvent",
            schema_version=1,
            payload={"n": 7},
            occurred_at=now,
            available_at=now,
            attempts=0,
        )
        session.add(future)
        session.flush()
        future_id = future.id
    publish(ProbeEvent(n=1))

    old = start_worker(database_url, logs_dir, name="worker-old", **PROBE)
    try:
        wait_until(lambda: processed_count() == 1, timeout=60, message="known event not handled")
        wait_until(lambda: message(future_id).unknown_type_at is not None, timeout=60)
        publish(ProbeEvent(n=2))  # the old worker keeps polling: more of what it knows flows
        wait_until(lambda: processed_count() == 2, timeout=60)
    finally:
        assert old.stop() == 0, old.log()
    left = message(future_id)
    assert left.processed_at is None and left.dead_at is None and left.attempts == 0
    assert old.log().count("'ProbeFutureEvent', which this worker does not know") == 1

    new = start_worker(
        database_url,
        logs_dir,
        name="worker-new",
        RENTAL_PLUGINS="tests.support.probe,tests.support.probe_future",
        OUTBOX_POLL_SECONDS="0.2",
    )
    try:
        wait_until(lambda: processed_count() == 3, timeout=60, message="new worker idle")
    finally:
        assert new.stop() == 0, new.log()
    delivered = message(future_id)
    assert delivered.processed_at is not None and delivered.unknown_type_at is None
    assert delivery_counts()[(7, "probe.future")] == 1
    assert "does not know" not in new.log()


def test_a_worker_killed_mid_batch_loses_nothing_and_its_lease_runs_out(
    probe_db, database_url, logs_dir, tmp_path
):
    gate = tmp_path / "gate"
    gate.touch()
    publish(ProbeEvent(n=1, block_file=str(gate)), ProbeEvent(n=2), ProbeEvent(n=3))
    lease = {"OUTBOX_LEASE_SECONDS": "2", "OUTBOX_HEARTBEAT_SECONDS": "0.5", **PROBE}
    kill_worker_at_gate(gate, database_url, logs_dir, "worker-doomed", **lease)
    assert processed_count() == 0

    survivor = start_worker(database_url, logs_dir, name="worker-survivor", **lease)
    try:
        wait_until(lambda: processed_count() == 3, timeout=60, message="messages were lost")
    finally:
        assert survivor.stop() == 0, survivor.log()
    counts = delivery_counts()
    assert len(counts) == 3 * len(HANDLERS) and set(counts.values()) == {1}


class ConnectionCounter:
    """Listens on the stopped server's port and hangs up on every connection, recording when
    the worker tried: the test sees the worker's retries without guessing at timing."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.attempts: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.sock.accept()
            except TimeoutError:
                continue
            now = time.monotonic()
            # One failure may open two connections in a row (the query, then the check that
            # the database is really gone): count each burst as one try.
            if not self.attempts or now - self.attempts[-1] > 0.1:
                self.attempts.append(now)
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.mark.skipif(postgres_bin() is None, reason=NO_SERVER_BINARIES)
def test_the_worker_survives_a_database_outage_and_reconnects_by_itself(tmp_path, logs_dir):
    from rental import create_app

    cluster = PrivatePostgres().init()
    worker = None
    try:
        cluster.start()
        url = cluster.create_database(f"rental_{uuid.uuid4().hex[:8]}")
        migrate(url)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
        with app.app_context():
            create_probe_table(db.engine)
            publish(ProbeEvent(n=1))
            worker = start_worker(url, logs_dir, name="worker-outage", **PROBE)
            wait_until(lambda: processed_count() == 1, timeout=60, message="not delivered")

            cluster.stop()
            listener = ConnectionCounter(cluster.port)
            try:
                # The worker keeps trying, less and less often, without a traceback per poll.
                # (The exact schedule is unit-tested on a fake clock, tests/unit/
                # test_worker_outage.py; here five tries leave a wide margin — the last gap is
                # ~8 poll intervals, the first ~1 — for a busy machine delaying a probe.)
                wait_until(lambda: len(listener.attempts) >= 5, timeout=60)
                tries = listener.attempts[:5]
                gaps = [b - a for a, b in itertools.pairwise(tries)]
                assert gaps[-1] > 1.5 * gaps[0], gaps  # backing off, not polling
            finally:
                listener.close()
            assert worker.popen.poll() is None, worker.log()
            log = worker.log()
            assert log.count("database unavailable") == 1, log
            assert "Traceback" not in log, log

            cluster.start()
            wait_until(lambda: "database reachable again" in worker.log(), timeout=60)
            db.session.remove()
            publish(ProbeEvent(n=2))
            wait_until(lambda: processed_count() == 2, timeout=60, message="not after outage")
            assert worker.stop() == 0, worker.log()
            log = worker.log()
            assert log.count("database unavailable") == 1 and "Traceback" not in log, log
            assert set(delivery_counts().values()) == {1}
            db.session.remove()
            db.engine.dispose()
    finally:
        if worker is not None:
            worker.stop()
        cluster.remove()
