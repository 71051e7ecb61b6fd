"""Staff feeds: create (the token returned once), list, revoke; and a feed's calendar — the
pick-ups and returns in its window of confirmed and on-hire lines (its equipment type's, or
all), one event per order and kind, from BookingFacade, CustomerFacade (the name only),
CatalogFacade and ShopFacade."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, url_for

from rental.booking import BookingFacade, ListReservations, ReservationStatus
from rental.calendars.domain.feeds import (
    MAX_LINES,
    CalendarFeed,
    NewFeed,
    looks_like_id,
    new_token,
    token_hash,
    window,
)
from rental.calendars.domain.ics import PICKUP, RETURN, FeedEvent, feed_calendar
from rental.calendars.infrastructure import feeds as store
from rental.catalog import CatalogFacade
from rental.customers import CustomerFacade
from rental.shared.db import unit_of_work
from rental.shared.errors import NotFoundError
from rental.shop import ShopFacade

_PAGE = 100
_LIVE = (ReservationStatus.CONFIRMED.value, ReservationStatus.ON_HIRE.value)


def create_feed(feed: NewFeed, now: datetime, actor: str) -> str:
    """The new feed's token: the only time it exists outside the subscriber's calendar."""
    token = new_token()
    with unit_of_work() as session:
        store.add(session, feed, token_hash(token), now, actor)
    return token


def revoke_feed(feed_id: str, now: datetime) -> None:
    if not looks_like_id(feed_id):
        raise NotFoundError("There is no such calendar feed.")
    with unit_of_work() as session:
        if not store.revoke(session, feed_id, now):
            raise NotFoundError("There is no such calendar feed.")


def list_feeds() -> list[CalendarFeed]:
    return store.all_feeds()


def _lines(kind: str, span: tuple[datetime, datetime], type_id: str | None) -> list:
    booking, found, page = BookingFacade(), [], 1
    while len(found) < MAX_LINES:
        query = ListReservations(
            statuses=_LIVE,
            equipment_type_id=type_id,
            page=page,
            page_size=_PAGE,
            **({"picks_up": span} if kind == PICKUP else {"returns": span}),
        )
        result = booking.list_reservations(query)
        found += result.items
        if page >= result.pages:
            break
        page += 1
    return found[:MAX_LINES]


def _item(r, names: dict) -> str:
    name = names[r.equipment_type_id].name if r.equipment_type_id in names else "Equipment"
    return f"{r.quantity} × {name}"


def _event(
    kind: str, order_id: str, rows: list, names: dict, people: dict, orders: dict
) -> FeedEvent:
    """One order's pick-up or return: its lines in scope, the customer's name only (a feed's
    URL may leak: no e-mail, no phone). SEQUENCE is the whole order's version (`orders`: line
    ID → Order), not its lines in scope: a line cancelled or moved out of the feed still
    counts, so the number never goes down."""
    first = rows[0]
    person = people.get(first.customer_id)
    order = orders.get(first.id)
    return FeedEvent(
        order_id=order_id,
        kind=kind,
        at=first.period.start if kind == PICKUP else first.period.end,
        reference=first.order_reference,
        customer_name=person.name if person else "Customer",
        items=tuple(_item(r, names) for r in rows),
        staff_url=url_for("booking_admin.detail", reservation_id=first.id, _external=True),
        sequence=order.version if order else sum(r.version for r in rows),
        last_modified=order.updated_at if order else max(r.updated_at for r in rows),
    )


def feed_ics(token: str, now: datetime) -> bytes:
    """NotFoundError for an unknown or revoked token (the same answer for both)."""
    feed = store.active_by_hash(token_hash(token))
    if feed is None:
        raise NotFoundError("There is no such calendar feed.")
    span = window(now)
    by_kind = {kind: _lines(kind, span, feed.equipment_type_id) for kind in (PICKUP, RETURN)}
    every = [r for lines in by_kind.values() for r in lines]
    names = CatalogFacade().get_equipment_type_summaries({r.equipment_type_id for r in every})
    people = CustomerFacade().get_customers({r.customer_id for r in every})
    orders = BookingFacade().orders_of_lines({r.id for r in every})
    events = []
    for kind, lines in by_kind.items():
        by_order: dict[str, list] = defaultdict(list)
        for r in lines:
            by_order[r.order_id or r.id].append(r)
        events += [_event(kind, key, rows, names, people, orders) for key, rows in by_order.items()]
    events.sort(key=lambda e: (e.at, e.kind, e.reference))
    shop = ShopFacade().get_settings()
    tz = ZoneInfo(current_app.config.get("BUSINESS_TIMEZONE", "UTC"))
    return feed_calendar(feed.name, events, ", ".join(shop.address_lines), tz, now)
