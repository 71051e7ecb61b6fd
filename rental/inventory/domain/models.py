"""Inventory domain: physical items, their lifecycle, maintenance windows and allocations.

Pure Python: no Flask, no SQLAlchemy."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from rental.inventory.domain.planning import SINCE_EVER, UNTIL_FURTHER_NOTICE
from rental.shared.errors import ConflictError, ValidationError
from rental.shared.text import clean_block, clean_line
from rental.shared.time_range import TimeRange


class ItemStatus(StrEnum):
    AVAILABLE = "AVAILABLE"
    ALLOCATED = "ALLOCATED"
    MAINTENANCE = "MAINTENANCE"
    RETIRED = "RETIRED"

    @property
    def label(self) -> str:
        return self.value.capitalize()


# The explicit transition table. RETIRED is final.
TRANSITIONS: dict[ItemStatus, frozenset[ItemStatus]] = {
    ItemStatus.AVAILABLE: frozenset(
        {ItemStatus.ALLOCATED, ItemStatus.MAINTENANCE, ItemStatus.RETIRED}
    ),
    ItemStatus.ALLOCATED: frozenset({ItemStatus.AVAILABLE, ItemStatus.MAINTENANCE}),
    ItemStatus.MAINTENANCE: frozenset({ItemStatus.AVAILABLE, ItemStatus.RETIRED}),
    ItemStatus.RETIRED: frozenset(),
}

# What the status form sends to report damage: the item goes to MAINTENANCE with the damage
# as its reason (EquipmentItem.mark_damaged).
DAMAGED = "DAMAGED"


def can_transition(source: ItemStatus, target: ItemStatus) -> bool:
    return target in TRANSITIONS[source]


def is_final(status: ItemStatus) -> bool:
    """No way out of it (RETIRED): staff confirm before they choose it."""
    return not TRANSITIONS[status]


@dataclass(frozen=True, slots=True)
class StatusChoice:
    """One choice staff have for an item's status: a status it may go to, or DAMAGED."""

    value: str  # an ItemStatus value, or DAMAGED
    label: str
    final: bool = False


_SERIAL_RE = re.compile(r"^[A-Z0-9][A-Z0-9._/\-]{0,63}$")


def clean_serial(raw: str | None) -> str:
    serial = "".join((raw or "").split()).upper()
    if not serial:
        raise ValidationError("Give a serial number.", field="serial_number")
    if not _SERIAL_RE.match(serial):
        raise ValidationError(
            f"'{raw.strip() if raw else ''}' is not a valid serial number: use up to 64 letters, "
            "digits, dots, dashes, slashes or underscores.",
            field="serial_number",
        )
    return serial


# Acquisition dates older than this are typing mistakes (1905 for 2005), not old machines.
EARLIEST_ACQUISITION = date(1950, 1, 1)
# How a damage report starts in an item's status history (the rest is what staff typed).
DAMAGE_NOTE = "Damaged: "


def check_acquired_on(acquired_on: date | None, today: date) -> None:
    """An item is bought on a real day: not after `today` (in the business time zone), not
    before 1950. None means not known."""
    if acquired_on is None:
        return
    if acquired_on > today:
        raise ValidationError(
            f"{acquired_on:%d %b %Y} is in the future. Give the day the item was bought "
            "(today at the latest).",
            field="acquired_on",
        )
    if acquired_on < EARLIEST_ACQUISITION:
        raise ValidationError(
            f"{acquired_on:%d %b %Y} is before {EARLIEST_ACQUISITION.year}; check the year.",
            field="acquired_on",
        )


@dataclass(frozen=True, slots=True)
class StatusChange:
    from_status: ItemStatus | None
    to_status: ItemStatus
    at: datetime
    reason: str
    actor: str


