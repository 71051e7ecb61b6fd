"""Outbox throughput and wake-up latency with real worker processes (issue 15, target 4).

    .venv/bin/python benchmarks/outbox_throughput.py [--events 100000] [--workers 1,2]
        [--commits 200] [--sqlite-poll 0.5] [--batch-size N] [--group-size N]
        [--backends sqlite,postgresql]

Per backend (SQLite always; PostgreSQL when there is a server) on a fresh,
migrated database, with the test-only plugin tests/support/outbox_bench.py loaded:

- throughput: the workers are started and idle; N `BenchNoop` messages (one no-op subscriber)
  are bulk-inserted in one transaction (on PostgreSQL its commit notifies the workers);
  events/s = N / (last processed_at − commit). Run with 1 worker, then 2.
- latency: one idle worker; 200 times, one `BenchPing` is recorded through `outbox.record` in
  its own transaction and the next one waits until it was handled. Latency = the handler's
  start (it writes time.time()) − the moment just before the commit. PostgreSQL: the worker
  polls once an hour, so every wake-up is a NOTIFY; SQLite: it polls every --sqlite-poll s and
  each commit comes at a random point of the interval.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import delete, func, insert, select, text

from benchmarks._support import backends as available_backends
from benchmarks._support import scratch_database
from rental import create_app
from rental.extensions import db
from rental.shared import outbox
from rental.shared.db import unit_of_work
from rental.shared.outbox import NOTIFY_CHANNEL, InboxEntity, OutboxMessageEntity
from rental.shared.time_range import utcnow
from tests.support.databases import migrate
from tests.support.outbox_bench import BenchPing, bench_metadata, bench_pings
from tests.support.processes import Proc, start_worker, wait_until

PLUGIN = "tests.support.outbox_bench"


def _options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=5000, help="backlog size (issue: 100000)")
    parser.add_argument("--workers", default="1,2", help="worker counts to drain with")
    parser.add_argument("--commits", type=int, default=200, help="latency samples")
    parser.add_argument("--sqlite-poll", type=float, default=0.5, help="SQLite poll interval, s")
    parser.add_argument("--batch-size", type=int, help="OUTBOX_BATCH_SIZE (default: the app's)")
    parser.add_argument("--group-size", type=int, help="OUTBOX_GROUP_SIZE (default: the app's)")
    parser.add_argument(
        "--backends", default="sqlite,postgresql", help="PostgreSQL only when its URL is set"
    )
    parser.add_argument("--quick", action="store_true", help="short runs (make bench --quick)")
    args = parser.parse_args(argv)
    if args.quick:
        args.events, args.commits = min(args.events, 2000), min(args.commits, 50)
    return args


def _worker_env(options: argparse.Namespace, **extra: str) -> dict[str, str]:
    env = {"RENTAL_PLUGINS": PLUGIN, **extra}
    if options.batch_size:
        env["OUTBOX_BATCH_SIZE"] = str(options.batch_size)
    if options.group_size:
        env["OUTBOX_GROUP_SIZE"] = str(options.group_size)
    return env


def _listeners() -> int:
    count = db.session.execute(
        text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND query = :q"
        ),
        {"q": f"LISTEN {NOTIFY_CHANNEL}"},
    ).scalar_one()
    db.session.rollback()
    return count


def _start(url: str, logs: Path, backend: str, count: int, name: str, **env: str) -> list[Proc]:
    workers = [start_worker(url, logs, name=f"{name}-{i}", **env) for i in range(count)]
    for worker in workers:
        wait_until(lambda w=worker: "worker started" in w.log(), timeout=120)
    if backend == "postgresql":
        wait_until(lambda: _listeners() >= count, timeout=60, message="workers not listening")
    return workers


def _stop(workers: list[Proc]) -> None:
    for worker in workers:
        worker.stop()


def _processed() -> tuple[int, float | None]:
    m = OutboxMessageEntity
    done, last = db.session.execute(
        select(func.count(), func.max(m.processed_at)).where(m.processed_at.is_not(None))
    ).one()
    db.session.rollback()
    if last is not None and isinstance(last, str):  # SQLite hands aggregates back as text
        from datetime import UTC, datetime

        last = datetime.fromisoformat(last).replace(tzinfo=UTC)
    return done, (last.timestamp() if last is not None else None)


def _clear() -> None:
    with unit_of_work() as session:
        session.execute(delete(InboxEntity))
        session.execute(delete(OutboxMessageEntity))
        session.execute(delete(bench_pings))


def throughput(
    url: str, logs: Path, backend: str, options: argparse.Namespace, count: int
) -> tuple[float, float]:
    """Seconds to drain the backlog with `count` workers, and events/s."""
    env = _worker_env(options, OUTBOX_POLL_SECONDS="0.2")
    workers = _start(url, logs, backend, count, f"drain-{backend}-{count}", **env)
    try:
        now = utcnow()
        rows = [
            {
                "event_type": "BenchNoop",
                "schema_version": 1,
                "payload": {"n": n},
                "occurred_at": now,
                "available_at": now,
                "attempts": 0,
            }
            for n in range(options.events)
        ]
        with unit_of_work() as session:
            for start in range(0, len(rows), 10_000):
                session.execute(insert(OutboxMessageEntity.__table__), rows[start : start + 10_000])
        committed = time.time()
        wait_until(
            lambda: _processed()[0] == options.events,
            timeout=max(120, options.events / 100),
            interval=0.2,
            message="backlog not drained",
        )
        last = _processed()[1]
    finally:
        _stop(workers)
    assert last is not None
    seconds = last - committed
    _clear()
    return seconds, options.events / seconds


def latency(url: str, logs: Path, backend: str, options: argparse.Namespace) -> list[float]:
    """Milliseconds from just before each commit to the start of its handler."""
    poll = "3600" if backend == "postgresql" else str(options.sqlite_poll)
    env = _worker_env(options, OUTBOX_POLL_SECONDS=poll)
    workers = _start(url, logs, backend, 1, f"latency-{backend}", **env)
    samples = []
    try:
        for n in range(options.commits):
            with unit_of_work():
                outbox.record(BenchPing(n=n))
                before_commit = time.time()

            def started(n: int = n) -> float | None:
                at = db.session.scalar(select(bench_pings.c.started_at).where(bench_pings.c.n == n))
                db.session.rollback()
                return at

            at = wait_until(started, timeout=60, interval=0.002, message="ping not handled")
            samples.append((at - before_commit) * 1000)
            # The worker goes back to waiting; on SQLite the next commit comes at a random
            # point of its poll interval (right after a poll would measure the worst case only).
            gap = random.uniform(0, float(poll)) if backend == "sqlite" else 0
            time.sleep(0.02 + gap)
    finally:
        _stop(workers)
    _clear()
    return samples


def bench(backend: str, options: argparse.Namespace) -> tuple[list[str], list[str]]:
    drains, waits = [], []
    with (
        tempfile.TemporaryDirectory() as tmp,
        scratch_database(backend, "outbox") as url,
    ):
        logs = Path(tmp)
        migrate(url)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            bench_metadata.create_all(db.engine)
            for count in [int(c) for c in options.workers.split(",")]:
                seconds, rate = throughput(url, logs, backend, options, count)
                drains.append(
                    f"| {backend} | {options.events} | {count} | {seconds:.2f} | {rate:,.0f} |"
                )
            samples = sorted(latency(url, logs, backend, options))
            p95 = samples[max(int(len(samples) * 0.95) - 1, 0)]
            how = (
                "NOTIFY (poll 3600 s)"
                if backend == "postgresql"
                else (f"poll {options.sqlite_poll:g} s")
            )
            waits.append(
                f"| {backend} | {how} | {len(samples)} | {statistics.median(samples):.1f} "
                f"| {p95:.1f} | {samples[-1]:.1f} |"
            )
            db.session.remove()
            db.engine.dispose()
    return drains, waits


def main(argv: list[str] | None = None) -> list[str]:
    options = _options(argv)
    wanted = options.backends.split(",")
    backends = [b for b in available_backends() if b in wanted]
    drains, waits = [], []
    for backend in backends:
        d, w = bench(backend, options)
        drains += d
        waits += w
    return [
        "Outbox drain: no-op handler, backlog bulk-inserted while the workers idle",
        "",
        "| backend | events | workers | seconds | events/s |",
        "|---|---:|---:|---:|---:|",
        *drains,
        "",
        "Outbox wake-up: commit → handler start, one idle worker",
        "",
        "| backend | wake-up | commits | p50 ms | p95 ms | max ms |",
        "|---|---|---:|---:|---:|---:|",
        *waits,
    ]


if __name__ == "__main__":
    print("\n".join(main(sys.argv[1:])))
