"""The shop's alert that a webhook endpoint was switched off after failing for 24 hours
(Webhooks' WebhookEndpointDisabled): once per endpoint and time it was disabled."""

from __future__ import annotations

from rental.contracts.webhooks import WebhookEndpointDisabled
from rental.notifications.application.senders import (
    _shop_context as shop_context,
)
from rental.notifications.application.senders import (
    compose_and_send,
    external_url,
)
from rental.notifications.domain.notification import STAFF_WEBHOOK_DISABLED
from rental.notifications.infrastructure.messages import already_sent
from rental.shared.web import format_datetime


def send_staff_webhook_disabled(event: WebhookEndpointDisabled) -> None:
    key = f"{STAFF_WEBHOOK_DISABLED}:{event.endpoint_id}:{event.disabled_at.isoformat()}"
    if already_sent(key):
        return
    context = shop_context()
    shop = context["shop"]
    if not shop.email:
        return  # the shop has given no address to alert
    compose_and_send(
        key,
        STAFF_WEBHOOK_DISABLED,
        shop.email,
        f"Webhook endpoint switched off: {event.host}",
        {
            **context,
            "host": event.host,
            "reason": event.reason,
            "failing_since": format_datetime(event.failing_since, with_year=True),
            "admin_url": external_url("webhooks_admin.endpoint", endpoint_id=event.endpoint_id),
        },
    )
