"""Recomputing CRM's projections from the events, and the tiers' expiry.

The rebuild (`flask crm rebuild`): in ONE transaction, delete the projections (rental
history, loyalty, lifetime value) and replay every outbox message CRM had applied, in the
worker's order, through the same `Projections.apply` the worker uses, each with the clock at
the message's `occurred_at` — so the rows come out exactly as incremental processing left
them, and publishing nothing (the tier changes it recomputes were published when they
happened). The communication preferences and their consent log are NOT touched: they come from
a command (the customer's or staff's choice), not from events, and cannot be replayed.

An equipment name is what the catalog called the type when the event arrived; events carry
no name, so the rebuild keeps the name a line already had for the same type (the catalog's
current name only for a line it did not have)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rental.contracts.booking import ReservationEvent
from rental.contracts.crm import LoyaltyTierChanged
from rental.crm.application.event_handlers import SUBSCRIPTIONS
from rental.crm.application.projections import Projections
from rental.crm.domain.loyalty import LoyaltyStatus, expire
from rental.crm.infrastructure.replay import applied_messages
from rental.crm.infrastructure.repositories import CRMRepository, to_status
from rental.shared.events import Event, decode

log = logging.getLogger(__name__)

EXPIRE_BATCH = 500

# (session, at, equipment_name) → Projections; the facade's `projections`.
ProjectionsFactory = Callable[..., Projections]


@dataclass(frozen=True)
class RebuildResult:
    replayed: int
    skipped: int  # messages that could not be decoded (logged)
    history: int
    loyalty: int
    clv: int


class Rebuild:
    def __init__(
        self,
        repository: CRMRepository,
        *,
        projections: ProjectionsFactory,
        equipment_name: Callable[[str], str],
    ) -> None:
        self.repo = repository
        self.projections = projections
        self.equipment_name = equipment_name

    def run(self) -> RebuildResult:
        session = self.repo.session
        kept = self.repo.equipment_names()
        self.repo.delete_projections()
        replayed = skipped = 0
        for message in applied_messages(session, SUBSCRIPTIONS):
            if isinstance(message, Exception):
                log.error("crm rebuild: message skipped: %s", message)
                skipped += 1
                continue
            event = decode(message)
            line = event.reservation_id if isinstance(event, ReservationEvent) else ""

            def name(type_id: str, line: str = line) -> str:
                found = kept.get((line, type_id))
                return found if found is not None else self.equipment_name(type_id)

            self.projections(session, at=message.occurred_at, name=name).apply(event)
            replayed += 1
        session.flush()
        history, loyalty, clv = self.repo.projection_counts()
        return RebuildResult(replayed, skipped, history, loyalty, clv)


def expire_tiers(
    repository: CRMRepository, now: datetime, publish: Callable[[Event], None] | None = None
) -> int:
    """`expire(status, now)` on every loyalty row whose tier expiry has passed: the tier drops
    one level and the lower one gets 12 more months from the old expiry (Bronze never
    expires). A job that did not run for a long time catches up (Gold expired 13 months ago
    is Bronze now, as daily runs would have made it), so a second run changes nothing.
    Each drop is published (`publish`: the outbox) as one LoyaltyTierChanged."""
    changed = 0
    while True:
        rows = repository.expired_loyalty(now, EXPIRE_BATCH)
        for row in rows:
            before = to_status(row)
            status = caught_up(before, now)
            row.tier = status.tier.name
            row.tier_expires_at = status.tier_expires_at
            if publish is not None and status.tier != before.tier:
                publish(
                    LoyaltyTierChanged(
                        change_id=str(uuid.uuid4()),
                        customer_id=row.customer_id,
                        old_tier=before.tier.name,
                        new_tier=status.tier.name,
                        points=status.points,
                        reason="expired",
                    )
                )
        repository.session.flush()
        changed += len(rows)
        if len(rows) < EXPIRE_BATCH:
            return changed


def caught_up(status: LoyaltyStatus, now: datetime) -> LoyaltyStatus:
    """`expire` until nothing more is due at `now` (at most one step per tier)."""
    while (after := expire(status, now)) != status:
        status = after
    return status
