"""Issue 8 item 17 in a real browser: an hourly rate above the daily rate is questioned, the
admin confirms, and the card is saved."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from rental.pricing import PricingFacade
from tests.integration.catalog_fixtures import make_type


def test_admin_confirms_an_hourly_rate_above_the_daily_rate(admin_page: Page, live_server):
    with live_server.app.app_context():
        type_id = make_type("Light tower")
    page = admin_page
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(f"{live_server.url}/admin/pricing/{type_id}")
    page.get_by_label("Per hour").fill("90")
    page.get_by_label("Per day").fill("60")
    page.get_by_label("Minimum rental (hours)").fill("2")
    page.get_by_role("button", name="Save rates").click()

    warning = page.get_by_role("alert")
    expect(warning).to_contain_text("nothing is saved yet")
    expect(warning).to_contain_text(
        "The hourly rate (€90.00) is above the daily rate (€60.00): even a 1-hour rental "
        "would cost the daily rate"
    )
    expect(page.get_by_label("Per hour")).to_have_value("90")  # what was typed is kept
    with live_server.app.app_context():
        assert PricingFacade().get_rate_card(type_id) is None

    page.get_by_role("button", name="Save anyway").click()
    expect(page.locator("#notifications")).to_contain_text("Rates for Light tower saved.")
    with live_server.app.app_context():
        card = PricingFacade().get_rate_card(type_id)
    assert (card.hourly.amount, card.daily.amount) == (90, 60)
    # The questioned form answers 422 on purpose; nothing else may go wrong in the console.
    assert [e for e in errors if "status of 422" not in e] == [], errors
