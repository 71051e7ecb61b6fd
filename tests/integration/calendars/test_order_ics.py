"""An order's .ics (rental/calendars) on SQLite and PostgreSQL, read back with icalendar: the
pick-up and the return in the shop's time zone (Europe/Berlin) with its VTIMEZONE, the shop's
address, UIDs stable across downloads; the download only behind the manage link's reference
and token; the same file attached to the order-confirmed e-mail (a real SMTP server); a
cancelled order's events marked CANCELLED. Calendar apps can update what they imported: a
changed or cancelled order keeps its UIDs and raises SEQUENCE (the order's version), with
DTSTAMP and LAST-MODIFIED in UTC; the file is METHOD:PUBLISH and RFC 5545 valid (VTIMEZONE of
the shop's zone, DTSTART/DTEND in its local time by TZID)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar

from rental.booking import (
    BookingFacade,
    ChangeReservation,
    OrderLine,
    PlaceOrder,
    PricingBasis,
)
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


def valid(body: bytes, zone: str = "Europe/Berlin") -> Calendar:
    """The file read back and checked against RFC 5545's rules for what calendar apps need:
    one VCALENDAR with VERSION, PRODID and METHOD:PUBLISH; one VTIMEZONE of the shop's zone
    (with its standard and daylight rules); every VEVENT with a UID, SEQUENCE, DTSTAMP and
    LAST-MODIFIED in UTC, DTSTART/DTEND as local times with a TZID that VTIMEZONE defines."""
    text = body.decode("utf-8")
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))  # folded lines
    calendar = Calendar.from_ical(body)
    assert str(calendar["VERSION"]) == "2.0" and str(calendar["PRODID"])
    assert str(calendar["METHOD"]) == "PUBLISH"
    (tz,) = calendar.walk("VTIMEZONE")
    assert str(tz["TZID"]) == zone
    assert {c.name for c in tz.subcomponents} == {"STANDARD", "DAYLIGHT"}
    for event in calendar.walk("VEVENT"):
        assert str(event["UID"])
        assert isinstance(event.decoded("SEQUENCE"), int)
        for utc in ("DTSTAMP", "LAST-MODIFIED"):
            assert event.decoded(utc).utcoffset().total_seconds() == 0, utc
        assert event.decoded("LAST-MODIFIED") <= event.decoded("DTSTAMP")
        for local in ("DTSTART", "DTEND"):
            assert str(event[local].params["TZID"]) == zone, local
            assert f"{local};TZID={zone}:" in text
            assert not event[local].to_ical().endswith(b"Z")  # local time, not UTC
            assert event.decoded(local).tzinfo.key == zone
        assert event.decoded("DTSTART") < event.decoded("DTEND")
    return calendar


def events(body: bytes) -> dict[str, object]:
    calendar = valid(body)
    found = {str(e["SUMMARY"]).split(":")[0]: e for e in calendar.walk("VEVENT")}
    assert set(found) == {"Pick-up", "Return"}
    return found


def stamps(found: dict[str, object]) -> dict[str, tuple[str, int]]:
    """Event → (UID, SEQUENCE)."""
    return {k: (str(e["UID"]), e.decoded("SEQUENCE")) for k, e in found.items()}


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


def test_a_changed_order_keeps_its_uids_and_raises_the_sequence(app, smtp, berlin, client):
    order, token = place_with_token()
    url = f"/r/{order.reference}/{token}/calendar.ics"
    before = events(client.get(url).data)
    # Downloading again changes nothing: the same UIDs and SEQUENCE.
    assert stamps(events(client.get(url).data)) == stamps(before)
    BookingFacade().change_reservation(
        ChangeReservation(order.first.id, TimeRange(tomorrow_at(10), tomorrow_at(15)), 1)
    )
    db.session.commit()
    after = events(client.get(url).data)
    for kind in ("Pick-up", "Return"):
        (uid, sequence), (new_uid, new_sequence) = stamps(before)[kind], stamps(after)[kind]
        assert new_uid == uid and new_sequence > sequence, kind
        assert after[kind].decoded("LAST-MODIFIED") >= before[kind].decoded("LAST-MODIFIED")
    assert after["Pick-up"].decoded("DTSTART") == tomorrow_at(10)
    assert after["Return"].decoded("DTEND") == tomorrow_at(15)
    assert str(after["Pick-up"]["STATUS"]) == "CONFIRMED"
    # Cancelled: the same events, CANCELLED, with a higher SEQUENCE again.
    BookingFacade().cancel_by_customer(order.first.id, "Plans changed")
    db.session.commit()
    gone = events(client.get(url).data)
    for kind in ("Pick-up", "Return"):
        uid, sequence = stamps(after)[kind]
        assert stamps(gone)[kind][0] == uid and stamps(gone)[kind][1] > sequence, kind
        assert str(gone[kind]["STATUS"]) == "CANCELLED"
    assert gone["Pick-up"].decoded("DTSTART") == tomorrow_at(10)
    assert gone["Pick-up"].decoded("DTSTAMP") <= datetime.now(UTC)
