"""Commands of the Booking module. Each runs in one transaction (the facade's unit of work)
and returns at most the new reservation's ID."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from rental.booking.application.availability import AvailabilityService
from rental.booking.domain.events import (
    ReservationCancelled,
    ReservationCompleted,
    ReservationConfirmed,
    ReservationCreated,
    ReservationExpired,
)
from rental.booking.domain.models import (
    FrozenQuote,
    PriceLine,
    PricingBasis,
    Reservation,
    ReservationStatus,
    new_reference,
)
from rental.booking.infrastructure.repositories import ReservationRepository
from rental.customers import CustomerFacade
from rental.shared import outbox
from rental.shared.errors import ConflictError, NotFoundError, ValidationError
from rental.shared.time_range import TimeRange, utcnow


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class CreateReservation:
    customer_id: str
    equipment_type_id: str
    period: TimeRange
    quantity: int
    basis: PricingBasis
    manage_token: str  # chosen by the caller; only its hash is stored


@dataclass(frozen=True, slots=True)
class ConfirmReservation:
    reservation_id: str


@dataclass(frozen=True, slots=True)
class CancelReservation:
    reservation_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class CompleteReservation:
    reservation_id: str


def _event_fields(r: Reservation) -> dict:
    return {
        "reservation_id": r.id,
        "reference": r.reference,
        "customer_id": r.customer_id,
        "equipment_type_id": r.equipment_type_id,
        "period": r.period,
        "quantity": r.quantity,
        "total": r.quote.total,
    }


class ReservationCommands:
    def __init__(
        self,
        reservations: ReservationRepository,
        availability: AvailabilityService,
        customers: CustomerFacade,
        hold_minutes: int,
    ) -> None:
        self._reservations = reservations
        self._availability = availability
        self._customers = customers
        self._hold = timedelta(minutes=hold_minutes)

    # --- create ---------------------------------------------------------------------------

    def create(self, cmd: CreateReservation) -> str:
        now = utcnow()
        if len(cmd.manage_token) < 16:
            raise ValueError("manage_token is too short to be unguessable")
        self._check_customer(cmd.customer_id)
        self._availability.validate(cmd.equipment_type_id, cmd.period, cmd.basis, cmd.quantity, now)
        quote = self._availability.price(
            cmd.equipment_type_id, cmd.period, cmd.quantity, cmd.customer_id
        )
        # From here to commit, competing bookings of this type wait for us.
        self._reservations.lock_equipment_type(cmd.equipment_type_id)
        # The same form sent twice (double click, reload) carries the same token: one hold.
        existing = self._reservations.id_for_token_hash(hash_token(cmd.manage_token))
        if existing is not None:
            return existing
        self._availability.ensure_capacity(cmd.equipment_type_id, cmd.period, cmd.quantity, now)
        reservation = Reservation(
            id=str(uuid.uuid4()),
            reference=self._unique_reference(),
            customer_id=cmd.customer_id,
            equipment_type_id=cmd.equipment_type_id,
            period=cmd.period,
            quantity=cmd.quantity,
            basis=cmd.basis,
            quote=freeze(quote),
            status=ReservationStatus.PENDING,
            created_at=now,
            updated_at=now,
            hold_expires_at=now + self._hold,
            manage_token_hash=hash_token(cmd.manage_token),
        )
        self._reservations.add(reservation)
        outbox.record(
            ReservationCreated(
                **_event_fields(reservation), hold_expires_at=reservation.hold_expires_at
            )
        )
        return reservation.id

    def _check_customer(self, customer_id: str) -> None:
        try:
            customer = self._customers.get_customer_by_id(customer_id)
        except NotFoundError:
            raise ValidationError("We could not find that customer.", field="customer") from None
        if not customer.can_book:
            raise ValidationError(
                "This customer account cannot make bookings at the moment. Please contact us.",
                field="customer",
            )

    def _unique_reference(self) -> str:
        for _ in range(10):
            reference = new_reference()
            if not self._reservations.reference_exists(reference):
                return reference
        raise ConflictError("Could not allocate a booking reference; please try again.")

    # --- lifecycle ------------------------------------------------------------------------

    def _load(self, reservation_id: str) -> Reservation:
        reservation = self._reservations.get(reservation_id)
        if reservation is None:
            raise NotFoundError("That reservation does not exist.")
        return reservation

    def confirm(self, cmd: ConfirmReservation) -> None:
        now = utcnow()
        reservation = self._load(cmd.reservation_id)
        if reservation.status is ReservationStatus.PENDING and not reservation.hold_is_live(now):
            # The hold ran out before the customer confirmed: if the equipment is still free,
            # confirming is what they want; otherwise say so.
            self._reservations.lock_equipment_type(reservation.equipment_type_id)
            self._availability.ensure_capacity(
                reservation.equipment_type_id,
                reservation.period,
                reservation.quantity,
                now,
                exclude_id=reservation.id,
                expired_hold=True,
            )
        reservation.confirm(now)
        self._reservations.save(reservation)
        buffer = self._availability.buffer(reservation.equipment_type_id)
        outbox.record(
            ReservationConfirmed(
                **_event_fields(reservation), occupied_until=reservation.period.end + buffer
            )
        )

    def cancel(self, cmd: CancelReservation) -> None:
        now = utcnow()
        reservation = self._load(cmd.reservation_id)
        reservation.cancel(cmd.reason, now)
        self._reservations.save(reservation)
        outbox.record(
            ReservationCancelled(
                **_event_fields(reservation), reason=reservation.cancellation_reason or ""
            )
        )

    def complete(self, cmd: CompleteReservation) -> None:
        now = utcnow()
        reservation = self._load(cmd.reservation_id)
        reservation.complete(now)
        self._reservations.save(reservation)
        outbox.record(ReservationCompleted(**_event_fields(reservation)))

    def expire_stale_holds(self, now: datetime | None = None) -> int:
        now = now or utcnow()
        expired = self._reservations.expired_holds(now)
        for reservation in expired:
            reservation.expire(now)
            self._reservations.save(reservation)
            outbox.record(ReservationExpired(**_event_fields(reservation)))
        return len(expired)

    def flag(self, reservation_id: str, reason: str) -> None:
        reservation = self._reservations.get(reservation_id)
        if reservation is None:
            return  # nothing to flag (e.g. a test message); the event is still consumed
        reservation.flag(reason, utcnow())
        self._reservations.save(reservation)

    def clear_flag(self, reservation_id: str) -> None:
        reservation = self._load(reservation_id)
        reservation.clear_flag(utcnow())
        self._reservations.save(reservation)


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
