"""InventoryFacade: the physical items, their lifecycle, capacity and allocations."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy.exc import IntegrityError

from rental.catalog import CatalogFacade
from rental.inventory.application.commands import (
    AllocateItems,
    BulkRegistrationResult,
    CancelMaintenance,
    ChangeItemStatus,
    InventoryHandlers,
    MarkEquipmentAsDamaged,
    RegisterEquipment,
    RegisterEquipmentBulk,
    ScheduleMaintenance,
)
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
from rental.inventory.domain.models import AllocationStatus
from rental.shared.db import db, unit_of_work
from rental.shared.errors import ConflictError
from rental.shared.events import Message
from rental.shared.time_range import TimeRange


class InventoryFacade:
    def __init__(self, catalog: CatalogFacade | None = None) -> None:
        self._catalog = catalog or CatalogFacade()

    def _handlers(self, session) -> InventoryHandlers:
        config = current_app.config if has_app_context() else {}
        timezone = ZoneInfo(config.get("BUSINESS_TIMEZONE", "UTC"))
        return InventoryHandlers(session, self._catalog.equipment_type_exists, timezone)

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

    def change_item_status(self, cmd: ChangeItemStatus) -> None:
        with unit_of_work() as session:
            self._handlers(session).change_status(cmd)

    def mark_equipment_as_damaged(self, cmd: MarkEquipmentAsDamaged) -> None:
        with unit_of_work() as session:
            self._handlers(session).mark_damaged(cmd)

    def schedule_maintenance(self, cmd: ScheduleMaintenance) -> str:
        with unit_of_work() as session:
            return self._handlers(session).schedule_maintenance(cmd)

    def cancel_maintenance(self, cmd: CancelMaintenance) -> None:
        with unit_of_work() as session:
            self._handlers(session).cancel_maintenance(cmd)

    def allocate_items(self, cmd: AllocateItems) -> list[str]:
        """Allocate free items to a reservation (locks the type's items; joins an outer unit
        of work, e.g. an event handler's). ConflictError when too few are free."""
        with unit_of_work() as session:
            return self._handlers(session).allocate(cmd)

    def release_allocations(self, reservation_id: str) -> None:
        with unit_of_work() as session:
            self._handlers(session).set_allocation_status(reservation_id, AllocationStatus.RELEASED)

    # --- following reservations (event handlers and the counter) -----------------------------

    def _follower(self, session) -> ReservationFollower:
        return ReservationFollower(session, self._handlers(session))

    def handle_reservation_confirmed(self, message: Message) -> None:
        with unit_of_work() as session:
            self._follower(session).on_confirmed(message)

    def handle_reservation_released(self, message: Message) -> None:
        with unit_of_work() as session:
            self._follower(session).release(message)

    def handle_reservation_completed(self, message: Message) -> None:
        with unit_of_work() as session:
            self._follower(session).on_completed(message)

    def check_out_reservation(self, reservation_id: str, actor: str) -> None:
        """The customer picked the items up: they become ALLOCATED (out of the yard)."""
        with unit_of_work() as session:
            self._follower(session).check_out(reservation_id, actor)

    def check_in_reservation(
        self, reservation_id: str, damaged: dict[str, str], actor: str
    ) -> None:
        """The items came back: AVAILABLE again, or MAINTENANCE for those reported damaged
        (item id -> what is damaged)."""
        with unit_of_work() as session:
            self._follower(session).check_in(reservation_id, damaged, actor)


def _registered_concurrently() -> ConflictError:
    # The unique serial index caught a registration that raced ours; nothing was saved.
    return ConflictError(
        "Someone registered one of these serial numbers at the same moment; nothing was "
        "saved. Please send the form again."
    )
