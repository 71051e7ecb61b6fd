"""Inventory's reads and every DTO the module hands out (frozen dataclasses, no writes).

`InventoryQueries` answers the admin pages, Booking (capacity, its profile, the turnaround
buffer, allocations, the staff timeline) and staff choosing an item by hand. The results of
commands (`PlanOutcome`, `BulkRegistrationResult`) are DTOs too, so they live here as well."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from rental.inventory.domain.models import (
    MAX_TURNAROUND,
    EquipmentItem,
    ItemStatus,
    capacity_for,
)
from rental.inventory.domain.planning import out_with_customer
from rental.inventory.infrastructure.repositories import Repositories
from rental.shared.errors import NotFoundError
from rental.shared.time_range import TimeRange, utcnow

if TYPE_CHECKING:  # the planner imports this module for its DTOs
    from rental.inventory.application.planning import FleetPlanner

STATUSES = [s.value for s in ItemStatus]
# The columns of the items CSV: what the staff export writes and the admin import reads
# (rental.transfers). Between databases an item's type is its slug: the IDs are this
# database's own, so the import ignores "Item ID" and "Equipment type ID".
ITEMS_CSV_HEADER = (
    "Item ID",
    "Serial number",
    "Equipment type ID",
    "Equipment type slug",
    "Equipment type",
    "Status",
    "Location",
    "Acquired on",
    "Notes",
)


# --- items ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemSummary:
    id: str
    serial_number: str
    equipment_type_id: str
    status: str
    acquired_on: date | None
    location: str
    notes: str


@dataclass(frozen=True, slots=True)
class StatusHistoryEntry:
    from_status: str | None
    to_status: str
    at: datetime
    reason: str
    actor: str


@dataclass(frozen=True, slots=True)
class MaintenanceWindowView:
    id: str
    item_id: str
    period: TimeRange
    reason: str
    created_by: str


@dataclass(frozen=True, slots=True)
class AllocationView:
    id: str
    item_id: str
    serial_number: str
    reservation_id: str
    period: TimeRange
    status: str
    returned_at: datetime | None = None  # RETURNED: when it came back (a late fee counts it)


@dataclass(frozen=True, slots=True)
class StatusOption:
    """One option of the item page's status form. `confirm`: the question staff answer
    before choosing it (a final status), '' when none."""

    value: str
    label: str
    confirm: str = ""


@dataclass(frozen=True, slots=True)
class ItemDetails:
    id: str
    serial_number: str
    equipment_type_id: str
    status: str
    acquired_on: date | None
    notes: str
    location: str
    allowed_transitions: list[str]
    history: list[StatusHistoryEntry]
    maintenance: list[MaintenanceWindowView]
    allocations: list[AllocationView]
    expected_back_at: datetime | None = None
    # What staff may do on the item page (decided by the domain, rendered by the template).
    status_options: list[StatusOption] = field(default_factory=list)
    can_go_to_maintenance: bool = False
    can_have_maintenance_scheduled: bool = False


@dataclass(frozen=True, slots=True)
class TypeStock:
    equipment_type_id: str
    counts: dict[str, int]
    rentable_now: int

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def count(self, status: str) -> int:
        return self.counts.get(status, 0)


# --- capacity and the timeline --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CapacityProfile:
    """The items of a type that can be rented at all (not retired) and, per item, the
    stretches inside a window of interest when it cannot be: maintenance windows, in
    maintenance (until it is expected back), out with a customer outside its own booking
    (picked up early; not returned after the end). Enough to answer get_total_capacity for
    many candidate periods with one query. A booking's own period is not in here: Booking
    counts its reservations itself."""

    item_count: int
    unavailable: list[tuple[str, TimeRange]] = field(default_factory=list)
    # The time an item of the type needs between two rentals. The profile covers the window
    # it was read for and the longest turnaround after it, so it also answers for a
    # booking's occupied range (its period plus the turnaround).
    turnaround: timedelta = timedelta()

    def capacity_for(self, period: TimeRange) -> int:
        return capacity_for(self.item_count, self.unavailable, period)


@dataclass(frozen=True, slots=True)
class TimelineBar:
    kind: str  # "allocation", "maintenance" or "out"
    period: TimeRange
    label: str
    reservation_id: str | None = None


@dataclass(frozen=True, slots=True)
class ItemTimeline:
    item_id: str
    serial_number: str
    status: str
    bars: tuple[TimelineBar, ...]


# --- results of commands --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RegisteredLine:
    line: int
    serial_number: str
    item_id: str


@dataclass(frozen=True, slots=True)
class LineError:
    line: int
    text: str
    message: str


@dataclass(frozen=True, slots=True)
class BulkRegistrationResult:
    registered: list[RegisteredLine] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Shortage:
    reservation_id: str
    reference: str
    missing: int
    reason: str


@dataclass(frozen=True, slots=True)
class PlanOutcome:
    """What planning a type's fleet again did (FleetPlanner.replan)."""

    newly_short: tuple[Shortage, ...] = ()  # short now, and Booking had not been told
    still_short: tuple[Shortage, ...] = ()
    served_again: tuple[str, ...] = ()
    moved: int = 0

    def summary(self) -> str:
        """What re-planning did, as a sentence after a staff change ('' when nothing)."""
        parts = []
        if self.moved:
            parts.append(
                f"{self.moved} booking{'s' if self.moved != 1 else ''} moved to other items."
            )
        if self.newly_short:
            refs = ", ".join(s.reference for s in self.newly_short)
            parts.append(f"Flagged for attention: {refs}.")
        return " ".join(parts)