@dataclass
class EquipmentItem:
    id: str
    serial_number: str
    equipment_type_id: str
    status: ItemStatus = ItemStatus.AVAILABLE
    acquired_on: date | None = None
    notes: str = ""
    location: str = ""
    # In maintenance: when it is expected back, after which it counts for bookings again.
    expected_back_at: datetime | None = None
    new_history: list[StatusChange] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.serial_number = clean_serial(self.serial_number)
        self.notes = clean_block(self.notes)
        self.location = clean_line(self.location)
        if len(self.notes) > 2000:
            raise ValidationError("Keep the notes under 2,000 characters.", field="notes")
        if len(self.location) > 120:
            raise ValidationError("Keep the location under 120 characters.", field="location")

    @classmethod
    def register(
        cls,
        id: str,
        serial_number: str,
        equipment_type_id: str,
        at: datetime,
        actor: str,
        acquired_on: date | None = None,
        notes: str = "",
        location: str = "",
        *,
        today: date,
    ) -> EquipmentItem:
        """A new item. `today` is the business day of `at`, for the acquisition date rule."""
        errors: dict[str, str] = {}
        try:
            check_acquired_on(acquired_on, today)
        except ValidationError as exc:  # reported together with the other fields' errors
            errors.update(exc.errors)
        try:
            item = cls(
                id,
                serial_number,
                equipment_type_id,
                ItemStatus.AVAILABLE,
                acquired_on=acquired_on,
                notes=notes,
                location=location,
            )
        except ValidationError as exc:
            errors.update(exc.errors)
        if errors:
            first = next(iter(errors))
            raise ValidationError(errors[first], field=first, errors=errors)
        item.new_history.append(StatusChange(None, ItemStatus.AVAILABLE, at, "Registered", actor))
        return item

    def edit_details(
        self, acquired_on: date | None, notes: str, location: str, *, today: date
    ) -> None:
        """New acquisition date, notes and location, checked by the rules of registering."""
        errors: dict[str, str] = {}
        try:
            check_acquired_on(acquired_on, today)
        except ValidationError as exc:
            errors.update(exc.errors)
        try:
            checked = replace(self, acquired_on=acquired_on, notes=notes, location=location)
        except ValidationError as exc:
            errors.update(exc.errors)
        if errors:
            first = next(iter(errors))
            raise ValidationError(errors[first], field=first, errors=errors)
        self.acquired_on, self.notes, self.location = (
            checked.acquired_on,
            checked.notes,
            checked.location,
        )

    @property
    def allowed_transitions(self) -> list[ItemStatus]:
        return sorted(TRANSITIONS[self.status], key=lambda s: list(ItemStatus).index(s))

    def status_choices(self) -> list[StatusChoice]:
        """What staff may change the status to, in the order offered: every allowed
        transition, and "Damaged → maintenance" just before maintenance."""
        choices = []
        for target in self.allowed_transitions:
            if target is ItemStatus.MAINTENANCE:
                choices.append(StatusChoice(DAMAGED, "Damaged → maintenance"))
            final = is_final(target)
            label = f"{target.label} (final)" if final else target.label
            choices.append(StatusChoice(target.value, label, final))
        return choices

    @property
    def can_go_to_maintenance(self) -> bool:
        """It may go to maintenance now (so staff may say when it is expected back)."""
        return can_transition(self.status, ItemStatus.MAINTENANCE)

    @property
    def can_have_maintenance_scheduled(self) -> bool:
        return self.status is not ItemStatus.RETIRED

    def change_status(
        self,
        target: ItemStatus,
        reason: str,
        actor: str,
        at: datetime,
        expected_back_at: datetime | None = None,
    ) -> None:
        reason = clean_line(reason)
        if target == self.status:
            raise ConflictError(f"{self.serial_number} is already {target.label.lower()}.")
        if not can_transition(self.status, target):
            if self.status is ItemStatus.RETIRED:
                raise ConflictError(
                    f"{self.serial_number} is retired; a retired item cannot change status."
                )
            allowed = ", ".join(s.label.lower() for s in self.allowed_transitions)
            raise ConflictError(
                f"{self.serial_number} cannot go from {self.status.label.lower()} to "
                f"{target.label.lower()}; from {self.status.label.lower()} it can go to: "
                f"{allowed}."
            )
        if target in (ItemStatus.MAINTENANCE, ItemStatus.RETIRED) and not reason:
            raise ValidationError(
                f"Say why the item goes to {target.label.lower()}.", field="reason"
            )
        if len(reason) > 500:
            raise ValidationError("Keep the reason under 500 characters.", field="reason")
        if expected_back_at is not None:
            check_expected_back(expected_back_at, target, at)
        self.new_history.append(StatusChange(self.status, target, at, reason, actor))
        self.status = target
        self.expected_back_at = expected_back_at if target is ItemStatus.MAINTENANCE else None

    def mark_damaged(
        self, reason: str, actor: str, at: datetime, expected_back_at: datetime | None = None
    ) -> None:
        reason = clean_line(reason)
        if not reason:
            raise ValidationError("Describe the damage.", field="reason")
        self.change_status(
            ItemStatus.MAINTENANCE, f"{DAMAGE_NOTE}{reason}", actor, at, expected_back_at
        )

    def unavailable_for_maintenance(self) -> TimeRange | None:
        """In maintenance: unavailable from now until it is expected back (or for good when
        nobody knows). None for items in any other status."""
        return maintenance_stretch(self.status, self.expected_back_at)


