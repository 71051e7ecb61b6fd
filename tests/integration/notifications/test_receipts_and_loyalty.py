"""Payment receipts and the loyalty mail on SQLite and PostgreSQL, through a real SMTP server
the test starts (aiosmtpd, the fixture of test_mail.py) and the real outbox drain: a receipt
per payment with both parts and the invoice PDF attached (parsed back with `email`), a
deposit receipt, no receipt for a payment reversed meanwhile, nothing twice on redelivery;
"You are now a Silver member" only with the customer's marketing opt-in — none without,
none for a drop, none on redelivery or `crm rebuild`; the staff customer page's E-mails
section; a mail refused (550) or with nothing listening shown as failed on the order, the
customer page and /admin/mail, its event dead on /admin/outbox."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from rental.booking import BookingChannel, OrderLine
from rental.contracts.booking import ReservationCancelled, ReservationCompleted
from rental.crm import CRMFacade, UpdateCommunicationPreferences
from rental.extensions import db
from rental.notifications import FAILED, SENT
from rental.payments import (
    Account,
    Method,
    PaymentsFacade,
    RecordPayment,
    ReverseEntry,
)
from rental.shared import outbox
from rental.shared.db import unit_of_work
from rental.shared.outbox import OutboxMessageEntity
from rental.shared.time_range import utcnow
from rental.shared.web import format_datetime
from tests.integration.crm.test_projections import line_event
from tests.integration.notifications import test_mail
from tests.integration.notifications.test_mail import (
    _fast_retries,
    customer_email,
    drain,
    free_port,
    parts,
    place,
    recorded,
    to,
    two_line_order,
)
from tests.support.fleet import make_customer, make_type

# test_mail's fixture: the SMTP server each test starts (aiosmtpd), the shop's settings.
smtp = test_mail.smtp

STAFF = "staff@example.com"


def pay(order_id: str, amount: str, account=Account.RENTAL, reference: str = "") -> str:
    entry = PaymentsFacade().record_payment(
        RecordPayment(
            order_id,
            Decimal(amount),
            Method.CASH,
            account,
            STAFF,
            reference=reference,
            confirmed=frozenset({"more_than_due"}),
        )
    )
    db.session.rollback()
    return entry


def redeliver(*prefixes: str) -> None:
    """Every outbox message handled again, the inbox rows of `prefixes`' handlers forgotten.
    (A processed message keeps its lease in `available_at`: made available now, or the drain
    would not see it at all.)"""
    db.session.execute(
        OutboxMessageEntity.__table__.update().values(
            processed_at=None, attempts=0, available_at=utcnow() - timedelta(minutes=1)
        )
    )
    for prefix in prefixes:
        db.session.execute(
            db.text("DELETE FROM outbox_inbox WHERE handler LIKE :p"), {"p": f"{prefix}.%"}
        )
    db.session.commit()
    drain()


def unprocessed() -> int:
    count = db.session.scalar(
        select(func.count())
        .select_from(OutboxMessageEntity)
        .where(OutboxMessageEntity.processed_at.is_(None))
    )
    db.session.rollback()
    return count


def mails_to(smtp_sink, address: str, subject_part: str = ""):
    return [m for m in smtp_sink.messages if to(m) == address and subject_part in m["Subject"]]


# --- payment receipt ----------------------------------------------------------------------------


def test_a_receipt_per_payment_with_both_parts_and_the_invoice_pdf(app, smtp):
    order = two_line_order()  # €120.00, invoiced on confirmation (the default policy)
    drain()
    address = customer_email(order.customer_id)
    entry = pay(order.id, "50.00", reference="Till 3")
    paid_at = next(e.at for e in PaymentsFacade().get_ledger(order.id).entries if e.id == entry)
    paid_on = format_datetime(paid_at, with_year=True)
    db.session.rollback()
    drain()
    (receipt,) = mails_to(smtp, address, "Payment received")
    # (a long encoded Subject is folded; Python's parser keeps the fold's leading space)
    assert receipt["Subject"].strip() == (
        f"Payment received: €50.00 for booking {order.reference} – Hafen Hire"
    )
    text, html = parts(receipt)
    for part in (text, html):
        assert order.reference in part
        assert "€50.00" in part and "Cash" in part and "Till 3" in part
        assert paid_on in part, "when it was paid, with the year"
        assert "€70.00" in part, "what is still due after this payment"
        assert "https://hire.example/r/" in part, "the manage link"
        assert "Generator" in part and "€120.00" in part
    (pdf,) = [p for p in receipt.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert pdf.get_filename().startswith("invoice-") and pdf.get_filename().endswith(".pdf")
    assert pdf.get_content().startswith(b"%PDF")
    # The last payment: paid in full, another receipt of its own.
    pay(order.id, "70.00")
    drain()
    receipts = mails_to(smtp, address, "Payment received")
    assert len(receipts) == 2
    text, _ = parts(receipts[1])
    assert "€70.00" in text and "paid in full" in text
    rows = [r for r in recorded() if r.template == "payment_receipt"]
    assert [r.status for r in rows] == [SENT, SENT]
    assert {r.customer_id for r in rows} == {order.customer_id}
    # Redelivering every event (inbox forgotten too) sends no receipt twice.
    count = len(smtp.messages)
    redeliver("notifications")
    assert unprocessed() == 0, "every message was handled again"
    assert len(smtp.messages) == count


def test_an_order_without_an_invoice_gets_a_receipt_without_attachment(app, smtp):
    payments = PaymentsFacade()
    payments.save_policy(replace(payments.get_policy(), invoice_on_confirm=False))
    order = place(OrderLine(1, equipment_type_id=make_type(hourly="20.00", deposit=None).type_id))
    drain()
    pay(order.id, "80.00")
    drain()
    (receipt,) = mails_to(smtp, customer_email(order.customer_id), "Payment received")
    assert list(receipt.iter_attachments()) == []
    text, _ = parts(receipt)
    assert "invoice is attached" not in text and "paid in full" in text


def test_a_deposit_payment_gets_a_deposit_receipt(app, smtp):
    order = place(OrderLine(1, equipment_type_id=make_type(hourly="20.00", deposit="150").type_id))
    drain()
    pay(order.id, "150.00", account=Account.DEPOSIT)
    drain()
    (receipt,) = mails_to(smtp, customer_email(order.customer_id), "Deposit received")
    assert receipt["Subject"].strip().startswith("Deposit received: €150.00 for booking ")
    text, html = parts(receipt)
    assert "deposit is held" in text and "deposit is held" in html


def test_a_rental_payment_says_which_part_of_what_is_due_is_the_deposit(app, smtp):
    """Paying the rental of an order with a deposit: the €150 still due is the deposit —
    said so, or the receipt reads "still due €150" beside a total it has just paid."""
    order = place(OrderLine(1, equipment_type_id=make_type(hourly="20.00", deposit="150").type_id))
    drain()
    rental = order.lines[0].total
    pay(order.id, str(rental.amount))
    drain()
    (receipt,) = mails_to(smtp, customer_email(order.customer_id), "Payment received")
    text, html = parts(receipt)
    for part in (text, html):
        assert "(of which €150.00 is the deposit, refunded after the rental)" in part
    assert "Still due: €150.00 (of which" in text


def test_a_payment_reversed_before_the_worker_ran_gets_no_receipt(app, smtp):
    order = place(OrderLine(1, equipment_type_id=make_type(deposit=None).type_id))
    drain()
    entry = pay(order.id, "10.00")
    PaymentsFacade().reverse_entry(
        ReverseEntry(order.id, entry, "typed the wrong order", STAFF, frozenset({"reverse"}))
    )
    db.session.rollback()
    drain()
    assert mails_to(smtp, customer_email(order.customer_id), "Payment received") == []


# --- loyalty: "you are now a Silver member" -----------------------------------------------------


def opt_in(customer_id: str, marketing: bool = True) -> None:
    CRMFacade().update_communication_preferences(
        UpdateCommunicationPreferences(
            customer_id=customer_id,
            source="customer",
            marketing_email=marketing,
            sms=False,
            newsletter=False,
        )
    )
    db.session.rollback()


def complete(customer_id: str, line: str, total: str) -> None:
    """A rental of `total` completed (1 point per €10): CRM's points and tier through the
    worker, as Booking's take-back publishes it."""
    with unit_of_work():
        outbox.record(
            line_event(
                ReservationCompleted, customer_id, sequence=3, total=total, reservation_id=line
            )
        )
    drain()


