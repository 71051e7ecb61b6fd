"""Inventory queries: frozen DTOs, no writes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from rental.inventory.domain.models import RENTABLE, ItemStatus, capacity_for
from rental.inventory.domain.planning import out_with_customer
from rental.inventory.infrastructure.entities import ItemEntity
from rental.inventory.infrastructure.repositories import (
    AllocationRepository,
    FollowedReservationRepository,
    ItemRepository,
    MaintenanceRepository,
    TypeSettingsRepository,
    item_to_domain,
)
from rental.shared.errors import NotFoundError
from rental.shared.time_range import TimeRange, utcnow


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

    def capacity_for(self, period: TimeRange) -> int:
        return capacity_for(self.item_count, self.unavailable, period)


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


class InventoryQueries:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._items = ItemRepository(session)
        self._windows = MaintenanceRepository(session)
        self._allocations = AllocationRepository(session)
        self._followed = FollowedReservationRepository(session)
        self._settings = TypeSettingsRepository(session)

    def capacity_profile(self, equipment_type_id: str, window: TimeRange) -> CapacityProfile:
        items = [
            i for i in self._items.of_type(equipment_type_id) if i.status is not ItemStatus.RETIRED
        ]
        ids = {i.id for i in items}
        unavailable = [
            (w.item_id, w.period)
            for w in self._windows.overlapping_for_type(
                equipment_type_id, window, rentable_only=False
            )
            if w.item_id in ids
        ]
        for item in items:
            if (maintenance := item.unavailable_for_maintenance()) and maintenance.overlaps(window):
                unavailable.append((item.id, maintenance))
        unavailable += [
            (item_id, part)
            for item_id, part, _ in self.out_of_plan(equipment_type_id, ids)
            if part.overlaps(window)
        ]
        return CapacityProfile(len(items), unavailable)

    def out_of_plan(
        self, equipment_type_id: str, item_ids: set[str]
    ) -> Iterator[tuple[str, TimeRange, str]]:
        """Items out with customers, for the parts of time their own live booking does not
        already count: before its start (picked up early), after its end (not returned).
        Yields (item id, stretch, what it is)."""
        now = utcnow()
        buffer = self._settings.turnaround(equipment_type_id)
        for allocation in self._allocations.out_with_customers(item_ids):
            followed = self._followed.get(allocation.reservation_id)
            rental = followed.period if followed and followed.period else allocation.period
            picked = allocation.picked_up_at or rental.start
            block = out_with_customer(allocation.item_id, "", rental, buffer, picked, now)
            if followed is None or not followed.is_confirmed:
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
        if period is None:  # right now
            now = utcnow()
            period = TimeRange(now, now + timedelta(seconds=1))
        return self.capacity_profile(equipment_type_id, period).capacity_for(period)

    def list_items(
        self,
        equipment_type_id: str | None = None,
        status: str | None = None,
        search: str = "",
    ) -> list[ItemSummary]:
        query = select(ItemEntity).order_by(ItemEntity.serial_number)
        if equipment_type_id:
            query = query.where(ItemEntity.equipment_type_id == equipment_type_id)
        if status:
            query = query.where(ItemEntity.status == status)
        if search.strip():
            term = search.strip().upper().replace("%", "").replace("_", "")
            query = query.where(ItemEntity.serial_number.like(f"%{term}%"))
        return [
            ItemSummary(
                e.id,
                e.serial_number,
                e.equipment_type_id,
                e.status,
                e.acquired_on,
                e.location or "",
                e.notes or "",
            )
            for e in self._session.scalars(query)
        ]

    def item(self, item_id: str) -> ItemDetails:
        entity = self._session.get(ItemEntity, item_id)
        if entity is None:
            raise NotFoundError("That item does not exist.")
        item = item_to_domain(entity)
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
        )

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
            )
            for a in allocations
        ]

    def stock(self, equipment_type_id: str | None = None) -> dict[str, TypeStock]:
        """Counts per status for each type, and how many are rentable right now
        (rentable status, no maintenance window running now)."""
        counts = self._items.status_counts(equipment_type_id)
        now = utcnow()
        moment = TimeRange(now, now + timedelta(seconds=1))
        result = {}
        for type_id, by_status in counts.items():
            rentable = sum(by_status.get(s.value, 0) for s in RENTABLE)
            busy = {w.item_id for w in self._windows.overlapping_for_type(type_id, moment)}
            result[type_id] = TypeStock(type_id, by_status, max(0, rentable - len(busy)))
        return result


STATUSES = [s.value for s in ItemStatus]


@dataclass(frozen=True, slots=True)
class TimelineBar:
    kind: str  # "allocation" or "maintenance"
    period: TimeRange
    label: str
    reservation_id: str | None = None


@dataclass(frozen=True, slots=True)
class ItemTimeline:
    item_id: str
    serial_number: str
    status: str
    bars: tuple[TimelineBar, ...]


def fleet_timeline(
    session: Session, equipment_type_id: str, window: TimeRange
) -> list[ItemTimeline]:
    """Per item of the type (retired ones left out), for the staff timeline: its allocations,
    maintenance (windows, and the stretch it is in maintenance), and the time it is out with
    a customer outside its booking (picked up early, not returned)."""
    queries = InventoryQueries(session)
    items = [
        i
        for i in ItemRepository(session).of_type(equipment_type_id)
        if i.status is not ItemStatus.RETIRED
    ]
    ids = {i.id for i in items}
    allocations = AllocationRepository(session).holding_overlapping(ids, window)
    windows = MaintenanceRepository(session).overlapping_for_type(
        equipment_type_id, window, rentable_only=False
    )
    bars: dict[str, list[TimelineBar]] = {i.id: [] for i in items}
    for a in allocations:
        label = "picked up" if a.status.value == "PICKED_UP" else "allocated"
        bars[a.item_id].append(TimelineBar("allocation", a.period, label, a.reservation_id))
    for w in windows:
        if w.item_id in bars:
            bars[w.item_id].append(TimelineBar("maintenance", w.period, w.reason or "maintenance"))
    for item in items:
        if (stretch := item.unavailable_for_maintenance()) and stretch.overlaps(window):
            bars[item.id].append(
                TimelineBar("maintenance", _clip(stretch, window), "in maintenance")
            )
    for item_id, part, label in queries.out_of_plan(equipment_type_id, ids):
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


def _clip(period: TimeRange, window: TimeRange) -> TimeRange:
    return TimeRange(max(period.start, window.start), min(period.end, window.end))
