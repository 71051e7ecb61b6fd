"""Invoices and credit notes: frozen documents with a gapless number per series and year.

An invoice is issued once per order (on confirmation, or by staff on demand) and never changes:
its seller, buyer, lines, VAT and totals are copied into it when it is issued. A change of the
order afterwards is answered by a credit note for what is left of the invoice and a new invoice
(`reissue`), so the numbered documents always add up to what the customer owes. A credit note
may also credit part of an invoice (a refund). Pure rules: no Flask, no SQLAlchemy."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from rental.payments.domain.policy import PaymentPolicy
from rental.shared.errors import ConflictError, ValidationError
from rental.shared.money import Money, minor_units
from rental.shared.time_range import TimeRange

NUMBER_DIGITS = 6
HUNDRED = Decimal(100)


class DocumentKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"

    @property
    def series(self) -> str:
        """The number series: invoices and credit notes are counted apart."""
        return "INV" if self is DocumentKind.INVOICE else "CN"

    @property
    def label(self) -> str:
        return "Invoice" if self is DocumentKind.INVOICE else "Credit note"


def format_number(kind: DocumentKind, year: int, sequence: int) -> str:
    """`2026-000123` for an invoice, `CN-2026-000004` for a credit note."""
    if sequence < 1:
        raise ValueError("document numbers start at 1")
    core = f"{year:04d}-{sequence:0{NUMBER_DIGITS}d}"
    return core if kind is DocumentKind.INVOICE else f"CN-{core}"


# --- VAT ----------------------------------------------------------------------------------------


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Half up to the currency's minor unit (2 decimals for EUR, 0 for JPY)."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class TaxSummary:
    """One VAT rate for the whole document. `net + vat == gross`, each rounded to the
    currency's decimals; the VAT is computed once on the document's total (not per line)."""

    rate: Decimal  # percent
    prices_include_vat: bool
    net: Money
    vat: Money
    gross: Money


def compute_tax(
    amounts: Iterable[Money], *, rate: Decimal, prices_include_vat: bool, currency: str
) -> TaxSummary:
    """The VAT of line amounts entered gross (VAT included: the VAT is taken out of the total,
    gross × rate / (100 + rate)) or net (VAT added on top: net × rate / 100)."""
    if isinstance(rate, float) or rate < 0:
        raise ValueError("the VAT rate is a Decimal percentage, zero or more")
    total = Decimal(0)
    for amount in amounts:
        if amount.currency != currency:
            raise ValidationError(f"Every line of the document must be in {currency}.")
        total += amount.amount
    total = round_money(total, currency)
    if prices_include_vat:
        gross = total
        vat = round_money(gross * rate / (HUNDRED + rate), currency)
        net = gross - vat
    else:
        net = total
        vat = round_money(net * rate / HUNDRED, currency)
        gross = net + vat
    return TaxSummary(
        rate=rate,
        prices_include_vat=prices_include_vat,
        net=Money(net, currency),
        vat=Money(vat, currency),
        gross=Money(gross, currency),
    )


# --- what an invoice is made of --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Party:
    """Seller or buyer as printed on the document (frozen at issue time)."""

    name: str
    address_lines: tuple[str, ...] = ()
    phone: str = ""
    email: str = ""
    vat_id: str = ""


@dataclass(frozen=True, slots=True)
class OrderLineForInvoice:
    """One line of the order as Booking tells it: an equipment type or a kit (its components
    together), its period, how many, and its amount (as the rate card gives it: gross or net,
    per `PaymentPolicy.prices_include_vat`)."""

    description: str
    period: TimeRange
    quantity: int
    amount: Money
    line_ids: tuple[str, ...] = ()
    # Each booking line's own total (a kit: its components'), as the ledger charges them one
    # by one: a net policy's VAT is added per line (`gross_lines`). Empty: `amount` is one line.
    line_amounts: tuple[Money, ...] = ()


@dataclass(frozen=True, slots=True)
class OrderForInvoice:
    """What Booking tells Payments about an order when an invoice is issued (Booking registers
    the source at start-up: Payments does not import Booking)."""

    order_id: str
    reference: str
    customer_id: str
    currency: str
    status: str  # the order's status: PENDING, CONFIRMED, ON_HIRE, COMPLETED, CANCELLED, ...
    lines: tuple[OrderLineForInvoice, ...]

    @property
    def cancelled(self) -> bool:
        return self.status == "CANCELLED"

    @property
    def invoiceable(self) -> bool:
        return self.status in ("CONFIRMED", "ON_HIRE", "COMPLETED")


@dataclass(frozen=True, slots=True)
class ExtraCharge:
    """A charge on the order's rental account that is not a booking line: late fee, damage,
    cancellation fee, adjustment (net of reversals)."""

    description: str
    amount: Money


@dataclass(frozen=True, slots=True)
class DocumentLine:
    description: str
    period: str  # as printed, e.g. "Fri 27 Nov 2026, 09:00 – Fri 27 Nov 2026, 13:00"
    quantity: int
    amount: Money


@dataclass(frozen=True, slots=True)
class Document:
    """An issued invoice or credit note. Immutable: nothing in it is ever changed."""

    id: str
    kind: DocumentKind
    number: str
    year: int
    sequence: int
    issue_date: date
    issued_at: datetime
    order_id: str
    order_reference: str
    customer_id: str
    currency: str
    seller: Party
    buyer: Party
    lines: tuple[DocumentLine, ...]
    tax: TaxSummary
    # Invoices: paid on the rental account (payments − refunds) when issued.
    paid: Money
    actor: str
    # Credit notes: the invoice credited (its ID and number) and why.
    credits_id: str | None = None
    credits_number: str = ""
    reason: str = ""
    due_date: date | None = None

    @property
    def total(self) -> Money:
        return self.tax.gross

    @property
    def balance(self) -> Money:
        return self.total - self.paid

    @property
    def is_invoice(self) -> bool:
        return self.kind is DocumentKind.INVOICE


@dataclass(frozen=True, slots=True)
class InvoiceState:
    """An invoice, what credit notes took off it so far, and whether one of them closed it
    (credited what was left: the order was cancelled, or the invoice was re-issued)."""

    invoice: Document
    credited: Money
    closed: bool = False

    @property
    def open_amount(self) -> Money:
        """What can still be credited."""
        return self.invoice.total - self.credited

    @property
    def live(self) -> bool:
        """Still stands for the order."""
        return not self.closed


# --- rules --------------------------------------------------------------------------------------


def ensure_invoiceable(order: OrderForInvoice) -> None:
    if order.cancelled:
        raise ConflictError(
            f"Order {order.reference} is cancelled: no invoice is issued for a cancelled order. "
            "Its invoice is credited and a cancellation fee is invoiced on its own, "
            "automatically."
        )
    if not order.invoiceable:
        raise ConflictError(
            f"Order {order.reference} is not confirmed yet: an invoice is issued once the "
            "booking is confirmed."
        )


def gross_lines(order: OrderForInvoice, policy: PaymentPolicy) -> OrderForInvoice:
    """The order with its lines' amounts as the customer pays them. Under a net policy
    Booking's amounts are net while the ledger charges each booking line's gross
    (PaymentPolicy.gross, rounded per line): the invoice takes the same amounts, so its total is
    what the ledger charged for them and its balance the ledger's. Unchanged otherwise."""
    if not policy.adds_vat:
        return order
    lines = tuple(
        replace(
            line,
            amount=policy.gross_total(line.line_amounts or (line.amount,), order.currency),
            line_amounts=(),
        )
        for line in order.lines
    )
    return replace(order, lines=lines)


