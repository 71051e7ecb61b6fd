"""A small shop with one of everything a route can name in its path — category, equipment type
with rate card and items, a maintenance window, a customer, reservations (a pending hold and a
confirmed booking) with their manage tokens, a second staff user — and the real values for
each path variable, for tests that walk every route of app.url_map."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from flask import Flask, current_app
from werkzeug.routing import Rule

from rental.api import ApiFacade
from rental.api.domain.tokens import NewToken
from rental.booking import (
    AddOrderLine,
    BookingFacade,
    CreateReservation,
    OrderLine,
    PricingBasis,
)
from rental.calendars import CalendarsFacade
from rental.calendars.domain.feeds import NewFeed
from rental.inventory import InventoryFacade, ScheduleMaintenance
from rental.notifications import NotificationsFacade
from rental.payments import InvoiceFacade
from rental.payments.infrastructure.damage_photos import damage_photo_store
from rental.shared.images.processing import process_upload
from rental.shared.images.web import image_store
from rental.shared.outbox import OutboxProcessor
from rental.shared.time_range import TimeRange, utcnow
from rental.webhooks import WebhooksFacade
from rental.webhooks.domain.endpoints import EndpointForm
from tests.support.auth import create_staff
from tests.support.fleet import make_customer, make_type, tomorrow_at
from tests.support.images import image_bytes


@dataclass
class World:
    values: dict[str, list[str]] = field(default_factory=dict)

    def first(self, name: str) -> str:
        return self.values[name][0]


def make_world() -> World:
    """Needs an app context on a clean database."""
    fleet = make_type(units=3)
    customer = make_customer()
    booking = BookingFacade()
    tokens = [secrets.token_urlsafe(24), secrets.token_urlsafe(24)]
    pending = booking.create_reservation(
        CreateReservation(
            customer,
            fleet.type_id,
            TimeRange(tomorrow_at(9), tomorrow_at(12)),
            1,
            PricingBasis.HOURLY,
            tokens[0],
        )
    )
    confirmed = booking.create_reservation(
        CreateReservation(
            customer,
            fleet.type_id,
            TimeRange(tomorrow_at(9, days=2), tomorrow_at(17, days=2)),
            1,
            PricingBasis.HOURLY,
            tokens[1],
        )
    )
    booking.confirm_reservation(confirmed)
    # The confirmed booking is an order of two lines, so its items can be named too.
    lights = make_type(units=3, name="Light tower", category_id=fleet.category_id)
    order = booking.add_order_line(
        AddOrderLine(
            booking.get_reservation(confirmed).order_id,
            OrderLine(1, equipment_type_id=lights.type_id),
        )
    )
    processor = OutboxProcessor()  # the confirmation's charges open the order's ledger
    while processor.drain_once().claimed:
        pass
    order_id = order.id
    # The order's invoice(s) and credit note (issued as it was confirmed, then grew a line).
    documents = [d.id for d in InvoiceFacade().documents_for_order(order_id).documents]
    start = tomorrow_at(8, days=20)
    window = InventoryFacade().schedule_maintenance(
        ScheduleMaintenance(
            fleet.item_ids[-1], TimeRange(start, start + timedelta(hours=4)), "Service"
        )
    )
    staff = create_staff("STAFF")
    references = [booking.get_reservation(r).reference for r in (pending, confirmed)]
    photo = process_upload(image_bytes(64, 48), "photo.png")  # a stored file for /media/<name>
    image_store().put(photo.files)
    damage_photo_store().put(photo.files)  # and one for /admin/payments/damage-photos/<name>
    integrations = _integrations()
    return World(
        {
            **integrations,
            "category_id": [fleet.category_id],
            "type_id": [fleet.type_id],
            "slug": [fleet.slug],
            "item_id": list(fleet.item_ids),
            "window_id": [window],
            "customer_id": [customer],
            "reservation_id": [pending, confirmed],
            "order_id": [order_id],
            "reference": references,
            "token": tokens,
            "user_id": [staff.id],
            "filename": ["css/app.css"],
            "name": [photo.image.file_name(200)],
            "index": ["0", "1"],  # a cart line
            "line_id": [order.lines[-1].id, confirmed],
            "document_id": documents,
            # The confirmation e-mail the drain above sent (/admin/mail/<message_id>).
            "message_id": [m.id for m in NotificationsFacade().recent_mail(10)],
        }
    )


def _integrations() -> dict[str, list[str]]:
    """An API token, a calendar feed, a webhook endpoint with a (test) delivery."""
    now = utcnow()
    token_id, _ = ApiFacade().create_token(NewToken("Fuzz", ("read",)), now, "world")
    CalendarsFacade().create_feed(NewFeed("All", None), now, "world")
    feed_id = next(f.id for f in CalendarsFacade().list_feeds())
    allow = current_app.config.get("WEBHOOKS_ALLOW_PRIVATE")
    current_app.config["WEBHOOKS_ALLOW_PRIVATE"] = True  # the endpoint never receives anything
    try:
        webhooks = WebhooksFacade()
        endpoint_id, _ = webhooks.create_endpoint(
            EndpointForm("http://127.0.0.1:9/hook", "Fuzz", ("webhook.test",), False, True),
            now,
            "world",
        )
        webhooks.send_test(endpoint_id, now)
        delivery_id = str(webhooks.deliveries(endpoint_id)[0].id)
    finally:
        current_app.config["WEBHOOKS_ALLOW_PRIVATE"] = allow
    return {
        "token_id": [token_id],
        "feed_id": [feed_id],
        "endpoint_id": [endpoint_id],
        "delivery_id": [delivery_id],
    }


def build_url(app: Flask, rule: Rule, world: World, pick: int = 0) -> str:
    """The rule's URL with real values; reference and token stay a matching pair."""
    values = {}
    for name in rule.arguments:
        options = world.values.get(name) or ["00000000-0000-4000-8000-000000000000"]
        values[name] = options[min(pick, len(options) - 1)]
    return app.url_map.bind("localhost").build(rule.endpoint, values)


def routes(app: Flask, method: str) -> list[Rule]:
    return sorted(
        (r for r in app.url_map.iter_rules() if method in (r.methods or ())),
        key=lambda r: (r.rule, r.endpoint),
    )