def maintenance_stretch(status: ItemStatus, expected_back_at: datetime | None) -> TimeRange | None:
    """An item in `status` is unavailable over this stretch: from ever until it is expected
    back (or for good when nobody knows) while in maintenance; None in any other status."""
    if status is not ItemStatus.MAINTENANCE:
        return None
    return TimeRange(SINCE_EVER, expected_back_at or UNTIL_FURTHER_NOTICE)


def check_expected_back(expected_back_at: datetime, target: ItemStatus, now: datetime) -> None:
    if target is not ItemStatus.MAINTENANCE:
        raise ValidationError(
            "Only an item going to maintenance has an expected return date.",
            field="expected_back_at",
        )
    if expected_back_at <= now:
        raise ValidationError(
            "The expected return must be in the future.", field="expected_back_at"
        )
    if expected_back_at > now + MAX_MAINTENANCE:
        raise ValidationError(
            "Give an expected return within a year, or leave it empty when nobody knows.",
            field="expected_back_at",
        )


MAX_MAINTENANCE = timedelta(days=366)
MAINTENANCE_AHEAD = timedelta(days=2 * 365)


def check_maintenance_period(period: TimeRange, now: datetime) -> None:
    """A maintenance window blocks bookings, so it must still matter: it ends in the future,
    starts at most two years ahead and lasts at most a year (an item out of service longer
    is set to maintenance or retired instead)."""
    if period.end <= now:
        raise ValidationError(
            "That period is already over. Schedule maintenance that ends in the future.",
            field="end",
        )
    if period.start > now + MAINTENANCE_AHEAD:
        raise ValidationError(
            "Schedule maintenance at most 2 years ahead.",
            field="start",
        )
    if period.duration > MAX_MAINTENANCE:
        raise ValidationError(
            "Maintenance can last at most a year. For an item out of service longer, change "
            "its status to maintenance or retire it.",
            field="end",
        )


# A type's turnaround buffer (cleaning, checks between two rentals): at most a week.
MAX_TURNAROUND_MINUTES = 7 * 24 * 60
MAX_TURNAROUND = timedelta(minutes=MAX_TURNAROUND_MINUTES)


def check_turnaround(minutes: int) -> None:
    if not 0 <= minutes <= MAX_TURNAROUND_MINUTES:
        raise ValidationError(
            "The turnaround buffer must be between 0 minutes and 7 days.", field="turnaround"
        )


# Serial numbers one bulk registration takes (a delivery, not a whole warehouse at once).
MAX_BULK_LINES = 500


