"""Inventory's commands and their handlers, one class per aggregate. Each runs inside the
caller's unit of work (the facade opens it; an event handler joins the worker's).

- `ItemCommands` — an equipment item: registering it, its status (with the status history)
  and its maintenance windows. Every change that takes an item away from bookings or gives it
  back ends with the fleet planned again, through FleetCommands.
- `FleetCommands` — a type's fleet: which item serves which confirmed booking (allocations),
  the turnaround buffer between rentals, staff choosing an item by hand, hand-over and return
  at the counter, and items not back in time. These are one aggregate because they share one
  consistency boundary: every one of them locks the type's item rows first and re-plans the
  fleet (`FleetPlanner`, application/planning.py) in the same transaction.
- `FollowedReservationCommands` — Inventory's record of a reservation, kept from Booking's
  events (application/event_handlers.py calls these); each event re-plans the fleet.

The planner is not a handler: it is the application service these share, and stays in
application/planning.py. Collaborators are passed in: the repositories, the planner, the clock
(default `utcnow`), the outbox recorder (default `rental.shared.outbox.record`), the catalog's
"does this type exist" and Booking's demand source.

Commands return None or an ID, except the ones whose caller shows what happened:
`register_bulk` (which lines were registered, which were not) and those that re-plan
(`PlanOutcome`: bookings moved or left short)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo

from rental.contracts.booking import (
    ReservationChanged,
    ReservationCompleted,
    ReservationConfirmed,
    ReservationEvent,
)
from rental.contracts.inventory import ReturnOverdue
from rental.inventory.application.planning import Clock, FleetPlanner, Record
from rental.inventory.application.queries import (
    BulkRegistrationResult,
    InventoryQueries,
    LineError,
    PlanOutcome,
    RegisteredLine,
)
from rental.inventory.domain.models import (
    DAMAGE_NOTE,
    Allocation,
    AllocationStatus,
    EquipmentItem,
    FollowedReservation,
    FollowedStatus,
    ItemStatus,
    MaintenanceWindow,
    check_acquired_on,
    check_bulk_size,
    check_maintenance_period,
    check_turnaround,
    clean_serial,
    ensure_can_schedule_maintenance,
)
from rental.inventory.domain.planning import (
    UNTIL_FURTHER_NOTICE,
    BookedDemand,
    over_capacity,
)
from rental.inventory.infrastructure.repositories import Repositories
from rental.shared import outbox
from rental.shared.errors import (
    ConflictError,
    InputWarning,
    NotFoundError,
    ValidationError,
    ensure_confirmed,
)
from rental.shared.text import clean_line
from rental.shared.time_range import TimeRange, utcnow

# Booking's live bookings of a type in a window (registered by Booking at start-up, so
# Inventory can weigh holds too without depending on Booking).
DemandSource = Callable[[str, TimeRange], list[BookedDemand]]
# How long after a booking's end an item not back counts as overdue (the shop's grace period,
# read when the job runs; Payments keeps it: see register_overdue_grace).
GraceSource = Callable[[], timedelta]
DEFAULT_OVERDUE_GRACE = timedelta(minutes=30)


# --- commands -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RegisterEquipment:
    equipment_type_id: str
    serial_number: str
    acquired_on: date | None = None
    notes: str = ""
    location: str = ""
    actor: str = "system"


@dataclass(frozen=True, slots=True)
class RegisterEquipmentBulk:
    equipment_type_id: str
    serial_numbers: list[str]  # one per line as typed; blank lines are skipped
    acquired_on: date | None = None
    location: str = ""
    actor: str = "system"


@dataclass(frozen=True, slots=True)
class EditItemDetails:
    """An item's acquisition date, notes and location (what registering it set)."""

    item_id: str
    acquired_on: date | None = None
    notes: str = ""
    location: str = ""


@dataclass(frozen=True, slots=True)
class ChangeItemStatus:
    item_id: str
    to_status: str
    reason: str = ""
    actor: str = "system"
    expected_back_at: datetime | None = None  # going to maintenance: when it is back
    # Codes of the warnings staff confirmed (e.g. "leaves_bookings_short"); see NeedsConfirmation.
    confirmed_warnings: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class MarkEquipmentAsDamaged:
    item_id: str
    reason: str
    actor: str = "system"
    expected_back_at: datetime | None = None
    confirmed_warnings: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ScheduleMaintenance:
    item_id: str
    period: TimeRange
    reason: str
    actor: str = "system"
    confirmed_warnings: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class CancelMaintenance:
    window_id: str


