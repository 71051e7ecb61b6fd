"""Details a customer trips over (issue 11), through the pages on both databases: asking for
more than exist, booking whole days from today, moving the start, the billing unit, an expired
hold, the manage page without JavaScript, an incomplete manage link, empty categories."""

from __future__ import annotations

import html
import re
import secrets
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest

from rental.booking import BookingFacade, CreateReservation, PricingBasis
from rental.shared.time_range import TimeRange
from tests.integration.booking.test_booking_pages import DETAILS
from tests.support.auth import csrf_token
from tests.support.fleet import make_customer, make_type, tomorrow_at

HTMX = {"HX-Request": "true"}


def hourly(start_hour: int = 9, end_hour: int = 17, qty: int | str = 1) -> dict[str, str]:
    return {
        "basis": "hourly",
        "start": tomorrow_at(start_hour).strftime("%Y-%m-%dT%H:%M"),
        "end": tomorrow_at(end_hour).strftime("%Y-%m-%dT%H:%M"),
        "quantity": str(qty),
    }


def hold(fleet, period: TimeRange, quantity: int) -> str:
    return BookingFacade().create_reservation(
        CreateReservation(
            make_customer(),
            fleet.type_id,
            period,
            quantity,
            PricingBasis.HOURLY,
            secrets.token_urlsafe(24),
        )
    )


def links(body: str, text: str) -> list[str]:
    """The href of every link whose text contains `text`."""
    found = re.findall(r'<a href="([^"]*)"[^>]*>\s*([^<]*)</a>', body)
    return [html.unescape(href) for href, label in found if text in label]


def hx_links(body: str, text: str) -> list[str]:
    found = re.findall(r'<a href="[^"]*" hx-get="([^"]*)"[^>]*>\s*([^<]*)</a>', body)
    return [html.unescape(url) for url, label in found if text in label]


# --- 1. asking for more than exist --------------------------------------------------------------


def test_asking_for_more_than_exist_offers_the_free_ones_without_javascript(app, client):
    fleet = make_type(units=4)
    hold(fleet, TimeRange(tomorrow_at(9), tomorrow_at(17)), 2)
    page = client.get(f"/book/{fleet.slug}", query_string=hourly(qty=999))
    body = page.get_data(as_text=True)
    # A shortage like any other, not a form error ("choose 4 or fewer").
    assert page.status_code == 200
    assert "NOT AVAILABLE" in body and "or fewer" not in body
    assert "We have 4 in total</strong> — 2 free for these dates (you asked for 999)" in body
    [offer] = links(body, "Book the 2 that are free")
    assert "quantity=2" in offer
    # One click: the same dates with the 2 that are free, ready to book.
    taken = client.get(offer).get_data(as_text=True)
    assert "AVAILABLE" in taken and "2 of 4 free" in taken
    assert re.search(r'id="book-button">Book 2 ×', taken)


def test_asking_for_more_than_exist_offers_the_free_ones_with_htmx(app, client):
    fleet = make_type(units=4)
    hold(fleet, TimeRange(tomorrow_at(9), tomorrow_at(17)), 2)
    fragment = client.get(
        f"/book/{fleet.slug}", query_string={**hourly(qty=999), "_block": "result"}, headers=HTMX
    ).get_data(as_text=True)
    assert "<html" not in fragment and "NOT AVAILABLE" in fragment
    [offer] = hx_links(fragment, "Book the 2 that are free")
    assert "quantity=2" in offer and "_block=availability" in offer
    # The suggestion swaps form and answer: the form now says 2, the answer is yes.
    swapped = client.get(offer, headers=HTMX).get_data(as_text=True)
    assert "<html" not in swapped
    assert re.search(r'id="quantity" name="quantity" value="2"', swapped)
    assert "2 of 4 free" in swapped


