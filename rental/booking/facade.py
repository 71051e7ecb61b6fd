"""BookingFacade: the only entry point to the Booking module for other modules and the web."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from rental.booking.application.availability import AvailabilityService, CheckAvailability
from rental.booking.application.commands import (
    CancelReservation,
    ChangeReservationType,
    CompleteReservation,
    ConfirmReservation,
    CreateReservation,
    ReservationCommands,
    hash_token,
)
from rental.booking.application.dto import (
    AvailabilityResult,
    ReservationDetails,
    ReservationPage,
    SwapOption,
    UsagePoint,
)
from rental.booking.domain.availability import sweep_peak
from rental.booking.domain.models import Reservation
from rental.booking.domain.policy import BookingPolicy
from rental.booking.infrastructure.repositories import (
    ReservationFilter,
    ReservationRepository,
)
from rental.catalog import CatalogFacade
from rental.customers import CustomerFacade
from rental.inventory import BookedDemand, InventoryFacade
from rental.pricing import PricingFacade
from rental.shared.db import unit_of_work
from rental.shared.errors import ConflictError, DomainError, NotFoundError
from rental.shared.time_range import TimeRange, utcnow


@dataclass(frozen=True, slots=True)
class ListReservations:
    status: str | None = None
    equipment_type_id: str | None = None
    customer_id: str | None = None
    starts_from: datetime | None = None
    starts_before: datetime | None = None
    needs_attention: bool | None = None
    reference: str | None = None
    statuses: tuple[str, ...] = ()
    origin_key: str | None = None
    oldest_first: bool = False
    page: int = 1
    page_size: int = 25


def policy_from_config() -> BookingPolicy:
    config: dict[str, Any] = dict(current_app.config) if has_app_context() else {}
    return BookingPolicy(
        timezone=ZoneInfo(config.get("BUSINESS_TIMEZONE", "UTC")),
        slot_minutes=int(config.get("BOOKING_SLOT_MINUTES", 15)),
        max_duration=timedelta(days=int(config.get("BOOKING_MAX_DAYS", 90))),
        hold_minutes=int(config.get("BOOKING_HOLD_MINUTES", 15)),
        horizon=timedelta(days=int(config.get("BOOKING_HORIZON_DAYS", 365))),
        online_max_share=float(config.get("BOOKING_ONLINE_MAX_SHARE", 0.5)),
        open_per_customer=int(config.get("BOOKING_OPEN_PER_EMAIL", 3)),
        open_per_origin=int(config.get("BOOKING_OPEN_PER_IP", 5)),
    )


def _details(r: Reservation) -> ReservationDetails:
    # The read model is the domain model's fields minus the token hash.
    return ReservationDetails(**{f.name: getattr(r, f.name) for f in fields(ReservationDetails)})


class BookingFacade:
    def __init__(self, policy: BookingPolicy | None = None) -> None:
        self.policy = policy or policy_from_config()
        self._reservations = ReservationRepository()
        self.inventory = InventoryFacade()
        self.catalog = CatalogFacade()
        self._availability = AvailabilityService(
            self._reservations,
            self.catalog,
            self.inventory,
            PricingFacade(),
            self.policy,
        )
        self._commands = ReservationCommands(
            self._reservations, self._availability, CustomerFacade(), self.policy.hold_minutes
        )

    @property
    def commands(self) -> ReservationCommands:
        """The reservation commands on the current session (the event handlers use them)."""
        return self._commands

    # --- queries ----------------------------------------------------------------------------

    def check_availability(self, query: CheckAvailability) -> AvailabilityResult:
        return self._availability.check(query)

    def get_reservation(self, reservation_id: str) -> ReservationDetails:
        reservation = self._reservations.get(reservation_id)
        if reservation is None:
            raise NotFoundError("That reservation does not exist.")
        return _details(reservation)

    def get_reservation_for_customer(self, reference: str, token: str) -> ReservationDetails:
        """The customer's manage link: reference plus the unguessable token (compared in
        constant time). Wrong either way is the same NotFoundError."""
        reservation = self._reservations.get_by_reference(reference)
        if reservation is None or not hmac.compare_digest(
            reservation.manage_token_hash, hash_token(token)
        ):
            raise NotFoundError(
                "This booking link is not valid. Check the link in your confirmation."
            )
        return _details(reservation)

    def cancel_open_reservations(self, reservation_ids: list[str], reason: str) -> list[str]:
        """Staff clearing open holds and requests: each in its own transaction, so one that
        was confirmed meanwhile is left alone and does not stop the others. Returns the IDs
        not cancelled."""
        refused = []
        for reservation_id in reservation_ids:
            try:
                with unit_of_work():
                    self._commands.cancel(
                        CancelReservation(reservation_id, reason, only_if_open=True)
                    )
            except (ConflictError, NotFoundError):
                refused.append(reservation_id)
        return refused

    def list_reservations(self, query: ListReservations) -> ReservationPage:
        page = max(query.page, 1)
        page_size = min(max(query.page_size, 1), 100)
        items, total = self._reservations.search(
            ReservationFilter(
                status=query.status,
                equipment_type_id=query.equipment_type_id,
                customer_id=query.customer_id,
                starts_from=query.starts_from,
                starts_before=query.starts_before,
                needs_attention=query.needs_attention,
                reference=query.reference,
                statuses=query.statuses,
                origin_key=query.origin_key,
                order="created_asc" if query.oldest_first else "start_desc",
            ),
            page,
            page_size,
        )
        return ReservationPage(tuple(_details(r) for r in items), total, page, page_size)

    def export_for_customer(self, customer_id: str) -> list[dict[str, Any]]:
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
            }
            for r in self._reservations.for_customer(customer_id)
        ]

    def references(self, reservation_ids: set[str]) -> dict[str, str]:
        """Reservation id -> human reference, for labelling other modules' data."""
        return self._reservations.references(reservation_ids)

    def turnaround(self, equipment_type_id: str) -> timedelta:
        return self.inventory.get_turnaround(equipment_type_id)

    def booked_demand(self, equipment_type_id: str, window: TimeRange) -> list[BookedDemand]:
        """Live bookings of the type meeting `window` (holds and confirmed): what Inventory
        weighs a change of the fleet against (registered as its demand source)."""
        buffer = self.inventory.get_turnaround(equipment_type_id)
        return [
            BookedDemand(
                r.id,
                r.reference,
                TimeRange(r.period.start, r.period.end + buffer),
                r.quantity,
                r.status.value,
            )
            for r in self._reservations.usage_in(equipment_type_id, window, utcnow())
        ]

    def usage_profile(self, equipment_type_id: str, window: TimeRange) -> list[UsagePoint]:
        """Usage (units held) against capacity at every change point in `window`, for the
        staff timeline."""
        now = utcnow()
        buffer = self.inventory.get_turnaround(equipment_type_id)
        occupancies = self._reservations.occupancies(equipment_type_id, window, buffer, now)
        profile = self.inventory.get_capacity_profile(equipment_type_id, window)
        moments = {window.start}
        for occ in occupancies:
            moments.update(m for m in (occ.period.start, occ.period.end) if window.contains(m))
        for _, w in profile.unavailable:
            moments.update(m for m in (w.start, w.end) if window.contains(m))
        points = []
        ordered = sorted(moments)
        for i, moment in enumerate(ordered):
            end = ordered[i + 1] if i + 1 < len(ordered) else window.end
            if end <= moment:
                continue
            slot = TimeRange(moment, end)
            points.append(
                UsagePoint(moment, sweep_peak(occupancies, slot).peak, profile.capacity_for(slot))
            )
        return points

    # --- commands ---------------------------------------------------------------------------

    def create_reservation(self, cmd: CreateReservation) -> str:
        with unit_of_work():
            return self._commands.create(cmd)

    def confirm_reservation(self, reservation_id: str, *, approve: bool = False) -> None:
        """Confirm a hold; staff pass `approve=True` to confirm a request."""
        with unit_of_work():
            self._commands.confirm(ConfirmReservation(reservation_id, approve))

    def cancel_reservation(self, reservation_id: str, reason: str) -> None:
        with unit_of_work():
            self._commands.cancel(CancelReservation(reservation_id, reason))

    def complete_reservation(self, reservation_id: str) -> None:
        with unit_of_work():
            self._commands.complete(CompleteReservation(reservation_id))

    def expire_stale_holds(self) -> int:
        with unit_of_work():
            return self._commands.expire_stale_holds()

    def flag_reservation(self, reservation_id: str, reason: str, code: str = "other") -> None:
        with unit_of_work():
            self._commands.flag(reservation_id, reason, code)

    def clear_attention(self, reservation_id: str, code: str | None = None) -> None:
        with unit_of_work():
            self._commands.clear_flag(reservation_id, code)

    def swap_options(self, reservation_id: str) -> list[SwapOption]:
        """Similar types (same category, offered, priced) free for the booking's period and
        quantity, with what the booking would cost there."""
        r = self.get_reservation(reservation_id)
        query = CheckAvailability(r.equipment_type_id, r.period, r.quantity, r.basis)
        options = []
        for option in self._availability.similar(query, utcnow()):
            try:
                quote = self._availability.price(
                    option.equipment_type_id, r.period, r.quantity, r.customer_id
                )
            except DomainError:
                continue
            if quote.total.currency != r.total.currency:
                continue
            options.append(
                SwapOption(
                    option.equipment_type_id,
                    option.name,
                    option.remaining_capacity,
                    quote.total,
                    quote.total - r.total,
                )
            )
        return options

    def change_type(self, reservation_id: str, equipment_type_id: str) -> None:
        """Staff: serve a confirmed booking (nothing handed over yet) with another type, at
        that type's price; Inventory re-plans both fleets."""
        with unit_of_work():
            self._ensure_nothing_handed_over(reservation_id, "moved to another type")
            self._commands.change_type(ChangeReservationType(reservation_id, equipment_type_id))

    def _ensure_nothing_handed_over(self, reservation_id: str, action: str) -> None:
        out = [
            a
            for a in self.inventory.list_allocations_for_reservation(reservation_id)
            if a.status in ("PICKED_UP", "RETURNED")
        ]
        if out:
            raise ConflictError(
                f"Equipment of this booking was handed over, so it cannot be {action}: "
                "take it back instead."
            )

    def mark_no_show(self, reservation_id: str) -> None:
        """Staff: the customer never came. Only for a confirmed booking whose rental has
        started and of which nothing was handed over; its equipment is free again."""
        with unit_of_work():
            self._commands.lock_confirmed(reservation_id, "marked as a no-show")
            self._ensure_nothing_handed_over(reservation_id, "marked as a no-show")
            self._commands.no_show(reservation_id)

    def hand_over(self, reservation_id: str, actor: str) -> None:
        """Staff: the customer picked the equipment up (allocated items become ALLOCATED)."""
        with unit_of_work():
            self._commands.lock_confirmed(reservation_id, "handed over")
            self.inventory.check_out_reservation(reservation_id, actor)

    def take_back(
        self,
        reservation_id: str,
        damaged: dict[str, str],
        actor: str,
        returned: set[str] | None = None,
    ) -> int:
        """Staff: equipment came back. Items return to AVAILABLE (or MAINTENANCE when damaged);
        when everything handed over is back the reservation is completed — one transaction.
        `returned`: the item ids that came back when not all did (one unit still missing).
        Returns how many items are still out."""
        with unit_of_work():
            self._commands.lock_confirmed(reservation_id, "returned")
            states = {
                a.status for a in self.inventory.list_allocations_for_reservation(reservation_id)
            }
            if "PICKED_UP" not in states:
                raise ConflictError(
                    "Nothing of this booking is out with the customer: hand it over first, or "
                    "mark it as a no-show."
                )
            still_out = self.inventory.check_in_reservation(
                reservation_id, damaged, actor, returned
            )
            if still_out == 0:
                self._commands.complete(CompleteReservation(reservation_id))
            return still_out