@dataclass(frozen=True, slots=True)
class SetTurnaround:
    """The time an item of the type needs between two rentals (cleaning, checks)."""

    equipment_type_id: str
    minutes: int
    confirmed_warnings: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ReallocateItem:
    """Staff: serve an allocation (not yet handed over) with another item — the one chosen,
    or the best-fitting free one when `item_id` is None."""

    reservation_id: str
    allocation_id: str
    item_id: str | None = None


@dataclass(frozen=True, slots=True)
class CheckOutReservation:
    """The customer picks the reservation's allocated items up at the counter."""

    reservation_id: str
    actor: str
    # Before the start (an early pick-up) the items are out from now; when that leaves
    # another booking without a machine, staff confirm "leaves_bookings_short" first.
    confirmed_warnings: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class CheckInReservation:
    """Items of the reservation come back: `damaged` maps item id -> what is damaged;
    `only`: the item ids that came back, when not all did (None: all of them)."""

    reservation_id: str
    damaged: Mapping[str, str]
    actor: str
    only: Collection[str] | None = None


# --- an item --------------------------------------------------------------------------------


def _check_type(type_exists: Callable[[str], bool], equipment_type_id: str) -> None:
    if not equipment_type_id or not type_exists(equipment_type_id):
        raise ValidationError(
            "Choose an equipment type from the catalog.", field="equipment_type_id"
        )


class ItemCommands:
    def __init__(
        self,
        repositories: Repositories,
        fleet: FleetCommands,
        type_exists: Callable[[str], bool],
        timezone: tzinfo = UTC,
        clock: Clock = utcnow,
    ) -> None:
        self._items = repositories.items
        self._windows = repositories.windows
        self._fleet = fleet
        self._type_exists = type_exists
        self._timezone = timezone  # the business time zone: what "today" means
        self._clock = clock

    def _today(self) -> date:
        return self._clock().astimezone(self._timezone).date()

    def _require(self, item_id: str) -> EquipmentItem:
        item = self._items.get(item_id)
        if item is None:
            raise NotFoundError("That item does not exist.")
        return item

    def _lock_item(self, item_id: str) -> EquipmentItem:
        """The item, read after its whole fleet is locked (the planner's lock order)."""
        self._fleet.lock(self._require(item_id).equipment_type_id)
        return self._require(item_id)

    def register(self, cmd: RegisterEquipment) -> str:
        _check_type(self._type_exists, cmd.equipment_type_id)
        item = EquipmentItem.register(
            str(uuid.uuid4()),
            cmd.serial_number,
            cmd.equipment_type_id,
            self._clock(),
            cmd.actor,
            acquired_on=cmd.acquired_on,
            notes=cmd.notes,
            location=cmd.location,
            today=self._today(),
        )
        if self._items.existing_serials([item.serial_number]):
            raise ValidationError(
                f"Serial number {item.serial_number} is already registered.",
                field="serial_number",
            )
        self._items.add(item)
        return item.id

    def edit_details(self, cmd: EditItemDetails) -> None:
        item = self._lock_item(cmd.item_id)
        item.edit_details(cmd.acquired_on, cmd.notes, cmd.location, today=self._today())
        self._items.save(item)

    def register_bulk(self, cmd: RegisterEquipmentBulk) -> BulkRegistrationResult:
        _check_type(self._type_exists, cmd.equipment_type_id)
        today = self._today()
        check_acquired_on(cmd.acquired_on, today)  # one date for all: refused before any line
        check_bulk_size(sum(1 for raw in cmd.serial_numbers if raw.strip()))
        candidates, errors = _read_serial_lines(cmd.serial_numbers)
        if not candidates and not errors:
            raise ValidationError("Paste at least one serial number.", field="serial_numbers")
        taken = self._items.existing_serials(serial for _, _, serial in candidates)
        registered: list[RegisteredLine] = []
        now = self._clock()
        for line_no, raw, serial in candidates:
            if serial in taken:
                errors.append(LineError(line_no, raw, f"{serial} is already registered."))
                continue
            item = EquipmentItem.register(
                str(uuid.uuid4()),
                serial,
                cmd.equipment_type_id,
                now,
                cmd.actor,
                acquired_on=cmd.acquired_on,
                location=cmd.location,
                today=today,
            )
            self._items.add(item)
            registered.append(RegisteredLine(line_no, serial, item.id))
        errors.sort(key=lambda e: e.line)
        return BulkRegistrationResult(registered, errors)

    # Whatever takes an item away from bookings (retired, damaged, in maintenance, a window)
    # or gives it back plans the fleet again in the same transaction; when that would leave a
    # confirmed booking without a machine, staff are asked first (FleetCommands.replan_asking).

    def change_status(self, cmd: ChangeItemStatus) -> PlanOutcome:
        try:
            target = ItemStatus(cmd.to_status)
        except ValueError:
            raise ValidationError("Choose a status.", field="to_status") from None
        item = self._lock_item(cmd.item_id)
        item.change_status(target, cmd.reason, cmd.actor, self._clock(), cmd.expected_back_at)
        self._items.save(item)
        return self._fleet.replan_asking(item.equipment_type_id, cmd.confirmed_warnings)

    def mark_damaged(self, cmd: MarkEquipmentAsDamaged) -> PlanOutcome:
        item = self._lock_item(cmd.item_id)
        item.mark_damaged(cmd.reason, cmd.actor, self._clock(), cmd.expected_back_at)
        self._items.save(item)
        return self._fleet.replan_asking(item.equipment_type_id, cmd.confirmed_warnings)

    def schedule_maintenance(self, cmd: ScheduleMaintenance) -> str:
        item = self._lock_item(cmd.item_id)
        reason = clean_line(cmd.reason)
        if not reason:
            raise ValidationError("Say what the maintenance is for.", field="reason")
        if len(reason) > 500:
            raise ValidationError("Keep the reason under 500 characters.", field="reason")
        check_maintenance_period(cmd.period, self._clock())
        # Bookings on the item are moved to other items by the planner (or staff are asked).
        ensure_can_schedule_maintenance(item, cmd.period, self._windows.for_item(item.id))
        window = MaintenanceWindow(str(uuid.uuid4()), item.id, cmd.period, reason, cmd.actor)
        self._windows.add(window)
        self._fleet.replan_asking(item.equipment_type_id, cmd.confirmed_warnings)
        return window.id

    def cancel_maintenance(self, cmd: CancelMaintenance) -> None:
        window = self._windows.get(cmd.window_id)
        if window is None:
            raise NotFoundError("That maintenance window does not exist (any more).")
        item = self._lock_item(window.item_id)
        self._windows.remove(cmd.window_id)
        self._fleet.replan(item.equipment_type_id)  # more capacity: may serve short bookings


