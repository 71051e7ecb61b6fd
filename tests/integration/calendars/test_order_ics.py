"""An order's .ics (rental/calendars) on SQLite and PostgreSQL, read back with icalendar: the
pick-up and the return in the shop's time zone (Europe/Berlin) with its VTIMEZONE, the shop's
address, UIDs stable across downloads; the download only behind the manage link's reference
and token; the same file attached to the order-confirmed e-mail (a real SMTP server); a
cancelled order's events marked CANCELLED."""

from __future__ import annotations

import secrets
from zoneinfo import ZoneInfo

from icalendar import Calendar

from rental.booking import BookingFacade, OrderLine, PlaceOrder, PricingBasis
from rental.extensions import db
from rental.shared.time_range import TimeRange
from tests.integration.notifications.test_mail import customer_email, drain, to
from tests.support.fleet import make_customer, make_type, tomorrow_at

BERLIN = ZoneInfo("Europe/Berlin")


def place_with_token():
    """A confirmed order of a generator and two lights, tomorrow 09:00–13:00 UTC."""
    token = secrets.token_urlsafe(24)
    booking = BookingFacade()
    order = booking.place_order(
        PlaceOrder(
            make_customer(),
            (
                OrderLine(1, equipment_type_id=make_type(hourly="20.00").type_id),
                OrderLine(2, equipment_type_id=make_type(hourly="5.00", name="Light").type_id),
            ),
            TimeRange(tomorrow_at(9), tomorrow_at(13)),
            PricingBasis.HOURLY,
            token,
        )
    )
    booking.confirm_reservation(order.first.id)
    db.session.commit()
    return order, token


def events(body: bytes) -> dict[str, object]:
    calendar = Calendar.from_ical(body)
    zones = [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")]
    assert zones == ["Europe/Berlin"]
    found = {str(e["SUMMARY"]).split(":")[0]: e for e in calendar.walk("VEVENT")}
    assert set(found) == {"Pick-up", "Return"}
    return found


def check_events(body: bytes, order) -> dict[str, object]:
    found = events(body)
    pickup, back = found["Pick-up"], found["Return"]
    start, end = pickup.decoded("DTSTART"), back.decoded("DTEND")
    # Written in the shop's zone (TZID=Europe/Berlin), the same moments as the booking.
    assert str(pickup["DTSTART"].params["TZID"]) == "Europe/Berlin"
    assert str(back["DTEND"].params["TZID"]) == "Europe/Berlin"
    assert start.tzinfo.key == "Europe/Berlin" and start == tomorrow_at(9)
    assert start.hour == tomorrow_at(9).astimezone(BERLIN).hour
    assert end == tomorrow_at(13) and end.hour == tomorrow_at(13).astimezone(BERLIN).hour
    assert pickup.decoded("DTEND") > start and back.decoded("DTSTART") < end
    for event in (pickup, back):
        assert str(event["LOCATION"]) == "Hafenstraße 12, 20457 Hamburg"
        assert order.reference in str(event["SUMMARY"]) and "Hafen Hire" in str(event["SUMMARY"])
        assert "Generator" in str(event["SUMMARY"]) and "2 × Light" in str(event["SUMMARY"])
        assert f"/r/{order.reference}/" in str(event["DESCRIPTION"])
        assert "DTSTAMP" in event
        assert str(event["STATUS"]) == "CONFIRMED"
    return found


def test_the_manage_page_offers_the_orders_ics_with_stable_uids(app, smtp, berlin, client):
    order, token = place_with_token()
    page = client.get(f"/r/{order.reference}/{token}").get_data(as_text=True)
    url = f"/r/{order.reference}/{token}/calendar.ics"
    assert f'href="{url}"' in page and "Add to calendar (.ics)" in page
    first, second = client.get(url), client.get(url)
    assert first.status_code == 200 and first.mimetype == "text/calendar"
    assert f'filename="{order.reference}.ics"' in first.headers["Content-Disposition"]
    one, two = check_events(first.data, order), check_events(second.data, order)
    # Importing the file again updates the two events instead of adding copies.
    assert {str(e["UID"]) for e in one.values()} == {str(e["UID"]) for e in two.values()}
    assert len({str(e["UID"]) for e in one.values()}) == 2
    assert f"/r/{order.reference}/{token}" in str(one["Pick-up"]["DESCRIPTION"])


def test_the_ics_needs_the_manage_links_reference_and_token(app, smtp, client):
    order, token = place_with_token()
    _other, other_token = place_with_token()
    for url in (
        f"/r/{order.reference}/{secrets.token_urlsafe(24)}/calendar.ics",
        f"/r/{order.reference}/{other_token}/calendar.ics",
        f"/r/{order.reference}/{token[:-2]}xx/calendar.ics",
        f"/r/RK-NOPE/{token}/calendar.ics",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"BEGIN:VCALENDAR" not in response.data


def test_a_cancelled_orders_ics_marks_both_events_cancelled(app, smtp, berlin, client):
    order, token = place_with_token()
    BookingFacade().cancel_by_customer(order.first.id, "Plans changed")
    db.session.commit()
    response = client.get(f"/r/{order.reference}/{token}/calendar.ics")
    assert response.status_code == 200
    assert {str(e["STATUS"]) for e in events(response.data).values()} == {"CANCELLED"}


def test_the_confirmation_email_carries_the_same_ics(app, smtp, berlin, client):
    order, token = place_with_token()
    drain()
    address = customer_email(order.customer_id)
    (message,) = [m for m in smtp.messages if to(m) == address]
    attached = [
        part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"
    ]
    assert len(attached) == 1
    assert attached[0].get_filename() == f"{order.reference}.ics"
    body = attached[0].get_payload(decode=True)
    found = check_events(body, order)
    # The e-mail's link is a signed one that opens the manage page.
    link = str(found["Pick-up"]["DESCRIPTION"]).split("Manage your booking: ")[1].strip()
    assert link.startswith(f"https://hire.example/r/{order.reference}/")
    assert client.get(link.removeprefix("https://hire.example")).status_code == 200
    downloaded = events(client.get(f"/r/{order.reference}/{token}/calendar.ics").data)
    assert {str(e["UID"]) for e in found.values()} == {str(e["UID"]) for e in downloaded.values()}
