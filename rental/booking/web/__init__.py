"""Booking's web layer: the customer's journey and the staff pages (several audiences, so a
package: journey.py, cart.py (several types and kits gathered before checkout) and
checkout.py (the cart's details step, placing one order), items.py (customers add or remove
an item of a booking of several), preferences.py (the customer's e-mails and messages),
staff.py, staff_orders.py (staff orders of several lines, and quotes),
timeline.py, and changes.py where both audiences change a booking; forms.py parses what
visitors type, limits.py holds the request-rate limits)."""

from rental.booking.web import (  # noqa: F401 - registers the routes
    cart,
    changes,
    checkout,
    invoices,
    items,
    journey,
    preferences,
    staff,
    staff_orders,
    timeline,
)
from rental.booking.web.blueprints import admin_bp, bp, orders_bp

__all__ = ["admin_bp", "bp", "orders_bp"]
