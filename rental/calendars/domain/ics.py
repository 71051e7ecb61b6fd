"""An order's pick-up and return as iCalendar events, written with the `icalendar` library.

Times are written in the shop's time zone (TZID=…) with its VTIMEZONE, so a calendar in
another zone shows the right moment and the shop's own calendar shows the shop's clock.
A UID is stable per order and event: importing the file again updates the events instead of
adding copies, and a cancelled order's file marks them STATUS:CANCELLED. SEQUENCE is the
order's version (the sum of its lines' versions, bumped by every change of a line), so it
grows whenever the period, the items or the status change and a calendar app takes the newer
event over the one it holds; LAST-MODIFIED is when a line last changed, DTSTAMP when the file
was written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

PRODID = "-//RentKit//Calendars//EN"
UID_DOMAIN = "rentkit.calendar"
# A pick-up or a return is a moment; a short event shows in a calendar's day view.
EVENT_LENGTH = timedelta(minutes=30)
PICKUP = "pickup"
RETURN = "return"


@dataclass(frozen=True, slots=True)
class OrderCalendar:
    """What an order's calendar says: its period (UTC), the shop and the items booked."""

    order_id: str
    reference: str
    shop_name: str
    shop_address: str
    items: tuple[str, ...]
    start: datetime
    end: datetime
    manage_url: str
    status: str  # CONFIRMED, TENTATIVE (not confirmed yet) or CANCELLED (RFC 5545 STATUS)
    sequence: int = 0  # the order's version: higher after every change (RFC 5545 SEQUENCE)
    last_modified: datetime | None = None  # when a line of it last changed (UTC)


def event_uid(order_id: str, kind: str) -> str:
    """The same for every download of one order's event (kind: PICKUP or RETURN)."""
    return f"{order_id}-{kind}@{UID_DOMAIN}"


def _stamped(uid: str, now: datetime, sequence: int, last_modified: datetime | None) -> Event:
    """An event with what lets a calendar app tell a newer copy from the one it holds: the
    stable UID, SEQUENCE, DTSTAMP (now) and LAST-MODIFIED (UTC, never after DTSTAMP)."""
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", now.astimezone(UTC))
    if last_modified is not None:
        event.add("last-modified", min(last_modified, now).astimezone(UTC))
    return event


def _event(order: OrderCalendar, kind: str, start: datetime, end: datetime, now: datetime) -> Event:
    what = "Pick-up" if kind == PICKUP else "Return"
    event = _stamped(event_uid(order.order_id, kind), now, order.sequence, order.last_modified)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", f"{what}: {order.shop_name} {order.reference} – {', '.join(order.items)}")
    if order.shop_address:
        event.add("location", order.shop_address)
    event.add(
        "description",
        f"{what} of booking {order.reference} ({', '.join(order.items)}).\n"
        f"Manage your booking: {order.manage_url}",
    )
    event.add("url", order.manage_url)
    event.add("status", order.status)
    return event


def order_calendar(order: OrderCalendar, tz: ZoneInfo, now: datetime) -> bytes:
    """The .ics file of `order`: the pick-up (30 minutes from the start of the period) and
    the return (the 30 minutes up to its end), in `tz` with its VTIMEZONE."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    # A downloaded file, not an invitation: PUBLISH is what calendars import quietly.
    cal.add("method", "PUBLISH")
    start, end = order.start.astimezone(tz), order.end.astimezone(tz)
    cal.add_component(_event(order, PICKUP, start, start + EVENT_LENGTH, now))
    cal.add_component(_event(order, RETURN, end - EVENT_LENGTH, end, now))
    cal.add_missing_timezones()
    return cal.to_ical()


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One pick-up or return of an order in a staff feed (the lines of the order in scope)."""

    order_id: str
    kind: str  # PICKUP or RETURN
    at: datetime  # the start (pick-up) or the end (return) of the period, UTC
    reference: str
    customer_name: str
    items: tuple[str, ...]
    staff_url: str
    sequence: int = 0  # the order's version (see OrderCalendar.sequence)
    last_modified: datetime | None = None


def feed_uid(order_id: str, kind: str) -> str:
    """Not the customer's UID: a staff member's calendar may hold both."""
    return f"staff-{order_id}-{kind}@{UID_DOMAIN}"


def feed_calendar(
    name: str, events: list[FeedEvent], location: str, tz: ZoneInfo, now: datetime
) -> bytes:
    """A staff feed: each event a 30-minute slot in `tz` (a pick-up from its time, a return
    up to it), with the customer's name and the items — and nothing else about the customer."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", tz.key)
    for item in events:
        at = item.at.astimezone(tz)
        start, end = (at, at + EVENT_LENGTH) if item.kind == PICKUP else (at - EVENT_LENGTH, at)
        what = "Pick-up" if item.kind == PICKUP else "Return"
        event = _stamped(feed_uid(item.order_id, item.kind), now, item.sequence, item.last_modified)
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("summary", f"{what}: {item.customer_name} – {item.reference}")
        if location:
            event.add("location", location)
        event.add("description", f"{', '.join(item.items)}\n{item.staff_url}")
        event.add("url", item.staff_url)
        event.add("status", "CONFIRMED")
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()
