"""Inventory domain: physical items, their lifecycle, maintenance windows and allocations.

Pure Python: no Flask, no SQLAlchemy."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from rental.shared.errors import ConflictError, ValidationError
from rental.shared.text import clean_block, clean_line
from rental.shared.time_range import TimeRange


class ItemStatus(StrEnum):
    AVAILABLE = "AVAILABLE"
    ALLOCATED = "ALLOCATED"
    MAINTENANCE = "MAINTENANCE"
    RETIRED = "RETIRED"

    @property
    def label(self) -> str:
        return self.value.capitalize()


# The explicit transition table. RETIRED is final.
TRANSITIONS: dict[ItemStatus, frozenset[ItemStatus]] = {
    ItemStatus.AVAILABLE: frozenset(
        {ItemStatus.ALLOCATED, ItemStatus.MAINTENANCE, ItemStatus.RETIRED}
    ),
    ItemStatus.ALLOCATED: frozenset({ItemStatus.AVAILABLE, ItemStatus.MAINTENANCE}),
    ItemStatus.MAINTENANCE: frozenset({ItemStatus.AVAILABLE, ItemStatus.RETIRED}),
    ItemStatus.RETIRED: frozenset(),
}

# Items in these states count towards capacity (ALLOCATED items come back; bookings decide).
RENTABLE = frozenset({ItemStatus.AVAILABLE, ItemStatus.ALLOCATED})


def can_transition(source: ItemStatus, target: ItemStatus) -> bool:
    return target in TRANSITIONS[source]


_SERIAL_RE = re.compile(r"^[A-Z0-9][A-Z0-9._/\-]{0,63}$")


def clean_serial(raw: str | None) -> str:
    serial = "".join((raw or "").split()).upper()
    if not serial:
        raise ValidationError("Give a serial number.", field="serial_number")
    if not _SERIAL_RE.match(serial):
        raise ValidationError(
            f"'{raw.strip() if raw else ''}' is not a valid serial number: use up to 64 letters, "
            "digits, dots, dashes, slashes or underscores.",
            field="serial_number",
        )
    return serial


# Acquisition dates older than this are typing mistakes (1905 for 2005), not old machines.
EARLIEST_ACQUISITION = date(1950, 1, 1)


def check_acquired_on(acquired_on: date | None, today: date) -> None:
    """An item is bought on a real day: not after `today` (in the business time zone), not
    before 1950. None means not known."""
    if acquired_on is None:
        return
    if acquired_on > today:
        raise ValidationError(
            f"{acquired_on:%d %b %Y} is in the future. Give the day the item was bought "
            "(today at the latest).",
            field="acquired_on",
        )
    if acquired_on < EARLIEST_ACQUISITION:
        raise ValidationError(
            f"{acquired_on:%d %b %Y} is before {EARLIEST_ACQUISITION.year}; check the year.",
            field="acquired_on",
        )


@dataclass(frozen=True, slots=True)
class StatusChange:
    from_status: ItemStatus | None
    to_status: ItemStatus
    at: datetime
    reason: str
    actor: str


@dataclass
class EquipmentItem:
    id: str
    serial_number: str
    equipment_type_id: str
    status: ItemStatus = ItemStatus.AVAILABLE
    acquired_on: date | None = None
    notes: str = ""
    location: str = ""
    new_history: list[StatusChange] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.serial_number = clean_serial(self.serial_number)
        self.notes = clean_block(self.notes)
        self.location = clean_line(self.location)
        if len(self.notes) > 2000:
            raise ValidationError("Keep the notes under 2,000 characters.", field="notes")
        if len(self.location) > 120:
            raise ValidationError("Keep the location under 120 characters.", field="location")

    @classmethod
    def register(
        cls,
        id: str,
        serial_number: str,
        equipment_type_id: str,
        at: datetime,
        actor: str,
        acquired_on: date | None = None,
        notes: str = "",
        location: str = "",
        *,
        today: date,
    ) -> EquipmentItem:
        """A new item. `today` is the business day of `at`, for the acquisition date rule."""
        errors: dict[str, str] = {}
        try:
            check_acquired_on(acquired_on, today)
        except ValidationError as exc:  # reported together with the other fields' errors
            errors.update(exc.errors)
        try:
            item = cls(
                id,
                serial_number,
                equipment_type_id,
                ItemStatus.AVAILABLE,
                acquired_on=acquired_on,
                notes=notes,
                location=location,
            )
        except ValidationError as exc:
            errors.update(exc.errors)
        if errors:
            first = next(iter(errors))
            raise ValidationError(errors[first], field=first, errors=errors)
        item.new_history.append(StatusChange(None, ItemStatus.AVAILABLE, at, "Registered", actor))
        return item

    @property
    def allowed_transitions(self) -> list[ItemStatus]:
        return sorted(TRANSITIONS[self.status], key=lambda s: list(ItemStatus).index(s))

    def change_status(self, target: ItemStatus, reason: str, actor: str, at: datetime) -> None:
        reason = clean_line(reason)
        if target == self.status:
            raise ConflictError(f"{self.serial_number} is already {target.label.lower()}.")
        if not can_transition(self.status, target):
            if self.status is ItemStatus.RETIRED:
                raise ConflictError(
                    f"{self.serial_number} is retired; a retired item cannot change status."
                )
            allowed = ", ".join(s.label.lower() for s in self.allowed_transitions)
            raise ConflictError(
                f"{self.serial_number} cannot go from {self.status.label.lower()} to "
                f"{target.label.lower()}; from {self.status.label.lower()} it can go to: "
                f"{allowed}."
            )
        if target in (ItemStatus.MAINTENANCE, ItemStatus.RETIRED) and not reason:
            raise ValidationError(
                f"Say why the item goes to {target.label.lower()}.", field="reason"
            )
        if len(reason) > 500:
            raise ValidationError("Keep the reason under 500 characters.", field="reason")
        self.new_history.append(StatusChange(self.status, target, at, reason, actor))
        self.status = target

    def mark_damaged(self, reason: str, actor: str, at: datetime) -> None:
        reason = clean_line(reason)
        if not reason:
            raise ValidationError("Describe the damage.", field="reason")
        self.change_status(ItemStatus.MAINTENANCE, f"Damaged: {reason}", actor, at)


MAX_MAINTENANCE = timedelta(days=366)
MAINTENANCE_AHEAD = timedelta(days=2 * 365)


def check_maintenance_period(period: TimeRange, now: datetime) -> None:
    """A maintenance window blocks bookings, so it must still matter: it ends in the future,
    starts at most two years ahead and lasts at most a year (an item out of service longer
    is set to maintenance or retired instead)."""
    if period.end <= now:
        raise ValidationError(
            "That period is already over. Schedule maintenance that ends in the future.",
            field="end",
        )
    if period.start > now + MAINTENANCE_AHEAD:
        raise ValidationError(
            "Schedule maintenance at most 2 years ahead.",
            field="start",
        )
    if period.duration > MAX_MAINTENANCE:
        raise ValidationError(
            "Maintenance can last at most a year. For an item out of service longer, change "
            "its status to maintenance or retire it.",
            field="end",
        )


@dataclass(frozen=True, slots=True)
class MaintenanceWindow:
    id: str
    item_id: str
    period: TimeRange
    reason: str
    created_by: str = "system"


class AllocationStatus(StrEnum):
    ALLOCATED = "ALLOCATED"
    PICKED_UP = "PICKED_UP"
    RETURNED = "RETURNED"
    RELEASED = "RELEASED"


# Allocations in these states hold the item for their period.
HOLDING = frozenset({AllocationStatus.ALLOCATED, AllocationStatus.PICKED_UP})


@dataclass(frozen=True, slots=True)
class Allocation:
    id: str
    item_id: str
    reservation_id: str
    period: TimeRange
    status: AllocationStatus = AllocationStatus.ALLOCATED

    @property
    def holds_item(self) -> bool:
        return self.status in HOLDING


def ensure_can_allocate(
    item: EquipmentItem,
    period: TimeRange,
    allocations: Iterable[Allocation],
    windows: Iterable[MaintenanceWindow],
) -> None:
    """An item can be allocated for `period` only when it is rentable, holds no other
    allocation overlapping the period and has no maintenance window overlapping it."""
    if item.status not in RENTABLE:
        raise ConflictError(f"{item.serial_number} is {item.status.label.lower()}.")
    for allocation in allocations:
        if (
            allocation.item_id == item.id
            and allocation.holds_item
            and allocation.period.overlaps(period)
        ):
            raise ConflictError(f"{item.serial_number} is already allocated in that period.")
    for window in windows:
        if window.item_id == item.id and window.period.overlaps(period):
            raise ConflictError(f"{item.serial_number} is in maintenance during that period.")


def ensure_can_schedule_maintenance(
    item: EquipmentItem,
    period: TimeRange,
    allocations: Iterable[Allocation],
    windows: Iterable[MaintenanceWindow],
) -> None:
    if item.status is ItemStatus.RETIRED:
        raise ConflictError(f"{item.serial_number} is retired; it needs no maintenance.")
    for allocation in allocations:
        if (
            allocation.item_id == item.id
            and allocation.holds_item
            and allocation.period.overlaps(period)
        ):
            raise ConflictError(
                f"{item.serial_number} is allocated to a reservation in that period; "
                "choose another time or another item.",
                field="start",
            )
    for window in windows:
        if window.item_id == item.id and window.period.overlaps(period):
            raise ConflictError(
                f"{item.serial_number} already has maintenance scheduled that overlaps this "
                "period.",
                field="start",
            )


def free_items(
    items: Iterable[EquipmentItem],
    period: TimeRange,
    allocations: Iterable[Allocation],
    windows: Iterable[MaintenanceWindow],
) -> list[EquipmentItem]:
    """Items that could be allocated for `period`, in a stable order (by serial)."""
    allocations = list(allocations)
    windows = list(windows)
    result = []
    for item in sorted(items, key=lambda i: i.serial_number):
        try:
            ensure_can_allocate(item, period, allocations, windows)
        except ConflictError:
            continue
        result.append(item)
    return result


def capacity_for(item_count: int, maintenance: Iterable[tuple[str, TimeRange]], period) -> int:
    """Rentable items minus the distinct items whose maintenance overlaps `period`."""
    busy = {item_id for item_id, window in maintenance if window.overlaps(period)}
    return max(0, item_count - len(busy))


_NO_NEIGHBOUR = timedelta(days=100_000)


def best_fit(
    free: Iterable[EquipmentItem], period: TimeRange, allocations: Iterable[Allocation]
) -> list[EquipmentItem]:
    """Order free items so that the one whose bookings sit closest around `period` comes
    first. Packing rentals tightly onto few items keeps long stretches free on the others, so
    a later, longer booking still finds an item (plain first-fit can strand capacity)."""
    holding = [a for a in allocations if a.holds_item]

    def hole(item: EquipmentItem) -> tuple[timedelta, timedelta, str]:
        ends = [
            a.period.end for a in holding if a.item_id == item.id and a.period.end <= period.start
        ]
        starts = [
            a.period.start for a in holding if a.item_id == item.id and a.period.start >= period.end
        ]
        before = period.start - max(ends) if ends else _NO_NEIGHBOUR
        after = min(starts) - period.end if starts else _NO_NEIGHBOUR
        return (before + after, before, item.serial_number)

    return sorted(free, key=hole)


def repack(
    items: Iterable[EquipmentItem],
    windows: Iterable[MaintenanceWindow],
    fixed: Iterable[Allocation],
    movable: Iterable[Allocation],
    period: TimeRange,
    quantity: int,
) -> tuple[dict[str, str], list[str]] | None:
    """Re-plan which item serves which not-yet-started allocation so that `quantity` more
    items fit `period`. Allocations are placed in start order onto the best-fitting free item
    (for interval bookings, start order needs no more items than the peak overlap); picked-up
    allocations and maintenance stay where they are. Returns (allocation id -> new item id for
    those that move, item ids for the new allocations), or None when it cannot be done."""
    rentable = [i for i in items if i.status in RENTABLE]
    windows = list(windows)
    placed: list[Allocation] = [a for a in fixed if a.holds_item]
    tasks: list[tuple[TimeRange, str | None]] = [(a.period, a.id) for a in movable]
    tasks += [(period, None)] * quantity
    tasks.sort(key=lambda t: (t[0].start, t[0].end))
    moves: dict[str, str] = {}
    new_items: list[str] = []
    original = {a.id: a.item_id for a in movable}
    for task_period, allocation_id in tasks:
        candidates = free_items(rentable, task_period, placed, windows)
        if not candidates:
            return None
        item = best_fit(candidates, task_period, placed)[0]
        placed.append(
            Allocation(allocation_id or f"new-{len(new_items)}", item.id, "", task_period)
        )
        if allocation_id is None:
            new_items.append(item.id)
        elif original[allocation_id] != item.id:
            moves[allocation_id] = item.id
    return moves, new_items


# --- following reservations ----------------------------------------------------------------


class FollowedStatus(StrEnum):
    """What Inventory last learnt about a reservation from Booking's events."""

    CONFIRMED = "CONFIRMED"
    RELEASED = "RELEASED"  # cancelled or expired
    COMPLETED = "COMPLETED"

    @property
    def is_final(self) -> bool:
        return self is not FollowedStatus.CONFIRMED


@dataclass
class FollowedReservation:
    """Inventory's record of one reservation: the newest event applied to it.

    Events of one reservation can arrive out of order (a worker killed mid-batch, several
    workers, a retry). Each carries the reservation's sequence number; an event older than
    the newest one applied is stale and changes nothing, and a reservation that has ended
    never becomes live again — so inventory converges to the reservation's current state
    whatever the order."""

    reservation_id: str
    sequence: int = 0
    status: FollowedStatus | None = None

    def accept(self, sequence: int, status: FollowedStatus) -> bool:
        """Record the event and return True when it should be applied, False when stale."""
        if self.status is not None and self.status.is_final and not status.is_final:
            return False
        if sequence and sequence <= self.sequence:
            return False
        # sequence 0: an event recorded before events were numbered, applied in arrival order.
        self.sequence = max(self.sequence, sequence)
        self.status = status
        return True
