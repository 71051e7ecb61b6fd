"""Wiring of the Booking module into the app: blueprints, subscriptions, jobs, export, and the
bookings section of the staff customer page."""

from __future__ import annotations

from flask import Flask

from rental.booking.application.event_handlers import subscribe_all
from rental.inventory import InventoryFacade, register_demand_source
from rental.payments import register_invoice_order_source
from rental.shared.jobs import register_job
from rental.shared.privacy import ANONYMISED_TEXT, register_exporter, register_history_check
from rental.shared.sections import register_section
from rental.shared.seeding import register_seeder
from rental.shared.web import format_datetime, register_admin_nav


def _facade():
    from rental.booking.facade import BookingFacade

    return BookingFacade()


def _forget_returns(reservation_ids: list[str]) -> int:
    """An anonymised customer's bookings: Inventory's damage notes on their returns go."""
    return InventoryFacade().forget_return_notes(reservation_ids, ANONYMISED_TEXT)


def _expire_holds() -> None:
    _facade().expire_stale_holds()


def _seed() -> None:
    from rental.booking.demo import seed_reservations

    seed_reservations()


def _seed_money() -> None:
    from rental.booking.demo import seed_money

    seed_money()


def init_app(app: Flask) -> None:
    from rental.booking.web import admin_bp, bp, orders_bp
    from rental.booking.web.staff import customer_bookings_section

    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(orders_bp)
    register_admin_nav(app, "Reservations", "booking_admin.list_reservations", order=10)
    register_demand_source(app, lambda type_id, window: _facade().booked_demand(type_id, window))
    subscribe_all(lambda: _facade().commands, format_datetime, _forget_returns)
    # Payments' invoices read the order's lines through this (Payments does not import us).
    from rental.booking.invoicing import order_for_invoice

    register_invoice_order_source(app, order_for_invoice)
    # How many days the staff timeline shows (its links and the dashboard say so too).
    app.jinja_env.globals["timeline_days"] = app.config.get("TIMELINE_DAYS", 14)
    register_job(
        "booking.expire_holds", _expire_holds, seconds=app.config.get("BOOKING_EXPIRE_SECONDS", 30)
    )
    register_exporter(
        "reservations", lambda customer_id: _facade().export_for_customer(customer_id)
    )
    # Customers asks before deleting a customer (it does not import us).
    register_history_check(
        "booking", lambda customer_id: _facade().history_of_customer(customer_id)
    )
    register_seeder("reservations", _seed)
    register_seeder("money", _seed_money)
    # The staff customer page lists the customer's bookings (Customers does not import us).
    register_section(app, "customer", "bookings", customer_bookings_section)