def test_more_than_a_fleet_with_nothing_free_says_so_with_the_fleet_size(app, client):
    fleet = make_type(units=2)
    hold(fleet, TimeRange(tomorrow_at(9), tomorrow_at(17)), 1)
    hold(fleet, TimeRange(tomorrow_at(9), tomorrow_at(17)), 1)
    page = client.get(f"/book/{fleet.slug}", query_string=hourly(qty=5))
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "We have 2 in total</strong> — none free for these dates (you asked for 5)" in body
    assert not links(body, "that are free")
    # Nothing booked at all: no "busiest" line about 0 booked, the whole fleet is offered.
    fleet = make_type(units=3)
    body = client.get(f"/book/{fleet.slug}", query_string=hourly(qty=7)).get_data(as_text=True)
    assert "We have 3 in total</strong> — all free for these dates" in body
    assert "Busiest" not in body and links(body, "Book the 3 that are free")


# --- 2. whole days from today -------------------------------------------------------------------


@pytest.fixture
def clock(app, monkeypatch):
    """The booking pages' clock (the `app` fixture's business time zone is UTC), set by the
    test: a day two days from now, so nothing the database holds is in its past."""

    class Clock:
        now = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0)
        now += timedelta(days=2)

        def set(self, hour: int, minute: int = 0) -> date:
            self.now = self.now.replace(hour=hour, minute=minute)
            return self.now.date()

        def __call__(self) -> datetime:
            return self.now

    fake = Clock()
    monkeypatch.setitem(app.extensions, "booking.clock", fake)
    return fake


def whole_days(first: date, last: date) -> dict[str, str]:
    return {
        "basis": "daily",
        "start_date": first.isoformat(),
        "end_date": last.isoformat(),
        "quantity": "1",
    }


def test_whole_days_from_today_are_offered_while_the_shop_takes_them(app, client, clock):
    fleet = make_type(units=2, daily="120.00")
    today = clock.set(10, 30)
    page = client.get(f"/book/{fleet.slug}", query_string=whole_days(today, today))
    body = page.get_data(as_text=True)
    assert page.status_code == 200, body
    assert "AVAILABLE" in body and "(all day)" in body and "1 day × €120.00" in body
    assert "Today can still be booked until 15:00." in body
    assert f'id="start_date" name="start_date" value="{today}" required min="{today}"' in body
    # And it can be booked: the hold is made, the review page holds it.
    form = {**whole_days(today, today), **DETAILS, "csrf_token": csrf_token(client, "/")}
    made = client.post(f"/book/{fleet.slug}/details", data=form)
    assert made.status_code == 303
    assert "We are holding this for you" in client.get(made.headers["Location"]).get_data(
        as_text=True
    )


def test_after_the_cutoff_the_answer_names_the_earliest_day(app, client, clock):
    fleet = make_type(units=2)
    today = clock.set(15, 0)
    tomorrow = today + timedelta(days=1)
    page = client.get(f"/book/{fleet.slug}", query_string=whole_days(today, tomorrow))
    body = html.unescape(page.get_data(as_text=True))
    assert page.status_code == 422
    assert (
        "Whole-day bookings for today close at 15:00: the earliest first day is tomorrow, "
        f"{tomorrow:%a %d %b %Y}." in body
    )
    assert 'aria-describedby="start-error"' in body
    assert "Bookings for today closed at 15:00: the earliest first day is tomorrow." in body
    assert f'min="{tomorrow}"' in body
    assert "must be in the future" not in body
    # A day already gone says so too; the details step refuses it the same way.
    gone = client.get(
        f"/book/{fleet.slug}", query_string=whole_days(today - timedelta(days=1), today)
    )
    assert "That day has passed: the earliest first day is tomorrow" in html.unescape(
        gone.get_data(as_text=True)
    )
    form = {**whole_days(today, today), **DETAILS, "csrf_token": csrf_token(client, "/")}
    refused = client.post(f"/book/{fleet.slug}/details", data=form)
    assert refused.status_code == 422
    assert "close at 15:00" in refused.get_data(as_text=True)


