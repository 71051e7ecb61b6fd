"""Booking's commands: the dataclasses callers send, the handler of the Reservation aggregate,
and the use cases that cross modules (booking online with the customer found or registered,
the counter's hand-over, return and no-show). Each runs inside the facade's unit of work and
returns at most the new reservation's ID (the online journey: its reference, the public ID
the customer's links carry, so the page need not read it back). Collaborators — repositories,
the other modules' facades, the clock and the outbox recorder — are passed in."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from rental.booking.application.deposits import DepositGate
from rental.booking.application.queries import AvailabilityQueries, ChangePreview
from rental.booking.domain.models import (
    CHANGEABLE,
    ON_HIRE_NOT_CANCELLED,
    TYPED_FIELDS,
    BookingChannel,
    FrozenQuote,
    Order,
    PriceLine,
    PricingBasis,
    Reservation,
    ReservationStatus,
    TypedDetails,
    hash_token,
    line_reference,
    new_reference,
)
from rental.booking.domain.orders import (
    LineDemand,
    Need,
    OrderLine,
    OrderShort,
    check_lines,
    free_for_line,
    shortages,
)
from rental.booking.infrastructure.repositories import NewBookingGuards, ReservationRepository
from rental.contracts.booking import (
    ReservationCancelled,
    ReservationChanged,
    ReservationCompleted,
    ReservationConfirmed,
    ReservationCreated,
    ReservationExpired,
    ReservationHandedOver,
    ReservationNoShow,
)
from rental.customers import CANNOT_BOOK, CustomerDetailsInput, CustomerFacade, RegisterCustomer
from rental.inventory import InventoryFacade
from rental.payments import CancellationQuote
from rental.shared import outbox
from rental.shared.errors import (
    ConflictError,
    DomainError,
    NeedsConfirmation,
    NotFoundError,
    ValidationError,
    ensure_confirmed,
)
from rental.shared.events import Event
from rental.shared.money import Money
from rental.shared.privacy import ANONYMISED_TEXT
from rental.shared.time_range import TimeRange, utcnow

Clock = Callable[[], datetime]
Record = Callable[[Event], None]
# Payments' cancellation fee of (part of) an order: (order ID, the part's rental total, the
# order's confirmed total with the part, start, now) -> the quote; part == order: all of what
# is left (PaymentsFacade.part_cancellation_quote).
FeeQuote = Callable[[str, Money, Money, datetime, datetime], CancellationQuote]


@dataclass(frozen=True, slots=True)
class CreateReservation:
    customer_id: str
    equipment_type_id: str
    period: TimeRange
    quantity: int
    basis: PricingBasis
    manage_token: str  # made by the server; only its hash is stored
    channel: BookingChannel = BookingChannel.ONLINE
    origin_key: str | None = None  # where an online booking came from (opaque, see Reservation)
    # Online, with an e-mail already on file: the profile was used, and what was typed
    # differently from it is kept for staff (see Reservation).
    customer_known: bool = False
    typed_details: TypedDetails | None = None


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    """Several lines (equipment types or kits) for one period, as one order: one reference,
    one hold, one manage token. The fields besides `lines` mean what CreateReservation's do."""

    customer_id: str
    lines: tuple[OrderLine, ...]
    period: TimeRange
    basis: PricingBasis
    manage_token: str
    channel: BookingChannel = BookingChannel.ONLINE
    origin_key: str | None = None
    customer_known: bool = False
    typed_details: TypedDetails | None = None
    # Staff: a quote — validated and priced, holding nothing (whatever is free now); turned
    # into a booking later by confirming it, when capacity is checked.
    quote: bool = False

    @classmethod
    def of(cls, cmd: CreateReservation) -> PlaceOrder:
        return cls(
            cmd.customer_id,
            (OrderLine(cmd.quantity, equipment_type_id=cmd.equipment_type_id),),
            cmd.period,
            cmd.basis,
            cmd.manage_token,
            cmd.channel,
            cmd.origin_key,
            cmd.customer_known,
            cmd.typed_details,
        )


@dataclass(frozen=True, slots=True)
class ConfirmReservation:
    reservation_id: str
    # Staff approving a request (a booking too large to confirm online). Customers confirm
    # their holds; only staff confirm requests.
    approve: bool = False


@dataclass(frozen=True, slots=True)
class CancelReservation:
    reservation_id: str
    reason: str
    # Staff clearing open holds: refuse when it was confirmed in the meantime.
    only_if_open: bool = False
    # The customer, through the manage link: only before the start
    # (Reservation.customer_may_cancel).
    by_customer: bool = False
    # Charge the payment policy's cancellation fee (the customer always; staff when they
    # tick it). CounterCommands works it out once, under the lock, and puts it on `fee`.
    charge_fee: bool = False
    # The fee this cancellation charges the order: on ONE line's command (the first line
    # cancelled), carried by that line's ReservationCancelled event; None on the others.
    fee: Money | None = None
    # With `fee`, a FIXED fee: the cancellation fees the order had been charged when it was
    # worked out (ReservationCancelled.fees_before: Payments keeps the total within the fee).
    fees_before: Money | None = None
    # The fee the customer's cancel (or remove-an-item) page showed: a different fee now (the
    # free window closed in between) refuses it, so nobody pays a fee they were not shown.
    seen_fee: Decimal | None = None
    # Staff (the API): every line of the reservation's order still to come, together (as
    # the customer cancels), the fee only with `charge_fee`.
    whole_order: bool = False


@dataclass(frozen=True, slots=True)
class CompleteReservation:
    reservation_id: str


@dataclass(frozen=True, slots=True)
class ChangeReservationType:
    """Staff: serve a confirmed booking with another (similar) equipment type."""

    reservation_id: str
    equipment_type_id: str


@dataclass(frozen=True, slots=True)
class ChangeReservation:
    """Another period and/or quantity for a booking (staff; the customer through the manage
    link with `by_customer`). `expected_version`: the version the preview was shown for — a
    booking changed since is refused rather than changed in a way nobody saw."""

    reservation_id: str
    period: TimeRange
    quantity: int
    by_customer: bool = False
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class AddOrderLine:
    """Staff add a line (a type or a kit) to an order that is not under way yet: for the
    order's period, checked under the locks like a new booking (the order's own lines are
    use like any other), in the order's state (held with its hold, confirmed, or quoted).
    `by_customer`: through the manage link — a hold or a confirmed booking, before its start,
    and no more of a type than one online booking may take."""

    order_id: str
    line: OrderLine
    by_customer: bool = False


@dataclass(frozen=True, slots=True)
class BookOnline:
    """A visitor's booking: their details (the customer is found by e-mail or registered) and
    the hold — one transaction, so a hold that cannot be made leaves no customer behind."""

    customer: CustomerDetailsInput
    equipment_type_id: str
    period: TimeRange
    quantity: int
    basis: PricingBasis
    manage_token: str
    origin_key: str | None = None


