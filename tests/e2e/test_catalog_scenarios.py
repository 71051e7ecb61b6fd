"""Catalog, inventory and pricing in a real browser: a visitor finds a generator and its
price; an admin builds a new type from scratch and watches capacity drop."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from rental.booking import BookingFacade, CreateReservation, PricingBasis
from rental.catalog import CatalogFacade
from rental.inventory import InventoryFacade
from rental.shared.seeding import seeders
from tests.support.fleet import make_customer


def seed_demo(live_server) -> None:
    """The demo without its month of hires and payments: these pages show the catalog, and
    the money seeder (an invoice PDF for every receipt) is the slow part of the demo."""
    with live_server.app.app_context():
        for name, seeder in seeders():
            if name != "money":
                seeder()


def test_visitor_searches_filters_by_a_spec_and_opens_a_detail_page(page: Page, live_server):
    seed_demo(live_server)
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(live_server.url + "/catalog/")
    results = page.locator("#catalog-results")
    expect(results).to_contain_text("Scissor lift 8 m electric")

    page.get_by_label("Search equipment").fill("generator")  # active search, no submit
    expect(page).to_have_url(re.compile(r"q=generator"))
    expect(results).to_contain_text("Petrol generator 3 kVA")
    expect(results).not_to_contain_text("Scissor lift")

    page.get_by_text("Filter by specification").click()
    page.get_by_label("Fuel").select_option("diesel")
    expect(results).not_to_contain_text("Petrol generator")
    expect(results).to_contain_text("Diesel generator 20 kVA")
    expect(page).to_have_url(re.compile(r"spec\.fuel=diesel"))

    page.get_by_label("Search equipment").fill("generator xyz")
    expect(results).to_contain_text("No equipment matches “generator xyz”")
    page.go_back()
    expect(page.get_by_role("link", name="Diesel generator 20 kVA")).to_be_visible()

    page.get_by_role("link", name="Diesel generator 20 kVA").click()
    expect(page).to_have_url(re.compile(r"/catalog/generator$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Diesel generator 20 kVA")
    rates = page.locator(".rates")
    expect(rates).to_contain_text("€15.00")
    expect(rates).to_contain_text("€85.00")
    expect(rates).to_contain_text("Minimum rental 2 hours")
    expect(page.locator(".spec-table")).to_contain_text("Power (kVA)")
    assert errors == [], errors


def test_admin_builds_a_type_registers_items_in_bulk_and_sees_capacity_drop(
    admin_page: Page, live_server
):
    page = admin_page
    page.goto(live_server.url + "/admin/catalog/categories")
    page.get_by_label("Name").fill("Lighting")
    page.get_by_role("button", name="Create category").click()
    expect(page.locator("#notifications")).to_contain_text("Category 'Lighting' created.")

    page.get_by_role("button", name="New equipment type").click()
    page.get_by_label("Name", exact=False).first.fill("Light tower 4 x 400 W")
    page.get_by_label("Category").select_option(label="Lighting")
    page.get_by_label("Short description").fill("Lights a whole site at night.")
    page.get_by_label("Specification 1 name").fill("mast_height_m")
    page.get_by_label("Specification 1 value").fill("9")
    page.get_by_label("Specification 2 name").fill("fuel")
    page.get_by_label("Specification 2 type").select_option("text")
    page.get_by_label("Specification 2 value").fill("diesel")
    page.get_by_role("button", name="Create and set rates").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Rates for Light tower 4 x 400 W")
    page.get_by_label("Per hour").fill("12")
    page.get_by_label("Per day").fill("65")
    page.get_by_label("Per week").fill("250")
    page.get_by_label("Minimum rental (hours)").fill("4")
    page.get_by_role("button", name="Save rates").click()
    expect(page.locator("#notifications")).to_contain_text("Rates for Light tower 4 x 400 W saved.")

    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Inventory").click()
    page.get_by_role("link", name="Light tower 4 x 400 W").first.click()
    page.get_by_label("Serial number", exact=True).fill("LT-001")
    page.get_by_role("button", name="Register", exact=True).click()
    page.get_by_label("Serial numbers, one per line").fill("LT-002\nLT-001\nLT-003\nLT-004")
    page.get_by_role("button", name="Register all").click()
    report = page.locator("#bulk-report")
    expect(report).to_contain_text("Registered 3 items (LT-002, LT-003, LT-004)")
    expect(report).to_contain_text("Line 2: LT-001 is already registered.")
    expect(page.get_by_label("Serial numbers, one per line")).to_have_value("LT-001")
    expect(page.locator("#capacity-now")).to_have_text("4")

    page.get_by_role("link", name="LT-003").click()
    page.get_by_label("New status").select_option("DAMAGED")
    page.get_by_label("Reason").fill("lamp broken")
    page.get_by_role("button", name="Change status").click()
    expect(page.locator("h1")).to_contain_text("MAINTENANCE")
    expect(page.locator("table").last).to_contain_text("Damaged: lamp broken")
    page.get_by_role("link", name="← Light tower 4 x 400 W").click()
    expect(page.locator("#capacity-now")).to_have_text("3")

    page.goto(live_server.url + "/catalog/?q=light+tower")
    page.get_by_role("link", name="Light tower 4 x 400 W").click()
    expect(page.locator(".spec-table")).to_contain_text("Mast height (m)")
    expect(page.locator(".rates")).to_contain_text("€65.00")


def test_visitor_picks_next_weekend_sees_what_is_free_and_books_from_a_type_page(
    page: Page, live_server
):
    with live_server.app.app_context():  # the demo shop without its demo bookings
        for name, seeder in seeders():
            if name != "reservations":
                seeder()
    today = datetime.now(UTC).date()  # the business time zone is UTC in the tests
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    if (saturday - today).days < 2:
        saturday += timedelta(days=7)
    sunday = saturday + timedelta(days=1)
    with live_server.app.app_context():
        petrol = CatalogFacade().get_equipment_type_by_slug("petrol-generator-3kva").id
        weekend = BookingFacade().policy.daily_period(saturday, sunday)
        size = InventoryFacade().get_fleet_sizes([petrol])[petrol]
        for _ in range(size):  # every petrol generator is out that weekend
            BookingFacade().create_reservation(
                CreateReservation(
                    make_customer(),
                    petrol,
                    weekend,
                    1,
                    PricingBasis.DAILY,
                    secrets.token_urlsafe(24),
                )
            )
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(live_server.url + "/catalog")
    results = page.locator("#catalog-results")
    page.get_by_label("First day").fill(saturday.isoformat())
    page.get_by_label("Last day").fill(sunday.isoformat())
    expect(page).to_have_url(re.compile(rf"start_date={saturday}&end_date={sunday}"))
    expect(results).to_contain_text("Availability for")
    petrol_card = results.locator(".type-card", has_text="Petrol generator 3 kVA")
    expect(petrol_card).to_contain_text("Booked out")
    diesel_card = results.locator(".type-card", has_text="Diesel generator 20 kVA")
    expect(diesel_card.locator(".card-availability")).to_contain_text(re.compile(r"\d+ free"))

    page.get_by_label("Available only").check()
    expect(page).to_have_url(re.compile(r"available=1"))
    expect(results).to_contain_text("free for your dates")
    expect(results).not_to_contain_text("Petrol generator 3 kVA")
    expect(page.get_by_label("First day")).to_have_value(saturday.isoformat())

    page.get_by_role("link", name="Diesel generator 20 kVA").click()
    expect(page).to_have_url(re.compile(rf"/catalog/generator\?.*start_date={saturday}"))
    expect(page.locator("#start_date")).to_have_value(saturday.isoformat())
    expect(page.locator("#end_date")).to_have_value(sunday.isoformat())
    expect(page.locator("#availability-result")).to_contain_text("AVAILABLE")
    assert errors == [], errors
