"""Wire Notifications into the app: Flask-Mailman, the handlers of Booking's events, the
public "Find my booking" page, the /admin/mail page in the admin menu."""

from __future__ import annotations

from flask import Flask

from rental.notifications import links, web
from rental.notifications.handlers import subscribe_all
from rental.notifications.mailer import init_mail
from rental.shared.sections import register_section
from rental.shared.web import register_admin_nav


def init_app(app: Flask) -> None:
    init_mail(app)
    subscribe_all()
    app.register_blueprint(links.bp)
    app.register_blueprint(web.bp)
    register_admin_nav(app, "E-mails", "notifications_admin.mail_list", order=85)
    register_section(app, "order", "notifications", web.order_mail_section)
