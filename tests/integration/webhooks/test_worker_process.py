"""Webhooks sent by the real worker process (python -m rental.worker) on SQLite and PostgreSQL:
an order confirmed through BookingFacade reaches a local receiver signed per Standard Webhooks
(verified with the independent `standardwebhooks` package) and its delivery row is SUCCEEDED;
and two worker processes side by side on PostgreSQL deliver every event exactly once."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from standardwebhooks import Webhook

from tests.integration.webhooks.test_delivery import book, deliveries, endpoint
from tests.support.fleet import make_customer
from tests.support.processes import start_worker, wait_until
from tests.support.webhook_receiver import Received

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("private_ok")]
# The worker may send to the local receiver; it looks for work five times a second.
WORKER_ENV = {
    "WEBHOOKS_ALLOW_PRIVATE": "1",
    "WEBHOOKS_POLL_SECONDS": "0.2",
    "OUTBOX_POLL_SECONDS": "0.2",
}


def statuses(endpoint_id: str) -> Counter:
    return Counter(row.status for row in deliveries(endpoint_id))


def test_the_worker_process_sends_an_order_confirmation_signed_and_records_success(
    app, database_url, logs_dir, receivers
):
    receiver = receivers()
    endpoint_id, secret = endpoint(receiver.url, "order.confirmed")
    worker = start_worker(database_url, logs_dir, name="webhooks-worker", **WORKER_ENV)
    try:
        order = book()
        # The outbox message is handled (a delivery queued) and sent, all in the worker.
        assert receiver.arrived.wait(60), f"nothing arrived:\n{worker.log()}"
        wait_until(
            lambda: statuses(endpoint_id) == Counter({"SUCCEEDED": 1}),
            timeout=60,
            message=f"the delivery was not recorded as succeeded: {statuses(endpoint_id)}",
        )
    finally:
        code = worker.stop()
    assert code == 0, worker.log()
    (sent,) = receiver.requests
    payload = Webhook(secret).verify(sent.body, sent.headers)
    assert payload["type"] == "order.confirmed"
    assert payload["data"]["order_id"] == order.id
    assert payload["data"]["order_reference"] == order.reference
    assert "customer" not in payload["data"]
    (row,) = deliveries(endpoint_id)
    assert (row.status, row.attempts, row.response_code) == ("SUCCEEDED", 1, 200)
    assert row.message_id == sent.headers["webhook-id"]
    assert row.body == sent.body  # what was stored, byte for byte


class Rendezvous:
    """Holds the first request to arrive (at any receiver) until a second one arrives while it
    is held. With WEBHOOKS_THREADS=1 a worker has one request in flight at most, so two at once
    come from two workers: both took part, not by the luck of scheduling. The hold is shorter
    than the sender's 10-second timeout, so it never causes a retry (a second send of one
    webhook-id)."""

    HOLD_SECONDS = 8

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._first_held = False
        self.met = threading.Event()

    def __call__(self, _request: Received) -> None:
        with self._lock:
            if self.met.is_set():
                return
            if self._first_held:
                self.met.set()
                return
            self._first_held = True
        self.met.wait(self.HOLD_SECONDS)


def test_two_worker_processes_deliver_every_event_exactly_once(
    app, backend, database_url, logs_dir, receivers
):
    if backend != "postgresql":
        pytest.skip("several workers side by side is a PostgreSQL feature (SKIP LOCKED)")
    events = 25  # more than one claim's worth (PER_CLAIM = 20) per endpoint
    rendezvous = Rendezvous()
    first, second = receivers(hook=rendezvous), receivers(hook=rendezvous)
    endpoints = {
        receiver.port: endpoint(receiver.url, "customer.registered") for receiver in (first, second)
    }
    env = {**WORKER_ENV, "WEBHOOKS_THREADS": "1"}
    workers = []
    try:
        workers += [
            start_worker(database_url, logs_dir, name=f"webhooks-worker-{i}", **env)
            for i in range(2)
        ]
        # Both are up before there is anything to send (the rendezvous needs the second).
        wait_until(
            lambda: all("worker started" in w.log() for w in workers),
            timeout=60,
            message="a worker did not start",
        )
        for _ in range(events):
            make_customer()  # CustomerRegistered, one outbox message each
        wait_until(
            lambda: all(
                statuses(endpoint_id) == Counter({"SUCCEEDED": events})
                for endpoint_id, _ in endpoints.values()
            ),
            timeout=120,
            message="not every delivery succeeded",
        )
    finally:
        codes = [w.stop() for w in workers]
    assert codes == [0, 0], [w.log() for w in workers]
    assert rendezvous.met.is_set(), "one worker sent everything: the test showed nothing"
    for receiver in (first, second):
        endpoint_id, secret = endpoints[receiver.port]
        received = receiver.by_webhook_id()
        counts = Counter({webhook_id: len(sent) for webhook_id, sent in received.items()})
        assert len(counts) == events and set(counts.values()) == {1}, counts
        rows = deliveries(endpoint_id)
        assert {row.message_id for row in rows} == set(received)
        assert {row.attempts for row in rows} == {1}
        # Each event once per endpoint: every customer's registration arrived exactly once.
        customers = [Webhook(secret).verify(r.body, r.headers) for r in receiver.requests]
        ids = Counter(c["data"]["customer_id"] for c in customers)
        assert len(ids) == events and set(ids.values()) == {1}
