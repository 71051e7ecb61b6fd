"""Cancellation fees on the ledger: the fee charge a cancelled booking's event adds (once), and
the preview of what the order's balance becomes when it is cancelled (the customer's cancel
page, the staff cancel form). The fee itself comes from domain/cancellation.py."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from rental.contracts.booking import ReservationCancelled
from rental.payments.domain.cancellation import REFUND_DAYS, CancellationQuote
from rental.payments.domain.ledger import Account, Category, Entry, Ledger
from rental.shared.money import Money

BOOKING = "booking"  # the actor of entries recorded from Booking's events


def cancellation_fee_charge(
    ledger: Ledger, event: ReservationCancelled, fee: Money, entry_id: str, at: datetime
) -> Entry:
    """The fee as a charge on the rental account. It carries the cancelled line and the
    event's sequence, so a redelivered event finds it there and adds nothing, and a late
    confirmation of the line (handled after its cancellation) charges no rental on top."""
    reference = event.order_reference or event.reference
    return ledger.add_charge(
        entry_id=entry_id,
        amount=fee.amount,
        account=Account.RENTAL,
        category=Category.CANCELLATION_FEE,
        reason=f"Cancellation fee {reference}",
        actor=BOOKING,
        at=at,
        line_id=event.reservation_id,
        line_sequence=event.sequence,
    )


@dataclass(frozen=True, slots=True)
class CancellationPreview:
    """What the pages show before a cancellation is confirmed."""

    quote: CancellationQuote | None  # None: nothing was charged (a hold, a request)
    paid: Money  # paid on the order (both accounts), net of refunds
    balance_after: Money  # the order's balance once cancelled: negative = the shop owes it

    refund_days: int = REFUND_DAYS  # what the customer is told: refunded within N days

    @property
    def fee(self) -> Money:
        return self.quote.fee if self.quote is not None else Money.zero(self.paid.currency)

    @property
    def refund_due(self) -> Money:
        """What the shop will owe the customer (zero when they still owe something)."""
        amount = -self.balance_after.amount if self.balance_after.amount < 0 else 0
        return Money(amount, self.balance_after.currency)

    @property
    def still_owed(self) -> Money:
        amount = self.balance_after.amount if self.balance_after.amount > 0 else 0
        return Money(amount, self.balance_after.currency)


def preview(
    ledger: Ledger | None, line_ids: Iterable[str], quote: CancellationQuote | None
) -> CancellationPreview:
    """The order's balance once the lines' charges are reversed and the fee is charged."""
    fee = quote.fee if quote is not None else None
    if ledger is None:
        currency = fee.currency if fee is not None else "EUR"
        zero = Money.zero(currency)
        return CancellationPreview(quote, zero, fee or zero)
    balance = ledger.balance()
    for line in line_ids:
        for charge in ledger.live_line_charges(line):
            balance = balance - charge.amount
    if fee is not None and fee.currency == ledger.currency:
        balance = balance + fee
    paid = Money.zero(ledger.currency)
    for account in Account:
        paid = paid + ledger.totals(account).refundable
    return CancellationPreview(quote, paid, balance)