def _read_serial_lines(
    lines: list[str],
) -> tuple[list[tuple[int, str, str]], list[LineError]]:
    """The pasted lines as (line number, text, serial) to register, and the lines that cannot
    be: not a serial number, or the same serial as an earlier line. Blank lines are skipped."""
    candidates: list[tuple[int, str, str]] = []
    errors: list[LineError] = []
    seen: dict[str, int] = {}
    for line_no, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            serial = clean_serial(raw)
        except ValidationError as exc:
            errors.append(LineError(line_no, raw.strip(), exc.message))
            continue
        if serial in seen:
            errors.append(
                LineError(line_no, raw.strip(), f"{serial} is also on line {seen[serial]}.")
            )
            continue
        seen[serial] = line_no
        candidates.append((line_no, raw.strip(), serial))
    return candidates, errors


# --- a type's fleet -------------------------------------------------------------------------


class FleetCommands:
    def __init__(
        self,
        repositories: Repositories,
        planner: FleetPlanner,
        queries: InventoryQueries,
        type_exists: Callable[[str], bool],
        demand_source: DemandSource | None = None,
        clock: Clock = utcnow,
        record: Record = outbox.record,
        grace_source: GraceSource | None = None,
    ) -> None:
        self._type_exists = type_exists
        self._grace_source = grace_source
        self._items = repositories.items
        self._allocations = repositories.allocations
        self._followed = repositories.followed
        self._settings = repositories.settings
        self._planner = planner
        self._queries = queries
        self._demand_source = demand_source
        self._clock = clock
        self._record = record

    def lock(self, equipment_type_id: str) -> None:
        """Take the fleet's lock (its item rows, in serial order) before changing it."""
        self._planner.lock_type(equipment_type_id)

    def replan(self, equipment_type_id: str) -> PlanOutcome:
        """Plan the type again (staff's "retry allocation"; capacity given back)."""
        return self._planner.replan(equipment_type_id)

    def replan_asking(self, equipment_type_id: str, confirmed: frozenset[str]) -> PlanOutcome:
        """Plan the type again after a staff change; raises NeedsConfirmation (the unit of
        work rolls the change back) when it would leave bookings short and staff have not
        confirmed that warning."""
        outcome = self._planner.replan(equipment_type_id)
        warnings = [_shortage_warning(outcome), self._booked_demand_at_risk(equipment_type_id)]
        ensure_confirmed([w for w in warnings if w is not None], confirmed)
        return outcome

    def _booked_demand_at_risk(self, equipment_type_id: str) -> InputWarning | None:
        """Bookings the planner does not serve yet — holds customers are confirming right
        now, confirmations the worker has not reached — that would no longer fit after the
        change (Booking tells us about them through the demand source it registered)."""
        if self._demand_source is None:
            return None
        now = self._clock()
        booked = self._demand_source(equipment_type_id, TimeRange(now, UNTIL_FURTHER_NOTICE))
        if not booked:
            return None
        served = {f.reservation_id for f in self._followed.confirmed_of_type(equipment_type_id)}
        last = max(d.occupied.end for d in booked)
        profile = self._queries.capacity_profile(equipment_type_id, TimeRange(now, last))
        risky = [
            d for d in over_capacity(booked, profile.capacity_for) if d.reservation_id not in served
        ]
        if not risky:
            return None
        what = {"PENDING": "a customer is holding it", "CONFIRMED": "just confirmed"}
        listed = ", ".join(f"{d.reference} ({what.get(d.status, d.status)})" for d in risky)
        return InputWarning(
            "leaves_holds_short",
            f"Bookings not yet served by items would no longer fit: {listed}. Continue anyway? "
            "A confirmed one will be flagged for you once it is planned.",
        )

    def set_turnaround(self, cmd: SetTurnaround) -> PlanOutcome:
        _check_type(self._type_exists, cmd.equipment_type_id)
        check_turnaround(cmd.minutes)
        self.lock(cmd.equipment_type_id)
        self._settings.set_turnaround(cmd.equipment_type_id, cmd.minutes)
        return self.replan_asking(cmd.equipment_type_id, cmd.confirmed_warnings)

    def reallocate(self, cmd: ReallocateItem) -> str:
        """Returns the serial number of the item that serves the allocation now."""
        allocation = self._allocations.get(cmd.allocation_id)
        if allocation is None or allocation.reservation_id != cmd.reservation_id:
            raise NotFoundError("That allocation does not exist (any more).")
        return self._planner.reallocate(allocation, cmd.item_id).serial_number

    # --- at the counter -----------------------------------------------------------------------

    def _lock_fleet_of(self, allocations: list[Allocation]) -> None:
        item = self._items.get(allocations[0].item_id)
        if item is not None:
            self.lock(item.equipment_type_id)

    def check_out(self, cmd: CheckOutReservation) -> None:
        """The customer takes the items: they become ALLOCATED (out of the yard). Before the
        booking's start (an early pick-up) the items are out from now: the planner moves
        bookings in between to other items, and when it cannot, staff are asked first
        (NeedsConfirmation; nothing is saved until they confirm)."""
        allocations = [
            a
            for a in self._allocations.for_reservation(cmd.reservation_id)
            if a.status is AllocationStatus.ALLOCATED
        ]
        if not allocations:
            raise ConflictError("There are no allocated items waiting to be picked up.")
        self._lock_fleet_of(allocations)
        now = self._clock()
        type_id = ""
        for allocation in allocations:
            item = self._items.get(allocation.item_id)
            if item is None:
                continue
            type_id = item.equipment_type_id
            if item.status is not ItemStatus.AVAILABLE:
                raise ConflictError(
                    f"{item.serial_number} is {item.status.label.lower()} and cannot be handed "
                    "over; re-allocate another item first."
                )
            item.change_status(ItemStatus.ALLOCATED, "Picked up for a reservation", cmd.actor, now)
            self._items.save(item)
            self._allocations.update(
                replace(allocation, status=AllocationStatus.PICKED_UP, picked_up_at=now), now
            )
        if type_id and now < allocations[0].period.start:
            self.replan_asking(type_id, cmd.confirmed_warnings)

    def check_in(self, cmd: CheckInReservation) -> int:
        """Items come back: to AVAILABLE, or to MAINTENANCE with the damage noted. Items
        never handed over are released. Returns how many items are still out with the
        customer."""
        allocations = [
            a for a in self._allocations.for_reservation(cmd.reservation_id) if a.holds_item
        ]
        if not allocations:
            return 0
        # Lock order as for Booking's events: the booking's record first, then its fleet.
        followed = self._followed.lock(cmd.reservation_id)
        self._lock_fleet_of(allocations)
        now = self._clock()
        type_id = ""
        still_out = 0
        for allocation in allocations:
            if cmd.only is not None and allocation.item_id not in cmd.only:
                still_out += allocation.status is AllocationStatus.PICKED_UP
                continue
            item = self._items.get(allocation.item_id)
            if item is not None:
                type_id = item.equipment_type_id
                if allocation.item_id in cmd.damaged:
                    what = cmd.damaged[allocation.item_id] or "Damaged on return"
                    item.mark_damaged(what, cmd.actor, now)
                    self._items.save(item)
                elif item.status is ItemStatus.ALLOCATED:
                    item.change_status(ItemStatus.AVAILABLE, "Returned", cmd.actor, now)
                    self._items.save(item)
            if allocation.status is AllocationStatus.PICKED_UP:
                back = replace(allocation, status=AllocationStatus.RETURNED, returned_at=now)
            else:  # never handed over (completed without a pick-up): nothing came back
                back = replace(allocation, status=AllocationStatus.RELEASED)
            self._allocations.update(back, now)
        if still_out == 0 and followed.status is FollowedStatus.CONFIRMED:
            # Everything handed over is back: nothing more to serve for this booking (Booking
            # completes it; its event will say the same later).
            self._followed.save(replace(followed, status=FollowedStatus.COMPLETED))
        if type_id:
            self.replan(type_id)  # returned items may serve bookings that were short
        return still_out

    def forget_return_notes(self, reservation_ids: Iterable[str], text: str) -> int:
        """The customer of these reservations was anonymised: the damage noted when their
        items came back (what staff typed at check-in, in the items' status history) is
        replaced by `text`. The rest of the history (statuses, times, who) stays: it is
        about the equipment. How many notes changed; a second call changes nothing."""
        changed = 0
        for allocation in self._allocations.for_reservations(reservation_ids):
            if allocation.returned_at is None:
                continue
            changed += self._items.redact_damage_notes(
                allocation.item_id,
                allocation.picked_up_at or allocation.returned_at,
                allocation.returned_at,
                DAMAGE_NOTE,
                text,
            )
        return changed

    # --- overdue returns ------------------------------------------------------------------------

    def overdue_grace(self) -> timedelta:
        """The shop's grace period after a booking's end (DEFAULT_OVERDUE_GRACE when nobody
        registered a source; never negative)."""
        grace = self._grace_source() if self._grace_source else DEFAULT_OVERDUE_GRACE
        return max(grace, timedelta(0))

    def notice_overdue_returns(self) -> int:
        """Items whose booking has ended more than the grace period ago but that have not
        come back: Booking is told once (ReturnOverdue), and the fleet is planned again — the
        item counts as out until it is returned (from the booking's end on, grace or not: it
        is not in the yard), so the next booking gets another one (or is flagged)."""
        now = self._clock()
        grace = self.overdue_grace()
        overdue: list[tuple[Allocation, datetime]] = []
        for allocation in self._allocations.out_not_yet_overdue(started_before=now):
            followed = self._followed.get(allocation.reservation_id)
            ends = followed.period.end if followed and followed.period else allocation.period.end
            if now >= ends + grace:
                overdue.append((allocation, ends))
        items = {a.item_id: self._items.get(a.item_id) for a, _ in overdue}
        types = sorted({i.equipment_type_id for i in items.values() if i is not None})
        for type_id in types:  # the planner's lock order: one type after the other, sorted
            self.lock(type_id)
        for allocation, ends in overdue:
            item = items[allocation.item_id]
            if item is None:
                continue
            self._allocations.update(replace(allocation, overdue_noticed_at=now), now)
            self._record(
                ReturnOverdue(
                    reservation_id=allocation.reservation_id,
                    equipment_type_id=item.equipment_type_id,
                    serial_number=item.serial_number,
                    due_at=ends,
                )
            )
        for type_id in types:
            self.replan(type_id)
        return len(overdue)