@dataclass(frozen=True, slots=True)
class BookOrderOnline:
    """A visitor's cart checked out: their details and the order's hold, together (see
    BookOnline)."""

    customer: CustomerDetailsInput
    lines: tuple[OrderLine, ...]
    period: TimeRange
    basis: PricingBasis
    manage_token: str
    origin_key: str | None = None
    # The API books for a customer given by their details the same way (channel API).
    channel: BookingChannel = BookingChannel.ONLINE


@dataclass(frozen=True, slots=True)
class HandOver:
    reservation_id: str
    actor: str
    # Codes of the warnings staff confirmed: an early pick-up that leaves another booking
    # without a machine asks first (see NeedsConfirmation).
    confirmed_warnings: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class TakeBack:
    reservation_id: str
    actor: str
    damaged: dict[str, str]  # item id -> what is damaged
    returned: set[str] | None = None  # the item ids that came back, when not all did


def _event_fields(r: Reservation) -> dict:
    return {
        "reservation_id": r.id,
        "reference": r.reference,
        "customer_id": r.customer_id,
        "equipment_type_id": r.equipment_type_id,
        "period": r.period,
        "quantity": r.quantity,
        "total": r.quote.total,
        "sequence": r.version,
        "order_id": r.order_id,
        "order_reference": r.order_reference,
        "deposit": r.quote.deposit,
    }


