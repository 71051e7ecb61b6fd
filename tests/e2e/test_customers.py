"""Staff scenarios in a real browser: sign in, find a customer by typing part of the email,
edit the phone, download the export, anonymise. And a visitor is sent to the login page."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Page, expect

from rental.customers import CustomerDetailsInput, CustomerFacade
from tests.support.auth import create_staff


def _customers(live_server) -> None:
    rows = [
        ("Maria Schneider", "maria.schneider@example.com", "+49 30 5550 1234"),
        ("Tom Brennan", "tom@brennan-builders.example", "+353 1 555 0199"),
        ("Aisha Okafor", "aisha.okafor@example.org", "+44 20 7946 0321"),
    ]
    with live_server.app.app_context():
        for name, email, phone in rows:
            CustomerFacade().ensure_customer(
                CustomerDetailsInput(
                    name, email, phone, "1 High St", "Town", "Region", "12345", "Land"
                )
            )


def test_admin_finds_edits_exports_and_anonymises_a_customer(page: Page, live_server, tmp_path):
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    _customers(live_server)
    with live_server.app.app_context():
        admin = create_staff("ADMIN")

    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill(admin.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text(admin.email)

    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Customers").click()
    expect(page.locator("#customer-results tbody tr")).to_have_count(3)
    page.get_by_role("searchbox", name="Search customers").press_sequentially(
        "brennan-bu", delay=30
    )
    expect(page.locator("#customer-results tbody tr")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=brennan-bu"))  # the search is in the URL
    page.get_by_role("link", name="Tom Brennan").click()

    page.get_by_role("button", name="Edit profile").click()
    page.get_by_label("Phone").fill("+353 87 555 0000")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Profile saved.")).to_be_visible()
    expect(page.locator(".customer-card .details")).to_contain_text("+353 87 555 0000")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download data (JSON)").click()
    download = download_info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    exported = json.loads(saved.read_text())
    assert exported["customer"]["phone"] == "+353 87 555 0000"
    assert exported["customer"]["email"] == "tom@brennan-builders.example"

    page.get_by_role("button", name="Anonymise…").click()
    expect(page.get_by_text("This cannot be undone.")).to_be_visible()
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="Anonymise customer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Anonymised customer")
    expect(page.locator("main")).not_to_contain_text("Tom Brennan")
    expect(page.locator("main")).not_to_contain_text("brennan-builders")
    assert errors == [], errors


def test_a_visitor_opening_admin_customers_lands_on_login_and_comes_back(page: Page, live_server):
    with live_server.app.app_context():
        staff = create_staff("STAFF")
    page.goto(live_server.url + "/admin/customers?q=maria")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.get_by_role("heading", name="Staff sign-in")).to_be_visible()
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label("Password").fill("wrong password!")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match an active staff account")
    page.get_by_label("Password").fill(staff.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live_server.url + "/admin/customers?q=maria")
    expect(page.get_by_role("searchbox", name="Search customers")).to_have_value("maria")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Staff login")).to_be_visible()


def test_staff_work_with_customers_but_admin_only_actions_are_hidden(staff_page: Page, live_server):
    _customers(live_server)
    staff_page.get_by_role("navigation", name="Admin").get_by_role("link", name="Customers").click()
    expect(staff_page.get_by_role("navigation", name="Admin")).not_to_contain_text("Staff users")
    staff_page.get_by_role("link", name="Maria Schneider").click()
    expect(staff_page.get_by_role("button", name="Edit profile")).to_be_visible()
    expect(staff_page.get_by_role("button", name="Anonymise…")).to_have_count(0)
    staff_page.goto(live_server.url + "/admin/users")
    expect(staff_page.get_by_role("heading", name="Not allowed")).to_be_visible()
