"""InvoiceFacade: invoices and credit notes (wiring and one unit_of_work per command).

Payments does not import Booking: Booking registers at start-up a callable that tells an
order's lines as `OrderForInvoice` (`register_invoice_order_source`, like Inventory's
`register_demand_source`). The seller comes from the shop's settings and the payment policy's
VAT number, the buyer from Customers — both looked up when a document is issued and frozen in
it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import Session

from rental.customers import CustomerFacade
from rental.payments.application.invoices import (
    Collaborators,
    DocumentPage,
    InvoiceCommands,
    InvoiceQueries,
    OrderDocuments,
)
from rental.payments.domain.invoices import Document, OrderForInvoice, Party
from rental.payments.domain.policy import PaymentPolicy
from rental.payments.infrastructure.invoice_pdf import document_filename, document_pdf_bytes
from rental.payments.infrastructure.invoices import DocumentRepository
from rental.payments.infrastructure.policy import PolicyRepository
from rental.payments.infrastructure.repositories import LedgerRepository
from rental.shared import outbox
from rental.shared.db import db, unit_of_work
from rental.shared.errors import NotFoundError
from rental.shared.time_range import TimeRange, utcnow
from rental.shared.web import business_tz, format_datetime
from rental.shop import ShopFacade

ORDER_SOURCE = "payments.invoice_order_source"
OrderSource = Callable[[str], OrderForInvoice | None]


def register_invoice_order_source(app: Flask, source: OrderSource) -> None:
    """Booking calls this at start-up: `source(order_id)` is the order as lines to invoice
    (None when there is no such order)."""
    app.extensions[ORDER_SOURCE] = source


def _order(order_id: str) -> OrderForInvoice | None:
    source: OrderSource | None = (
        current_app.extensions.get(ORDER_SOURCE) if has_app_context() else None
    )
    if source is None:
        raise RuntimeError("No order source is registered for invoices (Booking registers it).")
    return source(order_id)


def _seller(policy: PaymentPolicy) -> Party:
    shop = ShopFacade().get_settings()
    return Party(
        name=shop.name or "",
        address_lines=tuple(shop.address_lines),
        phone=shop.phone,
        email=shop.email,
        vat_id=policy.vat_id,
    )


def _buyer(customer_id: str) -> Party:
    try:
        c = CustomerFacade().get_customer_by_id(customer_id)
    except NotFoundError:
        return Party(name="Customer")
    a = c.address
    city = " ".join(x for x in (a.postal_code, a.city) if x)
    state = a.state if a.state and a.state != a.city else ""
    lines = tuple(x for x in (a.street, city, state, a.country) if x)
    return Party(name=c.name, address_lines=lines, phone=c.phone, email=c.email)


def _local_date(moment: datetime) -> date:
    return moment.astimezone(business_tz()).date()


def describe_period(period: TimeRange) -> str:
    start = format_datetime(period.start, with_year=True)
    end = format_datetime(period.end, with_year=True)
    day, _, _ = start.partition(",")
    if end.startswith(day + ","):
        return f"{start} – {end.partition(', ')[2]}"
    return f"{start} – {end}"


class InvoiceFacade:
    """Commands raise NotFoundError (no such order/invoice), ConflictError (a cancelled or
    unconfirmed order, an invoice already there, nothing left to credit), ValidationError
    (amount, reason)."""

    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self.clock = clock

    def _policy(self, session: Session) -> PaymentPolicy:
        return PolicyRepository(session).get() or PaymentPolicy()

    def _with(self, session: Session) -> Collaborators:
        return Collaborators(
            order=_order,
            seller=_seller,
            buyer=_buyer,
            policy=lambda: self._policy(session),
            clock=self.clock,
            local_date=_local_date,
            describe_period=describe_period,
            record=outbox.record,
        )

    def commands(self, session: Session | None = None) -> InvoiceCommands:
        session = session or db.session()
        return InvoiceCommands(
            DocumentRepository(session), LedgerRepository(session), self._with(session)
        )

    def _queries(self) -> InvoiceQueries:
        session = db.session()
        return InvoiceQueries(
            DocumentRepository(session), LedgerRepository(session), self._with(session)
        )

    def policy(self) -> PaymentPolicy:
        return self._policy(db.session())

    # --- commands -------------------------------------------------------------------------------

    def issue_invoice(self, order_id: str, actor: str) -> Document:
        with unit_of_work() as session:
            document = self.commands(session).issue_invoice(order_id, actor)
            assert document is not None
            return document

    def issue_credit_note(self, invoice_id: str, amount: Any, reason: str, actor: str) -> Document:
        """`amount` (gross, a Decimal) of the invoice; None credits what is left of it."""
        with unit_of_work() as session:
            return self.commands(session).credit(invoice_id, amount, reason, actor)

    def reissue_invoice(self, order_id: str, actor: str, reason: str = "") -> Document:
        """Credit what is left of the order's invoice and issue a new one; the new invoice."""
        with unit_of_work() as session:
            return self.commands(session).reissue(order_id, actor, reason)[1]

    # --- queries --------------------------------------------------------------------------------

    def get_document(self, document_id: str) -> Document | None:
        return self._queries().get(document_id)

    def documents_for_order(self, order_id: str) -> OrderDocuments:
        return self._queries().for_order(order_id)

    def invoice_pdf_for_order(self, order_id: str) -> tuple[str, bytes] | None:
        """(file name, PDF) of the order's live invoice — the one a payment receipt attaches;
        None when the order has none (not issued yet, or credited in full)."""
        invoice = self._queries().live_invoice(order_id)
        if invoice is None:
            return None
        return document_filename(invoice), document_pdf_bytes(invoice)

    def export(
        self,
        *,
        kind: str | None = None,
        start: date | None = None,
        end: date | None = None,
        text: str = "",
    ) -> Iterator[list[Document]]:
        """What `search` finds, every page, read a batch at a time once iterated — on the
        session of the context iterating them (a streamed response's request, which outlives
        the view's)."""

        def batches() -> Iterator[list[Document]]:
            repository = DocumentRepository(db.session())
            yield from repository.stream(kind=kind, start=start, end=end, text=text)

        return batches()

    def search(
        self,
        *,
        kind: str | None = None,
        start: date | None = None,
        end: date | None = None,
        text: str = "",
        page: int = 1,
        per_page: int = 25,
    ) -> DocumentPage:
        return self._queries().search(
            kind=kind, start=start, end=end, text=text, page=page, per_page=per_page
        )