class ReservationCommands:
    """The Reservation aggregate's handler."""

    def __init__(
        self,
        reservations: ReservationRepository,
        availability: AvailabilityQueries,
        customers: CustomerFacade,
        hold_minutes: int,
        clock: Clock = utcnow,
        record: Record = outbox.record,
        references: Callable[[], str] = new_reference,
    ) -> None:
        self._new_reference = references  # draws a random reference
        self._reservations = reservations
        self._availability = availability
        self._customers = customers
        self._hold = timedelta(minutes=hold_minutes)
        self._now = clock
        self._record = record

    # --- create ---------------------------------------------------------------------------

    def create(self, cmd: CreateReservation) -> str:
        """A reservation for a customer known by ID (staff, the API)."""
        self._check_customer(cmd.customer_id)
        return self.place(cmd).id

    def place(self, cmd: CreateReservation) -> Reservation:
        """One equipment type's hold (or request): a one-line order (see place_order)."""
        return self.place_order(PlaceOrder.of(cmd)).first

    def place_order(self, cmd: PlaceOrder) -> Order:
        """Make the order's hold (or request) for a customer already checked: every line
        validated and priced, then under the locks — the customer's and the network's, and
        every type's in sorted order, so two orders sharing types never wait for each other
        in a circle — the guards (the same form sent twice, the caps on open bookings) and
        the capacity of every line with the other lines counted; then all lines written with
        their events. All or nothing: one line short and nothing is written (OrderShort says
        which lines and how many of each are free)."""
        now = self._now()
        if len(cmd.manage_token) < 16:
            raise ValueError("manage_token is too short to be unguessable")
        planned = [
            self._plan(line, cmd.period, cmd.basis, cmd.customer_id, now)
            for line in check_lines(cmd.lines)
        ]
        type_ids = sorted({part.equipment_type_id for line in planned for part in line.parts})
        online = cmd.channel is BookingChannel.ONLINE
        # From here to commit, competing bookings of these types (and, online, of this
        # customer and this network) wait for us.
        self._reservations.lock_for_new_booking(
            type_ids,
            cmd.customer_id if online else None,
            cmd.origin_key if online else None,
        )
        token_hash = hash_token(cmd.manage_token)
        reference = self._new_reference()
        now = self._now()  # which holds are still live is judged under the lock
        guards = self._reservations.before_new_booking(
            now, token_hash, reference, cmd.customer_id, cmd.origin_key if online else None
        )
        if guards.same_form_id is not None:
            # The same form sent twice (double click, reload) carries the same token: one hold.
            return self._order(guards.same_form_id)
        if online:
            self._check_open_bookings(guards)
        if cmd.quote:
            status = ReservationStatus.QUOTED
        else:
            status = self._holding_status(cmd, planned, type_ids, now)
        order = self._new_order(
            cmd,
            planned,
            self._unique_reference() if guards.reference_taken else reference,
            token_hash,
            status,
            now,
        )
        self._reservations.add_order(order)
        for line in order.lines:
            self._record(
                ReservationCreated(
                    **_event_fields(line),
                    hold_expires_at=line.hold_expires_at,
                    awaiting_approval=status is not ReservationStatus.PENDING,
                )
            )
        return order

    def _holding_status(
        self, cmd: PlaceOrder, planned: list[_PlannedLine], type_ids: list[str], now: datetime
    ) -> ReservationStatus:
        """Every line fits, the others counted (else OrderShort): a hold — or, online, a
        request when a line takes too large a share of its fleet."""
        fits = {t: self._availability.capacity(t, cmd.period, 1, now) for t in type_ids}
        free = {t: fit.remaining_capacity for t, fit in fits.items()}
        short = shortages([line.demand for line in planned], free)
        if short:
            raise OrderShort(_order_short(planned, short), short)
        # Too large a share of the fleet for one online booking: a request for staff, holding
        # nothing meanwhile (one visitor cannot block a whole fleet).
        request = cmd.channel is BookingChannel.ONLINE and any(
            self._availability.policy.needs_approval(
                part.quantity, fits[part.equipment_type_id].total_capacity
            )
            for line in planned
            for part in line.parts
        )
        return ReservationStatus.REQUESTED if request else ReservationStatus.PENDING

    def _plan(
        self,
        line: OrderLine,
        period: TimeRange,
        basis: PricingBasis,
        customer_id: str,
        now: datetime,
    ) -> _PlannedLine:
        """A line validated and priced: one part for a type, one per component for a kit
        (priced by the kit's rule: AvailabilityQueries.kit_quotes)."""
        if line.equipment_type_id is not None:
            type_id = line.equipment_type_id
            self._availability.validate(type_id, period, basis, line.quantity, now)
            quote = freeze(self._availability.price(type_id, period, line.quantity, customer_id))
            part = _Part(type_id, line.quantity, quote)
            return _PlannedLine(line, self._availability.type_name(type_id), (part,))
        assert line.kit_id is not None
        kit = self._availability.bookable_kit(line.kit_id)
        for component in kit.components:
            type_id, quantity = component.equipment_type_id, component.quantity * line.quantity
            self._availability.validate(type_id, period, basis, quantity, now)

        def price(type_id: str, quantity: int) -> FrozenQuote:
            # Without the customer: the loyalty discount comes after the kit's price.
            return freeze(self._availability.price(type_id, period, quantity))

        quotes = self._availability.kit_quotes(kit, line.quantity, period, price, customer_id)
        parts = [
            _Part(c.equipment_type_id, c.quantity * line.quantity, quote)
            for c, quote in zip(kit.components, quotes, strict=True)
        ]
        return _PlannedLine(line, kit.name, tuple(parts))

    def _new_order(
        self,
        cmd: PlaceOrder,
        planned: list[_PlannedLine],
        reference: str,
        token_hash: str,
        status: ReservationStatus,
        now: datetime,
    ) -> Order:
        order_id = str(uuid.uuid4())
        lines = [
            replace(
                line,
                manage_token_hash=token_hash,
                channel=cmd.channel,
                origin_key=cmd.origin_key,
                customer_known=cmd.customer_known,
                typed_details=cmd.typed_details,
            )
            for line in self._lines(
                order_id,
                reference,
                cmd.customer_id,
                planned,
                cmd.period,
                cmd.basis,
                status,
                now,
            )
        ]
        return Order(
            id=order_id,
            reference=reference,
            customer_id=cmd.customer_id,
            manage_token_hash=token_hash,
            channel=cmd.channel,
            created_at=now,
            lines=tuple(lines),
        )

    def add_line(self, cmd: AddOrderLine) -> Order:
        """See AddOrderLine. All or nothing; refused (ConflictError) when the order is on
        hire or finished, OrderShort when the line does not fit."""
        now = self._now()
        order = self._order(cmd.order_id)
        if order.status not in (
            ReservationStatus.PENDING,
            ReservationStatus.CONFIRMED,
            ReservationStatus.QUOTED,
        ):
            raise ConflictError(
                f"{order.reference} is {order.status.label.lower()}: lines can be added only "
                "before the rental is under way. Make a new booking for more equipment."
            )
        if cmd.by_customer:
            self._customer_may_add(order, now)
        planned = self._plan(cmd.line, order.period, order.basis, order.customer_id, now)
        new_types = {part.equipment_type_id for part in planned.parts}
        self._reservations.lock_equipment_types(sorted(set(order.type_ids()) | new_types))
        order = self._order(order.id, for_update=True)
        now = self._now()
        status = order.status
        if cmd.by_customer:
            self._customer_may_add(order, now)
            self._within_online_limit(order, planned, now)
        if status is not ReservationStatus.QUOTED:
            free = {
                t: self._availability.capacity(t, order.period, 1, now).remaining_capacity
                for t in sorted(new_types)
            }
            short = shortages([planned.demand], free)
            if short:
                raise OrderShort(_order_short([planned], short), short)
        first = order.first
        added = self._lines(
            order.id,
            order.reference,
            first.customer_id,
            [planned],
            order.period,
            order.basis,
            status,
            now,
            first_line_no=max(r.line_no for r in order.lines) + 1,
            template=first,
        )
        for line in added:
            self._reservations.add(line)
            self._record(
                ReservationCreated(
                    **_event_fields(line),
                    hold_expires_at=line.hold_expires_at,
                    awaiting_approval=status is not ReservationStatus.PENDING,
                )
            )
            if status is ReservationStatus.CONFIRMED:
                self._record(ReservationConfirmed(**_event_fields(line)))
        return self._order(order.id)

    def _customer_may_add(self, order: Order, now: datetime) -> None:
        if order.status not in (ReservationStatus.PENDING, ReservationStatus.CONFIRMED) or (
            not order.first.customer_may_cancel(now)
        ):
            raise ConflictError(
                f"{order.reference} can no longer be changed online: please call us to add "
                "equipment."
            )

    def _within_online_limit(self, order: Order, planned: _PlannedLine, now: datetime) -> None:
        """What the order would then take of each type stays what one online booking may."""
        policy = self._availability.policy
        for part in planned.parts:
            t = part.equipment_type_id
            total = part.quantity + sum(
                r.quantity
                for r in order.lines
                if r.equipment_type_id == t and r.holds_capacity(now)
            )
            fleet = self._availability.capacity(t, order.period, 1, now).total_capacity
            if policy.needs_approval(total, fleet):
                raise ConflictError(
                    f"Online a booking can take at most {policy.online_limit(fleet)} of "
                    f"{self._availability.type_name(t)}; for more, please call us.",
                    field="quantity",
                )

    def _lines(
        self,
        order_id: str,
        reference: str,
        customer_id: str,
        planned: list[_PlannedLine],
        period: TimeRange,
        basis: PricingBasis,
        status: ReservationStatus,
        now: datetime,
        *,
        first_line_no: int = 1,
        template: Reservation | None = None,
    ) -> list[Reservation]:
        """The order's reservations for the planned lines, numbered from `first_line_no`
        (line 1 takes the order's ID); a line added later copies the order's hold, token,
        channel and origin from `template` (its first line)."""
        lines: list[Reservation] = []
        for line in planned:
            for part in line.parts:
                line_no = first_line_no + len(lines)
                lines.append(
                    Reservation(
                        id=order_id if line_no == 1 else str(uuid.uuid4()),
                        reference=line_reference(reference, line_no),
                        customer_id=customer_id,
                        equipment_type_id=part.equipment_type_id,
                        period=period,
                        quantity=part.quantity,
                        basis=basis,
                        quote=part.quote,
                        status=status,
                        created_at=now,
                        updated_at=now,
                        hold_expires_at=(template.hold_expires_at if template else now + self._hold)
                        if status is ReservationStatus.PENDING
                        else None,
                        manage_token_hash=template.manage_token_hash if template else "",
                        channel=template.channel if template else BookingChannel.ONLINE,
                        origin_key=template.origin_key if template else None,
                        order_id=order_id,
                        line_no=line_no,
                        kit_id=line.line.kit_id,
                        kit_quantity=line.line.quantity if line.line.kit_id else None,
                    )
                )
        return lines

    def _order(self, order_id: str, *, for_update: bool = False) -> Order:
        order = self._reservations.get_order(order_id, for_update=for_update)
        if order is None:
            raise NotFoundError("That booking does not exist.")
        return order

    def _check_open_bookings(self, guards: NewBookingGuards) -> None:
        policy = self._availability.policy
        if guards.open_of_customer >= policy.open_per_customer:
            # The bookings waiting under an e-mail are that customer's business: whoever
            # typed it gets the neutral refusal, the same as for a suspended account.
            raise ConflictError(self._availability.refusal())
        if guards.open_of_origin >= policy.open_per_origin:
            raise ConflictError(
                "Too many bookings from your network are waiting for confirmation. Confirm or "
                "cancel those first, or call us and we will book it for you."
            )

    def made_by_form(self, form_token: str) -> str | None:
        """The booking this form already made (sent twice: a double click, a reload)."""
        return self._reservations.made_by_form(hash_token(form_token))

    def check_customer(self, customer_id: str) -> None:
        """Staff: the customer exists and may book (ValidationError on "customer" saying why
        not)."""
        self._check_customer(customer_id)

    def _check_customer(self, customer_id: str, *, public: bool = False) -> None:
        """The customer may book. Staff are told why not; the public journey (`public`) gets
        the neutral refusal, which says nothing about the account."""
        try:
            # Held until this booking is written: no delete or suspension slips in between.
            customer = self._customers.get_customer_to_book(customer_id)
        except NotFoundError:
            raise ValidationError("We could not find that customer.", field="customer") from None
        if not customer.can_book:
            if public:
                raise ConflictError(self._availability.refusal())
            raise ValidationError(CANNOT_BOOK, field="customer")

    def refusal(self) -> str:
        """The public journey's neutral refusal (BookingPolicy.refusal, with the shop's
        phone)."""
        return self._availability.refusal()

    def _unique_reference(self) -> str:
        """Another reference, when the first one drawn was taken (rare: about one in a
        billion per existing booking)."""
        for _ in range(10):
            reference = self._new_reference()
            if not self._reservations.reference_exists(reference):
                return reference
        raise ConflictError("Could not allocate a booking reference; please try again.")

    # --- lifecycle ------------------------------------------------------------------------
    #
    # Every transition reads the reservation row under a lock (FOR UPDATE on PostgreSQL; the
    # unit of work's write lock on SQLite), so two transitions of one reservation never both
    # act on the same old state. Confirming is also a capacity decision, so it first takes the
    # type's lock — the one CreateReservation takes — and only then reads the clock.

    def _load(self, reservation_id: str, *, for_update: bool = False) -> Reservation:
        if for_update:
            reservation = self._reservations.get_for_update(reservation_id)
        else:
            reservation = self._reservations.get(reservation_id)
        if reservation is None:
            raise NotFoundError("That reservation does not exist.")
        return reservation

    def confirm(self, cmd: ConfirmReservation) -> None:
        """Confirm the reservation's order: every line waiting with it (a hold is confirmed
        whole, a request approved whole) — under every type's lock, sorted, and the lines'
        row locks; a hold that ran out is confirmed only when all of it still fits."""
        order = self._order(self._load(cmd.reservation_id).order_id)
        self._reservations.lock_equipment_types(order.type_ids())
        order = self._order(order.id, for_update=True)
        reservation = next(r for r in order.lines if r.id == cmd.reservation_id)
        now = self._now()  # read after the locks: the hold is judged at the moment we decide
        staff_only = (ReservationStatus.REQUESTED, ReservationStatus.QUOTED)
        if reservation.status in staff_only and not cmd.approve:
            kind = "quote" if reservation.status is ReservationStatus.QUOTED else "request"
            raise ConflictError(
                f"Booking {order.reference} is a {kind}: the shop confirms it for you."
            )
        lines = [reservation]
        if reservation.status.is_open:
            lines = [r for r in order.lines if r.status is reservation.status]
            # Whatever may have changed since the hold was made is checked again (a customer
            # confirming their own hold is refused in the public journey's neutral words).
            self._check_customer(reservation.customer_id, public=not cmd.approve)
            for line in lines:
                self._availability.ensure_type_bookable(line.equipment_type_id)
            if not reservation.hold_is_live(now):
                # The hold ran out before the customer confirmed (or this is a request, which
                # never held anything): if the equipment is free, confirm; otherwise say so.
                self._ensure_lines_fit(
                    order,
                    lines,
                    now,
                    "In the meantime the equipment was booked: "
                    if reservation.status in staff_only
                    else "Your hold expired and in the meantime the equipment was booked: ",
                )
        for line in lines:
            confirmed = line.confirm(now)
            self._reservations.save(confirmed)
            self._record(ReservationConfirmed(**_event_fields(confirmed)))

    def _ensure_lines_fit(
        self, order: Order, lines: list[Reservation], now: datetime, prefix: str
    ) -> None:
        """ConflictError (nothing changes) unless all `lines` fit together, the order's own
        use not counted."""
        demand, free = self._beside_order(order, lines, order.period, now)
        short = shortages(demand, free)
        if not short:
            return
        if len(lines) == 1:
            raise ConflictError(prefix + _left(short[0], lines[0].quantity))
        names = [
            f"{self._availability.type_name(lines[i].equipment_type_id)}: "
            + _left(free_units, lines[i].quantity)
            for i, free_units in sorted(short.items())
        ]
        raise ConflictError(prefix + " ".join(names))

    def _beside_order(
        self, order: Order, lines: list[Reservation], period: TimeRange, now: datetime
    ) -> tuple[list[LineDemand], dict[str, int]]:
        """What `lines` ask of each type, and what is free of each for `period` with the
        order's own use not counted (one capacity read per type)."""
        free = {
            t: self._availability.capacity(
                t, period, 1, now, exclude_order_id=order.id
            ).remaining_capacity
            for t in sorted({r.equipment_type_id for r in lines})
        }
        return [LineDemand(r.quantity, (Need(r.equipment_type_id, 1),)) for r in lines], free

    def lock_order_of(self, reservation_id: str) -> Order:
        """The reservation's order, its lines' rows locked."""
        return self._order(self._load(reservation_id).order_id, for_update=True)

    def lock_for_cancel(self, reservation_id: str) -> Reservation:
        """The reservation, locked, before the counter checks what is out (see
        CounterCommands.cancel); the cancellation re-reads it under the same lock."""
        return self._load(reservation_id, for_update=True)

    def cancel(self, cmd: CancelReservation) -> None:
        reservation = self._load(cmd.reservation_id, for_update=True)
        if cmd.only_if_open and not reservation.status.is_open:
            raise ConflictError(
                f"Booking {reservation.reference} is {reservation.status.label.lower()} now."
            )
        now = self._now()  # read after the lock: "before the start" is judged as we decide
        if cmd.by_customer and reservation.can_cancel and not reservation.customer_may_cancel(now):
            policy = self._availability.policy
            raise ConflictError(policy.cancellation_rule(reservation.period, now, confirmed=True))
        reservation = reservation.cancel(cmd.reason, now)
        self._reservations.save(reservation)
        fee = cmd.fee if cmd.fee is not None and cmd.fee.amount > 0 else None
        self._record(
            ReservationCancelled(
                **_event_fields(reservation),
                reason=reservation.cancellation_reason or "",
                fee=fee,
                fees_before=cmd.fees_before if fee is not None else None,
            )
        )

    def complete(self, cmd: CompleteReservation) -> None:
        reservation = self._load(cmd.reservation_id, for_update=True)
        now = self._now()
        reservation = reservation.complete(now).clear_flag(now, "overdue")  # all back
        self._reservations.save(reservation)
        self._record(ReservationCompleted(**_event_fields(reservation)))

    def lock_confirmed(
        self, reservation_id: str, action: str, *, on_hire: bool = False
    ) -> Reservation:
        """The reservation, locked, when it is confirmed — with `on_hire`, also when it is on
        hire (hand-over and return at the counter lock it first, so they serialise with a
        cancellation of the same booking)."""
        reservation = self._load(reservation_id, for_update=True)
        allowed = {ReservationStatus.CONFIRMED}
        if on_hire:
            allowed.add(ReservationStatus.ON_HIRE)
        if reservation.status not in allowed:
            raise ValidationError(
                f"Only confirmed reservations can be {action}; {reservation.reference} is "
                f"{reservation.status.label.lower()}."
            )
        return reservation

    def ensure_pickup_open(self, reservation: Reservation) -> None:
        """Refuse a hand-over outside the pick-up window (BOOKING_EARLY_PICKUP_DAYS before the
        first day until the end), saying when it opens. Nothing changes."""
        policy = self._availability.policy
        reservation.hand_over(
            self._now(), policy.pickup_opens(reservation.period.start), policy.timezone
        )

    def hand_over(self, reservation: Reservation) -> None:
        """The locked reservation goes on hire (its items were checked out in the same
        transaction); the event only for the first hand-over."""
        policy = self._availability.policy
        on_hire = reservation.hand_over(
            self._now(), policy.pickup_opens(reservation.period.start), policy.timezone
        )
        if on_hire is reservation:
            return
        self._reservations.save(on_hire)
        self._record(ReservationHandedOver(**_event_fields(on_hire)))

    def expire_stale_holds(self) -> int:
        """Holds that ran out, and requests not approved before their start."""
        now = self._now()
        expired = self._reservations.lock_stale(now)
        for reservation in expired:
            reservation = reservation.expire(now)
            self._reservations.save(reservation)
            self._record(ReservationExpired(**_event_fields(reservation)))
        return len(expired)

    def change_type(self, cmd: ChangeReservationType) -> None:
        current = self._load(cmd.reservation_id)
        # Both types' locks, in a fixed order: no two changes wait for each other in a circle.
        for type_id in sorted({current.equipment_type_id, cmd.equipment_type_id}):
            self._reservations.lock_equipment_type(type_id)
        reservation = self._load(cmd.reservation_id, for_update=True)
        previous = reservation.equipment_type_id
        self._availability.ensure_type_bookable(cmd.equipment_type_id)
        now = self._now()
        self._availability.ensure_capacity(
            cmd.equipment_type_id, reservation.period, reservation.quantity, now
        )
        quote = self._availability.price(
            cmd.equipment_type_id,
            reservation.period,
            reservation.quantity,
            reservation.customer_id,
        )
        reservation = reservation.change_type(cmd.equipment_type_id, freeze(quote), now)
        self._reservations.save(reservation)
        self._record(
            ReservationChanged(
                **_event_fields(reservation),
                previous_equipment_type_id=previous,
                status=reservation.status.value,
            )
        )

    # --- changes of period and quantity ------------------------------------------------------

    def _checked_change(
        self, reservation: Reservation, cmd: ChangeReservation, now: datetime
    ) -> Reservation:
        """The booking as the change would make it: the domain's rules (what may change now),
        the booking rules for the new period (a kept start is not judged again: a booking on
        hire is extended), priced anew. Capacity is the caller's."""
        reservation.check_change(cmd.period, cmd.quantity, now, by_customer=cmd.by_customer)
        type_id = reservation.equipment_type_id
        kept = cmd.period.start == reservation.period.start
        self._availability.validate(
            type_id, cmd.period, reservation.basis, cmd.quantity, now, kept_start=kept
        )

        # Priced anew with the customer's CURRENT loyalty tier (README, "Loyalty pricing").
        customer_id = reservation.customer_id

        def price(type_id: str, quantity: int) -> FrozenQuote:
            return freeze(self._availability.price(type_id, cmd.period, quantity))

        if reservation.kit_id:
            # A kit's component is priced anew by the kit's rule (its part of the kit's price),
            # then the customer's loyalty discount.
            quote = self._availability.kit_component_quote(
                reservation.kit_id, type_id, cmd.quantity, cmd.period, price, customer_id
            )
        else:
            quote = freeze(self._availability.price(type_id, cmd.period, cmd.quantity, customer_id))
        return reservation.change(cmd.period, cmd.quantity, quote, now, by_customer=cmd.by_customer)

    def _changed_order(
        self, order: Order, reservation: Reservation, cmd: ChangeReservation, now: datetime
    ) -> list[tuple[Reservation, Reservation]]:
        """(before, after) of every line the change moves: the line itself and, when the
        period changes, every other line of the order still to be served — an order has one
        period. The rules are each line's (a line on hire: only its end)."""
        changed = [(reservation, self._checked_change(reservation, cmd, now))]
        if cmd.period != reservation.period:
            for other in order.lines:
                if other.id == reservation.id or other.status not in CHANGEABLE:
                    continue
                moved = replace(cmd, reservation_id=other.id, quantity=other.quantity)
                changed.append((other, self._checked_change(other, moved, now)))
        return changed

    def _order_free(
        self, order: Order, changed: list[tuple[Reservation, Reservation]], now: datetime
    ) -> tuple[dict[int, int], list[Reservation], int]:
        """Which of the order's lines, as changed, do not fit (see shortages), the order's
        own use not counted but every line of it that still takes capacity is; those lines,
        in the same order; and how many of the changed line fit beside the others."""
        after = {old.id: new for old, new in changed}
        lines = [after.get(r.id, r) for r in order.lines if r.holds_capacity(now)]
        if not any(r.id == changed[0][0].id for r in lines):
            lines.insert(0, changed[0][1])  # an expired hold being changed counts too
        demand, free = self._beside_order(order, lines, changed[0][1].period, now)
        index = next(i for i, r in enumerate(lines) if r.id == changed[0][0].id)
        return shortages(demand, free), lines, free_for_line(demand, index, free)

    def preview_change(self, cmd: ChangeReservation) -> ChangePreview:
        """The change as it would be — before and after, the new price and the difference
        (of every line it moves), how many units are free (its own use not counted) —
        without changing anything."""
        reservation = self._load(cmd.reservation_id)
        order = self._order(reservation.order_id)
        now = self._now()
        others = sum(1 for r in order.lines if r.id != reservation.id and r.status in CHANGEABLE)
        shown = {
            "reservation_id": reservation.id,
            "reference": reservation.reference,
            "basis": reservation.basis,
            "old_period": reservation.period,
            "new_period": cmd.period,
            "old_quantity": reservation.quantity,
            "new_quantity": cmd.quantity,
            "old_total": reservation.total,
            "other_lines": others if cmd.period != reservation.period else 0,
        }
        try:
            changed = self._changed_order(order, reservation, cmd, now)
        except DomainError as exc:
            return ChangePreview(
                **shown, new_total=None, free=0, problem=exc.message, field=exc.field
            )
        short, lines, free = self._order_free(order, changed, now)
        fit_total = self._availability.capacity(
            reservation.equipment_type_id, cmd.period, 1, now
        ).total_capacity
        problem = self._online_limit_problem(reservation, cmd, fit_total)
        if problem is None and short:
            problem = self._short_message(lines, short, reservation, cmd.quantity, free)
        old_total = sum((old.total for old, _ in changed[1:]), reservation.total)
        new_total = sum((new.total for _, new in changed[1:]), changed[0][1].total)
        return ChangePreview(
            **{**shown, "old_total": old_total},
            new_total=new_total,
            free=free,
            problem=problem,
            field=None if problem is None else "quantity",
        )

    def _short_message(
        self,
        lines: list[Reservation],
        short: dict[int, int],
        reservation: Reservation,
        quantity: int,
        free: int,
    ) -> str:
        if [lines[i].id for i in short] == [reservation.id]:
            return _short(free, quantity)
        names = [
            f"{self._availability.type_name(lines[i].equipment_type_id)} "
            f"({lines[i].reference}): " + _left(n, lines[i].quantity)
            for i, n in sorted(short.items())
        ]
        return "Not every line of the booking fits the new period. " + " ".join(names)

    def _online_limit_problem(
        self, reservation: Reservation, cmd: ChangeReservation, total_capacity: int
    ) -> str | None:
        """A customer may not grow a booking past what one online booking may take (that
        would be a request for staff, see BookingPolicy.needs_approval)."""
        policy = self._availability.policy
        if (
            cmd.by_customer
            and cmd.quantity > reservation.quantity
            and policy.needs_approval(cmd.quantity, total_capacity)
        ):
            return (
                f"Online a booking can take at most {policy.online_limit(total_capacity)}; "
                "for more, please call us."
            )
        return None

    def change(self, cmd: ChangeReservation) -> Reservation:
        """Change the period and/or quantity: under every type's lock of the order (the ones
        new bookings take) and its lines' row locks, the rules, the price and the capacity
        are checked again — the order's own use not counted — then every line it moves (a
        new period moves the whole order) is saved with its version bumped and
        `ReservationChanged` recorded. Refused (nothing changes) when it no longer fits,
        saying how many are free."""
        order = self._order(self._load(cmd.reservation_id).order_id)
        self._reservations.lock_equipment_types(order.type_ids())
        order = self._order(order.id, for_update=True)
        reservation = next(r for r in order.lines if r.id == cmd.reservation_id)
        if cmd.expected_version is not None and reservation.version != cmd.expected_version:
            raise ConflictError(
                f"{reservation.reference} was changed meanwhile: look at it again before "
                "changing it."
            )
        now = self._now()  # read after the locks, as confirming does
        changed = self._changed_order(order, reservation, cmd, now)
        short, lines, free = self._order_free(order, changed, now)
        fit_total = self._availability.capacity(
            reservation.equipment_type_id, cmd.period, 1, now
        ).total_capacity
        limit = self._online_limit_problem(reservation, cmd, fit_total)
        if limit is not None:
            raise ConflictError(limit, field="quantity")
        if short:
            raise ConflictError(
                self._short_message(lines, short, reservation, cmd.quantity, free)
                + " The booking stays as it was.",
                field="quantity",
            )
        changed_line = changed[0][0].id
        for old, new in changed:
            self._reservations.save(new)
            self._record(
                ReservationChanged(
                    **_event_fields(new),
                    previous_equipment_type_id=old.equipment_type_id,
                    status=new.status.value,
                    previous_period=old.period,
                    previous_quantity=old.quantity,
                    moved_with="" if new.id == changed_line else changed_line,
                )
            )
        return changed[0][1]

    def no_show(self, reservation_id: str) -> None:
        reservation = self._load(reservation_id, for_update=True)
        now = self._now()
        reservation = reservation.no_show(now).clear_flag(now)
        self._reservations.save(reservation)
        self._record(ReservationNoShow(**_event_fields(reservation)))

    def flag(self, reservation_id: str, reason: str, code: str = "other") -> None:
        reservation = self._reservations.get_for_update(reservation_id)
        if reservation is None or not reservation.status.may_hold_capacity:
            # Unknown, or no longer live (cancelled meanwhile): nothing for staff to fix.
            return
        reservation = reservation.flag(reason, self._now(), code)
        self._reservations.save(reservation)

    def forget_typed_details(self, reservation_id: str) -> None:
        """Staff reviewed what was typed at booking: it goes (it is personal data the profile
        does not hold, kept only for that review)."""
        reservation = self._load(reservation_id, for_update=True)
        forgotten = reservation.forget_typed_details(self._now())
        if forgotten is not reservation:
            self._reservations.save(forgotten)

    def forget_typed_details_of_customer(self, customer_id: str) -> int:
        """The customer was anonymised: what was typed on their bookings goes too. Returns
        how many bookings had some."""
        forgotten = 0
        for reservation_id in self._reservations.with_typed_details(customer_id):
            self.forget_typed_details(reservation_id)
            forgotten += 1
        return forgotten

    def forget_personal_text_of_customer(self, customer_id: str) -> list[str]:
        """The customer was anonymised: every free text Booking keeps about them — on their
        bookings (cancellation reasons, flags, what was typed at booking) and in the
        `ReservationCancelled` messages it published (their `reason`) — becomes
        ANONYMISED_TEXT. Returns the IDs of all the customer's reservations (for the modules
        below, e.g. Inventory's damage notes). No event: nothing changed that others follow."""
        ids = self._reservations.ids_of_customer(customer_id)
        for reservation_id in ids:
            reservation = self._load(reservation_id, for_update=True)
            forgotten = reservation.forget_personal_text(self._now(), ANONYMISED_TEXT)
            if forgotten is not reservation:
                self._reservations.save(forgotten)
        outbox.redact_payloads(
            ReservationCancelled.event_type,
            {"reservation_id": set(ids)},
            {"reason": ANONYMISED_TEXT},
        )
        return ids

    def clear_flag(self, reservation_id: str, code: str | None = None) -> None:
        """Clear the flag; with `code`, only a flag of that kind (news that a problem of that
        kind is solved must not clear a different one)."""
        reservation = self._load(reservation_id, for_update=True)
        cleared = reservation.clear_flag(self._now(), code)
        if cleared is not reservation:
            self._reservations.save(cleared)


