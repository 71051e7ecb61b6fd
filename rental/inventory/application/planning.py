"""The fleet planner: the module's core use case, an application service the command handlers
share (it is not a handler of its own: no command reaches it directly).

Plans a type's fleet again after anything changed under its bookings, applies the plan to the
allocations, and tells Booking which bookings are short of items (AllocationFailed) or served
again (ItemsAllocated). Runs inside the caller's unit of work, with the type's item rows
locked, so the plan and the change that caused it commit together. The decision itself is
pure (`rental.inventory.domain.planning.plan`); this class loads what it needs and applies it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from rental.contracts.inventory import AllocationFailed, ItemsAllocated
from rental.inventory.application.queries import PlanOutcome, Shortage
from rental.inventory.domain.models import (
    Allocation,
    AllocationStatus,
    EquipmentItem,
    FollowedReservation,
    ItemStatus,
)
from rental.inventory.domain.planning import (
    UNTIL_FURTHER_NOTICE,
    Block,
    Demand,
    blocking,
    out_with_customer,
    plan,
)
from rental.inventory.infrastructure.repositories import Repositories
from rental.shared import outbox
from rental.shared.errors import ConflictError
from rental.shared.events import Event
from rental.shared.time_range import TimeRange, utcnow

Clock = Callable[[], datetime]
Record = Callable[[Event], None]


@dataclass(frozen=True, slots=True)
class Wording:
    """How a reason reads for staff: the type's name and a period in the business time
    zone (the facade knows both; the planner does not read configuration)."""

    type_name: Callable[[str], str]
    period: Callable[[TimeRange], str]
    moment: Callable[[datetime], str]


class FleetPlanner:
    def __init__(
        self,
        repositories: Repositories,
        wording: Wording,
        clock: Clock = utcnow,
        record: Record = outbox.record,
    ) -> None:
        self._items = repositories.items
        self._windows = repositories.windows
        self._allocations = repositories.allocations
        self._followed = repositories.followed
        self._settings = repositories.settings
        self._wording = wording
        self._clock = clock
        self._record = record

    def lock_type(self, equipment_type_id: str) -> list[EquipmentItem]:
        """Lock every item row of the type, in serial order (PostgreSQL; SQLite's unit of work
        holds the write lock already). Everything that plans or changes a type's items takes
        this lock first, so two changes of one fleet never interleave or deadlock."""
        return self._items.of_type(equipment_type_id, lock=True)

    def replan(self, equipment_type_id: str) -> PlanOutcome:
        items = self.lock_type(equipment_type_id)
        now = self._clock()
        buffer = self._settings.turnaround(equipment_type_id)
        followed = {
            f.reservation_id: f
            for f in self._followed.confirmed_of_type(equipment_type_id)
            if f.period is not None
        }
        held = self._allocations.for_reservations(followed)
        blocks = self._blocks(items, buffer, now)
        demands = self._demands(followed, held, buffer, now)
        rentable = [i.id for i in items if i.status is not ItemStatus.RETIRED]
        assigned = plan(rentable, blocks, demands)
        moved = self._apply(demands, assigned, held, now)
        self._refresh_out(followed, held, buffer, now)
        return self._report(equipment_type_id, items, blocks, followed, demands, assigned, moved)

    # --- staff choosing items by hand ----------------------------------------------------------

    def free_items_for(self, allocation: Allocation) -> list[EquipmentItem]:
        """The items that could serve this allocation instead of its own (for staff; a read,
        so nothing is locked)."""
        item = self._items.get(allocation.item_id)
        if item is None:
            return []
        items = self._items.of_type(item.equipment_type_id)
        return self._free_for(allocation, items, self._taken_apart_from(allocation, items))

    def _free_for(
        self, allocation: Allocation, items: list[EquipmentItem], blocks: list[Block]
    ) -> list[EquipmentItem]:
        return [
            i
            for i in items
            if i.status is not ItemStatus.RETIRED
            and i.id != allocation.item_id
            and blocking(i.id, allocation.period, blocks) is None
        ]

    def reallocate(self, allocation: Allocation, to_item_id: str | None) -> EquipmentItem:
        """Move an allocation (not yet handed over) to `to_item_id`, or to the best-fitting
        free item when None. ConflictError naming why when that item cannot serve it."""
        if allocation.status is not AllocationStatus.ALLOCATED:
            raise ConflictError("Only items not yet handed over can be re-allocated.")
        current = self._items.get(allocation.item_id)
        items = self.lock_type(current.equipment_type_id) if current else []
        blocks = self._taken_apart_from(allocation, items)
        by_id = {i.id: i for i in items}
        if to_item_id is not None:
            target = by_id.get(to_item_id)
            if target is None or target.status is ItemStatus.RETIRED:
                raise ConflictError("Choose an item of this equipment type that is in service.")
            if (block := blocking(target.id, allocation.period, blocks)) is not None:
                raise ConflictError(f"{target.serial_number} cannot serve it: {block.cause}.")
        else:
            free = [i.id for i in self._free_for(allocation, items, blocks)]
            demand = Demand(allocation.reservation_id, allocation.period, 1)
            chosen = plan(free, blocks, [demand])[allocation.reservation_id]
            if not chosen:
                raise ConflictError("No other item of this type is free for that period.")
            target = by_id[chosen[0]]
        self._allocations.update(replace(allocation, item_id=target.id), self._clock())
        return target

    def _taken_apart_from(self, allocation: Allocation, items: list[EquipmentItem]) -> list[Block]:
        """Everything that keeps items from serving `allocation`: blocks, and every other
        booking's allocation (including this booking's other units)."""
        buffer = self._settings.turnaround(items[0].equipment_type_id) if items else timedelta()
        blocks = self._blocks(items, buffer, self._clock())
        serial = {i.id: i.serial_number for i in items}
        for other in self._allocations.holding_overlapping(serial, allocation.period):
            if other.id != allocation.id and other.status is AllocationStatus.ALLOCATED:
                cause = f"{serial[other.item_id]} is booked then for another booking"
                blocks.append(Block(other.item_id, other.period, cause))
        return blocks

    # --- what blocks items, what bookings need --------------------------------------------------

    def _blocks(self, items: list[EquipmentItem], buffer: timedelta, now: datetime) -> list[Block]:
        serial = {i.id: i.serial_number for i in items}
        blocks: list[Block] = []
        if items:
            ahead = TimeRange(now, UNTIL_FURTHER_NOTICE)
            type_id = items[0].equipment_type_id
            for w in self._windows.overlapping_for_type(type_id, ahead):
                cause = f"{serial.get(w.item_id, '?')} has maintenance scheduled ({w.reason})"
                blocks.append(Block(w.item_id, w.period, cause))
        for item in items:
            if (maintenance := item.unavailable_for_maintenance()) is not None:
                until = (
                    f" until {self._wording.moment(item.expected_back_at)}"
                    if item.expected_back_at
                    else ""
                )
                blocks.append(
                    Block(item.id, maintenance, f"{item.serial_number} is in maintenance{until}")
                )
        for allocation in self._allocations.out_with_customers(serial):
            rental = self._rental(allocation, buffer)
            picked = allocation.picked_up_at or allocation.period.start
            blocks.append(
                out_with_customer(
                    allocation.item_id, serial[allocation.item_id], rental, buffer, picked, now
                )
            )
        return blocks

    def _rental(self, allocation: Allocation, buffer: timedelta) -> TimeRange:
        """The booking's own period for an allocation (its stored period includes a buffer)."""
        followed = self._followed.get(allocation.reservation_id)
        if followed is not None and followed.period is not None:
            return followed.period
        end = max(allocation.period.end - buffer, allocation.period.start + timedelta(minutes=1))
        return TimeRange(allocation.period.start, end)

    @staticmethod
    def _demands(
        followed: dict[str, FollowedReservation],
        held: list[Allocation],
        buffer: timedelta,
        now: datetime,
    ) -> list[Demand]:
        demands = []
        for f in followed.values():
            assert f.period is not None
            occupied = TimeRange(f.period.start, f.period.end + buffer)
            if f.period.end <= now:
                continue  # over: nothing left to hand over (overdue items are blocks)
            mine = [a for a in held if a.reservation_id == f.reservation_id]
            gone = sum(
                a.status in (AllocationStatus.PICKED_UP, AllocationStatus.RETURNED) for a in mine
            )
            need = f.quantity - gone
            if need <= 0:
                continue
            current = tuple(a.item_id for a in mine if a.status is AllocationStatus.ALLOCATED)
            demands.append(
                Demand(f.reservation_id, occupied, need, current, movable=f.period.start > now)
            )
        return demands

    # --- applying the plan ------------------------------------------------------------------------

    def _apply(
        self,
        demands: list[Demand],
        assigned: dict[str, list[str]],
        held: list[Allocation],
        now: datetime,
    ) -> int:
        moved = 0
        for demand in demands:
            target = assigned[demand.reservation_id]
            mine = [
                a
                for a in held
                if a.reservation_id == demand.reservation_id
                and a.status is AllocationStatus.ALLOCATED
            ]
            keep = [a for a in mine if a.item_id in target]
            spare = [a for a in mine if a.item_id not in target]
            kept_items = {a.item_id for a in keep}
            # An item it had before and gave back (released) is the same row, revived.
            released = {
                a.item_id: a
                for a in held
                if a.reservation_id == demand.reservation_id
                and a.status is AllocationStatus.RELEASED
            }
            for allocation in keep:
                if allocation.period != demand.occupied:  # the buffer changed
                    self._allocations.update(replace(allocation, period=demand.occupied), now)
            for item_id in (i for i in target if i not in kept_items):
                if item_id in released:
                    self._allocations.update(
                        replace(
                            released[item_id],
                            status=AllocationStatus.ALLOCATED,
                            period=demand.occupied,
                        ),
                        now,
                    )
                elif spare:  # the same allocation, on another item
                    allocation = spare.pop()
                    self._allocations.update(
                        replace(allocation, item_id=item_id, period=demand.occupied), now
                    )
                    moved += 1
                else:
                    self._allocations.add(
                        Allocation(
                            str(uuid.uuid4()), item_id, demand.reservation_id, demand.occupied
                        )
                    )
            for allocation in spare:  # its item cannot serve it, and no other can
                self._allocations.update(replace(allocation, status=AllocationStatus.RELEASED), now)
        return moved

    def _refresh_out(
        self,
        followed: dict[str, FollowedReservation],
        held: list[Allocation],
        buffer: timedelta,
        now: datetime,
    ) -> None:
        """Items out with customers keep their booking's period with the current buffer."""
        for allocation in held:
            rental = followed[allocation.reservation_id].period
            if allocation.status is not AllocationStatus.PICKED_UP or rental is None:
                continue
            occupied = TimeRange(rental.start, rental.end + buffer)
            if allocation.period != occupied:
                self._allocations.update(replace(allocation, period=occupied), now)

    # --- telling Booking -------------------------------------------------------------------------

    def _report(
        self,
        type_id: str,
        items: list[EquipmentItem],
        blocks: list[Block],
        followed: dict[str, FollowedReservation],
        demands: list[Demand],
        assigned: dict[str, list[str]],
        moved: int,
    ) -> PlanOutcome:
        newly: list[Shortage] = []
        still: list[Shortage] = []
        served: list[str] = []
        for demand in demands:
            f = followed[demand.reservation_id]
            got = assigned[demand.reservation_id]
            if len(got) < demand.quantity:
                shortage = Shortage(
                    f.reservation_id,
                    f.reference or f.reservation_id[:8],
                    demand.quantity - len(got),
                    self._reason(type_id, items, blocks, demand, got, f.period or demand.occupied),
                )
                if f.shortage_reported:
                    still.append(shortage)
                    continue
                newly.append(shortage)
                self._followed.save(replace(f, shortage_reported=True))
                self._record(
                    AllocationFailed(
                        reservation_id=f.reservation_id,
                        equipment_type_id=type_id,
                        reason=f"Could not allocate items: {shortage.reason}.",
                    )
                )
            elif f.shortage_reported or len(demand.current) < demand.quantity:
                served.append(f.reservation_id)
                self._followed.save(replace(f, shortage_reported=False))
                self._record(
                    ItemsAllocated(
                        reservation_id=f.reservation_id, equipment_type_id=type_id, item_ids=got
                    )
                )
        return PlanOutcome(tuple(newly), tuple(still), tuple(served), moved)

    def _reason(
        self,
        type_id: str,
        items: list[EquipmentItem],
        blocks: list[Block],
        demand: Demand,
        got: list[str],
        rental: TimeRange,
    ) -> str:
        """'SN-004 was retired; no other Diesel generator 20 kVA free for Fri 27 Nov,
        09:00–17:00'."""
        by_id = {i.id: i for i in items}
        causes = []
        for item_id in demand.current:
            if item_id in got:
                continue
            item = by_id.get(item_id)
            if item is None or item.status is ItemStatus.RETIRED:
                causes.append(f"{item.serial_number if item else 'an item'} was retired")
            elif (block := blocking(item_id, demand.occupied, blocks)) is not None:
                causes.append(block.cause)
            else:
                causes.append(f"{item.serial_number} is needed by another booking")
        name = self._wording.type_name(type_id)
        when = self._wording.period(rental)
        if causes:
            return f"{'; '.join(causes)}; no other {name} free for {when}"
        return f"only {len(got)} of {demand.quantity} {name} free for {when}"
