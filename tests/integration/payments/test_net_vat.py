"""Net prices (rate cards without VAT) on SQLite and PostgreSQL: the ledger is kept in what the
customer pays. With a net policy at 19 % a confirmed line is charged its gross (€9.50 × 4 h =
€38.00 net → €45.22), the invoice's total is the ledger's charges and its balance the ledger's
balance, paying the gross settles the ledger to zero, and the late fee and the cancellation fee
are gross; the customer's pages say what they pay "incl. 19 % VAT" and the net quote "plus 19 %
VAT". A gross policy changes nothing."""

from __future__ import annotations

import re
import secrets
from dataclasses import replace
from decimal import Decimal

from rental.booking import (
    BookingChannel,
    BookingFacade,
    ChangeReservation,
    OrderLine,
    PlaceOrder,
    PricingBasis,
)
from rental.extensions import db
from rental.payments import FeeKind, InvoiceFacade, PaymentPolicy, PaymentsFacade
from rental.shared.time_range import TimeRange
from tests.integration.booking.test_booking_pages import DETAILS, request_params
from tests.integration.booking.test_changes import form_of, post
from tests.integration.booking.test_servable_bookings import into_the_past
from tests.integration.payments.test_cancellation_fee import customer_cancels, fees, page
from tests.integration.payments.test_invoices import setup_shop
from tests.integration.payments.test_ledger import drain, ledger, pay
from tests.integration.payments.test_overdue import job, late_fees, on_hire, staff_page, take_back
from tests.support.auth import csrf_token
from tests.support.fleet import make_customer, make_type, tomorrow_at

SLOT = TimeRange(tomorrow_at(9), tomorrow_at(13))  # 4 hours
NET = PaymentPolicy(vat_rate=Decimal("19"), prices_include_vat=False, vat_id="DE123456789")


def net_policy(**changes) -> None:
    setup_shop(vat="19", gross=False)  # the seller's name and address for the invoice
    PaymentsFacade().save_policy(replace(NET, **changes))
    db.session.rollback()


def place(*hourly: str, deposit: str | None = None) -> tuple[str, str]:
    """An order of one line per hourly rate, 4 hours each, confirmed and drained: its ID and
    manage token."""
    token = secrets.token_urlsafe(24)
    types = [
        make_type(hourly=h, daily="60.00", weekly=None, deposit=deposit).type_id for h in hourly
    ]
    booking = BookingFacade()
    placed = booking.place_order(
        PlaceOrder(
            make_customer(),
            tuple(OrderLine(1, equipment_type_id=t) for t in types),
            SLOT,
            PricingBasis.HOURLY,
            token,
            channel=BookingChannel.STAFF,
        )
    )
    booking.confirm_reservation(placed.lines[0].id)
    db.session.rollback()
    drain()
    return placed.id, token


def rental_charges(order_id: str) -> list[Decimal]:
    return [
        e.amount.amount
        for e in ledger(order_id).entries
        if e.account == "rental" and e.kind == "CHARGE" and not e.reverses
    ]


def live_invoice(order_id: str):
    view = InvoiceFacade().documents_for_order(order_id)
    db.session.rollback()
    return view.live_invoice


def reissue(order_id: str):
    invoice = InvoiceFacade().reissue_invoice(order_id, "staff@example.com")
    db.session.rollback()
    return invoice


def manage_url(order_id: str, token: str) -> str:
    reference = BookingFacade().get_order(order_id).reference
    db.session.rollback()
    return f"/r/{reference}/{token}"


