"""A phone booking in a browser on a phone-sized screen: staff open the order form from a
customer, choose a type, add a second line (htmx swaps only the lines), pick the days, see
every line free and the total, book, and land on the confirmed order; later the customer
calls back and staff extend it by a day (the preview says both lines move) — no page wider
than the screen, no console errors."""

from __future__ import annotations

from datetime import date, timedelta

from playwright.sync_api import Page, expect

from tests.support.fleet import make_customer, make_type

PHONE = {"width": 390, "height": 844}
# What sticks out past the phone's width (the failure message says which elements).
WIDE = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > 390).slice(0, 12)
  .map(e => e.tagName + '#' + e.id + '.' + e.className)"""


def test_staff_book_a_phone_order_of_two_lines_and_see_it_confirmed(staff_page: Page, live_server):
    page = staff_page
    with live_server.app.app_context():
        generators = make_type(units=3, name="Generator", daily="120.00")
        lights = make_type(units=5, name="Light tower", daily="45.00", weekly=None)
        customer_id = make_customer()
    page.set_viewport_size(PHONE)
    errors: list[str] = []
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    first = (date.today() + timedelta(days=5)).isoformat()
    last = (date.today() + timedelta(days=6)).isoformat()

    page.goto(f"{live_server.url}/admin/orders/new?customer={customer_id}")
    expect(page.locator("#chosen-customer")).to_be_visible()
    page.get_by_label("Rent by").select_option("daily")
    page.get_by_label("First day (by the day)").fill(first)
    page.get_by_label("Last day (by the day)").fill(last)
    page.locator("#item-0").select_option(f"type:{generators.type_id}")
    page.locator("#qty-0").fill("2")
    page.locator("#add-line").click()
    expect(page.locator(".order-line")).to_have_count(2)
    page.locator("#item-1").select_option(f"type:{lights.type_id}")
    expect(page.locator("#order-check .line-check")).to_have_count(2)
    expect(page.locator("#order-fits")).to_be_visible()
    expect(page.locator("#order-total")).to_contain_text(".")
    wide = page.evaluate(WIDE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], wide

    page.get_by_role("button", name="Book now (confirmed)").click()
    expect(page.locator(".flash, [role=status], .notice").first).to_be_visible()
    expect(page.locator("h1 .badge")).to_have_text("CONFIRMED")
    expect(page.locator("#order-lines tbody tr")).to_have_count(2)
    expect(page.locator("#order")).to_contain_text("Light tower")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # Later: one more day for the whole booking.
    longer = (date.today() + timedelta(days=7)).isoformat()
    page.locator("#change-reservation").click()
    page.locator("#change-end_date").fill(longer)
    page.locator("#preview-change").click()
    expect(page.locator("#whole-order")).to_contain_text("2 lines share one period")
    page.locator("#confirm-change").click()
    expect(page.locator("h1 .badge")).to_have_text("CONFIRMED")
    with live_server.app.app_context():
        from rental.booking import BookingFacade

        booking = BookingFacade()
        order = booking.get_order(booking.get_reservation(page.url.rsplit("/", 1)[1]).order_id)
        tz = booking.policy.timezone
        # Whole days end at the midnight after the last day.
        ends = {line.period.end.astimezone(tz).date() for line in order.lines}
        assert ends == {date.today() + timedelta(days=8)}
    # A live check sent while the form is half filled (the days typed one after the other)
    # is answered 422 with the messages next to the fields; the browser and htmx log those.
    assert [e for e in errors if "422" not in e] == [], errors