def invoice_lines(
    order: OrderForInvoice,
    extras: Iterable[ExtraCharge],
    describe_period: Callable[[TimeRange], str],
) -> tuple[DocumentLine, ...]:
    """The order's live lines (each with its period and quantity) and the other charges on its
    rental account, amounts rounded to the currency."""
    lines = [
        DocumentLine(
            description=line.description,
            period=describe_period(line.period),
            quantity=line.quantity,
            amount=line.amount.rounded(),
        )
        for line in order.lines
    ]
    lines += [
        DocumentLine(description=x.description, period="", quantity=1, amount=x.amount.rounded())
        for x in extras
        if x.amount.amount != 0
    ]
    return tuple(lines)


def same_lines(a: Iterable[DocumentLine], b: Iterable[DocumentLine]) -> bool:
    """Would an invoice issued now say the same as the one issued (lines and amounts)?"""

    def key(lines: Iterable[DocumentLine]) -> list[tuple[str, str, int, Decimal]]:
        return sorted((x.description, x.period, x.quantity, x.amount.amount) for x in lines)

    return key(a) == key(b)


def check_credit(state: InvoiceState, amount: Money) -> None:
    """A credit note credits more than zero and at most what is still open on the invoice."""
    if amount.amount <= 0:
        raise ValidationError("The amount to credit must be more than zero.", field="amount")
    if amount > state.open_amount:
        raise ValidationError(
            f"Invoice {state.invoice.number} has {state.open_amount.format()} left to credit; "
            f"a credit note cannot be for {amount.format()}.",
            field="amount",
        )
