"""The Booking module's two blueprints: the customer's journey (no prefix) and the staff
pages under /admin/reservations. The routes live in journey.py, staff.py and timeline.py."""

from flask import Blueprint

bp = Blueprint("booking", __name__)
admin_bp = Blueprint("booking_admin", __name__, url_prefix="/admin/reservations")
# Staff orders of several lines (types and kits): /admin/orders/new (staff_orders.py).
orders_bp = Blueprint("booking_orders", __name__, url_prefix="/admin/orders")
