"""Pricing start-up: admin blueprint, menu entry, demo rate cards, the rates column on the
catalog's list of equipment types."""

from __future__ import annotations

from flask import Flask

from rental.catalog import TypeListColumn, register_type_list_column
from rental.pricing.demo import seed_pricing
from rental.pricing.domain.models import describe_duration
from rental.pricing.web import admin_bp, rate_cells
from rental.shared.seeding import register_seeder
from rental.shared.web import register_admin_nav


def init_app(app: Flask) -> None:
    app.register_blueprint(admin_bp)
    register_admin_nav(app, "Pricing", "pricing_admin.index", order=30)
    register_seeder("pricing", seed_pricing)
    app.jinja_env.filters["duration"] = describe_duration
    register_type_list_column(app, TypeListColumn("Rates", rate_cells, missing="NO PRICE"))
