"""Booking's queries: availability (a safe read, also the capacity re-check that commands run
inside their lock), reservations for staff and customers, and every DTO the module returns.
Nothing here writes."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from rental.booking.domain.availability import (
    Availability,
    assess,
    earliest_start,
    sweep_peak,
    usage_steps,
)
from rental.booking.domain.kit_pricing import share_kit_price
from rental.booking.domain.models import (
    HOLDING,
    ON_HIRE_NOT_CANCELLED,
    FrozenQuote,
    Order,
    PricingBasis,
    Reservation,
    ReservationStatus,
    hash_token,
)
from rental.booking.domain.policy import BookingPolicy
from rental.booking.infrastructure.repositories import ListReservations, ReservationRepository
from rental.catalog import CatalogFacade, KitDetails
from rental.customers import CustomerFacade
from rental.inventory import BookedDemand, InventoryFacade
from rental.pricing import PricingFacade, Quote, RateCard
from rental.shared import local_time
from rental.shared.errors import (
    ConflictError,
    DomainError,
    InputWarning,
    NotFoundError,
    ValidationError,
)
from rental.shared.money import Money
from rental.shared.time_range import TimeRange, utcnow
from rental.shop import OpeningHours, ShopFacade

MAX_SIMILAR = 4
MATCHED_CUSTOMERS_MAX = 500  # a staff search by text looks at the bookings of this many
SEARCH_MAX = 100  # characters of a staff search that are used
DAY = timedelta(days=1)
# An order the customer still has something to do with ("find my booking"): a hold (while it
# runs), a request waiting for staff, a confirmed booking, equipment out with them.
OPEN_FOR_CUSTOMER = (
    ReservationStatus.PENDING,
    ReservationStatus.REQUESTED,
    ReservationStatus.CONFIRMED,
    ReservationStatus.ON_HIRE,
)
MAX_TOTAL = Decimal("9999999999.99")  # booking_reservations.total_amount is NUMERIC(12, 2)

# The read model of a reservation is the (immutable) domain model itself.
ReservationDetails = Reservation


# --- DTOs ----------------------------------------------------------------------------------------


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

    @property
    def more_than_exist(self) -> bool:
        """Asked for more units than the whole fleet has for the period (999 of 4): a shortage
        like any other, answered with what is free."""
        return self.quantity > self.total_capacity


@dataclass(frozen=True, slots=True)
class ExportedOrder:
    """An order as the CSV export shows it: with those of its lines the list's filters
    found."""

    id: str
    reference: str
    customer_id: str
    channel: str
    created_at: datetime
    lines: tuple[Reservation, ...]

    @property
    def status(self) -> str:
        """The lines' status in words: one, or each of them ("Confirmed / Cancelled")."""
        labels = dict.fromkeys(line.status.label.capitalize() for line in self.lines)
        return " / ".join(labels)

    @property
    def total(self) -> Decimal:
        return sum((line.quote.total.amount for line in self.lines), Decimal(0))

    @property
    def currency(self) -> str:
        return self.lines[0].quote.total.currency if self.lines else ""


@dataclass(frozen=True, slots=True)
class ReservationPage:
    items: tuple[ReservationDetails, ...]
    total: int
    page: int
    page_size: int
    # A search by text matched more customers than one query looks at (MATCHED_CUSTOMERS_MAX):
    # the bookings of the first of them are listed, and the page says so.
    customers_capped: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass(frozen=True, slots=True)
