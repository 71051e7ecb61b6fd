"""Wire Calendars into the app: the customer's .ics download (web/order.py), the staff feeds'
admin page with its menu entry and the feeds' public URL (web/feeds.py)."""

from __future__ import annotations

from flask import Flask

from rental.calendars.web import feeds, order
from rental.shared.web import register_admin_nav


def init_app(app: Flask) -> None:
    app.register_blueprint(order.bp)
    app.register_blueprint(feeds.admin_bp)
    app.register_blueprint(feeds.feed_bp)
    register_admin_nav(app, "Calendar feeds", "calendars_admin.feed_list", order=87)
