"""Staff calendar feeds (rental/calendars) on SQLite and PostgreSQL: an administrator creates a
feed (its URL shown once, only a hash kept), staff see the list but cannot create or revoke;
the feed read back with icalendar holds the pick-ups and returns of confirmed bookings in the
shop's time zone — all of them, or one equipment type's — with the customer's name and never
their e-mail or phone; a revoked or unknown token is a 404; bad input is answered at the
field and creates nothing. Subscribed calendars update what they show: a changed order's events
keep their UIDs and raise SEQUENCE (the whole order's version — a line cancelled out of the
feed's scope still raises it)."""

from __future__ import annotations

import re
import secrets

from icalendar import Calendar
from sqlalchemy import func, select

from rental.booking import (
    BookingFacade,
    ChangeReservation,
    OrderLine,
    PlaceOrder,
    PricingBasis,
)
from rental.calendars.infrastructure.entities import CalendarFeedEntity
from rental.customers import CustomerFacade
from rental.extensions import db
from rental.shared.time_range import TimeRange
from tests.integration.calendars.test_order_ics import valid
from tests.support.auth import csrf_token
from tests.support.fleet import make_customer, make_type, tomorrow_at

PAGE = "/admin/calendar-feeds"


def book(type_id: str, *, hour: int = 9, confirm: bool = True):
    booking = BookingFacade()
    order = booking.place_order(
        PlaceOrder(
            make_customer(),
            (OrderLine(1, equipment_type_id=type_id),),
            TimeRange(tomorrow_at(hour), tomorrow_at(hour + 2)),
            PricingBasis.HOURLY,
            secrets.token_urlsafe(24),
        )
    )
    if confirm:
        booking.confirm_reservation(order.first.id)
    db.session.commit()
    return order


def create(client, name: str, scope: str = "all"):
    token = csrf_token(client, PAGE)
    return client.post(PAGE, data={"csrf_token": token, "name": name, "scope": scope})


def feed_path(response) -> str:
    body = response.get_data(as_text=True)
    match = re.search(
        r'id="new-feed-url" readonly value="http://localhost(/calendar/[^"]+\.ics)"', body
    )
    assert match, body
    return match.group(1)


def feeds():
    E = CalendarFeedEntity
    rows = db.session.execute(select(E.id, E.name, E.token_hash, E.revoked_at)).all()
    db.session.rollback()
    return rows


def events(body: bytes) -> dict[str, object]:
    calendar = Calendar.from_ical(body)
    return {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}