class DailyUtilisation:
    capacity: int  # the type's fleet: items that can be rented at all
    booked: tuple[int, ...]  # per day, the most units booked at once


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
    # Change the period or the quantity (on hire: only the end; see Reservation.change).
    change: bool = False
    change_end_only: bool = False
    # Per item: which allocation may be moved to another item (not handed over yet), and
    # which items can be taken back (out with the customer).
    movable: frozenset[str] = frozenset()
    returnable: frozenset[str] = frozenset()
    # A confirmed booking whose items wait: from when they may be handed over (the page says
    # so while the button is not offered yet).
    pickup_opens_at: datetime | None = None
    # Why cancelling is not offered though the status would allow it (equipment is out).
    cancel_refused: str | None = None
    # A staff quote (holds nothing): turn it into a confirmed booking (checked again then),
    # or discard it (every line cancelled).
    convert_quote: bool = False
    discard_quote: bool = False

    @classmethod
    def of(
        cls,
        r: ReservationDetails,
        allocations: list[tuple[str, str]],
        now: datetime,
        pickup_opens: datetime | None = None,
    ) -> StaffActions:
        """`allocations`: (allocation id, status) of the items held for the reservation;
        `pickup_opens`: the policy's early pick-up rule for its start (default: the start)."""
        live = r.status in HOLDING  # confirmed, or on hire
        confirmed = r.status is ReservationStatus.CONFIRMED
        states = {status for _, status in allocations}
        waiting = "ALLOCATED" in states
        out = "PICKED_UP" in states
        handed = out or "RETURNED" in states
        window = r.pickup_window(pickup_opens or r.period.start)
        pickable = window is not None and window.contains(now)
        # On hire — or equipment out whatever the status says: never cancelled.
        refused = (
            ON_HIRE_NOT_CANCELLED.format(reference=r.reference)
            if r.on_hire or (r.can_cancel and out)
            else None
        )
        return cls(
            confirm=r.status is ReservationStatus.PENDING,
            approve=r.status is ReservationStatus.REQUESTED,
            hand_over=live and waiting and pickable,
            take_back=r.on_hire and out,
            no_show=confirmed and not handed and now >= r.period.start,
            swap_type=confirmed and not handed,
            reallocate=live and waiting,
            retry_allocation=live and (r.attention_code == "allocation" or not states),
            cancel=r.can_cancel and not out,
            change=r.may_change(now),
            change_end_only=r.on_hire,
            movable=frozenset(i for i, s in allocations if live and s == "ALLOCATED"),
            returnable=frozenset(i for i, s in allocations if r.on_hire and s == "PICKED_UP"),
            pickup_opens_at=window.start
            if window is not None and waiting and now < window.start
            else None,
            cancel_refused=refused,
            convert_quote=r.status is ReservationStatus.QUOTED,
            discard_quote=r.status is ReservationStatus.QUOTED,
        )

    @staticmethod
    def question(action: str, r: ReservationDetails) -> InputWarning:
        """What a destructive action asks before it runs (a confirm page that works without
        JavaScript; with it, the same words in a dialog)."""
        questions = {
            "cancel": f"Cancel {r.reference}? Its equipment is released for others and the "
            "customer's booking ends. This cannot be undone.",
            "discard_quote": f"Discard the quote {r.reference} belongs to? Every line of it is "
            "cancelled; it held nothing, so no equipment is released. This cannot be undone.",
            "no_show": f"Mark {r.reference} as a no-show? The booking closes and its equipment "
            "becomes free for others. This cannot be undone.",
        }
        return InputWarning(action, questions[action])


@dataclass(frozen=True, slots=True)
class CustomerActions:
    """What the customer may do through the manage link, and the cancellation rule in the
    words the review and manage pages show (decided here, rendered there)."""

    confirm: bool = False
    cancel: bool = False
    # Change the dates or the number of units: before the start, as long as it may be
    # cancelled (the same window as the cancellation rule).
    change: bool = False
    cancellation_rule: str = ""

    @classmethod
    def of(cls, r: ReservationDetails, now: datetime, policy: BookingPolicy) -> CustomerActions:
        rule = ""
        if r.status.is_open or r.status is ReservationStatus.CONFIRMED:
            rule = policy.cancellation_rule(
                r.period, now, confirmed=r.status is ReservationStatus.CONFIRMED
            )
        elif r.on_hire:
            rule = (
                "The equipment is out with you, so the booking can no longer be cancelled; it "
                "is complete when everything is back at the shop."
            )
        return cls(
            # A hold, live or run out (confirming then checks the equipment is still free).
            confirm=r.customer_may_confirm,
            cancel=r.can_cancel and r.customer_may_cancel(now),
            change=r.may_change(now, by_customer=True) and r.customer_may_cancel(now),
            cancellation_rule=rule,
        )


