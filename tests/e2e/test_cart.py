"""The cart in a browser on a phone: a customer adds two types from their booking pages and a
kit from the kit page for next weekend (htmx says "Added" and the header counts), opens the
cart, changes the dates (every line is checked again), sees one line go short, takes "Book the
N that are free" and checks out: details, review, confirm — one booking with every line. No
page wider than the screen, no console errors."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from playwright.sync_api import Browser, expect

from rental.catalog import CatalogFacade, DefineKit, KitComponent
from tests.support.daily import book, days
from tests.support.fleet import make_type

PHONE = {"width": 390, "height": 844}


def test_a_customer_fills_a_cart_on_a_phone_and_takes_the_suggestion(browser: Browser, live_server):
    with live_server.app.app_context():
        generators = make_type(units=3, name="Generator", daily="120.00")
        lights = make_type(units=5, name="Light tower", daily="45.00", weekly=None)
        CatalogFacade().define_kit(
            DefineKit(
                name="Event power kit",
                slug="event-power",
                discount_percent=Decimal(10),
                components=(KitComponent(generators.type_id, 1), KitComponent(lights.type_id, 2)),
            )
        )
        cables = make_type(
            units=20, name="Cable reel", hourly="2.00", daily="8.00", weekly=None, deposit="20.00"
        )
        today = date.today()
        first = today + timedelta(days=(5 - today.weekday()) % 7 or 7)  # next Saturday
        busy = first + timedelta(days=1)
        book(lights.type_id, days(busy, busy), 2)  # 3 light towers left on `busy`
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    errors: list[str] = []
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    d = first.isoformat()

    page.goto(
        f"{live_server.url}/book/{lights.slug}?basis=daily&start_date={d}&end_date={d}&quantity=2"
    )
    page.locator("#add-to-booking").click()
    expect(page.locator(".cart-added")).to_contain_text("Added 2 ×")
    expect(page.locator("#cart-nav")).to_have_text("Booking (1)")

    page.goto(
        f"{live_server.url}/book/{cables.slug}?basis=daily&start_date={d}&end_date={d}&quantity=4"
    )
    page.locator("#add-to-booking").click()
    expect(page.locator("#cart-nav")).to_have_text("Booking (2)")

    page.goto(f"{live_server.url}/catalog/kits/event-power?start_date={d}&end_date={d}")
    page.locator("#add-to-booking").click()
    expect(page.locator("#cart-nav")).to_have_text("Booking (3)")
    page.locator("#cart-nav a").click()

    expect(page.locator(".cart-line")).to_have_count(3)
    expect(page.locator(".cart-line-short")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # Typed dates are sent as they change; set both first and send once, so the answer seen
    # below is the last one (an answer arriving later would replace the buttons clicked next).
    for field in ("#start_date", "#end_date"):
        page.locator(field).evaluate("(input, day) => { input.value = day; }", busy.isoformat())
    page.get_by_role("button", name="Check every item for these dates").click()
    light_line = page.locator("#cart-line-0")
    expect(light_line).to_contain_text("SHORT: 1 FREE")
    expect(page.locator("#cart-not-ready")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    light_line.get_by_role("button", name="Book the 1 that is free").click()
    expect(page.locator("#cart-line-0 input[name=quantity]").last).to_have_value("1")
    expect(page.locator("#cart-not-ready")).to_have_count(0)
    expect(page.locator(".cart-line-short")).to_have_count(0)

    page.reload()  # the cart lives in the session
    expect(page.locator(".cart-line")).to_have_count(3)

    page.locator("#cart-continue").click()
    for name, value in {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "phone": "+49 30 1234567",
        "street": "Hauptstr. 1",
        "postal_code": "10115",
        "city": "Berlin",
        "state": "Berlin",
        "country": "DE",
    }.items():
        page.locator(f"input[name={name}]").fill(value)
    page.locator("#continue-to-review").click()
    lines = page.locator("#order-lines tbody tr")
    expect(lines).to_have_count(4)  # two types, and the kit's two components
    expect(page.locator("#order-lines")).to_contain_text("in 1 × Event power kit")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.locator("#confirm-booking").click()
    expect(page.locator("h1")).to_have_text("Your booking is confirmed")
    expect(page.locator("#order-lines tbody tr")).to_have_count(4)
    reference = page.locator("#booking-reference").inner_text()
    page.locator("#manage-link").click()
    expect(page.locator("h1")).to_have_text(f"Booking {reference}")
    expect(page.locator("#booking-state")).to_have_text("CONFIRMED")
    expect(page.locator("#cart-nav")).to_be_hidden()  # the cart went with the order
    assert errors == []
    context.close()
