"""Integration events the Booking module publishes through the outbox (payload = published
language: other modules subscribe by name and read these fields)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rental.shared.events import Event, register_event
from rental.shared.money import Money
from rental.shared.time_range import TimeRange


@dataclass(frozen=True, kw_only=True)
class ReservationEvent(Event):
    # v2 added `sequence`: the reservation's version when the event was recorded. Events of one
    # reservation may be handled out of order (retries, several workers); a consumer applies an
    # event only when its sequence is newer than the last one it applied.
    version: ClassVar[int] = 2
    reservation_id: str
    reference: str
    customer_id: str
    equipment_type_id: str
    period: TimeRange
    quantity: int
    total: Money
    sequence: int = 0
    # The order the reservation is a line of (added without a version bump: optional, and an
    # event recorded before orders existed is of a one-line order whose ID is the
    # reservation's — see `order`).
    order_id: str = ""
    order_reference: str = ""
    # The line's deposit from its frozen quote (added without a version bump: optional; None
    # in events recorded before deposits were charged — Payments then charges none).
    deposit: Money | None = None

    @property
    def order(self) -> str:
        """The order's ID, also for events recorded before orders existed."""
        return self.order_id or self.reservation_id


@register_event
@dataclass(frozen=True, kw_only=True)
class ReservationCreated(ReservationEvent):
    hold_expires_at: datetime | None
    # True for a request too large to book online: it holds nothing until staff approve it.
    awaiting_approval: bool = False


@register_event
@dataclass(frozen=True, kw_only=True)
class ReservationConfirmed(ReservationEvent):
    # v3: no `occupied_until` any more — Inventory owns the turnaround buffer.
    version: ClassVar[int] = 3


@register_event
@dataclass(frozen=True, kw_only=True)
class ReservationCancelled(ReservationEvent):
    reason: str
    # The cancellation fee the order is charged (Payments' policy, worked out once when the
    # booking was cancelled). Added without a version bump: optional. An event is per line,
    # the fee per cancellation: it rides on ONE line's event (the first line cancelled) and
    # is None on the others, and on every free cancellation.
    fee: Money | None = None
    # A FIXED fee (one per order, shared when items are taken out one by one): the
    # cancellation fees the order had been charged when `fee` was worked out. Payments takes
    # off what was charged since (an earlier removal's event handled after this was worked
    # out), so the order never pays more than the fixed fee. None: a percentage fee.
    fees_before: Money | None = None


@register_event
@dataclass(frozen=True, kw_only=True)
class ReservationHandedOver(ReservationEvent):
    """The booking went on hire: its equipment was handed over (CONFIRMED → ON_HIRE). It can
    no longer be cancelled; it completes when everything is back. Inventory has already
    recorded the items as out in the same transaction, so it needs no handler."""


@register_event
@dataclass(frozen=True, kw_only=True)
class ReservationCompleted(ReservationEvent):
    """Everything handed over is back (ON_HIRE → COMPLETED)."""


@register_event
@dataclass(frozen=True, kw_only=True)
class ReservationExpired(ReservationEvent):
    pass


@register_event
@dataclass(frozen=True, kw_only=True)
class ReservationNoShow(ReservationEvent):
    """Confirmed, but the customer never came: the equipment is free again."""


@register_event
@dataclass(frozen=True, kw_only=True)
class ReservationChanged(ReservationEvent):
    """What has to be served changed: staff moved it to another equipment type, or staff or
    the customer changed its period or quantity (`period`, `quantity` and `total` are the new
    ones). Inventory plans the fleets again — for a booking that is live (`status` CONFIRMED
    or ON_HIRE); a changed hold (PENDING) is nothing to serve yet (its confirmation carries
    the new period)."""

    # v3 added `status` (before it only confirmed bookings changed) and `previous_period`,
    # `previous_quantity`.
    version: ClassVar[int] = 3
    previous_equipment_type_id: str
    status: str = "CONFIRMED"
    previous_period: TimeRange | None = None
    previous_quantity: int | None = None
    # The line whose change moved this one ("" for that line itself): a new period moves the
    # whole order, one event per line, and a consumer telling the customer once per change
    # (Notifications) answers only the changed line's event. Added without a version bump.
    moved_with: str = ""

    @property
    def is_live(self) -> bool:
        return self.status in ("CONFIRMED", "ON_HIRE")

    @classmethod
    def upgrade(cls, payload: dict, version: int) -> dict:
        # v2 and older: only confirmed bookings were changed (moved to another type).
        payload.setdefault("status", "CONFIRMED")
        return payload
