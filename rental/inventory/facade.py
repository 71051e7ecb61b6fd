"""InventoryFacade: the physical items, their lifecycle, capacity and allocations.

Wiring only: it builds the repositories, the planner, the handlers and the query service on
the current session, runs each command in one unit of work and maps a storage error to a
domain error. Rules live in domain/ and application/."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_app_context
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rental.catalog import CatalogFacade
from rental.inventory.application.commands import (
    CancelMaintenance,
    ChangeItemStatus,
    CheckInReservation,
    CheckOutReservation,
    DemandSource,
    EditItemDetails,
    FleetCommands,
    FollowedReservationCommands,
    GraceSource,
    ItemCommands,
    MarkEquipmentAsDamaged,
    ReallocateItem,
    RegisterEquipment,
    RegisterEquipmentBulk,
    ScheduleMaintenance,
    SetTurnaround,
)
from rental.inventory.application.planning import Clock, FleetPlanner, Record, Wording
from rental.inventory.application.queries import (
    AllocationView,
    BulkRegistrationResult,
    CapacityProfile,
    InventoryQueries,
    ItemDetails,
    ItemSummary,
    ItemTimeline,
    PlanOutcome,
    TypeStock,
)
from rental.inventory.infrastructure.repositories import Repositories
from rental.shared import outbox
from rental.shared.db import db, unit_of_work
from rental.shared.errors import ConflictError
from rental.shared.request_cache import cached_many
from rental.shared.time_range import TimeRange, utcnow
from rental.shared.web import format_datetime, format_period

DEMAND_SOURCE = "inventory.demand_source"
GRACE_SOURCE = "inventory.overdue_grace"
_FLEET = "inventory.fleet_sizes"  # kept across requests (rental.shared.reference_cache)


@dataclass(frozen=True, slots=True)
class _Handlers:
    """The module's application layer on one session."""

    queries: InventoryQueries
    items: ItemCommands
    fleet: FleetCommands
    following: FollowedReservationCommands


