"""Wire Notifications into the app: Flask-Mailman, the handlers of Booking's, Inventory's,
Payments' and CRM's events, the jobs that send on time (schedule.py), the public "Find my
booking" page, the /admin/mail page in the admin menu, the order's and the customer's "E-mails"
sections."""

from __future__ import annotations

from flask import Flask

from rental.notifications import links, schedule, web
from rental.notifications.customer_mail import customer_mail_section
from rental.notifications.handlers import subscribe_all
from rental.notifications.loyalty import subscribe_loyalty
from rental.notifications.mailer import init_mail
from rental.notifications.receipts import subscribe_receipts
from rental.shared.jobs import register_job
from rental.shared.sections import register_section
from rental.shared.web import register_admin_nav


def init_app(app: Flask) -> None:
    init_mail(app)
    subscribe_all()
    subscribe_receipts()
    subscribe_loyalty()
    every = app.config.get("NOTIFICATIONS_JOB_SECONDS", schedule.RUN_EVERY_SECONDS)
    register_job("notifications.pickup_reminders", schedule.send_pickup_reminders, seconds=every)
    register_job("notifications.return_due", schedule.send_return_due, seconds=every)
    app.register_blueprint(links.bp)
    app.register_blueprint(web.bp)
    register_admin_nav(app, "E-mails", "notifications_admin.mail_list", order=85)
    register_section(app, "order", "notifications", web.order_mail_section)
    register_section(app, "customer", "notifications", customer_mail_section, order=60)