# --- the read service -----------------------------------------------------------------------


class InventoryQueries:
    """`planner` is only needed by free_items_for (which items could serve an allocation is
    the planner's knowledge of what blocks an item)."""

    def __init__(
        self,
        repositories: Repositories,
        clock: Callable[[], datetime] = utcnow,
        planner: FleetPlanner | None = None,
    ) -> None:
        self._items = repositories.items
        self._windows = repositories.windows
        self._allocations = repositories.allocations
        self._followed = repositories.followed
        self._settings = repositories.settings
        self._clock = clock
        self._planner = planner

    # --- capacity (for Booking) ---------------------------------------------------------------

    def capacity_profile(self, equipment_type_id: str, window: TimeRange) -> CapacityProfile:
        return self._capacity_profiles([equipment_type_id], window)[equipment_type_id]

    def capacity_profiles(
        self, type_ids: Iterable[str], window: TimeRange
    ) -> dict[str, CapacityProfile]:
        """The profiles of several types for one window, read together (the catalog's cards
        for a period): as many statements as for one type."""
        ids = list(dict.fromkeys(type_ids))
        return self._capacity_profiles(ids, window) if ids else {}

    def _capacity_profiles(
        self, type_ids: Collection[str], window: TimeRange
    ) -> dict[str, CapacityProfile]:
        """The profile of each type, read for all of them at once: one statement for the
        items, their maintenance windows and the turnarounds; more only when an item is out
        with a customer (its booking) or a type has no items (its turnaround). The window is
        read with the longest turnaround added, so the profile also answers for a period
        plus the turnaround after it."""
        reach = TimeRange(window.start, window.end + MAX_TURNAROUND)
        fleet, turnarounds = self._items.fleet(type_ids, reach)
        if missing := [t for t in type_ids if t not in turnarounds]:
            turnarounds.update(self._settings.turnarounds(missing))
        unavailable: dict[str, list[tuple[str, TimeRange]]] = {t: [] for t in type_ids}
        for entry in fleet:
            stretches = unavailable[entry.equipment_type_id]
            stretches.extend((entry.id, w.period) for w in entry.windows)
            if (maintenance := entry.maintenance) and maintenance.overlaps(reach):
                stretches.append((entry.id, maintenance))
        out = {entry.id: entry.equipment_type_id for entry in fleet if entry.out}
        for item_id, part, _ in self._out_of_plan(out, turnarounds):
            if part.overlaps(reach):
                unavailable[out[item_id]].append((item_id, part))
        counts = Counter(entry.equipment_type_id for entry in fleet)
        return {t: CapacityProfile(counts[t], unavailable[t], turnarounds[t]) for t in type_ids}

    def _out_of_plan(
        self, type_of: dict[str, str], buffers: dict[str, timedelta] | None = None
    ) -> Iterator[tuple[str, TimeRange, str]]:
        """Items (`type_of`: item id to type id) out with customers, for the parts of time their
        own live booking does not already count: before its start (picked up early), after its
        end (not returned). Yields (item id, stretch, what it is). `buffers`: the types'
        turnarounds, when the caller has them."""
        now = self._clock()
        out = self._allocations.out_with_customers(type_of)
        if not out:
            return
        if buffers is None:
            buffers = self._settings.turnarounds(set(type_of.values()))
        followed = self._followed.get_many({a.reservation_id for a in out})
        for allocation in out:
            buffer = buffers[type_of[allocation.item_id]]
            booking = followed.get(allocation.reservation_id)
            rental = booking.period if booking and booking.period else allocation.period
            picked = allocation.picked_up_at or rental.start
            block = out_with_customer(allocation.item_id, "", rental, buffer, picked, now)
            if booking is None or not booking.is_confirmed:
                # Its booking no longer counts it (cancelled or completed while out).
                yield allocation.item_id, block.period, "out, not returned"
                continue
            if block.period.start < rental.start:
                early = TimeRange(block.period.start, rental.start)
                yield allocation.item_id, early, "picked up early"
            if block.period.end > rental.end + buffer:
                late = TimeRange(rental.end + buffer, block.period.end)
                yield allocation.item_id, late, "not returned"

    def total_capacity(self, equipment_type_id: str, period: TimeRange | None) -> int:
        period = period or self._moment()
        return self.capacity_profile(equipment_type_id, period).capacity_for(period)

    def _moment(self) -> TimeRange:
        """ "Right now", as a period."""
        now = self._clock()
        return TimeRange(now, now + timedelta(seconds=1))

    def turnaround(self, equipment_type_id: str) -> timedelta:
        return self._settings.turnaround(equipment_type_id)

    # --- items (admin pages) ------------------------------------------------------------------

    def list_items(
        self,
        equipment_type_id: str | None = None,
        status: str | None = None,
        search: str = "",
    ) -> list[ItemSummary]:
        items = self._items.search(equipment_type_id, status, search)
        return [_summary(i) for i in items]

    def stream_items(
        self, equipment_type_id: str | None, status: str | None, search: str = ""
    ) -> Iterator[list[ItemSummary]]:
        """What `list_items` finds, a batch at a time (the CSV export)."""
        for batch in self._items.stream(equipment_type_id, status, search):
            yield [_summary(i) for i in batch]

    def items_by_serial(self, serial_numbers: Iterable[str]) -> dict[str, ItemSummary]:
        return {i.serial_number: _summary(i) for i in self._items.by_serials(serial_numbers)}

    def item(self, item_id: str) -> ItemDetails:
        item = self._items.get(item_id)
        if item is None:
            raise NotFoundError("That item does not exist.")
        allocations = self._allocations.for_item(item.id)
        return ItemDetails(
            id=item.id,
            serial_number=item.serial_number,
            equipment_type_id=item.equipment_type_id,
            status=item.status.value,
            acquired_on=item.acquired_on,
            notes=item.notes,
            location=item.location,
            allowed_transitions=[s.value for s in item.allowed_transitions],
            history=[
                StatusHistoryEntry(
                    h.from_status.value if h.from_status else None,
                    h.to_status.value,
                    h.at,
                    h.reason,
                    h.actor,
                )
                for h in self._items.history(item.id)
            ],
            maintenance=[
                MaintenanceWindowView(w.id, w.item_id, w.period, w.reason, w.created_by)
                for w in self._windows.for_item(item.id)
            ],
            allocations=[
                AllocationView(
                    a.id, a.item_id, item.serial_number, a.reservation_id, a.period, a.status.value
                )
                for a in allocations
            ],
            expected_back_at=item.expected_back_at,
            status_options=_status_options(item),
            can_go_to_maintenance=item.can_go_to_maintenance,
            can_have_maintenance_scheduled=item.can_have_maintenance_scheduled,
        )

    def fleet_sizes(self, equipment_type_ids: Iterable[str]) -> dict[str, int]:
        """Items of each type that are not retired (0 for a type with none)."""
        ids = list(dict.fromkeys(equipment_type_ids))
        sizes = self._items.fleet_sizes(ids)
        return {type_id: sizes.get(type_id, 0) for type_id in ids}

    def stock(self, equipment_type_id: str | None = None) -> dict[str, TypeStock]:
        """Counts per status for each type, and how many are rentable right now: the
        capacity Booking sees at this moment (get_total_capacity without a period)."""
        counts = self._items.status_counts(equipment_type_id)
        moment = self._moment()
        profiles = self._capacity_profiles(list(counts), moment)
        return {
            type_id: TypeStock(type_id, by_status, profiles[type_id].capacity_for(moment))
            for type_id, by_status in counts.items()
        }

    # --- allocations (Booking's pages) --------------------------------------------------------

    def allocations_for_reservation(self, reservation_id: str) -> list[AllocationView]:
        allocations = self._allocations.for_reservation(reservation_id)
        serials = self._allocations.serials(a.item_id for a in allocations)
        return [
            AllocationView(
                a.id,
                a.item_id,
                serials.get(a.item_id, "?"),
                a.reservation_id,
                a.period,
                a.status.value,
                a.returned_at,
            )
            for a in allocations
        ]

    def free_items_for(self, reservation_id: str, allocation_id: str) -> list[ItemSummary]:
        """The items that could serve this allocation instead (for the re-allocate form);
        [] when the allocation is not the reservation's."""
        allocation = self._allocations.get(allocation_id)
        if allocation is None or allocation.reservation_id != reservation_id:
            return []
        assert self._planner is not None, "free_items_for needs the planner"
        return [_summary(i) for i in self._planner.free_items_for(allocation)]

    def fleet_timeline(self, equipment_type_id: str, window: TimeRange) -> list[ItemTimeline]:
        """Per item of the type (retired ones left out), for the staff timeline: its
        allocations, maintenance (windows, and the stretch it is in maintenance), and the time
        it is out with a customer outside its booking (picked up early, not returned)."""
        items = [
            i for i in self._items.of_type(equipment_type_id) if i.status is not ItemStatus.RETIRED
        ]
        ids = {i.id for i in items}
        allocations = self._allocations.holding_overlapping(ids, window)
        windows = self._windows.overlapping_for_items(ids, window)
        bars: dict[str, list[TimelineBar]] = {i.id: [] for i in items}
        for a in allocations:
            label = "picked up" if a.status.value == "PICKED_UP" else "allocated"
            bars[a.item_id].append(TimelineBar("allocation", a.period, label, a.reservation_id))
        for w in windows:
            if w.item_id in bars:
                bars[w.item_id].append(
                    TimelineBar("maintenance", w.period, w.reason or "maintenance")
                )
        for item in items:
            if (stretch := item.unavailable_for_maintenance()) and stretch.overlaps(window):
                bars[item.id].append(
                    TimelineBar("maintenance", _clip(stretch, window), "in maintenance")
                )
        for item_id, part, label in self._out_of_plan({i.id: i.equipment_type_id for i in items}):
            if part.overlaps(window):
                bars[item_id].append(TimelineBar("out", _clip(part, window), label))
        return [
            ItemTimeline(
                i.id,
                i.serial_number,
                i.status.value,
                tuple(sorted(bars[i.id], key=lambda b: b.period.start)),
            )
            for i in items
        ]


def _summary(item: EquipmentItem) -> ItemSummary:
    return ItemSummary(
        item.id,
        item.serial_number,
        item.equipment_type_id,
        item.status.value,
        item.acquired_on,
        item.location,
        item.notes,
    )


def _status_options(item: EquipmentItem) -> list[StatusOption]:
    options = []
    for choice in item.status_choices():
        # RETIRED is the one final status.
        confirm = (
            f"Retire {item.serial_number}? A retired item can never be rented again."
            if choice.final
            else ""
        )
        options.append(StatusOption(choice.value, choice.label, confirm))
    return options


def _clip(period: TimeRange, window: TimeRange) -> TimeRange:
    return TimeRange(max(period.start, window.start), min(period.end, window.end))
