"""The payment receipt: one e-mail per payment Payments records for an order (its
`PaymentReceived`), keyed on the ledger entry, to the order's customer — the amount, how and
when it was paid, what is still due after it, the order with its manage link, and the
order's invoice as a PDF attachment when it has one (InvoiceFacade.invoice_pdf_for_order).

A payment into the deposit account is receipted too, as "Deposit received" (the customer
handed over money either way). A payment reversed before the worker got to it (a mistake
staff corrected) gets no receipt. Transactional: sent whatever the marketing preferences."""

from __future__ import annotations

import logging

from rental.booking import BookingFacade
from rental.notifications.application.senders import customer_address, mail_customer, may_send
from rental.notifications.domain.consent import TRANSACTIONAL
from rental.notifications.domain.notification import PAYMENT_RECEIPT, Attachment
from rental.notifications.infrastructure.messages import already_sent
from rental.payments import (
    METHOD_LABELS,
    InvoiceFacade,
    LedgerView,
    Method,
    PaymentReceived,
    PaymentsFacade,
)
from rental.shared.errors import NotFoundError
from rental.shared.money import Money

log = logging.getLogger(__name__)


def _method_label(method: str) -> str:
    try:
        return METHOD_LABELS[Method(method)]
    except ValueError:
        return method.replace("_", " ").capitalize()


def _deposit_due(ledger: LedgerView, event: PaymentReceived) -> Money | None:
    """The part of what is still due that is the deposit (held, refunded after the rental):
    without it a receipt for the rental would read "still due €250" beside a total of €85."""
    account = ledger.accounts.get("deposit")
    if account is None or account.balance.amount <= 0 or event.balance.amount <= 0:
        return None
    return min(account.balance, event.balance, key=lambda m: m.amount)


def send_payment_receipt(event: PaymentReceived) -> None:
    key = f"{PAYMENT_RECEIPT}:{event.entry_id}"
    if already_sent(key) or not may_send(event.customer_id, TRANSACTIONAL):
        return
    ledger = PaymentsFacade().get_ledger(event.order_id)
    entry = next((e for e in ledger.entries if e.id == event.entry_id), None) if ledger else None
    if entry is None or entry.reversed_by:
        return  # reversed (or gone) before the worker got to it: nothing to confirm
    if customer_address(event.customer_id) is None:
        return  # anonymised, or no e-mail address: no mail, no error (and no PDF rendered)
    try:
        order = BookingFacade().get_order(event.order_id)
    except NotFoundError:
        log.warning("payment receipt %s: order %s not found", event.entry_id, event.order_id)
        return
    deposit = event.account == "deposit"
    pdf = InvoiceFacade().invoice_pdf_for_order(order.id)
    what = "Deposit received" if deposit else "Payment received"
    mail_customer(
        key,
        PAYMENT_RECEIPT,
        order,
        f"{what}: {event.amount.format()} for booking {order.reference}",
        {
            "what": what,
            "deposit": deposit,
            "amount": event.amount,
            "method": _method_label(event.method),
            "payment_reference": event.reference,
            "paid_at": entry.at,
            "still_due": event.balance if event.balance.amount > 0 else None,
            "deposit_due": _deposit_due(ledger, event),
            "invoice_name": pdf[0] if pdf else "",
        },
        attachments=(Attachment(pdf[0], pdf[1], "application/pdf"),) if pdf else (),
    )
