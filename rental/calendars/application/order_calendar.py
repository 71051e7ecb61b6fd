"""An order's calendar, composed when it is asked for from what is true now: the order
(BookingFacade), the names of its items (CatalogFacade), the shop's name and address
(ShopFacade) and its time zone (BUSINESS_TIMEZONE)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app

from rental.booking import BookingFacade, Order, ReservationStatus
from rental.calendars.domain.ics import OrderCalendar, order_calendar
from rental.catalog import CatalogFacade
from rental.shop import ShopFacade


def _items(order: Order) -> tuple[str, ...]:
    lines = order.live_lines
    names = CatalogFacade().get_equipment_type_summaries({r.equipment_type_id for r in lines})
    return tuple(
        f"{r.quantity} × {names[r.equipment_type_id].name}"
        if r.equipment_type_id in names
        else f"{r.quantity} × Equipment"
        for r in lines
    )


_GONE = {ReservationStatus.CANCELLED, ReservationStatus.EXPIRED}
_NOT_YET = {ReservationStatus.PENDING, ReservationStatus.REQUESTED, ReservationStatus.QUOTED}


def _status(status: ReservationStatus) -> str:
    """RFC 5545's STATUS of the events: a cancelled or lapsed order's events are CANCELLED
    (a calendar that imported them before drops them), an unconfirmed one's TENTATIVE."""
    if status in _GONE:
        return "CANCELLED"
    return "TENTATIVE" if status in _NOT_YET else "CONFIRMED"


def order_ics(order: Order, manage_url: str) -> bytes:
    shop = ShopFacade().get_settings()
    period = order.first.period
    tz = ZoneInfo(current_app.config.get("BUSINESS_TIMEZONE", "UTC"))
    calendar = OrderCalendar(
        order_id=order.id,
        reference=order.reference,
        shop_name=shop.name or "RentKit",
        shop_address=", ".join(shop.address_lines),
        items=_items(order),
        start=period.start,
        end=period.end,
        manage_url=manage_url,
        status=_status(order.status),
        sequence=order.version,
        last_modified=order.updated_at,
    )
    return order_calendar(calendar, tz, datetime.now(UTC))


def order_ics_for_customer(reference: str, token: str, manage_url: str) -> bytes:
    """NotFoundError when reference and token do not open a manage page."""
    return order_ics(BookingFacade().get_order_for_customer(reference, token), manage_url)