def test_the_shop_can_turn_same_day_whole_days_off(app, client, clock, monkeypatch):
    monkeypatch.setitem(app.config, "BOOKING_SAME_DAY_UNTIL", "off")
    fleet = make_type(units=2)
    today = clock.set(8, 0)
    body = html.unescape(
        client.get(f"/book/{fleet.slug}", query_string=whole_days(today, today)).get_data(
            as_text=True
        )
    )
    assert "We do not take whole-day bookings for the same day online" in body
    assert "The earliest first day is tomorrow." in body


def test_a_request_for_whole_days_from_today_is_not_expired_at_once(app, clock):
    fleet = make_type(units=2)
    today = clock.set(11, 0)
    booking = BookingFacade(clock=clock)
    period = booking.policy.daily_period(today, today)
    # Both units online: more than the online share, so a request for staff.
    request_id = booking.create_reservation(
        CreateReservation(
            make_customer(),
            fleet.type_id,
            period,
            2,
            PricingBasis.DAILY,
            secrets.token_urlsafe(24),
        )
    )
    assert booking.get_reservation(request_id).status.value == "REQUESTED"
    clock.set(20, 0)
    assert booking.expire_stale_holds() == 0
    clock.now = period.end
    assert booking.expire_stale_holds() == 1
    assert booking.get_reservation(request_id).status.value == "EXPIRED"


# --- 2b. moving the start keeps the length ------------------------------------------------------