@dataclass(frozen=True, slots=True)
class ChangePreview:
    """A change of period or quantity as it would be: the booking before and after, the new
    price and the difference, and whether it fits (`problem`: why not, nothing changes). The
    staff and manage pages show it before the change is confirmed."""

    reservation_id: str
    reference: str
    basis: PricingBasis
    old_period: TimeRange
    new_period: TimeRange
    old_quantity: int
    new_quantity: int
    old_total: Money
    new_total: Money | None  # None when it could not be priced
    free: int  # units free for the new period, the booking's own use not counted
    # Other lines of the order the new period moves too (an order has one period).
    other_lines: int = 0
    problem: str | None = None
    field: str | None = None  # the form field the problem is about

    @property
    def fits(self) -> bool:
        return self.problem is None

    @property
    def difference(self) -> Money | None:
        return None if self.new_total is None else self.new_total - self.old_total


@dataclass(frozen=True, slots=True)
class FreeUnits:
    """What a catalog card says about a type for a period: the units free for the whole of it
    (what `check` calls `remaining_capacity`), and why the type cannot be booked online for
    that period whatever the quantity (no price yet, shorter than its minimum rental), or None
    when it can."""

    equipment_type_id: str
    free: int
    total: int
    problem: str | None = None

    def fits(self, quantity: int) -> bool:
        """What `check(...).is_available` answers for this quantity."""
        return self.problem is None and quantity <= self.free


# --- availability ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckAvailability:
    equipment_type_id: str
    period: TimeRange
    quantity: int
    basis: PricingBasis = PricingBasis.HOURLY
    with_alternatives: bool = True


