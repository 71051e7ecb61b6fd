"""CRM in the customer's privacy export and at anonymisation, on SQLite and PostgreSQL: the
export holds every CRM row of the customer; anonymisation keeps history, points and lifetime
value, withdraws the preferences (logged `anonymised`) and keeps the consent log."""

from __future__ import annotations

import json

from rental.contracts.booking import ReservationCompleted, ReservationConfirmed
from rental.contracts.payments import PaymentReceived
from rental.crm import CRMFacade, Preferences, UpdateCommunicationPreferences
from rental.customers import CustomerFacade
from rental.extensions import db
from tests.integration.crm.test_projections import drain, emit, ledger_event, line_event
from tests.integration.crm.test_rebuild import PROJECTIONS, rows
from tests.support.fleet import make_customer


def customer_with_crm_rows() -> str:
    customer = make_customer()
    line = {"total": "1500", "reservation_id": customer}
    emit(
        line_event(ReservationConfirmed, customer, sequence=1, **line),
        line_event(ReservationCompleted, customer, sequence=3, **line),
        ledger_event(PaymentReceived, customer, "1500", f"p-{customer}"),
    )
    crm = CRMFacade()
    crm.update_communication_preferences(
        UpdateCommunicationPreferences(customer, True, True, False, "customer")
    )
    crm.update_communication_preferences(
        UpdateCommunicationPreferences(customer, True, False, False, "staff:ann@example.com")
    )
    return customer


def test_the_export_holds_the_customers_crm_rows(app):
    customer = customer_with_crm_rows()
    other = customer_with_crm_rows()
    document = CustomerFacade().export_customer_data(customer)
    db.session.rollback()
    json.dumps(document)  # JSON-ready
    crm = document["crm"]
    assert [(h["status"], h["loyalty_points"]) for h in crm["rental_history"]] == [
        ("completed", 150)
    ]
    assert crm["rental_history"][0]["amount"] == {"amount": "1500.0000", "currency": "EUR"}
    assert (crm["loyalty"]["tier"], crm["loyalty"]["points"]) == ("Silver", 150)
    assert crm["lifetime_value"]["amount"].startswith("1500")
    assert crm["communication_preferences"] == {
        "marketing_email": True,
        "sms": False,
        "newsletter": False,
    }
    assert [(c["preference"], c["value"], c["source"]) for c in crm["consent_log"]] == [
        ("marketing_email", True, "customer"),
        ("sms", True, "customer"),
        ("sms", False, "staff:ann@example.com"),
    ]
    assert other not in json.dumps(crm)


def test_a_customer_without_crm_rows_exports_empty_sections(app):
    document = CustomerFacade().export_customer_data(make_customer())
    db.session.rollback()
    assert document["crm"]["rental_history"] == [] and document["crm"]["loyalty"] is None
    assert document["crm"]["consent_log"] == []


def test_anonymisation_keeps_the_aggregates_and_withdraws_the_preferences(app):
    customer = customer_with_crm_rows()
    before = rows(*PROJECTIONS)
    customers = CustomerFacade()
    customers.anonymise_customer(customer)
    drain()
    crm = CRMFacade()
    assert rows(*PROJECTIONS) == before  # history, points, lifetime value kept
    assert crm.get_preferences(customer) == Preferences()
    log = [
        (c["preference"], c["value"], c["source"])
        for c in crm.export_for_customer(customer)["consent_log"]
    ]
    db.session.rollback()
    assert log[-1] == ("marketing_email", False, "anonymised") and len(log) == 4

    customers.anonymise_customer(customer)  # again (and the event redelivered): no more rows
    drain()
    assert len(crm.export_for_customer(customer)["consent_log"]) == 4
    db.session.rollback()
    crm.rebuild_projections()  # the rebuild does not bring anything back, nor drop the log
    assert rows(*PROJECTIONS) == before
    assert crm.get_preferences(customer) == Preferences()
    db.session.rollback()
