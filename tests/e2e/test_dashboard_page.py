"""Staff read the dashboard on a phone: the utilisation heat-map and the revenue charts render
as SVG inside their own scrolling boxes, the page is not wider than the screen, the table
alternatives open, and no console errors."""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal

from playwright.sync_api import Page, expect

from rental.shared.time_range import TimeRange
from tests.e2e.test_staff_orders import PHONE, WIDE
from tests.support.fleet import make_type
from tests.support.processes import wait_until


def test_the_dashboard_charts_on_a_phone(staff_page: Page, live_server):
    page = staff_page
    with live_server.app.app_context():
        from tests.integration.payments.test_ledger import confirmed_order, pay
        from tests.integration.test_dashboard import book, day_at, local_today

        lifts = make_type(units=4, name="Scissor lift with a long name for phones")
        make_type(units=2, name="Generator")
        tomorrow = local_today() + timedelta(days=1)
        book(lifts.type_id, TimeRange(day_at(tomorrow, 9), day_at(tomorrow, 12)), 2)
        _, order_id = confirmed_order()
        pay(order_id, "50")
    page.set_viewport_size(PHONE)
    errors: list[str] = []
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/admin/")
    heat = page.locator("#utilisation-chart")
    expect(heat).to_be_visible()
    expect(heat.locator("text", has_text="Generator").first).to_be_visible()
    assert (heat.locator("rect").count() - 6) % 14 == 0  # 14 days per type, and the legend
    assert heat.locator("rect").count() >= 2 * 14 + 6
    assert heat.bounding_box()["width"] > 100
    revenue = page.locator("#revenue-chart")
    expect(revenue).to_be_visible()
    expect(revenue.locator("rect.bar, rect.bar-negative")).to_have_count(30)
    drawn = revenue.evaluate(
        "s => [...s.querySelectorAll('rect.bar')].filter(r => r.getBBox().height > 0).length"
    )
    assert drawn >= 1
    expect(page.locator("#month-chart")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.evaluate(
        WIDE
    )
    page.locator("#utilisation-table summary").click()
    expect(page.locator("#utilisation-table table")).to_contain_text("2 (50 %)")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.evaluate(
        WIDE
    )
    shots = os.environ.get("DASHBOARD_SCREENSHOTS")
    if shots:
        page.screenshot(path=f"{shots}/dashboard-phone.png", full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=f"{shots}/dashboard-desktop.png", full_page=True)
    assert errors == [], errors


def test_staff_read_numbers_they_can_trust_and_find_the_top_customer(
    staff_page: Page, live_server, logs_dir
):
    """The heat-map, the revenue chart and their tables say what the test booked and took; the
    worker turns the payment and a completed rental into lifetime value and a Gold tier, and
    the top customers list, its page (filtered by tier without JavaScript) and its CSV
    export show them."""
    page = staff_page
    with live_server.app.app_context():
        from rental.booking import BookingFacade
        from rental.contracts.booking import ReservationCompleted, ReservationConfirmed
        from rental.customers import CustomerFacade
        from rental.shared import outbox
        from rental.shared.db import unit_of_work
        from rental.shared.money import Money
        from tests.integration.payments.test_ledger import confirmed_order, pay
        from tests.integration.test_dashboard import book, day_at, local_today

        lifts = make_type(units=4, name="Scissor lift")
        tomorrow = local_today() + timedelta(days=1)
        book(lifts.type_id, TimeRange(day_at(tomorrow, 9), day_at(tomorrow, 12)), 3)
        rid, order_id = confirmed_order()  # drained here: its charge is in the ledger
        customer_id = BookingFacade().get_reservation(rid).customer_id
        name = CustomerFacade().get_customer_by_id(customer_id).name
        pay(order_id, "64.50")
        # A past rental of €6,000 completed: 600 points, Gold (for the worker to count).
        past = dict(
            reservation_id="past-line",
            reference="R-PAST",
            customer_id=customer_id,
            equipment_type_id=lifts.type_id,
            period=TimeRange(day_at(tomorrow, 9) - timedelta(days=40), day_at(tomorrow, 17)),
            quantity=1,
            total=Money(Decimal("6000.00"), "EUR"),
            order_id="past-order",
            order_reference="O-PAST",
        )
        with unit_of_work():
            outbox.record(ReservationConfirmed(**past, sequence=1))
            outbox.record(ReservationCompleted(**past, sequence=2))
    live_server.start_worker(logs_dir)

    def counted() -> bool:
        with live_server.app.app_context():
            from rental.crm import CRMFacade, Tier

            crm = CRMFacade()
            value = crm.get_customer_lifetime_value(customer_id)
            tier = crm.get_customer_loyalty_status(customer_id).tier
            return value is not None and value.amount == Decimal("64.50") and tier is Tier.GOLD

    wait_until(counted, message="the worker did not update CRM")
    today = local_today()
    page.goto(f"{live_server.url}/admin/")

    # Utilisation: 3 of the 4 lifts tomorrow, in the chart and in its table.
    heat = page.locator("#utilisation-chart")
    cell = f"{tomorrow:%a %d %b}: 3 of 4 units booked (75 %)"
    expect(heat.locator("title", has_text=cell)).to_have_count(1)
    page.locator("#utilisation-table summary").click()
    row = page.locator("#utilisation-table tr", has_text="Scissor lift")
    expect(row.locator("td").nth(0)).to_have_text("4")  # the fleet
    expect(row.locator("td").nth(1)).to_have_text("0 (0 %)")  # today
    expect(row.locator("td").nth(2)).to_have_text("3 (75 %)")  # tomorrow

    # Revenue: today's €64.50, in the chart's bar, the total and the table.
    expect(page.locator("#revenue-total")).to_have_text("€64.50")
    bar = f"{today:%a %d %b}: €64.50"
    expect(page.locator("#revenue-chart rect title", has_text=bar)).to_have_count(1)
    page.locator("#revenue-table summary").click()
    first = page.locator("#revenue-table tbody tr").first
    expect(first).to_contain_text(f"{today:%a %d %b %Y}")
    expect(first.locator("td.num")).to_have_text("€64.50")

    # Top customers: the customer with their tier, points and value.
    top = page.locator("#top-customers tbody tr")
    expect(top).to_have_count(1)
    expect(top).to_contain_text(name)
    expect(top).to_contain_text("Gold")
    expect(top).to_contain_text("600")
    expect(top).to_contain_text("€64.50")

    shots = os.environ.get("DASHBOARD_SCREENSHOTS")
    if shots:
        page.screenshot(path=f"{shots}/dashboard-top-customers.png", full_page=True)

    # On a phone the dashboard (its top customers stacked) is no wider than the screen; the
    # whole list, filtered by tier with the plain form.
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.evaluate(
        WIDE
    )
    expect(page.locator("#top-customers tbody tr")).to_contain_text("Gold")
    if shots:
        page.locator("#top-customers-heading").scroll_into_view_if_needed()
        page.screenshot(path=f"{shots}/dashboard-top-customers-phone.png")
    page.locator("#all-top-customers").click()
    expect(page.get_by_role("heading", name="Top customers by lifetime value")).to_be_visible()
    page.get_by_label("Tier", exact=True).select_option("silver")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#crm-no-customers")).to_contain_text("No Silver customers")
    page.get_by_label("Tier", exact=True).select_option("gold")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#crm-top-table tbody tr")).to_contain_text(name)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.evaluate(
        WIDE
    )
    if shots:
        page.screenshot(path=f"{shots}/top-customers-phone.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Lifetime value (CSV)").click()
    data = download.value.path().read_bytes()
    assert data.startswith(b"\xef\xbb\xbfcustomer_id,lifetime_value,currency,updated_utc")
    assert f"{customer_id},64.50,EUR,".encode() in data
    page.locator("#crm-top-table").get_by_role("link", name=name).click()
    expect(page.locator("#crm-tier")).to_have_text("Gold")
