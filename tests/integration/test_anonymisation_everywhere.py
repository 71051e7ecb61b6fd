"""Anonymising a customer reaches every module's free text (issue 13, spec P6), on SQLite and
PostgreSQL: a customer with a full history — orders confirmed, changed, flagged, cancelled by
staff with a reason naming her, handed over and returned late with a damage note naming her,
the late fee waived and part of the deposit kept with reasons naming her, payments with her
name in the reference, a refund, the e-mails sent (file backend), CRM's projections filled by
the worker — is anonymised on the staff page; after the worker has run, a dump of EVERY table
(every column, JSON outbox payloads too) holds none of her name, e-mail, phone or street —
except the invoices and credit notes, which the law requires keeping unchanged (§147 AO,
§14 UStG; GDPR Art. 17(3)(b)) and which this test asserts are still exactly as issued.
Another customer's data is untouched, and CRM's rebuild from the redacted outbox gives
exactly the projections incremental processing gave."""

from __future__ import annotations

import secrets
from decimal import Decimal

from sqlalchemy import inspect, select, text

from rental.booking import (
    BookingChannel,
    BookingFacade,
    ChangeReservation,
    CreateReservation,
    PricingBasis,
)
from rental.booking.application.late_returns import LateFeeChoice
from rental.crm import CRMFacade
from rental.customers import CustomerDetailsInput, CustomerFacade, RegisterCustomer
from rental.extensions import db
from rental.inventory import InventoryFacade
from rental.notifications.infrastructure.entities import MailMessageEntity
from rental.payments import Account, IssueRefund, Method, PaymentsFacade, RecordPayment
from rental.payments.application.deposits import ReleaseDeposit
from rental.shared.outbox import OutboxProcessor
from rental.shared.privacy import ANONYMISED_TEXT
from rental.shared.time_range import TimeRange
from rental.shop import ShopFacade
from tests.integration.booking.test_known_email import book as online_booking
from tests.integration.booking.test_servable_bookings import into_the_past
from tests.integration.crm.test_rebuild import PROJECTIONS, rows
from tests.integration.notifications.test_mail import SHOP
from tests.support.auth import csrf_token
from tests.support.deposits import order_id_of, take_deposit
from tests.support.fleet import make_type, tomorrow_at

STAFF = "desk@example.com"
# The legal exception: issued invoices and credit notes are kept as they are (see
# rental/payments/application/privacy.py).
INVOICE_TABLES = {"payments_documents", "payments_document_counters"}
TYPED = {
    "name": "Zelda M. Quirinus",
    "phone": "+49 171 5550100",
    "street": "Lavendelgasse 17a",
    "city": "Bremen",
    "state": "Bremen",
    "postal_code": "28195",
    "country": "Germany",
}


def drain() -> None:
    processor = OutboxProcessor()
    while processor.drain_once().claimed:
        pass
    db.session.rollback()


def register(name: str, street: str, phone: str) -> tuple[str, list[str]]:
    """The customer's ID and what must not survive her anonymisation (lower case)."""
    email = f"{name.split()[0].lower()}.{secrets.token_hex(3)}@mailbox.example"
    customer_id = CustomerFacade().register_customer(
        RegisterCustomer(
            CustomerDetailsInput(
                name=name,
                email=email,
                phone=phone,
                street=street,
                city="Bremen",
                state="Bremen",
                postal_code="28195",
                country="Germany",
            )
        )
    )
    stored = CustomerFacade().get_customer_by_id(customer_id)
    db.session.rollback()
    digits = "".join(c for c in stored.phone if c.isdigit())
    needles = [*name.lower().split(), email.lower(), stored.phone.lower(), digits, street.lower()]
    return customer_id, needles


def book(customer_id: str, type_id: str, days: int, *, confirm: bool = True) -> str:
    booking = BookingFacade()
    rid = booking.create_reservation(
        CreateReservation(
            customer_id,
            type_id,
            TimeRange(tomorrow_at(9, days=days), tomorrow_at(17, days=days)),
            1,
            PricingBasis.HOURLY,
            secrets.token_urlsafe(24),
            channel=BookingChannel.STAFF,
        )
    )
    if confirm:
        booking.confirm_reservation(rid)
    return rid


