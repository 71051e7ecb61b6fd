"""Availability: peak concurrent usage by a sweep line, and what is possible when the answer is no.

Pure domain logic: no database, no framework. The application layer fetches the overlapping
reservations (one indexed query) and the capacity profile (from Inventory) and asks here."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from rental.shared.time_range import TimeRange


@dataclass(frozen=True, slots=True)
class Occupancy:
    """Units of one equipment type held for a range (turnaround buffer already included)."""

    period: TimeRange
    quantity: int


@dataclass(frozen=True, slots=True)
class UsagePeak:
    peak: int
    # The first stretch where usage reaches the peak (None when nothing overlaps).
    at: TimeRange | None


def sweep_peak(occupancies: Iterable[Occupancy], window: TimeRange) -> UsagePeak:
    """Peak concurrent usage inside `window` with a sweep over start/end points.

    Ranges are half-open: at an instant where one rental ends and another starts, the end is
    processed first, so back-to-back rentals never add up. Returns the peak and the first
    interval where usage is at that peak (the 'blocking interval' when it is too high)."""
    points: list[tuple[datetime, int]] = []
    for occ in occupancies:
        start = max(occ.period.start, window.start)
        end = min(occ.period.end, window.end)
        if start < end and occ.quantity > 0:
            points.append((start, occ.quantity))
            points.append((end, -occ.quantity))
    # Ends (negative deltas) sort before starts at the same instant.
    points.sort(key=lambda p: (p[0], p[1]))
    usage = peak = 0
    peak_start: datetime | None = None
    peak_end: datetime | None = None
    for i, (moment, delta) in enumerate(points):
        usage += delta
        next_moment = points[i + 1][0] if i + 1 < len(points) else None
        if next_moment is not None and next_moment == moment:
            continue  # settle every change at this instant before measuring
        if usage > peak:
            peak, peak_start, peak_end = usage, moment, next_moment
    at = TimeRange(peak_start, peak_end) if peak and peak_start and peak_end else None
    return UsagePeak(peak, at)


def usage_steps(
    occupancies: Sequence[Occupancy], window: TimeRange, cuts: Iterable[datetime] = ()
) -> list[tuple[TimeRange, int]]:
    """`window` cut at every instant usage changes inside it (and at `cuts`, e.g. where
    capacity changes), each piece with the units in use over it — one sweep for them all
    (the staff timeline; a sweep per piece was quadratic in the bookings it shows)."""
    moments = {window.start}
    for occ in occupancies:
        moments.update(m for m in (occ.period.start, occ.period.end) if window.contains(m))
    moments.update(m for m in cuts if window.contains(m))
    changes: dict[datetime, int] = {}
    for occ in occupancies:
        if occ.quantity > 0:
            changes[occ.period.start] = changes.get(occ.period.start, 0) + occ.quantity
            changes[occ.period.end] = changes.get(occ.period.end, 0) - occ.quantity
    pending = sorted(changes.items())
    ordered = sorted(moments)
    steps: list[tuple[TimeRange, int]] = []
    used = k = 0
    for i, moment in enumerate(ordered):
        while k < len(pending) and pending[k][0] <= moment:  # what started by now, less ended
            used += pending[k][1]
            k += 1
        end = ordered[i + 1] if i + 1 < len(ordered) else window.end
        steps.append((TimeRange(moment, end), used))
    return steps


def usage_at(occupancies: Iterable[Occupancy], moment: datetime) -> int:
    """Usage at one instant (the brute-force oracle the sweep is tested against)."""
    return sum(o.quantity for o in occupancies if o.period.start <= moment < o.period.end)


@dataclass(frozen=True, slots=True)
class Availability:
    is_available: bool
    remaining_capacity: int
    total_capacity: int
    peak_usage: int
    requested_quantity: int
    blocking_interval: TimeRange | None


def assess(
    occupancies: Sequence[Occupancy], occupied: TimeRange, quantity: int, total_capacity: int
) -> Availability:
    """Can `quantity` more units be held for `occupied` (the request plus its buffer)?"""
    peak = sweep_peak(occupancies, occupied)
    remaining = max(total_capacity - peak.peak, 0)
    available = quantity <= remaining
    blocking = None if available else (peak.at or occupied)
    return Availability(available, remaining, total_capacity, peak.peak, quantity, blocking)


def earliest_start(
    occupancies: Sequence[Occupancy],
    requested: TimeRange,
    quantity: int,
    buffer: timedelta,
    capacity_for: Callable[[TimeRange], int],
    horizon: timedelta,
    align: Callable[[datetime], datetime],
    extra_candidates: Iterable[datetime] = (),
    same_length_from: Callable[[datetime], TimeRange] | None = None,
    allowed: Callable[[TimeRange], bool] | None = None,
) -> TimeRange | None:
    """The earliest period of the same duration, starting within `horizon` of the requested
    start, in which the full quantity is free. Only instants where something ends can open
    room, so those (aligned to the booking grid) are the only candidates worth testing.

    `same_length_from(start)` builds the candidate period (default: the same real duration;
    booking passes its calendar-day rule so 2 days stay 2 days across a clock change).
    `allowed(period)` leaves out periods the shop cannot serve (outside opening hours: the
    caller adds the openings of the coming days to `extra_candidates`)."""
    duration = requested.duration
    build = same_length_from or (lambda start: TimeRange(start, start + duration))
    latest = requested.start + horizon
    candidates = {requested.start}
    candidates.update(align(o.period.end) for o in occupancies)
    candidates.update(align(moment) for moment in extra_candidates)
    for start in sorted(c for c in candidates if requested.start <= c <= latest):
        period = build(start)
        if allowed is not None and not allowed(period):
            continue
        occupied = period.expanded(after=buffer)
        if assess(occupancies, occupied, quantity, capacity_for(occupied)).is_available:
            return period
    return None
