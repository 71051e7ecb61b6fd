"""The feature modules, in start-up order. Each package has `module.py` with `init_app(app)`
that registers its blueprint, event subscriptions, periodic jobs and demo-data seeder."""

from __future__ import annotations

import importlib

from flask import Flask

MODULES: list[str] = [
    "rental.catalog",
    "rental.pricing",
    "rental.inventory",
    "rental.customers",
    "rental.accounts",
    "rental.shop",
    "rental.payments",
    "rental.crm",  # Booking's and Payments' events; a section of the customer page
    "rental.transfers",  # CSV imports through Catalog's, Pricing's and Inventory's facades
    "rental.booking",
    "rental.calendars",  # an order's .ics (reads BookingFacade; Notifications attaches it)
    "rental.storefront",  # composes pages from the modules above, so it comes last
    "rental.notifications",  # e-mails about Booking's events (reads BookingFacade)
    "rental.webhooks",  # signed HTTP callbacks of the events (reads Booking, Customers)
    "rental.api",  # the JSON API over the facades above (top layer), so it comes last
]


def init_modules(app: Flask) -> None:
    for name in MODULES:
        importlib.import_module(f"{name}.module").init_app(app)
    # Extra packages named in RENTAL_PLUGINS (tests use this to add probe handlers).
    for name in app.config.get("RENTAL_PLUGINS", []):
        importlib.import_module(name).init_app(app)
