"""Webhooks: outgoing, signed HTTP callbacks of the shop's business events.

Admins register endpoints at /admin/webhooks (URL, event types, the `customers` scope, active;
the secret is made by the app and shown once). Each published event a webhook type stands for
(domain/events.py) becomes, through the outbox, one pending delivery per subscribed active
endpoint; the worker's `webhooks.deliver` job POSTs them signed per Standard Webhooks, retries
with back-off for 24 hours, keeps each endpoint's deliveries in event order, sends to
endpoints concurrently, and disables an endpoint that failed for 24 hours
(WebhookEndpointDisabled, mailed to the shop by Notifications). Addresses are SSRF-checked
when saved and again at connect time (WEBHOOKS_ALLOW_PRIVATE=1 lets loopback/private through).

Where it sits: beside Storefront and Notifications, above Calendars; it reads BookingFacade
(order.confirmed) and CustomerFacade (the customers scope).

Other modules import only from here: `WebhooksFacade`.

Layout:
    facade.py                       WebhooksFacade
    module.py                       init_app: subscribers, the delivery job, the pages
    domain/events.py                public event types, payload `data`, the envelope
    domain/endpoints.py             Endpoint, Delivery, the form's rules
    domain/signing.py               whsec_ secrets, webhook-signature
    domain/retries.py               back-off with jitter, 24 h, auto-disable
    domain/addresses.py             the SSRF guard (URL and IP rules)
    application/event_handlers.py   outbox subscribers → pending deliveries
    application/delivery.py         the dispatcher: claim, send, record
    application/endpoints.py        endpoint commands, test event, redeliver
    infrastructure/entities.py      webhook_endpoints, webhook_deliveries (migration 0029)
    infrastructure/store.py         their rows; the endpoint claim (lease, SKIP LOCKED)
    infrastructure/http.py          the pinned-IP HTTP(S) sender
    web/admin.py                    /admin/webhooks
"""

from rental.webhooks.facade import WebhooksFacade

__all__ = ["WebhooksFacade"]
