"""Shop start-up: the settings page, its admin menu entry, `shop_settings()` for templates
and the demo settings."""

from __future__ import annotations

from flask import Flask

from rental.shared.seeding import register_seeder
from rental.shared.web import register_admin_nav
from rental.shop.demo import seed_shop
from rental.shop.web import admin_bp, shop_settings


def init_app(app: Flask) -> None:
    app.register_blueprint(admin_bp)
    register_admin_nav(app, "Shop", "shop_admin.settings", order=90)
    register_seeder("shop", seed_shop)
    app.jinja_env.globals["shop_settings"] = shop_settings
