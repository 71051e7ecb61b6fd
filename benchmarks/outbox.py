"""Outbox admin queries and purge with a large processed history.

    .venv/bin/python benchmarks/outbox.py [--rows 1000000] [--runs 50]

Builds a fresh, migrated database per backend (SQLite always; PostgreSQL when
there is a server) holding N processed messages spread over the last 30 days,
100 pending and 20 dead, then times (p50 / p95 in ms):

- the old stats query (one pass of count(*) FILTER over the whole table) against `stats()`;
- `dead_messages()` with and without `ix_outbox_messages_dead` (dropped inside a transaction
  that is rolled back);
- one `purge_processed()` run (1,000 rows per transaction, at most 50,000 per run)."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select, text

from benchmarks._support import backends as found_backends
from benchmarks._support import scratch_database
from rental import create_app
from rental.extensions import db
from rental.shared.outbox import OutboxMessageEntity, OutboxProcessor, OutboxSettings
from tests.support.databases import migrate

FILL = {
    "postgresql": """
        INSERT INTO outbox_messages (event_type, schema_version, payload, occurred_at,
            available_at, attempts, processed_at, dead_at)
        SELECT 'ProbeEvent', 1, '{"n": 1}',
            now() - (g::bigint * 2592000 / :total) * interval '1 second',
            now() - (g::bigint * 2592000 / :total) * interval '1 second', 0,
            CASE WHEN g <= :processed
                THEN now() - (g::bigint * 2592000 / :total) * interval '1 second' END,
            CASE WHEN g > :processed + 100 THEN now() END
        FROM generate_series(1, :total) AS g""",
    "sqlite": """
        WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < :total)
        INSERT INTO outbox_messages (event_type, schema_version, payload, occurred_at,
            available_at, attempts, processed_at, dead_at)
        SELECT 'ProbeEvent', 1, '{"n": 1}',
            datetime('now', '-' || (n * 2592000 / :total) || ' seconds') || '.000000',
            datetime('now', '-' || (n * 2592000 / :total) || ' seconds') || '.000000', 0,
            CASE WHEN n <= :processed
                THEN datetime('now', '-' || (n * 2592000 / :total) || ' seconds') || '.000000' END,
            CASE WHEN n > :processed + 100 THEN datetime('now') || '.000000' END
        FROM g""",
}


def old_stats() -> tuple:
    m = OutboxMessageEntity
    pending = m.processed_at.is_(None) & m.dead_at.is_(None)
    return db.session.execute(
        select(
            func.count().filter(pending & (m.attempts == 0)),
            func.count().filter(pending & (m.attempts > 0)),
            func.count().filter(m.dead_at.is_not(None)),
            func.count().filter(m.processed_at.is_not(None)),
        )
    ).one()


def timed(call: Callable[[], object], runs: int, rollback: bool = True) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
        if rollback:
            db.session.rollback()
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def bench(backend: str, rows: int, runs: int) -> list[tuple[str, str, float, float]]:
    results = []
    with scratch_database(backend, "outbox") as url:
        migrate(url)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            with db.engine.begin() as connection:
                connection.execute(text(FILL[backend]), {"total": rows + 120, "processed": rows})
            # What autovacuum does to a real table: statistics, and (PostgreSQL) the visibility
            # map that lets count() read the index alone.
            maintenance = "VACUUM ANALYZE" if backend == "postgresql" else "ANALYZE"
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text(maintenance))
            processor = OutboxProcessor(OutboxSettings(retention_days=7))
            results.append((backend, "stats: old single full pass", *timed(old_stats, runs)))
            results.append((backend, "stats(): partial indexes", *timed(processor.stats, runs)))
            dashboard = timed(lambda: processor.stats(delivered=False), runs)
            results.append((backend, "stats(delivered=False): dashboard", *dashboard))
            results.append(
                (
                    backend,
                    "dead_messages(): with ix_..._dead",
                    *timed(processor.dead_messages, runs),
                )
            )
            session = db.session()
            session.execute(text("DROP INDEX ix_outbox_messages_dead"))
            without = timed(processor.dead_messages, runs, rollback=False)
            results.append((backend, "dead_messages(): no dead index", *without))
            session.rollback()  # the index is back
            start = time.perf_counter()
            purged = processor.purge_processed()
            seconds = time.perf_counter() - start
            results.append((backend, f"purge run: {purged} rows", seconds * 1000, seconds * 1000))
            db.session.remove()
            db.engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    backends = found_backends()
    print(f"{args.rows} processed messages, 100 pending, 20 dead; {args.runs} runs each\n")
    print("| backend | operation | p50 ms | p95 ms |\n|---|---|---:|---:|")
    for backend in backends:
        for backend_name, name, p50, p95 in bench(backend, args.rows, args.runs):
            print(f"| {backend_name} | {name} | {p50:.2f} | {p95:.2f} |")


if __name__ == "__main__":
    main()
