"""Wire the CRM module into the app: Booking's and Payments' events (the projections), the
section of the staff customer page and its preferences form."""

from __future__ import annotations

from flask import Flask

from rental.crm import web
from rental.crm.application.event_handlers import subscribe_all
from rental.shared.sections import register_section


def _projections():
    from rental.crm.facade import projections

    return projections()


def init_app(app: Flask) -> None:
    subscribe_all(_projections)
    app.register_blueprint(web.bp)
    register_section(app, "customer", "crm", web.customer_crm_section, order=40)
