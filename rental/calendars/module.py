"""Wire Calendars into the app: the customer's .ics download (web/order.py)."""

from __future__ import annotations

from flask import Flask

from rental.calendars.web import order


def init_app(app: Flask) -> None:
    app.register_blueprint(order.bp)
