"""Wire Notifications into the app: Flask-Mailman, the handlers of Booking's, Inventory's,
Payments' and CRM's events, the jobs that send on time (application/jobs.py), the public
"Find my booking" page, the /admin/mail page in the admin menu, the order's and the customer's
"E-mails" sections."""

from __future__ import annotations

from flask import Flask

from rental.notifications.application import jobs
from rental.notifications.application.event_handlers import subscribe_all
from rental.notifications.infrastructure.mailer import init_mail
from rental.notifications.web import admin, find_booking
from rental.shared.jobs import register_job
from rental.shared.sections import register_section
from rental.shared.web import register_admin_nav


def init_app(app: Flask) -> None:
    init_mail(app)
    subscribe_all()
    every = app.config.get("NOTIFICATIONS_JOB_SECONDS", jobs.RUN_EVERY_SECONDS)
    register_job("notifications.pickup_reminders", jobs.send_pickup_reminders, seconds=every)
    register_job("notifications.return_due", jobs.send_return_due, seconds=every)
    app.register_blueprint(find_booking.bp)
    app.register_blueprint(admin.bp)
    register_admin_nav(app, "E-mails", "notifications_admin.mail_list", order=85)
    register_section(app, "order", "notifications", admin.order_mail_section)
    register_section(app, "customer", "notifications", admin.customer_mail_section, order=60)
