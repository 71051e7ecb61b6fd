"""Staff read the dashboard on a phone: the utilisation heat-map and the revenue charts render
as SVG inside their own scrolling boxes, the page is not wider than the screen, the table
alternatives open, and no console errors."""

from __future__ import annotations

import os
from datetime import timedelta

from playwright.sync_api import Page, expect

from rental.shared.time_range import TimeRange
from tests.e2e.test_staff_orders import PHONE, WIDE
from tests.support.fleet import make_type


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
