"""How Inventory follows reservations: allocate serial-numbered items when one is confirmed
(through the outbox), release them when it is cancelled, and the staff's check-out and
check-in at the counter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from rental.inventory.application.commands import AllocateItems, InventoryHandlers
from rental.inventory.domain.events import AllocationFailed, ItemsAllocated
from rental.inventory.domain.models import AllocationStatus, FollowedStatus, ItemStatus
from rental.inventory.infrastructure.repositories import (
    AllocationRepository,
    FollowedReservationRepository,
    ItemRepository,
)
from rental.shared import outbox
from rental.shared.errors import ConflictError, ValidationError
from rental.shared.events import Message
from rental.shared.time_range import TimeRange, utcnow


@dataclass(frozen=True, slots=True)
class ConfirmedReservation:
    """The fields Inventory reads from a ReservationConfirmed message."""

    reservation_id: str
    equipment_type_id: str
    period: TimeRange
    quantity: int

    @classmethod
    def from_message(cls, message: Message) -> ConfirmedReservation:
        p = message.payload
        start = datetime.fromisoformat(p["period"]["start"])
        # Booking sends how long the items stay out, turnaround (cleaning) included.
        end = datetime.fromisoformat(p.get("occupied_until") or p["period"]["end"])
        return cls(
            p["reservation_id"], p["equipment_type_id"], TimeRange(start, end), p["quantity"]
        )


class ReservationFollower:
    def __init__(self, session: Session, handlers: InventoryHandlers) -> None:
        self._handlers = handlers
        self._allocations = AllocationRepository(session)
        self._items = ItemRepository(session)
        self._followed = FollowedReservationRepository(session)

    def _newest(self, message: Message, status: FollowedStatus) -> bool:
        """True when the message is the newest news of its reservation (apply it); False when
        a later event was applied already (a stale confirmation must not allocate items to a
        booking that was cancelled meanwhile)."""
        followed = self._followed.lock(message.payload["reservation_id"])
        if not followed.accept(int(message.payload.get("sequence") or 0), status):
            return False
        self._followed.save(followed)
        return True

    def on_confirmed(self, message: Message) -> None:
        if not self._newest(message, FollowedStatus.CONFIRMED):
            return
        r = ConfirmedReservation.from_message(message)
        try:
            ids = self._handlers.allocate(
                AllocateItems(r.reservation_id, r.equipment_type_id, r.period, r.quantity)
            )
        except (ConflictError, ValidationError) as exc:
            # Nothing was written by allocate (it checks before it adds); tell Booking.
            outbox.record(
                AllocationFailed(
                    reservation_id=r.reservation_id,
                    equipment_type_id=r.equipment_type_id,
                    reason=f"Could not allocate items: {exc.message}",
                )
            )
            return
        outbox.record(
            ItemsAllocated(
                reservation_id=r.reservation_id,
                equipment_type_id=r.equipment_type_id,
                item_ids=ids,
            )
        )

    def release(self, message: Message) -> None:
        """Cancelled or expired: the items are free again for that period."""
        if not self._newest(message, FollowedStatus.RELEASED):
            return
        self._handlers.set_allocation_status(
            message.payload["reservation_id"], AllocationStatus.RELEASED
        )

    def on_completed(self, message: Message) -> None:
        """Completed: whatever was not checked in at the counter is recorded as returned."""
        if not self._newest(message, FollowedStatus.COMPLETED):
            return
        self.check_in(message.payload["reservation_id"], {}, "system")

    # --- at the counter -----------------------------------------------------------------------

    def check_out(self, reservation_id: str, actor: str) -> None:
        allocations = [
            a
            for a in self._allocations.for_reservation(reservation_id)
            if a.status is AllocationStatus.ALLOCATED
        ]
        if not allocations:
            raise ConflictError("There are no allocated items waiting to be picked up.")
        now = utcnow()
        for allocation in allocations:
            item = self._items.get(allocation.item_id, lock=True)
            if item is None:
                continue
            if item.status is not ItemStatus.AVAILABLE:
                raise ConflictError(
                    f"{item.serial_number} is {item.status.label.lower()} and cannot be handed "
                    "over; allocate another item first."
                )
            item.change_status(ItemStatus.ALLOCATED, "Picked up for a reservation", actor, now)
            self._items.save(item)
            self._allocations.set_status(allocation.id, AllocationStatus.PICKED_UP, now)

    def check_in(self, reservation_id: str, damaged: dict[str, str], actor: str) -> None:
        """Items come back: to AVAILABLE, or to MAINTENANCE with the damage noted."""
        now = utcnow()
        for allocation in self._allocations.for_reservation(reservation_id):
            if not allocation.holds_item:
                continue
            item = self._items.get(allocation.item_id, lock=True)
            if item is not None:
                if allocation.item_id in damaged:
                    item.mark_damaged(
                        damaged[allocation.item_id] or "Damaged on return", actor, now
                    )
                    self._items.save(item)
                elif item.status is ItemStatus.ALLOCATED:
                    item.change_status(ItemStatus.AVAILABLE, "Returned", actor, now)
                    self._items.save(item)
            self._allocations.set_status(allocation.id, AllocationStatus.RETURNED, now)
