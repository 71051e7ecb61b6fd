"""Inventory: the physical items (by serial number), their status history, maintenance
windows, allocations to reservations, and the capacity the booking module asks for.

The public surface: the facade, the commands and DTOs callers pass and get back, and the
events the module publishes (defined in rental.contracts.inventory; subscribers in other
modules import them from there, so consuming them never makes the module graph circular).

Where things live:
  facade.py                   wiring, unit_of_work, error mapping (no rules)
  module.py                   blueprint, Booking's events, the overdue job, demo seeder, menu
  domain/models.py            items and their transition table, what staff may choose,
                              maintenance windows, allocations, the record of a reservation
  domain/planning.py          which item serves which booking (pure: plan, blocks, demands)
  application/commands.py     commands + ItemCommands, FleetCommands,
                              FollowedReservationCommands (one handler class per aggregate)
  application/planning.py     FleetPlanner: loads a type's fleet, plans it, applies the plan,
                              tells Booking (the service the handlers share)
  application/queries.py      InventoryQueries and every DTO
  application/event_handlers.py  Booking's events, typed, each in the worker's unit of work
  infrastructure/             entities, repositories and mappers
  web.py                      /admin/inventory
"""

from rental.contracts.inventory import AllocationFailed, ItemsAllocated, ReturnOverdue
from rental.inventory.application.commands import (
    CancelMaintenance,
    ChangeItemStatus,
    EditItemDetails,
    MarkEquipmentAsDamaged,
    ReallocateItem,
    RegisterEquipment,
    RegisterEquipmentBulk,
    ScheduleMaintenance,
    SetTurnaround,
)
from rental.inventory.application.queries import (
    ITEMS_CSV_HEADER,
    STATUSES,
    AllocationView,
    BulkRegistrationResult,
    CapacityProfile,
    ItemDetails,
    ItemSummary,
    ItemTimeline,
    LineError,
    MaintenanceWindowView,
    PlanOutcome,
    RegisteredLine,
    Shortage,
    StatusHistoryEntry,
    StatusOption,
    TimelineBar,
    TypeStock,
)
from rental.inventory.domain.models import DAMAGED, clean_serial
from rental.inventory.domain.planning import BookedDemand
from rental.inventory.facade import (
    InventoryFacade,
    register_demand_source,
    register_overdue_grace,
)

__all__ = [
    "DAMAGED",
    "ITEMS_CSV_HEADER",
    "STATUSES",
    "AllocationFailed",
    "AllocationView",
    "BookedDemand",
    "BulkRegistrationResult",
    "CancelMaintenance",
    "CapacityProfile",
    "ChangeItemStatus",
    "EditItemDetails",
    "InventoryFacade",
    "ItemDetails",
    "ItemSummary",
    "ItemTimeline",
    "ItemsAllocated",
    "LineError",
    "MaintenanceWindowView",
    "MarkEquipmentAsDamaged",
    "PlanOutcome",
    "ReallocateItem",
    "RegisterEquipment",
    "RegisterEquipmentBulk",
    "RegisteredLine",
    "ReturnOverdue",
    "ScheduleMaintenance",
    "SetTurnaround",
    "Shortage",
    "StatusHistoryEntry",
    "StatusOption",
    "TimelineBar",
    "TypeStock",
    "clean_serial",
    "register_demand_source",
    "register_overdue_grace",
]
