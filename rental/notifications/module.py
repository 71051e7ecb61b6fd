"""Wire Notifications into the app: Flask-Mailman, the handlers of Booking's and Inventory's
events, the jobs that send on time (schedule.py), /admin/mail in the admin menu."""

from __future__ import annotations

from flask import Flask

from rental.notifications import schedule, web
from rental.notifications.handlers import subscribe_all
from rental.notifications.mailer import init_mail
from rental.shared.jobs import register_job
from rental.shared.sections import register_section
from rental.shared.web import register_admin_nav


def init_app(app: Flask) -> None:
    init_mail(app)
    subscribe_all()
    every = app.config.get("NOTIFICATIONS_JOB_SECONDS", schedule.RUN_EVERY_SECONDS)
    register_job("notifications.pickup_reminders", schedule.send_pickup_reminders, seconds=every)
    register_job("notifications.return_due", schedule.send_return_due, seconds=every)
    app.register_blueprint(web.bp)
    register_admin_nav(app, "E-mails", "notifications_admin.mail_list", order=85)
    register_section(app, "order", "notifications", web.order_mail_section)
