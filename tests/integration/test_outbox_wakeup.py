"""The faster outbox (issue 15, target 4) with real worker processes: a NOTIFY wakes an idle
worker on PostgreSQL (its poll interval is an hour, so nothing else could), the customer's manage
page shows the allocated serials without waiting for a long poll, a worker killed mid-group
commits none of the group, processed messages are purged by the worker's job, and the listening
connection comes back after the database went away. No timing is asserted: each test waits with
a deadline for something that only the mechanism under test can bring about."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, text

from rental.extensions import db
from rental.shared import outbox
from rental.shared.db import unit_of_work
from rental.shared.outbox import NOTIFY_CHANNEL, InboxEntity, OutboxMessageEntity
from rental.shared.time_range import utcnow
from tests.integration.booking.test_journey_details import book_online, hourly
from tests.support.auth import csrf_token
from tests.support.databases import migrate
from tests.support.fleet import make_type
from tests.support.outbox_counts import delivery_counts, processed_count
from tests.support.private_postgres import NO_SERVER_BINARIES, PrivatePostgres, postgres_bin
from tests.support.probe import HANDLERS, ProbeEvent, create_probe_table
from tests.support.processes import kill_worker_at_gate, start_worker, wait_until

pytestmark = pytest.mark.slow
NEVER_POLL = {"OUTBOX_POLL_SECONDS": "3600"}  # only a NOTIFY can wake these workers
PROBE = {"RENTAL_PLUGINS": "tests.support.probe"}


@pytest.fixture
def probe_db(app):
    create_probe_table(db.engine)
    return app


def publish(*events: ProbeEvent) -> None:
    with unit_of_work():
        for e in events:
            outbox.record(e)


def listening() -> bool:
    """Some session of this database is LISTENing on the outbox channel (its last statement)."""
    found = db.session.execute(
        text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND query = :listen"
        ),
        {"listen": f"LISTEN {NOTIFY_CHANNEL}"},
    ).scalar_one()
    db.session.rollback()
    return found > 0


def test_a_notify_wakes_a_worker_that_would_not_poll_for_an_hour(
    probe_db, backend, database_url, logs_dir
):
    if backend != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite polls (OUTBOX_POLL_SECONDS)")
    worker = start_worker(database_url, logs_dir, name="worker-notified", **PROBE, **NEVER_POLL)
    try:
        wait_until(listening, timeout=60, message="the worker never listened")
        wait_until(lambda: "worker started" in worker.log(), timeout=60)
        publish(ProbeEvent(n=1))
        wait_until(lambda: processed_count() == 1, timeout=60, message="the NOTIFY was lost")
        publish(ProbeEvent(n=2), ProbeEvent(n=3))  # one NOTIFY for the transaction
        wait_until(lambda: processed_count() == 3, timeout=60, message="not woken again")
    finally:
        assert worker.stop() == 0, worker.log()
    assert set(delivery_counts().values()) == {1} and len(delivery_counts()) == 3 * len(HANDLERS)
    assert "on NOTIFY" in worker.log()


def test_a_rolled_back_transaction_sends_no_notify(probe_db, backend):
    if backend != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    import psycopg

    args, kwargs = db.engine.dialect.create_connect_args(db.engine.url)
    with psycopg.connect(*args, **kwargs, autocommit=True) as listener:
        listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
        with pytest.raises(RuntimeError), unit_of_work():
            outbox.record(ProbeEvent(n=1))
            raise RuntimeError("the business rule fails after the event was recorded")
        publish(ProbeEvent(n=2))
        got = list(listener.notifies(timeout=30, stop_after=1))
        assert [n.channel for n in got] == [NOTIFY_CHANNEL]
        assert list(listener.notifies(timeout=0.5)) == []  # and only one, for the commit


def test_the_manage_page_shows_the_serials_the_worker_allocated(
    app, backend, client, database_url, logs_dir
):
    """Confirm through the pages with a real worker running: the manage page (what its
    htmx poll fetches) soon names the allocated unit. On PostgreSQL the worker polls once an
    hour, so the NOTIFY did it; on SQLite it polls every 0.2 s."""
    poll = NEVER_POLL if backend == "postgresql" else {"OUTBOX_POLL_SECONDS": "0.2"}
    fleet = make_type(units=1)
    worker = start_worker(database_url, logs_dir, name=f"worker-manage-{backend}", **poll)
    try:
        if backend == "postgresql":
            wait_until(listening, timeout=60, message="the worker never listened")
        manage = book_online(client, fleet, hourly())
        review = manage.replace("/r/", "/book/review/")
        confirmed = client.post(review, data={"csrf_token": csrf_token(client, "/")})
        assert confirmed.status_code == 303

        def serials() -> list[str]:
            body = client.get(manage, headers={"HX-Request": "true"}).get_data(as_text=True)
            found = re.search(r'<span id="allocated-serials">(.*?)</span>', body, re.S)
            return re.findall(r"<code>([^<]+)</code>", found.group(1)) if found else []

        found = wait_until(serials, timeout=60, message="no serial on the manage page")
    finally:
        assert worker.stop() == 0, worker.log()
    assert len(found) == 1 and found[0].startswith("SN-")


def test_a_worker_killed_mid_group_commits_none_of_the_group(
    probe_db, backend, database_url, logs_dir, tmp_path
):
    """PostgreSQL delivers several messages in one transaction: a worker SIGKILLed inside the
    third message's handler leaves nothing of the first two behind; the next worker delivers
    all five, each once per handler."""
    if backend != "postgresql":
        pytest.skip("SQLite commits each delivery on its own")
    gate = tmp_path / "gate"
    gate.touch()
    publish(*(ProbeEvent(n=n, block_file=str(gate) if n == 2 else None) for n in range(5)))
    lease = {"OUTBOX_LEASE_SECONDS": "2", "OUTBOX_HEARTBEAT_SECONDS": "0.5", **PROBE}
    kill_worker_at_gate(gate, database_url, logs_dir, "worker-mid-group", **lease)
    # Messages 0 and 1 were handled in the group's transaction, which died with the worker.
    assert processed_count() == 0 and delivery_counts() == Counter()
    inbox = db.session.scalar(select(func.count()).select_from(InboxEntity))
    db.session.rollback()
    assert inbox == 0

    survivor = start_worker(database_url, logs_dir, name="worker-after-group", **lease)
    try:
        wait_until(lambda: processed_count() == 5, timeout=60, message="messages were lost")
    finally:
        assert survivor.stop() == 0, survivor.log()
    counts = delivery_counts()
    assert len(counts) == 5 * len(HANDLERS) and set(counts.values()) == {1}


def test_the_worker_purges_processed_messages_past_the_retention(probe_db, database_url, logs_dir):
    now = utcnow()
    table = OutboxMessageEntity.__table__

    def row(days_ago: int, processed: bool) -> dict:
        at = now - timedelta(days=days_ago)
        return {
            "event_type": "ProbeEvent",
            "schema_version": 1,
            "payload": {"n": days_ago},
            "occurred_at": at,
            "available_at": now + timedelta(days=1),  # not due: only the purge touches them
            "attempts": 0,
            "processed_at": at if processed else None,
        }

    with unit_of_work() as session:
        session.execute(insert(table), [row(30, True) for _ in range(25)])
        session.execute(insert(table), [row(2, True), row(30, False)])
        old = list(
            session.scalars(select(table.c.id).where(table.c.payload["n"].as_integer() == 30))
        )
        session.execute(
            insert(InboxEntity.__table__),
            [{"message_id": i, "handler": "probe.first", "processed_at": now} for i in old],
        )
    worker = start_worker(
        database_url,
        logs_dir,
        name="worker-purge",
        OUTBOX_RETENTION_DAYS="7",
        OUTBOX_POLL_SECONDS="0.2",
        **PROBE,
    )
    try:
        wait_until(lambda: "purged 25 processed message(s)" in worker.log(), timeout=60)
    finally:
        assert worker.stop() == 0, worker.log()
    kept = sorted(db.session.scalars(select(table.c.payload["n"].as_integer())))
    inbox = db.session.scalar(select(func.count()).select_from(InboxEntity))
    db.session.rollback()
    assert kept == [2, 30]  # the recent one and the pending one stay
    assert inbox == 1  # the pending message's inbox row; the purged ones' went with them


def test_0031_adds_the_notify_trigger_on_postgresql_and_goes_back_down(backend, tmp_path):
    """0031 adds the statement-level NOTIFY trigger on outbox_messages (PostgreSQL; nothing on
    SQLite): down to 0030 drops it and its function, up again adds them."""
    from flask_migrate import downgrade, upgrade

    from rental import create_app
    from tests.support.databases import fresh_database

    def triggers() -> list[str]:
        if backend != "postgresql":
            return []
        return list(
            db.session.scalars(
                text(
                    "SELECT tgname FROM pg_trigger "
                    "WHERE tgrelid = 'outbox_messages'::regclass AND NOT tgisinternal"
                )
            )
        )

    with fresh_database(backend, tmp_path) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(revision="0031")
            assert triggers() == (["outbox_messages_notify"] if backend == "postgresql" else [])
            db.session.rollback()
            downgrade(revision="0030")
            assert triggers() == []
            db.session.rollback()
            upgrade(revision="0031")
            assert len(triggers()) == (1 if backend == "postgresql" else 0)
            db.session.remove()
            db.engine.dispose()


@pytest.mark.skipif(postgres_bin() is None, reason=NO_SERVER_BINARIES)
def test_the_worker_listens_again_after_the_database_comes_back(logs_dir):
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
            worker = start_worker(url, logs_dir, name="worker-relisten", **PROBE, **NEVER_POLL)
            wait_until(listening, timeout=60, message="the worker never listened")
            publish(ProbeEvent(n=1))
            wait_until(lambda: processed_count() == 1, timeout=60, message="not notified")
            db.session.remove()
            db.engine.dispose()

            cluster.stop()
            wait_until(lambda: "outbox notifications lost" in worker.log(), timeout=60)
            wait_until(lambda: "database unavailable" in worker.log(), timeout=60)
            cluster.start()
            wait_until(
                lambda: "listening for outbox notifications again" in worker.log(), timeout=120
            )
            publish(ProbeEvent(n=2))
            wait_until(lambda: processed_count() == 2, timeout=60, message="not after outage")
            assert worker.stop() == 0, worker.log()
            log = worker.log()
            assert log.count("database unavailable") == 1 and "Traceback" not in log, log
            assert log.count("outbox notifications lost") == 1, log
            assert set(delivery_counts().values()) == {1}
            db.session.remove()
            db.engine.dispose()
    finally:
        if worker is not None:
            worker.stop()
        cluster.remove()
