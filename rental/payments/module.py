"""Wire the payments module into the app: Booking's events (charges per confirmed line) and
the staff forms of the "Money" panel."""

from __future__ import annotations

from flask import Flask

from rental.payments import deposits_web, web
from rental.payments.application.event_handlers import subscribe_all
from rental.payments.infrastructure.damage_photos import init_damage_photos
from rental.payments.templating import init_templating
from rental.shared.images.web import accept_uploads
from rental.shared.web import register_admin_nav


def _commands():
    from rental.payments.facade import ledger_commands

    return ledger_commands()


def init_app(app: Flask) -> None:
    subscribe_all(_commands)
    app.register_blueprint(web.bp)
    init_damage_photos(app)
    accept_uploads(app, deposits_web.RELEASE_ENDPOINT)  # the damage photo
    init_templating(app)
    register_admin_nav(app, "Payment settings", "payments_admin.settings", order=92)
