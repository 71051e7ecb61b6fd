"""Staff keep confirmed bookings servable, in Chromium against the real web and worker
processes: a machine breaks, staff are warned which booking it leaves without one, confirm,
and re-allocate it to the spare by hand; a customer brings back one of two machines."""

from __future__ import annotations

import secrets
from datetime import timedelta

from playwright.sync_api import Page, expect

from rental.booking import (
    BookingChannel,
    BookingFacade,
    CreateReservation,
    PricingBasis,
)
from rental.inventory import InventoryFacade
from rental.shared.time_range import TimeRange
from tests.support.fleet import make_customer, make_type, tomorrow_at
from tests.support.processes import wait_until


def confirmed(live, type_id: str, period: TimeRange, qty: int = 1) -> tuple[str, str]:
    with live.app.app_context():
        booking = BookingFacade()
        rid = booking.create_reservation(
            CreateReservation(
                make_customer(),
                type_id,
                period,
                qty,
                PricingBasis.HOURLY,
                secrets.token_urlsafe(24),
                channel=BookingChannel.STAFF,
            )
        )
        booking.confirm_reservation(rid)
        return rid, booking.get_reservation(rid).reference


def serials(live, rid: str, status: str = "ALLOCATED") -> list[str]:
    with live.app.app_context():
        return sorted(
            a.serial_number
            for a in InventoryFacade().list_allocations_for_reservation(rid)
            if a.status == status
        )


def flagged(live, rid: str) -> bool:
    with live.app.app_context():
        return BookingFacade().get_reservation(rid).needs_attention


def test_staff_are_warned_and_re_allocate_a_booking_whose_machine_broke(
    admin_page: Page, live_server, logs_dir
):
    page = admin_page
    with live_server.app.app_context():
        fleet = make_type(units=2, name="Plate compactor")
    period = TimeRange(tomorrow_at(9), tomorrow_at(17))
    first, first_ref = confirmed(live_server, fleet.type_id, period)
    second, _ = confirmed(live_server, fleet.type_id, period)
    live_server.start_worker(logs_dir)
    wait_until(lambda: serials(live_server, first) and serials(live_server, second))
    (broken,) = serials(live_server, first)

    # The machine of the first booking breaks; the other one serves the second booking.
    with live_server.app.app_context():
        broken_id = next(
            i.id for i in InventoryFacade().list_items(fleet.type_id) if i.serial_number == broken
        )
    page.goto(f"{live_server.url}/admin/inventory/items/{broken_id}")
    page.get_by_label("New status").select_option("DAMAGED")
    page.get_by_label("Reason").fill("Cracked base plate")
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_role("heading", name="Change the status?")).to_be_visible()
    expect(page.locator("#confirm-warnings")).to_contain_text(first_ref)
    expect(page.locator("#confirm-warnings")).to_contain_text("without a machine")
    page.locator("#confirm-anyway").click()
    expect(page.locator("#notifications")).to_contain_text(f"Flagged for attention: {first_ref}")

    # The booking is flagged with the reason (by the worker), and listed as needing attention.
    wait_until(lambda: flagged(live_server, first))
    page.goto(f"{live_server.url}/admin/")
    page.get_by_role("link", name=first_ref).click()
    expect(page.locator("#attention")).to_contain_text(f"{broken} is in maintenance")

    # A spare arrives; staff give it to the flagged booking by hand.
    with live_server.app.app_context():
        from rental.inventory import RegisterEquipment

        InventoryFacade().register_new_equipment(RegisterEquipment(fleet.type_id, "PC-SPARE-1"))
    page.locator("#retry-allocation").click()
    expect(page.locator("#notifications")).to_contain_text("Items allocated")
    wait_until(lambda: serials(live_server, first) == ["PC-SPARE-1"])
    wait_until(lambda: not flagged(live_server, first))  # the worker clears the flag
    page.reload()
    expect(page.locator("#allocations")).to_contain_text("PC-SPARE-1")
    expect(page.locator("#attention")).to_have_count(0)

    # Re-allocate the second booking onto the spare by hand: refused, the spare is taken then.
    page.goto(f"{live_server.url}/admin/reservations/{second}")
    select = page.locator("#allocations select")
    expect(select.locator("option")).to_have_count(1)  # only "Let the system choose"
    page.get_by_role("button", name="Re-allocate").click()
    expect(page.locator("#notifications")).to_contain_text("No other item of this type is free")


def test_a_customer_brings_back_one_machine_and_the_other_later(
    admin_page: Page, live_server, logs_dir
):
    page = admin_page
    with live_server.app.app_context():
        # No deposit: this is about the return (a deposit must be paid before a hand-over).
        fleet = make_type(units=2, name="Light tower", deposit=None)
    rid, _ = confirmed(
        live_server,
        fleet.type_id,
        TimeRange(tomorrow_at(9), tomorrow_at(9) + timedelta(hours=8)),
        2,
    )
    live_server.start_worker(logs_dir)
    wait_until(lambda: len(serials(live_server, rid)) == 2)
    first, second = serials(live_server, rid)
    page.goto(f"{live_server.url}/admin/reservations/{rid}")
    page.locator("#hand-over").click()
    expect(page.locator("#notifications")).to_contain_text("Marked as picked up")

    page.get_by_label(f"{second} is back").uncheck()
    page.locator("#take-back").click()
    expect(page.locator("#notifications")).to_contain_text("1 item is still out")
    expect(page.locator("h1")).to_contain_text("ON HIRE")  # one is still out (issue 11)
    assert serials(live_server, rid, "RETURNED") == [first]

    page.locator("#take-back").click()  # the second one, now ticked by default
    expect(page.locator("#notifications")).to_contain_text("reservation completed")
    expect(page.locator("h1")).to_contain_text("COMPLETED")
    assert serials(live_server, rid, "RETURNED") == [first, second]


def test_staff_re_allocate_a_booking_to_a_chosen_free_item(admin_page: Page, live_server, logs_dir):
    page = admin_page
    with live_server.app.app_context():
        fleet = make_type(units=3, name="Concrete mixer")
    rid, reference = confirmed(
        live_server, fleet.type_id, TimeRange(tomorrow_at(9), tomorrow_at(17))
    )
    live_server.start_worker(logs_dir)
    wait_until(lambda: serials(live_server, rid))
    (first,) = serials(live_server, rid)
    with live_server.app.app_context():
        others = sorted(
            i.serial_number
            for i in InventoryFacade().list_items(fleet.type_id)
            if i.serial_number != first
        )

    page.goto(f"{live_server.url}/admin/reservations/{rid}")
    expect(page.locator("h1")).to_contain_text(reference)
    allocations = page.locator("#allocations")
    expect(allocations).to_contain_text(first)
    select = allocations.locator("select")
    # Both free machines are offered, besides "Let the system choose".
    expect(select.locator("option")).to_have_text(["Let the system choose", *others])
    chosen = others[-1]
    select.select_option(label=chosen)
    allocations.get_by_role("button", name="Re-allocate").click()
    expect(page.locator("#notifications")).to_contain_text(f"Now served by {chosen}")
    expect(allocations.locator("code")).to_have_text([chosen])
    assert serials(live_server, rid) == [chosen]
    page.reload()  # what is stored, not only what the response said
    expect(page.locator("#allocations code")).to_have_text([chosen])
    # The item it had is free again and offered in its place.
    expect(page.locator("#allocations select option")).to_have_text(
        ["Let the system choose", *sorted([first, others[0]])]
    )
