"""Invoices and credit notes: issuing (on confirmation, or by staff), crediting (a refund, a
cancelled order, a re-issue) and reading them.

Every command runs inside the caller's unit of work and locks the number series it needs first
(the counter row of the year, FOR UPDATE): what the order already has is read after the lock,
so two confirmations of one order's lines handled at once never issue two invoices, and the
number is taken in the same transaction as the document is written (gapless). Locks are always
taken invoices first, then credit notes, so two commands never wait for each other.

Decision (documented in docs/architecture.md): an issued document never changes. When the
order changes after its invoice (a line cancelled, its period or quantity changed) Booking's
event makes Payments `reconcile`: a credit note for what is left of the invoice and a new
invoice with the order as it is now; a cancelled order gets the credit note and, when charges
are left on its ledger (a cancellation fee), a fee invoice of those (domain/fee_invoices.py,
also run on the ledger's own `ChargeAdded`: application/fee_invoice_handlers.py). Charges staff
add later (damage, late fee) are offered to staff as "Re-issue the invoice" on the Money panel
(the panel says the invoice is out of date)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from rental.contracts.invoices import CreditNoteIssued, InvoiceIssued
from rental.payments.domain.fee_invoices import charge_lines, is_fee_invoice, settle_cancelled
from rental.payments.domain.invoices import (
    Document,
    DocumentKind,
    DocumentLine,
    ExtraCharge,
    InvoiceState,
    OrderForInvoice,
    Party,
    check_credit,
    compute_tax,
    ensure_invoiceable,
    format_number,
    gross_lines,
    invoice_lines,
    same_lines,
)
from rental.payments.domain.ledger import (
    CATEGORY_LABELS,
    Category,
    Ledger,
)
from rental.payments.domain.policy import PaymentPolicy, RentalDue
from rental.payments.infrastructure.invoices import DocumentRepository
from rental.payments.infrastructure.repositories import LedgerRepository
from rental.shared.errors import ConflictError, NotFoundError, ValidationError
from rental.shared.events import Event
from rental.shared.money import Money
from rental.shared.time_range import TimeRange

Record = Callable[[Event], None]
OrderSource = Callable[[str], "OrderForInvoice | None"]
REASON_MAX = 300
AUTOMATIC = "booking"  # the actor of documents issued from Booking's events


@dataclass(frozen=True, slots=True)
class Collaborators:
    """What issuing needs from around the module (wired by the facade)."""

    order: OrderSource  # Booking's order, as lines to invoice
    seller: Callable[[PaymentPolicy], Party]  # the shop's settings + VAT number
    buyer: Callable[[str], Party]  # the customer, looked up now (then frozen)
    policy: Callable[[], PaymentPolicy]
    clock: Callable[[], datetime]
    local_date: Callable[[datetime], date]  # the business day of a moment
    describe_period: Callable[[TimeRange], str]
    record: Record
    new_id: Callable[[], str] = lambda: str(uuid.uuid4())


def _extras(ledger: Ledger | None) -> list[ExtraCharge]:
    """The charges beside the booking lines (`Ledger.extra_charges`: late fees, damage — also
    what was kept from the deposit —, cancellation fees, adjustments)."""
    if ledger is None:
        return []
    return [
        ExtraCharge(description=_describe(e.category, e.reason), amount=e.amount)
        for e in ledger.extra_charges()
    ]


def _describe(category: Category, reason: str) -> str:
    """ "Damage: Scratch"; a reason that names its category already ("Cancellation fee
    RK-…") as it is."""
    if not reason:
        return "Charge"
    label = CATEGORY_LABELS[category]
    return reason if reason.lower().startswith(label.lower()) else f"{label}: {reason}"


def _paid(ledger: Ledger | None, currency: str) -> Money:
    if ledger is None:
        return Money(Decimal(0), currency)
    return ledger.paid_towards_charges()


def _reason(text: str, *, required: bool = False) -> str:
    text = " ".join((text or "").split())
    if required and not text:
        raise ValidationError("Say why the credit note is issued.", field="reason")
    if len(text) > REASON_MAX:
        raise ValidationError(f"Keep the reason under {REASON_MAX} characters.", field="reason")
    return text


class InvoiceCommands:
    def __init__(
        self, documents: DocumentRepository, ledgers: LedgerRepository, with_: Collaborators
    ) -> None:
        self.documents = documents
        self.ledgers = ledgers
        self.c = with_

    # --- issuing ------------------------------------------------------------------------------

    def _today(self) -> tuple[datetime, date]:
        now = self.c.clock()
        return now, self.c.local_date(now)

    def _order(self, order_id: str) -> OrderForInvoice:
        order = self.c.order(order_id)
        if order is None:
            raise NotFoundError("There is no such order.")
        return order

    def _draft_lines(self, order: OrderForInvoice) -> tuple[DocumentLine, ...]:
        ledger = self.ledgers.get(order.order_id)
        order = gross_lines(order, self.c.policy())
        return invoice_lines(order, _extras(ledger), self.c.describe_period)

    def issue_invoice(
        self, order_id: str, actor: str, *, automatic: bool = False
    ) -> Document | None:
        """The order's invoice. Staff: refused (409) when the order already has a live invoice
        or is cancelled / not confirmed. Automatic (Booking's confirmation): nothing happens
        then, so a redelivered event or a second line of the order issues nothing new."""
        now, today = self._today()
        self.documents.lock_series(DocumentKind.INVOICE, today.year)
        live = self._live(order_id)
        order = self.c.order(order_id)
        if automatic:
            if live is not None or order is None or not order.invoiceable:
                return None
        else:
            if order is None:
                raise NotFoundError("There is no such order.")
            ensure_invoiceable(order)  # first: a cancelled order's live invoice is its fees'
            if live is not None:
                raise ConflictError(
                    f"Order {order.reference} already has invoice {live.invoice.number}. "
                    "Re-issue it if the order changed."
                )
        return self._issue(order, actor, now, today)

    def _numbered(self, kind: DocumentKind, now: datetime, today: date) -> dict[str, Any]:
        """A new document's identity: its ID and the next gapless number of its series and
        year (the series is locked by the caller), issued now."""
        sequence = self.documents.take_number(kind, today.year)
        return dict(
            id=self.c.new_id(),
            kind=kind,
            number=format_number(kind, today.year, sequence),
            year=today.year,
            sequence=sequence,
            issue_date=today,
            issued_at=now,
        )

    def _issue(
        self,
        order: OrderForInvoice,
        actor: str,
        now: datetime,
        today: date,
        lines: tuple[DocumentLine, ...] | None = None,
    ) -> Document:
        """The order's invoice: its booking lines and charges — or only `lines` (a fee
        invoice)."""
        policy = self.c.policy()
        ledger = self.ledgers.get(order.order_id)
        if lines is None:
            # Lines as the customer pays them (a net policy's VAT added per booking line, as
            # the ledger charged them; the ledger's extras are kept gross): the VAT is taken
            # out of that total, so net + VAT = total and total − paid = the ledger's balance.
            lines = invoice_lines(
                gross_lines(order, policy), _extras(ledger), self.c.describe_period
            )
        tax = compute_tax(
            (x.amount for x in lines),
            rate=policy.vat_rate,
            prices_include_vat=policy.prices_include_vat or policy.adds_vat,
            currency=order.currency,
        )
        document = Document(
            **self._numbered(DocumentKind.INVOICE, now, today),
            order_id=order.order_id,
            order_reference=order.reference,
            customer_id=order.customer_id,
            currency=order.currency,
            seller=self.c.seller(policy),
            buyer=self.c.buyer(order.customer_id),
            lines=lines,
            tax=tax,
            paid=_paid(ledger, order.currency),
            actor=actor,
            due_date=today + timedelta(days=policy.invoice_days)
            if policy.rental_due is RentalDue.BY_INVOICE
            else None,
        )
        self.documents.add(document)
        self.c.record(
            InvoiceIssued(
                document_id=document.id,
                number=document.number,
                order_id=document.order_id,
                order_reference=document.order_reference,
                customer_id=document.customer_id,
                net=tax.net,
                vat=tax.vat,
                total=tax.gross,
                actor=actor,
            )
        )
        return document

    # --- crediting ----------------------------------------------------------------------------

    def _live(self, order_id: str) -> InvoiceState | None:
        live = [s for s in self.documents.invoice_states(order_id) if s.live]
        return live[-1] if live else None

    def _state(self, invoice_id: str) -> InvoiceState:
        document = self.documents.get(invoice_id)
        if document is None or not document.is_invoice:
            raise NotFoundError("There is no such invoice.")
        for state in self.documents.invoice_states(document.order_id):
            if state.invoice.id == invoice_id:
                return state
        raise NotFoundError("There is no such invoice.")  # pragma: no cover

    def credit(self, invoice_id: str, amount: Decimal | None, reason: str, actor: str) -> Document:
        """A credit note of `amount` (gross) of the invoice — what is left of it when None
        (that closes the invoice: it no longer stands for the order)."""
        reason = _reason(reason, required=True)
        now, today = self._today()
        self.documents.lock_series(DocumentKind.CREDIT_NOTE, today.year)
        state = self._state(invoice_id)
        return self._credit(state, amount, reason, actor, now, today)

    def _credit(
        self,
        state: InvoiceState,
        amount: Decimal | None,
        reason: str,
        actor: str,
        now: datetime,
        today: date,
    ) -> Document:
        invoice = state.invoice
        if state.closed:
            raise ConflictError(
                f"Invoice {invoice.number} is already credited in full; nothing is left to credit."
            )
        closes = amount is None or Money(amount, invoice.currency) == state.open_amount
        if closes and state.credited.amount == 0:
            # The whole invoice: the credit note mirrors it line by line, VAT and all.
            lines, tax = invoice.lines, invoice.tax
        else:
            money = state.open_amount if amount is None else Money(amount, invoice.currency)
            if amount is not None:
                check_credit(state, money)
            lines = (
                DocumentLine(
                    description=f"Credit on invoice {invoice.number}"
                    + (f": {reason}" if reason else ""),
                    period="",
                    quantity=1,
                    amount=money,
                ),
            )
            tax = compute_tax(
                [money],
                rate=invoice.tax.rate,
                prices_include_vat=True,
                currency=invoice.currency,
            )
        note = Document(
            **self._numbered(DocumentKind.CREDIT_NOTE, now, today),
            order_id=invoice.order_id,
            order_reference=invoice.order_reference,
            customer_id=invoice.customer_id,
            currency=invoice.currency,
            seller=invoice.seller,
            buyer=invoice.buyer,
            lines=lines,
            tax=tax,
            paid=Money(Decimal(0), invoice.currency),
            actor=actor,
            credits_id=invoice.id,
            credits_number=invoice.number,
            reason=reason,
        )
        self.documents.add(note, closes=closes)
        self.c.record(
            CreditNoteIssued(
                document_id=note.id,
                number=note.number,
                invoice_id=invoice.id,
                invoice_number=invoice.number,
                order_id=note.order_id,
                order_reference=note.order_reference,
                customer_id=note.customer_id,
                net=tax.net,
                vat=tax.vat,
                total=tax.gross,
                reason=reason,
                actor=actor,
            )
        )
        return note

    def reissue(self, order_id: str, actor: str, reason: str = "") -> tuple[Document, Document]:
        """A credit note for what is left of the order's invoice and a new invoice with the
        order as it is now (its lines, charges and payments)."""
        reason = _reason(reason) or "Invoice re-issued: the order changed"
        now, today = self._today()
        self.documents.lock_series(DocumentKind.INVOICE, today.year)
        self.documents.lock_series(DocumentKind.CREDIT_NOTE, today.year)
        order = self._order(order_id)
        live = self._live(order_id)
        if live is None:
            raise ConflictError(f"Order {order.reference} has no invoice to re-issue.")
        ensure_invoiceable(order)
        note = self._credit(live, None, reason, actor, now, today)
        return note, self._issue(order, actor, now, today)

    def on_confirmed(self, order_id: str, *, issue: bool) -> None:
        """Booking confirmed a line: the order's invoice when it has none (and the policy
        says so); when it has one, a line confirmed later (added to the order) re-issues it."""
        if issue and self.issue_invoice(order_id, AUTOMATIC, automatic=True) is not None:
            return
        self.reconcile(order_id)

    def reconcile(self, order_id: str) -> None:
        """After Booking cancelled or changed a line: a cancelled order is settled (its
        invoice credited, its fee invoiced: `_settle_cancelled`); an invoice that no longer
        says what the order is is credited and issued anew. Nothing when the order has no live
        invoice or the invoice still fits (a redelivery)."""
        now, today = self._today()
        self.documents.lock_series(DocumentKind.INVOICE, today.year)
        self.documents.lock_series(DocumentKind.CREDIT_NOTE, today.year)
        order = self.c.order(order_id)
        if order is None:
            return
        if order.cancelled:
            self._settle_cancelled(order, now, today)
            return
        live = self._live(order_id)
        if live is None or not order.invoiceable:
            return
        if not same_lines(live.invoice.lines, self._draft_lines(order)):
            self._credit(live, None, "The order changed: invoice re-issued", AUTOMATIC, now, today)
            self._issue(order, AUTOMATIC, now, today)

    def _settle_cancelled(self, order: OrderForInvoice, now: datetime, today: date) -> None:
        """A cancelled order (domain/fee_invoices.py): its booking invoice credited in full,
        and the charges left on its ledger (the cancellation fee, ...) on one fee invoice.
        Whichever of Booking's cancellation and the ledger's fee charge is handled second
        completes it; a redelivery finds it settled and issues nothing."""
        live = [s for s in self.documents.invoice_states(order.order_id) if s.live]
        charges = charge_lines(_extras(self.ledgers.get(order.order_id)))
        plan = settle_cancelled(live, charges)
        for state in plan.credit:
            reason = "Order cancelled"
            if is_fee_invoice(state.invoice):
                reason = (
                    "The charges changed: fee invoice re-issued"
                    if plan.fee_lines
                    else "The charges were reversed"
                )
            self._credit(state, None, reason, AUTOMATIC, now, today)
        if plan.fee_lines:
            self._issue(order, AUTOMATIC, now, today, lines=plan.fee_lines)

    def on_ledger_charge(self, order_id: str, *, cancellation_fee: bool) -> None:
        """The ledger charged (or reversed) something beside the booking lines. A
        cancellation fee reconciles the order's invoices (the fee of a cancelled order goes on
        its fee invoice, of an item taken out on the re-issued invoice); any other charge only
        when the order is cancelled (staff re-issue a live order's invoice themselves)."""
        if not cancellation_fee:
            order = self.c.order(order_id)
            if order is None or not order.cancelled:
                return
        self.reconcile(order_id)


# --- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderDocuments:
    """An order's invoices and credit notes (oldest first), for the Money panel and the
    customer's manage page."""

    documents: list[Document]
    live_invoice: Document | None
    open_amount: Money | None  # what the live invoice still has to credit
    out_of_date: bool  # the live invoice no longer says what the order is
    can_issue: bool  # staff may issue an invoice now (none live, order confirmed)
    refusal: str  # why not, when the order has none and cannot have one now
    # The live invoice is a cancelled order's fee invoice (its charges; not re-issued by staff).
    fee_invoice: bool = False


@dataclass(frozen=True, slots=True)
class DocumentPage:
    documents: list[Document]
    total: int
    page: int
    pages: int


class InvoiceQueries:
    def __init__(
        self, documents: DocumentRepository, ledgers: LedgerRepository, with_: Collaborators
    ) -> None:
        self.documents = documents
        self.ledgers = ledgers
        self.c = with_

    def get(self, document_id: str) -> Document | None:
        return self.documents.get(document_id)

    def live_invoice(self, order_id: str) -> Document | None:
        """The order's invoice not (fully) credited, the latest if several."""
        live = [s for s in self.documents.invoice_states(order_id) if s.live]
        return live[-1].invoice if live else None

    def for_order(self, order_id: str) -> OrderDocuments:
        documents = self.documents.for_order(order_id)
        live = [s for s in self.documents.invoice_states(order_id) if s.live]
        state = live[-1] if live else None
        order = self.c.order(order_id)
        out_of_date = False
        refusal = ""
        if order is not None and state is not None and order.invoiceable:
            draft = invoice_lines(
                gross_lines(order, self.c.policy()),
                _extras(self.ledgers.get(order_id)),
                self.c.describe_period,
            )
            out_of_date = not same_lines(state.invoice.lines, draft)
        if state is None and order is not None:
            try:
                ensure_invoiceable(order)
            except ConflictError as exc:
                refusal = exc.message
        return OrderDocuments(
            documents=documents,
            live_invoice=state.invoice if state else None,
            open_amount=state.open_amount if state else None,
            out_of_date=out_of_date,
            can_issue=state is None and order is not None and not refusal,
            refusal=refusal,
            fee_invoice=state is not None and is_fee_invoice(state.invoice),
        )

    def search(
        self,
        *,
        kind: str | None,
        start: date | None,
        end: date | None,
        text: str,
        page: int,
        per_page: int,
    ) -> DocumentPage:
        documents, total = self.documents.search(
            kind=kind,
            start=start,
            end=end,
            text=text,
            offset=(page - 1) * per_page,
            limit=per_page,
        )
        pages = max(1, -(-total // per_page))
        return DocumentPage(documents=documents, total=total, page=page, pages=pages)
