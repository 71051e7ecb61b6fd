"""The "Find my booking" page in Chromium against the real web and worker processes: a
customer books, later asks for their links on the page (from the site's footer), the worker
sends the e-mail (the file backend: no mail server), staff find it under /admin/mail, and its
link opens the booking. The page, its error and its answer pass axe-core on a phone."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from rental.extensions import db
from rental.notifications import SENT
from rental.notifications.infrastructure.entities import MailMessageEntity
from tests.e2e.conftest import sign_in_page
from tests.e2e.test_accessibility import PHONE, violations
from tests.e2e.test_booking_journey import ask, fill_details, seed_demo, tomorrow
from tests.e2e.test_search_engines import watch
from tests.support.processes import wait_until

ANSWER = "If we have bookings for that address, we have sent the links to it."
EMAIL = "lost.link@example.com"


def links_mail_sent(live_server) -> bool:
    with live_server.app.app_context():
        status = db.session.scalar(
            select(MailMessageEntity.status).where(MailMessageEntity.template == "booking_links")
        )
        db.session.remove()
    return status == SENT


def test_a_customer_gets_their_booking_links_and_staff_find_the_mail(
    page: Page, browser: Browser, live_server, logs_dir
):
    seed_demo(live_server)
    page.goto(live_server.url + "/catalog/generator")
    expect(page.locator("#availability-result")).to_contain_text("AVAILABLE")
    ask(page, tomorrow(9), tomorrow(17), 1)
    page.locator("#book-button").click()
    fill_details(page, EMAIL)
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_role("heading", name="Your booking is confirmed")).to_be_visible()
    reference = page.locator("#booking-reference").inner_text()

    # The tab with the link is closed; later the customer finds the page from the footer.
    page.goto(live_server.url + "/catalog")
    page.locator("#footer-find-booking").click()
    expect(page.get_by_role("heading", name="Find my booking")).to_be_visible()
    # An address the browser lets through but we do not: the message next to the field.
    page.get_by_label("E-mail address").fill("lost.link@example")
    page.get_by_role("button", name="Send me my booking links").click()
    expect(page.locator(".field-error")).to_contain_text("Enter a valid email address")
    page.get_by_label("E-mail address").fill(EMAIL.upper())
    page.get_by_role("button", name="Send me my booking links").click()
    expect(page.locator("#find-booking-sent")).to_contain_text(ANSWER)

    live_server.start_worker(logs_dir)
    wait_until(lambda: links_mail_sent(live_server), timeout=60, message="no links e-mail sent")

    staff = browser.new_page()
    sign_in_page(staff, live_server, "STAFF")
    staff.goto(live_server.url + "/admin/mail")
    mail_link = staff.locator("#mail-list").get_by_role("link", name="Your bookings with")
    expect(mail_link).to_be_visible()
    expect(staff.locator("#mail-list tr").filter(has_text="Your bookings with")).to_contain_text(
        EMAIL
    )
    mail_link.click()
    expect(staff.get_by_role("heading", name=re.compile("Your bookings with"))).to_be_visible()
    expect(staff.frame_locator("#mail-html").get_by_text(reference).first).to_be_visible()
    text = staff.locator("#mail-text").text_content() or ""
    staff.close()
    assert reference in text
    link = re.search(rf"(/r/{reference}/[^\s]+)", text)
    assert link, text

    # The link in the e-mail opens the booking.
    page.goto(live_server.url + link.group(1))
    expect(page.get_by_role("heading", name=f"Booking {reference}")).to_be_visible()


def test_the_page_its_error_and_its_answer_pass_axe_on_a_phone(browser: Browser, live_server):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors = watch(page)
    page.goto(live_server.url + "/bookings/find", wait_until="networkidle")
    assert violations(page) == []
    field = page.get_by_label("E-mail address")
    field.fill("x" * 300 + "@example")
    page.get_by_role("button", name="Send me my booking links").click()
    expect(page.locator("#f-email-error")).to_be_visible()
    expect(field).to_have_attribute("aria-invalid", "true")
    assert violations(page) == []
    field.fill("nobody@example.com")
    page.get_by_role("button", name="Send me my booking links").click()
    expect(page.locator("#find-booking-sent")).to_contain_text(ANSWER)
    assert violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # The refused address is answered 422 on purpose; the browser and htmx log that.
    assert [e for e in errors if "422" not in e] == [], errors
    context.close()
