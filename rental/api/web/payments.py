"""Payments and invoices (scope `read`; recording a payment: `orders:write`). An order is
found by its reference through BookingFacade; its ledger comes from PaymentsFacade (what the
staff Money panel shows), payments are recorded by PaymentsFacade.record_payment with the
staff form's checks and messages, invoices come from InvoiceFacade (the staff list's search,
its PDF)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from flask import Response, redirect, request

from rental.api.web.core import ORDERS_WRITE, READ, bp, current_token, operation
from rental.api.web.helpers import Created, idempotent, json_response, money, page_response
from rental.api.web.numbered_pages import next_cursor, page_number
from rental.api.web.problems import ApiProblem
from rental.api.web.schemas.payments import (
    InvoiceDetailOut,
    InvoiceLineOut,
    InvoiceOut,
    InvoicePage,
    InvoiceQuery,
    LedgerAccountOut,
    LedgerEntryOut,
    LedgerOut,
    PaymentIn,
)
from rental.booking import BookingFacade
from rental.payments import (
    MAX_AMOUNT,
    Account,
    Document,
    EntryView,
    InvoiceFacade,
    LedgerView,
    Method,
    PaymentsFacade,
    RecordPayment,
    choice,
    document_pdf,
    strip_currency,
)
from rental.shared.errors import NotFoundError, ValidationError
from rental.shared.money import Money
from rental.shared.parsing import parse_decimal

NO_SUCH_DOCUMENT = "There is no such invoice or credit note."


# --- an order's ledger ---------------------------------------------------------------------


def _entry_out(e: EntryView) -> LedgerEntryOut:
    return LedgerEntryOut(
        id=e.id,
        kind=e.kind,  # type: ignore[arg-type]
        account=e.account,  # type: ignore[arg-type]
        category=e.category,
        amount=money(e.amount),
        effect=money(e.effect),
        what=e.what,
        method=e.method,
        reference=e.reference,
        reason=e.reason,
        recorded_at=e.at,
        reverses=e.reverses,
        reversed_by=e.reversed_by,
    )


def _ledger_out(reference: str, currency: str, ledger: LedgerView | None) -> LedgerOut:
    zero = Money.zero(currency)
    if ledger is None:
        empty = LedgerAccountOut(
            charged=money(zero), paid=money(zero), refunded=money(zero), balance=money(zero)
        )
        return LedgerOut(
            order_reference=reference,
            currency=currency,
            opened=False,
            entries=[],
            accounts={"rental": empty, "deposit": empty},
            paid=money(zero),
            balance_due=money(zero),
            deposit_held=money(zero),
            deposit_state="not paid",
        )
    paid = sum((a.paid - a.refunded for a in ledger.accounts.values()), zero)
    return LedgerOut(
        order_reference=ledger.order_reference,
        currency=ledger.currency,
        opened=True,
        entries=[_entry_out(e) for e in ledger.entries],
        accounts={
            name: LedgerAccountOut(
                charged=money(a.charged),
                paid=money(a.paid),
                refunded=money(a.refunded),
                balance=money(a.balance),
            )
            for name, a in ledger.accounts.items()
        },
        paid=money(paid),
        balance_due=money(ledger.balance),
        deposit_held=money(ledger.refundable["deposit"]),
        deposit_state=ledger.deposit_state,  # type: ignore[arg-type]
    )


@bp.get("/orders/<reference>/payments")
@operation(READ, ok=LedgerOut, errors=(404,), tags=["payments"])
def get_ledger(reference: str) -> Response:
    """The order's ledger: entries, per-account totals, paid, balance due, deposit held."""
    order = BookingFacade().get_order_by_reference(reference)
    ledger = PaymentsFacade().get_ledger(order.id)
    return json_response(_ledger_out(order.reference, order.total.currency, ledger))


def _amount(raw: str | int | float, currency: str) -> Decimal:
    """As the staff form reads it: the order's own currency sign may be written, another is
    refused; a plain decimal with at most 4 places (the ledger then checks the currency's)."""
    text = strip_currency(str(raw), currency, field="amount")
    value = parse_decimal(
        text, field="amount", label="amount", minimum=-MAX_AMOUNT, maximum=MAX_AMOUNT, places=4
    )
    if value is None:
        raise ValidationError("Give the amount.", field="amount")
    return value


def _check_currency(given: str | None, currency: str) -> None:
    code = (given or "").strip().upper()
    if code and code != currency:
        message = (
            f"This order is kept in {currency}: enter the amount in {currency}, not in "
            f"{code} (convert it first)."
        )
        raise ValidationError(message, field="currency")


