"""Inventory repositories: items (with their history), maintenance windows, allocations."""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from sqlalchemy import Select, and_, bindparam, exists, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from rental.inventory.domain.models import (
    HOLDING,
    Allocation,
    AllocationStatus,
    EquipmentItem,
    FollowedReservation,
    FollowedStatus,
    ItemStatus,
    MaintenanceWindow,
    StatusChange,
    maintenance_stretch,
)
from rental.inventory.infrastructure.entities import (
    OUT_PREDICATE,
    AllocationEntity,
    FollowedReservationEntity,
    ItemEntity,
    MaintenanceWindowEntity,
    StatusHistoryEntity,
    TypeSettingsEntity,
)
from rental.shared.db import UTCDateTime, is_postgres, read_columns
from rental.shared.time_range import TimeRange, utcnow


def item_to_domain(e: ItemEntity) -> EquipmentItem:
    item = EquipmentItem(
        id=e.id,
        serial_number=e.serial_number,
        equipment_type_id=e.equipment_type_id,
        status=ItemStatus(e.status),
        acquired_on=e.acquired_on,
        notes=e.notes or "",
        location=e.location or "",
        expected_back_at=e.expected_back_at,
    )
    return item


def window_to_domain(e: MaintenanceWindowEntity) -> MaintenanceWindow:
    return MaintenanceWindow(
        id=e.id,
        item_id=e.item_id,
        period=TimeRange(e.starts_at, e.ends_at),
        reason=e.reason or "",
        created_by=e.created_by,
    )


def allocation_to_domain(e: AllocationEntity) -> Allocation:
    return Allocation(
        id=e.id,
        item_id=e.item_id,
        reservation_id=e.reservation_id,
        period=TimeRange(e.starts_at, e.ends_at),
        status=AllocationStatus(e.status),
        picked_up_at=e.picked_up_at,
        returned_at=e.returned_at,
        overdue_noticed_at=e.overdue_noticed_at,
    )


def history_to_domain(e: StatusHistoryEntity) -> StatusChange:
    return StatusChange(
        from_status=ItemStatus(e.from_status) if e.from_status else None,
        to_status=ItemStatus(e.to_status),
        at=e.at,
        reason=e.reason or "",
        actor=e.actor,
    )


@dataclass(frozen=True, slots=True)
class FleetItem:
    """An item that can be rented at all (not retired), as capacity questions need it: not a
    whole EquipmentItem (building and checking one per item cost more than the query)."""

    id: str
    equipment_type_id: str
    maintenance: TimeRange | None  # in maintenance: unavailable over this stretch
    windows: tuple[MaintenanceWindow, ...]  # its maintenance windows meeting the window asked
    out: bool  # handed over to a customer and not back yet


@functools.cache
def _fleet_statement() -> Select[Any]:
    """`ItemRepository.fleet`'s query, built once per process with bind parameters: building
    it cost more than running it on every availability check."""
    i, w, a, t = ItemEntity, MaintenanceWindowEntity, AllocationEntity, TypeSettingsEntity
    turnaround = (
        select(t.turnaround_minutes)
        .where(t.equipment_type_id == i.equipment_type_id)
        .scalar_subquery()
    )
    out = exists().where(a.item_id == i.id, text(f"inventory_allocations.{OUT_PREDICATE}"))
    start, end = bindparam("start", type_=UTCDateTime()), bindparam("end", type_=UTCDateTime())
    return (
        select(
            i.id,
            i.equipment_type_id,
            i.status,
            i.expected_back_at,
            w.id.label("window_id"),
            w.starts_at.label("window_starts_at"),
            w.ends_at.label("window_ends_at"),
            w.reason.label("window_reason"),
            w.created_by.label("window_created_by"),
            turnaround.label("turnaround"),
            out.label("out"),
        )
        .outerjoin(w, and_(w.item_id == i.id, w.starts_at < end, w.ends_at > start))
        .where(
            i.equipment_type_id.in_(bindparam("type_ids", expanding=True)),
            i.status != ItemStatus.RETIRED.value,
        )
        .order_by(i.serial_number, w.starts_at)
    )


class ItemRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def fleet(
        self, equipment_type_ids: Collection[str], window: TimeRange
    ) -> tuple[list[FleetItem], dict[str, timedelta]]:
        """The types' rentable items with their maintenance windows in `window`, whether each
        is out, and each type's turnaround — one statement (a row per item and window). Types
        without items are missing from the turnarounds."""
        if not equipment_type_ids:
            return [], {}
        rows = read_columns(
            self._session,
            _fleet_statement(),
            {"type_ids": list(equipment_type_ids), "start": window.start, "end": window.end},
        )
        items: dict[str, FleetItem] = {}
        turnarounds: dict[str, timedelta] = {}
        for row in rows:
            found = items.get(row.id)
            if found is None:
                stretch = maintenance_stretch(ItemStatus(row.status), row.expected_back_at)
                found = items[row.id] = FleetItem(
                    row.id, row.equipment_type_id, stretch, (), bool(row.out)
                )
                turnarounds[row.equipment_type_id] = timedelta(minutes=row.turnaround or 0)
            if row.window_id is not None:
                window = MaintenanceWindow(
                    id=row.window_id,
                    item_id=row.id,
                    period=TimeRange(row.window_starts_at, row.window_ends_at),
                    reason=row.window_reason or "",
                    created_by=row.window_created_by,
                )
                items[row.id] = replace(found, windows=(*found.windows, window))
        return list(items.values()), turnarounds

    def get(self, item_id: str) -> EquipmentItem | None:
        entity = self._session.get(ItemEntity, item_id)
        return item_to_domain(entity) if entity else None

    def search(
        self, equipment_type_id: str | None, status: str | None, search: str
    ) -> list[EquipmentItem]:
        """Items by serial number; optionally of one type, in one status, whose serial
        contains `search` (wildcards typed by the user are dropped)."""
        query = _items_query(equipment_type_id, status, search)
        return [item_to_domain(e) for e in self._session.scalars(query)]

    def stream(
        self, equipment_type_id: str | None, status: str | None, search: str
    ) -> Iterator[list[EquipmentItem]]:
        """What `search` finds, a batch of STREAM_BATCH at a time (the CSV export: never the
        whole table in memory)."""
        query = _items_query(equipment_type_id, status, search)  # by serial: unique
        rows = iter(self._session.scalars(query.execution_options(yield_per=STREAM_BATCH)))
        while batch := list(islice(rows, STREAM_BATCH)):
            yield [item_to_domain(e) for e in batch]

    def by_serials(self, serials: Iterable[str]) -> list[EquipmentItem]:
        wanted = sorted(set(serials))
        found: list[EquipmentItem] = []
        for start in range(0, len(wanted), 500):
            query = select(ItemEntity).where(
                ItemEntity.serial_number.in_(wanted[start : start + 500])
            )
            found.extend(item_to_domain(e) for e in self._session.scalars(query))
        return found

    def existing_serials(self, serials: Iterable[str]) -> set[str]:
        serials = list(serials)
        if not serials:
            return set()
        rows = self._session.scalars(
            select(ItemEntity.serial_number).where(ItemEntity.serial_number.in_(serials))
        )
        return set(rows)

    def of_type(self, equipment_type_id: str, *, lock: bool = False) -> list[EquipmentItem]:
        """All items of a type. With lock=True the rows stay locked until commit on
        PostgreSQL (SQLite already holds the database write lock in a unit of work), and
        what this session read of them before is refreshed: a change committed while we
        waited for the lock is what the caller decides on."""
        query = (
            select(ItemEntity)
            .where(ItemEntity.equipment_type_id == equipment_type_id)
            .order_by(ItemEntity.serial_number)
        )
        if lock and is_postgres(self._session):
            query = query.with_for_update().execution_options(populate_existing=True)
        return [item_to_domain(e) for e in self._session.scalars(query)]

    def add(self, item: EquipmentItem) -> None:
        now = utcnow()
        self._session.add(
            ItemEntity(
                id=item.id,
                serial_number=item.serial_number,
                equipment_type_id=item.equipment_type_id,
                status=item.status.value,
                acquired_on=item.acquired_on,
                notes=item.notes,
                location=item.location,
                created_at=now,
                updated_at=now,
            )
        )
        self._session.flush()
        self._write_history(item)

    def save(self, item: EquipmentItem) -> None:
        entity = self._session.get(ItemEntity, item.id)
        assert entity is not None
        entity.status = item.status.value
        entity.notes = item.notes
        entity.location = item.location
        entity.acquired_on = item.acquired_on
        entity.expected_back_at = item.expected_back_at
        entity.updated_at = utcnow()
        self._session.flush()
        self._write_history(item)

    def _write_history(self, item: EquipmentItem) -> None:
        for change in item.new_history:
            self._session.add(
                StatusHistoryEntity(
                    item_id=item.id,
                    from_status=change.from_status.value if change.from_status else None,
                    to_status=change.to_status.value,
                    at=change.at,
                    reason=change.reason,
                    actor=change.actor,
                )
            )
        item.new_history.clear()
        self._session.flush()

    def history(self, item_id: str) -> list[StatusChange]:
        rows = self._session.scalars(
            select(StatusHistoryEntity)
            .where(StatusHistoryEntity.item_id == item_id)
            .order_by(StatusHistoryEntity.at.desc(), StatusHistoryEntity.id.desc())
        )
        return [history_to_domain(e) for e in rows]

    def redact_damage_notes(
        self, item_id: str, since: datetime, until: datetime, prefix: str, text: str
    ) -> int:
        """Replace the free text of the item's "<prefix>…" status changes between `since`
        and `until` (both included) with `prefix` + `text`; how many rows changed."""
        h = StatusHistoryEntity
        result = self._session.execute(
            update(h)
            .where(
                h.item_id == item_id,
                h.at >= since,
                h.at <= until,
                h.reason.startswith(prefix, autoescape=True),
                h.reason != prefix + text,
            )
            .values(reason=prefix + text),
            execution_options={"synchronize_session": False},
        )
        return result.rowcount or 0

    def fleet_sizes(self, equipment_type_ids: Collection[str]) -> dict[str, int]:
        """{equipment_type_id: items that are not retired}, in one statement; a type without
        any is left out."""
        if not equipment_type_ids:
            return {}
        query = (
            select(ItemEntity.equipment_type_id, func.count())
            .where(
                ItemEntity.equipment_type_id.in_(list(equipment_type_ids)),
                ItemEntity.status != ItemStatus.RETIRED.value,
            )
            .group_by(ItemEntity.equipment_type_id)
        )
        return {type_id: count for type_id, count in self._session.execute(query)}

    def status_counts(self, equipment_type_id: str | None = None) -> dict[str, dict[str, int]]:
        """{equipment_type_id: {status: count}}"""
        query = select(ItemEntity.equipment_type_id, ItemEntity.status, func.count()).group_by(
            ItemEntity.equipment_type_id, ItemEntity.status
        )
        if equipment_type_id:
            query = query.where(ItemEntity.equipment_type_id == equipment_type_id)
        result: dict[str, dict[str, int]] = {}
        for type_id, status, count in self._session.execute(query):
            result.setdefault(type_id, {})[status] = count
        return result


class MaintenanceRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def for_item(self, item_id: str) -> list[MaintenanceWindow]:
        rows = self._session.scalars(
            select(MaintenanceWindowEntity)
            .where(MaintenanceWindowEntity.item_id == item_id)
            .order_by(MaintenanceWindowEntity.starts_at)
        )
        return [window_to_domain(e) for e in rows]

    def get(self, window_id: str) -> MaintenanceWindow | None:
        entity = self._session.get(MaintenanceWindowEntity, window_id)
        return window_to_domain(entity) if entity else None

    def overlapping_for_type(
        self, equipment_type_id: str, period: TimeRange
    ) -> list[MaintenanceWindow]:
        m, i = MaintenanceWindowEntity, ItemEntity
        query = (
            select(m)
            .join(i, i.id == m.item_id)
            .where(
                i.equipment_type_id == equipment_type_id,
                m.starts_at < period.end,
                m.ends_at > period.start,
            )
        )
        return [window_to_domain(e) for e in self._session.scalars(query.order_by(m.starts_at))]

    def overlapping_for_items(
        self, item_ids: Collection[str], period: TimeRange
    ) -> list[MaintenanceWindow]:
        if not item_ids:
            return []
        m = MaintenanceWindowEntity
        query = select(m).where(
            m.item_id.in_(list(item_ids)), m.starts_at < period.end, m.ends_at > period.start
        )
        return [window_to_domain(e) for e in self._session.scalars(query.order_by(m.starts_at))]

    def add(self, window: MaintenanceWindow) -> None:
        self._session.add(
            MaintenanceWindowEntity(
                id=window.id,
                item_id=window.item_id,
                starts_at=window.period.start,
                ends_at=window.period.end,
                reason=window.reason,
                created_by=window.created_by,
                created_at=utcnow(),
            )
        )
        self._session.flush()

    def remove(self, window_id: str) -> None:
        entity = self._session.get(MaintenanceWindowEntity, window_id)
        if entity is not None:
            self._session.delete(entity)
            self._session.flush()


class AllocationRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def holding_overlapping(self, item_ids: Iterable[str], period: TimeRange) -> list[Allocation]:
        ids = list(item_ids)
        if not ids:
            return []
        a = AllocationEntity
        rows = self._session.scalars(
            select(a).where(
                a.item_id.in_(ids),
                a.status.in_([s.value for s in HOLDING]),
                a.starts_at < period.end,
                a.ends_at > period.start,
            )
        )
        return [allocation_to_domain(e) for e in rows]

    def for_item(self, item_id: str) -> list[Allocation]:
        rows = self._session.scalars(
            select(AllocationEntity)
            .where(AllocationEntity.item_id == item_id)
            .order_by(AllocationEntity.starts_at)
        )
        return [allocation_to_domain(e) for e in rows]

    def get(self, allocation_id: str) -> Allocation | None:
        entity = self._session.get(AllocationEntity, allocation_id)
        return allocation_to_domain(entity) if entity else None

    def for_reservations(self, reservation_ids: Iterable[str]) -> list[Allocation]:
        ids = list(reservation_ids)
        if not ids:
            return []
        rows = self._session.scalars(
            select(AllocationEntity)
            .where(AllocationEntity.reservation_id.in_(ids))
            .order_by(AllocationEntity.created_at, AllocationEntity.id)
        )
        return [allocation_to_domain(e) for e in rows]

    def out_with_customers(self, item_ids: Iterable[str]) -> list[Allocation]:
        """Allocations whose item was handed over and has not come back."""
        ids = list(item_ids)
        if not ids:
            return []
        rows = self._session.scalars(
            select(AllocationEntity).where(
                AllocationEntity.item_id.in_(ids),
                text(f"inventory_allocations.{OUT_PREDICATE}"),
            )
        )
        return [allocation_to_domain(e) for e in rows]

    def out_not_yet_overdue(self, started_before: datetime) -> list[Allocation]:
        """Items out with customers, not yet noticed overdue, whose booking has started:
        what the overdue check looks at."""
        rows = self._session.scalars(
            select(AllocationEntity).where(
                text(f"inventory_allocations.{OUT_PREDICATE}"),
                AllocationEntity.overdue_noticed_at.is_(None),
                AllocationEntity.starts_at < started_before,
            )
        )
        return [allocation_to_domain(e) for e in rows]

    def update(self, allocation: Allocation, at: datetime) -> None:
        entity = self._session.get(AllocationEntity, allocation.id)
        assert entity is not None
        entity.item_id = allocation.item_id
        entity.starts_at = allocation.period.start
        entity.ends_at = allocation.period.end
        entity.status = allocation.status.value
        entity.picked_up_at = allocation.picked_up_at
        entity.returned_at = allocation.returned_at
        entity.overdue_noticed_at = allocation.overdue_noticed_at
        entity.updated_at = at
        self._session.flush()

    def for_reservation(self, reservation_id: str) -> list[Allocation]:
        rows = self._session.scalars(
            select(AllocationEntity)
            .where(AllocationEntity.reservation_id == reservation_id)
            .order_by(AllocationEntity.created_at, AllocationEntity.id)
        )
        return [allocation_to_domain(e) for e in rows]

    def add(self, allocation: Allocation) -> None:
        now = utcnow()
        self._session.add(
            AllocationEntity(
                id=allocation.id,
                item_id=allocation.item_id,
                reservation_id=allocation.reservation_id,
                starts_at=allocation.period.start,
                ends_at=allocation.period.end,
                status=allocation.status.value,
                created_at=now,
                updated_at=now,
            )
        )
        self._session.flush()

    def serials(self, item_ids: Iterable[str]) -> dict[str, str]:
        ids = list(item_ids)
        if not ids:
            return {}
        rows = self._session.execute(
            select(ItemEntity.id, ItemEntity.serial_number).where(ItemEntity.id.in_(ids))
        )
        return {i: s for i, s in rows}


class FollowedReservationRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def lock(self, reservation_id: str) -> FollowedReservation:
        """The record of a reservation, created when missing and locked until commit, so two
        workers handling events of one reservation apply them one after the other."""
        f = FollowedReservationEntity
        dialect = postgresql if is_postgres(self._session) else sqlite
        stmt = dialect.insert(f).values(
            reservation_id=reservation_id, sequence=0, updated_at=utcnow()
        )
        self._session.execute(stmt.on_conflict_do_nothing(index_elements=[f.reservation_id]))
        entity = self._session.scalar(
            select(f)
            .where(f.reservation_id == reservation_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert entity is not None
        return _followed(entity)

    def get(self, reservation_id: str) -> FollowedReservation | None:
        entity = self._session.get(FollowedReservationEntity, reservation_id)
        return _followed(entity) if entity else None

    def get_many(self, reservation_ids: Collection[str]) -> dict[str, FollowedReservation]:
        if not reservation_ids:
            return {}
        f = FollowedReservationEntity
        rows = self._session.scalars(select(f).where(f.reservation_id.in_(list(reservation_ids))))
        return {e.reservation_id: _followed(e) for e in rows}

    def confirmed_of_type(self, equipment_type_id: str) -> list[FollowedReservation]:
        f = FollowedReservationEntity
        rows = self._session.scalars(
            select(f).where(
                f.equipment_type_id == equipment_type_id,
                f.status == FollowedStatus.CONFIRMED.value,
            )
        )
        return [_followed(e) for e in rows]

    def save(self, followed: FollowedReservation) -> None:
        entity = self._session.get(FollowedReservationEntity, followed.reservation_id)
        assert entity is not None
        entity.sequence = followed.sequence
        entity.status = followed.status.value if followed.status else None
        entity.equipment_type_id = followed.equipment_type_id
        entity.reference = followed.reference
        entity.starts_at = followed.period.start if followed.period else None
        entity.ends_at = followed.period.end if followed.period else None
        entity.quantity = followed.quantity
        entity.shortage_reported = followed.shortage_reported
        entity.updated_at = utcnow()
        self._session.flush()


def _followed(entity: FollowedReservationEntity) -> FollowedReservation:
    period = (
        TimeRange(entity.starts_at, entity.ends_at) if entity.starts_at and entity.ends_at else None
    )
    return FollowedReservation(
        entity.reservation_id,
        entity.sequence,
        FollowedStatus(entity.status) if entity.status else None,
        equipment_type_id=entity.equipment_type_id,
        reference=entity.reference,
        period=period,
        quantity=entity.quantity or 0,
        shortage_reported=bool(entity.shortage_reported),
    )


class TypeSettingsRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def turnaround(self, equipment_type_id: str) -> timedelta:
        minutes = self._session.scalar(
            select(TypeSettingsEntity.turnaround_minutes).where(
                TypeSettingsEntity.equipment_type_id == equipment_type_id
            )
        )
        return timedelta(minutes=minutes or 0)

    def turnarounds(self, equipment_type_ids: Collection[str]) -> dict[str, timedelta]:
        """The buffer of each of these types (zero when never set)."""
        minutes: dict[str, int | None] = {}
        if equipment_type_ids:
            t = TypeSettingsEntity
            query = select(t.equipment_type_id, t.turnaround_minutes).where(
                t.equipment_type_id.in_(list(equipment_type_ids))
            )
            minutes = {type_id: m for type_id, m in self._session.execute(query)}
        return {i: timedelta(minutes=minutes.get(i) or 0) for i in equipment_type_ids}

    def set_turnaround(self, equipment_type_id: str, minutes: int) -> None:
        entity = self._session.get(TypeSettingsEntity, equipment_type_id)
        if entity is None:
            entity = TypeSettingsEntity(equipment_type_id=equipment_type_id)
            self._session.add(entity)
        entity.turnaround_minutes = minutes
        self._session.flush()


@dataclass(frozen=True, slots=True)
class Repositories:
    """Every repository of the module on one session: what the facade hands the handlers."""

    items: ItemRepository
    windows: MaintenanceRepository
    allocations: AllocationRepository
    followed: FollowedReservationRepository
    settings: TypeSettingsRepository

    @classmethod
    def on(cls, session: Session) -> Repositories:
        return cls(
            ItemRepository(session),
            MaintenanceRepository(session),
            AllocationRepository(session),
            FollowedReservationRepository(session),
            TypeSettingsRepository(session),
        )


# Rows read per round trip by the CSV export (ItemRepository.stream).
STREAM_BATCH = 500


def _items_query(equipment_type_id: str | None, status: str | None, search: str) -> Select[Any]:
    query = select(ItemEntity).order_by(ItemEntity.serial_number)
    if equipment_type_id:
        query = query.where(ItemEntity.equipment_type_id == equipment_type_id)
    if status:
        query = query.where(ItemEntity.status == status)
    if search.strip():
        term = search.strip().upper().replace("%", "").replace("_", "")
        query = query.where(ItemEntity.serial_number.like(f"%{term}%"))
    return query