def field_value(body: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', body)
    assert found, f"no field {name}"
    return found.group(1)


def test_without_javascript_moving_the_first_day_moves_the_last_day_with_it(app, client):
    fleet = make_type(units=2, daily="100.00", weekly=None)
    first = tomorrow_at(0).date()
    shown = client.get(
        f"/book/{fleet.slug}", query_string=whole_days(first, first + timedelta(days=2))
    ).get_data(as_text=True)
    # The form remembers what it showed, for the next submit.
    assert "data-keep-length" in shown
    assert field_value(shown, "was_start_date") == first.isoformat()
    assert field_value(shown, "was_end_date") == (first + timedelta(days=2)).isoformat()
    # The customer moves the first day three days later and leaves the last day alone.
    later = first + timedelta(days=3)
    page = client.get(
        f"/book/{fleet.slug}",
        query_string={
            **whole_days(later, first + timedelta(days=2)),
            "was_start_date": first.isoformat(),
            "was_end_date": (first + timedelta(days=2)).isoformat(),
        },
    )
    body = html.unescape(page.get_data(as_text=True))
    assert page.status_code == 200, body
    assert "The end must be after" not in body and "on or after the first day" not in body
    assert field_value(body, "end_date") == (later + timedelta(days=2)).isoformat()
    assert 'id="end-moved"' in body and "The end moved with the start, keeping the length" in body
    assert "3 days × €100.00" in body
    # ... and the next submit starts from the moved period.
    assert field_value(body, "was_end_date") == (later + timedelta(days=2)).isoformat()
    [book] = re.findall(r'name="end_date" value="([^"]*)"', body.split('id="book-button"')[0])[-1:]
    assert book == (later + timedelta(days=2)).isoformat()


def test_an_end_left_before_the_moved_start_keeps_the_length_by_the_hour(app, client):
    fleet = make_type(units=2)
    was = hourly(9, 17)
    start = tomorrow_at(10, days=3).strftime("%Y-%m-%dT%H:%M")
    typed_end = tomorrow_at(12, days=2).strftime("%Y-%m-%dT%H:%M")  # before the new start
    page = client.get(
        f"/book/{fleet.slug}",
        query_string={
            **hourly(),
            "start": start,
            "end": typed_end,
            "was_start": was["start"],
            "was_end": was["end"],
        },
    )
    body = page.get_data(as_text=True)
    assert page.status_code == 200, body
    assert field_value(body, "end") == tomorrow_at(18, days=3).strftime("%Y-%m-%dT%H:%M")
    assert "8 hours × €20.00" in body or "1 day × €120.00" in body
    assert 'id="end-moved"' in body


def test_an_end_the_customer_changed_too_is_taken_as_typed(app, client):
    fleet = make_type(units=2)
    was = hourly(9, 17)
    page = client.get(
        f"/book/{fleet.slug}",
        query_string={
            **hourly(10, 12),
            "was_start": was["start"],
            "was_end": was["end"],
        },
    )
    body = page.get_data(as_text=True)
    assert field_value(body, "end") == tomorrow_at(12).strftime("%Y-%m-%dT%H:%M")
    assert "end-moved" not in body and "2 hours × €20.00" in body
    # Without what the form showed (a link, an old bookmark) an end before the start is
    # explained as before.
    wrong = client.get(
        f"/book/{fleet.slug}", query_string={**hourly(10, 9), "was_start": "rubbish"}
    )
    assert wrong.status_code == 422
    assert "The end must be after the start." in wrong.get_data(as_text=True)


# --- 3. the billing unit next to the price ------------------------------------------------------


def test_started_hours_are_said_next_to_the_price_and_kept_with_the_booking(app, client):
    fleet = make_type(units=2, hourly="20.00", daily="120.00")
    params = {**hourly(), "end": tomorrow_at(11, 15).strftime("%Y-%m-%dT%H:%M")}
    body = client.get(f"/book/{fleet.slug}", query_string=params).get_data(as_text=True)
    assert "3 hours × €20.00" in body
    note = "Billed per started hour: 09:00–11:15 is 2 hours 15 minutes, charged as 3 hours."
    assert f'<p class="quote-note">{note}</p>' in body
    # The type page says the unit with the rates.
    detail = client.get(f"/catalog/{fleet.slug}").get_data(as_text=True)
    assert "Per started hour" in detail and "09:00–11:15 counts as 3 hours" in detail
    # The booking keeps the note with its frozen price (review page).
    form = {**params, **DETAILS, "csrf_token": csrf_token(client, "/")}
    made = client.post(f"/book/{fleet.slug}/details", data=form)
    assert note in client.get(made.headers["Location"]).get_data(as_text=True)


# --- 4. an expired hold -------------------------------------------------------------------------


def book_online(client, fleet, params: dict[str, str], email: str = "jo@example.com") -> str:
    """Make a hold through the details form; returns the manage page's address."""
    form = {**params, **DETAILS, "email": email, "csrf_token": csrf_token(client, "/")}
    made = client.post(f"/book/{fleet.slug}/details", data=form)
    assert made.status_code == 303, made.get_data(as_text=True)
    reference, token = re.search(
        r"/book/review/([^/]+)/([^/?]+)", made.headers["Location"]
    ).groups()
    return f"/r/{reference}/{token}"


def test_an_expired_hold_explains_itself_and_offers_the_same_dates_again(app, client, clock):
    fleet = make_type(units=3)
    clock.set(10, 0)
    day = clock.now.date() + timedelta(days=1)
    params = {
        "basis": "hourly",
        "start": f"{day}T09:00",
        "end": f"{day}T13:00",
        "quantity": "2",
    }
    manage = book_online(client, fleet, params)
    clock.now += timedelta(minutes=16)  # the 15-minute hold runs out
    assert BookingFacade(clock=clock).expire_stale_holds() == 1
    # The review link now leads to the manage page, which says what happened.
    review = client.get(manage.replace("/r/", "/book/review/"))
    assert review.status_code == 303 and review.headers["Location"].endswith(manage)
    body = html.unescape(client.get(manage).get_data(as_text=True))
    assert "EXPIRED" in body
    assert "but it was not confirmed by then, so the hold ran out" in body
    assert "Nothing is reserved for you and nothing is owed." in body
    [again] = links(body, "Book these dates again")
    address = urlsplit(again)
    assert address.path == f"/book/{fleet.slug}"
    assert dict(parse_qsl(address.query)) == params
    # One click: the form filled with the same type, dates and quantity, and the answer.
    page = client.get(again).get_data(as_text=True)
    assert field_value(page, "start") == params["start"]
    assert field_value(page, "end") == params["end"]
    assert field_value(page, "quantity") == "2"
    assert "AVAILABLE" in page and "3 of 3 free" in page


def test_an_expired_hold_whose_dates_have_passed_offers_new_dates(app, client, clock):
    fleet = make_type(units=3)
    clock.set(10, 0)
    today = clock.now.date()
    manage = book_online(
        client,
        fleet,
        {"basis": "hourly", "start": f"{today}T11:00", "end": f"{today}T13:00", "quantity": "1"},
    )
    clock.set(12, 0)
    assert BookingFacade(clock=clock).expire_stale_holds() == 1
    body = html.unescape(client.get(manage).get_data(as_text=True))
    assert "the hold ran out" in body and "Book these dates again" not in body
    [new] = links(body, "Choose new dates")
    assert new == f"/book/{fleet.slug}?basis=hourly&quantity=1"


def test_a_confirmation_that_comes_too_late_links_to_the_same_dates(app, client, clock):
    fleet = make_type(units=1)
    clock.set(10, 0)
    params = hourly()
    params |= {
        "start": f"{clock.now.date() + timedelta(days=1)}T09:00",
        "end": f"{clock.now.date() + timedelta(days=1)}T17:00",
    }
    manage = book_online(client, fleet, params)
    clock.now += timedelta(minutes=20)  # the hold ran out; someone else takes the unit
    book_online(client, fleet, params, email="quick@example.com")
    review = manage.replace("/r/", "/book/review/")
    answer = client.post(review, data={"csrf_token": csrf_token(client, "/")})
    body = html.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 409
    assert "Your hold expired and in the meantime the equipment was booked" in body
    [again] = links(body, "See what is free for these dates")
    assert "start=" in again and "quantity=1" in again


# --- 5. the manage page without JavaScript, an incomplete link, empty categories --------------


def test_the_manage_page_says_reload_when_javascript_is_off(app, client):
    fleet = make_type(units=2)
    manage = book_online(client, fleet, hourly())
    review = manage.replace("/r/", "/book/review/")
    assert client.post(review, data={"csrf_token": csrf_token(client, "/")}).status_code == 303
    body = client.get(manage).get_data(as_text=True)  # confirmed, no worker: no serials yet
    assert "We are preparing your equipment" in body
    # With JavaScript the page polls and says so; that text is marked for scripts only, and
    # without them <noscript> asks for a reload, with a link to this page.
    assert 'hx-trigger="every 1s"' in body
    assert '<span class="js-only" id="updates-itself">this page updates by itself.</span>' in body
    noscript = re.search(r"<noscript>(.*?)</noscript>", body, re.S)
    assert noscript and "Reload this page</a> in a minute" in noscript.group(1)
    assert f'href="{manage}"' in noscript.group(1)
    css = client.get("/static/css/app.css").get_data(as_text=True)
    assert "html:not(.js) .js-only { display: none; }" in css
    script = client.get("/static/js/app.js").get_data(as_text=True)
    assert 'document.documentElement.classList.add("js");' in script
    # The polled fragment keeps the same wording (it is only ever fetched by htmx).
    polled = client.get(manage, headers=HTMX).get_data(as_text=True)
    assert "<html" not in polled and 'class="js-only"' in polled


def test_a_manage_link_without_its_token_gets_the_sites_own_404(app, client):
    page = client.get("/r/RK-ABCDEF")
    body = page.get_data(as_text=True)
    assert page.status_code == 404
    assert '<article class="error-page">' in body and "Browse the catalog" in body
    assert "This booking link is incomplete" in body
    assert "requested URL was not found" not in body
    # Any unknown address: our words, not the framework's default text.
    other = client.get("/no/such/page").get_data(as_text=True)
    assert "There is no page at this address" in other
    assert "requested URL was not found" not in other
