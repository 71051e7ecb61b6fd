"""A hire's money from the counter's side, in Chromium against the real web and worker
processes, on a phone-sized screen: the hand-over is refused until the deposit is taken in
cash; the return is a day late (the overdue job lists it on the dashboard); the late fee the
return form proposes is added; part of the deposit is kept for damage and the rest refunded;
the invoice PDF downloads and shows the totals the ledger holds."""

from __future__ import annotations

import io
import re
import secrets
from decimal import Decimal

import pypdfium2
from playwright.sync_api import Page, expect

from rental.booking import BookingChannel, BookingFacade, CreateReservation, PricingBasis
from rental.inventory import InventoryFacade
from rental.payments import PaymentsFacade
from rental.shared.time_range import TimeRange
from tests.integration.booking.test_servable_bookings import into_the_past
from tests.support.fleet import make_customer, make_type, tomorrow_at
from tests.support.processes import wait_until

PHONE = {"width": 390, "height": 844}


def book(live) -> tuple[str, str, str]:
    """A plate compactor tomorrow 09:00–17:00 (8 h at €20 or a day at €120: €120), deposit
    €200, confirmed by staff: its ID, order ID and reference."""
    with live.app.app_context():
        fleet = make_type(
            units=1, name="Plate compactor", hourly="20.00", daily="120.00", deposit="200.00"
        )
        booking = BookingFacade()
        rid = booking.create_reservation(
            CreateReservation(
                make_customer(),
                fleet.type_id,
                TimeRange(tomorrow_at(9), tomorrow_at(17)),
                1,
                PricingBasis.HOURLY,
                secrets.token_urlsafe(24),
                channel=BookingChannel.STAFF,
            )
        )
        booking.confirm_reservation(rid)
        line = booking.get_reservation(rid)
        return rid, line.order_id, line.reference


def ledger(live, order_id: str):
    with live.app.app_context():
        return PaymentsFacade().get_ledger(order_id)


def allocated(live, rid: str) -> bool:
    with live.app.app_context():
        return any(
            a.status == "ALLOCATED" for a in InventoryFacade().list_allocations_for_reservation(rid)
        )


def overdue_flagged(live, rid: str) -> bool:
    with live.app.app_context():
        return BookingFacade().get_reservation(rid).overdue


def money(text: str) -> Decimal:
    return Decimal(re.sub(r"[^\d.]", "", text))


def test_deposit_in_cash_a_day_late_late_fee_damage_kept_and_the_invoice_pdf(
    admin_page: Page, live_server, logs_dir
):
    page = admin_page
    page.set_viewport_size(PHONE)
    errors: list[str] = []
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    rid, order_id, reference = book(live_server)
    live_server.start_worker(logs_dir)
    # The worker allocates the compactor and opens the ledger: rental and deposit charged.
    wait_until(lambda: allocated(live_server, rid), message="not allocated")
    wait_until(lambda: ledger(live_server, order_id) is not None, message="no ledger")
    wait_until(
        lambda: ledger(live_server, order_id).accounts["deposit"].charged.amount == 200,
        message="deposit not charged",
    )
    url = f"{live_server.url}/admin/reservations/{rid}"

    # 1. No deposit, no hand-over; the deposit is taken in cash, then it goes out.
    page.goto(url)
    expect(page.locator("#deposit-state")).to_contain_text("not paid")
    page.locator("#hand-over").click()
    expect(page.locator("body")).to_contain_text("Take the deposit of €200.00 first")
    page.goto(url)
    page.locator("#pay-account").select_option("deposit")
    page.locator("#pay-amount").fill("200")
    page.locator("#pay-method").select_option("cash")
    page.locator("#record-payment button[type=submit]").click()
    expect(page.locator("#notifications")).to_contain_text("Payment recorded")
    expect(page.locator("#deposit-state")).to_contain_text("held")
    page.locator("#hand-over").click()
    expect(page.locator("#notifications")).to_contain_text("Marked as picked up")

    # 2. It was due back yesterday: the overdue job notices, the dashboard lists it.
    with live_server.app.app_context():
        into_the_past(rid, ended=24)
        InventoryFacade().notice_overdue_returns()
    wait_until(lambda: overdue_flagged(live_server, rid), message="overdue not flagged")
    page.goto(f"{live_server.url}/admin/")
    overdue = page.locator("#overdue-table")
    expect(overdue).to_contain_text(reference)
    expect(overdue).to_contain_text("late")

    # 3. The return: the late fee proposed from the rate card is added.
    page.goto(url)
    expect(page.locator("h1")).to_contain_text("OVERDUE")
    late = page.locator("#late-fee legend")
    expect(late).to_contain_text("Late fee: €")
    fee = money(late.inner_text().split(":", 1)[1])
    assert fee >= Decimal("120.00")  # a day late at least: the day rate
    expect(page.locator("#late-fee-add")).to_be_checked()
    page.locator("#take-back").click()
    expect(page.locator("#notifications")).to_contain_text("completed")
    expect(page.locator("#ledger")).to_contain_text("Late fee")

    # 4. Damage: €50 of the deposit is kept, €150 refunded in cash.
    page.locator("#release-keep").fill("50")
    page.locator("#release-note").fill("Base plate dented")
    page.locator("#release-keep-method").select_option("cash")
    page.locator("#release-deposit-keep button[type=submit]").click()
    expect(page.locator("#deposit-state")).to_contain_text("partly retained")
    view = ledger(live_server, order_id)
    deposit = view.accounts["deposit"]
    assert (deposit.refunded.amount, deposit.balance.amount) == (Decimal("150"), Decimal("0"))
    rental = view.accounts["rental"]
    assert rental.balance.amount == Decimal("120.00") + fee  # the rental and the late fee

    # 5. The invoice issued at confirmation no longer matches: re-issued, its PDF shows the
    # rental, the late fee and the damage, with the €50 kept from the deposit as paid.
    expect(page.locator("#invoice-out-of-date")).to_be_visible()
    page.locator("#reissue-reason").fill("Late fee and damage at the return")
    page.locator("#reissue-invoice button[type=submit]").click()
    expect(page.locator("#invoice-list li")).to_have_count(3)  # invoice, credit note, invoice
    total = Decimal("120.00") + fee + Decimal("50.00")
    invoice_pdf_shows(page, total, fee, due=rental.balance.amount)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert errors == [], errors


def invoice_pdf_shows(page: Page, total: Decimal, fee: Decimal, due: Decimal) -> None:
    """The current invoice's PDF: a real PDF whose text has the total, the late fee, the
    damage kept and what is still due."""
    current = page.locator("#invoice-list li", has_text="(current)")
    with page.expect_download() as download:
        current.get_by_role("link", name="PDF").click()
    data = download.value.path().read_bytes()
    assert data.startswith(b"%PDF")
    pdf = pypdfium2.PdfDocument(io.BytesIO(data))
    text = " ".join(p.get_textpage().get_text_range() for p in pdf)
    for amount in (total, fee, Decimal("50.00"), due):
        assert f"{amount:,.2f}" in text, (amount, text)
