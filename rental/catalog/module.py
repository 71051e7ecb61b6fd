"""Catalog start-up: the admin blueprint, admin menu entry, demo data. (The public catalog
pages show prices, so rental.storefront serves them.)"""

from __future__ import annotations

from flask import Flask

from rental.catalog.demo import seed_catalog
from rental.catalog.web import admin_bp
from rental.shared.images.web import accept_uploads
from rental.shared.seeding import register_seeder
from rental.shared.web import register_admin_nav


def init_app(app: Flask) -> None:
    app.register_blueprint(admin_bp)
    accept_uploads(  # photos
        app,
        "catalog_admin.create_type",
        "catalog_admin.update_type",
        "catalog_admin.create_kit",
        "catalog_admin.update_kit",
    )
    register_admin_nav(app, "Catalog", "catalog_admin.index", order=10)
    register_seeder("catalog", seed_catalog)
