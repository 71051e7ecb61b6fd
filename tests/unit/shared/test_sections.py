"""rental.shared.sections: a page's owner shows what other modules render about its subject,
in order, without importing them."""

from __future__ import annotations

from flask import Flask
from markupsafe import Markup

from rental.shared.sections import register_section, sections


def test_sections_render_for_the_subject_in_order_and_a_name_is_replaced_not_repeated():
    app = Flask(__name__)
    register_section(app, "customer", "payments", lambda cid: f"<p>paid {cid}</p>", order=60)
    register_section(app, "customer", "bookings", lambda cid: "old", order=10)
    register_section(app, "customer", "bookings", lambda cid: f"<p>booked {cid}</p>", order=10)
    register_section(app, "type", "other", lambda tid: "not this page")
    with app.app_context():
        shown = sections("customer", "c-1")
        assert shown == [("bookings", "<p>booked c-1</p>"), ("payments", "<p>paid c-1</p>")]
        assert all(isinstance(html, Markup) for _, html in shown)
        assert sections("nobody-registered", "x") == []