@bp.post("/orders/<reference>/payments")
@operation(
    ORDERS_WRITE,
    json=PaymentIn,
    ok=LedgerEntryOut,
    status=201,
    errors=(404, 409),
    tags=["payments"],
)
def record_payment(reference: str, json: PaymentIn) -> Response:
    """Record a payment on the order (Idempotency-Key supported): the new ledger entry."""
    token = current_token()
    actor = f"API: {token.name}" if token else "API"

    def create() -> Created:
        order = BookingFacade().get_order_by_reference(reference)
        payments = PaymentsFacade()
        ledger = payments.get_ledger(order.id)
        if ledger is None:
            message = "This order has no ledger yet: it is opened when the booking is confirmed."
            raise ApiProblem(
                422, message, slug="validation", errors=[{"field": "reference", "message": message}]
            )
        _check_currency(json.currency, ledger.currency)
        entry_id = payments.record_payment(
            RecordPayment(
                order_id=order.id,
                amount=_amount(json.amount, ledger.currency),
                method=choice(Method, json.method, field="method", label="method"),
                account=choice(Account, json.account, field="account", label="account"),
                actor=actor,
                reference=json.reference,
                confirmed=frozenset(json.confirm),
            )
        )
        after = payments.get_ledger(order.id)
        entry = next(e for e in after.entries if e.id == entry_id) if after else None
        assert entry is not None
        return Created(_entry_out(entry), location=f"/api/v1/orders/{order.reference}/payments")

    return idempotent(create)


# --- invoices ------------------------------------------------------------------------------


def _invoice_out(d: Document) -> InvoiceOut:
    return InvoiceOut(**_invoice_fields(d))


def _invoice_fields(d: Document) -> dict:
    return {
        "number": d.number,
        "kind": d.kind.value,
        "order_reference": d.order_reference,
        "issue_date": d.issue_date,
        "issued_at": d.issued_at,
        "due_date": d.due_date,
        "currency": d.currency,
        "vat_rate": str(d.tax.rate.normalize()),
        "net": money(d.tax.net),
        "vat": money(d.tax.vat),
        "total": money(d.total),
        "credits_number": d.credits_number or None,
    }


@bp.get("/invoices")
@operation(READ, query=InvoiceQuery, ok=InvoicePage, tags=["invoices"])
def list_invoices(query: InvoiceQuery) -> Response:
    """Invoices and credit notes, newest first (filters: `from`/`to` issue dates, `kind`,
    `q`), as the staff list finds them."""
    if query.date_from and query.date_to and query.date_to < query.date_from:
        message = "The end date must not be before the start date."
        raise ApiProblem(
            422, message, slug="validation", errors=[{"field": "to", "message": message}]
        )
    end = query.date_to + timedelta(days=1) if query.date_to else None
    page = InvoiceFacade().search(
        kind=query.kind,
        start=query.date_from,
        end=end,
        text=query.q.strip(),
        page=page_number(query),
        per_page=query.limit,
    )
    cursor = next_cursor(query, page.page, page.page < page.pages)
    data = [_invoice_out(d) for d in page.documents]
    return page_response(InvoicePage(data=data, next_cursor=cursor, total=page.total), cursor)


def _document(number: str) -> Document:
    wanted = number.strip().upper()
    if not wanted or len(wanted) > 50:
        raise NotFoundError(NO_SUCH_DOCUMENT)
    found = InvoiceFacade().search(
        kind=None, start=None, end=None, text=wanted, page=1, per_page=100
    )
    document = next((d for d in found.documents if d.number.upper() == wanted), None)
    if document is None:
        raise NotFoundError(NO_SUCH_DOCUMENT)
    return document


def _wants_pdf() -> bool:
    accept = request.accept_mimetypes
    return accept.best_match(["application/json", "application/pdf"]) == "application/pdf"


@bp.get("/invoices/<number>")
@operation(READ, ok=InvoiceDetailOut, errors=(404,), tags=["invoices"])
def get_invoice(number: str) -> Response:
    """An invoice or credit note by number, with its lines (`Accept: application/pdf`: a 303
    to its PDF)."""
    d = _document(number)
    pdf = f"/api/v1/invoices/{d.number}.pdf"
    if _wants_pdf():
        return redirect(pdf, code=303)
    body = InvoiceDetailOut(
        **_invoice_fields(d),
        prices_include_vat=d.tax.prices_include_vat,
        paid=money(d.paid),
        buyer_name=d.buyer.name,
        reason=d.reason,
        lines=[
            InvoiceLineOut(
                description=line.description,
                period=line.period,
                quantity=line.quantity,
                amount=money(line.amount),
            )
            for line in d.lines
        ],
        pdf=pdf,
    )
    return json_response(body)


@bp.get("/invoices/<number>.pdf")
@operation(READ, errors=(404,), tags=["invoices"])
def get_invoice_pdf(number: str) -> Response:
    """The invoice or credit note as PDF (application/pdf), as staff download it."""
    return document_pdf(_document(number), download=True)
