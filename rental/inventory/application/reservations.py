"""How Inventory follows reservations: what Booking's events say is recorded per reservation
and the type's fleet is planned again (allocating, moving, releasing items); and the staff's
hand-over and return at the counter, which are the physical truth the planner works from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from rental.contracts.booking import (
    ReservationChanged,
    ReservationCompleted,
    ReservationConfirmed,
    ReservationEvent,
)
from rental.contracts.inventory import ReturnOverdue
from rental.inventory.application.planning import FleetPlanner
from rental.inventory.domain.models import (
    Allocation,
    AllocationStatus,
    FollowedReservation,
    FollowedStatus,
    ItemStatus,
)
from rental.inventory.infrastructure.repositories import (
    AllocationRepository,
    FollowedReservationRepository,
    ItemRepository,
)
from rental.shared import outbox
from rental.shared.errors import ConflictError
from rental.shared.time_range import utcnow


class ReservationFollower:
    def __init__(
        self,
        session: Session,
        planner: FleetPlanner,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._planner = planner
        self._allocations = AllocationRepository(session)
        self._items = ItemRepository(session)
        self._followed = FollowedReservationRepository(session)
        self._clock = clock

    def _follow(
        self, event: ReservationEvent, status: FollowedStatus
    ) -> FollowedReservation | None:
        """Record the event when it is the newest news of its reservation and return the
        record; None when a later event was applied already (a stale confirmation must not
        allocate items to a booking that was cancelled meanwhile)."""
        followed = self._followed.lock(event.reservation_id)
        if not followed.accept(event.sequence, status):
            return None
        followed = replace(
            followed,
            equipment_type_id=event.equipment_type_id,
            reference=event.reference or followed.reference,
            period=event.period,
            quantity=event.quantity,
        )
        self._followed.save(followed)
        return followed

    def on_confirmed(self, event: ReservationConfirmed) -> None:
        followed = self._follow(event, FollowedStatus.CONFIRMED)
        if followed is not None and followed.equipment_type_id:
            self._planner.replan(followed.equipment_type_id)

    def on_changed(self, event: ReservationChanged) -> None:
        """What has to be served changed (another type, period or quantity): items of a
        type it no longer needs are released, and both fleets are planned again."""
        before = self._followed.get(event.reservation_id)
        followed = self._follow(event, FollowedStatus.CONFIRMED)
        if followed is None or not followed.equipment_type_id:
            return
        types = {followed.equipment_type_id}
        if before is not None and before.equipment_type_id:
            types.add(before.equipment_type_id)
        for type_id in sorted(types):  # the planner's lock order
            self._planner.lock_type(type_id)
        now = self._clock()
        for allocation in self._allocations.for_reservation(followed.reservation_id):
            item = self._items.get(allocation.item_id)
            wrong_type = item is None or item.equipment_type_id != followed.equipment_type_id
            if allocation.status is AllocationStatus.ALLOCATED and wrong_type:
                self._allocations.update(replace(allocation, status=AllocationStatus.RELEASED), now)
        for type_id in sorted(types):
            self._planner.replan(type_id)

    def on_released(self, event: ReservationEvent) -> None:
        """Cancelled or expired: items held for it are free again — but one that was handed
        over stays out until it is checked in (physical truth)."""
        followed = self._follow(event, FollowedStatus.RELEASED)
        if followed is None or not followed.equipment_type_id:
            return
        self._planner.lock_type(followed.equipment_type_id)
        now = self._clock()
        for allocation in self._allocations.for_reservation(followed.reservation_id):
            if allocation.status is AllocationStatus.ALLOCATED:
                self._allocations.update(replace(allocation, status=AllocationStatus.RELEASED), now)
        self._planner.replan(followed.equipment_type_id)  # may serve bookings that were short

    def on_completed(self, event: ReservationCompleted) -> None:
        """Completed: whatever was not checked in at the counter is recorded as returned."""
        followed = self._follow(event, FollowedStatus.COMPLETED)
        if followed is not None:
            self.check_in(followed.reservation_id, {}, "system")

    # --- at the counter -----------------------------------------------------------------------

    def _lock_fleet_of(self, allocations: list[Allocation]) -> None:
        item = self._items.get(allocations[0].item_id)
        if item is not None:
            self._planner.lock_type(item.equipment_type_id)

    def check_out(self, reservation_id: str, actor: str) -> None:
        """The customer takes the items. Before the booking's start (an early pick-up) the
        items are out from now: the planner moves bookings in between to other items."""
        allocations = [
            a
            for a in self._allocations.for_reservation(reservation_id)
            if a.status is AllocationStatus.ALLOCATED
        ]
        if not allocations:
            raise ConflictError("There are no allocated items waiting to be picked up.")
        self._lock_fleet_of(allocations)
        now = self._clock()
        type_id = ""
        for allocation in allocations:
            item = self._items.get(allocation.item_id)
            if item is None:
                continue
            type_id = item.equipment_type_id
            if item.status is not ItemStatus.AVAILABLE:
                raise ConflictError(
                    f"{item.serial_number} is {item.status.label.lower()} and cannot be handed "
                    "over; re-allocate another item first."
                )
            item.change_status(ItemStatus.ALLOCATED, "Picked up for a reservation", actor, now)
            self._items.save(item)
            self._allocations.update(
                replace(allocation, status=AllocationStatus.PICKED_UP, picked_up_at=now), now
            )
        if type_id and now < allocations[0].period.start:
            self._planner.replan(type_id)

    def check_in(
        self,
        reservation_id: str,
        damaged: dict[str, str],
        actor: str,
        only: set[str] | None = None,
    ) -> int:
        """Items come back: to AVAILABLE, or to MAINTENANCE with the damage noted. `only`: the
        item ids that came back (a partial return); None: all of them. Items never handed over
        are released. Returns how many items are still out with the customer."""
        allocations = [a for a in self._allocations.for_reservation(reservation_id) if a.holds_item]
        if not allocations:
            return 0
        # Lock order as for Booking's events: the booking's record first, then its fleet.
        followed = self._followed.lock(reservation_id)
        self._lock_fleet_of(allocations)
        now = self._clock()
        type_id = ""
        still_out = 0
        for allocation in allocations:
            if only is not None and allocation.item_id not in only:
                still_out += allocation.status is AllocationStatus.PICKED_UP
                continue
            item = self._items.get(allocation.item_id)
            if item is not None:
                type_id = item.equipment_type_id
                if allocation.item_id in damaged:
                    what = damaged[allocation.item_id] or "Damaged on return"
                    item.mark_damaged(what, actor, now)
                    self._items.save(item)
                elif item.status is ItemStatus.ALLOCATED:
                    item.change_status(ItemStatus.AVAILABLE, "Returned", actor, now)
                    self._items.save(item)
            if allocation.status is AllocationStatus.PICKED_UP:
                back = replace(allocation, status=AllocationStatus.RETURNED, returned_at=now)
            else:  # never handed over (completed without a pick-up): nothing came back
                back = replace(allocation, status=AllocationStatus.RELEASED)
            self._allocations.update(back, now)
        if still_out == 0 and followed.status is FollowedStatus.CONFIRMED:
            # Everything handed over is back: nothing more to serve for this booking (Booking
            # completes it; its event will say the same later).
            self._followed.save(replace(followed, status=FollowedStatus.COMPLETED))
        if type_id:
            self._planner.replan(type_id)  # returned items may serve bookings that were short
        return still_out

    # --- overdue returns ------------------------------------------------------------------------

    def notice_overdue(self) -> int:
        """Items whose booking has ended but that have not come back: Booking is told once
        (ReturnOverdue), and the fleet is planned again — the item counts as out until it is
        returned, so the next booking gets another one (or is flagged)."""
        now = self._clock()
        overdue: list[tuple[Allocation, datetime]] = []
        for allocation in self._allocations.out_not_yet_overdue(started_before=now):
            followed = self._followed.get(allocation.reservation_id)
            ends = followed.period.end if followed and followed.period else allocation.period.end
            if now >= ends:
                overdue.append((allocation, ends))
        items = {a.item_id: self._items.get(a.item_id) for a, _ in overdue}
        types = sorted({i.equipment_type_id for i in items.values() if i is not None})
        for type_id in types:  # the planner's lock order: one type after the other, sorted
            self._planner.lock_type(type_id)
        for allocation, ends in overdue:
            item = items[allocation.item_id]
            if item is None:
                continue
            self._allocations.update(replace(allocation, overdue_noticed_at=now), now)
            outbox.record(
                ReturnOverdue(
                    reservation_id=allocation.reservation_id,
                    equipment_type_id=item.equipment_type_id,
                    serial_number=item.serial_number,
                    due_at=ends,
                )
            )
        for type_id in types:
            self._planner.replan(type_id)
        return len(overdue)
