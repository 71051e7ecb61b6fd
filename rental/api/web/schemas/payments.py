"""Payments (an order's ledger, recording a payment) and invoices. Money is
{"amount": "85.00", "currency": "EUR"}: a decimal string, never a float."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field, StrictFloat, StrictInt, StrictStr

from rental.api.web.schemas.common import ApiModel, MoneyAmount, Page, PageQuery

METHODS = ["cash", "card_terminal", "bank_transfer", "other"]


class LedgerEntryOut(ApiModel):
    id: str
    kind: Literal["CHARGE", "PAYMENT", "REFUND"]
    account: Literal["rental", "deposit"]
    category: str
    amount: MoneyAmount
    effect: MoneyAmount = Field(
        description="What it did to its account's balance: + the customer owes more."
    )
    what: str = Field(description="As the staff ledger says it: 'Payment (Cash)'.")
    method: str | None
    reference: str
    reason: str
    recorded_at: datetime
    reverses: str | None = Field(description="The entry this one reverses.")
    reversed_by: str | None


class LedgerAccountOut(ApiModel):
    charged: MoneyAmount
    paid: MoneyAmount
    refunded: MoneyAmount
    balance: MoneyAmount


class LedgerOut(ApiModel):
    order_reference: str
    currency: str
    opened: bool = Field(description="False until the order is confirmed: nothing charged yet.")
    entries: list[LedgerEntryOut]
    accounts: dict[str, LedgerAccountOut] = Field(description="'rental' and 'deposit'.")
    paid: MoneyAmount = Field(description="Payments less refunds, both accounts.")
    balance_due: MoneyAmount = Field(
        description="Both accounts: positive = the customer owes it, negative = owed to them."
    )
    deposit_held: MoneyAmount = Field(description="Deposit paid less deposit refunded.")
    deposit_state: Literal["not paid", "held", "released", "partly retained"]


class PaymentIn(ApiModel):
    amount: StrictStr | StrictInt | StrictFloat = Field(
        description="More than zero, in the order's currency: '85.00' (a string is best)."
    )
    currency: str | None = Field(
        default=None, max_length=10, description="If given, must be the order's currency."
    )
    method: str = Field(max_length=50, json_schema_extra={"enum": METHODS})
    account: str = Field(
        default="rental",
        max_length=50,
        json_schema_extra={"enum": ["rental", "deposit"]},
        description="The rental (default) or the refundable deposit.",
    )
    reference: str = Field(
        default="", max_length=1000, description="E.g. the bank transfer's reference."
    )
    confirm: list[Literal["more_than_due"]] = Field(
        default_factory=list,
        max_length=5,
        description="Warnings you accept: more_than_due (more than the account's balance); "
        "without it such a payment is a 422 naming the warning.",
    )


class InvoiceOut(ApiModel):
    number: str
    kind: Literal["invoice", "credit_note"]
    order_reference: str
    issue_date: date
    issued_at: datetime
    due_date: date | None
    currency: str
    vat_rate: str = Field(description="Percent: '19'.")
    net: MoneyAmount
    vat: MoneyAmount
    total: MoneyAmount
    credits_number: str | None = Field(description="Credit notes: the invoice they credit.")


class InvoiceLineOut(ApiModel):
    description: str
    period: str
    quantity: int
    amount: MoneyAmount


class InvoiceDetailOut(InvoiceOut):
    prices_include_vat: bool
    paid: MoneyAmount = Field(description="Invoices: paid on the rental account when issued.")
    buyer_name: str
    reason: str
    lines: list[InvoiceLineOut]
    pdf: str = Field(description="The PDF's address (or GET this with Accept: application/pdf).")


class InvoiceQuery(PageQuery):
    date_from: date | None = Field(default=None, alias="from", description="Issued on or after.")
    date_to: date | None = Field(default=None, alias="to", description="Issued on or before.")
    kind: Literal["invoice", "credit_note"] | None = None
    q: str = Field(default="", max_length=100, description="Number, order reference or buyer.")


class InvoicePage(Page):
    data: list[InvoiceOut]
    total: int = Field(description="How many documents the filters find in all.")
