"""Integration events the Webhooks module publishes through the outbox (Notifications mails the
shop about them). They carry the endpoint's ID and host, never its secret."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rental.shared.events import Event, register_event


@register_event
@dataclass(frozen=True, kw_only=True)
class WebhookEndpointDisabled(Event):
    """An endpoint was switched off automatically: every attempt to reach it failed for
    WEBHOOKS_DISABLE_AFTER (24 hours) — its deliveries wait until an administrator enables it
    again."""

    endpoint_id: str
    host: str  # the URL's host only (no path, which may hold a token of the receiver)
    reason: str
    failing_since: datetime
    disabled_at: datetime
