"""Inventory: the physical items (by serial number), their status history, maintenance
windows, allocations to reservations, and the capacity the booking module asks for."""

from rental.inventory.application.commands import (
    AllocateItems,
    BulkRegistrationResult,
    CancelMaintenance,
    ChangeItemStatus,
    LineError,
    MarkEquipmentAsDamaged,
    RegisteredLine,
    RegisterEquipment,
    RegisterEquipmentBulk,
    ScheduleMaintenance,
)
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
from rental.inventory.facade import InventoryFacade

__all__ = [
    "STATUSES",
    "AllocateItems",
    "AllocationView",
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
    "RegisterEquipment",
    "RegisterEquipmentBulk",
    "RegisteredLine",
    "ScheduleMaintenance",
    "StatusHistoryEntry",
    "TypeStock",
]
