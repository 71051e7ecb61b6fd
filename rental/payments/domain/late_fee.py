"""Late fees (pure): what a line's late return costs, from the rate card.

The rule: a unit back within the shop's grace period after the booking's end costs nothing.
A unit back later is charged for the whole stretch from the planned end to the moment it came
back — the grace is a tolerance, not free time — priced like a booking of that stretch (started
hours, calendar days, weeks: the cheapest cover, `price`, which is Pricing's quote of the type's
rates). Units that came back at the same moment are priced together (quantity × the stretch);
a unit back within the grace adds nothing.

One fee per line, decided at its final check-in (when everything of the line is back), so the
items returned earlier count with the moment each came back and nothing is charged twice."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from rental.payments.domain.policy import PaymentPolicy
from rental.shared.money import Money
from rental.shared.time_range import TimeRange

# Pricing's quote of a stretch for a number of units: the total and how it was made up
# ("2 hours × €10.00").
PriceStretch = Callable[[TimeRange, int], tuple[Money, Sequence[str]]]


def overdue_stretch(due_at: datetime, returned_at: datetime, grace: timedelta) -> TimeRange | None:
    """The time charged for a unit back at `returned_at`: None within the grace (at
    `due_at + grace` exactly it is still on time), else from `due_at` to its return."""
    if returned_at <= due_at + max(grace, timedelta(0)):
        return None
    return TimeRange(due_at, returned_at)


def describe_lateness(late_by: timedelta) -> str:
    """'45 min', '1 h 5 min', '2 days 3 h' (what staff and the charge's reason read)."""
    minutes = max(int(late_by.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {mins} min" if mins else "")
    return f"{mins} min"


@dataclass(frozen=True, slots=True)
class LateFee:
    amount: Money
    late_by: timedelta  # the latest unit's lateness past the planned end
    units: int  # units charged (those back after the grace)
    lines: tuple[str, ...]  # how the rate card priced it: "2 hours × €10.00"
    vat: str = ""  # net rate cards: the VAT added to the amount ("19 %"; `including_vat`)

    @property
    def description(self) -> str:
        """'1 h 5 min late (2 units): 2 hours × €10.00 × 2 units, from the rate card'
        (net rate cards: '…, from the rate card, plus 19 % VAT')."""
        units = f" ({self.units} units)" if self.units > 1 else ""
        priced = "; ".join(self.lines)
        vat = f", plus {self.vat} VAT" if self.vat else ""
        return f"{describe_lateness(self.late_by)} late{units}: {priced}, from the rate card{vat}"


def including_vat(fee: LateFee | None, policy: PaymentPolicy) -> LateFee | None:
    """The fee as the customer pays it: priced from a net rate card, the policy's VAT is
    added (PaymentPolicy.gross); unchanged under a gross policy or without VAT."""
    if fee is None or not policy.adds_vat:
        return fee
    return replace(fee, amount=policy.gross(fee.amount), vat=policy.vat_percent)


def late_fee(
    due_at: datetime,
    returned: Sequence[datetime],
    grace: timedelta,
    price: PriceStretch,
) -> LateFee | None:
    """The fee for a line whose units came back at the moments `returned` (one per unit);
    None when none was back later than the grace allows (or the rate card makes it free)."""
    late = Counter(moment for moment in returned if overdue_stretch(due_at, moment, grace))
    if not late:
        return None
    total: Money | None = None
    lines: list[str] = []
    for moment in sorted(late):
        stretch = overdue_stretch(due_at, moment, grace)
        assert stretch is not None
        amount, how = price(stretch, late[moment])
        total = amount if total is None else total + amount
        lines.extend(how)
    assert total is not None
    if total.amount <= 0:
        return None
    return LateFee(
        amount=total.rounded(),
        late_by=max(late) - due_at,
        units=sum(late.values()),
        lines=tuple(lines),
    )


@dataclass(frozen=True, slots=True)
class LateFeeDecision:
    """What staff decided about a line's late fee at its final check-in: charged (`entry_id`:
    the ledger's LATE_FEE charge) or waived (`reason` says why). One per line."""

    line_id: str
    order_id: str
    line_reference: str
    amount: Money  # the fee proposed (charged, or waived)
    late_minutes: int
    description: str
    waived: bool
    reason: str
    entry_id: str | None
    actor: str
    decided_at: datetime