class OnlineBooking:
    """The public journey's one state change: find or register the customer by e-mail and
    make the hold, together.

    The e-mail is not an identity: anyone can type anyone's. A known e-mail books under that
    customer with the stored profile as it is (never overwritten, never shown); what was typed
    differently goes on the reservation for staff to review. A customer who may not book gets
    the same neutral refusal as the other refusals about an account."""

    def __init__(self, customers: CustomerFacade, reservations: ReservationCommands) -> None:
        self._customers = customers
        self._reservations = reservations

    def book(self, cmd: BookOnline) -> str:
        """Returns the new booking's reference (its public ID, for the customer's links)."""
        return self.book_order(
            BookOrderOnline(
                cmd.customer,
                (OrderLine(cmd.quantity, equipment_type_id=cmd.equipment_type_id),),
                cmd.period,
                cmd.basis,
                cmd.manage_token,
                cmd.origin_key,
            )
        )

    def book_order(self, cmd: BookOrderOnline) -> str:
        """A cart checked out: the order's reference. OrderShort when a line does not fit
        (nothing written, no customer registered)."""
        try:
            match = self._customers.ensure_customer_for_booking(cmd.customer)
        except ValidationError as exc:
            if "customer" in exc.errors:  # the account, not a field the visitor can fix
                raise ConflictError(self._reservations.refusal()) from None
            raise
        typed = match.typed
        return self._reservations.place_order(
            PlaceOrder(
                match.customer_id,
                cmd.lines,
                cmd.period,
                cmd.basis,
                cmd.manage_token,
                channel=cmd.channel,
                origin_key=cmd.origin_key,
                customer_known=match.known,
                typed_details=TypedDetails.of(
                    {f: getattr(typed, f) for f in TYPED_FIELDS}, match.differences
                )
                if match.differences
                else None,
            )
        ).reference


