"""The Reservation: booking's own model. It references the customer and the equipment type by
ID only and freezes the quoted price at creation."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from enum import StrEnum
from typing import Any

from rental.shared import local_time
from rental.shared.errors import ConflictError, ValidationError
from rental.shared.money import Money
from rental.shared.text import clean_line
from rental.shared.time_range import TimeRange

# No 0/O, 1/I/L: a reference read out over the phone should not be ambiguous.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 6


def hash_token(token: str) -> str:
    """What is stored of a manage token (the token itself is only ever in the customer's link)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _when(moment: datetime, tz: tzinfo) -> str:
    """'Sat 12 Jul 2031 09:00' in the business time zone (how refusals name a moment)."""
    local = moment.astimezone(tz)
    return f"{local_time.day_label(local.date())} {local_time.clock(local)}"


def new_reference() -> str:
    return "RK-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


class ReservationStatus(StrEnum):
    PENDING = "PENDING"  # a hold: capacity kept for a few minutes until the customer confirms
    REQUESTED = "REQUESTED"  # too large to book online: waits for staff, holds nothing
    # A staff quote: priced, holds nothing; staff turn it into a booking (checked again then)
    # or it expires at its start.
    QUOTED = "QUOTED"
    CONFIRMED = "CONFIRMED"
    # Handed over: equipment is out with the customer. It stays so until everything handed
    # over is back (then COMPLETED); it cannot be cancelled or marked as a no-show.
    ON_HIRE = "ON_HIRE"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"
    NO_SHOW = "NO_SHOW"  # confirmed, but the customer never picked the equipment up

    @property
    def may_hold_capacity(self) -> bool:
        """Takes capacity (a hold only until it runs out: see Reservation.holds_capacity)."""
        return self in HOLDING or self is HOLD

    @property
    def label(self) -> str:
        """What people read: "ON HIRE", "NO SHOW"."""
        return self.value.replace("_", " ")

    @property
    def is_open(self) -> bool:
        """Waiting for someone to confirm it (the customer, or staff for a request)."""
        return self in (
            ReservationStatus.PENDING,
            ReservationStatus.REQUESTED,
            ReservationStatus.QUOTED,
        )


class BookingChannel(StrEnum):
    ONLINE = "ONLINE"  # the public journey: caps against hold flooding apply
    STAFF = "STAFF"  # made by staff (and the demo): no caps
    # Made through the JSON API with a token an administrator issued: no caps (as staff),
    # always a hold (never a request), no "new online order" alert.
    API = "API"


class PricingBasis(StrEnum):
    HOURLY = "HOURLY"
    DAILY = "DAILY"


S = ReservationStatus
# The flag code of a line whose equipment is late back, and what an overdue line or order shows
# instead of ON_HIRE (see Reservation.overdue).
OVERDUE_CODE = "overdue"
OVERDUE = "OVERDUE"
# Flags the system writes from Inventory's events (a serial number, a period, no personal data):
# they stay when the customer is anonymised, so staff still see what is short or out.
GENERATED_FLAGS = frozenset({"allocation", OVERDUE_CODE})
# What takes capacity, stated once: a confirmed booking (handed over or not) always; a hold
# until it runs out.
HOLDING = frozenset({S.CONFIRMED, S.ON_HIRE})
HOLD = S.PENDING
# What staff may change (period, quantity): anything not finished — on hire only its end.
CHANGEABLE = frozenset({S.PENDING, S.CONFIRMED, S.ON_HIRE})

TRANSITIONS: dict[ReservationStatus, frozenset[ReservationStatus]] = {
    S.PENDING: frozenset({S.CONFIRMED, S.CANCELLED, S.EXPIRED}),
    S.REQUESTED: frozenset({S.CONFIRMED, S.CANCELLED, S.EXPIRED}),
    S.QUOTED: frozenset({S.CONFIRMED, S.CANCELLED, S.EXPIRED}),
    # Completed only through ON_HIRE: a booking is complete when what was handed over is back.
    S.CONFIRMED: frozenset({S.ON_HIRE, S.CANCELLED, S.NO_SHOW}),
    S.ON_HIRE: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
    S.NO_SHOW: frozenset(),
}

ON_HIRE_NOT_CANCELLED = (
    "{reference} is on hire: equipment is out with the customer, so it cannot be cancelled. "
    "Take the equipment back first; the booking completes when everything is back."
)

_VERBS = {
    S.CONFIRMED: "confirmed",
    S.ON_HIRE: "handed over",
    S.COMPLETED: "completed",
    S.CANCELLED: "cancelled",
    S.EXPIRED: "expired",
    S.NO_SHOW: "marked as a no-show",
}


@dataclass(frozen=True, slots=True)
class PriceLine:
    label: str
    amount: Money


@dataclass(frozen=True, slots=True)
class FrozenQuote:
    """The price as quoted when the reservation was made; never recomputed."""

    lines: tuple[PriceLine, ...]
    subtotal: Money
    discounts: tuple[PriceLine, ...]
    deposit: Money
    total: Money
    # How a clock change inside the period was counted (shown with the price).
    notes: tuple[str, ...] = ()

    def less(self, label: str, percent: Decimal) -> FrozenQuote:
        """The quote with `percent` off its total as one more discount line (a kit's
        discount on each of its components); the deposit stays as it was. Itself for 0 %."""
        if not percent:
            return self
        off = (self.total * (percent / 100)).rounded()
        return replace(
            self,
            discounts=(*self.discounts, PriceLine(label, -off)),
            total=self.total - off,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "notes": list(self.notes),
            "lines": [{"label": x.label, "amount": x.amount.to_dict()} for x in self.lines],
            "subtotal": self.subtotal.to_dict(),
            "discounts": [{"label": x.label, "amount": x.amount.to_dict()} for x in self.discounts],
            "deposit": self.deposit.to_dict(),
            "total": self.total.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FrozenQuote:
        def lines(items: list[dict[str, Any]]) -> tuple[PriceLine, ...]:
            return tuple(PriceLine(x["label"], Money.from_dict(x["amount"])) for x in items)

        return cls(
            lines=lines(data["lines"]),
            subtotal=Money.from_dict(data["subtotal"]),
            discounts=lines(data.get("discounts", [])),
            deposit=Money.from_dict(data["deposit"]),
            total=Money.from_dict(data["total"]),
            notes=tuple(str(note) for note in data.get("notes") or ()),
        )


# What a visitor may type on the details form besides the e-mail, in the form's order, with
# the words staff read.
TYPED_FIELDS = {
    "name": "Name",
    "phone": "Phone",
    "street": "Street",
    "city": "City",
    "state": "State or region",
    "postal_code": "Postal code",
    "country": "Country",
}
TYPED_MAX = 255


@dataclass(frozen=True, slots=True)
class TypedDetails:
    """What a visitor typed with an e-mail that already belonged to a customer, when it
    differs from that customer's profile. The booking is the customer's and uses the profile
    on file; this is kept on the reservation only for staff to review (and is forgotten when
    they mark it reviewed or the customer is anonymised)."""

    values: tuple[tuple[str, str], ...]  # (field, as typed) for every TYPED_FIELDS field
    differs: tuple[str, ...]  # the fields that differ from the profile

    @classmethod
    def of(cls, typed: dict[str, str], differs: tuple[str, ...] | list[str]) -> TypedDetails:
        values = tuple((f, clean_line(str(typed.get(f) or ""))[:TYPED_MAX]) for f in TYPED_FIELDS)
        return cls(values, tuple(f for f in TYPED_FIELDS if f in set(differs)))

    def rows(self) -> list[tuple[str, str, str, bool]]:
        """(field, label, as typed, differs) in the form's order, for the staff page."""
        return [(f, TYPED_FIELDS[f], value, f in self.differs) for f, value in self.values]

    def to_dict(self) -> dict[str, Any]:
        return {**dict(self.values), "differs": list(self.differs)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TypedDetails:
        return cls.of(data, tuple(data.get("differs") or ()))


@dataclass(frozen=True, slots=True)
class Reservation:
    """A booking of one equipment type. Immutable: every transition returns the new state,
    so what a query hands out is the model itself, and nothing can change it behind the
    repository's back."""

    id: str
    reference: str
    customer_id: str
    equipment_type_id: str
    period: TimeRange
    quantity: int
    basis: PricingBasis
    quote: FrozenQuote
    status: ReservationStatus
    created_at: datetime
    updated_at: datetime
    hold_expires_at: datetime | None
    manage_token_hash: str = field(repr=False)
    cancellation_reason: str | None = None
    needs_attention: bool = False
    attention_reason: str | None = None
    # What kind of problem the flag is about ("allocation", "overdue"), so the news that it is
    # solved (items allocated after all, equipment returned) clears only its own kind.
    attention_code: str | None = None
    channel: BookingChannel = BookingChannel.ONLINE
    # An opaque key of where an online booking came from (a keyed hash of the client's IP
    # address, never the address): open bookings per origin are capped.
    origin_key: str | None = None
    # Booked online with an e-mail that already belonged to a customer: their stored profile
    # was used (the review page says so, without showing it).
    customer_known: bool = False
    # What was typed there differently from that profile, for staff to review (None: nothing).
    typed_details: TypedDetails | None = None
    # Bumped by every change. Saves are conditional on it (no stale copy can overwrite a newer
    # state) and events carry it, so consumers can tell an old event from a newer one.
    version: int = 0
    # The order this is a line of (see Order) and its place there. A kit booked is one line
    # per component type, each naming the kit and how many kits were booked.
    order_id: str = ""
    line_no: int = 1
    kit_id: str | None = None
    kit_quantity: int | None = None

    @property
    def total(self) -> Money:
        return self.quote.total

    @property
    def order_reference(self) -> str:
        """Its order's reference (see line_reference: the first line's is the order's)."""
        return self.reference if self.line_no == 1 else self.reference.rsplit("-", 1)[0]

    @property
    def can_cancel(self) -> bool:
        """Staff may cancel it (the status allows it; a booking on hire never: its equipment
        is out with the customer)."""
        return S.CANCELLED in TRANSITIONS[self.status]

    @property
    def on_hire(self) -> bool:
        return self.status is S.ON_HIRE

    @property
    def overdue(self) -> bool:
        """On hire and flagged overdue: the overdue job found equipment still out after the
        end plus the shop's grace period (Inventory's ReturnOverdue). Not a status of its own:
        the line stays ON_HIRE and the flag says it is late; the flag goes when everything is
        back (complete) or when staff clear it."""
        return (
            self.status is S.ON_HIRE
            and self.needs_attention
            and (self.attention_code == OVERDUE_CODE)
        )

    @property
    def display_status(self) -> str:
        """What a badge says: "OVERDUE" for an overdue line, else its status."""
        return OVERDUE if self.overdue else self.status.value

    def customer_may_cancel(self, now: datetime) -> bool:
        """The customer may cancel through the manage link: a hold or a request (nothing
        started) at any time, a confirmed booking only before its start."""
        if self.status.is_open:
            return True
        return self.status is S.CONFIRMED and now < self.period.start

    def pickup_window(self, opens_at: datetime) -> TimeRange | None:
        """When it may be handed over (`opens_at`: the shop's early pick-up rule for its start,
        BookingPolicy.pickup_opens): from then until it ends. None when it is not confirmed."""
        if self.status not in HOLDING:
            return None
        return TimeRange(min(opens_at, self.period.start), self.period.end)

    @property
    def customer_may_confirm(self) -> bool:
        """Customers confirm their own holds; a request is confirmed by staff."""
        return self.status is HOLD

    def hold_is_live(self, now: datetime) -> bool:
        return (
            self.status is HOLD and self.hold_expires_at is not None and now < self.hold_expires_at
        )

    def holds_capacity(self, now: datetime) -> bool:
        """THE rule of what takes capacity: a confirmed booking, and a hold until it runs
        out (the repository's SQL is built from the same two constants)."""
        return self.status in HOLDING or self.hold_is_live(now)

    def is_stale(self, now: datetime) -> bool:
        """An open reservation nobody confirmed in time: a hold that ran out, or a request
        staff did not approve before the rental would have started."""
        if self.status is HOLD:
            return not self.hold_is_live(now)
        if self.status is S.QUOTED:
            return now >= self.period.start
        return self.status is S.REQUESTED and now >= self.approval_deadline

    @property
    def approval_deadline(self) -> datetime:
        """Until when staff can still approve a request: its start — or, for whole days from
        today (asked for after their midnight), its end."""
        if self.created_at >= self.period.start:
            return self.period.end
        return self.period.start

    def _move(self, to: ReservationStatus, now: datetime, **changes: Any) -> Reservation:
        if to not in TRANSITIONS[self.status]:
            raise ConflictError(
                f"Reservation {self.reference} is {self.status.label.lower()} "
                f"and cannot be {_VERBS.get(to, to.value.lower())}."
            )
        return self._changed(now, status=to, **changes)

    def _changed(self, now: datetime, **changes: Any) -> Reservation:
        return replace(self, updated_at=now, version=self.version + 1, **changes)

    def confirm(self, now: datetime) -> Reservation:
        return self._move(S.CONFIRMED, now, hold_expires_at=None)

    def cancel(self, reason: str, now: datetime) -> Reservation:
        if self.status is S.ON_HIRE:
            raise ConflictError(ON_HIRE_NOT_CANCELLED.format(reference=self.reference))
        return self._move(
            S.CANCELLED,
            now,
            cancellation_reason=clean_line(reason)[:500] or "No reason given",
            hold_expires_at=None,
        )

    def hand_over(self, now: datetime, opens_at: datetime, tz: tzinfo = UTC) -> Reservation:
        """Equipment goes out with the customer: ON_HIRE (itself when it is on hire already —
        an item allocated later is handed over too). Only within the pick-up window
        (`opens_at`, see pickup_window), never before it or after the booking ended; `tz` is
        the business time zone the refusal speaks in."""
        if self.status not in HOLDING:
            raise ConflictError(
                f"{self.reference} is {self.status.label.lower()}: only a confirmed booking "
                "can be handed over."
            )
        window = self.pickup_window(opens_at)
        assert window is not None
        if now < window.start:
            raise ConflictError(
                f"{self.reference} cannot be picked up yet: hand-over opens "
                f"{_when(window.start, tz)} (the rental starts {_when(self.period.start, tz)})."
            )
        if now >= window.end:
            raise ConflictError(
                f"{self.reference} ended {_when(self.period.end, tz)}; it can no longer be "
                "handed over (mark it as a no-show instead)."
            )
        if self.status is S.ON_HIRE:
            return self
        return self._move(S.ON_HIRE, now)

    def complete(self, now: datetime) -> Reservation:
        """Everything handed over is back."""
        if self.status is S.CONFIRMED:
            raise ConflictError(
                f"Nothing of {self.reference} was handed over, so it cannot be completed: hand "
                "it over first, or mark it as a no-show."
            )
        return self._move(S.COMPLETED, now)

    def change_type(self, equipment_type_id: str, quote: FrozenQuote, now: datetime) -> Reservation:
        """Staff swap a confirmed booking to another equipment type (the original cannot be
        served); the price is the new type's, quoted now."""
        if self.status is not S.CONFIRMED:
            raise ConflictError(
                f"Only a confirmed booking can be moved to another equipment type; "
                f"{self.reference} is {self.status.label.lower()}."
            )
        if equipment_type_id == self.equipment_type_id:
            raise ConflictError("The booking is for that equipment type already.")
        return self._changed(now, equipment_type_id=equipment_type_id, quote=quote)

    def may_change(self, now: datetime, *, by_customer: bool = False) -> bool:
        """Its period or quantity may be changed now: by staff while it is a hold, confirmed
        or on hire (on hire only its end); by the customer through the manage link only a
        hold or a confirmed booking, before its start (the cancellation rule's window)."""
        if by_customer:
            return self.status in (S.PENDING, S.CONFIRMED) and now < self.period.start
        return self.status in CHANGEABLE

    def change(
        self,
        period: TimeRange,
        quantity: int,
        quote: FrozenQuote,
        now: datetime,
        *,
        by_customer: bool = False,
    ) -> Reservation:
        """Another period and/or quantity, priced anew (the frozen quote is replaced); the
        rules are check_change's."""
        self.check_change(period, quantity, now, by_customer=by_customer)
        return self._changed(now, period=period, quantity=quantity, quote=quote)

    def check_change(
        self, period: TimeRange, quantity: int, now: datetime, *, by_customer: bool = False
    ) -> None:
        """What may change is decided here: see may_change; on hire only the end moves (the
        equipment is out: the start and the number of units are what was handed over), and
        never to a moment already past. ConflictError (not now) or ValidationError (not
        that)."""
        if not self.may_change(now, by_customer=by_customer):
            if by_customer and self.status in CHANGEABLE:
                raise ConflictError(
                    f"{self.reference} has started, so it can no longer be changed online: "
                    "please call us."
                )
            raise ConflictError(
                f"{self.reference} is {self.status.label.lower()} and cannot be changed."
            )
        if quantity < 1:
            raise ValidationError("Choose at least 1 unit.", field="quantity")
        if period == self.period and quantity == self.quantity:
            raise ValidationError("That is the booking as it is: change the dates or the units.")
        if self.status is S.ON_HIRE:
            if period.start != self.period.start:
                raise ValidationError(
                    "The booking is on hire: only its end can be moved.", field="start"
                )
            if quantity != self.quantity:
                raise ValidationError(
                    "The booking is on hire: the number of units is what was handed over.",
                    field="quantity",
                )
        if period.end <= now:
            raise ValidationError("The new end has already passed.", field="end")

    def no_show(self, now: datetime) -> Reservation:
        """The customer did not come: only once the rental has started (before that they may
        still come, or cancel)."""
        if self.status is S.CONFIRMED and now < self.period.start:
            raise ConflictError(
                f"{self.reference} starts later; it can be marked as a no-show once the rental "
                "has started."
            )
        return self._move(S.NO_SHOW, now)

    def expire(self, now: datetime) -> Reservation:
        if self.status.is_open and not self.is_stale(now):
            raise ConflictError(f"The hold on {self.reference} has not expired yet.")
        # A hold keeps the moment it ran out (the customer's page says when); a request had none.
        return self._move(S.EXPIRED, now)

    @property
    def hold_ran_out(self) -> bool:
        """Expired because the customer did not confirm the hold in time (not a request staff
        did not approve)."""
        return self.status is S.EXPIRED and self.hold_expires_at is not None

    def flag(self, reason: str, now: datetime, code: str = "other") -> Reservation:
        return self._changed(
            now,
            needs_attention=True,
            attention_reason=clean_line(reason)[:500],
            attention_code=code,
        )

    def forget_typed_details(self, now: datetime) -> Reservation:
        """Without the details typed at booking (staff reviewed them, or the customer was
        anonymised); itself when there are none."""
        if self.typed_details is None:
            return self
        return self._changed(now, typed_details=None)

    def forget_personal_text(self, now: datetime, text: str) -> Reservation:
        """The customer was anonymised: the free text kept about this booking (why it was
        cancelled, why it needs attention — unless the system wrote it: GENERATED_FLAGS)
        becomes `text`, and what was typed at booking goes; itself when there is nothing (so
        a second time changes nothing)."""
        changes: dict[str, Any] = {}
        if self.cancellation_reason and self.cancellation_reason != text:
            changes["cancellation_reason"] = text
        if (
            self.attention_reason
            and self.attention_reason != text
            and self.attention_code not in GENERATED_FLAGS
        ):
            changes["attention_reason"] = text
        if self.typed_details is not None:
            changes["typed_details"] = None
        return self._changed(now, **changes) if changes else self

    def clear_flag(self, now: datetime, code: str | None = None) -> Reservation:
        """Without the flag (only a flag of kind `code`, if given); itself when there is
        nothing to clear."""
        if not self.needs_attention or (code is not None and self.attention_code != code):
            return self
        return self._changed(now, needs_attention=False, attention_reason=None, attention_code=None)


def line_reference(order_reference: str, line_no: int) -> str:
    """A line's own reference: the order's for its first line (so a one-line order is what a
    booking always was), "RK-ABC234-2" for the second."""
    return order_reference if line_no == 1 else f"{order_reference}-{line_no}"


# How an order's lines make its status, most telling first: equipment out makes the order on
# hire; a line still to serve makes it confirmed (other lines may have been removed).
_ORDER_STATUS_PRECEDENCE = (
    S.ON_HIRE,
    S.CONFIRMED,
    S.PENDING,
    S.REQUESTED,
    S.QUOTED,
    S.COMPLETED,
)


@dataclass(frozen=True, slots=True)
class Order:
    """Lines booked together for one period by one customer, under one reference, one manage
    link and one hold (they are confirmed, held and expire together). The lines are
    reservations of the spec: each keeps its own status, price and allocations."""

    id: str
    reference: str
    customer_id: str
    manage_token_hash: str = field(repr=False)
    channel: BookingChannel
    created_at: datetime
    lines: tuple[Reservation, ...]

    def __post_init__(self) -> None:
        if not self.lines:
            raise ValueError("an order has at least one line")

    @property
    def first(self) -> Reservation:
        return self.lines[0]

    @property
    def live_lines(self) -> tuple[Reservation, ...]:
        """The lines not cancelled (a line removed from the order is cancelled): what the
        order is now. All of them when every line was cancelled (a cancelled order)."""
        live = tuple(r for r in self.lines if r.status is not S.CANCELLED)
        return live or self.lines

    @property
    def status(self) -> ReservationStatus:
        statuses = {r.status for r in self.live_lines}
        for status in _ORDER_STATUS_PRECEDENCE:
            if status in statuses:
                return status
        return self.first.status

    @property
    def overdue(self) -> bool:
        """A line still out after its end plus the grace period (Reservation.overdue)."""
        return any(r.overdue for r in self.live_lines)

    @property
    def display_status(self) -> str:
        """What a badge says: "OVERDUE" while a line is overdue, else the order's status."""
        return OVERDUE if self.overdue else self.status.value

    @property
    def period(self) -> TimeRange:
        return self.first.period

    @property
    def version(self) -> int:
        """Grows with every change of the order: the sum of its lines' versions (each bumped
        by every change of its line; a line is never deleted — removing one cancels it — and
        a line added starts the sum higher). What a calendar's SEQUENCE is made of."""
        return sum(r.version for r in self.lines)

    @property
    def updated_at(self) -> datetime:
        """When a line of it last changed."""
        return max(r.updated_at for r in self.lines)

    @property
    def basis(self) -> PricingBasis:
        return self.first.basis

    @property
    def hold_expires_at(self) -> datetime | None:
        return self.first.hold_expires_at

    @property
    def total(self) -> Money:
        return _sum(r.total for r in self.live_lines)

    @property
    def deposit(self) -> Money:
        return _sum(r.quote.deposit for r in self.live_lines)

    @property
    def several(self) -> bool:
        return len(self.lines) > 1

    @property
    def may_add_lines(self) -> bool:
        """Staff may add a line: the order is held, confirmed or quoted — not under way or
        finished (AddOrderLine)."""
        return self.status in (S.PENDING, S.CONFIRMED, S.QUOTED)

    def line_ids(self) -> list[str]:
        return [r.id for r in self.lines]

    def type_ids(self) -> list[str]:
        """Its equipment types in the one order every lock is taken in (sorted)."""
        return sorted({r.equipment_type_id for r in self.lines})


def _sum(amounts: Any) -> Money:
    total: Money | None = None
    for amount in amounts:
        total = amount if total is None else total + amount
    return total if total is not None else Money.zero()
