"""What Booking tells Payments about an order when an invoice is issued (registered at start-up
with `register_invoice_order_source`: Payments does not import Booking). One line per
equipment type line and one per kit (its components together, at the kit's price), each with
its period, quantity and amount; cancelled lines are left out (a cancelled order has none
live and says so by its status)."""

from __future__ import annotations

from rental.booking.facade import BookingFacade
from rental.catalog import CatalogFacade
from rental.payments import OrderForInvoice, OrderLineForInvoice
from rental.shared.errors import NotFoundError
from rental.shared.money import Money


def _name(catalog: CatalogFacade, *, type_id: str | None = None, kit_id: str | None = None) -> str:
    try:
        if kit_id:
            return catalog.get_kit(kit_id).name
        assert type_id is not None
        return catalog.get_equipment_type_details(type_id).name
    except NotFoundError:
        return "Kit" if kit_id else "Equipment"


def order_for_invoice(order_id: str) -> OrderForInvoice | None:
    try:
        order = BookingFacade().get_order(order_id)
    except NotFoundError:
        return None
    catalog = CatalogFacade()
    lines: list[OrderLineForInvoice] = []
    kits: dict[str, int] = {}  # kit_id -> index in lines
    live = [r for r in order.live_lines if r.status.value != "CANCELLED"]
    for r in live:
        if r.kit_id:
            if r.kit_id in kits:
                i = kits[r.kit_id]
                line = lines[i]
                lines[i] = OrderLineForInvoice(
                    description=line.description,
                    period=line.period,
                    quantity=line.quantity,
                    amount=line.amount + r.total,
                    line_ids=(*line.line_ids, r.id),
                    line_amounts=(*line.line_amounts, r.total),
                )
                continue
            kits[r.kit_id] = len(lines)
            lines.append(
                OrderLineForInvoice(
                    description=_name(catalog, kit_id=r.kit_id),
                    period=r.period,
                    quantity=r.kit_quantity or r.quantity,
                    amount=r.total,
                    line_ids=(r.id,),
                    line_amounts=(r.total,),
                )
            )
        else:
            lines.append(
                OrderLineForInvoice(
                    description=_name(catalog, type_id=r.equipment_type_id),
                    period=r.period,
                    quantity=r.quantity,
                    amount=r.total,
                    line_ids=(r.id,),
                )
            )
    currency = order.first.total.currency if order.lines else "EUR"
    return OrderForInvoice(
        order_id=order.id,
        reference=order.reference,
        customer_id=order.customer_id,
        currency=currency,
        status=order.status.value,
        lines=tuple(
            OrderLineForInvoice(
                description=x.description,
                period=x.period,
                quantity=x.quantity,
                amount=Money(x.amount.amount, x.amount.currency).rounded(),
                line_ids=x.line_ids,
                line_amounts=x.line_amounts,
            )
            for x in lines
        ),
    )
