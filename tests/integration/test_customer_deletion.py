"""Deleting a customer's records (spec P7), on SQLite and PostgreSQL, through the staff pages:
a customer registered by mistake (no order, no payment) is deleted — the row, CRM's
preferences and consent log, and nothing of theirs left in any table; one with an order is
refused with a message saying what the shop must keep, offered anonymising instead, and
nothing changes; only admins may, only by a confirmed POST with a CSRF token."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from rental.booking.infrastructure.repositories import ReservationRepository
from rental.crm import CRMFacade, Preferences, UpdateCommunicationPreferences
from rental.customers import CustomerFacade
from rental.extensions import db
from rental.shared.errors import ConflictError, NotFoundError, ValidationError
from rental.shared.outbox import OutboxMessageEntity
from tests.integration.test_anonymisation_everywhere import (
    book,
    drain,
    dump,
    found,
    register,
)
from tests.support.auth import csrf_token
from tests.support.fleet import make_type
from tests.support.locks import wait_until_blocked


def page(customer_id: str) -> str:
    return f"/admin/customers/{customer_id}/delete"


def gone(customer_id: str) -> bool:
    try:
        CustomerFacade().get_customer_by_id(customer_id)
    except NotFoundError:
        return True
    finally:
        db.session.rollback()
    return False


def test_a_customer_registered_by_mistake_is_deleted_with_everything_of_theirs(admin_client):
    customer, needles = register("Zelda Quirinus", "Lavendelgasse 17", "+49 171 5550199")
    other, other_needles = register("Otto Normalverbraucher", "Ahornallee 3", "+49 152 4440123")
    crm = CRMFacade()
    for who in (customer, other):  # consent log rows for both
        crm.update_communication_preferences(
            UpdateCommunicationPreferences(who, True, False, True, "customer")
        )
    drain()
    assert found(dump(), [customer])["crm_consent_log"]

    confirm = admin_client.get(page(customer))  # GET only asks
    body = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Delete customer" in body and "cannot be undone" in body
    assert not gone(customer)

    token = csrf_token(admin_client, page(customer))
    unticked = admin_client.post(page(customer), data={"csrf_token": token})
    assert unticked.status_code == 422 and "Tick the box" in unticked.get_data(as_text=True)
    assert not gone(customer)

    done = admin_client.post(page(customer), data={"csrf_token": token, "confirm": "yes"})
    assert done.status_code == 303 and done.headers["Location"].endswith("/admin/customers")
    drain()
    assert gone(customer)
    after = dump()
    assert found(after, [*needles, customer]) == {
        # Only the event that says so names the ID (no personal data in it).
        "outbox_messages": found(after, [customer])["outbox_messages"]
    }
    events = db.session.scalars(
        select(OutboxMessageEntity.event_type).where(
            OutboxMessageEntity.payload["customer_id"].as_string() == customer
        )
    ).all()
    db.session.rollback()
    assert "CustomerDeleted" in events
    assert crm.get_preferences(customer) == Preferences()
    assert crm.export_for_customer(customer)["consent_log"] == []
    db.session.rollback()
    # The other customer is untouched.
    assert not gone(other)
    assert len(crm.export_for_customer(other)["consent_log"]) == 2
    db.session.rollback()
    assert found(after, other_needles)["customers_customers"]


def test_a_customer_with_an_order_is_refused_and_offered_anonymising(admin_client):
    customer, _ = register("Zelda Quirinus", "Lavendelgasse 17", "+49 171 5550199")
    book(customer, make_type(units=1).type_id, days=2)
    drain()  # the ledger is charged and the invoice issued
    before = dump()

    confirm = admin_client.get(page(customer)).get_data(as_text=True)
    refusal = (
        "Zelda Quirinus has 1 order, payment records and invoices the shop must keep; "
        "anonymise instead."
    )
    assert refusal in confirm
    assert f"/admin/customers/{customer}/anonymise" in confirm
    assert "Delete customer</button>" not in confirm

    token = csrf_token(admin_client, page(customer))
    refused = admin_client.post(page(customer), data={"csrf_token": token, "confirm": "yes"})
    assert refused.status_code == 409 and refusal in refused.get_data(as_text=True)
    drain()
    assert not gone(customer)
    assert dump() == before  # nothing changed anywhere


@pytest.mark.parametrize("method", ["get", "post"])
def test_only_admins_may_delete(staff_client, method):
    customer, _ = register("Zelda Quirinus", "Lavendelgasse 17", "+49 171 5550199")
    data = {"csrf_token": csrf_token(staff_client), "confirm": "yes"} if method == "post" else None
    response = getattr(staff_client, method)(page(customer), data=data)
    assert response.status_code == 403
    assert not gone(customer)


def test_a_post_without_the_csrf_token_deletes_nothing(admin_client):
    customer, _ = register("Zelda Quirinus", "Lavendelgasse 17", "+49 171 5550199")
    response = admin_client.post(page(customer), data={"confirm": "yes"})
    assert response.status_code == 400
    assert not gone(customer)


def test_the_customer_page_links_to_deleting_for_admins_only(admin_client, staff_client):
    customer, _ = register("Zelda Quirinus", "Lavendelgasse 17", "+49 171 5550199")
    assert page(customer) in admin_client.get(f"/admin/customers/{customer}").get_data(as_text=True)
    shown = staff_client.get(f"/admin/customers/{customer}").get_data(as_text=True)
    assert page(customer) not in shown


# --- races (PostgreSQL: SQLite serialises every writer, the windows cannot open there) ---------


def _in_thread(app, work) -> tuple[threading.Thread, dict[str, object]]:
    result: dict[str, object] = {}

    def run() -> None:
        with app.app_context():
            try:
                result["value"] = work()
            except Exception as error:  # the test asserts which one
                result["error"] = error
            finally:
                db.session.remove()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


def _waits(thread: threading.Thread, query_part: str) -> bool:
    """True once a session of this database waits for a lock in a statement containing
    `query_part` (asked of the server, no sleeping on a guess)."""
    return wait_until_blocked(db.engine, query_like=query_part, thread=thread) > 0


def _reservations_of(customer_id: str) -> int:
    count = db.session.execute(
        text("SELECT count(*) FROM booking_reservations WHERE customer_id = :c"),
        {"c": customer_id},
    ).scalar()
    db.session.rollback()
    return count


def test_a_booking_made_while_the_customer_is_being_deleted_waits_and_is_refused(app, backend):
    """The delete is under way (its transaction has removed the row, not committed): a
    booking for that customer waits for it, then finds no customer — never an order
    pointing at a deleted record."""
    if backend != "postgresql":
        pytest.skip("SQLite serialises every write transaction: this window cannot open there")
    customer, _ = register("Zelda Quirinus", "Lavendelgasse 17", "+49 171 5550199")
    fleet = make_type(units=2)
    holder = db.engine.connect()
    try:
        transaction = holder.begin()
        holder.execute(text("DELETE FROM customers_customers WHERE id = :c"), {"c": customer})
        thread, result = _in_thread(app, lambda: book(customer, fleet.type_id, 3, confirm=False))
        waited = _waits(thread, "customers_customers")
        transaction.commit()
    finally:
        holder.close()
    thread.join(30)
    assert waited, "the booking waits for the delete"
    assert isinstance(result.get("error"), ValidationError), result
    assert "could not find that customer" in str(result["error"])
    assert _reservations_of(customer) == 0


def test_a_delete_asked_while_a_booking_is_being_written_waits_and_is_refused(app, backend):
    """A booking for the customer is being written (it has checked the customer and waits
    for the equipment type's lock, held here by a second session): the delete waits for that
    booking, then sees its order and refuses — the customer stays."""
    if backend != "postgresql":
        pytest.skip("SQLite serialises every write transaction: this window cannot open there")
    customer, _ = register("Zelda Quirinus", "Lavendelgasse 17", "+49 171 5550199")
    fleet = make_type(units=2)
    holder = Session(bind=db.engine)
    try:
        ReservationRepository(holder).lock_equipment_type(fleet.type_id)
        booking, booked = _in_thread(app, lambda: book(customer, fleet.type_id, 3, confirm=False))
        booking_waited = _waits(booking, "pg_advisory_xact_lock")
        deleting, deleted = _in_thread(app, lambda: CustomerFacade().delete_customer(customer))
        delete_waited = _waits(deleting, "customers_customers")
    finally:
        holder.rollback()
        holder.close()
    booking.join(30)
    deleting.join(30)
    assert booking_waited, "the booking waits for the type's lock"
    assert delete_waited, "the delete waits for the booking"
    assert "error" not in booked, booked
    assert isinstance(deleted.get("error"), ConflictError), deleted
    assert "anonymise instead" in str(deleted["error"])
    assert not gone(customer) and _reservations_of(customer) == 1
