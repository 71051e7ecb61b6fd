"""Communication preferences on SQLite and PostgreSQL: the command (one transaction, a
consent-log row only for each field that changed) and the staff form on the customer page
(CSRF, tampered or bad input → 4xx with nothing written); the page's CRM section."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from rental.crm import CRMFacade, Preferences, UpdateCommunicationPreferences
from rental.crm.infrastructure.entities import ConsentLogEntity, PreferencesEntity
from rental.crm.infrastructure.repositories import CRMRepository
from rental.extensions import db
from rental.shared.errors import ValidationError
from tests.support.auth import csrf_token
from tests.support.fleet import make_customer


def prefs(customer_id: str) -> Preferences:
    found = CRMFacade().get_preferences(customer_id)
    db.session.rollback()
    return found


def log(customer_id: str) -> list[tuple[str, bool, str]]:
    rows = CRMRepository(db.session()).consent_log(customer_id)
    found = [(r.field, r.value, r.source) for r in rows]
    db.session.rollback()
    return found


def counts() -> tuple[int, int]:
    found = tuple(
        db.session.scalar(select(func.count()).select_from(e))
        for e in (PreferencesEntity, ConsentLogEntity)
    )
    db.session.rollback()
    return found


def update(customer_id: str, source: str = "customer", **flags):
    values = {"marketing_email": False, "sms": False, "newsletter": False, **flags}
    return CRMFacade().update_communication_preferences(
        UpdateCommunicationPreferences(customer_id=customer_id, source=source, **values)
    )


def test_all_off_by_default_and_only_changed_fields_are_logged(app):
    customer = make_customer()
    assert prefs(customer) == Preferences(False, False, False)
    assert update(customer) == []  # nothing changed: nothing written
    assert counts() == (0, 0)
    assert update(customer, sms=True, newsletter=True) == [("sms", True), ("newsletter", True)]
    assert update(customer, "staff:anna@example.com", sms=True, marketing_email=True) == [
        ("marketing_email", True),
        ("newsletter", False),
    ]
    assert prefs(customer) == Preferences(marketing_email=True, sms=True, newsletter=False)
    assert log(customer) == [
        ("sms", True, "customer"),
        ("newsletter", True, "customer"),
        ("marketing_email", True, "staff:anna@example.com"),
        ("newsletter", False, "staff:anna@example.com"),
    ]


@pytest.mark.parametrize(
    "bad",
    [
        {"source": "admin"},
        {"source": "staff:"},
        {"customer_id": ""},
        {"customer_id": "x" * 37},
        {"sms": "yes"},
    ],
)
def test_bad_commands_are_refused_and_write_nothing(app, bad):
    customer = make_customer()
    values = {
        "customer_id": customer,
        "marketing_email": False,
        "sms": False,
        "newsletter": True,
        "source": "customer",
        **bad,
    }
    with pytest.raises(ValidationError):
        CRMFacade().update_communication_preferences(UpdateCommunicationPreferences(**values))
    db.session.rollback()
    assert counts() == (0, 0)


def page(client, customer_id: str) -> str:
    response = client.get(f"/admin/customers/{customer_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_customer_page_shows_the_crm_section_and_staff_change_preferences(
    app, staff_client, staff_user
):
    customer = make_customer()
    body = page(staff_client, customer)
    assert 'id="customer-crm"' in body
    assert 'id="crm-tier">Bronze<' in body
    assert "No payments yet" in body and "No rentals yet" in body
    assert 'name="sms"' in body and 'for="crm-sms"' in body
    token = csrf_token(staff_client, f"/admin/customers/{customer}")
    url = f"/admin/crm/customers/{customer}/preferences"
    response = staff_client.post(url, data={"csrf_token": token, "sms": "1", "newsletter": "1"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/admin/customers/{customer}#customer-crm")
    assert prefs(customer) == Preferences(marketing_email=False, sms=True, newsletter=True)
    source = f"staff:{staff_user.email}"
    assert log(customer) == [("sms", True, source), ("newsletter", True, source)]
    body = staff_client.get(f"/admin/customers/{customer}", follow_redirects=True)
    text = body.get_data(as_text=True)
    assert "Communication preferences saved: SMS on, Newsletter on." in text
    assert 'name="sms" value="1" checked' in text
    # Unticking one box logs that one field only.
    staff_client.post(url, data={"csrf_token": token, "newsletter": "1"})
    assert log(customer)[-1] == ("sms", False, source) and len(log(customer)) == 3


@pytest.mark.parametrize(
    "data",
    [
        {"sms": "maybe"},
        {"sms": ["1", "0"]},
        {"newsletter": "<script>"},
    ],
)
def test_tampered_form_input_is_refused_with_nothing_changed(app, staff_client, data):
    customer = make_customer()
    token = csrf_token(staff_client, f"/admin/customers/{customer}")
    response = staff_client.post(
        f"/admin/crm/customers/{customer}/preferences", data={"csrf_token": token, **data}
    )
    assert response.status_code == 422
    assert "tick the box" in response.get_data(as_text=True) or "one value" in (
        response.get_data(as_text=True)
    )
    assert counts() == (0, 0)


def test_no_csrf_token_or_unknown_customer_changes_nothing(app, staff_client, client):
    customer = make_customer()
    url = f"/admin/crm/customers/{customer}/preferences"
    assert staff_client.post(url, data={"sms": "1"}).status_code == 400
    token = csrf_token(staff_client, f"/admin/customers/{customer}")
    stranger = f"/admin/crm/customers/{uuid.uuid4()}/preferences"
    assert staff_client.post(stranger, data={"csrf_token": token, "sms": "1"}).status_code == 404
    # Not signed in: the sign-in page, nothing written.
    assert client.post(url, data={"sms": "1"}).status_code in (302, 303, 400, 401, 403)
    assert counts() == (0, 0)
