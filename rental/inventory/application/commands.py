"""Inventory commands and their handlers (run inside one unit of work by the facade)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta, tzinfo

from sqlalchemy.orm import Session

from rental.inventory.domain.models import (
    Allocation,
    AllocationStatus,
    EquipmentItem,
    ItemStatus,
    MaintenanceWindow,
    best_fit,
    check_acquired_on,
    check_maintenance_period,
    clean_serial,
    ensure_can_schedule_maintenance,
    free_items,
    repack,
)
from rental.inventory.infrastructure.repositories import (
    AllocationRepository,
    ItemRepository,
    MaintenanceRepository,
)
from rental.shared.errors import ConflictError, NotFoundError, ValidationError
from rental.shared.text import clean_line
from rental.shared.time_range import TimeRange, utcnow

# How far around a period neighbouring allocations are looked at for the best fit.
NEIGHBOURHOOD = timedelta(days=14)
# Serial numbers one bulk registration takes (a delivery, not a whole warehouse at once).
MAX_BULK_LINES = 500


@dataclass(frozen=True, slots=True)
class RegisterEquipment:
    equipment_type_id: str
    serial_number: str
    acquired_on: date | None = None
    notes: str = ""
    location: str = ""
    actor: str = "system"


@dataclass(frozen=True, slots=True)
class RegisterEquipmentBulk:
    equipment_type_id: str
    serial_numbers: list[str]  # one per line as typed; blank lines are skipped
    acquired_on: date | None = None
    location: str = ""
    actor: str = "system"


@dataclass(frozen=True, slots=True)
class ChangeItemStatus:
    item_id: str
    to_status: str
    reason: str = ""
    actor: str = "system"


@dataclass(frozen=True, slots=True)
class MarkEquipmentAsDamaged:
    item_id: str
    reason: str
    actor: str = "system"


@dataclass(frozen=True, slots=True)
class ScheduleMaintenance:
    item_id: str
    period: TimeRange
    reason: str
    actor: str = "system"


@dataclass(frozen=True, slots=True)
class CancelMaintenance:
    window_id: str


@dataclass(frozen=True, slots=True)
class AllocateItems:
    reservation_id: str
    equipment_type_id: str
    period: TimeRange
    quantity: int


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


class InventoryHandlers:
    def __init__(
        self,
        session: Session,
        type_exists: Callable[[str], bool],
        timezone: tzinfo = UTC,
    ) -> None:
        self._items = ItemRepository(session)
        self._windows = MaintenanceRepository(session)
        self._allocations = AllocationRepository(session)
        self._type_exists = type_exists
        self._timezone = timezone  # the business time zone: what "today" means

    def _today(self) -> date:
        return utcnow().astimezone(self._timezone).date()

    def _check_type(self, equipment_type_id: str) -> None:
        if not equipment_type_id or not self._type_exists(equipment_type_id):
            raise ValidationError(
                "Choose an equipment type from the catalog.", field="equipment_type_id"
            )

    def _require(self, item_id: str, lock: bool = True) -> EquipmentItem:
        item = self._items.get(item_id, lock=lock)
        if item is None:
            raise NotFoundError("That item does not exist.")
        return item

    def register(self, cmd: RegisterEquipment) -> str:
        self._check_type(cmd.equipment_type_id)
        item = EquipmentItem.register(
            str(uuid.uuid4()),
            cmd.serial_number,
            cmd.equipment_type_id,
            utcnow(),
            cmd.actor,
            acquired_on=cmd.acquired_on,
            notes=cmd.notes,
            location=cmd.location,
            today=self._today(),
        )
        if self._items.existing_serials([item.serial_number]):
            raise ValidationError(
                f"Serial number {item.serial_number} is already registered.",
                field="serial_number",
            )
        self._items.add(item)
        return item.id

    def register_bulk(self, cmd: RegisterEquipmentBulk) -> BulkRegistrationResult:
        self._check_type(cmd.equipment_type_id)
        today = self._today()
        check_acquired_on(cmd.acquired_on, today)  # one date for all: refused before any line
        lines = sum(1 for raw in cmd.serial_numbers if raw.strip())
        if lines > MAX_BULK_LINES:
            raise ValidationError(
                f"Register at most {MAX_BULK_LINES} serial numbers at a time "
                f"(the list has {lines:,}).",
                field="serial_numbers",
            )
        candidates: list[tuple[int, str, str]] = []
        errors: list[LineError] = []
        seen: dict[str, int] = {}
        for line_no, raw in enumerate(cmd.serial_numbers, start=1):
            if not raw.strip():
                continue
            try:
                serial = clean_serial(raw)
            except ValidationError as exc:
                errors.append(LineError(line_no, raw.strip(), exc.message))
                continue
            if serial in seen:
                errors.append(
                    LineError(line_no, raw.strip(), f"{serial} is also on line {seen[serial]}.")
                )
                continue
            seen[serial] = line_no
            candidates.append((line_no, raw.strip(), serial))
        if not candidates and not errors:
            raise ValidationError("Paste at least one serial number.", field="serial_numbers")
        taken = self._items.existing_serials(serial for _, _, serial in candidates)
        registered: list[RegisteredLine] = []
        now = utcnow()
        for line_no, raw, serial in candidates:
            if serial in taken:
                errors.append(LineError(line_no, raw, f"{serial} is already registered."))
                continue
            item = EquipmentItem.register(
                str(uuid.uuid4()),
                serial,
                cmd.equipment_type_id,
                now,
                cmd.actor,
                acquired_on=cmd.acquired_on,
                location=cmd.location,
                today=today,
            )
            self._items.add(item)
            registered.append(RegisteredLine(line_no, serial, item.id))
        errors.sort(key=lambda e: e.line)
        return BulkRegistrationResult(registered, errors)

    def change_status(self, cmd: ChangeItemStatus) -> None:
        try:
            target = ItemStatus(cmd.to_status)
        except ValueError:
            raise ValidationError("Choose a status.", field="to_status") from None
        item = self._require(cmd.item_id)
        item.change_status(target, cmd.reason, cmd.actor, utcnow())
        self._items.save(item)

    def mark_damaged(self, cmd: MarkEquipmentAsDamaged) -> None:
        item = self._require(cmd.item_id)
        item.mark_damaged(cmd.reason, cmd.actor, utcnow())
        self._items.save(item)

    def schedule_maintenance(self, cmd: ScheduleMaintenance) -> str:
        item = self._require(cmd.item_id)
        reason = clean_line(cmd.reason)
        if not reason:
            raise ValidationError("Say what the maintenance is for.", field="reason")
        if len(reason) > 500:
            raise ValidationError("Keep the reason under 500 characters.", field="reason")
        check_maintenance_period(cmd.period, utcnow())
        ensure_can_schedule_maintenance(
            item,
            cmd.period,
            self._allocations.holding_overlapping([item.id], cmd.period),
            self._windows.for_item(item.id),
        )
        window = MaintenanceWindow(str(uuid.uuid4()), item.id, cmd.period, reason, cmd.actor)
        self._windows.add(window)
        return window.id

    def cancel_maintenance(self, cmd: CancelMaintenance) -> None:
        if self._windows.get(cmd.window_id) is None:
            raise NotFoundError("That maintenance window does not exist (any more).")
        self._windows.remove(cmd.window_id)

    def allocate(self, cmd: AllocateItems) -> list[str]:
        """Tie `quantity` free items of the type to the reservation for the period.
        Idempotent per reservation: existing holding allocations are returned as they are."""
        if cmd.quantity < 1:
            raise ValidationError("Allocate at least one item.", field="quantity")
        existing = [
            a for a in self._allocations.for_reservation(cmd.reservation_id) if a.holds_item
        ]
        if existing:
            return [a.id for a in existing]
        items = self._items.of_type(cmd.equipment_type_id, lock=True)
        # Neighbouring bookings too, so the best-fitting item can be chosen.
        nearby = self._allocations.holding_overlapping(
            [i.id for i in items], cmd.period.expanded(NEIGHBOURHOOD, NEIGHBOURHOOD)
        )
        windows = self._windows.overlapping_for_type(cmd.equipment_type_id, cmd.period)
        free = free_items(items, cmd.period, nearby, windows)
        if len(free) >= cmd.quantity:
            chosen = [i.id for i in best_fit(free, cmd.period, nearby)[: cmd.quantity]]
        else:
            chosen = self._repack(items, cmd, len(free))
        ids = []
        for item_id in chosen:
            allocation = Allocation(str(uuid.uuid4()), item_id, cmd.reservation_id, cmd.period)
            self._allocations.add(allocation)
            ids.append(allocation.id)
        return ids

    def _repack(self, items: list[EquipmentItem], cmd: AllocateItems, free: int) -> list[str]:
        """Too few items are free as things are allocated now: try moving bookings that have
        not started yet onto other items (see domain.models.repack)."""
        now = utcnow()
        horizon = TimeRange(now, max(now, cmd.period.end) + timedelta(days=3650))
        upcoming = self._allocations.holding_overlapping([i.id for i in items], horizon)
        movable = [
            a for a in upcoming if a.status is AllocationStatus.ALLOCATED and a.period.start > now
        ]
        fixed = [a for a in upcoming if a not in movable]
        windows = self._windows.overlapping_for_type(cmd.equipment_type_id, horizon)
        plan = repack(items, windows, fixed, movable, cmd.period, cmd.quantity)
        if plan is None:
            raise ConflictError(
                f"Only {free} item{'s' if free != 1 else ''} free for that period; "
                f"{cmd.quantity} needed."
            )
        moves, chosen = plan
        for allocation_id, item_id in moves.items():
            self._allocations.reassign(allocation_id, item_id, now)
        return chosen

    def set_allocation_status(self, reservation_id: str, status: AllocationStatus) -> None:
        now = utcnow()
        for allocation in self._allocations.for_reservation(reservation_id):
            if allocation.holds_item or status is not AllocationStatus.RELEASED:
                self._allocations.set_status(allocation.id, status, now)
