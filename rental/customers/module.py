"""Wire the customers module into the app: admin pages, admin menu entry, demo customers."""

from __future__ import annotations

from flask import Flask

from rental.customers import demo, web
from rental.shared.seeding import register_seeder
from rental.shared.web import register_admin_nav


def init_app(app: Flask) -> None:
    app.register_blueprint(web.bp)
    register_admin_nav(app, "Customers", "customers.index", order=40)
    register_seeder("customers", demo.seed_customers)
