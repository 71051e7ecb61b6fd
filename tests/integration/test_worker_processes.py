"""The worker as a real process: several of them side by side, and a graceful SIGTERM."""

from __future__ import annotations

import signal
from collections import Counter

import pytest
from sqlalchemy import func, select

from rental.extensions import db
from rental.shared import outbox
from rental.shared.db import unit_of_work
from rental.shared.outbox import OutboxMessageEntity
from tests.support.probe import HANDLERS, ProbeEvent, create_probe_table, probe_deliveries
from tests.support.processes import start_worker, wait_until

pytestmark = pytest.mark.slow
PLUGIN = {"RENTAL_PLUGINS": "tests.support.probe", "OUTBOX_POLL_SECONDS": "0.2"}


@pytest.fixture
def probe_db(app):
    create_probe_table(db.engine)
    return app


def publish(count: int, **fields) -> None:
    with unit_of_work():
        for n in range(count):
            outbox.record(ProbeEvent(n=n, **fields))


def processed_count() -> int:
    count = db.session.scalar(
        select(func.count()).where(OutboxMessageEntity.processed_at.is_not(None))
    )
    db.session.rollback()
    return count


def delivery_counts() -> Counter:
    rows = db.session.execute(select(probe_deliveries.c.n, probe_deliveries.c.handler)).all()
    db.session.rollback()
    return Counter((n, h) for n, h in rows)


def test_two_workers_drain_1000_messages_delivering_each_exactly_once_per_handler(
    probe_db, backend, database_url, logs_dir
):
    if backend != "postgresql":
        pytest.skip("several workers side by side is a PostgreSQL feature (SKIP LOCKED)")
    publish(1000)
    workers = [
        start_worker(database_url, logs_dir, name=f"worker-{i}", OUTBOX_BATCH_SIZE="50", **PLUGIN)
        for i in range(2)
    ]
    try:
        wait_until(lambda: processed_count() == 1000, timeout=120, message="outbox not drained")
    finally:
        codes = [w.stop() for w in workers]
    assert codes == [0, 0], [w.log() for w in workers]
    counts = delivery_counts()
    assert len(counts) == 1000 * len(HANDLERS)
    assert set(counts.values()) == {1}, "some message was delivered twice to one handler"
    # Both workers took part (otherwise this test would not show anything about concurrency).
    pids = db.session.execute(select(func.count(func.distinct(probe_deliveries.c.pid)))).scalar()
    assert pids == 2


def test_sigterm_during_a_batch_finishes_it_and_loses_nothing(probe_db, database_url, logs_dir):
    publish(20, sleep_ms=100)  # 2 handlers x 20 messages x 0.1 s: a batch takes ~4 s
    worker = start_worker(database_url, logs_dir, name="worker-sigterm", **PLUGIN)
    wait_until(lambda: sum(delivery_counts().values()) >= 4, timeout=30)
    worker.popen.send_signal(signal.SIGTERM)
    assert worker.popen.wait(timeout=30) == 0, worker.log()
    assert "finishing the current batch" in worker.log()
    # The batch in progress was completed before exiting.
    assert processed_count() == 20
    counts = delivery_counts()
    assert len(counts) == 40 and set(counts.values()) == {1}