@dataclass(frozen=True, slots=True)
class BookOrderForCustomer:
    """Staff order for a phone or walk-in customer: several lines (types or kits) for one
    period, for an existing customer (`customer_id`) or a new one registered from
    `new_customer` — confirmed at once (no hold), or with `quote` saved as a quote that holds
    nothing until it is turned into a booking. One transaction: a refused order (a short
    line: OrderShort) leaves nothing behind, not even the new customer."""

    lines: tuple[OrderLine, ...]
    period: TimeRange
    basis: PricingBasis
    form_token: str  # the form's own token: the same form sent twice books once
    customer_id: str | None = None
    new_customer: CustomerDetailsInput | None = None
    quote: bool = False


class StaffOrder:
    """Staff book an order for a customer (a phone call, a walk-in): find or register the
    customer and make the order, together — channel STAFF (none of the online caps, no
    request for large shares of a fleet), every line checked under the types' locks, and
    confirmed in the same transaction; or a quote (QUOTED), which holds nothing and is checked
    again when confirmed."""

    def __init__(self, customers: CustomerFacade, reservations: ReservationCommands) -> None:
        self._customers = customers
        self._reservations = reservations

    def book(self, cmd: BookOrderForCustomer) -> str:
        """Returns the new order's ID (its first line's) — the one this form made already,
        when it is sent twice (before a new customer would be registered a second time)."""
        earlier = self._reservations.made_by_form(cmd.form_token)
        if earlier is not None:
            return earlier
        if cmd.customer_id:
            customer_id = cmd.customer_id
            self._reservations.check_customer(customer_id)
        elif cmd.new_customer is not None:
            customer_id = self._customers.register_customer(RegisterCustomer(cmd.new_customer))
        else:
            raise ValidationError(
                "Choose a customer, or enter a new customer's details.", field="customer"
            )
        order = self._reservations.place_order(
            PlaceOrder(
                customer_id,
                cmd.lines,
                cmd.period,
                cmd.basis,
                cmd.form_token,
                channel=BookingChannel.STAFF,
                quote=cmd.quote,
            )
        )
        if order.status is ReservationStatus.PENDING:
            # Placed under the types' locks a moment ago in this transaction: confirmed at once.
            self._reservations.confirm(ConfirmReservation(order.first.id, approve=True))
        return order.id


