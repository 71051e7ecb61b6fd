"""Webhook deliveries on SQLite and PostgreSQL against a real local HTTP receiver: signed per
Standard Webhooks (checked with the independent `standardwebhooks` package), retried with
back-off as the injected clock moves, FAILED after 24 hours with the endpoint disabled (event
+ staff mail), in event order per endpoint, a slow endpoint not delaying another, payloads
without personal data unless the `customers` scope is granted, and one worker per endpoint."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from standardwebhooks import Webhook

from rental.booking import BookingFacade, OrderLine, PlaceOrder, PricingBasis
from rental.customers import CustomerFacade
from rental.extensions import db
from rental.shared.outbox import OutboxMessageEntity
from rental.shared.time_range import TimeRange
from rental.webhooks import WebhooksFacade
from rental.webhooks.application.delivery import dispatcher, send_endpoint
from rental.webhooks.domain.endpoints import EndpointForm
from rental.webhooks.infrastructure.entities import WebhookDeliveryEntity, WebhookEndpointEntity
from tests.integration.notifications.test_mail import to
from tests.support.deposits import drain
from tests.support.fleet import make_customer, make_type, tomorrow_at

pytestmark = pytest.mark.usefixtures("private_ok")


def endpoint(url: str, *types: str, customers: bool = False) -> tuple[str, str]:
    form = EndpointForm(url, "", types or ("webhook.test",), customers, True)
    found = WebhooksFacade().create_endpoint(form, _now(), "admin@example.com")
    db.session.rollback()
    return found


def _now():
    from rental.webhooks.application import runtime

    return runtime.now()


def deliveries(endpoint_id: str) -> list[WebhookDeliveryEntity]:
    D = WebhookDeliveryEntity
    rows = list(db.session.scalars(select(D).where(D.endpoint_id == endpoint_id).order_by(D.id)))
    db.session.expunge_all()
    db.session.rollback()
    return rows


def endpoint_row(endpoint_id: str) -> WebhookEndpointEntity:
    row = db.session.get(WebhookEndpointEntity, endpoint_id)
    db.session.expunge_all()
    db.session.rollback()
    return row


def queue_test(endpoint_id: str) -> None:
    WebhooksFacade().send_test(endpoint_id, _now())
    db.session.rollback()


def verify(secret: str, request) -> dict:
    """The independent check: standardwebhooks verifies id, timestamp and signature."""
    return Webhook(secret).verify(request.body, request.headers)


def book(customer_id: str | None = None):
    booking = BookingFacade()
    order = booking.place_order(
        PlaceOrder(
            customer_id or make_customer(),
            (OrderLine(1, equipment_type_id=make_type(hourly="20.00", deposit=None).type_id),),
            TimeRange(tomorrow_at(9), tomorrow_at(13)),
            PricingBasis.HOURLY,
            secrets.token_urlsafe(24),
        )
    )
    booking.confirm_reservation(order.first.id)
    db.session.commit()
    return order


def test_failed_attempts_are_retried_with_backoff_then_succeed_signed(app, clock, receivers):
    receiver = receivers(statuses=[500, 503])
    endpoint_id, secret = endpoint(receiver.url)
    queue_test(endpoint_id)
    assert send_endpoint(endpoint_id) == 1
    (row,) = deliveries(endpoint_id)
    assert (row.status, row.attempts, row.response_code) == ("PENDING", 1, 500)
    wait = row.next_attempt_at - clock.now
    assert timedelta(seconds=4) <= wait <= timedelta(seconds=6)  # 5 s ± 20 %
    assert send_endpoint(endpoint_id) == 0, "not before its retry time"
    clock.advance(timedelta(seconds=7))
    assert send_endpoint(endpoint_id) == 1
    (row,) = deliveries(endpoint_id)
    assert (row.status, row.attempts, row.response_code) == ("PENDING", 2, 503)
    assert timedelta(minutes=4) <= row.next_attempt_at - clock.now <= timedelta(minutes=6)
    clock.advance(timedelta(minutes=7))
    assert send_endpoint(endpoint_id) == 1
    (row,) = deliveries(endpoint_id)
    assert (row.status, row.attempts, row.response_code, row.error) == ("SUCCEEDED", 3, 200, None)
    assert row.duration_ms is not None
    assert len(receiver.requests) == 3
    # One webhook-id for every attempt; each request verifies with the secret.
    assert {r.headers["webhook-id"] for r in receiver.requests} == {row.message_id}
    for request in receiver.requests:
        assert request.headers["content-type"] == "application/json"
        payload = verify(secret, request)
        assert payload["type"] == "webhook.test" and payload["data"]["endpoint_id"] == endpoint_id
    with pytest.raises(Exception):  # noqa: B017 - any verification error
        Webhook(WebhooksFacade().rotate_secret(endpoint_id, clock.now)).verify(
            receiver.requests[0].body, receiver.requests[0].headers
        )


def test_24_hours_of_failures_fail_the_delivery_and_disable_the_endpoint(
    app, clock, receivers, smtp
):
    receiver = receivers(statuses=[500] * 100)
    endpoint_id, _ = endpoint(receiver.url)
    queue_test(endpoint_id)
    start = clock.now
    for _ in range(20):
        send_endpoint(endpoint_id)
        (row,) = deliveries(endpoint_id)
        if row.status != "PENDING":
            break
        clock.now = max(clock.now, row.next_attempt_at)
    assert row.status == "FAILED"
    assert clock.now - start >= timedelta(hours=24)
    assert 6 <= row.attempts <= 9  # 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, then the 24 h mark
    found = endpoint_row(endpoint_id)
    assert not found.active and "24 hours" in found.disabled_reason
    events = db.session.scalars(
        select(OutboxMessageEntity.payload).where(
            OutboxMessageEntity.event_type == "WebhookEndpointDisabled"
        )
    ).all()
    db.session.rollback()
    assert [e["endpoint_id"] for e in events] == [endpoint_id]
    assert events[0]["host"] == "127.0.0.1" and "hooks" not in json.dumps(events[0])
    # Nothing more goes to a disabled endpoint; new events do not queue for it.
    queue_test(endpoint_id)
    clock.advance(timedelta(hours=1))
    before = len(receiver.requests)
    assert send_endpoint(endpoint_id) == 0 and len(receiver.requests) == before
    drain()
    alerts = [m for m in smtp.messages if to(m) == "desk@hafen.example"]
    assert len(alerts) == 1 and "127.0.0.1" in str(alerts[0]["Subject"])
    # Enabled again: the waiting test event goes out.
    WebhooksFacade().set_active(endpoint_id, True, clock.now)
    db.session.rollback()
    receiver.statuses.clear()
    assert send_endpoint(endpoint_id) == 1
    assert deliveries(endpoint_id)[-1].status == "SUCCEEDED"


def test_an_endpoints_deliveries_go_in_event_order(app, clock, receivers):
    receiver = receivers(statuses=[500])
    endpoint_id, _ = endpoint(receiver.url)
    for _ in range(3):
        queue_test(endpoint_id)
    first, second, third = deliveries(endpoint_id)
    assert send_endpoint(endpoint_id) == 1  # the first fails: the others wait behind it
    assert [r.headers["webhook-id"] for r in receiver.requests] == [first.message_id]
    assert send_endpoint(endpoint_id) == 0
    clock.advance(timedelta(seconds=10))
    assert send_endpoint(endpoint_id) == 3
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert ids == [first.message_id, first.message_id, second.message_id, third.message_id]


def test_a_slow_endpoint_does_not_delay_another(app, clock, receivers):
    slow = receivers(gate=__import__("threading").Event())
    fast = receivers()
    slow_id, _ = endpoint(slow.url)
    fast_id, _ = endpoint(fast.url)
    queue_test(slow_id)
    queue_test(fast_id)
    started = dispatcher().tick()
    try:
        assert set(started) == {slow_id, fast_id}
        assert started[fast_id].result(timeout=10) == 1
        assert slow.arrived.wait(10) and not started[slow_id].done()
        assert deliveries(fast_id)[0].status == "SUCCEEDED"
        assert deliveries(slow_id)[0].status == "PENDING"
        # The slow one's thread still holds its endpoint: a second tick starts nothing for it.
        assert slow_id not in dispatcher().tick()
    finally:
        slow.gate.set()
    assert started[slow_id].result(timeout=10) == 1
    assert deliveries(slow_id)[0].status == "SUCCEEDED"


def test_personal_data_only_for_an_endpoint_with_the_customers_scope(app, clock, receivers):
    receiver = receivers()
    types = ("order.confirmed", "reservation.confirmed", "reservation.created")
    plain_id, _ = endpoint(receiver.url, *types)
    scoped_id, _ = endpoint(receiver.url, *types, customers=True)
    endpoint(receiver.url, "payment.received")  # not subscribed to these: gets nothing
    customer_id = make_customer()
    person = CustomerFacade().get_customer_by_id(customer_id)
    db.session.rollback()
    order = book(customer_id)
    drain()
    drain()  # a redelivered message adds nothing (the inbox)
    plain, scoped = deliveries(plain_id), deliveries(scoped_id)
    assert [d.event_type for d in plain] == [
        "reservation.created",
        "reservation.confirmed",
        "order.confirmed",
    ]
    assert [d.event_type for d in scoped] == [d.event_type for d in plain]
    for d in plain:
        body = d.body
        assert person.email not in body and person.name not in body and "+49" not in body
        assert json.loads(body)["data"]["customer_id"] == customer_id
    confirmed = json.loads(scoped[-1].body)
    assert confirmed["type"] == "order.confirmed"
    assert confirmed["data"]["customer"] == {
        "id": customer_id,
        "name": person.name,
        "email": person.email,
        "phone": person.phone,
    }
    data = json.loads(plain[-1].body)["data"]
    assert data["order_reference"] == order.reference
    assert data["total"] == {"amount": "80.00", "currency": "EUR"}
    assert [line["quantity"] for line in data["lines"]] == [1]
    # Sent: the receiver gets what was stored, byte for byte.
    send_endpoint(plain_id)
    assert [r.body for r in receiver.requests] == [d.body for d in plain]


def test_a_second_session_holding_the_endpoint_keeps_this_worker_off_it(
    app, clock, receivers, backend
):
    if backend != "postgresql":
        pytest.skip("the row lock is PostgreSQL's (SQLite serialises claims with BEGIN IMMEDIATE)")
    receiver = receivers()
    endpoint_id, _ = endpoint(receiver.url)
    queue_test(endpoint_id)
    with db.engine.connect() as other:
        other.begin()
        other.execute(
            text("SELECT id FROM webhook_endpoints WHERE id = :id FOR UPDATE"), {"id": endpoint_id}
        )
        assert send_endpoint(endpoint_id) == 0, "skipped, not waited for"
        assert receiver.requests == []
        other.rollback()
    assert send_endpoint(endpoint_id) == 1
    assert len(receiver.requests) == 1


def test_a_leased_endpoint_is_not_sent_to_by_another_worker(app, clock, receivers):
    from rental.shared.db import unit_of_work
    from rental.webhooks.application.delivery import LEASE
    from rental.webhooks.infrastructure import store

    receiver = receivers()
    endpoint_id, _ = endpoint(receiver.url)
    queue_test(endpoint_id)
    with unit_of_work() as session:  # another worker's claim, its send under way
        token = store.claim_endpoint(session, endpoint_id, clock.now, clock.now + LEASE)
    assert token
    assert send_endpoint(endpoint_id) == 0 and receiver.requests == []
    clock.advance(LEASE + timedelta(seconds=1))  # that worker died: its lease runs out
    assert send_endpoint(endpoint_id) == 1 and len(receiver.requests) == 1
