"""The customer's booking journey in Chromium against the real web and worker processes."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Browser, Page, expect

from rental.booking import (
    BookingChannel,
    BookingFacade,
    CheckAvailability,
    CreateReservation,
    PricingBasis,
)
from rental.catalog import CatalogFacade
from rental.shared.seeding import seeders
from rental.shared.time_range import TimeRange
from tests.e2e.conftest import sign_in_page
from tests.support.fleet import make_customer


def seed_demo(live_server) -> None:
    """The demo catalog, stock, prices and customers; not the demo reservations, so each test
    knows exactly what is booked."""
    with live_server.app.app_context():
        for name, seeder in seeders():
            if name not in ("reservations", "shop"):  # no opening hours: tests pick any day
                seeder()


def tomorrow(hour: int) -> datetime:
    day = datetime.now(UTC).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def local_input(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")  # business time zone is UTC in the tests


def ask(page: Page, start: datetime, end: datetime, quantity: int) -> None:
    page.fill("#start", local_input(start))
    page.fill("#end", local_input(end))
    page.fill("#quantity", str(quantity))
    page.locator("#quantity").dispatch_event("change")


def fill_details(page: Page, email: str) -> None:
    for label, value in [
        ("Full name", "Jo Builder"),
        ("Email", email),
        ("Phone", "+49 30 555 0101"),
        ("Street and number", "Baustr. 7"),
        ("Postal code", "10115"),
        ("City", "Berlin"),
        ("State / region", "Berlin"),
        ("Country", "Germany"),
    ]:
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Continue to review").click()


def test_visitor_books_a_generator_staff_sees_it_and_the_worker_allocates_serials(
    page: Page, browser: Browser, live_server, logs_dir
):
    seed_demo(live_server)
    live_server.start_worker(logs_dir)
    page.goto(live_server.url + "/catalog/generator")
    # The availability form arrives by htmx and answers at once for tomorrow 09:00-17:00.
    expect(page.locator("#availability-result")).to_contain_text("AVAILABLE")
    ask(page, tomorrow(9), tomorrow(17), 1)
    result = page.locator("#availability-result")
    expect(result).to_contain_text("4 of 4 free")
    expect(result).to_contain_text("Total")
    page.locator("#book-button").click()

    expect(page.get_by_role("heading", name="Your details")).to_be_visible()
    fill_details(page, "jo.builder@example.com")
    expect(page.get_by_role("heading", name="Review and confirm")).to_be_visible()
    expect(page.locator("#hold-notice")).to_contain_text("We are holding this for you until")
    page.get_by_role("button", name="Confirm booking").click()

    expect(page.get_by_role("heading", name="Your booking is confirmed")).to_be_visible()
    reference = page.locator("#booking-reference").inner_text()
    assert re.fullmatch(r"RK-[2-9A-HJKMNP-Z]{6}", reference)
    manage_url = page.locator("#manage-link").get_attribute("href")

    # Staff see the reservation in the admin list.
    staff = browser.new_page()
    sign_in_page(staff, live_server, "STAFF")
    staff.goto(live_server.url + "/admin/reservations/")
    expect(staff.get_by_role("link", name=reference)).to_be_visible()

    # The worker allocates serials within its poll interval; the manage page updates itself.
    page.goto(manage_url)
    expect(page.locator("#booking-state")).to_have_text("CONFIRMED")
    expect(page.locator("#allocated-serials")).to_contain_text("GEN-", timeout=30_000)
    staff.get_by_role("link", name=reference).click()
    expect(staff.locator("#allocations")).to_contain_text("GEN-")
    staff.close()


def test_asking_for_more_than_is_left_offers_alternatives_and_one_click_books(
    page: Page, live_server
):
    seed_demo(live_server)
    with live_server.app.app_context():
        type_id = CatalogFacade().get_equipment_type_by_slug("generator").id
        customer = make_customer()
        for _ in range(3):  # 3 of the 4 rentable generators go to someone else
            BookingFacade().create_reservation(
                CreateReservation(
                    customer,
                    type_id,
                    TimeRange(tomorrow(8), tomorrow(18)),
                    1,
                    PricingBasis.HOURLY,
                    secrets.token_urlsafe(24),
                )
            )
    page.goto(live_server.url + "/book/generator")
    ask(page, tomorrow(9), tomorrow(17), 2)
    result = page.locator("#availability-result")
    expect(result).to_contain_text("NOT AVAILABLE")
    expect(result).to_contain_text("Only 1 left")
    suggestion = result.get_by_role("link", name=re.compile(r"All 2 from"))
    expect(suggestion).to_contain_text("18:00")
    suggestion.click()  # refills the form with the suggested period and checks it
    expect(page.locator("#start")).to_have_value(local_input(tomorrow(18)))
    expect(result).to_contain_text("AVAILABLE")
    expect(result).to_contain_text("4 of 4 free")  # the other rentals end at 18:00
    page.locator("#book-button").click()
    fill_details(page, "second.visitor@example.com")
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_role("heading", name="Your booking is confirmed")).to_be_visible()


def test_customer_cancels_from_the_manage_link_and_capacity_returns(page: Page, live_server):
    seed_demo(live_server)
    token = secrets.token_urlsafe(24)
    period = TimeRange(tomorrow(9), tomorrow(17))
    with live_server.app.app_context():
        type_id = CatalogFacade().get_equipment_type_by_slug("generator").id
        booking = BookingFacade()
        rid = booking.create_reservation(
            CreateReservation(
                make_customer(),
                type_id,
                period,
                4,
                PricingBasis.HOURLY,
                token,
                channel=BookingChannel.STAFF,
            )
        )
        booking.confirm_reservation(rid)
        reference = booking.get_reservation(rid).reference
    page.goto(f"{live_server.url}/r/{reference}/{token}")
    expect(page.locator("#booking-state")).to_have_text("CONFIRMED")
    page.locator("#cancel-booking").click()
    expect(page.get_by_role("heading", name=f"Cancel booking {reference}?")).to_be_visible()
    page.get_by_label("Reason (optional)").fill("Job postponed")
    page.get_by_role("button", name="Yes, cancel the booking").click()
    expect(page.locator("#booking-state")).to_have_text("CANCELLED")
    expect(page.locator("#notifications")).to_contain_text("is cancelled")
    with live_server.app.app_context():
        again = BookingFacade().check_availability(CheckAvailability(type_id, period, 4))
    assert again.is_available and again.remaining_capacity == 4
    # A wrong link gets a clear page, not a crash.
    response = page.goto(f"{live_server.url}/r/{reference}/not-the-token")
    assert response.status == 404
    expect(page.get_by_text("This booking link is not valid")).to_be_visible()