class CounterCommands:
    """The shop counter: hand-over, return and no-show, where the reservation (Booking) and
    the items (Inventory) change together. Each locks the reservation first, so it
    serialises with a cancellation of the same booking."""

    def __init__(
        self,
        reservations: ReservationCommands,
        inventory: InventoryFacade,
        fees: FeeQuote | None = None,
        clock: Clock = utcnow,
        deposits: DepositGate | None = None,
    ) -> None:
        self._reservations = reservations
        self._inventory = inventory
        # Payments' cancellation fee rule (PaymentsFacade.part_cancellation_quote); none without.
        self._fees = fees
        self._now = clock
        self._deposits = deposits

    def _states(self, reservation_id: str) -> set[str]:
        return {a.status for a in self._inventory.list_allocations_for_reservation(reservation_id)}

    def hand_over(self, cmd: HandOver) -> None:
        """Only within the pick-up window (refused before anything changes), then the items
        go out and the booking is ON_HIRE, in one transaction."""
        reservation = self._reservations.lock_confirmed(
            cmd.reservation_id, "handed over", on_hire=True
        )
        self._reservations.ensure_pickup_open(reservation)
        # The deposit (Payments): refused when required and not paid, else asked together
        # with an early pick-up's warning (one confirmation page for both).
        deposit = (
            self._deposits.warnings(reservation.order_id or reservation.id)
            if self._deposits
            else []
        )
        try:
            self._inventory.check_out_reservation(
                cmd.reservation_id, cmd.actor, cmd.confirmed_warnings
            )
        except NeedsConfirmation as exc:
            unconfirmed = [w for w in deposit if w.code not in cmd.confirmed_warnings]
            raise NeedsConfirmation([*unconfirmed, *exc.warnings]) from None
        ensure_confirmed(deposit, cmd.confirmed_warnings)
        self._reservations.hand_over(reservation)

    def hand_over_order(self, cmd: HandOver) -> list[str]:
        """Every line of the reservation's order whose items are ready goes out together (one
        transaction: a line refused — outside its pick-up window, or an early pick-up not
        confirmed — refuses all). Returns the references handed over."""
        order = self._reservations.lock_order_of(cmd.reservation_id)
        ready = [
            line
            for line in order.lines
            if line.status in (ReservationStatus.CONFIRMED, ReservationStatus.ON_HIRE)
            and "ALLOCATED" in self._states(line.id)
        ]
        if not ready:
            raise ConflictError(
                f"Nothing of {order.reference} is ready to hand over: its items are not "
                "allocated yet, or everything is out already."
            )
        for line in ready:
            self.hand_over(replace(cmd, reservation_id=line.id))
        return [line.reference for line in ready]

    def take_back(self, cmd: TakeBack) -> int:
        """Items return to AVAILABLE (or MAINTENANCE when damaged); when everything handed
        over is back the reservation is completed. Returns how many items are still out.
        Only after a hand-over (the booking is ON_HIRE)."""
        reservation = self._reservations.lock_confirmed(
            cmd.reservation_id, "returned", on_hire=True
        )
        if not reservation.on_hire or "PICKED_UP" not in self._states(cmd.reservation_id):
            raise ConflictError(
                "Nothing of this booking is out with the customer: hand it over first, or "
                "mark it as a no-show."
            )
        still_out = self._inventory.check_in_reservation(
            cmd.reservation_id, cmd.damaged, cmd.actor, cmd.returned
        )
        if still_out == 0:
            self._reservations.complete(CompleteReservation(cmd.reservation_id))
        return still_out

    def cancel(self, cmd: CancelReservation) -> None:
        """Cancel (staff: this line; the customer, before the start: the whole order). A
        booking on hire is refused by its status; and whatever the status says, a booking
        with equipment out is never cancelled — a cancellation must not free a unit that is
        with the customer."""
        if cmd.by_customer or cmd.whole_order:
            self._cancel_order(cmd)
            return
        if cmd.charge_fee:
            # One line of the order: its share of the fee, as when the customer takes it out.
            order = self._reservations.lock_order_of(cmd.reservation_id)
            line = next(r for r in order.lines if r.id == cmd.reservation_id)
            fee, before = self._fee([line], order)
            cmd = replace(cmd, fee=fee, fees_before=before)
        self._cancel_line(cmd)

    def _cancel_order(self, cmd: CancelReservation) -> None:
        """Every line of the reservation's order that is still to come, all or nothing (a
        line refused refuses the order: the transaction rolls back). The customer's
        cancellation fee (on the order's confirmed lines) goes with the first line."""
        order = self._reservations.lock_order_of(cmd.reservation_id)
        lines = [r for r in order.lines if r.can_cancel or r.on_hire] or [order.first]
        fee, before = self._fee(lines) if cmd.charge_fee or cmd.by_customer else (None, None)
        _ensure_fee_seen(cmd.seen_fee, fee, "Cancelling", "Nothing was cancelled", "cancel")
        for n, line in enumerate(lines):
            self._cancel_line(
                replace(cmd, reservation_id=line.id, fee=fee, fees_before=before)
                if n == 0
                else replace(cmd, reservation_id=line.id, fee=None)
            )

    def fee_quote(
        self, lines: list[Reservation], order: Order | None = None
    ) -> CancellationQuote | None:
        """What cancelling `lines` now costs, by Payments' rule: only confirmed lines were
        charged, so only they carry a fee (a hold or a request cancels free: None). `order`:
        the lines are only part of it (an item taken out, one line cancelled by staff), and
        they cost their part of the fee (Payments' domain/part_cancellation.py)."""
        charged = [r for r in lines if r.status is ReservationStatus.CONFIRMED]
        if self._fees is None or not charged:
            return None
        ids = {r.id for r in charged}
        rest = [
            r
            for r in (order.lines if order is not None else ())
            if r.status is ReservationStatus.CONFIRMED and r.id not in ids
        ]
        part = _total(charged)
        first = charged[0]
        return self._fees(
            first.order_id or first.id,
            part,
            part + _total(rest) if rest else part,
            min(r.period.start for r in charged),
            self._now(),
        )

    def _fee(
        self, lines: list[Reservation], order: Order | None = None
    ) -> tuple[Money | None, Money | None]:
        """The fee cancelling `lines` charges now (None: free) and, for a FIXED fee, the fees
        the order had been charged already (the command's `fee` and `fees_before`)."""
        quote = self.fee_quote(lines, order)
        if quote is None or quote.is_free:
            return None, None
        return quote.fee, quote.charged

    @staticmethod
    def item_of(order: Order, line: Reservation) -> list[Reservation]:
        """What taking `line` out of the order takes: the line, or every line of its kit (a
        kit is booked whole)."""
        return [
            r for r in order.lines if r.id == line.id or (line.kit_id and r.kit_id == line.kit_id)
        ]

    def remove_item(self, cmd: CancelReservation) -> list[str]:
        """The customer takes one item out of an order of several: the line, or every line
        of its kit (a kit is booked whole). Only while the customer may cancel, and never
        the last item (that is cancelling the booking). Within the payment policy's fee window
        it costs the item's part of the cancellation fee, carried by its first line's event;
        `seen_fee` as for cancelling. All or nothing; returns the references removed."""
        order = self._reservations.lock_order_of(cmd.reservation_id)
        line = next(r for r in order.lines if r.id == cmd.reservation_id)
        item = self.item_of(order, line)
        remaining = [r for r in order.live_lines if r not in item and r.status is not S_CANCELLED]
        if line.status is S_CANCELLED:
            raise ConflictError(f"{line.reference} is not in the booking any more.")
        if not remaining:
            raise ConflictError("That is the last item of the booking: cancel the booking instead.")
        fee, before = self._fee(item, order)
        _ensure_fee_seen(cmd.seen_fee, fee, "Taking it out", "Nothing was removed", "remove it")
        for n, part in enumerate(item):
            self._cancel_line(
                replace(cmd, reservation_id=part.id, by_customer=True, fee=fee, fees_before=before)
                if n == 0
                else replace(cmd, reservation_id=part.id, by_customer=True, fee=None)
            )
        return [part.reference for part in item]

    def _cancel_line(self, cmd: CancelReservation) -> None:
        reservation = self._reservations.lock_for_cancel(cmd.reservation_id)
        if reservation.status.may_hold_capacity and "PICKED_UP" in self._states(reservation.id):
            raise ConflictError(ON_HIRE_NOT_CANCELLED.format(reference=reservation.reference))
        self._reservations.cancel(cmd)

    def no_show(self, reservation_id: str) -> None:
        """The customer never came: only after the start, with nothing handed over."""
        self._reservations.lock_confirmed(reservation_id, "marked as a no-show", on_hire=True)
        self._ensure_nothing_handed_over(reservation_id, "marked as a no-show")
        self._reservations.no_show(reservation_id)

    def change_type(self, cmd: ChangeReservationType) -> None:
        """Serve a confirmed booking (nothing handed over yet) with another type."""
        self._ensure_nothing_handed_over(cmd.reservation_id, "moved to another type")
        self._reservations.change_type(cmd)

    def _ensure_nothing_handed_over(self, reservation_id: str, action: str) -> None:
        if self._states(reservation_id) & {"PICKED_UP", "RETURNED"}:
            raise ConflictError(
                f"Equipment of this booking was handed over, so it cannot be {action}: "
                "take it back instead."
            )


