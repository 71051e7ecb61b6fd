"""Loyalty from the customer's and the counter's side, in Chromium against the real web and
worker processes: a customer books three rentals online, staff hand each over and take it
back on the reservation page, the worker turns the completions into loyalty points (1 per 10
of the completed total: 3 × €400 = 120 points, Silver from 101), and the customer's next
quote shows the "Silver member −5 %" line; the customer's staff page shows the tier."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from rental.crm import CRMFacade, Tier
from rental.customers import CustomerFacade
from rental.inventory import InventoryFacade
from tests.e2e.conftest import sign_in_page
from tests.e2e.test_booking_journey import ask, fill_details, tomorrow
from tests.support.fleet import make_type
from tests.support.processes import wait_until

EMAIL = "loyal.builder@example.com"
MINUS = "\u2212"


def allocated(live, rid: str) -> bool:
    with live.app.app_context():
        return any(
            a.status == "ALLOCATED" for a in InventoryFacade().list_allocations_for_reservation(rid)
        )


def loyalty(live):
    with live.app.app_context():
        customer = CustomerFacade().find_customer_by_email(EMAIL)
        return CRMFacade().get_customer_loyalty_status(customer.id) if customer else None


def quote_online(page: Page, live, slug: str) -> None:
    """The customer asks for tomorrow 09:00–13:00 and gives their details: the review page."""
    page.goto(f"{live.url}/catalog/{slug}")
    expect(page.locator("#availability-result")).to_contain_text("AVAILABLE")
    ask(page, tomorrow(9), tomorrow(13), 1)
    expect(page.locator("#availability-result")).to_contain_text("€400.00")
    page.locator("#book-button").click()
    expect(page.get_by_role("heading", name="Your details")).to_be_visible()
    fill_details(page, EMAIL)
    expect(page.get_by_role("heading", name="Review and confirm")).to_be_visible()


def test_three_completed_rentals_make_a_silver_member_whose_next_quote_is_discounted(
    page: Page, browser: Browser, live_server, logs_dir
):
    with live_server.app.app_context():
        # 4 hours at €100 (the day rate is dearer): €400 a rental, 40 points when completed.
        fleet = make_type(
            units=2, name="Excavator", hourly="100.00", daily="800.00", weekly=None, deposit=None
        )
    live_server.start_worker(logs_dir)
    staff = browser.new_page()
    sign_in_page(staff, live_server, "STAFF")
    errors: list[str] = []

    def server_error(response) -> None:
        if response.status >= 500:
            errors.append(f"{response.status} {response.url}")

    page.on("response", server_error)
    staff.on("response", server_error)

    for n in range(1, 4):
        # The customer books online: no discount yet (Bronze, then 40 and 80 points).
        quote_online(page, live_server, fleet.slug)
        expect(page.locator("main")).not_to_contain_text("member")
        page.get_by_role("button", name="Confirm booking").click()
        expect(page.get_by_role("heading", name="Your booking is confirmed")).to_be_visible()
        reference = page.locator("#booking-reference").inner_text()

        # Staff open it from the reservations list, hand it over and take it back.
        staff.goto(f"{live_server.url}/admin/reservations/")
        staff.get_by_role("link", name=reference).click()
        expect(staff.locator("h1")).to_contain_text(reference)
        rid = staff.url.rstrip("/").rsplit("/", 1)[-1]
        wait_until(lambda rid=rid: allocated(live_server, rid), message="not allocated")
        staff.reload()
        staff.locator("#hand-over").click()
        expect(staff.locator("#notifications")).to_contain_text("Marked as picked up")
        staff.locator("#take-back").click()
        expect(staff.locator("#notifications")).to_contain_text("completed")
        expect(staff.locator("h1")).to_contain_text("COMPLETED")
        # The worker applies the completion: 40 points a rental.
        wait_until(
            lambda n=n: (status := loyalty(live_server)) and status.points == 40 * n,
            message=f"rental {n} not counted",
        )

    status = loyalty(live_server)
    assert (status.tier, status.points) == (Tier.SILVER, 120)

    # The next quote, once the customer is known by their e-mail: Silver 5 % off the rental.
    quote_online(page, live_server, fleet.slug)
    review = page.locator("main")
    expect(review).to_contain_text(f"Silver member {MINUS}5 %")
    expect(review).to_contain_text("€20.00")  # 5 % of €400.00
    expect(review).to_contain_text("€380.00")

    # Staff see the tier on the customer's page.
    with live_server.app.app_context():
        customer_id = CustomerFacade().find_customer_by_email(EMAIL).id
    staff.goto(f"{live_server.url}/admin/customers/{customer_id}")
    expect(staff.locator("#crm-tier")).to_have_text("Silver")
    expect(staff.locator("#crm-points")).to_have_text("120")
    staff.close()
    assert errors == [], errors
