"""Orders through the API on SQLite and PostgreSQL: hold → confirm → change → cancel with the
database checked, the read against the staff page, 409 with the cart's alternatives, 422 per
field, scopes, Idempotency-Key (also concurrent retries and two keys racing for the last
unit on PostgreSQL, forced open with a second session holding the type's booking lock — no
sleeps), and a body over API_MAX_BODY_BYTES."""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from rental.booking import BookingFacade, ReservationStatus
from rental.extensions import db
from tests.integration.api.conftest import assert_problem, bearer, make_token
from tests.support.fleet import make_customer, make_type

ORDERS = "/api/v1/orders"


def day(n: int) -> str:
    return (date.today() + timedelta(days=n)).isoformat()


def body(slug: str, quantity: int = 1, **extra) -> dict:
    return {
        "lines": [{"equipment_type": slug, "quantity": quantity}],
        "period": {"basis": "daily", "start": day(3), "end": day(3)},
        **extra,
    }


NEW_CUSTOMER = {
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "phone": "+44 20 7946 0000",
    "street": "1 Analytical Way",
    "city": "London",
    "state": "Greater London",
    "postal_code": "N1 9GU",
    "country": "United Kingdom",
}


def count_orders() -> int:
    n = db.session.execute(text("SELECT count(*) FROM booking_orders")).scalar_one()
    db.session.rollback()
    return n


def stored(reference: str):
    order = BookingFacade().get_order_by_reference(reference)
    db.session.rollback()
    return order


def errors_of(response) -> dict[str, str]:
    problem = assert_problem(response, 422)
    return {e["field"]: e["message"] for e in problem["errors"]}


# --- the happy path ------------------------------------------------------------------------------


