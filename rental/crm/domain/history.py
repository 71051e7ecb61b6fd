"""A customer's rental history line (pure): what CRM keeps of one booking line, and which of
Booking's events about it still apply (by the reservation's `sequence`)."""

from __future__ import annotations

from enum import StrEnum


class LineStatus(StrEnum):
    CONFIRMED = "confirmed"
    CHANGED = "changed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


def applies(event_sequence: int, last_applied: int | None) -> bool:
    """Whether an event of a line with `event_sequence` is newer than the last one applied
    (None: nothing applied yet). Events are handled out of order at times (retries, several
    workers): an older one arriving after a newer is ignored. An event recorded before events
    carried a sequence (0) has nothing to compare: it applies, as Payments does."""
    return last_applied is None or event_sequence == 0 or event_sequence > last_applied


def duration_minutes(start_ts: float, end_ts: float) -> int:
    return max(int((end_ts - start_ts) // 60), 0)
