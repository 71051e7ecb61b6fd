"""Events the Inventory module publishes (other modules subscribe by name)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rental.shared.events import Event, register_event


@register_event
@dataclass(frozen=True, kw_only=True)
class ItemsAllocated(Event):
    reservation_id: str
    equipment_type_id: str
    item_ids: list[str]


@register_event
@dataclass(frozen=True, kw_only=True)
class AllocationFailed(Event):
    reservation_id: str
    equipment_type_id: str
    reason: str


@register_event
@dataclass(frozen=True, kw_only=True)
class ReturnOverdue(Event):
    """An item handed over for a booking was not back when the booking ended."""

    reservation_id: str
    equipment_type_id: str
    serial_number: str
    due_at: datetime