def test_a_feed_shows_confirmed_pickups_and_returns_with_the_name_only(app, berlin, admin_client):
    generator, light = make_type(name="Generator").type_id, make_type(name="Light").type_id
    big = book(generator, hour=8)
    small = book(light, hour=10)
    book(light, hour=12, confirm=False)  # a hold: not in the feed
    response = create(admin_client, "Front desk")
    assert response.status_code == 201
    path = feed_path(response)
    token = path.removeprefix("/calendar/").removesuffix(".ics")
    # Only the token's hash is kept.
    (row,) = feeds()
    assert row.token_hash != token and token not in row.token_hash
    # Shown once: the list page does not show it again.
    assert token not in admin_client.get(PAGE).get_data(as_text=True)

    feed = admin_client.application.test_client().get(path)  # no session: a calendar app
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    calendar = Calendar.from_ical(feed.data)
    assert [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    found = events(feed.data)
    people = CustomerFacade().get_customers({big.customer_id, small.customer_id})
    assert set(found) == {
        f"Pick-up: {people[big.customer_id].name} – {big.reference}",
        f"Return: {people[big.customer_id].name} – {big.reference}",
        f"Pick-up: {people[small.customer_id].name} – {small.reference}",
        f"Return: {people[small.customer_id].name} – {small.reference}",
    }
    pickup = found[f"Pick-up: {people[big.customer_id].name} – {big.reference}"]
    assert str(pickup["DTSTART"].params["TZID"]) == "Europe/Berlin"
    assert pickup.decoded("DTSTART") == tomorrow_at(8)
    returned = found[f"Return: {people[small.customer_id].name} – {small.reference}"]
    assert returned.decoded("DTEND") == tomorrow_at(12)
    # The URL may leak: no customer e-mail or phone anywhere in it.
    text = feed.data.decode().replace("\r\n ", "")
    for person in people.values():
        assert person.email not in text
        assert person.phone not in text and person.phone.replace(" ", "") not in text


def test_a_feed_for_one_type_shows_only_that_types_bookings(app, admin_client):
    generator, light = make_type(name="Generator").type_id, make_type(name="Light").type_id
    book(generator)
    small = book(light)
    path = feed_path(create(admin_client, "Lights only", light))
    found = events(admin_client.get(path).data)
    assert len(found) == 2 and all(small.reference in s for s in found)
    assert all("Light" in str(e["DESCRIPTION"]) for e in found.values())
    assert "Lights only" in admin_client.get(PAGE).get_data(as_text=True)


def test_a_revoked_or_unknown_feed_is_a_404(app, admin_client):
    path = feed_path(create(admin_client, "Van"))
    assert admin_client.get(path).status_code == 200
    (row,) = feeds()
    token = csrf_token(admin_client, PAGE)
    response = admin_client.post(f"{PAGE}/{row.id}/revoke", data={"csrf_token": token})
    assert response.status_code == 303
    assert admin_client.get(path).status_code == 404
    assert "revoked" in admin_client.get(PAGE).get_data(as_text=True)
    assert admin_client.get(f"/calendar/{secrets.token_urlsafe(32)}.ics").status_code == 404
    for wrong in ("nope", "x" * 300, "0" * 36):
        missing = admin_client.post(f"{PAGE}/{wrong}/revoke", data={"csrf_token": token})
        assert missing.status_code == 404, wrong


def test_staff_see_the_feeds_but_cannot_create_or_revoke(app, admin_client, staff_client):
    create(admin_client, "Front desk")
    (row,) = feeds()
    page = staff_client.get(PAGE)
    assert page.status_code == 200 and "Front desk" in page.get_data(as_text=True)
    assert 'id="new-feed-form"' not in page.get_data(as_text=True)
    token = csrf_token(staff_client, PAGE)
    assert create(staff_client, "Mine").status_code == 403
    revoke = staff_client.post(f"{PAGE}/{row.id}/revoke", data={"csrf_token": token})
    assert revoke.status_code == 403
    assert [(r.name, r.revoked_at) for r in feeds()] == [("Front desk", None)]
    # And without the CSRF token nothing is created either.
    assert admin_client.post(PAGE, data={"name": "x", "scope": "all"}).status_code == 400
    assert len(feeds()) == 1


def test_bad_input_is_answered_at_the_field_and_creates_nothing(app, admin_client):
    for name, scope, field, message in (
        ("", "all", "name", "Give the feed a name"),
        ("   ", "all", "name", "Give the feed a name"),
        ("x" * 81, "all", "name", "At most 80 characters"),
        ("Desk", "no-such-type", "scope", "Choose all bookings or one of the equipment types"),
        ("Desk", "x" * 5000, "scope", "Choose all bookings or one of the equipment types"),
        ("Desk", "../../etc", "scope", "Choose all bookings or one of the equipment types"),
        ("Desk\u202e", "all", "name", "characters that cannot be shown"),
    ):
        response = create(admin_client, name, scope)
        assert response.status_code == 422, (name, scope)
        body = response.get_data(as_text=True)
        assert f'id="{field}-error"' in body and message in body
    assert feeds() == []
    assert db.session.scalar(select(func.count()).select_from(CalendarFeedEntity)) == 0


def test_a_changed_order_keeps_its_feed_uids_and_raises_the_sequence(app, berlin, admin_client):
    generator, light = make_type(name="Generator").type_id, make_type(name="Light").type_id
    booking = BookingFacade()
    order = booking.place_order(
        PlaceOrder(
            make_customer(),
            (OrderLine(1, equipment_type_id=generator), OrderLine(1, equipment_type_id=light)),
            TimeRange(tomorrow_at(9), tomorrow_at(11)),
            PricingBasis.HOURLY,
            secrets.token_urlsafe(24),
        )
    )
    booking.confirm_reservation(order.first.id)
    db.session.commit()
    path = feed_path(create(admin_client, "Front desk"))

    def read() -> dict[str, object]:
        calendar = valid(admin_client.get(path).data)
        found = {str(e["SUMMARY"]).split(":")[0]: e for e in calendar.walk("VEVENT")}
        assert set(found) == {"Pick-up", "Return"}
        return found

    def stamps(found) -> dict[str, tuple[str, int]]:
        return {k: (str(e["UID"]), e.decoded("SEQUENCE")) for k, e in found.items()}

    def raised(before, after) -> bool:
        return all(
            stamps(after)[k][0] == uid and stamps(after)[k][1] > sequence
            for k, (uid, sequence) in stamps(before).items()
        )

    first = read()
    assert stamps(read()) == stamps(first)  # read again: nothing changed
    booking.change_reservation(
        ChangeReservation(order.first.id, TimeRange(tomorrow_at(12), tomorrow_at(16)), 1)
    )
    db.session.commit()
    moved = read()
    assert raised(first, moved)
    assert moved["Pick-up"].decoded("DTSTART") == tomorrow_at(12)
    assert moved["Return"].decoded("DTEND") == tomorrow_at(16)
    # The light is cancelled: the order's events stay (the generator), without the light —
    # and their SEQUENCE still goes up although the cancelled line left the feed.
    booking.cancel_reservation(order.lines[1].id, "Not needed")
    db.session.commit()
    fewer = read()
    assert raised(moved, fewer)
    assert "Light" not in str(fewer["Pick-up"]["DESCRIPTION"])
    assert "Generator" in str(fewer["Pick-up"]["DESCRIPTION"])
