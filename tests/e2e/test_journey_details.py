"""Details of the booking form in Chromium (issue 11): moving the start moves the end with it,
keeping the length, by the day and by the hour (static/js/app.js), and the answer follows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from tests.support.fleet import make_type


def test_moving_the_start_keeps_the_length_in_the_browser(page: Page, live_server):
    with live_server.app.app_context():
        fleet = make_type(units=2, daily="100.00", weekly=None)
    first = datetime.now(UTC).date() + timedelta(days=2)
    page.goto(
        f"{live_server.url}/book/{fleet.slug}?basis=daily&start_date={first}"
        f"&end_date={first + timedelta(days=2)}&quantity=1"
    )
    result = page.locator("#availability-result")
    expect(result).to_contain_text("3 days × €100.00")
    later = first + timedelta(days=5)
    page.fill("#start_date", later.isoformat())
    expect(page.locator("#end_date")).to_have_value((later + timedelta(days=2)).isoformat())
    expect(result).to_contain_text("3 days × €100.00")
    expect(result).not_to_contain_text("Please check")

    # By the hour: 09:00–17:00 tomorrow (the default), the start moved to 10:00 in 3 days.
    page.get_by_role("link", name="By the hour").click()
    expect(page.locator("#start")).to_be_visible()
    # htmx has swapped the form in; wait until it has also wired it up (its change trigger),
    # or a fill as fast as a script's may land before anything listens.
    page.wait_for_function(
        "() => !document.querySelector('.htmx-swapping, .htmx-settling, .htmx-added')"
    )
    day = datetime.now(UTC).date() + timedelta(days=3)
    page.fill("#start", f"{day}T10:00")
    expect(page.locator("#end")).to_have_value(f"{day}T18:00")
    expect(result).to_contain_text("AVAILABLE")
    expect(result).to_contain_text(f"{day:%a %d %b}, 10:00–18:00")