class InventoryFacade:
    def __init__(
        self,
        catalog: CatalogFacade | None = None,
        *,
        clock: Clock | None = None,
        record: Record = outbox.record,
    ) -> None:
        """`clock`: the time the fleet is planned at — the real time unless given, or set as
        `app.extensions["inventory.clock"]` (the demo seeds a hire that happened yesterday)."""
        self._catalog = catalog or CatalogFacade()
        extensions: Any = current_app.extensions if has_app_context() else {}
        self._clock = clock or extensions.get("inventory.clock") or utcnow
        self._record = record

    def _on(self, session: Session) -> _Handlers:
        config = current_app.config if has_app_context() else {}
        extensions = current_app.extensions if has_app_context() else {}
        demand_source = extensions.get(DEMAND_SOURCE)
        repositories = Repositories.on(session)
        wording = Wording(
            type_name=lambda type_id: self._catalog.get_equipment_type_details(type_id).name,
            period=format_period,
            moment=format_datetime,
        )
        planner = FleetPlanner(repositories, wording, self._clock, self._record)
        queries = InventoryQueries(repositories, self._clock, planner)
        type_exists = self._catalog.equipment_type_exists
        fleet = FleetCommands(
            repositories,
            planner,
            queries,
            type_exists,
            demand_source,
            self._clock,
            self._record,
            grace_source=extensions.get(GRACE_SOURCE),
        )
        return _Handlers(
            queries=queries,
            items=ItemCommands(
                repositories,
                fleet,
                type_exists,
                ZoneInfo(config.get("BUSINESS_TIMEZONE", "UTC")),
                self._clock,
            ),
            fleet=fleet,
            following=FollowedReservationCommands(repositories, fleet, self._clock),
        )

    def _queries(self) -> InventoryQueries:
        return self._on(db.session()).queries

    # --- queries ------------------------------------------------------------------------------

    def get_total_capacity(self, equipment_type_id: str, period: TimeRange | None = None) -> int:
        """Items of the type bookings can count on for the whole period (default: now): not
        retired, and not in maintenance, under a maintenance window or kept out beyond their
        own booking at any time in it. Booking subtracts its reservations itself."""
        return self._queries().total_capacity(equipment_type_id, period)

    def get_capacity_profile(self, equipment_type_id: str, window: TimeRange) -> CapacityProfile:
        return self._queries().capacity_profile(equipment_type_id, window)

    def get_capacity_profiles(
        self, equipment_type_ids: Iterable[str], window: TimeRange
    ) -> dict[str, CapacityProfile]:
        """get_capacity_profile for several types at once, in the same few statements
        (the items and windows of all of them in one; the out-with-customer part only when
        an item is out)."""
        return self._queries().capacity_profiles(equipment_type_ids, window)

    def get_turnaround(self, equipment_type_id: str) -> timedelta:
        """The time an item of the type needs between two rentals."""
        return self._queries().turnaround(equipment_type_id)

    def list_items(
        self,
        equipment_type_id: str | None = None,
        status: str | None = None,
        search: str = "",
    ) -> list[ItemSummary]:
        return self._queries().list_items(equipment_type_id, status, search)

    def export_items(
        self, equipment_type_id: str | None = None, status: str | None = None, search: str = ""
    ) -> Iterator[list[ItemSummary]]:
        """What `list_items` finds, read a batch at a time once iterated — on the session of
        the context iterating them (a streamed response's request, which outlives the
        view's)."""

        def batches() -> Iterator[list[ItemSummary]]:
            yield from self._queries().stream_items(equipment_type_id, status, search)

        return batches()

    def get_items_by_serial(self, serial_numbers: Iterable[str]) -> dict[str, ItemSummary]:
        """The items with these serial numbers (as stored: upper case, no spaces), by serial;
        unknown ones are left out. One statement per 500 serials."""
        return self._queries().items_by_serial(serial_numbers)

    def get_item(self, item_id: str) -> ItemDetails:
        return self._queries().item(item_id)

    def get_stock(self, equipment_type_id: str | None = None) -> dict[str, TypeStock]:
        """Per equipment type: item counts by status and how many are rentable right now
        (what get_total_capacity says without a period)."""
        return self._queries().stock(equipment_type_id)

    def get_fleet_sizes(self, equipment_type_ids: Iterable[str]) -> dict[str, int]:
        """How many items of each type the shop has (every status but RETIRED; 0 for none), in
        one statement: what is known about stock without a period."""
        return cached_many(
            _FLEET, equipment_type_ids, self._queries().fleet_sizes, across_requests=True
        )

    def list_allocations_for_reservation(self, reservation_id: str) -> list[AllocationView]:
        return self._queries().allocations_for_reservation(reservation_id)

    def free_items_for(self, reservation_id: str, allocation_id: str) -> list[ItemSummary]:
        """The items that could serve this allocation instead (for the re-allocate form)."""
        return self._queries().free_items_for(reservation_id, allocation_id)

    def get_fleet_timeline(self, equipment_type_id: str, window: TimeRange) -> list[ItemTimeline]:
        return self._queries().fleet_timeline(equipment_type_id, window)

    # --- items --------------------------------------------------------------------------------

    def register_new_equipment(self, cmd: RegisterEquipment) -> str:
        try:
            with unit_of_work() as session:
                return self._on(session).items.register(cmd)
        except IntegrityError:
            raise _registered_concurrently() from None

    def register_equipment_bulk(self, cmd: RegisterEquipmentBulk) -> BulkRegistrationResult:
        """Registers every good line; the result lists the new items and each faulty line."""
        try:
            with unit_of_work() as session:
                return self._on(session).items.register_bulk(cmd)
        except IntegrityError:
            raise _registered_concurrently() from None

    def edit_item_details(self, cmd: EditItemDetails) -> None:
        with unit_of_work() as session:
            self._on(session).items.edit_details(cmd)

    def change_item_status(self, cmd: ChangeItemStatus) -> PlanOutcome:
        """Raises NeedsConfirmation (nothing saved) when the change would leave a confirmed
        booking without a machine and staff have not confirmed that warning."""
        with unit_of_work() as session:
            return self._on(session).items.change_status(cmd)

    def mark_equipment_as_damaged(self, cmd: MarkEquipmentAsDamaged) -> PlanOutcome:
        with unit_of_work() as session:
            return self._on(session).items.mark_damaged(cmd)

    def schedule_maintenance(self, cmd: ScheduleMaintenance) -> str:
        with unit_of_work() as session:
            return self._on(session).items.schedule_maintenance(cmd)

    def cancel_maintenance(self, cmd: CancelMaintenance) -> None:
        with unit_of_work() as session:
            self._on(session).items.cancel_maintenance(cmd)

    # --- the fleet ----------------------------------------------------------------------------

    def set_turnaround(self, cmd: SetTurnaround) -> PlanOutcome:
        with unit_of_work() as session:
            return self._on(session).fleet.set_turnaround(cmd)

    def reallocate(self, cmd: ReallocateItem) -> str:
        """Staff: another item for an allocation not yet handed over; returns its serial."""
        with unit_of_work() as session:
            return self._on(session).fleet.reallocate(cmd)

    def replan(self, equipment_type_id: str) -> PlanOutcome:
        """Plan the type's fleet again now (staff: "retry allocation")."""
        with unit_of_work() as session:
            return self._on(session).fleet.replan(equipment_type_id)

    def check_out_reservation(
        self, reservation_id: str, actor: str, confirmed_warnings: frozenset[str] = frozenset()
    ) -> None:
        """The customer picked the items up: they become ALLOCATED (out of the yard). Raises
        NeedsConfirmation (nothing saved) when an early pick-up would leave another booking
        without a machine and staff have not confirmed that warning."""
        with unit_of_work() as session:
            self._on(session).fleet.check_out(
                CheckOutReservation(reservation_id, actor, confirmed_warnings)
            )

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
            return self._on(session).fleet.check_in(
                CheckInReservation(reservation_id, damaged, actor, only)
            )

    def forget_return_notes(self, reservation_ids: Iterable[str], text: str) -> int:
        """Booking's reservations of an anonymised customer: the damage notes typed when
        their items came back become `text` (FleetCommands.forget_return_notes)."""
        with unit_of_work() as session:
            return self._on(session).fleet.forget_return_notes(reservation_ids, text)

    def notice_overdue_returns(self) -> int:
        with unit_of_work() as session:
            return self._on(session).fleet.notice_overdue_returns()

    # --- Booking's events -----------------------------------------------------------------------

    def follower(self) -> FollowedReservationCommands:
        """Inventory's side of Booking's events on the current session (the event handlers
        call it inside the worker's unit of work)."""
        return self._on(db.session()).following


def register_demand_source(app: Flask, source: DemandSource) -> None:
    """Booking calls this at start-up: `source(type_id, window)` lists its live bookings of
    the type (holds and confirmed ones), so a staff change of the fleet is weighed against
    them too, without Inventory depending on Booking. The facade hands it to FleetCommands."""
    app.extensions[DEMAND_SOURCE] = source


def register_overdue_grace(app: Flask, source: GraceSource) -> None:
    """Payments calls this at start-up: `source()` is the shop's grace period after a
    booking's end before an item not back counts as overdue (the overdue job reads it each
    time it runs). Without it the job uses DEFAULT_OVERDUE_GRACE."""
    app.extensions[GRACE_SOURCE] = source


def _registered_concurrently() -> ConflictError:
    # The unique serial index caught a registration that raced ours; nothing was saved.
    return ConflictError(
        "Someone registered one of these serial numbers at the same moment; nothing was "
        "saved. Please send the form again."
    )
