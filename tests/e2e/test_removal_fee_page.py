"""Taking an item out within the fee window, in a real browser at 390 px: the remove page
says what it costs before the customer confirms, fits the phone, and confirming takes it out."""

from __future__ import annotations

import secrets
from decimal import Decimal

from playwright.sync_api import Browser

from rental.booking import BookingChannel, BookingFacade, OrderLine, PlaceOrder, PricingBasis
from rental.payments import FeeKind, PaymentPolicy, PaymentsFacade
from rental.shared.outbox import OutboxProcessor
from rental.shared.time_range import TimeRange
from tests.e2e.test_payments_pages import PHONE, _shot, _width
from tests.support.fleet import make_customer, make_type, tomorrow_at


def test_the_remove_page_says_the_fee_on_a_phone(browser: Browser, live_server):
    with live_server.app.app_context():
        PaymentsFacade().save_policy(
            PaymentPolicy(
                cancellation_free_hours=48,
                cancellation_fee=FeeKind.PERCENT,
                cancellation_fee_value=Decimal("25"),
            )
        )
        token = secrets.token_urlsafe(24)
        booking = BookingFacade()
        order = booking.place_order(
            PlaceOrder(
                make_customer(),
                (
                    OrderLine(1, equipment_type_id=make_type(hourly="20.00", deposit=None).type_id),
                    OrderLine(
                        2,
                        equipment_type_id=make_type(
                            hourly="5.00", name="Light", deposit=None
                        ).type_id,
                    ),
                ),
                TimeRange(tomorrow_at(9), tomorrow_at(13)),
                PricingBasis.HOURLY,
                token,
                channel=BookingChannel.STAFF,
            )
        )
        booking.confirm_reservation(order.first.id)
        processor = OutboxProcessor()
        while processor.drain_once().claimed:
            pass
        reference, lights = order.reference, order.lines[1].id
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/r/{reference}/{token}/items/{lights}/remove")
    fee = page.locator("#cancellation-fee")
    assert "Taking this out now costs €10.00 (25 % of €40.00" in fee.inner_text()
    assert "€90.00 remains for you to pay" in fee.inner_text()
    assert _width(page) <= PHONE["width"]
    _shot(page, "remove-item-fee")
    page.get_by_role("button", name="Yes, remove it").click()
    page.wait_for_url(f"{live_server.url}/r/{reference}/{token}")
    assert "is out of booking" in page.content()
    context.close()