def _shortage_warning(outcome: PlanOutcome) -> InputWarning | None:
    """What a staff action that left bookings short must confirm before it commits."""
    if not outcome.newly_short:
        return None
    count = len(outcome.newly_short)
    bookings = "booking" if count == 1 else "bookings"
    details = "; ".join(f"{s.reference} — {s.reason}" for s in outcome.newly_short)
    return InputWarning(
        "leaves_bookings_short",
        f"This leaves {count} confirmed {bookings} without a machine: {details}. "
        "Continue anyway? They will be flagged for you to arrange something.",
    )


# --- a reservation, as Booking's events tell it ---------------------------------------------


class FollowedReservationCommands:
    """What Booking's events say is recorded per reservation, and the type's fleet is planned
    again (allocating, moving, releasing items). A stale event changes nothing."""

    def __init__(
        self, repositories: Repositories, fleet: FleetCommands, clock: Clock = utcnow
    ) -> None:
        self._followed = repositories.followed
        self._allocations = repositories.allocations
        self._items = repositories.items
        self._fleet = fleet
        self._clock = clock

    def _follow(
        self, event: ReservationEvent, status: FollowedStatus
    ) -> FollowedReservation | None:
        """Record the event when it is the newest news of its reservation and return the
        record; None when a later event was applied already (a stale confirmation must not
        allocate items to a booking that was cancelled meanwhile)."""
        followed = self._followed.lock(event.reservation_id)
        if not followed.accept(event.sequence, status):
            return None
        followed = replace(
            followed,
            equipment_type_id=event.equipment_type_id,
            reference=event.reference or followed.reference,
            period=event.period,
            quantity=event.quantity,
        )
        self._followed.save(followed)
        return followed

    def _release_held(self, reservation_id: str, keep_type: str | None = None) -> None:
        """Items allocated to the reservation (not handed over) are free again — all of them,
        or those not of `keep_type`."""
        now = self._clock()
        for allocation in self._allocations.for_reservation(reservation_id):
            if allocation.status is not AllocationStatus.ALLOCATED:
                continue
            if keep_type is not None:
                item = self._items.get(allocation.item_id)
                if item is not None and item.equipment_type_id == keep_type:
                    continue
            self._allocations.update(replace(allocation, status=AllocationStatus.RELEASED), now)

    def on_confirmed(self, event: ReservationConfirmed) -> None:
        followed = self._follow(event, FollowedStatus.CONFIRMED)
        if followed is not None and followed.equipment_type_id:
            self._fleet.replan(followed.equipment_type_id)

    def on_changed(self, event: ReservationChanged) -> None:
        """What has to be served changed (another type, period or quantity): items of a
        type it no longer needs are released, and both fleets are planned again. A changed
        hold is nothing to serve yet (its confirmation will carry the new period)."""
        if not event.is_live:
            return
        before = self._followed.get(event.reservation_id)
        followed = self._follow(event, FollowedStatus.CONFIRMED)
        if followed is None or not followed.equipment_type_id:
            return
        types = {followed.equipment_type_id}
        if before is not None and before.equipment_type_id:
            types.add(before.equipment_type_id)
        for type_id in sorted(types):  # the planner's lock order
            self._fleet.lock(type_id)
        self._release_held(followed.reservation_id, keep_type=followed.equipment_type_id)
        for type_id in sorted(types):
            self._fleet.replan(type_id)

    def on_released(self, event: ReservationEvent) -> None:
        """Cancelled or expired: items held for it are free again — but one that was handed
        over stays out until it is checked in (physical truth)."""
        followed = self._follow(event, FollowedStatus.RELEASED)
        if followed is None or not followed.equipment_type_id:
            return
        self._fleet.lock(followed.equipment_type_id)
        self._release_held(followed.reservation_id)
        self._fleet.replan(followed.equipment_type_id)  # may serve bookings that were short

    def on_completed(self, event: ReservationCompleted) -> None:
        """Completed: whatever was not checked in at the counter is recorded as returned."""
        followed = self._follow(event, FollowedStatus.COMPLETED)
        if followed is not None:
            self._fleet.check_in(CheckInReservation(followed.reservation_id, {}, "system"))