def test_net_prices_are_charged_gross_and_the_invoice_matches_the_ledger(app, admin_client):
    client = admin_client
    net_policy()
    # €9.50 × 4 h = €38.00 → €45.22; €2.65 × 4 h = €10.60 → €12.614 → €12.61.
    order_id, token = place("9.50", "2.65")
    assert sorted(rental_charges(order_id)) == [Decimal("12.61"), Decimal("45.22")]
    view = ledger(order_id)
    assert view.balance.amount == Decimal("57.83")
    invoice = live_invoice(order_id)
    assert sorted(x.amount.amount for x in invoice.lines) == [Decimal("12.61"), Decimal("45.22")]
    # The VAT is taken out of what the customer pays: net + VAT = total, exactly.
    assert (invoice.tax.net.amount, invoice.tax.vat.amount, invoice.total.amount) == (
        Decimal("48.60"),
        Decimal("9.23"),
        Decimal("57.83"),
    )
    assert invoice.tax.net + invoice.tax.vat == invoice.total
    assert invoice.total == view.balance and invoice.balance == view.balance
    # The customer's page: what they pay, incl. VAT; the booked lines (net) plus VAT.
    words = page(client, manage_url(order_id, token))
    assert "Rental €57.83 incl. 19 % VAT" in words
    assert "Total €48.60 plus 19 % VAT" in words
    # Paying the gross settles the ledger (no "more than due" question).
    pay(order_id, "57.83")
    assert ledger(order_id).balance.amount == 0
    again = reissue(order_id)
    assert (again.total.amount, again.paid.amount, again.balance.amount) == (
        Decimal("57.83"),
        Decimal("57.83"),
        Decimal("0.00"),
    )
    # The printed invoice says the same.
    body = client.get(f"/admin/invoices/{again.id}").get_data(as_text=True)
    printed = {
        cell: re.search(rf'id="{cell}">([^<]+)<', body).group(1)
        for cell in ("net", "vat", "total", "paid", "balance")
    }
    assert printed == {
        "net": "€48.60",
        "vat": "€9.23",
        "total": "€57.83",
        "paid": "€57.83",
        "balance": "€0.00",
    }
    assert "VAT included" in body


def test_the_deposit_carries_no_vat_and_a_change_charges_the_gross_difference(app, admin_client):
    net_policy()
    order_id, _ = place("9.50", deposit="200.00")
    view = ledger(order_id)
    assert view.accounts["deposit"].charged.amount == Decimal("200.00")
    assert view.accounts["rental"].charged.amount == Decimal("45.22")
    [line] = BookingFacade().get_order(order_id).lines
    db.session.rollback()
    # The change's preview (Booking's net totals) says they are before VAT.
    code, body = post(
        admin_client,
        f"/admin/reservations/{line.id}/change",
        step="preview",
        **form_of(TimeRange(tomorrow_at(9), tomorrow_at(15)), 1),
    )
    assert code == 200 and "+€19.00 more" in body
    assert "The totals are before VAT: you pay them plus 19 % VAT." in body
    BookingFacade().change_reservation(
        ChangeReservation(line.id, TimeRange(tomorrow_at(9), tomorrow_at(15)), 1)
    )  # 6 h: €57.00 net → €67.83
    drain()
    view = ledger(order_id)
    assert view.accounts["rental"].balance.amount == Decimal("67.83")
    assert view.accounts["deposit"].charged.amount == Decimal("200.00")
    invoice = live_invoice(order_id)  # re-issued by the change
    assert invoice.total.amount == Decimal("67.83") == invoice.balance.amount
    assert (invoice.tax.net.amount, invoice.tax.vat.amount) == (Decimal("57.00"), Decimal("10.83"))


def test_a_late_fee_from_a_net_rate_card_is_charged_gross(app, admin_client):
    net_policy()
    fleet = make_type(units=2, hourly="9.50", daily="120.00")
    rid = on_hire(fleet.type_id)  # 09:00–17:00: 8 h × €9.50 = €76.00 → €90.44
    order_id = BookingFacade().get_reservation(rid).order_id
    db.session.rollback()
    assert rental_charges(order_id) == [Decimal("90.44")]
    into_the_past(rid, ended=2.5)  # 3 started hours × €9.50 = €28.50 → €33.915 → €33.92
    job()
    shown = staff_page(admin_client, rid)
    assert "Late fee: €33.92" in shown and "3 hours × €9.50, from the rate card, plus 19 % VAT" in (
        shown
    )
    take_back(admin_client, rid)
    [(amount, reason)] = late_fees(order_id)
    assert amount == Decimal("33.92") and reason.endswith("plus 19 % VAT")
    balance = ledger(order_id).accounts["rental"].balance
    assert balance.amount == Decimal("124.36")
    invoice = reissue(order_id)
    assert invoice.total.amount == Decimal("124.36") == invoice.balance.amount
    assert invoice.tax.net + invoice.tax.vat == invoice.total
    pay(order_id, "124.36")
    assert ledger(order_id).accounts["rental"].balance.amount == 0


