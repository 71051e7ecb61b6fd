"""Inventory commands and their handlers (run inside one unit of work by the facade)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo

from sqlalchemy.orm import Session

from rental.inventory.application.planning import FleetPlanner, PlanOutcome
from rental.inventory.application.queries import InventoryQueries
from rental.inventory.domain.models import (
    Allocation,
    EquipmentItem,
    ItemStatus,
    MaintenanceWindow,
    check_acquired_on,
    check_maintenance_period,
    clean_serial,
    ensure_can_schedule_maintenance,
)
from rental.inventory.domain.planning import (
    UNTIL_FURTHER_NOTICE,
    BookedDemand,
    over_capacity,
)
from rental.inventory.infrastructure.repositories import (
    AllocationRepository,
    FollowedReservationRepository,
    ItemRepository,
    MaintenanceRepository,
    TypeSettingsRepository,
)
from rental.shared.errors import InputWarning, NotFoundError, ValidationError, ensure_confirmed
from rental.shared.text import clean_line
from rental.shared.time_range import TimeRange, utcnow

MAX_TURNAROUND_MINUTES = 7 * 24 * 60

# Booking's live bookings of a type in a window (registered by Booking at start-up, so
# Inventory can weigh holds too without depending on Booking).
DemandSource = Callable[[str, TimeRange], list[BookedDemand]]
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
    expected_back_at: datetime | None = None  # going to maintenance: when it is back
    # Codes of the warnings staff confirmed (e.g. "leaves_bookings_short"); see NeedsConfirmation.
    confirmed_warnings: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class MarkEquipmentAsDamaged:
    item_id: str
    reason: str
    actor: str = "system"
    expected_back_at: datetime | None = None
    confirmed_warnings: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ScheduleMaintenance:
    item_id: str
    period: TimeRange
    reason: str
    actor: str = "system"
    confirmed_warnings: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class CancelMaintenance:
    window_id: str


@dataclass(frozen=True, slots=True)
class ReallocateItem:
    """Staff: serve an allocation (not yet handed over) with another item — the one chosen,
    or the best-fitting free one when `item_id` is None."""

    reservation_id: str
    allocation_id: str
    item_id: str | None = None


@dataclass(frozen=True, slots=True)
class SetTurnaround:
    """The time an item of the type needs between two rentals (cleaning, checks)."""

    equipment_type_id: str
    minutes: int
    confirmed_warnings: frozenset[str] = frozenset()


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
        planner: FleetPlanner,
        timezone: tzinfo = UTC,
        demand_source: DemandSource | None = None,
    ) -> None:
        self._session = session
        self._demand_source = demand_source
        self._followed = FollowedReservationRepository(session)
        self._items = ItemRepository(session)
        self._allocations = AllocationRepository(session)
        self._windows = MaintenanceRepository(session)
        self._settings = TypeSettingsRepository(session)
        self._planner = planner
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

    # --- changes under existing bookings: each plans the fleet again -------------------------
    #
    # Whatever takes capacity away (an item retired, damaged, in maintenance, a window, a longer
    # buffer) or gives it back runs the planner in the same transaction. When the change would
    # leave a confirmed booking without a machine, staff are asked first (NeedsConfirmation:
    # nothing is saved); confirmed, the booking is flagged for them.

    def _replan(self, equipment_type_id: str, confirmed: frozenset[str]) -> PlanOutcome:
        outcome = self._planner.replan(equipment_type_id)
        warnings = [outcome.warning(), self._booked_demand_at_risk(equipment_type_id)]
        ensure_confirmed([w for w in warnings if w is not None], confirmed)
        return outcome

    def _booked_demand_at_risk(self, equipment_type_id: str) -> InputWarning | None:
        """Bookings the planner does not serve yet — holds customers are confirming right
        now, confirmations the worker has not reached — that would no longer fit after the
        change (Booking tells us about them through the demand source it registered)."""
        if self._demand_source is None:
            return None
        now = utcnow()
        booked = self._demand_source(equipment_type_id, TimeRange(now, UNTIL_FURTHER_NOTICE))
        if not booked:
            return None
        served = {f.reservation_id for f in self._followed.confirmed_of_type(equipment_type_id)}
        last = max(d.occupied.end for d in booked)
        profile = InventoryQueries(self._session).capacity_profile(
            equipment_type_id, TimeRange(now, last)
        )
        risky = [
            d for d in over_capacity(booked, profile.capacity_for) if d.reservation_id not in served
        ]
        if not risky:
            return None
        what = {"PENDING": "a customer is holding it", "CONFIRMED": "just confirmed"}
        listed = ", ".join(f"{d.reference} ({what.get(d.status, d.status)})" for d in risky)
        return InputWarning(
            "leaves_holds_short",
            f"Bookings not yet served by items would no longer fit: {listed}. Continue anyway? "
            "A confirmed one will be flagged for you once it is planned.",
        )

    def _lock_item(self, item_id: str) -> EquipmentItem:
        """The item, read after its whole fleet is locked (the planner's lock order)."""
        self._planner.lock_type(self._require(item_id, lock=False).equipment_type_id)
        return self._require(item_id, lock=False)

    def change_status(self, cmd: ChangeItemStatus) -> PlanOutcome:
        try:
            target = ItemStatus(cmd.to_status)
        except ValueError:
            raise ValidationError("Choose a status.", field="to_status") from None
        item = self._lock_item(cmd.item_id)
        item.change_status(target, cmd.reason, cmd.actor, utcnow(), cmd.expected_back_at)
        self._items.save(item)
        return self._replan(item.equipment_type_id, cmd.confirmed_warnings)

    def mark_damaged(self, cmd: MarkEquipmentAsDamaged) -> PlanOutcome:
        item = self._lock_item(cmd.item_id)
        item.mark_damaged(cmd.reason, cmd.actor, utcnow(), cmd.expected_back_at)
        self._items.save(item)
        return self._replan(item.equipment_type_id, cmd.confirmed_warnings)

    def schedule_maintenance(self, cmd: ScheduleMaintenance) -> str:
        item = self._lock_item(cmd.item_id)
        reason = clean_line(cmd.reason)
        if not reason:
            raise ValidationError("Say what the maintenance is for.", field="reason")
        if len(reason) > 500:
            raise ValidationError("Keep the reason under 500 characters.", field="reason")
        check_maintenance_period(cmd.period, utcnow())
        # Bookings on the item are moved to other items by the planner (or staff are asked).
        ensure_can_schedule_maintenance(item, cmd.period, self._windows.for_item(item.id))
        window = MaintenanceWindow(str(uuid.uuid4()), item.id, cmd.period, reason, cmd.actor)
        self._windows.add(window)
        self._replan(item.equipment_type_id, cmd.confirmed_warnings)
        return window.id

    def cancel_maintenance(self, cmd: CancelMaintenance) -> None:
        window = self._windows.get(cmd.window_id)
        if window is None:
            raise NotFoundError("That maintenance window does not exist (any more).")
        item = self._lock_item(window.item_id)
        self._windows.remove(cmd.window_id)
        self._planner.replan(item.equipment_type_id)  # more capacity: may serve short bookings

    def set_turnaround(self, cmd: SetTurnaround) -> PlanOutcome:
        self._check_type(cmd.equipment_type_id)
        if not 0 <= cmd.minutes <= MAX_TURNAROUND_MINUTES:
            raise ValidationError(
                "The turnaround buffer must be between 0 minutes and 7 days.", field="turnaround"
            )
        self._planner.lock_type(cmd.equipment_type_id)
        self._settings.set_turnaround(cmd.equipment_type_id, cmd.minutes)
        return self._replan(cmd.equipment_type_id, cmd.confirmed_warnings)

    def _allocation(self, reservation_id: str, allocation_id: str) -> Allocation:
        allocation = self._allocations.get(allocation_id)
        if allocation is None or allocation.reservation_id != reservation_id:
            raise NotFoundError("That allocation does not exist (any more).")
        return allocation

    def reallocate(self, cmd: ReallocateItem) -> str:
        allocation = self._allocation(cmd.reservation_id, cmd.allocation_id)
        item = self._planner.reallocate(allocation, cmd.item_id)
        return item.serial_number

    def replan(self, equipment_type_id: str) -> PlanOutcome:
        """Plan the type again (staff's "retry allocation"; the overdue check)."""
        return self._planner.replan(equipment_type_id)
