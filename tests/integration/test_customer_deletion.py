"""Deleting a customer's records (spec P7), on SQLite and PostgreSQL, through the staff pages:
a customer registered by mistake (no order, no payment) is deleted — the row, CRM's
preferences and consent log, and nothing of theirs left in any table; one with an order is
refused with a message saying what the shop must keep, offered anonymising instead, and
nothing changes; only admins may, only by a confirmed POST with a CSRF token."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from rental.crm import CRMFacade, Preferences, UpdateCommunicationPreferences
from rental.customers import CustomerFacade
from rental.extensions import db
from rental.shared.errors import NotFoundError
from rental.shared.outbox import OutboxMessageEntity
from tests.integration.test_anonymisation_everywhere import book, drain, dump, found, register
from tests.support.auth import csrf_token
from tests.support.fleet import make_type


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
