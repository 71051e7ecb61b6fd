"""The worker as a real process: several of them side by side, and a graceful SIGTERM."""

from __future__ import annotations

import fcntl
import signal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from rental.extensions import db
from rental.shared import outbox
from rental.shared.db import unit_of_work
from tests.support.outbox_counts import delivery_counts, processed_count
from tests.support.probe import HANDLERS, ProbeEvent, create_probe_table, probe_deliveries
from tests.support.processes import start_worker, wait_until

pytestmark = pytest.mark.slow
PLUGIN = {"RENTAL_PLUGINS": "tests.support.probe", "OUTBOX_POLL_SECONDS": "0.2"}


@pytest.fixture
def probe_db(app):
    create_probe_table(db.engine)
    return app


def publish_with_gate(count: int, gated: int, gate: Path) -> None:
    """Messages n = 0…count-1; the handlers of message `gated` wait on `gate` (see block_on)."""
    with unit_of_work():
        for n in range(count):
            outbox.record(ProbeEvent(n=n, block_file=str(gate) if n == gated else None))


def started_pid(gate: Path) -> int | None:
    """The pid of the worker whose handler reached the gate, once it has."""
    started = Path(f"{gate}.started")
    lines = started.read_text().split() if started.exists() else []
    return int(lines[0]) if lines else None


def delivered_by_another_than(pid: int) -> bool:
    count = db.session.scalar(
        select(func.count()).select_from(probe_deliveries).where(probe_deliveries.c.pid != pid)
    )
    db.session.rollback()
    return count > 0


def test_two_workers_drain_1000_messages_delivering_each_exactly_once_per_handler(
    probe_db, backend, database_url, logs_dir, tmp_path
):
    if backend != "postgresql":
        pytest.skip("several workers side by side is a PostgreSQL feature (SKIP LOCKED)")
    gate = tmp_path / "gate"
    gate.touch()
    # Message 0 waits in whichever worker claims it until the other worker has delivered
    # something: both take part however fast either starts, not by the luck of scheduling.
    publish_with_gate(1000, gated=0, gate=gate)
    workers = []
    try:
        with open(gate) as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            workers += [
                start_worker(
                    database_url, logs_dir, name=f"worker-{i}", OUTBOX_BATCH_SIZE="50", **PLUGIN
                )
                for i in range(2)
            ]
            blocked = wait_until(lambda: started_pid(gate), timeout=60, message="no worker ran")
            wait_until(
                lambda: delivered_by_another_than(blocked),
                timeout=60,
                message="the second worker delivered nothing",
            )
        # Closing the file let the gate go.
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


def test_sigterm_during_a_batch_finishes_it_and_loses_nothing(
    probe_db, database_url, logs_dir, tmp_path
):
    gate = tmp_path / "gate"
    gate.touch()
    # One batch of 20 messages whose 11th waits on the gate: the SIGTERM comes mid-batch.
    publish_with_gate(20, gated=10, gate=gate)
    worker = None
    try:
        with open(gate) as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            # Each delivery committed on its own (PostgreSQL groups them by default), so the
            # first half of the batch is visible while the 11th message waits.
            worker = start_worker(
                database_url, logs_dir, name="worker-sigterm", OUTBOX_GROUP_SIZE="1", **PLUGIN
            )
            wait_until(lambda: started_pid(gate), timeout=60, message="the batch never started")
            assert sum(delivery_counts().values()) == 10 * len(HANDLERS)  # half of the batch
            worker.popen.send_signal(signal.SIGTERM)
            wait_until(lambda: "finishing the current batch" in worker.log(), timeout=30)
            assert processed_count() == 10  # the signal is in, the batch still half done
        # The gate is open again (the file is closed): the worker finishes the batch and exits.
        assert worker.popen.wait(timeout=30) == 0, worker.log()
    finally:
        if worker is not None:
            worker.stop()
    assert "finishing the current batch" in worker.log()
    # The batch in progress was completed before exiting.
    assert processed_count() == 20
    counts = delivery_counts()
    assert len(counts) == 40 and set(counts.values()) == {1}
