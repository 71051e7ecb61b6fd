"""A kit at its own rates, booked as its components: the kit's price split over the components'
quotes in proportion to what each would cost alone. Pure Python."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from rental.booking.domain.models import FrozenQuote, PriceLine
from rental.shared.money import Money


def share_kit_price(
    quotes: Sequence[FrozenQuote], kit_total: Money, label: str
) -> list[FrozenQuote]:
    """The components' quotes (each as its type would cost) made to add up to `kit_total`
    exactly: each gets a share of the kit's price in proportion to its own total, rounded to
    the currency's minor unit, the rounding remainder going to the last. The difference is one
    more discount line per component, `label` (negative: less than alone; positive: a
    surcharge); a component whose share is its own total gets none. Deposits stay as quoted."""
    if not quotes:
        return []
    kit_total = kit_total.rounded()
    whole = sum((q.total for q in quotes), Money.zero(kit_total.currency))
    shares: list[Money] = []
    for q in quotes[:-1]:
        part = q.total.amount / whole.amount if whole.amount else Decimal(0)
        shares.append((kit_total * part).rounded())
    shares.append(kit_total - sum(shares, Money.zero(kit_total.currency)))
    priced = []
    for q, share in zip(quotes, shares, strict=True):
        difference = share - q.total
        if difference.is_zero:
            priced.append(q)
            continue
        line = PriceLine(label, difference)
        priced.append(replace(q, discounts=(*q.discounts, line), total=share))
    return priced
