"""Outbox faults (issue 8, items 4, 5, 6 and 9) in-process, on real SQLite and PostgreSQL:
undecodable rows, unknown event types, a failure mid-batch, the heartbeat, retention and the
indexes behind the admin counts."""

from __future__ import annotations

import fcntl
import logging
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, insert, select, text, update
from sqlalchemy.orm import defer

from rental.extensions import db
from rental.shared import outbox
from rental.shared.db import unit_of_work
from rental.shared.jobs import periodic_jobs
from rental.shared.outbox import (
    InboxEntity,
    OutboxMessageEntity,
    OutboxProcessor,
    OutboxSettings,
)
from rental.shared.time_range import utcnow
from tests.support.probe import HANDLERS, ProbeEvent, create_probe_table, probe_deliveries
from tests.support.processes import wait_until


@pytest.fixture
def probe(app):
    from tests.support import probe as probe_plugin

    probe_plugin.init_app_handlers_only()
    create_probe_table(db.engine)
    return app


def publish(*events: ProbeEvent) -> list[int]:
    """Record `events` in one transaction; their message ids, in order (read after the commit,
    which is when the outbox writes them)."""
    with unit_of_work():
        for e in events:
            outbox.record(e)
    ids = db.session.scalars(select(OutboxMessageEntity.id).order_by(OutboxMessageEntity.id))
    newest = list(ids)[-len(events) :]
    db.session.rollback()
    return newest


def insert_raw(event_type: str, payload: object, version: int = 1) -> int:
    """A row as another release (or a bug) might have written it, bypassing outbox.record()."""
    now = utcnow()
    with unit_of_work() as session:
        row = OutboxMessageEntity(
            event_type=event_type,
            schema_version=version,
            payload=payload,
            occurred_at=now,
            available_at=now,
            attempts=0,
        )
        session.add(row)
        session.flush()
        return row.id


def row(message_id: int) -> OutboxMessageEntity:
    found = db.session.get(
        OutboxMessageEntity,
        message_id,
        populate_existing=True,
        options=[defer(OutboxMessageEntity.payload)],  # some payloads are invalid on purpose
    )
    db.session.expunge_all()
    db.session.rollback()
    return found


def delivered() -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(probe_deliveries.c.n, probe_deliveries.c.handler).order_by(probe_deliveries.c.id)
    ).all()
    db.session.rollback()
    return [tuple(r) for r in rows]


def drain(processor: OutboxProcessor) -> None:
    while processor.drain_once().claimed:
        pass


# --- item 4: a row that cannot be decoded is dead-lettered on its own ---------------------------


def test_undecodable_messages_are_dead_lettered_alone_while_the_others_are_delivered(
    probe, backend, admin_client
):
    first = publish(ProbeEvent(n=1))[0]
    bad = {
        "array": insert_raw("ProbeEvent", [1, 2, 3]),
        "string": insert_raw("ProbeEvent", "just a string"),
        "null": insert_raw("ProbeEvent", None),
        "missing field": insert_raw("ProbeEvent", {"fail_handler": None}),
    }
    if backend == "sqlite":  # PostgreSQL's json type refuses invalid text at the door
        bad["invalid JSON"] = insert_raw("ProbeEvent", {"n": 0})
        with unit_of_work() as session:
            session.execute(
                text("UPDATE outbox_messages SET payload = '{not json' WHERE id = :id"),
                {"id": bad["invalid JSON"]},
            )
    last = publish(ProbeEvent(n=2))[0]

    processor = OutboxProcessor(OutboxSettings(batch_size=3))  # bad rows in several batches
    drain(processor)

    assert sorted(delivered()) == sorted((n, h) for n in (1, 2) for h in HANDLERS)
    assert row(first).processed_at is not None and row(last).processed_at is not None
    expected_error = {
        "array": "JSON list, not an object",
        "string": "JSON str, not an object",
        "null": "JSON null, not an object",
        "missing field": "missing 1 required keyword-only argument: 'n'",
        "invalid JSON": "not valid JSON",
    }
    for kind, message_id in bad.items():
        dead = row(message_id)
        assert dead.dead_at is not None and dead.processed_at is None, kind
        assert dead.attempts == 1, kind
        assert "Cannot decode the message" in dead.last_error, kind
        assert expected_error[kind] in dead.last_error, (kind, dead.last_error)
    assert processor.drain_once().claimed == 0  # nothing left that blocks the outbox
    assert processor.stats().dead == len(bad)
    page = admin_client.get("/admin/outbox")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count("Cannot decode the message") == len(bad)


def test_a_known_event_type_without_subscribers_is_processed(probe):
    # "Known" means registered; having nothing to do is a legitimate outcome.
    message_id = insert_raw("CustomerRegistered", {"customer_id": "c-1"})
    OutboxProcessor().drain_once()
    assert row(message_id).processed_at is not None


# --- item 5: unknown event types wait for a worker that knows them ------------------------------


