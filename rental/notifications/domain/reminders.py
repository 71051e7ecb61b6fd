"""The rules of the mails time sends (application/jobs.py): which pick-up is reminded now, and
the keys that make each go out once — per order and start (a booking moved to a new start is
reminded again) and per order and due date."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from rental.notifications.domain.notification import PICKUP_REMINDER, RETURN_DUE

RETURN_DUE_FROM = time(7, 0)  # local: no mail about today's return before breakfast


def in_reminder_window(
    start: datetime, booked_at: datetime, at: datetime, window: timedelta
) -> bool:
    """A pick-up at `start` is reminded at `at` when it starts within the next `window` — and
    was booked before that window opened: an order booked inside it gets none (its
    confirmation has just told the customer everything)."""
    return at <= start < at + window and booked_at <= start - window


def reminder_key(order_id: str, start: datetime) -> str:
    return f"{PICKUP_REMINDER}:{order_id}:{start.astimezone(UTC):%Y%m%dT%H%M}"


def return_due_key(order_id: str, day: date) -> str:
    return f"{RETURN_DUE}:{order_id}:{day:%Y%m%d}"
