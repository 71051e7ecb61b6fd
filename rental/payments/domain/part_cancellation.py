"""The cancellation fee of taking PART of a confirmed order out (the customer's "remove this
item", staff cancelling one line of several with the fee ticked), so that cancelling an order
piece by piece never costs less — nor more — than cancelling it at once.

`part_quote(policy, part, order, start, now, charged)`: `part` is the rental total of the
lines taken out (a kit: all its component lines), `order` the rental total of the order's
confirmed lines still booked, the part included (part == order: the rest of the order is
cancelled), `charged` the cancellation fees the order was charged already (earlier removals).
The window is the same as for a whole cancellation (domain/cancellation.py): outside it —
before `cancellation_free_hours` before the start — taking something out is free.

- PERCENT: the policy's percentage of the part's total, rounded DOWN to the cent; cancelling
  the rest is the percentage of what is left, rounded half-up as always. Rounding the pieces
  down is what keeps them from adding up to more than the whole: ⌊p·a⌋ + ⌊p·b⌋ + round(p·c)
  ≤ round(p·(a+b+c)).
- FIXED: the fixed fee is per order, not per step. What cancelling the order would cost now —
  W = min(the fixed fee − what earlier removals were charged, the order's total) — is shared
  by its items in proportion to their price: taking out a part costs W × part / order
  (rounded down); cancelling the rest costs W (what is left of the fixed fee, never more than
  the rest's total). So the removals and the final cancellation together never cost more than
  the fixed fee, nor more than cancelling everything at once would have; and a cheap item
  kept to the end does not make the expensive ones free to drop (they pay their share
  first), nor does an expensive item added and dropped dilute the fee (its share is paid).
  Chosen over "partial removals are free, the last part pays the fixed fee": with that rule a
  customer drops the expensive items free and keeps (or cancels for a capped fee) one cheap
  item.
Pure: no Flask, no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal

from rental.payments.domain.cancellation import CancellationQuote, cancellation_quote
from rental.payments.domain.ledger import Category, EntryKind, Ledger
from rental.payments.domain.policy import FeeKind, PaymentPolicy
from rental.shared.money import Money, minor_units


def fees_charged(ledger: Ledger | None, currency: str) -> Money:
    """The cancellation fees the order's ledger holds (a fee staff reversed is not counted)."""
    total = Money.zero(ledger.currency if ledger is not None else currency)
    if ledger is None:
        return total
    for e in ledger.entries:
        if (
            e.kind == EntryKind.CHARGE
            and e.category == Category.CANCELLATION_FEE
            and not e.reverses
            and ledger.reversal_of(e.id) is None
        ):
            total = total + e.amount
    return total


def fee_to_charge(ledger: Ledger, fee: Money, fees_before: Money | None) -> Money | None:
    """A FIXED fee worked out when the order had been charged `fees_before`, charged now:
    less what the ledger holds on top of that (an earlier removal's event handled only after
    this fee was worked out), so all of them together stay within the fixed fee; None when
    nothing is left. A percentage fee (`fees_before` None) as it is."""
    if fees_before is None:
        return fee
    since = fees_charged(ledger, fee.currency) - fees_before
    if since.amount <= 0:
        return fee
    left = fee - since
    return left if left.amount > 0 else None


def _down(money: Money) -> Money:
    exponent = Decimal(1).scaleb(-minor_units(money.currency))
    return Money(money.amount.quantize(exponent, rounding=ROUND_FLOOR), money.currency)


def part_quote(
    policy: PaymentPolicy,
    part: Money,
    order: Money,
    start: datetime,
    now: datetime,
    charged: Money | None = None,
) -> CancellationQuote:
    """What taking `part` out of an order whose confirmed lines total `order` costs at `now`
    (see the module's docstring). The quote's `total` is the part's; `order_total` is set
    when the part is less than the order; FIXED: `fee_left` (what is left of the fixed fee)
    for a part or after earlier fees, `charged` those fees (zero: none; it rides on the
    event as `fees_before`), `capped` when the order's total was less than what is left."""
    whole = cancellation_quote(policy, order, start, now)
    if whole.is_free:
        return replace(whole, total=part)
    charged = charged if charged is not None and charged.amount > 0 else None
    is_whole = part >= order
    if policy.cancellation_fee is FeeKind.PERCENT:
        if is_whole:
            return whole
        assert whole.percent is not None
        fee = _down(part * whole.percent * Decimal("0.01"))
        return replace(whole, fee=fee, total=part, order_total=order)
    # FIXED: what is left of the order's fixed fee, shared in proportion to the price.
    fixed = Money(policy.cancellation_fee_value, order.currency).rounded()
    before = charged if charged is not None else Money.zero(order.currency)
    left = fixed - before
    if left.amount <= 0:
        left = Money.zero(order.currency)
    now_costs = min(left, order.rounded())
    fee = now_costs if is_whole else _down(now_costs * (part.amount / order.amount))
    return replace(
        whole,
        fee=fee,
        total=part,
        order_total=None if is_whole else order,
        capped=left > order,
        fee_left=left if charged is not None or not is_whole else None,
        charged=before,
    )
