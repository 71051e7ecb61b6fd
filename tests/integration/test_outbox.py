"""The transactional outbox on real SQLite and PostgreSQL databases."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, func, insert, select

from rental.extensions import db
from rental.shared import outbox
from rental.shared.db import unit_of_work
from rental.shared.events import subscribe, unsubscribe
from rental.shared.outbox import OutboxMessageEntity, OutboxProcessor, OutboxSettings
from rental.shared.time_range import utcnow
from tests.support.probe import HANDLERS, ProbeEvent, create_probe_table, probe_deliveries
from tests.support.statements import statements


@pytest.fixture
def probe(app):
    from tests.support import probe as probe_plugin

    probe_plugin.init_app_handlers_only()
    create_probe_table(db.engine)
    return app


def deliveries(handler: str | None = None) -> list[tuple[int, str]]:
    query = select(probe_deliveries.c.n, probe_deliveries.c.handler).order_by(probe_deliveries.c.id)
    if handler:
        query = query.where(probe_deliveries.c.handler == handler)
    rows = db.session.execute(query).all()
    db.session.rollback()  # end the read so the next check sees fresh data
    return [tuple(r) for r in rows]


def messages() -> list[OutboxMessageEntity]:
    rows = list(db.session.scalars(select(OutboxMessageEntity).order_by(OutboxMessageEntity.id)))
    db.session.expunge_all()
    db.session.rollback()
    return rows


def publish(*events: ProbeEvent) -> None:
    with unit_of_work():
        for event in events:
            outbox.record(event)


def drain(processor: OutboxProcessor) -> None:
    while processor.drain_once().claimed:
        pass


def test_event_recorded_in_a_rolled_back_transaction_never_appears(probe):
    with pytest.raises(RuntimeError, match="business rule"), unit_of_work():
        outbox.record(ProbeEvent(n=1))
        raise RuntimeError("business rule failed after the event was recorded")
    assert messages() == []


def test_recording_outside_a_unit_of_work_is_refused(probe):
    with pytest.raises(RuntimeError, match="inside unit_of_work"):
        outbox.record(ProbeEvent(n=1))


def test_committed_event_is_delivered_once_to_each_subscriber(probe):
    publish(ProbeEvent(n=1), ProbeEvent(n=2))
    [first, _] = messages()
    assert first.event_type == "ProbeEvent" and first.payload["n"] == 1
    assert first.schema_version == 1 and first.processed_at is None

    processor = OutboxProcessor()
    result = processor.drain_once()
    assert (result.claimed, result.processed) == (2, 2)
    assert sorted(deliveries()) == sorted((n, h) for n in (1, 2) for h in HANDLERS)
    # Delivered in occurred_at order.
    assert [n for n, _ in deliveries(HANDLERS[0])] == [1, 2]
    assert all(m.processed_at is not None for m in messages())
    assert processor.drain_once().claimed == 0


def test_failing_handler_is_retried_with_backoff_then_dead_while_others_flow(probe):
    settings = OutboxSettings(max_attempts=3, backoff_seconds=0)
    processor = OutboxProcessor(settings)
    publish(ProbeEvent(n=1, fail_handler="probe.second"), ProbeEvent(n=2))

    result = processor.drain_once()
    # The failure stops the batch; the message after it is handed back, not delivered yet.
    assert (result.processed, result.failed, result.released) == (0, 1, 1)
    failing, _ = messages()
    assert failing.attempts == 1 and failing.dead_at is None
    assert "probe.second" in failing.last_error and "told to fail" in failing.last_error
    # The healthy subscriber of the failing message got it exactly once.
    assert deliveries("probe.first").count((1, "probe.first")) == 1

    drain(processor)
    failing, healthy = messages()
    assert healthy.processed_at is not None
    assert failing.attempts == 3 and failing.dead_at is not None and failing.processed_at is None
    # The other handler applied it once; the failing one never committed anything.
    assert deliveries("probe.first").count((1, "probe.first")) == 1
    assert (1, "probe.second") not in deliveries()


def test_backoff_doubles_up_to_the_cap():
    processor = OutboxProcessor(OutboxSettings(backoff_seconds=2, max_backoff_seconds=60))
    assert [processor.backoff(n).total_seconds() for n in (1, 2, 3, 4, 10)] == [2, 4, 8, 16, 60]


def test_failed_message_waits_for_its_backoff(probe):
    processor = OutboxProcessor(OutboxSettings(backoff_seconds=3600))
    publish(ProbeEvent(n=1, fail_handler="probe.first"))
    before = utcnow()
    processor.drain_once()
    [message] = messages()
    assert message.available_at >= before + timedelta(seconds=3599)
    assert processor.drain_once().claimed == 0


def test_redelivering_a_processed_message_changes_nothing(probe):
    processor = OutboxProcessor()
    publish(ProbeEvent(n=7))
    [claimed] = processor.claim_batch()
    processor.process(claimed)
    before = deliveries()
    # A second worker whose lease expired delivers the very same message again.
    assert processor.process(claimed) == "processed"
    assert deliveries() == before == [(7, "probe.first"), (7, "probe.second")]


def test_dead_messages_can_be_listed_and_requeued_from_the_cli(probe):
    processor = OutboxProcessor(OutboxSettings(max_attempts=1))
    publish(
        ProbeEvent(n=1, fail_handler="probe.first"), ProbeEvent(n=2, fail_handler="probe.first")
    )
    drain(processor)
    runner = probe.test_cli_runner()
    listing = runner.invoke(args=["outbox", "dead"])
    assert listing.exit_code == 0
    assert listing.output.count("ProbeEvent") == 2 and "told to fail" in listing.output

    first_id = messages()[0].id
    assert "Requeued 1" in runner.invoke(args=["outbox", "requeue", str(first_id)]).output
    requeued = messages()[0]
    assert requeued.dead_at is None and requeued.attempts == 0
    assert "Requeued 1" in runner.invoke(args=["outbox", "requeue", "--all"]).output
    assert runner.invoke(args=["outbox", "requeue"]).exit_code != 0
    assert (
        db.session.scalar(select(func.count()).where(OutboxMessageEntity.dead_at.is_not(None))) == 0
    )


@contextmanager
def savepoints_per_transaction() -> Iterator[list[int]]:
    """The SAVEPOINTs each transaction committed while the block runs opened, in order.
    (The tests using it set `group_seconds` out of reach, so a slow moment of the machine
    cannot cut a group and change the count.)"""
    open_ = [0]
    committed: list[int] = []

    def savepoint(_conn, _name) -> None:
        open_[0] += 1

    def commit(_conn) -> None:
        committed.append(open_[0])
        open_[0] = 0

    event.listen(db.engine, "savepoint", savepoint)
    event.listen(db.engine, "commit", commit)
    try:
        yield committed
    finally:
        event.remove(db.engine, "savepoint", savepoint)
        event.remove(db.engine, "commit", commit)


def test_a_group_opens_at_most_group_size_savepoints(probe, backend):
    # Both probe handlers write, so each delivery needs a savepoint of its own.
    processor = OutboxProcessor(OutboxSettings(group_size=3, group_seconds=3600))
    publish(*(ProbeEvent(n=n) for n in range(5)))
    with savepoints_per_transaction() as committed:
        drain(processor)
    assert sorted(deliveries()) == sorted((n, h) for n in range(5) for h in HANDLERS)
    if backend == "postgresql":
        assert sum(committed) == 10 and max(committed) <= 3, committed
    else:  # each delivery is a transaction of its own
        assert sum(committed) == 0 and len(committed) >= 10, committed


def test_handlers_that_do_not_use_the_database_share_a_transaction_without_savepoints(
    probe, backend
):
    from tests.support import probe as probe_plugin

    for name in HANDLERS:
        unsubscribe(name)
    subscribe(ProbeEvent.event_type, "probe.noop")(lambda _message: None)
    try:
        # More deliveries than the group's savepoints: none of them needs one.
        processor = OutboxProcessor(OutboxSettings(group_size=3, group_seconds=3600))
        publish(*(ProbeEvent(n=n) for n in range(20)))
        with savepoints_per_transaction() as committed:
            result = processor.drain_once()
        assert result.processed == 20 and sum(committed) == 0
        # PostgreSQL: the claim, then one transaction for all 20; SQLite: one per delivery.
        assert len(committed) == (2 if backend == "postgresql" else 21), committed
        assert all(m.processed_at is not None for m in messages())
    finally:
        unsubscribe("probe.noop")
        probe_plugin.init_app_handlers_only()


def test_a_failing_handler_publishes_none_of_the_events_it_recorded(probe):
    from tests.support import probe as probe_plugin

    def recorder(message) -> None:
        n = message.payload["n"]
        if n < 100:  # the events it records itself are left alone
            outbox.record(ProbeEvent(n=n + 100))
        if message.payload.get("fail_handler") == "probe.recorder":
            raise RuntimeError("recorded an event, then failed")

    subscribe(ProbeEvent.event_type, "probe.recorder")(recorder)
    try:
        publish(ProbeEvent(n=2), ProbeEvent(n=1, fail_handler="probe.recorder"))
        result = OutboxProcessor().drain_once()
        assert (result.processed, result.failed) == (1, 1)
        # The healthy delivery's event is published; the failed one's went with its rollback.
        assert sorted(m.payload["n"] for m in messages()) == [1, 2, 102]
    finally:
        unsubscribe("probe.recorder")
        probe_plugin.init_app_handlers_only()


def test_a_chunk_that_runs_out_of_savepoints_gives_the_rest_back_for_the_next_group(probe, backend):
    from tests.support import probe as probe_plugin

    def sometimes_writes(message) -> None:
        n = message.payload["n"]
        if n >= 10:  # the first messages use no database, so the chunks grow
            db.session.execute(
                insert(probe_deliveries).values(
                    message_id=message.id, handler="probe.sometimes", n=n, pid=0
                )
            )

    for name in HANDLERS:
        unsubscribe(name)
    subscribe(ProbeEvent.event_type, "probe.sometimes")(sometimes_writes)
    try:
        processor = OutboxProcessor(OutboxSettings(group_size=3, group_seconds=3600))
        publish(*(ProbeEvent(n=n) for n in [0, 1, 2, 3, *range(10, 18)]))
        with savepoints_per_transaction() as committed, statements() as seen:
            result = processor.drain_once()
        assert result.processed == 12
        assert sorted(deliveries()) == [(n, "probe.sometimes") for n in range(10, 18)]
        if backend == "postgresql":
            assert sum(committed) == 8 and max(committed) <= 3, committed
            # The second chunk (twice the first) was cut short at the third savepoint.
            assert [s for s in seen if s.startswith("DELETE FROM outbox_inbox")], seen
        assert all(m.processed_at is not None for m in messages())
    finally:
        unsubscribe("probe.sometimes")
        probe_plugin.init_app_handlers_only()