def test_the_cancellation_fee_is_taken_from_what_the_customer_pays(app, client):
    net_policy(cancellation_fee=FeeKind.PERCENT, cancellation_fee_value=Decimal("25"))
    order_id, token = place("9.50")  # €45.22 to pay; 25 % = €11.305 → €11.31
    pay(order_id, "45.22")
    url = manage_url(order_id, token)
    body = page(client, f"{url}/cancel")
    assert "Cancelling now costs €11.31 (25 % of €45.22, because the start is less than" in body
    assert "€33.91 you paid will be refunded by the shop" in body
    customer_cancels(client, BookingFacade().get_order(order_id).lines[0].id, token)
    [fee] = fees(order_id)
    assert fee.amount.amount == Decimal("11.31")
    assert ledger(order_id).balance.amount == Decimal("-33.91")


def test_a_fixed_cancellation_fee_is_capped_at_what_the_customer_pays(app, client):
    net_policy(cancellation_fee=FeeKind.FIXED, cancellation_fee_value=Decimal("500"))
    order_id, token = place("9.50")
    body = page(client, f"{manage_url(order_id, token)}/cancel")
    assert "Cancelling now costs €45.22 (the fixed fee, no more than the rental total" in body
    customer_cancels(client, BookingFacade().get_order(order_id).lines[0].id, token)
    [fee] = fees(order_id)
    assert fee.amount.amount == Decimal("45.22")
    assert ledger(order_id).balance.amount == Decimal("45.22")


def test_the_review_page_shows_the_net_quote_plus_vat_and_what_is_paid_incl_vat(app, client):
    net_policy()
    fleet = make_type(units=3, hourly="9.50", deposit=None)
    token = csrf_token(client, f"/book/{fleet.slug}")
    ok = client.post(
        f"/book/{fleet.slug}/details",
        data={**request_params(hours=(9, 13)), **DETAILS, "csrf_token": token},
    )
    assert ok.status_code == 303
    review = " ".join(re.sub(r"<[^>]+>", " ", client.get(ok.headers["Location"]).text).split())
    assert "Total €38.00 plus 19 % VAT" in review
    assert "Rental €45.22 incl. 19 % VAT" in review


def test_staff_enter_charges_as_what_the_customer_pays(app, admin_client):
    net_policy()
    order_id, _ = place("9.50")
    [line] = BookingFacade().get_order(order_id).lines
    db.session.rollback()
    body = admin_client.get(f"/admin/reservations/{line.id}").get_data(as_text=True)
    assert '<label for="charge-amount">Amount (incl. VAT, EUR)</label>' in body


def test_a_gross_policy_changes_nothing(app, client):
    setup_shop(vat="19", gross=True)
    order_id, token = place("9.50")
    assert rental_charges(order_id) == [Decimal("38.00")]
    invoice = live_invoice(order_id)
    assert (invoice.tax.net.amount, invoice.tax.vat.amount, invoice.total.amount) == (
        Decimal("31.93"),
        Decimal("6.07"),
        Decimal("38.00"),
    )
    words = page(client, manage_url(order_id, token))
    assert "Rental €38.00 — " in words and "Prices include 19 % VAT." in words
    assert "plus 19 % VAT" not in words
    pay(order_id, "38.00")
    assert ledger(order_id).balance.amount == 0
