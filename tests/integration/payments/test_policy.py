"""The shop's payment policy: defaults before anything is saved, saved by an administrator,
every faulty field answered next to it with nothing saved, staff may look but not change."""

from __future__ import annotations

from decimal import Decimal

from rental.payments import DepositRule, FeeKind, PaymentPolicy, PaymentsFacade, RentalDue
from tests.support.auth import csrf_token

GOOD = {
    "rental_due": "by_invoice",
    "invoice_days": "10",
    "deposit": "optional",
    "vat_rate": "19",
    "prices_include_vat": "net",
    "vat_id": "DE 123 456 789",
    "invoice_on_confirm": "on",
    "cancellation_free_hours": "72",
    "cancellation_fee": "percent",
    "cancellation_fee_value": "25",
    "overdue_grace_minutes": "45",
}


def test_defaults_before_anything_is_saved(app):
    with app.app_context():
        assert PaymentsFacade().get_policy() == PaymentPolicy()


def test_an_administrator_saves_the_policy(admin_client, app):
    token = csrf_token(admin_client, "/admin/payments/settings")
    response = admin_client.post("/admin/payments/settings", data={**GOOD, "csrf_token": token})
    assert response.status_code == 303
    with app.app_context():
        policy = PaymentsFacade().get_policy()
    assert policy.rental_due == RentalDue.BY_INVOICE
    assert policy.deposit == DepositRule.OPTIONAL
    assert policy.vat_rate == Decimal("19")
    assert policy.prices_include_vat is False
    assert policy.cancellation_fee == FeeKind.PERCENT
    assert policy.cancellation_fee_value == Decimal("25")
    assert policy.overdue_grace.total_seconds() == 45 * 60
    page = admin_client.get("/admin/payments/settings").get_data(as_text=True)
    assert 'value="DE 123 456 789"' in page


def test_every_faulty_field_is_answered_and_nothing_is_saved(admin_client, app):
    token = csrf_token(admin_client, "/admin/payments/settings")
    bad = {
        **GOOD,
        "rental_due": "whenever",
        "vat_rate": "19.555",
        "cancellation_fee_value": "120",
        "overdue_grace_minutes": "-5",
        "prices_include_vat": "",
        "csrf_token": token,
    }
    response = admin_client.post("/admin/payments/settings", data=bad)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for message in (
        "Choose when the rental is paid",
        "at most 2 decimals",
        "A percentage fee can be at most 100",
        "grace period must be between",
        "Say whether the rate cards include VAT",
    ):
        assert message in page
    with app.app_context():
        assert PaymentsFacade().get_policy() == PaymentPolicy()


def test_a_fee_needs_its_amount(admin_client):
    token = csrf_token(admin_client, "/admin/payments/settings")
    data = {**GOOD, "cancellation_fee": "fixed", "cancellation_fee_value": "", "csrf_token": token}
    response = admin_client.post("/admin/payments/settings", data=data)
    assert response.status_code == 422
    assert "Give the fee, or choose" in response.get_data(as_text=True)


def test_staff_see_the_policy_but_only_administrators_change_it(staff_client, app):
    page = staff_client.get("/admin/payments/settings")
    assert page.status_code == 200
    assert "Only administrators change these settings" in page.get_data(as_text=True)
    token = csrf_token(staff_client, "/admin/payments/settings")
    response = staff_client.post("/admin/payments/settings", data={**GOOD, "csrf_token": token})
    assert response.status_code == 403
    with app.app_context():
        assert PaymentsFacade().get_policy() == PaymentPolicy()
