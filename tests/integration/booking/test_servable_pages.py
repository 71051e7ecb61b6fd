"""The staff pages for bookings that cannot be served as planned: a change that would leave a
booking without a machine asks first (and saves nothing until confirmed), and the reservation
page offers re-allocate, retry, move to a similar type, partial return and no-show."""

from __future__ import annotations

import re

from rental.booking import BookingFacade, ReservationStatus
from rental.inventory import InventoryFacade
from tests.integration.booking.test_servable_bookings import (
    book,
    drain,
    flag,
    into_the_past,
    items_of,
    period,
)
from tests.support.auth import csrf_token
from tests.support.fleet import make_category, make_type


def token(client) -> str:
    return csrf_token(client, "/admin/")


def page(client, rid: str) -> str:
    return client.get(f"/admin/reservations/{rid}").get_data(as_text=True)


def test_retiring_the_last_machine_asks_first_and_saves_nothing_until_confirmed(app, admin_client):
    fleet = make_type(units=1)
    rid = book(fleet.type_id, period(9, 17))
    drain()
    (only,) = fleet.item_ids
    form = {"to_status": "RETIRED", "reason": "Engine seized", "csrf_token": token(admin_client)}
    asked = admin_client.post(f"/admin/inventory/items/{only}/status", data=form)
    body = asked.get_data(as_text=True)
    assert asked.status_code == 409
    reference = BookingFacade().get_reservation(rid).reference
    assert "without a machine" in body and reference in body and "Nothing has changed yet" in body
    assert InventoryFacade().get_item(only).status == "AVAILABLE"
    code = re.search(r'name="confirm" value="([^"]+)"', body).group(1)
    done = admin_client.post(
        f"/admin/inventory/items/{only}/status", data={**form, "confirm": code}
    )
    assert done.status_code == 303
    assert InventoryFacade().get_item(only).status == "RETIRED"
    drain()
    assert "was retired" in flag(rid)
    dashboard = admin_client.get("/admin/").get_data(as_text=True)
    assert reference in dashboard
    listed = admin_client.get("/admin/reservations/", query_string={"attention": "1"})
    assert reference in listed.get_data(as_text=True)
    assert "Retry allocation" in page(admin_client, rid)


def test_maintenance_and_the_buffer_ask_first_too(app, admin_client):
    fleet = make_type(units=1)
    book(fleet.type_id, period(9, 12))
    book(fleet.type_id, period(12, 14))
    drain()
    start, end = period(8, 10).start, period(8, 10).end
    window = {
        "start": start.strftime("%Y-%m-%dT%H:%M"),
        "end": end.strftime("%Y-%m-%dT%H:%M"),
        "maint_reason": "Inspection",
        "csrf_token": token(admin_client),
    }
    asked = admin_client.post(
        f"/admin/inventory/items/{fleet.item_ids[0]}/maintenance", data=window
    )
    assert asked.status_code == 409 and "without a machine" in asked.get_data(as_text=True)
    assert InventoryFacade().get_item(fleet.item_ids[0]).maintenance == []
    buffer = {"type": fleet.type_id, "turnaround": "60", "csrf_token": token(admin_client)}
    asked = admin_client.post("/admin/reservations/timeline/turnaround", data=buffer)
    assert asked.status_code == 409 and "Change the turnaround buffer?" in asked.get_data(
        as_text=True
    )
    assert InventoryFacade().get_turnaround(fleet.type_id).total_seconds() == 0
    saved = admin_client.post(
        "/admin/reservations/timeline/turnaround",
        data={**buffer, "confirm": "leaves_bookings_short"},
        follow_redirects=True,
    )
    assert "Turnaround buffer saved. Flagged for attention: RK-" in saved.get_data(as_text=True)


def test_staff_re_allocate_to_a_chosen_item_or_let_the_system_choose(app, admin_client):
    fleet = make_type(units=3)
    rid = book(fleet.type_id, period(9, 17))
    drain()
    (first,) = items_of(rid)
    body = page(admin_client, rid)
    allocation = re.search(r'name="allocation_id" value="([^"]+)"', body).group(1)
    others = [i for i in fleet.item_ids if i != first]
    assert all(f'value="{i}"' in body for i in others)
    admin_client.post(
        f"/admin/reservations/{rid}/reallocate",
        data={"allocation_id": allocation, "item_id": others[1], "csrf_token": token(admin_client)},
    )
    assert items_of(rid) == [others[1]]
    admin_client.post(
        f"/admin/reservations/{rid}/reallocate",
        data={"allocation_id": allocation, "item_id": "", "csrf_token": token(admin_client)},
    )
    assert items_of(rid) != [others[1]] and len(items_of(rid)) == 1
    # An item that is not free then is refused with the reason, and nothing moves.
    busy = book(fleet.type_id, period(9, 17))
    drain()
    (taken,) = items_of(busy)
    before = items_of(rid)
    answer = admin_client.post(
        f"/admin/reservations/{rid}/reallocate",
        data={"allocation_id": allocation, "item_id": taken, "csrf_token": token(admin_client)},
        follow_redirects=True,
    )
    assert "cannot serve it" in answer.get_data(as_text=True) and items_of(rid) == before


