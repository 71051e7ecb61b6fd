"""Items (scope `read`): the fleet by serial number, through InventoryFacade (the item page's
data), with the equipment type from CatalogFacade and the bookings' references from
BookingFacade."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Response

from rental.api.web.core import READ, bp, operation
from rental.api.web.helpers import json_response, page_of, page_response
from rental.api.web.problems import ApiProblem
from rental.api.web.schemas.items import (
    ItemAllocationOut,
    ItemDetailOut,
    ItemMaintenanceOut,
    ItemOut,
    ItemPage,
    ItemQuery,
    ItemStatusChangeOut,
    ItemTypeRef,
)
from rental.booking import BookingFacade
from rental.catalog import CatalogFacade
from rental.inventory import AllocationView, InventoryFacade, ItemSummary, clean_serial
from rental.shared.errors import NotFoundError, ValidationError
from rental.shared.time_range import utcnow

NO_SUCH_ITEM = "That item does not exist."
HOLDING = ("ALLOCATED", "PICKED_UP")


def _types(ids: Iterable[str]) -> dict[str, ItemTypeRef]:
    summaries = CatalogFacade().get_equipment_type_summaries(set(ids))
    return {i: ItemTypeRef(id=i, slug=s.slug, name=s.name) for i, s in summaries.items()}


def _unknown_type(type_id: str) -> ItemTypeRef:
    return ItemTypeRef(id=type_id, slug="", name="")


def _item_out(item: ItemSummary, kind: ItemTypeRef) -> ItemOut:
    return ItemOut(
        serial_number=item.serial_number,
        id=item.id,
        equipment_type=kind,
        status=item.status,  # type: ignore[arg-type]
        location=item.location,
        acquired_on=item.acquired_on,
        notes=item.notes,
    )


@bp.get("/items")
@operation(READ, query=ItemQuery, ok=ItemPage, tags=["items"])
def list_items(query: ItemQuery) -> Response:
    """Items by serial number (filters: `equipment_type` slug, `status`, `q` in the serial)."""
    type_id = None
    if query.equipment_type:
        try:
            type_id = CatalogFacade().get_equipment_type_by_slug(query.equipment_type).id
        except NotFoundError as exc:
            raise ApiProblem(
                422,
                exc.message,
                slug="validation",
                errors=[{"field": "equipment_type", "message": exc.message}],
            ) from None
    items = InventoryFacade().list_items(type_id, query.status, query.q.strip())
    items.sort(key=lambda i: i.serial_number)
    page, cursor = page_of(items, query, key=lambda i: i.serial_number)
    kinds = _types(i.equipment_type_id for i in page)
    data = [
        _item_out(i, kinds.get(i.equipment_type_id) or _unknown_type(i.equipment_type_id))
        for i in page
    ]
    return page_response(ItemPage(data=data, next_cursor=cursor), cursor)


def _allocations(
    allocations: list[AllocationView],
) -> tuple[AllocationView | None, AllocationView | None]:
    """(current, next): picked up or under way now; the next one still to start."""
    now = utcnow()
    holding = sorted((a for a in allocations if a.status in HOLDING), key=lambda a: a.period.start)
    current = next(
        (a for a in holding if a.status == "PICKED_UP" or a.period.start <= now < a.period.end),
        None,
    )
    upcoming = next((a for a in holding if a is not current and a.period.start > now), None)
    return current, upcoming


@bp.get("/items/<path:serial>")
@operation(READ, ok=ItemDetailOut, errors=(404,), tags=["items"])
def get_item(serial: str) -> Response:
    """An item by serial number: type, status, condition notes, current and next booking."""
    try:
        cleaned = clean_serial(serial)
    except ValidationError:
        raise NotFoundError(NO_SUCH_ITEM) from None
    inventory = InventoryFacade()
    summary = inventory.get_items_by_serial([cleaned]).get(cleaned)
    if summary is None:
        raise NotFoundError(NO_SUCH_ITEM)
    item = inventory.get_item(summary.id)
    kind = _types([item.equipment_type_id]).get(item.equipment_type_id)
    current, upcoming = _allocations(item.allocations)
    shown = [a for a in (current, upcoming) if a is not None]
    booking = BookingFacade()
    line_ids = {a.reservation_id for a in shown}
    references = booking.references(line_ids) if line_ids else {}
    orders = booking.orders_of_lines(line_ids) if line_ids else {}

    def allocation_out(a: AllocationView | None) -> ItemAllocationOut | None:
        if a is None:
            return None
        order = orders.get(a.reservation_id)
        return ItemAllocationOut(
            reservation_id=a.reservation_id,
            reservation_reference=references.get(a.reservation_id),
            order_reference=order.reference if order else None,
            start=a.period.start,
            end=a.period.end,
            status=a.status,  # type: ignore[arg-type]
        )

    base = _item_out(summary, kind or _unknown_type(item.equipment_type_id))
    body = ItemDetailOut(
        **base.model_dump(),
        expected_back_at=item.expected_back_at,
        current_allocation=allocation_out(current),
        next_allocation=allocation_out(upcoming),
        maintenance=[
            ItemMaintenanceOut(id=w.id, start=w.period.start, end=w.period.end, reason=w.reason)
            for w in item.maintenance
        ],
        history=[
            ItemStatusChangeOut(
                from_status=h.from_status,  # type: ignore[arg-type]
                to_status=h.to_status,  # type: ignore[arg-type]
                at=h.at,
                reason=h.reason,
            )
            for h in item.history
        ],
    )
    return json_response(body)