def full_history(customer_id: str, name: str, fleet, payer: str) -> dict[str, str]:
    """Everything a customer goes through, free text naming them at every step people type."""
    booking, payments = BookingFacade(), PaymentsFacade()
    # An order confirmed, changed, paid for, then cancelled by staff and refunded.
    cancelled = book(customer_id, fleet.type_id, days=3)
    booking.change_reservation(
        ChangeReservation(cancelled, TimeRange(tomorrow_at(8, days=3), tomorrow_at(18, days=3)), 1)
    )
    drain()  # the ledger is opened and charged, the confirmation e-mail sent
    order = order_id_of(cancelled)
    payments.record_payment(
        RecordPayment(
            order_id=order,
            amount=Decimal("50.00"),
            method=Method.BANK_TRANSFER,
            account=Account.RENTAL,
            actor=STAFF,
            reference=f"Transfer from {payer}",
        )
    )
    booking.cancel_reservation(cancelled, f"customer {name} called, plans changed")
    drain()  # charges reversed, credit note, cancellation e-mail
    payments.issue_refund(
        IssueRefund(
            order_id=order,
            amount=Decimal("50.00"),
            method=Method.BANK_TRANSFER,
            account=Account.RENTAL,
            actor=STAFF,
            reference=f"Back to {payer}",
            reason=f"{name} cancelled by phone",
        )
    )
    # An order that needs attention, with the flag naming her.
    flagged = book(customer_id, fleet.type_id, days=5)
    booking.flag_reservation(flagged, f"{name} asked for delivery to the site")
    # An order handed over, returned late and damaged; the late fee waived, part of the
    # deposit kept.
    hired = book(customer_id, fleet.type_id, days=1)
    drain()
    take_deposit(hired)
    booking.hand_over(hired, STAFF)
    into_the_past(hired, ended=5)
    item = picked_up_item(hired)
    booking.return_items(
        hired,
        {item: f"dent in the housing, {name} dropped it"},
        STAFF,
        late_fee=LateFeeChoice(waive=True, reason=f"{name} called ahead"),
    )
    drain()
    payments.release_deposit(
        ReleaseDeposit(
            order_id=order_id_of(hired),
            keep=Decimal("40.00"),
            method=Method.CASH,
            actor=STAFF,
            note=f"frame bent while {name} had it",
        )
    )
    drain()  # the worker: CRM's projections, the e-mails, the invoices
    db.session.rollback()
    return {"cancelled": cancelled, "flagged": flagged, "hired": hired}


def picked_up_item(reservation_id: str) -> str:
    views = InventoryFacade().list_allocations_for_reservation(reservation_id)
    db.session.rollback()
    return next(v.item_id for v in views if v.status == "PICKED_UP")


def dump() -> dict[str, list[str]]:
    """Every row of every table in the database (not only the ones the ORM maps), each value
    stringified — JSON payloads, quotes and invoice contents included — lower-cased."""
    tables = inspect(db.engine).get_table_names()
    out: dict[str, list[str]] = {}
    with db.engine.connect() as connection:
        for table in tables:
            result = connection.execute(text(f'SELECT * FROM "{table}"'))
            out[table] = [" | ".join(str(v) for v in row).lower() for row in result]
    return out


def found(tables: dict[str, list[str]], needles: list[str]) -> dict[str, list[str]]:
    """{table: [needle found in a row, ...]} for the tables where any needle appears."""
    hits: dict[str, list[str]] = {}
    for table, table_rows in tables.items():
        for row in table_rows:
            for needle in needles:
                if needle in row:
                    hits.setdefault(table, []).append(f"{needle!r} in {row[:300]}")
    return hits


def mentions(tables: dict[str, list[str]], needles: list[str]) -> dict[str, list[str]]:
    """The rows (of every table) that mention any of the needles, sorted."""
    return {
        table: sorted(row for row in table_rows if any(n in row for n in needles))
        for table, table_rows in tables.items()
    }


def invoices(customer_id: str) -> list[tuple]:
    from rental.payments.infrastructure.invoices import DocumentEntity

    with db.engine.connect() as connection:
        return list(
            connection.execute(
                select(DocumentEntity.__table__)
                .where(DocumentEntity.customer_id == customer_id)
                .order_by(DocumentEntity.number)
            )
        )


