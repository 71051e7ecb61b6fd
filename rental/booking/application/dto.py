"""What the Booking facade returns: frozen dataclasses, never entities."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rental.booking.domain.models import (
    BookingChannel,
    FrozenQuote,
    PricingBasis,
    ReservationStatus,
)
from rental.pricing import Quote
from rental.shared.money import Money
from rental.shared.time_range import TimeRange


@dataclass(frozen=True, slots=True)
class SimilarOption:
    equipment_type_id: str
    slug: str
    name: str
    remaining_capacity: int


@dataclass(frozen=True, slots=True)
class Alternatives:
    max_quantity: int  # the most that can be had for the requested period
    earliest_period: TimeRange | None  # same duration, full quantity, within the horizon
    similar: tuple[SimilarOption, ...]

    @property
    def any(self) -> bool:
        return bool(self.max_quantity or self.earliest_period or self.similar)


@dataclass(frozen=True, slots=True)
class AvailabilityResult:
    equipment_type_id: str
    period: TimeRange
    quantity: int
    basis: PricingBasis
    is_available: bool
    remaining_capacity: int
    total_capacity: int
    peak_usage: int
    blocking_interval: TimeRange | None
    quote: Quote | None  # the price of the request (None when it cannot be priced)
    alternatives: Alternatives | None
    # Online, at most `online_limit` units are booked at once; more is a request for staff.
    online_limit: int = 0

    @property
    def needs_approval(self) -> bool:
        return self.is_available and self.quantity > self.online_limit


@dataclass(frozen=True, slots=True)
class ReservationDetails:
    id: str
    reference: str
    customer_id: str
    equipment_type_id: str
    period: TimeRange
    quantity: int
    basis: PricingBasis
    quote: FrozenQuote
    status: ReservationStatus
    created_at: datetime
    updated_at: datetime
    hold_expires_at: datetime | None
    cancellation_reason: str | None
    needs_attention: bool
    attention_reason: str | None
    attention_code: str | None
    channel: BookingChannel
    origin_key: str | None

    @property
    def total(self) -> Money:
        return self.quote.total

    @property
    def can_cancel(self) -> bool:
        return self.status in (
            ReservationStatus.PENDING,
            ReservationStatus.REQUESTED,
            ReservationStatus.CONFIRMED,
        )


@dataclass(frozen=True, slots=True)
class ReservationPage:
    items: tuple[ReservationDetails, ...]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass(frozen=True, slots=True)
class UsagePoint:
    at: datetime
    usage: int
    capacity: int


@dataclass(frozen=True, slots=True)
class SwapOption:
    """Another equipment type a confirmed booking could be moved to, free for its period."""

    equipment_type_id: str
    name: str
    remaining_capacity: int
    total: Money  # what the booking would cost on that type
    difference: Money  # against what it costs now (negative: cheaper)


@dataclass(frozen=True, slots=True)
class StaffActions:
    """What staff may do with a reservation now, decided here once so that templates only
    show it (the domain and the facades refuse the rest anyway)."""

    confirm: bool = False
    approve: bool = False
    hand_over: bool = False
    take_back: bool = False
    no_show: bool = False
    swap_type: bool = False
    reallocate: bool = False
    retry_allocation: bool = False
    cancel: bool = False

    @classmethod
    def of(cls, r: ReservationDetails, allocation_states: list[str], now: datetime) -> StaffActions:
        confirmed = r.status is ReservationStatus.CONFIRMED
        waiting = "ALLOCATED" in allocation_states
        out = "PICKED_UP" in allocation_states
        handed = out or "RETURNED" in allocation_states
        return cls(
            confirm=r.status is ReservationStatus.PENDING,
            approve=r.status is ReservationStatus.REQUESTED,
            hand_over=confirmed and waiting,
            take_back=confirmed and out,
            no_show=confirmed and not handed and now >= r.period.start,
            swap_type=confirmed and not handed,
            reallocate=confirmed and waiting,
            retry_allocation=confirmed
            and (r.attention_code == "allocation" or not allocation_states),
            cancel=r.can_cancel,
        )
