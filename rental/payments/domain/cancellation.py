"""The cancellation fee: what cancelling a confirmed booking costs under the shop's payment
policy. Computed once, at the moment of cancelling, by `cancellation_fee`; the customer's
cancel page and the staff cancel form show the same function's answer beforehand
(`cancellation_quote`, which also says why).

The rule (PaymentPolicy.cancellation_free_hours, cancellation_fee, cancellation_fee_value):
- free until `cancellation_free_hours` before the start: a cancellation before that moment
  costs nothing; from that moment on (exactly N hours before included) the fee applies;
- the fee is a percentage of the rental total, or a fixed amount — never more than the total;
- none from the start on: the customer can no longer cancel then (Booking refuses it), and a
  cancellation by staff after the start is not a cancellation the policy prices;
- rounded half-up to the currency's decimals.
Pure: no Flask, no database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from rental.payments.domain.policy import FeeKind, PaymentPolicy
from rental.shared.money import Money

# What the customer is told about a refund: the shop refunds at the counter, or by transfer.
REFUND_DAYS = 14


@dataclass(frozen=True, slots=True)
class CancellationQuote:
    """The fee of cancelling at `now`, and what the pages say about it."""

    fee: Money
    total: Money  # the rental total the fee is taken from
    free_until: datetime | None  # when cancelling stops being free (None: it never costs)
    percent: Decimal | None = None  # PERCENT: the rate applied
    capped: bool = False  # FIXED: the amount was more than the total
    free_hours: int = 0  # the policy's "free until N hours before the start"
    # Part of an order taken out (domain/part_cancellation.py): the order's confirmed total
    # the part is a share of (None: the quote is for all that is left of the order) …
    order_total: Money | None = None
    # … and FIXED: what is left of the fixed fee to share (set for a part, or after earlier
    # removals were charged `charged` of it; `charged` is zero when none were).
    fee_left: Money | None = None
    charged: Money | None = None

    @property
    def is_free(self) -> bool:
        return self.fee.amount <= 0


def has_fee(policy: PaymentPolicy) -> bool:
    return policy.cancellation_fee is not FeeKind.NONE and policy.cancellation_fee_value > 0


def free_until(policy: PaymentPolicy, start: datetime) -> datetime | None:
    """The moment a cancellation starts to cost (None when the policy has no fee)."""
    if not has_fee(policy):
        return None
    return start - timedelta(hours=policy.cancellation_free_hours)


def describe_fee(policy: PaymentPolicy, currency: str) -> str:
    """The policy's fee in words ("25 % of the rental total"); "" when cancelling is free."""
    if not has_fee(policy):
        return ""
    value = policy.cancellation_fee_value
    if policy.cancellation_fee is FeeKind.PERCENT:
        return f"{value.normalize():f} % of the rental total"
    return f"{Money(value, currency).format()} (never more than the rental total)"


def cancellation_quote(
    policy: PaymentPolicy, total: Money, start: datetime, now: datetime
) -> CancellationQuote:
    zero = Money.zero(total.currency)
    until = free_until(policy, start)
    hours = policy.cancellation_free_hours
    if until is None or total.amount <= 0 or now >= start or now < until:
        return CancellationQuote(fee=zero, total=total, free_until=until, free_hours=hours)
    value = policy.cancellation_fee_value
    if policy.cancellation_fee is FeeKind.PERCENT:
        percent = min(value, Decimal(100))
        fee = (total * percent * Decimal("0.01")).rounded()
        return CancellationQuote(
            fee=min(fee, total.rounded()),
            total=total,
            free_until=until,
            percent=percent,
            free_hours=hours,
        )
    fixed = Money(value, total.currency).rounded()
    return CancellationQuote(
        fee=min(fixed, total.rounded()),
        total=total,
        free_until=until,
        capped=fixed > total,
        free_hours=hours,
    )


def cancellation_fee(policy: PaymentPolicy, total: Money, start: datetime, now: datetime) -> Money:
    """What cancelling at `now` a confirmed rental of `total` starting at `start` costs."""
    return cancellation_quote(policy, total, start, now).fee
