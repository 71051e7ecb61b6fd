"""Inventory start-up: Booking's events, the overdue-returns job, admin blueprint and menu
entry, demo items."""

from __future__ import annotations

from flask import Flask

from rental.inventory.application.event_handlers import subscribe_all
from rental.inventory.demo import seed_inventory
from rental.inventory.web import admin_bp
from rental.shared.jobs import register_job
from rental.shared.seeding import register_seeder
from rental.shared.web import register_admin_nav


def _facade():
    from rental.inventory.facade import InventoryFacade

    return InventoryFacade()


def init_app(app: Flask) -> None:
    # Booking's events: allocate on confirmation, re-plan on change, release on cancel.
    subscribe_all(lambda: _facade().follower())
    # Time passing makes items overdue: notice it, tell Booking, plan the fleet again.
    register_job(
        "inventory.overdue_returns",
        lambda: _facade().notice_overdue_returns(),
        seconds=app.config.get("INVENTORY_OVERDUE_SECONDS", 60),
    )
    app.register_blueprint(admin_bp)
    register_admin_nav(app, "Inventory", "inventory_admin.index", order=20)
    register_seeder("inventory", seed_inventory)
