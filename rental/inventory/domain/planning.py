"""Which item serves which confirmed booking.

Planned again whenever the fleet, the turnaround buffer or the bookings of a type change, so
every confirmed booking is either served by items that will really be there, or known to be
short — never silently unservable. Pure Python: the application layer loads the items, what
blocks them and the bookings, and applies the plan."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from rental.shared.time_range import TimeRange

# Open ends of a block: "since before anything we plan" and "until someone says otherwise".
SINCE_EVER = datetime(2000, 1, 1, tzinfo=UTC)
UNTIL_FURTHER_NOTICE = datetime(2999, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Block:
    """An item that cannot serve a new booking for a while: a maintenance window, an item in
    maintenance (until it is expected back), an item out with a customer (from its pick-up,
    and until it is returned once it is overdue), or another booking's allocation."""

    item_id: str
    period: TimeRange
    cause: str  # for people: "SN-004 is in maintenance", "SN-004 was not returned", …


@dataclass(frozen=True, slots=True)
class Demand:
    """A confirmed booking's need for items."""

    reservation_id: str
    occupied: TimeRange  # the rental period plus the turnaround buffer
    quantity: int  # units to hold (those out with the customer are blocks, not demand)
    current: tuple[str, ...] = ()  # items allocated to it now
    movable: bool = True  # not started yet: its items may be swapped for others


def out_with_customer(
    item_id: str,
    serial: str,
    rental: TimeRange,
    buffer: timedelta,
    picked_up_at: datetime,
    now: datetime,
) -> Block:
    """An item handed over and not back: taken from its pick-up (before the start, when it
    left early) to the end of its booking plus the buffer — and, once the booking has ended
    without it coming back, until it is returned, whatever the booking said."""
    if now >= rental.end:
        return Block(
            item_id,
            TimeRange(min(picked_up_at, rental.start), UNTIL_FURTHER_NOTICE),
            f"{serial} was not returned",
        )
    return Block(
        item_id,
        TimeRange(min(picked_up_at, rental.start), rental.end + buffer),
        f"{serial} is out with another customer",
    )


def plan(
    item_ids: Sequence[str], blocks: Iterable[Block], demands: Iterable[Demand]
) -> dict[str, list[str]]:
    """Item ids per reservation id. Keeps every allocation that is still possible and fills
    the gaps with the best-fitting free items; only when that leaves a booking short are the
    bookings that have not started re-planned from scratch (start order, best fit: for
    interval bookings that needs no more items than the peak overlap), and the better of the
    two plans is kept. `item_ids` are the rentable items, in a stable order."""
    ordered = sorted(demands, key=lambda d: (d.occupied.start, d.occupied.end, d.reservation_id))
    blocks = list(blocks)
    stable = _place(item_ids, blocks, ordered, keep_movable=True)
    if not shortfall(ordered, stable):
        return stable
    repacked = _place(item_ids, blocks, ordered, keep_movable=False)
    return repacked if shortfall(ordered, repacked) < shortfall(ordered, stable) else stable


def shortfall(demands: Iterable[Demand], assigned: dict[str, list[str]]) -> int:
    return sum(max(d.quantity - len(assigned.get(d.reservation_id, [])), 0) for d in demands)


def is_free(item_id: str, period: TimeRange, blocks: Iterable[Block]) -> bool:
    return not any(b.item_id == item_id and b.period.overlaps(period) for b in blocks)


def blocking(item_id: str, period: TimeRange, blocks: Iterable[Block]) -> Block | None:
    """The first block that keeps `item_id` from `period` (None when it is free)."""
    found = [b for b in blocks if b.item_id == item_id and b.period.overlaps(period)]
    return min(found, key=lambda b: b.period.start) if found else None


def _place(
    item_ids: Sequence[str],
    blocks: list[Block],
    ordered: list[Demand],
    *,
    keep_movable: bool,
) -> dict[str, list[str]]:
    placed = list(blocks)
    assigned: dict[str, list[str]] = {d.reservation_id: [] for d in ordered}
    # What already serves a booking stays where it is while it still can (stability: staff
    # may have prepared those machines).
    for demand in ordered:
        if demand.movable and not keep_movable:
            continue
        for item_id in demand.current:
            if item_id not in item_ids or len(assigned[demand.reservation_id]) >= demand.quantity:
                continue
            if is_free(item_id, demand.occupied, placed):
                assigned[demand.reservation_id].append(item_id)
                placed.append(Block(item_id, demand.occupied, "booked"))
    for demand in ordered:
        mine = assigned[demand.reservation_id]
        while len(mine) < demand.quantity:
            free = [i for i in item_ids if i not in mine and is_free(i, demand.occupied, placed)]
            if not free:
                break
            item_id = min(free, key=lambda i: _fit(i, demand, placed))
            mine.append(item_id)
            placed.append(Block(item_id, demand.occupied, "booked"))
    return assigned


_NO_NEIGHBOUR = timedelta(days=100_000)


def _fit(item_id: str, demand: Demand, placed: list[Block]) -> tuple[timedelta, bool]:
    """Best fit: the item whose bookings sit closest around the period comes first. Packing
    rentals tightly onto few items keeps long stretches free on the others, so a later, longer
    booking still finds one (plain first-fit can strand capacity). Ties go to the item the
    booking already has, then (min keeps the first) to the fleet's order."""
    period = demand.occupied
    mine = [b.period for b in placed if b.item_id == item_id]
    ends = [p.end for p in mine if p.end <= period.start]
    starts = [p.start for p in mine if p.start >= period.end]
    before = period.start - max(ends) if ends else _NO_NEIGHBOUR
    after = min(starts) - period.end if starts else _NO_NEIGHBOUR
    return (before + after, item_id not in demand.current)


@dataclass(frozen=True, slots=True)
class BookedDemand:
    """A live booking as Booking sees it (a hold, or a confirmed booking Inventory may not
    have allocated yet): what a change of the fleet must still be able to serve."""

    reservation_id: str
    reference: str
    occupied: TimeRange  # the rental period plus the turnaround buffer
    quantity: int
    status: str  # "PENDING" (a hold) or "CONFIRMED"


def over_capacity(
    demands: Sequence[BookedDemand], capacity_for: Callable[[TimeRange], int]
) -> list[BookedDemand]:
    """The bookings that meet a stretch of time where more units are booked than there are
    items (after a change of the fleet): those at risk."""
    at_risk = []
    for demand in demands:
        moments = {demand.occupied.start, demand.occupied.end}
        for other in demands:
            for moment in (other.occupied.start, other.occupied.end):
                if demand.occupied.start < moment < demand.occupied.end:
                    moments.add(moment)
        ordered = sorted(moments)
        for start, end in pairwise(ordered):
            slot = TimeRange(start, end)
            used = sum(d.quantity for d in demands if d.occupied.overlaps(slot))
            if used > capacity_for(slot):
                at_risk.append(demand)
                break
    return at_risk
