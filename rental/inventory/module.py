"""Inventory start-up: admin blueprint, menu entry, demo items."""

from __future__ import annotations

from flask import Flask

from rental.inventory.demo import seed_inventory
from rental.inventory.web import admin_bp
from rental.shared.seeding import register_seeder
from rental.shared.web import register_admin_nav


def init_app(app: Flask) -> None:
    app.register_blueprint(admin_bp)
    register_admin_nav(app, "Inventory", "inventory_admin.index", order=20)
    register_seeder("inventory", seed_inventory)
