"""The cancellation fee and the cash-up in a real browser at 390 px: the customer's cancel page
says the fee, staff tick "charge the fee" on the reservation page, and the cash-up page lists
the day without widening the phone's screen."""

from __future__ import annotations

import os
import secrets
from decimal import Decimal

from playwright.sync_api import Browser

from rental.booking import BookingChannel, BookingFacade, CreateReservation, PricingBasis
from rental.payments import Account, FeeKind, Method, PaymentPolicy, PaymentsFacade, RecordPayment
from rental.shared.outbox import OutboxProcessor
from rental.shared.time_range import TimeRange
from tests.e2e.conftest import sign_in_page
from tests.support.fleet import make_customer, make_type, tomorrow_at

PHONE = {"width": 390, "height": 844}
SHOTS = os.environ.get("RENTAL_SCREENSHOTS")  # a folder: save what the pages looked like


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def _width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def _booked(hourly: str = "20.00") -> tuple[str, str, str]:
    token = secrets.token_urlsafe(24)
    booking = BookingFacade()
    rid = booking.create_reservation(
        CreateReservation(
            make_customer(),
            make_type(hourly=hourly).type_id,
            TimeRange(tomorrow_at(9), tomorrow_at(13)),
            1,
            PricingBasis.HOURLY,
            token,
            channel=BookingChannel.STAFF,
        )
    )
    booking.confirm_reservation(rid)
    processor = OutboxProcessor()
    while processor.drain_once().claimed:
        pass
    return rid, booking.get_reservation(rid).reference, token


def test_fee_and_cash_up_on_a_phone(browser: Browser, live_server):
    with live_server.app.app_context():
        PaymentsFacade().save_policy(
            PaymentPolicy(
                cancellation_free_hours=48,
                cancellation_fee=FeeKind.PERCENT,
                cancellation_fee_value=Decimal("25"),
            )
        )
        rid, reference, token = _booked()
        staff_rid, _, _ = _booked()
        PaymentsFacade().record_payment(
            RecordPayment(
                order_id=rid,
                amount=Decimal("80"),
                method=Method.CARD_TERMINAL,
                account=Account.RENTAL,
                actor="till@example.com",
                reference="terminal 4711",
            )
        )
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/r/{reference}/{token}/cancel")
    fee = page.locator("#cancellation-fee")
    assert "Cancelling now costs €20.00 (25 % of €80.00" in fee.inner_text()
    assert "€60.00 you paid will be refunded" in fee.inner_text()
    assert _width(page) <= PHONE["width"]
    _shot(page, "cancel-page")
    page.get_by_role("button", name="Yes, cancel the booking").click()
    page.wait_for_url(f"{live_server.url}/r/{reference}/{token}")

    sign_in_page(page, live_server, "STAFF")
    page.goto(f"{live_server.url}/admin/reservations/{staff_rid}")
    page.locator("summary", has_text="Cancel this reservation").click()
    box = page.get_by_label("Charge the cancellation fee")
    assert box.is_visible() and not box.is_checked()
    _shot(page, "staff-cancel")

    page.goto(f"{live_server.url}/admin/payments")
    assert page.locator("#total-card_terminal td").first.inner_text() == "€80.00"
    assert "terminal 4711" in page.locator("#cashup-entries").inner_text()
    assert _width(page) <= PHONE["width"]
    _shot(page, "cash-up")
    page.get_by_role("link", name="Payments", exact=True).first.click()
    page.wait_for_url(f"{live_server.url}/admin/payments")
    context.close()