def _total(lines: list[Reservation]) -> Money:
    total = lines[0].total
    for r in lines[1:]:
        total = total + r.total
    return total


def _ensure_fee_seen(
    seen: Decimal | None, fee: Money | None, doing: str, nothing_done: str, again: str
) -> None:
    """The customer confirms the fee their page showed (`seen`, None: not asked): a
    different fee now refuses it (ConflictError naming the new amount; nothing changes)."""
    now_costs = fee.amount if fee is not None else Decimal(0)
    if seen is not None and now_costs != seen:
        raise ConflictError(
            f"{doing} now costs {fee.format() if fee else 'nothing'}, not what the page "
            f"showed a moment ago. {nothing_done}: look at the new amount and {again} again "
            "if you still want to."
        )


@dataclass(frozen=True, slots=True)
class _Part:
    """What a line books of one equipment type: a reservation of the order."""

    equipment_type_id: str
    quantity: int
    quote: FrozenQuote


@dataclass(frozen=True, slots=True)
class _PlannedLine:
    line: OrderLine
    name: str
    parts: tuple[_Part, ...]

    @property
    def demand(self) -> LineDemand:
        per_unit = self.line.quantity
        return LineDemand(
            per_unit,
            tuple(Need(p.equipment_type_id, p.quantity // per_unit) for p in self.parts),
        )


def _order_short(planned: list[_PlannedLine], short: dict[int, int]) -> str:
    """What does not fit, line by line ("Generator: only 1 free, you asked for 2.")."""
    if len(planned) == 1:
        free, asked = short[0], planned[0].line.quantity
        if free == 0:
            return "None are left for that period."
        return f"Only {free} left for that period; you asked for {asked}."
    parts = [
        f"{planned[i].name}: "
        + (f"only {free} free" if free else "none free")
        + f", you asked for {planned[i].line.quantity}."
        for i, free in sorted(short.items())
    ]
    return "Not everything is free for that period. " + " ".join(parts)


S_CANCELLED = ReservationStatus.CANCELLED


def _left(free: int, quantity: int) -> str:
    if free <= 0:
        return "None are left for that period."
    return f"Only {free} left for that period; you asked for {quantity}."


def _short(free: int, quantity: int) -> str:
    """A change that does not fit, in words naming what is free."""
    if free <= 0:
        return "None are free for that period (besides this booking's own)."
    return f"Only {free} free for that period; you asked for {quantity}."


def freeze(quote) -> FrozenQuote:
    """Copy the Pricing module's quote into booking's own frozen record."""
    return FrozenQuote(
        lines=tuple(PriceLine(line.label, line.amount) for line in quote.lines),
        subtotal=quote.subtotal,
        discounts=tuple(PriceLine(line.label, line.amount) for line in quote.discounts),
        deposit=quote.deposit,
        total=quote.total,
        notes=tuple(quote.notes),
    )