def test_unknown_event_types_are_left_pending_counted_and_logged_once(probe, admin_client, caplog):
    future = [insert_raw("ProbeFutureEvent", {"n": n}) for n in (1, 2)]
    other = insert_raw("ProbeOtherFutureEvent", {"n": 3})
    known = publish(ProbeEvent(n=4))[0]
    processor = OutboxProcessor()

    drain(processor)
    assert row(known).processed_at is not None
    for message_id in [*future, other]:
        left = row(message_id)
        assert left.processed_at is None and left.dead_at is None and left.attempts == 0
        assert left.available_at <= utcnow()  # not leased: a worker that knows it takes it now

    with caplog.at_level(logging.WARNING, logger="rental.shared.outbox"):
        assert processor.report_unknown() == {"ProbeFutureEvent": 2, "ProbeOtherFutureEvent": 1}
        assert processor.report_unknown() == {"ProbeFutureEvent": 2, "ProbeOtherFutureEvent": 1}
    warnings = [r.getMessage() for r in caplog.records if "does not know" in r.getMessage()]
    assert len(warnings) == 2, warnings  # once per type, not once per check
    assert "'ProbeFutureEvent'" in warnings[0] and "'ProbeOtherFutureEvent'" in warnings[1]

    stats = processor.stats()
    assert stats.unknown == {"ProbeFutureEvent": 2, "ProbeOtherFutureEvent": 1}
    assert stats.pending == 3 and stats.oldest_pending_at == row(future[0]).occurred_at
    page = admin_client.get("/admin/outbox")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert (
        "3 messages of types this worker does not know: ProbeFutureEvent, ProbeOtherFutureEvent"
        in html
    )
    assert 'id="outbox-oldest"' in html
    stats_cli = probe.test_cli_runner().invoke(args=["outbox", "stats"])
    assert "unknown_type=ProbeFutureEvent count=2" in stats_cli.output


# --- item 6: a failure mid-batch hands the rest back at once; the heartbeat ---------------------


def test_a_failure_mid_batch_hands_back_the_rest_of_the_batch_at_once(probe):
    ids = publish(
        ProbeEvent(n=1),
        ProbeEvent(n=2, fail_handler="probe.second"),
        ProbeEvent(n=3),
        ProbeEvent(n=4),
    )
    # Long lease and backoff: anything that comes back now was handed back, not timed out.
    settings = OutboxSettings(lease_seconds=3600, backoff_seconds=3600)
    first_worker = OutboxProcessor(settings)

    result = first_worker.drain_once()
    assert (result.claimed, result.processed, result.failed, result.released) == (4, 1, 1, 2)
    now = utcnow()
    assert row(ids[1]).available_at > now + timedelta(seconds=3500)  # retried after its backoff
    assert all(row(i).available_at <= now for i in ids[2:])  # free at once

    second_worker = OutboxProcessor(settings)
    assert [m.id for m in second_worker.claim_batch()] == ids[2:]


def test_the_heartbeat_extends_the_lease_while_a_handler_runs(probe, backend, tmp_path, app):
    if backend != "postgresql":
        pytest.skip(
            "SQLite: a running handler holds the only write lock, so no worker can claim (or "
            "extend) anything until it commits; the lease cannot be taken from it meanwhile"
        )
    gate = tmp_path / "gate"
    gate.touch()
    blocked, waiting = publish(ProbeEvent(n=1, block_file=str(gate)), ProbeEvent(n=2))
    processor = OutboxProcessor(OutboxSettings(lease_seconds=60, heartbeat_seconds=0.2))
    results = []

    def work() -> None:
        with app.app_context():
            results.append(processor.drain_once())

    with open(gate) as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        worker = threading.Thread(target=work)
        worker.start()
        try:
            wait_until(Path(f"{gate}.started").exists, timeout=30, message="handler never ran")
            leased = row(blocked).available_at
            # Extended twice while the handler is still blocked, for the whole batch.
            for _ in range(2):
                wait_until(
                    lambda since=leased: row(blocked).available_at > since,
                    timeout=30,
                    message="the lease was not extended",
                )
                leased = row(blocked).available_at
            assert row(waiting).available_at >= leased - timedelta(seconds=1)
            assert row(blocked).processed_at is None
            assert OutboxProcessor().claim_batch() == []  # still leased: nobody else takes it
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            worker.join(timeout=60)
    assert results and results[0].processed == 2
    assert sorted(delivered()) == sorted((n, h) for n in (1, 2) for h in HANDLERS)


# --- item 9: retention, and counts served by indexes ---------------------------------------------


