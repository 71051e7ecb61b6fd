"""Wiring of the Booking module into the app: blueprints, subscriptions, jobs, export."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from rental.inventory import register_demand_source
from rental.shared.events import Message, subscribe
from rental.shared.jobs import register_job
from rental.shared.privacy import register_exporter
from rental.shared.seeding import register_seeder
from rental.shared.web import register_admin_nav


def _facade():
    from rental.booking.facade import BookingFacade

    return BookingFacade()


def _on_allocation_failed(message: Message) -> None:
    # The inbox row and the flag commit together (nested unit of work).
    facade = _facade()
    facade.flag_reservation(
        message.payload["reservation_id"],
        message.payload.get("reason") or "Items could not be allocated.",
        code="allocation",
    )


def _on_items_allocated(message: Message) -> None:
    """Served after all (re-planned, retried, an item came back): the allocation flag goes."""
    _facade().clear_attention(message.payload["reservation_id"], code="allocation")


def _on_return_overdue(message: Message) -> None:
    from rental.shared.web import format_datetime

    p = message.payload
    due = datetime.fromisoformat(p["due_at"])
    _facade().flag_reservation(
        p["reservation_id"],
        f"{p['serial_number']} was not returned; it was due back {format_datetime(due)}. "
        "Call the customer, then take it back here.",
        code="overdue",
    )


def _expire_holds() -> None:
    _facade().expire_stale_holds()


def _seed() -> None:
    from rental.booking.demo import seed_reservations

    seed_reservations()


def init_app(app: Flask) -> None:
    from rental.booking.web import admin_bp, bp

    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    register_admin_nav(app, "Reservations", "booking_admin.list_reservations", order=10)
    register_demand_source(app, lambda type_id, window: _facade().booked_demand(type_id, window))
    subscribe("AllocationFailed", name="booking.flag_reservation")(_on_allocation_failed)
    subscribe("ItemsAllocated", name="booking.clear_allocation_flag")(_on_items_allocated)
    subscribe("ReturnOverdue", name="booking.flag_overdue")(_on_return_overdue)
    register_job(
        "booking.expire_holds", _expire_holds, seconds=app.config.get("BOOKING_EXPIRE_SECONDS", 30)
    )
    register_exporter(
        "reservations", lambda customer_id: _facade().export_for_customer(customer_id)
    )
    register_seeder("reservations", _seed)
