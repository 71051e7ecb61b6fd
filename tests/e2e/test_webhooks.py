"""Issue 14 "Webhooks" in a real browser against the real web and worker processes: an admin
creates an endpoint pointing at a local receiver (started by the test) and copies the secret
shown once; a visitor books an order in the shop; back on the endpoint's page the admin sees
the deliveries succeed with 200. The receiver got a request whose signature the independent
`standardwebhooks` package verifies with the secret from the page, carrying the order's
reference but no personal data (the endpoint has no `customers` scope). The webhook pages
pass axe-core."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Browser, Locator, Page, expect
from standardwebhooks import Webhook

from tests.e2e.test_accessibility import violations
from tests.e2e.test_booking_journey import ask, fill_details, seed_demo, tomorrow
from tests.support.webhook_receiver import Receiver, receiving

VISITOR = ("Jo Builder", "jo.builder@example.com", "+49 30 555 0101")  # as fill_details types


def create_api_token(page: Page, live_server) -> str:
    """On /admin/api-tokens: a token for the accounting program that reads and writes orders;
    the token is shown once, read from the page."""
    page.goto(f"{live_server.url}/admin/api-tokens")
    expect(page.locator("#tokens-empty")).to_be_visible()
    form = page.locator("#new-token-form")
    form.get_by_label("Name").fill("Accounting")
    form.get_by_label(re.compile(r"orders:write")).check()
    form.get_by_role("button", name="Create token").click()
    expect(page.locator("#new-token")).to_be_visible()
    token = page.get_by_role("textbox", name="API token").input_value()
    assert token.startswith("rk_live_"), token
    expect(page.locator("#token-list")).to_contain_text("Accounting")
    return token


def create_endpoint(page: Page, live_server, receiver: Receiver) -> str:
    """On /admin/webhooks: a new endpoint for the receiver, sent order and reservation
    confirmations, without the `customers` scope; the secret shown once, read from the page."""
    page.goto(f"{live_server.url}/admin/webhooks")
    expect(page.locator("#endpoints-empty")).to_be_visible()
    form = page.locator("#new-endpoint-form")
    form.get_by_label("Address (URL)").fill(receiver.url)
    form.get_by_label("Description").fill("Accounting")
    form.get_by_label(re.compile(r"\border\.confirmed —")).check()
    form.get_by_label(re.compile(r"\breservation\.confirmed —")).check()
    expect(form.get_by_label(re.compile(r"Include customers' personal data"))).not_to_be_checked()
    expect(form.get_by_label(re.compile(r"Active \(send events"))).to_be_checked()
    form.get_by_role("button", name="Create endpoint").click()
    expect(page.locator("#new-secret")).to_contain_text("shown only this once")
    secret = page.get_by_label("Secret").input_value()
    assert secret.startswith("whsec_"), secret
    return secret


def book_as_a_visitor(browser: Browser, live_server) -> str:
    """The storefront's booking flow in a fresh browser context (no staff session): the
    order's reference from the confirmation page."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(live_server.url + "/catalog/generator")
        expect(page.locator("#availability-result")).to_contain_text("AVAILABLE")
        ask(page, tomorrow(9), tomorrow(17), 1)
        expect(page.locator("#availability-result")).to_contain_text("Total")
        page.locator("#book-button").click()
        expect(page.get_by_role("heading", name="Your details")).to_be_visible()
        fill_details(page, VISITOR[1])
        page.get_by_role("button", name="Confirm booking").click()
        expect(page.get_by_role("heading", name="Your booking is confirmed")).to_be_visible()
        return page.locator("#booking-reference").inner_text()
    finally:
        context.close()


def reload_until(page: Page, locator: Locator, count: int, timeout: float = 60) -> None:
    """Reload `page` until `locator` matches `count` elements: the deliveries table is not
    live, the worker fills it in the background. Each round waits with Playwright's
    auto-waiting expect (no sleeps), the whole is bounded by `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            expect(locator).to_have_count(count, timeout=2_000)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            page.reload()


def test_admin_creates_an_endpoint_a_visitor_books_and_the_signed_delivery_succeeds(
    admin_page: Page, browser: Browser, live_server, logs_dir
):
    seed_demo(live_server)
    live_server.start_worker(logs_dir)
    page = admin_page
    with receiving() as receiver:
        token = create_api_token(page, live_server)
        secret = create_endpoint(page, live_server, receiver)

        reference = book_as_a_visitor(browser, live_server)
        assert re.fullmatch(r"RK-[2-9A-HJKMNP-Z]{6}", reference)

        page.goto(f"{live_server.url}/admin/webhooks")
        expect(page.locator("#endpoint-list")).to_contain_text(receiver.url)
        page.get_by_role("link", name="Accounting").click()
        expect(page.locator("#endpoint-url")).to_have_text(receiver.url)
        # order.confirmed and reservation.confirmed (one line), both sent and answered 200.
        reload_until(page, page.locator("#delivery-list tr.delivery-succeeded"), 2)
        rows = page.locator("#delivery-list tbody tr")
        expect(rows).to_have_count(2)
        for row in rows.all():
            expect(row.locator('td[data-label="Status"]')).to_have_text("succeeded")
            expect(row.locator('td[data-label="Response"]')).to_contain_text("200")
            expect(row.locator('td[data-label="Attempts"]')).to_have_text("1")
        types = sorted(rows.locator('td[data-label="Event"] code').all_inner_texts())
        assert types == ["order.confirmed", "reservation.confirmed"], types
        assert violations(page) == [], "/admin/webhooks/<endpoint>"
        page.goto(f"{live_server.url}/admin/webhooks")
        assert violations(page) == [], "/admin/webhooks"

        # What the receiver got: verified independently, with the secret copied from the page.
        order_requests = [r for r in receiver.requests if r.json["type"] == "order.confirmed"]
        assert len(order_requests) == 1, [r.body for r in receiver.requests]
        sent = order_requests[0]
        assert Webhook(secret).verify(sent.body, sent.headers) == sent.json
        assert sent.json["data"]["order_reference"] == reference
        assert "customer" not in sent.json["data"]
        for personal in VISITOR:
            assert personal.lower() not in sent.body.lower(), personal
        for request in receiver.requests:  # the reservation's delivery too
            Webhook(secret).verify(request.body, request.headers)
            assert VISITOR[1] not in request.body

        # The token the admin made reads the same order through the API.
        api = page.request.get(
            f"{live_server.url}/api/v1/orders/{reference}",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert api.status == 200, api.text()
        assert api.json()["status"] == "CONFIRMED"
        assert api.json()["id"] == sent.json["data"]["order_id"]