def test_purge_deletes_old_processed_messages_and_their_inbox_rows_in_bounded_batches(probe):
    old = publish(*(ProbeEvent(n=n) for n in range(5)))
    recent, dead = publish(ProbeEvent(n=10), ProbeEvent(n=11, fail_handler="probe.second"))
    drain(OutboxProcessor(OutboxSettings(max_attempts=1)))
    pending = publish(ProbeEvent(n=12))[0]
    now = utcnow()
    m = OutboxMessageEntity
    with unit_of_work() as session:
        session.execute(update(m).where(m.id.in_(old)).values(processed_at=now - timedelta(days=8)))
        session.execute(
            update(m).where(m.id == recent).values(processed_at=now - timedelta(days=6))
        )
        session.execute(update(m).where(m.id == dead).values(dead_at=now - timedelta(days=30)))
    assert row(dead).dead_at is not None and row(pending).processed_at is None

    purger = OutboxProcessor(
        OutboxSettings(retention_days=7, purge_batch_size=2, purge_max_batches=2)
    )
    assert purger.purge_processed() == 4  # two batches of two: bounded per run
    assert purger.purge_processed() == 1
    assert purger.purge_processed() == 0

    remaining = set(db.session.scalars(select(m.id)))
    inbox = set(db.session.scalars(select(InboxEntity.message_id)))
    db.session.rollback()
    assert remaining == {recent, dead, pending}
    assert inbox == {recent, dead}  # the dead one kept the inbox row of its healthy handler
    assert OutboxProcessor(OutboxSettings(retention_days=0)).purge_processed() == 0
    assert "outbox.purge" in {job.name for job in periodic_jobs()}


def test_stats_count_pending_retrying_dead_and_the_last_day(probe):
    settings = OutboxSettings(max_attempts=2, backoff_seconds=3600)
    old, recent, retrying, dead = publish(
        ProbeEvent(n=1),
        ProbeEvent(n=2),
        ProbeEvent(n=3, fail_handler="probe.first"),
        ProbeEvent(n=4, fail_handler="probe.first"),
    )
    drain(OutboxProcessor(settings))
    m = OutboxMessageEntity
    with unit_of_work() as session:
        session.execute(
            update(m).where(m.id == old).values(processed_at=utcnow() - timedelta(days=2))
        )
        session.execute(update(m).where(m.id == dead).values(attempts=1, available_at=utcnow()))
    OutboxProcessor(settings).drain_once()  # the second failure kills it
    waiting = publish(ProbeEvent(n=5))[0]

    stats = OutboxProcessor().stats()
    assert (stats.pending, stats.retrying, stats.dead, stats.processed_last_day) == (1, 1, 1, 1)
    assert stats.oldest_pending_at == row(retrying).occurred_at
    assert row(waiting).processed_at is None and row(recent).processed_at is not None


def _statements_of(calls):
    """The SQL statements (with parameters) each call sends about outbox_messages: the reads,
    and the claim's UPDATE (its rows are chosen by a subquery)."""
    seen: list[tuple[str, object]] = []

    def listen(_conn, _cursor, statement, parameters, _context, _many):
        kind = statement.lstrip().upper()
        if "outbox_messages" in statement and kind.startswith(("SELECT", "UPDATE")):
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        for call in calls:
            call()
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    return seen


def test_stats_dead_list_claim_and_purge_are_served_by_the_partial_indexes(probe, backend):
    """Query shape: with 20,000 processed rows, none of the admin or worker queries scans the
    table; each reads one of the partial indexes."""
    now = utcnow()
    table = OutboxMessageEntity.__table__
    rows = [
        {
            "event_type": "ProbeEvent",
            "schema_version": 1,
            "payload": {"n": i},
            "occurred_at": now - timedelta(days=6, seconds=i),
            "available_at": now - timedelta(days=6),
            "attempts": 0,
            "processed_at": now - timedelta(days=2 + (i % 4), seconds=i),
        }
        for i in range(20_000)
    ]
    with unit_of_work() as session:
        session.execute(insert(table), rows)
    publish(ProbeEvent(n=1), ProbeEvent(n=2))
    with unit_of_work() as session:
        session.execute(
            update(table)
            .where(table.c.id.in_(select(func.max(table.c.id)).scalar_subquery()))
            .values(dead_at=now, last_error="x")
        )
        session.execute(text("ANALYZE outbox_messages" if backend == "postgresql" else "ANALYZE"))

    processor = OutboxProcessor(OutboxSettings(retention_days=7))
    statements = _statements_of(
        [
            processor.stats,
            processor.dead_messages,
            processor.has_due,
            processor.claim,
            processor.purge_processed,
        ]
    )
    assert len(statements) >= 7
    with db.engine.connect() as connection:
        for statement, parameters in statements:
            if backend == "postgresql":
                plan = connection.exec_driver_sql("EXPLAIN " + statement, parameters).all()
                lines = "\n".join(r[0] for r in plan)
                assert "Seq Scan on outbox_messages" not in lines, (statement, lines)
            else:
                plan = connection.exec_driver_sql(
                    "EXPLAIN QUERY PLAN " + statement, parameters
                ).all()
                lines = "\n".join(r[-1] for r in plan)
                for line in lines.splitlines():
                    if "outbox_messages" in line and "SCAN" in line:
                        assert "INDEX ix_outbox_messages_" in line, (statement, lines)
            assert any(k in lines for k in ("ix_outbox_messages_", "pk_outbox_", "PRIMARY KEY")), (
                statement,
                lines,
            )
