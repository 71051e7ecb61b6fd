"""Wire Webhooks into the app: the outbox subscribers, the worker's delivery job, the admin
pages with their menu entry."""

from __future__ import annotations

from flask import Flask

from rental.shared.jobs import register_job
from rental.shared.web import register_admin_nav
from rental.webhooks.application import delivery
from rental.webhooks.application.event_handlers import subscribe_all
from rental.webhooks.web import admin


def init_app(app: Flask) -> None:
    subscribe_all()
    every = float(app.config.get("WEBHOOKS_POLL_SECONDS", delivery.RUN_EVERY_SECONDS))
    register_job("webhooks.deliver", delivery.deliver_job, seconds=every)
    app.register_blueprint(admin.bp)
    register_admin_nav(app, "Webhooks", "webhooks_admin.endpoint_list", order=88)