def test_hold_confirm_change_cancel(app, client):
    fleet = make_type(units=3)
    secret = make_token("read", "orders:write", name="Website")
    created = client.post(
        ORDERS, json=body(fleet.slug, customer=NEW_CUSTOMER), headers=bearer(secret)
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    order = created.get_json()
    reference = order["reference"]
    assert created.headers["Location"] == f"/api/v1/orders/{reference}"
    assert order["status"] == "PENDING" and order["hold_expires_at"]
    assert order["channel"] == "API"
    (line,) = order["lines"]
    assert line["equipment_type"] == fleet.slug and line["quantity"] == 1
    assert order["total"] == {"amount": "120.00", "currency": order["total"]["currency"]}
    assert order["deposit"]["amount"] == "200.00"
    assert stored(reference).status is ReservationStatus.PENDING

    confirmed = client.post(f"{ORDERS}/{reference}/confirm", headers=bearer(secret))
    assert confirmed.status_code == 200, confirmed.get_data(as_text=True)
    assert confirmed.get_json()["status"] == "CONFIRMED"
    assert stored(reference).status is ReservationStatus.CONFIRMED

    read = client.get(f"{ORDERS}/{reference}", headers=bearer(secret)).get_json()
    version = read["lines"][0]["version"]
    changed = client.patch(
        f"{ORDERS}/{reference}/lines/{line['id']}",
        json={"quantity": 2},
        headers={**bearer(secret), "If-Match": f'"{version}"'},
    )
    assert changed.status_code == 200, changed.get_data(as_text=True)
    assert changed.get_json()["lines"][0]["quantity"] == 2
    assert changed.get_json()["total"]["amount"] == "240.00"
    assert stored(reference).lines[0].quantity == 2
    # The version read before the change is stale now: 412 (header) or 409 (body).
    stale = client.patch(
        f"{ORDERS}/{reference}/lines/{line['id']}",
        json={"quantity": 1},
        headers={**bearer(secret), "If-Match": f'"{version}"'},
    )
    assert_problem(stale, 412)
    for odd in ('"²"', '"1e3"', '"-1"', '"99999999999999999999"'):  # not a version: 400
        bad = client.patch(
            f"{ORDERS}/{reference}/lines/{line['id']}",
            json={"quantity": 1},
            headers={**bearer(secret), "If-Match": odd},
        )
        assert_problem(bad, 400)
    assert stored(reference).lines[0].quantity == 2
    stale = client.patch(
        f"{ORDERS}/{reference}/lines/{line['id']}",
        json={"quantity": 1, "expected_version": version},
        headers=bearer(secret),
    )
    assert_problem(stale, 409)
    assert stored(reference).lines[0].quantity == 2

    no_reason = client.post(f"{ORDERS}/{reference}/cancel", json={}, headers=bearer(secret))
    assert "reason" in errors_of(no_reason)
    cancelled = client.post(
        f"{ORDERS}/{reference}/cancel", json={"reason": "Event moved"}, headers=bearer(secret)
    )
    assert cancelled.status_code == 200, cancelled.get_data(as_text=True)
    answer = cancelled.get_json()
    assert answer["order"]["status"] == "CANCELLED"
    assert answer["fee"]["amount"] == "0.00"
    after = stored(reference)
    assert after.status is ReservationStatus.CANCELLED
    assert after.lines[0].cancellation_reason == "Event moved (API: Website)"


def test_add_a_line_and_change_the_period(app, client):
    one, two = make_type(units=2), make_type(units=2, name="Heater")
    secret = make_token("orders:write")
    customer_id = make_customer()
    created = client.post(
        ORDERS, json=body(one.slug, customer_id=customer_id), headers=bearer(secret)
    )
    reference = created.get_json()["reference"]
    added = client.post(
        f"{ORDERS}/{reference}/lines",
        json={"equipment_type": two.slug, "quantity": 2},
        headers=bearer(secret),
    )
    assert added.status_code == 201, added.get_data(as_text=True)
    assert [ln["equipment_type"] for ln in added.get_json()["lines"]] == [one.slug, two.slug]
    first = added.get_json()["lines"][0]["id"]
    moved = client.patch(
        f"{ORDERS}/{reference}/lines/{first}",
        json={"period": {"basis": "daily", "start": day(5), "end": day(6)}},
        headers=bearer(secret),
    )
    assert moved.status_code == 200, moved.get_data(as_text=True)
    order = stored(reference)
    assert all(r.period == order.period for r in order.lines)  # the whole order moved
    assert order.period.duration == timedelta(days=2)


def test_the_read_shows_what_the_staff_page_shows(app, client, admin_client):
    fleet = make_type(units=2)
    secret = make_token("read", "orders:write")
    created = client.post(
        ORDERS, json=body(fleet.slug, 2, customer_id=make_customer()), headers=bearer(secret)
    )
    read = client.get(created.headers["Location"], headers=bearer(secret))
    assert read.status_code == 200
    order = read.get_json()
    assert order == created.get_json()
    model = stored(order["reference"])
    page = admin_client.get(f"/admin/reservations/{model.first.id}").get_data(as_text=True)
    assert order["reference"] in page
    assert model.total.format() in page and order["total"]["amount"] == f"{model.total.amount:.2f}"
    assert order["lines"][0]["name"] in page
    assert order["status"] == model.status.value and model.status.label in page
    assert order["customer_id"] == model.customer_id

    listed = client.get(f"{ORDERS}?limit=1", headers=bearer(secret)).get_json()
    assert [o["reference"] for o in listed["data"]] == [order["reference"]]
    assert listed["next_cursor"] is None


def test_the_list_pages_with_a_cursor_and_filters(app, client):
    fleet = make_type(units=5)
    secret = make_token("admin")
    customer_id = make_customer()
    refs = [
        client.post(
            ORDERS, json=body(fleet.slug, customer_id=customer_id), headers=bearer(secret)
        ).get_json()["reference"]
        for _ in range(3)
    ]
    other = make_customer()
    client.post(ORDERS, json=body(fleet.slug, customer_id=other), headers=bearer(secret))
    seen, url = [], f"{ORDERS}?limit=2&customer_id={customer_id}&status=PENDING"
    while url:
        page = client.get(url, headers=bearer(secret))
        assert page.status_code == 200, page.get_data(as_text=True)
        seen += [o["reference"] for o in page.get_json()["data"]]
        link = page.headers.get("Link")
        url = link[1 : link.index(">")] if link else None
    assert sorted(seen) == sorted(refs) and len(seen) == 3
    far = client.get(f"{ORDERS}?from={day(30)}", headers=bearer(secret)).get_json()
    assert far["data"] == []
    assert "from" in errors_of(client.get(f"{ORDERS}?from=tomorrow", headers=bearer(secret)))


# --- conflicts and bad input ---------------------------------------------------------------------


def test_a_short_line_is_a_409_with_the_carts_alternatives(app, client):
    fleet = make_type(units=1)
    secret = make_token("orders:write")
    customer_id = make_customer()
    too_many = client.post(
        ORDERS, json=body(fleet.slug, 2, customer_id=customer_id), headers=bearer(secret)
    )
    problem = assert_problem(too_many, 409)
    (alt,) = problem["alternatives"]
    assert alt["line"] == 0 and alt["slug"] == fleet.slug and alt["max_quantity"] == 1
    assert count_orders() == 0

    assert (
        client.post(
            ORDERS, json=body(fleet.slug, customer_id=customer_id), headers=bearer(secret)
        ).status_code
        == 201
    )
    taken = client.post(
        ORDERS, json=body(fleet.slug, customer_id=make_customer()), headers=bearer(secret)
    )
    problem = assert_problem(taken, 409)
    (alt,) = problem["alternatives"]
    assert alt["available"] == 0 and alt["max_quantity"] == 0
    assert alt["earliest_period"]["start"][:10] > day(3)  # later: the same length, free
    assert count_orders() == 1


def test_bad_input_is_a_422_per_field_with_the_pages_messages(app, client):
    fleet = make_type(units=2)
    secret = make_token("orders:write")
    customer_id = make_customer()

    def post(payload):
        return client.post(ORDERS, json=payload, headers=bearer(secret))

    bad_day = body(fleet.slug, customer_id=customer_id)
    bad_day["period"]["start"] = "2030-13-01"
    assert errors_of(post(bad_day))["period.start"] == "2030-13-01 is not a day in the calendar."
    backwards = body(fleet.slug, customer_id=customer_id)
    backwards["period"] |= {"start": day(5), "end": day(3)}
    assert set(errors_of(post(backwards))) <= {"period.start", "period.end", "period"}
    unknown = body("no-such-thing", customer_id=customer_id)
    assert "lines[0].equipment_type" in errors_of(post(unknown))
    for quantity in (0, "abc", 1000, True):
        errors = errors_of(post(body(fleet.slug, quantity, customer_id=customer_id)))
        assert errors["lines[0].quantity"] == "Quantities are whole numbers from 1 to 999."
    assert "colour" in errors_of(post(body(fleet.slug, customer_id=customer_id, colour="red")))
    assert errors_of(post(body(fleet.slug)))["customer"] == (
        "Choose a customer, or enter a new customer's details."
    )
    assert "customer_id" in errors_of(post(body(fleet.slug, customer_id="nobody")))
    bad_email = body(fleet.slug, customer={**NEW_CUSTOMER, "email": "not-an-email"})
    assert "customer.email" in errors_of(post(bad_email))
    no_item = {**body(fleet.slug, customer_id=customer_id), "lines": [{"quantity": 1}]}
    assert "lines[0]" in errors_of(post(no_item))
    assert count_orders() == 0


def test_a_hold_that_ran_out_and_was_taken_cannot_be_confirmed(app, client):
    fleet = make_type(units=1)
    secret = make_token("orders:write")
    first = client.post(
        ORDERS, json=body(fleet.slug, customer_id=make_customer()), headers=bearer(secret)
    )
    reference = first.get_json()["reference"]
    db.session.execute(
        text("UPDATE booking_reservations SET hold_expires_at = created_at WHERE order_id = :id"),
        {"id": first.get_json()["id"]},
    )
    db.session.commit()
    other = client.post(
        ORDERS, json=body(fleet.slug, customer_id=make_customer()), headers=bearer(secret)
    )
    assert other.status_code == 201
    refused = client.post(f"{ORDERS}/{reference}/confirm", headers=bearer(secret))
    problem = assert_problem(refused, 409)
    assert problem["detail"].startswith(
        "Your hold expired and in the meantime the equipment was booked"
    )
    assert stored(reference).status is ReservationStatus.PENDING


def test_scopes(app, client):
    fleet = make_type(units=1)
    reader = make_token("read")
    assert_problem(
        client.post(
            ORDERS, json=body(fleet.slug, customer_id=make_customer()), headers=bearer(reader)
        ),
        403,
    )
    assert_problem(client.post(ORDERS, json=body(fleet.slug, customer_id=make_customer())), 401)
    assert_problem(client.get(ORDERS), 401)
    assert client.get(ORDERS, headers=bearer(reader)).status_code == 200
    assert_problem(client.get(f"{ORDERS}/RK-NOSUCH", headers=bearer(reader)), 404)
    assert count_orders() == 0


def test_a_body_over_the_limit_is_a_413_and_writes_nothing(app, client):
    fleet = make_type(units=1)
    secret = make_token("orders:write")
    huge = body(
        fleet.slug,
        customer={
            **NEW_CUSTOMER,
            "name": "x" * (app.config.get("API_MAX_BODY_BYTES", 1 << 20) + 10),
        },
    )
    assert_problem(client.post(ORDERS, json=huge, headers=bearer(secret)), 413)
    assert count_orders() == 0


# --- Idempotency-Key -----------------------------------------------------------------------------


def test_a_retry_with_the_same_key_is_the_same_order(app, client):
    fleet = make_type(units=3)
    secret = make_token("orders:write")
    payload = body(fleet.slug, customer=NEW_CUSTOMER)
    headers = {**bearer(secret), "Idempotency-Key": "order-42"}
    first = client.post(ORDERS, json=payload, headers=headers)
    again = client.post(ORDERS, json=payload, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert again.headers["Location"] == first.headers["Location"]
    assert count_orders() == 1
    other = client.post(ORDERS, json=body(fleet.slug, 2, customer=NEW_CUSTOMER), headers=headers)
    assert_problem(other, 422, "idempotency-key-reused")
    assert count_orders() == 1
    # A refused request stores nothing: the same key may be used once it is fixed.
    short = client.post(
        ORDERS,
        json=body(fleet.slug, 9, customer=NEW_CUSTOMER),
        headers={**headers, "Idempotency-Key": "k2"},
    )
    assert_problem(short, 409)
    fixed = client.post(
        ORDERS,
        json=body(fleet.slug, 1, customer=NEW_CUSTOMER),
        headers={**headers, "Idempotency-Key": "k2"},
    )
    assert fixed.status_code == 201 and count_orders() == 2


# --- races on PostgreSQL (a second session holds the type's booking lock) ----------------------


def lock_waiters() -> int:
    count = db.session.execute(
        text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
    ).scalar_one()
    db.session.rollback()
    return count


class TypeLock:
    """A second session holding the booking lock of a type (what ReservationRepository takes
    before it decides capacity) until released."""

    def __init__(self, type_id: str) -> None:
        key = int.from_bytes(
            hashlib.blake2b(f"booking:{type_id}".encode(), digest_size=8).digest(),
            "big",
            signed=True,
        )
        self.connection = db.engine.connect()
        self.transaction = self.connection.begin()
        self.connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})

    def release(self) -> None:
        self.transaction.rollback()
        self.connection.close()


