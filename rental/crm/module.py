"""Wire the CRM module into the app: Booking's and Payments' events (the projections), the
section of the staff customer page and its preferences form."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask

from rental.crm import cli, web
from rental.crm.application.event_handlers import (
    subscribe_all,
    subscribe_anonymised,
    subscribe_deleted,
)
from rental.shared.jobs import register_job
from rental.shared.privacy import register_exporter
from rental.shared.sections import register_section
from rental.shared.web import register_admin_nav

EXPIRE_TIERS_EVERY_SECONDS = 3600  # idempotent: a tier drops once per passed expiry


def _projections(at: datetime):
    from rental.crm.facade import projections
    from rental.shared import outbox

    return projections(at=at, publish=outbox.record)


def _expire_tiers() -> None:
    from rental.crm.facade import CRMFacade

    CRMFacade().expire_tiers()


def _export(customer_id: str) -> dict[str, Any]:
    from rental.crm.facade import CRMFacade

    return CRMFacade().export_for_customer(customer_id)


def _forget(customer_id: str) -> None:
    from rental.crm.facade import CRMFacade

    CRMFacade().forget_customer(customer_id)


def _drop(customer_id: str) -> None:
    from rental.crm.facade import CRMFacade

    CRMFacade().drop_customer(customer_id)


def init_app(app: Flask) -> None:
    subscribe_all(_projections)
    app.register_blueprint(web.bp)
    register_admin_nav(app, "Loyalty", "crm_admin.high_value_customers", order=41)
    register_section(app, "customer", "crm", web.customer_crm_section, order=40)
    register_job("crm.expire_tiers", _expire_tiers, seconds=EXPIRE_TIERS_EVERY_SECONDS)
    app.cli.add_command(cli.crm_cli)
    register_exporter("crm", _export)
    subscribe_anonymised(_forget)
    subscribe_deleted(_drop)