class AvailabilityQueries:
    def __init__(
        self,
        reservations: ReservationRepository,
        catalog: CatalogFacade,
        inventory: InventoryFacade,
        pricing: PricingFacade,
        policy: BookingPolicy,
        clock: Callable[[], datetime] = utcnow,
        shop: ShopFacade | None = None,
    ) -> None:
        self._reservations = reservations
        self._catalog = catalog
        self._inventory = inventory
        self._pricing = pricing
        self.policy = policy
        self._clock = clock
        self._shop = shop or ShopFacade()

    def refusal(self) -> str:
        """The neutral refusal with the shop's phone: the one in the shop settings, else the
        SHOP_PHONE setting (BookingPolicy.shop_phone)."""
        phone = self._shop.phone() or self.policy.shop_phone
        return replace(self.policy, shop_phone=phone).refusal()

    def opening_hours(self) -> OpeningHours:
        return self._shop.opening_hours()

    # --- validation and pricing -------------------------------------------------------------

    def validate(
        self,
        equipment_type_id: str,
        period: TimeRange,
        basis: PricingBasis,
        quantity: int,
        now: datetime,
        *,
        kept_start: bool = False,
    ) -> None:
        """The rules of a booking (`kept_start`: a change keeping the start, which is not
        judged again — see BookingPolicy.check_period)."""
        self.ensure_type_bookable(equipment_type_id)
        self.policy.check_quantity(quantity)
        card = self._pricing.get_rate_card(equipment_type_id)
        if card is None:
            name = self._catalog.get_equipment_type_details(equipment_type_id).name
            raise ValidationError(f"{name} has no price yet, so it cannot be booked online.")
        self.policy.check_period(period, basis, now, card.minimum_duration, kept_start=kept_start)
        if basis is PricingBasis.HOURLY:
            # Hourly bookings are picked up and brought back while the shop is open.
            problem = self.opening_hours().problem(period, self.policy.timezone)
            if problem:
                raise ValidationError(problem[1], field=problem[0])

    def kit_quotes(
        self,
        kit: KitDetails,
        kits: int,
        period: TimeRange,
        price: Callable[[str, int], FrozenQuote],
        customer_id: str | None = None,
    ) -> list[FrozenQuote]:
        """The one rule for what `kits` kits cost for `period`, as their components' quotes
        (in the kit's order; booking, changing and the cart all use it). Each component is
        priced as its type for kits × units per kit (`price(type_id, quantity)`, the caller's
        quote), then: less the kit's discount, or — at the kit's own rates — the kit's price,
        billed as a rate card is (PricingFacade.quote_rates), split over the components in
        proportion to their own totals so that they add up to it exactly. Deposits stay the
        components'. Last, a known customer's loyalty discount (`customer_id`) on what is
        left after the kit's price: `price` must therefore quote without the customer."""
        loyalty = self._pricing.loyalty_discount(customer_id)

        def loyal(quotes: list[FrozenQuote]) -> list[FrozenQuote]:
            if loyalty is None:
                return quotes
            return [quote.less(loyalty.label, loyalty.percent) for quote in quotes]

        quotes = [price(c.equipment_type_id, c.quantity * kits) for c in kit.components]
        if kit.rates is None:
            label = f"{kit.name}: {kit.discount_text} % kit discount"
            return loyal([quote.less(label, kit.discount_percent) for quote in quotes])
        rates = kit.rates
        if any(quote.total.currency != rates.currency for quote in quotes):
            # Set in another currency than its components' prices: not to be mixed.
            raise ValidationError(f"{kit.name} has no price online yet — please ask us.")
        own = self._pricing.quote_rates(
            rates.hourly, rates.daily, rates.weekly, period, kits, timezone=self.policy.timezone
        )
        if own.total.amount > MAX_TOTAL:
            raise ValidationError(
                "This booking is too large to take online. Please call us.", field="quantity"
            )
        billed = "; ".join(line.label for line in own.lines)
        label = f"{kit.name} at its own rates ({billed} = {own.total.format()}): this part's share"
        return loyal(share_kit_price(quotes, own.total, label))

    def kit_component_quote(
        self,
        kit_id: str,
        equipment_type_id: str,
        quantity: int,
        period: TimeRange,
        price: Callable[[str, int], FrozenQuote],
        customer_id: str | None = None,
    ) -> FrozenQuote:
        """One component of a booked kit priced anew (a change of period or quantity): its
        part of kit_quotes for as many kits as `quantity` makes of it. A kit no longer in the
        catalog, or no longer holding this type: the type's own price. `price` quotes without
        the customer; `customer_id`'s loyalty discount comes last (kit_quotes)."""
        loyalty = self._pricing.loyalty_discount(customer_id)

        def loyal(quote: FrozenQuote) -> FrozenQuote:
            return quote.less(loyalty.label, loyalty.percent) if loyalty else quote

        try:
            kit = self._catalog.get_kit(kit_id)
        except NotFoundError:
            return loyal(price(equipment_type_id, quantity))
        index = next(
            (i for i, c in enumerate(kit.components) if c.equipment_type_id == equipment_type_id),
            None,
        )
        if index is None:
            return loyal(price(equipment_type_id, quantity))
        per_kit = kit.components[index].quantity
        kits = max(1, quantity // per_kit)
        if kit.rates is None or kits * per_kit != quantity:
            # Not a whole number of kits (the kit changed since): its discount, on this part.
            label = f"{kit.name}: {kit.discount_text} % kit discount"
            return loyal(price(equipment_type_id, quantity).less(label, kit.discount_percent))
        return self.kit_quotes(kit, kits, period, price, customer_id)[index]

    def type_name(self, equipment_type_id: str) -> str:
        return self._catalog.get_equipment_type_details(equipment_type_id).name

    def bookable_kit(self, kit_id: str) -> KitDetails:
        """The kit, when it can be booked (active, with every component active);
        ValidationError otherwise."""
        try:
            kit = self._catalog.get_kit(kit_id)
        except NotFoundError:
            raise ValidationError("That kit is no longer offered.", field="lines") from None
        if not kit.public:
            raise ValidationError(f"{kit.name} cannot be booked at the moment.", field="lines")
        return kit

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
        result = self.capacity(equipment_type_id, period, quantity, now, exclude_id)
        if result.is_available:
            return result
        if result.remaining_capacity == 0:
            raise ConflictError(f"{prefix}None are left for that period.")
        raise ConflictError(
            f"{prefix}Only {result.remaining_capacity} left for that period; "
            f"you asked for {quantity}."
        )

    def capacity(
        self,
        equipment_type_id: str,
        period: TimeRange,
        quantity: int,
        now: datetime,
        exclude_id: str | None = None,
        exclude_order_id: str | None = None,
    ) -> Availability:
        """Capacity against live use over the period plus the type's turnaround buffer, without
        refusing (a change's preview says how many are free). The fleet (with the turnaround)
        and the reservations are read once each. `exclude_*`: a booking's (or an order's) own
        use is not counted."""
        profile = self._inventory.get_capacity_profile(equipment_type_id, period)
        occupied = period.expanded(after=profile.turnaround)
        occupancies = self._reservations.occupancies(
            equipment_type_id,
            occupied,
            profile.turnaround,
            now,
            exclude_id=exclude_id,
            exclude_order_id=exclude_order_id,
        )
        return assess(occupancies, occupied, quantity, profile.capacity_for(occupied))

    def check(self, query: CheckAvailability) -> AvailabilityResult:
        now = self._clock()
        self.validate(query.equipment_type_id, query.period, query.basis, query.quantity, now)
        # More than the fleet has is a shortage like any other (not a form error): the answer
        # names what is free and offers it.
        result = self.capacity(query.equipment_type_id, query.period, query.quantity, now)
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

    def check_period(self, period: TimeRange, basis: PricingBasis) -> None:
        """The rules every type shares (start, horizon, longest rental, the grid); a type's
        minimum rental is its own (free_units names it per type). ValidationError."""
        self.policy.check_period(period, basis, self._clock())

    def free_units(
        self, type_ids: Iterable[str], period: TimeRange, basis: PricingBasis
    ) -> dict[str, FreeUnits]:
        """`check`'s capacity answer for many types and one period, in a fixed number of
        statements however many types: their rate cards (once per request), their capacity
        profiles (Inventory, together) and their live reservations (one query). The period is
        checked first (ValidationError, as `check` would say it); each type's own minimum and
        a missing price come back as its `problem`."""
        ids = list(dict.fromkeys(type_ids))
        now = self._clock()
        self.policy.check_period(period, basis, now)
        if not ids:
            return {}
        cards = self._pricing.get_rate_cards(ids)
        profiles = self._inventory.get_capacity_profiles(ids, period)
        buffers = {type_id: profiles[type_id].turnaround for type_id in ids}
        occupancies = self._reservations.occupancies_by_type(buffers, period, now)
        answers: dict[str, FreeUnits] = {}
        for type_id in ids:
            profile = profiles[type_id]
            occupied = period.expanded(after=profile.turnaround)
            result = assess(occupancies[type_id], occupied, 1, profile.capacity_for(occupied))
            answers[type_id] = FreeUnits(
                type_id,
                result.remaining_capacity,
                result.total_capacity,
                self._problem(cards.get(type_id), period, basis, now),
            )
        return answers

    def _problem(
        self, card: RateCard | None, period: TimeRange, basis: PricingBasis, now: datetime
    ) -> str | None:
        if card is None:
            return "No price yet: ask us."
        try:
            self.policy.check_period(period, basis, now, card.minimum_duration)
        except ValidationError as exc:
            return exc.message
        return None

    # --- alternatives -----------------------------------------------------------------------

    def alternatives(self, query: CheckAvailability, remaining: int, now: datetime) -> Alternatives:
        return Alternatives(
            max_quantity=remaining,
            earliest_period=self._earliest(query, now),
            similar=tuple(self.similar(query, now)),
        )

    def _earliest(self, query: CheckAvailability, now: datetime):
        horizon = self.policy.search_horizon
        # A day of slack: the same booking later may be an hour longer across a clock change.
        searched = TimeRange(
            query.period.start, query.period.start + horizon + query.period.duration + DAY
        )
        profile = self._inventory.get_capacity_profile(query.equipment_type_id, searched)
        buffer = profile.turnaround
        window = searched.expanded(after=buffer)
        occupancies = self._reservations.occupancies(query.equipment_type_id, window, buffer, now)
        # When an item comes back (from maintenance, from a customer) it may open room.
        extra = [w.end for _, w in profile.unavailable]
        allowed = None
        hours = self.opening_hours() if query.basis is PricingBasis.HOURLY else None
        if hours is not None and hours.restricts:
            # Within opening hours, never overnight: the openings of the coming days and the
            # requested time of day on each of them are candidates too.
            tz = self.policy.timezone

            def allowed(period: TimeRange) -> bool:
                return hours.fits(period, tz)

            extra += hours.opening_moments(TimeRange(query.period.start, searched.end), tz)
            extra += [
                local_time.add_days(query.period.start, n, tz) for n in range(1, horizon.days + 1)
            ]
        return earliest_start(
            occupancies,
            query.period,
            query.quantity,
            buffer,
            profile.capacity_for,
            horizon,
            lambda moment: self.policy.align_up(moment, query.basis),
            extra_candidates=extra,
            same_length_from=lambda start: self.policy.same_length_from(query.period, start),
            allowed=allowed,
        )

    def similar(self, query: CheckAvailability, now: datetime) -> list[SimilarOption]:
        """The catalog's similar types (its one rule) that have a price and are free."""
        candidates = self._catalog.similar_types(query.equipment_type_id)
        priced = self._pricing.get_rate_cards(t.id for t in candidates)
        options: list[SimilarOption] = []
        for other in candidates:
            if other.id not in priced:
                continue
            result = self.capacity(other.id, query.period, query.quantity, now)
            if result.is_available:
                options.append(
                    SimilarOption(other.id, other.slug, other.name, result.remaining_capacity)
                )
            if len(options) >= MAX_SIMILAR:
                break
        return options


# --- reservations --------------------------------------------------------------------------------


class ReservationQueries:
    def __init__(
        self,
        reservations: ReservationRepository,
        availability: AvailabilityQueries,
        inventory: InventoryFacade,
        customers: CustomerFacade | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._reservations = reservations
        self._availability = availability
        self._inventory = inventory
        self._customers = customers or CustomerFacade()
        self._clock = clock

    def get(self, reservation_id: str) -> Reservation:
        reservation = self._reservations.get(reservation_id)
        if reservation is None:
            raise NotFoundError("That reservation does not exist.")
        return reservation

    def for_customer_link(self, reference: str, token: str) -> Reservation:
        """The customer's manage link: reference plus the unguessable token (compared in
        constant time). Wrong either way is the same NotFoundError."""
        reservation = self._reservations.get_by_reference(reference)
        if reservation is None or not hmac.compare_digest(
            reservation.manage_token_hash, hash_token(token)
        ):
            raise NotFoundError(
                "This booking link is not valid. Check the link in your confirmation."
            )
        return reservation

    def get_order(self, order_id: str) -> Order:
        order = self._reservations.get_order(order_id)
        if order is None:
            raise NotFoundError("That booking does not exist.")
        return order

    def get_order_by_reference(self, reference: str) -> Order:
        """The order with this reference (any letter case; staff and the API)."""
        order_id = self._reservations.order_id_by_reference(reference)
        order = self._reservations.get_order(order_id) if order_id else None
        if order is None:
            raise NotFoundError("That booking does not exist.")
        return order

    def order_for_customer_link(self, reference: str, token: str) -> Order:
        """The order behind a manage link (see for_customer_link: the same NotFoundError)."""
        order_id = self._reservations.order_id_by_reference(reference)
        order = self._reservations.get_order(order_id) if order_id else None
        if order is None or not hmac.compare_digest(order.manage_token_hash, hash_token(token)):
            raise NotFoundError(
                "This booking link is not valid. Check the link in your confirmation."
            )
        return order

    def may_book_again(self, reservation: Reservation) -> bool:
        """An expired booking offers its dates again while they can still be booked (their
        start has not passed, the type is still offered); otherwise new dates."""
        if reservation.status is not ReservationStatus.EXPIRED:
            return False
        policy = self._availability.policy
        if policy.start_problem(reservation.period, reservation.basis, self._clock()):
            return False
        try:
            self._availability.ensure_type_bookable(reservation.equipment_type_id)
        except DomainError:
            return False
        return True

    def list(self, query: ListReservations) -> ReservationPage:
        """With `text`: reservations whose reference contains it, or whose customer's name,
        e-mail or phone does — Customers says which customers (one query, their IDs), and
        the reservations are filtered by those IDs (no join across the modules' tables)."""
        page, size = max(query.page, 1), min(max(query.page_size, 1), 100)
        text = " ".join((query.text or "").split())[:SEARCH_MAX]
        matched: frozenset[str] = frozenset()
        capped = False
        if text:
            found = self._customers.find_customer_ids(text, MATCHED_CUSTOMERS_MAX)
            matched, capped = found.ids, not found.complete
        items, total = self._reservations.search(
            replace(query, text=text or None), page, size, customer_ids=matched
        )
        return ReservationPage(tuple(items), total, page, size, customers_capped=capped)

    def _matched(self, query: ListReservations) -> tuple[ListReservations, frozenset[str]]:
        """The query with its search text tidied, and the customers the text matched."""
        text = " ".join((query.text or "").split())[:SEARCH_MAX]
        if not text:
            return replace(query, text=None), frozenset()
        return replace(query, text=text), self._customers.find_customer_ids(
            text, MATCHED_CUSTOMERS_MAX
        ).ids

    def stream_lines(self, query: ListReservations) -> Iterator[list[tuple[Reservation, str]]]:
        """What `list` finds, every page, a batch at a time: (line, its order's reference)."""
        flt, matched = self._matched(query)
        yield from self._reservations.stream_lines(flt, matched)

    def stream_orders(self, query: ListReservations) -> Iterator[ExportedOrder]:
        """The orders with a line `list` finds, the newest first, each with those lines."""
        flt, matched = self._matched(query)
        for order, lines in self._reservations.stream_orders(flt, matched):
            yield ExportedOrder(
                order.id,
                order.reference,
                order.customer_id,
                order.channel,
                order.created_at,
                tuple(lines),
            )

    def history_of_customer(self, customer_id: str) -> str | None:
        """The customer's orders in words ("3 orders"), which the shop must keep (a customer
        with any may not be deleted, only anonymised); None without any."""
        count = self._reservations.count_orders_of_customer(customer_id)
        if not count:
            return None
        return "1 order" if count == 1 else f"{count} orders"

    def export_for_customer(self, customer_id: str) -> list[dict[str, Any]]:
        """Booking's part of a customer's privacy export."""
        return [
            {
                "reference": r.reference,
                "equipment_type_id": r.equipment_type_id,
                "start": r.period.start.isoformat(),
                "end": r.period.end.isoformat(),
                "quantity": r.quantity,
                "status": r.status.value,
                "total": r.quote.total.to_dict(),
                "created_at": r.created_at.isoformat(),
                "cancellation_reason": r.cancellation_reason,
                "details_typed_at_booking": r.typed_details.to_dict() if r.typed_details else None,
            }
            for r in self._reservations.for_customer(customer_id)
        ]

    def open_orders_of_customer(self, customer_id: str) -> list[Order]:
        """The customer's orders that are not over: confirmed, on hire, waiting for staff (a
        request) or a hold still running — what a "find my booking" e-mail links to. Finished,
        cancelled, expired and no-show orders, and staff quotes, are left out."""
        now = self._clock()
        return [
            order
            for order in self._reservations.orders_of_customer(customer_id, OPEN_FOR_CUSTOMER)
            if order.status in OPEN_FOR_CUSTOMER
            and (order.status is not ReservationStatus.PENDING or order.first.hold_is_live(now))
        ]

    def orders_of_lines(self, reservation_ids: set[str]) -> dict[str, Order]:
        """Line ID → its order (every line of it), two statements however many."""
        return self._reservations.orders_of_lines(reservation_ids)

    def references(self, reservation_ids: set[str]) -> dict[str, str]:
        """Reservation id -> human reference, for labelling other modules' data."""
        return self._reservations.references(reservation_ids)

    def booked_demand(self, equipment_type_id: str, window: TimeRange) -> list[BookedDemand]:
        """Live bookings of the type meeting `window` (holds and confirmed): what Inventory
        weighs a change of the fleet against (registered as its demand source)."""
        buffer = self._availability.buffer(equipment_type_id)
        return [
            BookedDemand(
                r.id,
                r.reference,
                TimeRange(r.period.start, r.period.end + buffer),
                r.quantity,
                r.status.value,
            )
            for r in self._reservations.usage_in(equipment_type_id, window, self._clock())
        ]

    def daily_utilisation(
        self, equipment_type_ids: Iterable[str], days: Sequence[TimeRange]
    ) -> dict[str, DailyUtilisation]:
        """Per type: its fleet (items not retired) and, per day of `days` (consecutive local
        days), the most units its live bookings hold at once during that day (the dashboard's
        heat-map). The same few statements for any number of types and days: the fleets in
        one read, the bookings of every type meeting the whole stretch in one query."""
        ids = sorted(set(equipment_type_ids))
        if not ids or not days:
            return {}
        window = TimeRange(days[0].start, days[-1].end)
        profiles = self._inventory.get_capacity_profiles(ids, window)
        occupancies = self._reservations.occupancies_by_type(
            {type_id: timedelta() for type_id in ids}, window, self._clock()
        )
        return {
            type_id: DailyUtilisation(
                profiles[type_id].item_count if type_id in profiles else 0,
                tuple(sweep_peak(occupancies[type_id], day).peak for day in days),
            )
            for type_id in ids
        }

    def usage_profile(self, equipment_type_id: str, window: TimeRange) -> list[UsagePoint]:
        """Units held against capacity at every change point in `window` (staff timeline)."""
        profile = self._inventory.get_capacity_profile(equipment_type_id, window)
        occupancies = self._reservations.occupancies(
            equipment_type_id, window, profile.turnaround, self._clock()
        )
        cuts = [m for _, stretch in profile.unavailable for m in (stretch.start, stretch.end)]
        return [
            UsagePoint(piece.start, used, profile.capacity_for(piece))
            for piece, used in usage_steps(occupancies, window, cuts)
        ]

    def swap_options(self, reservation: Reservation) -> list[SwapOption]:
        """Similar types (same category, offered, priced) free for the booking's period and
        quantity, with what the booking would cost there."""
        query = CheckAvailability(
            reservation.equipment_type_id,
            reservation.period,
            reservation.quantity,
            reservation.basis,
        )
        options = []
        for option in self._availability.similar(query, self._clock()):
            try:
                quote = self._availability.price(
                    option.equipment_type_id,
                    reservation.period,
                    reservation.quantity,
                    reservation.customer_id,
                )
            except DomainError:
                continue
            if quote.total.currency != reservation.total.currency:
                continue
            options.append(
                SwapOption(
                    option.equipment_type_id,
                    option.name,
                    option.remaining_capacity,
                    quote.total,
                    quote.total - reservation.total,
                )
            )
        return options

    def staff_actions(
        self, reservation: Reservation, allocations: list[tuple[str, str]]
    ) -> StaffActions:
        policy = self._availability.policy
        return StaffActions.of(
            reservation, allocations, self._clock(), policy.pickup_opens(reservation.period.start)
        )

    def customer_actions(self, reservation: Reservation) -> CustomerActions:
        return CustomerActions.of(reservation, self._clock(), self._availability.policy)