def test_anonymising_removes_the_customer_from_every_table_but_the_invoices(
    app, client, admin_client
):
    ShopFacade().save_settings(SHOP)  # the e-mails name the shop (and the staff alert goes)
    fleet = make_type(units=4, deposit="200.00")
    zelda, zelda_needles = register("Zelda Quirinus", "Lavendelgasse 17", "+49 171 5550199")
    otto, otto_needles = register("Otto Normalverbraucher", "Ahornallee 3", "+49 152 4440123")
    otto_needles.remove("otto")  # also in "padding-bottom" of every HTML e-mail
    # She also booked online with her e-mail, typing details that differ from her profile
    # (kept on the booking for staff to review).
    email = next(n for n in zelda_needles if "@" in n)
    typed = {**TYPED, "email": email}
    assert online_booking(client, fleet.slug, typed, hours=(18, 19)).status_code == 303
    zelda_needles += [typed["phone"], "".join(c for c in typed["phone"] if c.isdigit())]
    history = full_history(zelda, "Zelda Quirinus", fleet, "Zelda Quirinus")
    full_history(otto, "Otto Normalverbraucher", fleet, "Otto Normalverbraucher")

    before = dump()
    # The history really holds her data in the places that must be cleaned.
    where = found(before, zelda_needles)
    assert any("5550100" in hit for hit in where["booking_reservations"])  # typed details
    for table in (
        "customers_customers",
        "booking_reservations",
        "payments_entries",
        "payments_late_fees",
        "inventory_status_history",
        "notifications_messages",
        "outbox_messages",
        "payments_documents",
    ):
        assert table in where, f"the test's history wrote nothing of hers to {table}"
    invoices_before = invoices(zelda)
    assert invoices_before and any("zelda quirinus" in str(r).lower() for r in invoices_before)
    assert db.session.scalar(
        select(MailMessageEntity.id).where(MailMessageEntity.customer_id == zelda).limit(1)
    )

    # Staff anonymise her on the real page (admin only, CSRF); the worker does the rest.
    page = f"/admin/customers/{zelda}"
    answer = admin_client.post(
        f"{page}/anonymise", data={"confirm": "yes", "csrf_token": csrf_token(admin_client, page)}
    )
    assert answer.status_code == 303
    drain()
    after = dump()

    leftovers = found({t: r for t, r in after.items() if t not in INVOICE_TABLES}, zelda_needles)
    assert leftovers == {}, leftovers
    # The legal exception, deliberately: her invoices and credit notes are unchanged.
    assert invoices(zelda) == invoices_before
    assert "payments_documents" in found(after, zelda_needles)
    # The marker tells staff why the text is gone.
    reservations = " ".join(after["booking_reservations"])
    assert ANONYMISED_TEXT.lower() in reservations
    assert ANONYMISED_TEXT.lower() in " ".join(after["payments_entries"])
    assert "damaged: " + ANONYMISED_TEXT.lower() in " ".join(after["inventory_status_history"])
    mail = db.session.scalars(
        select(MailMessageEntity).where(MailMessageEntity.customer_id == zelda)
    ).all()
    assert mail and all(m.to_address == ANONYMISED_TEXT and m.status == "SENT" for m in mail)
    assert all(m.sent_at is not None and m.key and m.template for m in mail)
    db.session.rollback()
    # The bookings themselves are intact (references, status, money), only the text went.
    assert BookingFacade().get_reservation(history["cancelled"]).status.value == "CANCELLED"
    db.session.rollback()

    # Otto's rows are exactly what they were.
    assert mentions(after, otto_needles) == mentions(before, otto_needles)
    assert found(after, ["otto normalverbraucher called", "otto normalverbraucher dropped"])

    # Anonymising again (and the event redelivered) changes nothing more.
    CustomerFacade().anonymise_customer(zelda)
    drain()
    assert dump() == after


def test_crm_rebuild_from_the_redacted_outbox_equals_incremental(app):
    ShopFacade().save_settings(SHOP)
    fleet = make_type(units=4, deposit="200.00")
    zelda, _ = register("Zelda Quirinus", "Lavendelgasse 17", "+49 171 5550199")
    full_history(zelda, "Zelda Quirinus", fleet, "Zelda Quirinus")
    CustomerFacade().anonymise_customer(zelda)
    drain()
    incremental = rows(*PROJECTIONS)
    db.session.rollback()
    assert incremental[PROJECTIONS[0].__tablename__]  # her history is there to compare
    result = CRMFacade().rebuild_projections()
    assert result.skipped == 0
    assert rows(*PROJECTIONS) == incremental
    db.session.rollback()
