"""The notifications time sends, not an event: two periodic worker jobs.

- `notifications.pickup_reminders`: a reminder to each confirmed order whose pick-up starts
  within the next N hours (the settings' reminder_hours, default 24), keyed once per order and
  start — a booking moved to a new start is reminded again. An order booked inside that
  window gets none: its confirmation has just told the customer everything.
- `notifications.return_due`: on the morning of the day a line is due back (from 07:00 in
  the shop's time zone until it is due), one mail per order and due date, for equipment
  out since before that day (a hire that ends the day it began needs no reminder).

Both compute "now" from senders.now() (`app.extensions["notifications.clock"]` in tests),
look the orders up in one short read, then send each mail in a transaction of its own: one
that fails (the mail server down or refusing) is recorded FAILED and tried again on the
job's next run — at most MAX_ATTEMPTS times — while the others go out. Run twice, a job
sends nothing twice (the keys in notifications_messages)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from rental.booking import BookingFacade, ListReservations, Order, ReservationStatus
from rental.notifications.application import senders
from rental.notifications.domain.notification import PICKUP_REMINDER, RETURN_DUE
from rental.notifications.domain.reminders import (
    RETURN_DUE_FROM,
    in_reminder_window,
    reminder_key,
    return_due_key,
)
from rental.notifications.infrastructure.mailer import MailNotSent
from rental.notifications.infrastructure.messages import already_sent, failed_attempts
from rental.notifications.infrastructure.settings import get_settings
from rental.shared import local_time
from rental.shared.db import db, unit_of_work
from rental.shared.errors import DomainError
from rental.shared.web import business_tz

log = logging.getLogger(__name__)

RUN_EVERY_SECONDS = 600
MAX_ATTEMPTS = 5  # a mail the server keeps refusing stays FAILED (visible at /admin/mail)
_PAGE = 100


def _reservations(query: ListReservations) -> Iterator[Any]:
    """Every reservation the query finds, page after page (Booking's list caps a page)."""
    booking = BookingFacade()
    page = 1
    while True:
        found = booking.list_reservations(replace(query, page=page, page_size=_PAGE))
        yield from found.items
        if page >= found.pages:
            return
        page += 1


def _given_up(key: str) -> bool:
    return failed_attempts(key) >= MAX_ATTEMPTS


def _send_each(job: str, orders: dict[str, str], send: Callable[[Order, str], None]) -> int:
    """`orders`: order ID → key. Each in its own transaction; a failure is logged (one line)
    and left for the next run. Returns how many mails went out."""
    db.session.rollback()  # the look-up's read transaction ends before any mail
    sent = failed = 0
    first_error = ""
    for order_id, key in orders.items():
        try:
            with unit_of_work():
                if already_sent(key) or _given_up(key):
                    continue
                send(BookingFacade().get_order(order_id), key)
                sent += int(already_sent(key))
        except MailNotSent as exc:
            failed += 1
            first_error = first_error or str(exc)
        except DomainError as exc:  # e.g. the order is gone: the others still go out
            log.warning("%s: skipped order %s: %s", job, order_id, exc.message)
    if failed:
        log.warning(
            "%s: %d e-mail(s) not sent, tried again on the next run (%s)",
            job,
            failed,
            first_error,
        )
    return sent


# --- the pick-up reminder --------------------------------------------------------------------


def send_pickup_reminders() -> int:
    """The job: reminders for the pick-ups in the next N hours. Returns how many were sent."""
    settings = get_settings()
    if not settings.reminders_enabled:
        return 0
    at = senders.now()
    window = timedelta(hours=settings.reminder_hours)
    confirmed = (ReservationStatus.CONFIRMED.value,)
    lines = _reservations(ListReservations(picks_up=(at, at + window), statuses=confirmed))
    due = {}
    for order_id in dict.fromkeys(line.order_id or line.id for line in lines):
        order = BookingFacade().get_order(order_id)
        if _remind(order, at, window):
            due[order_id] = reminder_key(order.id, order.period.start)
    return _send_each("notifications.pickup_reminders", due, _send_reminder(at, window))


def _remind(order: Order, at: datetime, window: timedelta) -> bool:
    return (
        order.status is ReservationStatus.CONFIRMED  # not picked up, cancelled or a no-show
        and in_reminder_window(order.period.start, order.created_at, at, window)
    )


def _send_reminder(at: datetime, window: timedelta) -> Callable[[Order, str], None]:
    def send(order: Order, key: str) -> None:
        # Read again inside the mail's transaction: changed or cancelled since the look-up?
        if not _remind(order, at, window) or reminder_key(order.id, order.period.start) != key:
            return
        senders.mail_customer(
            key, PICKUP_REMINDER, order, f"Reminder: your pick-up {order.reference}"
        )

    return send


# --- return due today ------------------------------------------------------------------------


def send_return_due() -> int:
    """The job: this morning's "return due today" mails. Returns how many were sent."""
    if not get_settings().return_due_enabled:
        return 0
    at = senders.now()
    tz = business_tz()
    today = local_time.local(at, tz).date()
    day_starts = local_time.start_of_day(today, tz)
    day_ends = local_time.start_of_day(today + timedelta(days=1), tz)
    if at < local_time.resolve(datetime.combine(today, RETURN_DUE_FROM), tz):
        return 0
    due: dict[str, str] = {}
    on_hire = (ReservationStatus.ON_HIRE.value,)
    for line in _reservations(ListReservations(returns=(day_starts, day_ends), statuses=on_hire)):
        if line.period.start < day_starts and at < line.period.end:
            order_id = line.order_id or line.id
            due.setdefault(order_id, return_due_key(order_id, today))
    return _send_each("notifications.return_due", due, _send_return_due(at, day_starts, day_ends))


def _send_return_due(
    at: datetime, day_starts: datetime, day_ends: datetime
) -> Callable[[Order, str], None]:
    def send(order: Order, key: str) -> None:
        lines = [
            r
            for r in order.lines
            if r.status is ReservationStatus.ON_HIRE
            and day_starts <= r.period.end < day_ends
            and at < r.period.end
        ]
        if not lines:
            return  # back already
        senders.mail_customer(
            key,
            RETURN_DUE,
            order,
            f"Your rental {order.reference} is due back today",
            {"due_at": min(r.period.end for r in lines)},
        )

    return send