def tier_changes() -> int:
    count = db.session.scalar(
        select(func.count())
        .select_from(OutboxMessageEntity)
        .where(OutboxMessageEntity.event_type == "LoyaltyTierChanged")
    )
    db.session.rollback()
    return count


def test_tier_up_mail_only_with_marketing_opt_in_and_never_twice(app, smtp):
    keen, quiet = make_customer(), make_customer()
    opt_in(keen)
    for customer in (keen, quiet):
        complete(customer, f"l-{customer[:8]}-1", "1010.00")  # 101 points: Silver
    keen_address, quiet_address = customer_email(keen), customer_email(quiet)
    (silver,) = mails_to(smtp, keen_address)
    assert silver["Subject"].strip() == "You are now a Silver member – Hafen Hire"
    text, html = parts(silver)
    for part in (text, html):
        assert "Silver member" in part and "5 % off" in part and "101 points" in part
        assert "https://hire.example/catalog" in part
        assert "agreed to marketing e-mail" in part
    assert mails_to(smtp, quiet_address) == [], "no opt-in: no marketing mail"
    assert tier_changes() == 2, "the change is published for both; only the mail is gated"
    rows = [r for r in recorded() if r.template == "loyalty_tier_up"]
    assert [(r.customer_id, r.order_id, r.status) for r in rows] == [(keen, None, SENT)]

    # Gold: a second change, a second mail (the shop's Gold percentage).
    complete(keen, f"l-{keen[:8]}-2", "4000.00")
    gold = mails_to(smtp, keen_address, "Gold member")
    assert len(gold) == 1 and "10 % off" in parts(gold[0])[0]

    # Redelivery of everything (CRM's and Notifications' inbox forgotten): nothing new —
    # neither a tier change nor a mail.
    count, changes = len(smtp.messages), tier_changes()
    redeliver("crm", "notifications")
    assert unprocessed() == 0, "every message was handled again"
    assert (len(smtp.messages), tier_changes()) == (count, changes)

    # The rebuild recomputes the tiers but publishes nothing, so nothing is sent.
    CRMFacade().rebuild_projections()
    assert CRMFacade().get_customer_loyalty_status(keen).tier.name == "GOLD"
    db.session.rollback()
    drain()
    assert (len(smtp.messages), tier_changes()) == (count, changes)

    # A drop (the Gold rental cancelled after all) is published but sends no mail.
    with unit_of_work():
        outbox.record(
            line_event(ReservationCancelled, keen, sequence=4, reservation_id=f"l-{keen[:8]}-2")
        )
    drain()
    assert tier_changes() == changes + 1
    assert len(smtp.messages) == count


