"""CRM's projections, kept by Booking's and Payments' events (the handlers run each in the
worker's transaction with its inbox row, so a redelivered event changes nothing).

A booking line's events are applied by the reservation's `sequence`: one older than the last
applied is ignored. An event about a customer CRM never saw creates the rows it needs.

A loyalty tier that really changes is published as `LoyaltyTierChanged` through `publish`
(the worker's: the outbox, in the handler's transaction); `crm rebuild` passes none — it
recomputes tiers whose changes were published when they happened."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from rental.contracts.booking import (
    ReservationCancelled,
    ReservationChanged,
    ReservationCompleted,
    ReservationConfirmed,
    ReservationEvent,
)
from rental.contracts.crm import LoyaltyTierChanged
from rental.contracts.payments import (
    EntryReversed,
    LedgerEntryEvent,
    PaymentReceived,
    RefundIssued,
)
from rental.crm.domain.history import LineStatus, applies, duration_minutes
from rental.crm.domain.loyalty import LoyaltyStatus, points_for, qualify, take_back
from rental.crm.infrastructure.entities import CLVEntity, RentalHistoryEntity
from rental.crm.infrastructure.repositories import CRMRepository
from rental.shared.events import Event

log = logging.getLogger(__name__)

EquipmentName = Callable[[str], str]
Publish = Callable[[Event], None]


class Projections:
    def __init__(
        self,
        repository: CRMRepository,
        *,
        clock: Callable[[], datetime],
        equipment_name: EquipmentName,
        publish: Publish | None = None,
    ) -> None:
        self.repo = repository
        self.clock = clock
        self.equipment_name = equipment_name
        self.publish = publish

    def apply(self, event: Event) -> None:
        """`event` through the handler of its type (the worker and the rebuild both come here)."""
        handler = {
            ReservationConfirmed: self.on_confirmed,
            ReservationChanged: self.on_changed,
            ReservationCompleted: self.on_completed,
            ReservationCancelled: self.on_cancelled,
            PaymentReceived: self.on_payment,
            RefundIssued: self.on_refund,
            EntryReversed: self.on_reversed,
        }.get(type(event))
        if handler is None:
            raise TypeError(f"CRM does not project {type(event).__name__}")
        handler(event)  # type: ignore[operator]

    # --- rental history and loyalty -----------------------------------------------------------

    def on_confirmed(self, event: ReservationConfirmed) -> None:
        self._apply(event, LineStatus.CONFIRMED)

    def on_changed(self, event: ReservationChanged) -> None:
        if event.is_live:  # a changed hold is nothing booked yet
            self._apply(event, LineStatus.CHANGED)

    def on_completed(self, event: ReservationCompleted) -> None:
        row = self._apply(event, LineStatus.COMPLETED)
        if row is None or row.points:
            return
        points = points_for(event.total.amount)
        row.points = points
        before = self.repo.loyalty_for_update(event.customer_id)
        status = qualify(before, points, self.clock())
        self.repo.save_loyalty(event.customer_id, status)
        self._tier_changed(event.customer_id, before, status, "rental_completed")

    def on_cancelled(self, event: ReservationCancelled) -> None:
        row = self._apply(event, LineStatus.CANCELLED)
        if row is None or not row.points:
            return
        before = self.repo.loyalty_for_update(event.customer_id)
        status = take_back(before, row.points)
        row.points = 0
        self.repo.save_loyalty(event.customer_id, status)
        self._tier_changed(event.customer_id, before, status, "rental_cancelled")

    def _tier_changed(
        self, customer_id: str, before: LoyaltyStatus, after: LoyaltyStatus, reason: str
    ) -> None:
        if self.publish is None or before.tier == after.tier:
            return
        self.publish(
            LoyaltyTierChanged(
                change_id=str(uuid.uuid4()),
                customer_id=customer_id,
                old_tier=before.tier.name,
                new_tier=after.tier.name,
                points=after.points,
                reason=reason,
            )
        )

    def _apply(self, event: ReservationEvent, status: LineStatus) -> RentalHistoryEntity | None:
        """The line as `event` describes it (None: an older event, ignored)."""
        row = self.repo.history_line(event.reservation_id)
        if row is not None and not applies(event.sequence, row.sequence):
            return None
        now = self.clock()
        if row is None:
            row = RentalHistoryEntity(line_id=event.reservation_id, points=0)
            row.equipment_name = self.equipment_name(event.equipment_type_id)
            self.repo.add_pending(row)
        elif row.equipment_type_id != event.equipment_type_id:  # moved to another type
            row.equipment_name = self.equipment_name(event.equipment_type_id)
        row.customer_id = event.customer_id
        row.order_id = event.order
        row.order_reference = event.order_reference or event.reference
        row.reference = event.reference
        row.equipment_type_id = event.equipment_type_id
        row.quantity = event.quantity
        row.period_start = event.period.start
        row.period_end = event.period.end
        row.duration_minutes = duration_minutes(
            event.period.start.timestamp(), event.period.end.timestamp()
        )
        row.amount = event.total.amount
        row.currency = event.total.currency
        row.status = status.value
        row.sequence = event.sequence
        row.updated_at = now
        self.repo.session.flush()
        return row

    # --- lifetime value -----------------------------------------------------------------------

    def on_payment(self, event: LedgerEntryEvent) -> None:
        self._add(event, event.amount.amount)

    def on_refund(self, event: LedgerEntryEvent) -> None:
        self._add(event, -event.amount.amount)

    def on_reversed(self, event: EntryReversed) -> None:
        # A reversal has the reversed entry's kind and amount: undo what that one did.
        if event.reversed_kind == "PAYMENT":
            self._add(event, -event.amount.amount)
        elif event.reversed_kind == "REFUND":
            self._add(event, event.amount.amount)

    def _add(self, event: LedgerEntryEvent, delta: Decimal) -> None:
        if not event.customer_id:
            return
        row = self.repo.clv_row(event.customer_id)
        now = self.clock()
        if row is None:
            row = CLVEntity(
                customer_id=event.customer_id,
                amount=Decimal(0),
                currency=event.amount.currency,
                updated_at=now,
            )
            self.repo.add_pending(row)
        if row.currency != event.amount.currency:
            # One shop, one currency: a ledger in another one is not summed with it.
            log.warning(
                "CRM: %s entry %s of customer %s not in %s; lifetime value left as it is",
                event.amount.currency,
                event.entry_id,
                event.customer_id,
                row.currency,
            )
            return
        row.amount = Decimal(row.amount) + delta
        row.updated_at = now
        self.repo.session.flush()
