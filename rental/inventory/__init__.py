"""Inventory: the physical items (by serial number), their status history, maintenance
windows, allocations to reservations, and the capacity the booking module asks for."""

from rental.inventory.application.commands import (
    BulkRegistrationResult,
    CancelMaintenance,
    ChangeItemStatus,
    LineError,
    MarkEquipmentAsDamaged,
    ReallocateItem,
    RegisteredLine,
    RegisterEquipment,
    RegisterEquipmentBulk,
    ScheduleMaintenance,
    SetTurnaround,
)
from rental.inventory.application.planning import PlanOutcome, Shortage
from rental.inventory.application.queries import (
    STATUSES,
    AllocationView,
    CapacityProfile,
    ItemDetails,
    ItemSummary,
    ItemTimeline,
    MaintenanceWindowView,
    StatusHistoryEntry,
    TypeStock,
)
from rental.inventory.domain.planning import BookedDemand
from rental.inventory.facade import InventoryFacade, register_demand_source

__all__ = [
    "STATUSES",
    "AllocationView",
    "BookedDemand",
    "BulkRegistrationResult",
    "CancelMaintenance",
    "CapacityProfile",
    "ChangeItemStatus",
    "InventoryFacade",
    "ItemDetails",
    "ItemSummary",
    "ItemTimeline",
    "LineError",
    "MaintenanceWindowView",
    "MarkEquipmentAsDamaged",
    "PlanOutcome",
    "ReallocateItem",
    "RegisterEquipment",
    "RegisterEquipmentBulk",
    "RegisteredLine",
    "ScheduleMaintenance",
    "SetTurnaround",
    "Shortage",
    "StatusHistoryEntry",
    "TypeStock",
    "register_demand_source",
]
