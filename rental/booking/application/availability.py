"""CheckAvailability: a safe read. Also the capacity re-check that CreateReservation runs
inside its lock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from rental.booking.application.dto import Alternatives, AvailabilityResult, SimilarOption
from rental.booking.domain.availability import Availability, assess, earliest_start
from rental.booking.domain.models import PricingBasis
from rental.booking.domain.policy import BookingPolicy
from rental.booking.infrastructure.repositories import ReservationRepository
from rental.catalog import CatalogFacade
from rental.inventory import InventoryFacade
from rental.pricing import PricingFacade
from rental.shared.errors import ConflictError, DomainError, NotFoundError, ValidationError
from rental.shared.time_range import TimeRange, utcnow

MAX_SIMILAR = 4
MAX_TOTAL = Decimal("9999999999.99")  # booking_reservations.total_amount is NUMERIC(12, 2)


@dataclass(frozen=True, slots=True)
class CheckAvailability:
    equipment_type_id: str
    period: TimeRange
    quantity: int
    basis: PricingBasis = PricingBasis.HOURLY
    with_alternatives: bool = True


class AvailabilityService:
    def __init__(
        self,
        reservations: ReservationRepository,
        catalog: CatalogFacade,
        inventory: InventoryFacade,
        pricing: PricingFacade,
        policy: BookingPolicy,
    ) -> None:
        self._reservations = reservations
        self._catalog = catalog
        self._inventory = inventory
        self._pricing = pricing
        self.policy = policy

    # --- validation and pricing -------------------------------------------------------------

    def validate(
        self,
        equipment_type_id: str,
        period: TimeRange,
        basis: PricingBasis,
        quantity: int,
        now: datetime,
    ) -> None:
        self.ensure_type_bookable(equipment_type_id)
        self.policy.check_quantity(quantity)
        card = self._pricing.get_rate_card(equipment_type_id)
        if card is None:
            name = self._catalog.get_equipment_type_details(equipment_type_id).name
            raise ValidationError(f"{name} has no price yet, so it cannot be booked online.")
        self.policy.check_period(period, basis, now, card.minimum_duration)

    def ensure_type_bookable(self, equipment_type_id: str) -> None:
        details = self._catalog.get_equipment_type_details(equipment_type_id)
        if not details.active:
            raise ValidationError(f"{details.name} cannot be booked at the moment.")

    def price(self, equipment_type_id: str, period: TimeRange, quantity: int, customer_id=None):
        # Days are priced as calendar days of the business time zone.
        quote = self._pricing.quote(
            equipment_type_id, period, quantity, customer_id, timezone=self.policy.timezone
        )
        if quote.total.amount > MAX_TOTAL or quote.deposit.amount > MAX_TOTAL:
            # More than a booking can record (and than any shop takes online).
            raise ValidationError(
                "This booking is too large to take online. Please call us.", field="quantity"
            )
        return quote

    def buffer(self, equipment_type_id: str) -> timedelta:
        # The turnaround buffer is the fleet's (Inventory's): cleaning and checks between rentals.
        return self._inventory.get_turnaround(equipment_type_id)

    # --- capacity ---------------------------------------------------------------------------

    def ensure_capacity(
        self,
        equipment_type_id: str,
        period: TimeRange,
        quantity: int,
        now: datetime,
        exclude_id: str | None = None,
        prefix: str = "",
    ) -> Availability:
        """The assessment when `quantity` fits; ConflictError naming what is left when it does
        not (run under the type's lock so the answer stays true until commit)."""
        result = self._assess(equipment_type_id, period, quantity, now, exclude_id)
        if result.is_available:
            return result
        if result.remaining_capacity == 0:
            raise ConflictError(f"{prefix}None are left for that period.")
        raise ConflictError(
            f"{prefix}Only {result.remaining_capacity} left for that period; "
            f"you asked for {quantity}."
        )

    def _assess(
        self,
        equipment_type_id: str,
        period: TimeRange,
        quantity: int,
        now: datetime,
        exclude_id: str | None = None,
    ) -> Availability:
        """Capacity against live use over the period plus the type's turnaround buffer."""
        buffer = self.buffer(equipment_type_id)
        occupied = period.expanded(after=buffer)
        total = self._inventory.get_total_capacity(equipment_type_id, occupied)
        occupancies = self._reservations.occupancies(
            equipment_type_id, occupied, buffer, now, exclude_id=exclude_id
        )
        return assess(occupancies, occupied, quantity, total)

    def check(self, query: CheckAvailability) -> AvailabilityResult:
        now = utcnow()
        self.validate(query.equipment_type_id, query.period, query.basis, query.quantity, now)
        result = self._assess(query.equipment_type_id, query.period, query.quantity, now)
        self.policy.check_quantity(query.quantity, result.total_capacity)
        try:
            quote = self.price(query.equipment_type_id, query.period, query.quantity)
        except DomainError:
            quote = None
        alternatives = None
        if not result.is_available and query.with_alternatives:
            alternatives = self.alternatives(query, result.remaining_capacity, now)
        return AvailabilityResult(
            equipment_type_id=query.equipment_type_id,
            period=query.period,
            quantity=query.quantity,
            basis=query.basis,
            is_available=result.is_available,
            remaining_capacity=result.remaining_capacity,
            total_capacity=result.total_capacity,
            peak_usage=result.peak_usage,
            blocking_interval=result.blocking_interval,
            quote=quote,
            alternatives=alternatives,
            online_limit=self.policy.online_limit(result.total_capacity),
        )

    # --- alternatives -----------------------------------------------------------------------

    def alternatives(self, query: CheckAvailability, remaining: int, now: datetime) -> Alternatives:
        return Alternatives(
            max_quantity=remaining,
            earliest_period=self._earliest(query, now),
            similar=tuple(self.similar(query, now)),
        )

    def _earliest(self, query: CheckAvailability, now: datetime):
        buffer = self.buffer(query.equipment_type_id)
        horizon = self.policy.search_horizon
        # A day of slack: the same booking later may be an hour longer across a clock change.
        window = TimeRange(
            query.period.start,
            query.period.start + horizon + query.period.duration + buffer + timedelta(days=1),
        )
        profile = self._inventory.get_capacity_profile(query.equipment_type_id, window)
        occupancies = self._reservations.occupancies(query.equipment_type_id, window, buffer, now)
        # When an item comes back (from maintenance, from a customer) it may open room.
        maintenance_ends = [w.end for _, w in profile.unavailable]
        return earliest_start(
            occupancies,
            query.period,
            query.quantity,
            buffer,
            profile.capacity_for,
            horizon,
            lambda moment: self.policy.align_up(moment, query.basis),
            extra_candidates=maintenance_ends,
            same_length_from=lambda start: self.policy.same_length_from(query.period, start),
        )

    def similar(self, query: CheckAvailability, now: datetime) -> list[SimilarOption]:
        try:
            details = self._catalog.get_equipment_type_details(query.equipment_type_id)
        except NotFoundError:
            return []
        options: list[SimilarOption] = []
        for other in self._catalog.list_active_types_in_category(details.category_id):
            if other.id == query.equipment_type_id or self._pricing.get_rate_card(other.id) is None:
                continue
            result = self._assess(other.id, query.period, query.quantity, now)
            if result.is_available:
                options.append(
                    SimilarOption(other.id, other.slug, other.name, result.remaining_capacity)
                )
            if len(options) >= MAX_SIMILAR:
                break
        return options
