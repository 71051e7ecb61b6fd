"""InventoryFacade: the physical items, their lifecycle, capacity and allocations."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_app_context
from sqlalchemy.exc import IntegrityError

from rental.catalog import CatalogFacade
from rental.inventory.application.commands import (
    BulkRegistrationResult,
    CancelMaintenance,
    ChangeItemStatus,
    DemandSource,
    InventoryHandlers,
    MarkEquipmentAsDamaged,
    ReallocateItem,
    RegisterEquipment,
    RegisterEquipmentBulk,
    ScheduleMaintenance,
    SetTurnaround,
)
from rental.inventory.application.planning import FleetPlanner, PlanOutcome, Wording
from rental.inventory.application.queries import (
    AllocationView,
    CapacityProfile,
    InventoryQueries,
    ItemDetails,
    ItemSummary,
    ItemTimeline,
    TypeStock,
    fleet_timeline,
)
from rental.inventory.application.reservations import ReservationFollower
from rental.inventory.infrastructure.repositories import (
    AllocationRepository,
    TypeSettingsRepository,
)
from rental.shared.db import db, unit_of_work
from rental.shared.errors import ConflictError
from rental.shared.time_range import TimeRange
from rental.shared.web import format_datetime, format_period


class InventoryFacade:
    def __init__(self, catalog: CatalogFacade | None = None) -> None:
        self._catalog = catalog or CatalogFacade()

    def _timezone(self) -> ZoneInfo:
        config = current_app.config if has_app_context() else {}
        return ZoneInfo(config.get("BUSINESS_TIMEZONE", "UTC"))

    def _planner(self, session) -> FleetPlanner:
        wording = Wording(
            type_name=lambda type_id: self._catalog.get_equipment_type_details(type_id).name,
            period=format_period,
            moment=format_datetime,
        )
        return FleetPlanner(session, wording)

    def _handlers(self, session) -> InventoryHandlers:
        source = current_app.extensions.get(DEMAND_SOURCE) if has_app_context() else None
        return InventoryHandlers(
            session,
            self._catalog.equipment_type_exists,
            self._planner(session),
            self._timezone(),
            demand_source=source,
        )

    def _queries(self) -> InventoryQueries:
        return InventoryQueries(db.session())

    # --- queries ------------------------------------------------------------------------------

    def get_total_capacity(self, equipment_type_id: str, period: TimeRange | None = None) -> int:
        """Items of the type that can be rented: not retired, not in maintenance now, and
        (with a period) without a maintenance window overlapping the period."""
        return self._queries().total_capacity(equipment_type_id, period)

    def get_capacity_profile(self, equipment_type_id: str, window: TimeRange) -> CapacityProfile:
        return self._queries().capacity_profile(equipment_type_id, window)

    def list_items(
        self,
        equipment_type_id: str | None = None,
        status: str | None = None,
        search: str = "",
    ) -> list[ItemSummary]:
        return self._queries().list_items(equipment_type_id, status, search)

    def get_item(self, item_id: str) -> ItemDetails:
        return self._queries().item(item_id)

    def get_stock(self, equipment_type_id: str | None = None) -> dict[str, TypeStock]:
        """Per equipment type: item counts by status and how many are rentable right now."""
        return self._queries().stock(equipment_type_id)

    def list_allocations_for_reservation(self, reservation_id: str) -> list[AllocationView]:
        return self._queries().allocations_for_reservation(reservation_id)

    def get_fleet_timeline(self, equipment_type_id: str, window: TimeRange) -> list[ItemTimeline]:
        return fleet_timeline(db.session(), equipment_type_id, window)

    # --- commands -----------------------------------------------------------------------------

    def register_new_equipment(self, cmd: RegisterEquipment) -> str:
        try:
            with unit_of_work() as session:
                return self._handlers(session).register(cmd)
        except IntegrityError:
            raise _registered_concurrently() from None

    def register_equipment_bulk(self, cmd: RegisterEquipmentBulk) -> BulkRegistrationResult:
        """Registers every good line; the result lists the new items and each faulty line."""
        try:
            with unit_of_work() as session:
                return self._handlers(session).register_bulk(cmd)
        except IntegrityError:
            raise _registered_concurrently() from None

    def change_item_status(self, cmd: ChangeItemStatus) -> PlanOutcome:
        """Raises NeedsConfirmation (nothing saved) when the change would leave a confirmed
        booking without a machine and staff have not confirmed that warning."""
        with unit_of_work() as session:
            return self._handlers(session).change_status(cmd)

    def mark_equipment_as_damaged(self, cmd: MarkEquipmentAsDamaged) -> PlanOutcome:
        with unit_of_work() as session:
            return self._handlers(session).mark_damaged(cmd)

    def schedule_maintenance(self, cmd: ScheduleMaintenance) -> str:
        with unit_of_work() as session:
            return self._handlers(session).schedule_maintenance(cmd)

    def cancel_maintenance(self, cmd: CancelMaintenance) -> None:
        with unit_of_work() as session:
            self._handlers(session).cancel_maintenance(cmd)

    def get_turnaround(self, equipment_type_id: str) -> timedelta:
        """The time an item of the type needs between two rentals."""
        return TypeSettingsRepository(db.session()).turnaround(equipment_type_id)

    def set_turnaround(self, cmd: SetTurnaround) -> PlanOutcome:
        with unit_of_work() as session:
            return self._handlers(session).set_turnaround(cmd)

    def reallocate(self, cmd: ReallocateItem) -> str:
        """Staff: another item for an allocation not yet handed over; returns its serial."""
        with unit_of_work() as session:
            return self._handlers(session).reallocate(cmd)

    def free_items_for(self, reservation_id: str, allocation_id: str) -> list[ItemSummary]:
        """The items that could serve this allocation instead (for the re-allocate form)."""
        session = db.session()
        allocation = AllocationRepository(session).get(allocation_id)
        if allocation is None or allocation.reservation_id != reservation_id:
            return []
        return [
            ItemSummary(
                i.id, i.serial_number, i.equipment_type_id, i.status.value, i.acquired_on,
                i.location, i.notes,
            )
            for i in self._planner(session).free_items_for(allocation)
        ]  # fmt: skip

    def replan(self, equipment_type_id: str) -> PlanOutcome:
        """Plan the type's fleet again now (staff: "retry allocation")."""
        with unit_of_work() as session:
            return self._handlers(session).replan(equipment_type_id)

    # --- following reservations (event handlers and the counter) -----------------------------

    def follower(self) -> ReservationFollower:
        """Inventory's side of Booking's events (wired here, used by the event handlers)."""
        session = db.session()
        return ReservationFollower(session, self._planner(session))

    def _follower(self, session) -> ReservationFollower:
        return ReservationFollower(session, self._planner(session))

    def notice_overdue_returns(self) -> int:
        with unit_of_work() as session:
            return self._follower(session).notice_overdue()

    def check_out_reservation(self, reservation_id: str, actor: str) -> None:
        """The customer picked the items up: they become ALLOCATED (out of the yard)."""
        with unit_of_work() as session:
            self._follower(session).check_out(reservation_id, actor)

    def check_in_reservation(
        self,
        reservation_id: str,
        damaged: dict[str, str],
        actor: str,
        only: set[str] | None = None,
    ) -> int:
        """The items came back: AVAILABLE again, or MAINTENANCE for those reported damaged
        (item id -> what is damaged). `only`: the item ids that came back, when not all did.
        Returns how many are still out."""
        with unit_of_work() as session:
            return self._follower(session).check_in(reservation_id, damaged, actor, only)


DEMAND_SOURCE = "inventory.demand_source"


def register_demand_source(app: Flask, source: DemandSource) -> None:
    """Booking calls this at start-up: `source(type_id, window)` lists its live bookings of
    the type (holds and confirmed ones), so a staff change of the fleet is weighed against
    them too, without Inventory depending on Booking."""
    app.extensions[DEMAND_SOURCE] = source


def _registered_concurrently() -> ConflictError:
    # The unique serial index caught a registration that raced ours; nothing was saved.
    return ConflictError(
        "Someone registered one of these serial numbers at the same moment; nothing was "
        "saved. Please send the form again."
    )
