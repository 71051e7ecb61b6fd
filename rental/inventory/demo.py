"""Demo items: 3-8 per demo equipment type, one generator in maintenance (idempotent)."""

from __future__ import annotations

from datetime import date

from rental.catalog import CatalogFacade
from rental.inventory.application.commands import MarkEquipmentAsDamaged, RegisterEquipment
from rental.inventory.domain.models import ItemStatus
from rental.inventory.facade import InventoryFacade
from rental.shared.errors import NotFoundError

# slug: (serial prefix, count, location)
ITEMS = {
    "mini-excavator": ("EXM", 4, "Depot North"),
    "midi-excavator": ("EXD", 3, "Depot North"),
    "concrete-mixer": ("MIX", 6, "Depot South"),
    "plate-compactor": ("PLC", 5, "Depot South"),
    "scissor-lift-8m": ("SL8", 6, "Depot North"),
    "scissor-lift-12m": ("SL12", 3, "Depot North"),
    "boom-lift-16m": ("BL16", 3, "Depot North"),
    "generator": ("GEN", 5, "Depot South"),
    "petrol-generator-3kva": ("PG3", 8, "Depot South"),
    "pressure-washer": ("PW", 6, "Depot South"),
    "hot-water-pressure-washer": ("HPW", 3, "Depot South"),
    "floor-scrubber": ("FS", 4, "Depot North"),
    "dumper": ("DMP", 4, "Depot North"),
}
IN_MAINTENANCE = "GEN-005"


def seed_inventory() -> None:
    catalog, inventory = CatalogFacade(), InventoryFacade()
    for slug, (prefix, count, location) in ITEMS.items():
        try:
            type_id = catalog.get_equipment_type_by_slug(slug).id
        except NotFoundError:
            continue
        existing = {i.serial_number for i in inventory.list_items(type_id)}
        for n in range(1, count + 1):
            serial = f"{prefix}-{n:03d}"
            if serial in existing:
                continue
            inventory.register_new_equipment(
                RegisterEquipment(
                    equipment_type_id=type_id,
                    serial_number=serial,
                    acquired_on=date(2024, 1 + n % 12, 1 + n),
                    location=location,
                    actor="demo",
                )
            )
    damaged = inventory.list_items(search=IN_MAINTENANCE)
    if (
        damaged
        and damaged[0].status == ItemStatus.AVAILABLE.value
        and not _was_damaged(inventory, damaged[0].id)
    ):
        inventory.mark_equipment_as_damaged(
            MarkEquipmentAsDamaged(damaged[0].id, "hydraulic leak found at return check", "demo")
        )


def _was_damaged(inventory: InventoryFacade, item_id: str) -> bool:
    return any(h.to_status == "MAINTENANCE" for h in inventory.get_item(item_id).history)