class Request(threading.Thread):
    def __init__(self, client, payload, headers) -> None:
        super().__init__(daemon=True)
        self.args = (payload, headers)
        self.client = client
        self.response = None

    def run(self) -> None:
        payload, headers = self.args
        self.response = self.client.post(ORDERS, json=payload, headers=headers)


def wait_for_waiters(n: int, *threads: Request) -> None:
    """Until `n` backends wait on a lock (a state, not a delay)."""
    for _ in range(4000):
        if lock_waiters() >= n:
            return
        assert all(t.is_alive() for t in threads), "a request finished without waiting"
        time.sleep(0.005)
    pytest.fail(f"never {n} lock waiters")


def test_a_concurrent_retry_waits_for_the_first_and_replays_it(app, client, backend):
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers at BEGIN IMMEDIATE: this window cannot open")
    fleet = make_type(units=3)
    secret = make_token("orders:write")
    payload = body(fleet.slug, customer_id=make_customer())
    headers = {**bearer(secret), "Idempotency-Key": "same"}
    lock = TypeLock(fleet.type_id)
    first = Request(app.test_client(), payload, headers)
    retry = Request(app.test_client(), payload, headers)
    try:
        first.start()
        wait_for_waiters(1, first)  # its key row inserted, uncommitted; waiting on the type
        retry.start()
        wait_for_waiters(2, first, retry)  # the retry waits on the key's unique index
        assert count_orders() == 0
    finally:
        lock.release()
    first.join(timeout=60)
    retry.join(timeout=60)
    assert first.response.status_code == 201, first.response.get_data(as_text=True)
    assert retry.response.status_code == 201, retry.response.get_data(as_text=True)
    assert retry.response.headers["Idempotent-Replayed"] == "true"
    assert retry.response.get_json() == first.response.get_json()
    assert count_orders() == 1


def test_two_keys_racing_for_the_last_unit_get_one_order(app, client, backend):
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers at BEGIN IMMEDIATE: this window cannot open")
    fleet = make_type(units=1)
    secret = make_token("orders:write")
    lock = TypeLock(fleet.type_id)
    racers = [
        Request(
            app.test_client(),
            body(fleet.slug, customer_id=make_customer()),
            {**bearer(secret), "Idempotency-Key": key},
        )
        for key in ("a", "b")
    ]
    try:
        for racer in racers:
            racer.start()
        wait_for_waiters(2, *racers)  # both checked the cart (free) and wait for the lock
    finally:
        lock.release()
    for racer in racers:
        racer.join(timeout=60)
    statuses = sorted(r.response.status_code for r in racers)
    assert statuses == [201, 409], [r.response.get_data(as_text=True) for r in racers]
    loser = next(r.response for r in racers if r.response.status_code == 409)
    assert loser.get_json()["alternatives"][0]["available"] == 0
    assert count_orders() == 1