def test_a_partial_return_then_the_rest_on_the_page(app, admin_client):
    fleet = make_type(units=2)
    rid = book(fleet.type_id, period(9, 17), qty=2)
    drain()
    BookingFacade().hand_over(rid, "staff@example.com")
    first, second = items_of(rid)
    body = page(admin_client, rid)
    assert 'id="return-form"' in body and "is back" in body
    answer = admin_client.post(
        f"/admin/reservations/{rid}/take-back",
        data={"partial": "1", "returned": [first], "csrf_token": token(admin_client)},
        follow_redirects=True,
    )
    assert "1 item is still out" in answer.get_data(as_text=True)
    assert BookingFacade().get_reservation(rid).status is ReservationStatus.CONFIRMED
    nothing = admin_client.post(
        f"/admin/reservations/{rid}/take-back",
        data={"partial": "1", "csrf_token": token(admin_client)},
        follow_redirects=True,
    )
    assert "Tick the items that came back" in nothing.get_data(as_text=True)
    admin_client.post(
        f"/admin/reservations/{rid}/take-back",
        data={"partial": "1", "returned": [second], "csrf_token": token(admin_client)},
    )
    assert BookingFacade().get_reservation(rid).status is ReservationStatus.COMPLETED


def test_no_show_is_offered_once_the_rental_has_started(app, admin_client):
    fleet = make_type(units=1)
    rid = book(fleet.type_id, period(9, 17))
    drain()
    assert 'id="no-show"' not in page(admin_client, rid)
    into_the_past(rid, started=1)
    assert 'id="no-show"' in page(admin_client, rid)
    admin_client.post(
        f"/admin/reservations/{rid}/no-show", data={"csrf_token": token(admin_client)}
    )
    assert BookingFacade().get_reservation(rid).status is ReservationStatus.NO_SHOW


def test_move_to_a_similar_type_shows_the_price_difference(app, admin_client):
    category = make_category("Generators")
    small = make_type(units=1, category_id=category, daily="120.00", hourly="20.00")
    big = make_type(units=1, category_id=category, daily="150.00", hourly="25.00")
    rid = book(small.type_id, period(9, 17))
    drain()
    body = page(admin_client, rid)
    assert "Move to another equipment type" in body
    assert re.search(r"total €150\.00\s*\(\+€30\.00\)", body)
    admin_client.post(
        f"/admin/reservations/{rid}/swap-type",
        data={"equipment_type_id": big.type_id, "csrf_token": token(admin_client)},
    )
    drain()
    moved = BookingFacade().get_reservation(rid)
    assert moved.equipment_type_id == big.type_id and moved.total.format() == "€150.00"
    assert items_of(rid) == big.item_ids
    assert InventoryFacade().list_allocations_for_reservation(rid)  # the old one released
    assert [
        a.status
        for a in InventoryFacade().list_allocations_for_reservation(rid)
        if a.item_id in small.item_ids
    ] == ["RELEASED"]


def test_an_early_hand_over_asks_first_when_it_leaves_a_booking_without_a_machine(
    app, admin_client
):
    fleet = make_type(units=1)
    (only,) = fleet.item_ids
    rid = book(fleet.type_id, period(9, 17, days=4))
    between = book(fleet.type_id, period(9, 17, days=2))
    drain()
    hand_over = f"/admin/reservations/{rid}/hand-over"
    form = {"csrf_token": token(admin_client)}
    asked = admin_client.post(hand_over, data=form)
    body = asked.get_data(as_text=True)
    assert asked.status_code == 409
    reference = BookingFacade().get_reservation(between).reference
    assert "Hand over before the start?" in body and "Nothing has changed yet" in body
    assert "leaves 1 confirmed booking without a machine" in body and reference in body
    assert items_of(rid, "PICKED_UP") == [] and items_of(between) == [only]
    # "Continue anyway" is a plain form (works without JavaScript): the same action again,
    # with the warning's code.
    assert f'<form method="post" action="{hand_over}">' in body
    code = re.search(r'name="confirm" value="([^"]+)"', body).group(1)
    assert code == "leaves_bookings_short"
    done = admin_client.post(hand_over, data={**form, "confirm": code}, follow_redirects=True)
    assert "Marked as picked up." in done.get_data(as_text=True)
    assert items_of(rid, "PICKED_UP") == [only]
    drain()
    shown = page(admin_client, between)
    serial = InventoryFacade().get_item(only).serial_number
    assert 'id="attention"' in shown and f"{serial} is out with another customer" in shown
    assert "Retry allocation" in shown
    assert reference in admin_client.get("/admin/").get_data(as_text=True)
    listed = admin_client.get("/admin/reservations/", query_string={"attention": "1"})
    assert reference in listed.get_data(as_text=True)