def test_consent_withdrawn_before_the_worker_ran_sends_nothing(app, smtp):
    customer = make_customer()
    opt_in(customer)
    with unit_of_work():
        outbox.record(
            line_event(
                ReservationCompleted, customer, sequence=3, total="1010.00", reservation_id="l1"
            )
        )
    opt_in(customer, marketing=False)  # asked at send time, not when the tier changed
    drain()
    assert tier_changes() == 1
    assert mails_to(smtp, customer_email(customer)) == []


# --- the staff customer page ------------------------------------------------------------------


def test_the_customer_page_lists_the_mails_sent_about_the_customer(app, smtp, staff_client):
    order = two_line_order()
    drain()
    pay(order.id, "20.00")
    drain()
    page = staff_client.get(f"/admin/customers/{order.customer_id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'id="customer-mail"' in body
    rows = {r.template: r for r in recorded() if r.customer_id == order.customer_id}
    assert {"order_confirmed", "payment_receipt", "staff_new_order"} <= set(rows)
    for row in rows.values():
        assert f"/admin/mail/{row.id}" in body
    assert f"Booking confirmed: {order.reference}" in body
    assert f"Payment received: €20.00 for booking {order.reference}" in body
    # A customer nobody wrote to: a useful empty state.
    other = make_customer()
    db.session.commit()
    empty = staff_client.get(f"/admin/customers/{other}").get_data(as_text=True)
    assert "No e-mails sent to this customer yet." in empty


# --- a failing mail is visible ------------------------------------------------------------------


class Refusing:
    """An SMTP server that answers every message with 550 (mailbox unavailable)."""

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        return "550 5.1.1 Mailbox unavailable"


@pytest.mark.parametrize("how", ["refused with 550", "nothing listening"])
def test_a_failing_mail_shows_as_failed_on_the_order_the_customer_and_admin_mail(
    app, smtp, monkeypatch, caplog, staff_client, how
):
    controller = None
    if how == "refused with 550":
        port = free_port()
        controller = Controller(Refusing(), hostname="127.0.0.1", port=port)
        controller.start()
    else:
        port = free_port()
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    caplog.set_level(logging.WARNING, logger="rental.shared.outbox")
    try:
        order = place(
            OrderLine(1, equipment_type_id=make_type(deposit=None).type_id),
            channel=BookingChannel.STAFF,
        )
        drain(_fast_retries())
    finally:
        if controller is not None:
            controller.stop()
    (row,) = [r for r in recorded() if r.template == "order_confirmed"]
    assert (row.status, row.attempts) == (FAILED, 3)
    expected = "550" if how == "refused with 550" else "ConnectionRefusedError"
    assert expected in row.error
    row_id = row.id
    dead = db.session.scalars(
        select(OutboxMessageEntity).where(OutboxMessageEntity.dead_at.is_not(None))
    ).all()
    assert [m.event_type for m in dead] == ["ReservationConfirmed"]
    db.session.rollback()
    # One clear line per attempt, no traceback.
    lines = [r for r in caplog.records if "notifications.order_confirmed" in r.getMessage()]
    assert len(lines) == 3
    assert all(r.exc_info is None and "\n" not in r.getMessage() for r in lines)

    booking_page = staff_client.get(f"/admin/reservations/{order.first.id}")
    assert booking_page.status_code == 200, "the booking stands"
    section = booking_page.get_data(as_text=True).split('id="order-mail"')[1].split("</section>")[0]
    assert "failed" in section and "3 attempts" in section and expected in section
    listing = staff_client.get("/admin/mail").get_data(as_text=True)
    assert "failed" in listing and "3 attempts" in listing and expected in listing
    detail = staff_client.get(f"/admin/mail/{row_id}").get_data(as_text=True)
    assert "failed after 3 attempts" in detail and expected in detail and "/admin/outbox" in detail
    customer = staff_client.get(f"/admin/customers/{order.customer_id}").get_data(as_text=True)
    mail_section = customer.split('id="customer-mail"')[1].split("</section>")[0]
    assert "failed" in mail_section and f"/admin/mail/{row_id}" in mail_section
    outbox_page = staff_client.get("/admin/outbox").get_data(as_text=True)
    assert "1 dead" in outbox_page and "notifications.order_confirmed" in outbox_page
