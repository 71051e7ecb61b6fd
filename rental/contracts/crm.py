"""Integration events the CRM module publishes through the outbox. They carry the customer ID,
never personal data (anonymising a customer leaves nothing behind in the outbox)."""

from __future__ import annotations

from dataclasses import dataclass

from rental.shared.events import Event, register_event


@register_event
@dataclass(frozen=True, kw_only=True)
class LoyaltyTierChanged(Event):
    """A customer's loyalty tier changed (BRONZE, SILVER, GOLD): up when a completed rental
    earned the points, down when a cancellation took points back or the tier expired.

    Published only when the incremental projection really changes the tier, never by
    `crm rebuild` (which recomputes what was already published). `change_id` names this one
    change (a customer may reach Silver twice: two changes, two IDs)."""

    change_id: str
    customer_id: str
    old_tier: str
    new_tier: str
    points: int
    reason: str  # "rental_completed" | "rental_cancelled" | "expired"

    @property
    def is_up(self) -> bool:
        order = ("BRONZE", "SILVER", "GOLD")
        return order.index(self.new_tier) > order.index(self.old_tier)
