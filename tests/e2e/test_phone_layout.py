"""Phones (issue 11): at 390 px wide no page is wider than the screen — the admin tables
(inventory, pricing, catalog admin) scroll inside their own focusable box, a 120-character
name without spaces wraps on the public catalog and its type page, and the staff timeline
scrolls sideways at a readable size instead of shrinking."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from playwright.sync_api import Browser

from rental.booking import BookingFacade, CreateReservation, PricingBasis
from rental.catalog import CatalogFacade, DefineEquipmentType
from rental.inventory import InventoryFacade, RegisterEquipmentBulk
from rental.pricing import PricingFacade, SetRateCard
from rental.shared.time_range import TimeRange
from tests.e2e.conftest import sign_in_page
from tests.support.fleet import make_category, make_customer, make_type

PHONE = {"width": 390, "height": 844}
LONG_NAME = "Hydraulic" + "Superlong" * 12 + "Generator"[: 120 - 9 - 9 * 12]


def long_named_type() -> tuple[str, str]:
    """(id, slug) of a priced type with 3 units whose name is one 120-character word."""
    catalog = CatalogFacade()
    type_id = catalog.define_equipment_type(
        DefineEquipmentType(name=LONG_NAME, category_id=make_category(), specs={"power_kw": 9})
    )
    PricingFacade().set_rate_card(
        SetRateCard(type_id, Decimal("20"), Decimal("120"), minimum_duration=timedelta(hours=1))
    )
    InventoryFacade().register_equipment_bulk(
        RegisterEquipmentBulk(type_id, [f"LONG-{i}" for i in range(3)])
    )
    return type_id, catalog.get_equipment_type_details(type_id).slug


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_nothing_widens_a_phone(browser: Browser, live_server):
    assert len(LONG_NAME) == 120 and " " not in LONG_NAME
    with live_server.app.app_context():
        type_id, slug = long_named_type()
        make_type(units=2, name="Compact excavator")
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()

    for path in ("/catalog", f"/catalog?q={LONG_NAME[:20]}", f"/catalog/{slug}"):
        page.goto(live_server.url + path, wait_until="networkidle")
        assert page_width(page) <= PHONE["width"], path
    heading = page.locator("h1").bounding_box()
    assert heading and heading["width"] <= PHONE["width"]

    sign_in_page(page, live_server, "ADMIN")
    for path in ("/admin/inventory/", "/admin/pricing/", "/admin/catalog/"):
        page.goto(live_server.url + path, wait_until="networkidle")
        assert page_width(page) <= PHONE["width"], path
        box = page.locator(".table-wrap").first
        # The table is wider than the phone and scrolls inside its box, which the keyboard
        # can reach (a labelled region in the tab order).
        assert box.evaluate("e => e.scrollWidth > e.clientWidth"), path
        assert box.get_attribute("tabindex") == "0" and box.get_attribute("aria-label"), path
        box.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function("e => e.scrollLeft > 0", arg=box.element_handle())

    page.goto(live_server.url + f"/admin/reservations/timeline?type={type_id}")
    assert page_width(page) <= PHONE["width"]
    chart = page.locator(".timeline-scroll")
    assert chart.get_attribute("aria-label") == "Fleet timeline chart"
    # Drawn at 800 px or more (labels at 80 % of their size or better), not squeezed to 358.
    svg = page.locator(".timeline-svg").bounding_box()
    assert svg and svg["width"] >= 800
    assert chart.evaluate("e => e.scrollWidth > e.clientWidth")
    context.close()


def test_the_manage_page_fits_a_phone_and_says_how_it_updates(browser: Browser, live_server):
    """Confirmed, no worker running: the page waits for serial numbers. With JavaScript it
    says it updates by itself; without, it asks for a reload — either way on the screen."""
    with live_server.app.app_context():
        fleet = make_type(units=2)
        token = secrets.token_urlsafe(24)
        booking = BookingFacade()
        start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
        reservation_id = booking.create_reservation(
            CreateReservation(
                make_customer(),
                fleet.type_id,
                TimeRange(start, start + timedelta(hours=3)),
                1,
                PricingBasis.HOURLY,
                token,
            )
        )
        booking.confirm_reservation(reservation_id)
        reference = booking.get_reservation(reservation_id).reference
    for javascript, shown, hidden in (
        (True, "this page updates by itself.", "Reload this page"),
        (False, "Reload this page in a minute", "updates by itself"),
    ):
        context = browser.new_context(viewport=PHONE, java_script_enabled=javascript)
        page = context.new_page()
        page.goto(f"{live_server.url}/r/{reference}/{token}")
        state = page.locator("#allocation-state")
        text = state.inner_text()
        assert shown in text and hidden not in text, text
        box = state.bounding_box()
        assert box and box["x"] + box["width"] <= PHONE["width"]
        assert page_width(page) <= PHONE["width"]
        context.close()