def check_bulk_size(lines: int) -> None:
    if lines > MAX_BULK_LINES:
        raise ValidationError(
            f"Register at most {MAX_BULK_LINES} serial numbers at a time (the list has {lines:,}).",
            field="serial_numbers",
        )


@dataclass(frozen=True, slots=True)
class MaintenanceWindow:
    id: str
    item_id: str
    period: TimeRange
    reason: str
    created_by: str = "system"


class AllocationStatus(StrEnum):
    ALLOCATED = "ALLOCATED"
    PICKED_UP = "PICKED_UP"
    RETURNED = "RETURNED"
    RELEASED = "RELEASED"


# Allocations in these states hold the item for their period.
HOLDING = frozenset({AllocationStatus.ALLOCATED, AllocationStatus.PICKED_UP})


@dataclass(frozen=True, slots=True)
class Allocation:
    id: str
    item_id: str
    reservation_id: str
    period: TimeRange  # the booking's period plus the turnaround buffer
    status: AllocationStatus = AllocationStatus.ALLOCATED
    picked_up_at: datetime | None = None
    returned_at: datetime | None = None
    overdue_noticed_at: datetime | None = None

    @property
    def holds_item(self) -> bool:
        return self.status in HOLDING


def ensure_can_schedule_maintenance(
    item: EquipmentItem, period: TimeRange, windows: Iterable[MaintenanceWindow]
) -> None:
    """Bookings on the item are not checked here: the fleet is planned again afterwards and
    they move to other items (or staff are asked first)."""
    if not item.can_have_maintenance_scheduled:
        raise ConflictError(f"{item.serial_number} is retired; it needs no maintenance.")
    for window in windows:
        if window.item_id == item.id and window.period.overlaps(period):
            raise ConflictError(
                f"{item.serial_number} already has maintenance scheduled that overlaps this "
                "period.",
                field="start",
            )


def capacity_for(
    item_count: int, unavailable: Iterable[tuple[str, TimeRange]], period: TimeRange
) -> int:
    """Items that can be rented at all (not retired) minus the distinct items unavailable at
    some time in `period` (maintenance, kept out beyond their own booking)."""
    busy = {item_id for item_id, stretch in unavailable if stretch.overlaps(period)}
    return max(0, item_count - len(busy))


# --- following reservations ----------------------------------------------------------------


class FollowedStatus(StrEnum):
    """What Inventory last learnt about a reservation from Booking's events."""

    CONFIRMED = "CONFIRMED"
    RELEASED = "RELEASED"  # cancelled or expired
    COMPLETED = "COMPLETED"

    @property
    def is_final(self) -> bool:
        return self is not FollowedStatus.CONFIRMED


@dataclass
class FollowedReservation:
    """Inventory's record of one reservation: the newest event applied to it.

    Events of one reservation can arrive out of order (a worker killed mid-batch, several
    workers, a retry). Each carries the reservation's sequence number; an event older than
    the newest one applied is stale and changes nothing, and a reservation that has ended
    never becomes live again — so inventory converges to the reservation's current state
    whatever the order."""

    reservation_id: str
    sequence: int = 0
    status: FollowedStatus | None = None
    # What has to be served (from the confirmation): kept so the fleet can be re-planned.
    equipment_type_id: str | None = None
    reference: str | None = None
    period: TimeRange | None = None
    quantity: int = 0
    # Booking was told the booking is short of items, and not yet that it is served again.
    shortage_reported: bool = False

    @property
    def is_confirmed(self) -> bool:
        return self.status is FollowedStatus.CONFIRMED and self.period is not None

    def accept(self, sequence: int, status: FollowedStatus) -> bool:
        """Record the event and return True when it should be applied, False when stale."""
        if self.status is not None and self.status.is_final and not status.is_final:
            return False
        if sequence and sequence <= self.sequence:
            return False
        # sequence 0: an event recorded before events were numbered, applied in arrival order.
        self.sequence = max(self.sequence, sequence)
        self.status = status
        return True
