"""Orders: several lines (types and kits) for one period under one reference, one hold and one
manage link; placed all or nothing (one line short and nothing is written), confirmed and
cancelled whole; on both databases."""

from __future__ import annotations

import re
import secrets
from decimal import Decimal

import pytest
from sqlalchemy import text

from rental.booking import (
    BookingChannel,
    BookingFacade,
    BookOrderOnline,
    OrderLine,
    OrderShort,
    PlaceOrder,
    PricingBasis,
    ReservationStatus,
)
from rental.catalog import CatalogFacade, DefineKit, KitComponent
from rental.customers import CustomerDetailsInput
from rental.extensions import db
from rental.shared.errors import ConflictError
from rental.shared.money import Money
from rental.shared.time_range import TimeRange
from tests.support.fleet import make_customer, make_type, tomorrow_at

SLOT = TimeRange(tomorrow_at(9), tomorrow_at(17))
S = ReservationStatus


def kit(*components: tuple[str, int], discount: str = "10") -> str:
    return CatalogFacade().define_kit(
        DefineKit(
            name=f"Kit {secrets.token_hex(3)}",
            description="Stage power.",
            discount_percent=Decimal(discount),
            components=tuple(KitComponent(t, n) for t, n in components),
        )
    )


def place(customer_id: str, *lines: OrderLine, token: str | None = None):
    return BookingFacade().place_order(
        PlaceOrder(
            customer_id,
            lines,
            SLOT,
            PricingBasis.HOURLY,
            token or secrets.token_urlsafe(24),
            # Staff's channel: no request for a large share of the small test fleets.
            channel=BookingChannel.STAFF,
        )
    )


def counts() -> tuple[int, int, int]:
    row = db.session.execute(
        text(
            "SELECT (SELECT count(*) FROM booking_orders), "
            "(SELECT count(*) FROM booking_reservations), "
            "(SELECT count(*) FROM outbox_messages WHERE event_type = 'ReservationCreated')"
        )
    ).one()
    db.session.rollback()
    return tuple(row)


@pytest.fixture
def fleets(app):
    return make_type(3, name="Generator"), make_type(4, name="Light tower"), make_type(10)


def test_an_order_of_two_types_and_a_kit_is_one_reference_one_hold_one_token(fleets):
    gens, lights, cables = fleets
    kit_id = kit((gens.type_id, 1), (lights.type_id, 2), discount="10")
    order = place(
        make_customer(),
        OrderLine(1, equipment_type_id=gens.type_id),
        OrderLine(2, kit_id=kit_id),
        OrderLine(5, equipment_type_id=cables.type_id),
    )
    refs = [line.reference for line in order.lines]
    assert refs == [order.reference] + [f"{order.reference}-{n}" for n in (2, 3, 4)]
    assert [(line.equipment_type_id, line.quantity) for line in order.lines] == [
        (gens.type_id, 1),
        (gens.type_id, 2),  # the kits' generators: 2 kits × 1
        (lights.type_id, 4),  # 2 kits × 2 light towers
        (cables.type_id, 5),
    ]
    assert [line.kit_id for line in order.lines] == [None, kit_id, kit_id, None]
    assert {line.status for line in order.lines} == {S.PENDING}
    assert len({line.hold_expires_at for line in order.lines}) == 1
    assert len({line.manage_token_hash for line in order.lines}) == 1
    # A kit's components are priced as the types, less the kit's discount.
    kit_line = order.lines[2]
    assert kit_line.quote.discounts[-1].amount == -(kit_line.quote.subtotal * Decimal("0.1"))
    assert order.total == sum((line.total for line in order.lines[1:]), order.lines[0].total)
    assert counts() == (1, 4, 4)


def test_one_short_line_writes_nothing_and_names_the_line_and_what_is_free(fleets):
    gens, lights, _ = fleets
    place(make_customer(), OrderLine(2, equipment_type_id=gens.type_id))
    before = counts()
    with pytest.raises(OrderShort) as refused:
        place(
            make_customer(),
            OrderLine(2, equipment_type_id=lights.type_id),
            OrderLine(2, equipment_type_id=gens.type_id),
        )
    assert refused.value.short == {1: 1}
    assert "only 1 free, you asked for 2" in refused.value.message
    assert counts() == before


def test_lines_sharing_a_type_are_counted_together(fleets):
    gens, lights, _ = fleets
    kit_id = kit((gens.type_id, 2), (lights.type_id, 1))
    with pytest.raises(OrderShort) as refused:
        # 3 generators: the kit takes 2, the generator line asks for 2 more.
        place(
            make_customer(),
            OrderLine(1, kit_id=kit_id),
            OrderLine(2, equipment_type_id=gens.type_id),
        )
    assert refused.value.short == {0: 0, 1: 1}
    assert counts() == (0, 0, 0)


def test_a_cart_checked_out_online_registers_nobody_when_a_line_is_short(fleets):
    gens, lights, _ = fleets
    with pytest.raises(OrderShort):
        BookingFacade().book_order_online(
            BookOrderOnline(
                CustomerDetailsInput(
                    *("Ada", "ada@example.com", "+49 30 1", "Hauptstr. 1", "Berlin"),
                    *("Berlin", "10115", "DE"),
                ),
                (
                    OrderLine(1, equipment_type_id=lights.type_id),
                    OrderLine(9, equipment_type_id=gens.type_id),
                ),
                SLOT,
                PricingBasis.HOURLY,
                secrets.token_urlsafe(24),
            )
        )
    assert counts() == (0, 0, 0)
    assert db.session.execute(text("SELECT count(*) FROM customers_customers")).scalar() == 0


def test_the_same_form_sent_twice_is_one_order(fleets):
    gens, lights, _ = fleets
    customer, token = make_customer(), secrets.token_urlsafe(24)
    lines = (
        OrderLine(1, equipment_type_id=gens.type_id),
        OrderLine(1, equipment_type_id=lights.type_id),
    )
    first = place(customer, *lines, token=token)
    again = place(customer, *lines, token=token)
    assert again.id == first.id and counts() == (1, 2, 2)


def test_confirming_the_order_confirms_every_line_and_the_link_finds_the_order(fleets):
    gens, lights, _ = fleets
    token = secrets.token_urlsafe(24)
    order = place(
        make_customer(),
        OrderLine(1, equipment_type_id=gens.type_id),
        OrderLine(3, equipment_type_id=lights.type_id),
        token=token,
    )
    booking = BookingFacade()
    booking.confirm_reservation(order.first.id)
    confirmed = booking.get_order_for_customer(order.reference.lower(), token)
    assert confirmed.status is S.CONFIRMED
    assert {line.status for line in confirmed.lines} == {S.CONFIRMED}
    assert confirmed.total == order.total and isinstance(confirmed.deposit, Money)
    with pytest.raises(Exception, match="not valid"):
        booking.get_order_for_customer(order.reference, secrets.token_urlsafe(24))


def test_an_expired_hold_confirms_only_when_all_of_it_still_fits(fleets):
    gens, lights, _ = fleets
    order = place(
        make_customer(),
        OrderLine(1, equipment_type_id=gens.type_id),
        OrderLine(1, equipment_type_id=lights.type_id),
    )
    db.session.execute(
        text("UPDATE booking_reservations SET hold_expires_at = :at WHERE order_id = :id"),
        {"at": SLOT.start.replace(year=2000), "id": order.id},
    )
    db.session.commit()
    place(make_customer(), OrderLine(3, equipment_type_id=gens.type_id))  # took the generators
    with pytest.raises(ConflictError, match=r"Generator .*None are left"):
        BookingFacade().confirm_reservation(order.first.id)
    assert {line.status for line in BookingFacade().get_order(order.id).lines} == {S.PENDING}


def test_the_customer_cancels_the_whole_order(fleets):
    gens, lights, _ = fleets
    order = place(
        make_customer(),
        OrderLine(1, equipment_type_id=gens.type_id),
        OrderLine(1, equipment_type_id=lights.type_id),
    )
    BookingFacade().cancel_by_customer(order.first.id, "plans changed")
    cancelled = BookingFacade().get_order(order.id)
    assert cancelled.status is S.CANCELLED
    assert {line.status for line in cancelled.lines} == {S.CANCELLED}


def test_the_customers_pages_show_every_line_of_the_order(app, fleets):
    gens, lights, _ = fleets
    kit_id = kit((lights.type_id, 2), discount="0")
    token = secrets.token_urlsafe(24)
    order = place(
        make_customer(),
        OrderLine(1, equipment_type_id=gens.type_id),
        OrderLine(1, kit_id=kit_id),
        token=token,
    )
    client = app.test_client()
    review = client.get(f"/book/review/{order.reference}/{token}").get_data(as_text=True)
    gens_name = CatalogFacade().get_equipment_type_details(gens.type_id).name
    assert 'id="order-lines"' in review and gens_name in review
    assert f"{order.reference}-2" in review and "· in 1 × Kit" in review
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', review).group(1)
    confirmed = client.post(f"/book/review/{order.reference}/{token}", data={"csrf_token": csrf})
    assert confirmed.status_code == 303
    manage = client.get(f"/r/{order.reference}/{token}").get_data(as_text=True)
    assert "CONFIRMED" in manage and "2 lines" in manage and str(order.total.amount) in manage
    assert "Change the dates" in manage  # several lines: the customer changes dates only
    form = client.get(f"/r/{order.reference}/{token}/change").get_data(as_text=True)
    assert 'id="dates-only"' in form and 'id="change-quantity"' not in form
    later = {
        "start": (SLOT.start.replace(hour=10)).strftime("%Y-%m-%dT%H:%M"),
        "end": (SLOT.end.replace(hour=18)).strftime("%Y-%m-%dT%H:%M"),
        "quantity": "99",  # ignored: what is booked stays
        "csrf_token": csrf,
    }
    preview = client.post(f"/r/{order.reference}/{token}/change", data=later)
    assert preview.status_code == 200 and 'id="whole-order"' in preview.get_data(as_text=True)
    version = BookingFacade().get_order(order.id).first.version
    done = client.post(
        f"/r/{order.reference}/{token}/change",
        data={**later, "step": "confirm", "version": str(version)},
    )
    assert done.status_code == 303
    moved = BookingFacade().get_order(order.id)
    assert {line.period.start.hour for line in moved.lines} == {10}
    assert [line.quantity for line in moved.lines] == [line.quantity for line in order.lines]


def test_a_quote_holds_nothing_and_is_checked_again_when_it_becomes_a_booking(fleets):
    gens, lights, _ = fleets
    quote = BookingFacade().place_order(
        PlaceOrder(
            make_customer(),
            (
                OrderLine(2, equipment_type_id=gens.type_id),
                OrderLine(1, equipment_type_id=lights.type_id),
            ),
            SLOT,
            PricingBasis.HOURLY,
            secrets.token_urlsafe(24),
            channel=BookingChannel.STAFF,
            quote=True,
        )
    )
    assert quote.status is S.QUOTED and quote.hold_expires_at is None
    # It holds nothing: all three generators can still be booked...
    taken = place(make_customer(), OrderLine(2, equipment_type_id=gens.type_id))
    # ...so turning the quote into a booking now finds one free, and nothing changes.
    with pytest.raises(ConflictError, match="In the meantime the equipment was booked"):
        BookingFacade().confirm_reservation(quote.first.id, approve=True)
    with pytest.raises(ConflictError, match="is a quote"):
        BookingFacade().confirm_reservation(quote.first.id)  # not by the customer
    BookingFacade().cancel_reservation(taken.first.id, "changed plans")
    BookingFacade().confirm_reservation(quote.first.id, approve=True)
    assert BookingFacade().get_order(quote.id).status is S.CONFIRMED


def test_a_quote_not_taken_up_expires_at_its_start(app, fleets):
    from datetime import timedelta

    gens, _, _ = fleets
    quote = BookingFacade().place_order(
        PlaceOrder(
            make_customer(),
            (OrderLine(1, equipment_type_id=gens.type_id),),
            SLOT,
            PricingBasis.HOURLY,
            secrets.token_urlsafe(24),
            channel=BookingChannel.STAFF,
            quote=True,
        )
    )
    assert BookingFacade().expire_stale_holds() == 0
    later = BookingFacade(clock=lambda: SLOT.start + timedelta(minutes=1))
    assert later.expire_stale_holds() == 1
    assert BookingFacade().get_order(quote.id).status is S.EXPIRED


def test_a_new_period_moves_every_line_and_counts_the_orders_own_use_once(fleets):
    from datetime import timedelta

    from rental.booking import ChangeReservation

    gens, lights, _ = fleets
    order = place(
        make_customer(),
        OrderLine(3, equipment_type_id=gens.type_id),  # every generator
        OrderLine(2, equipment_type_id=lights.type_id),
    )
    booking = BookingFacade()
    booking.confirm_reservation(order.first.id)
    later = TimeRange(SLOT.start + timedelta(hours=1), SLOT.end + timedelta(hours=2))
    # Its own three generators are not counted against it: the move fits.
    preview = booking.preview_change(ChangeReservation(order.first.id, later, 3))
    assert preview.fits and preview.other_lines == 1 and preview.free == 3
    changed = booking.change_reservation(ChangeReservation(order.first.id, later, 3))
    assert changed.period == later
    assert {line.period for line in booking.get_order(order.id).lines} == {later}
    # Another booking takes lights in the new period: moving back still fits, but growing
    # the lights' line past what is free is refused and nothing moves.
    place(make_customer(), OrderLine(2, equipment_type_id=lights.type_id))
    second = booking.get_order(order.id).lines[1]
    with pytest.raises(ConflictError, match="Only 2 free"):
        booking.change_reservation(ChangeReservation(second.id, later, 3))
    assert [line.quantity for line in booking.get_order(order.id).lines] == [3, 2]


def test_staff_add_a_line_to_a_confirmed_order_in_its_state(fleets):
    from rental.booking import AddOrderLine

    gens, lights, cables = fleets
    order = place(make_customer(), OrderLine(1, equipment_type_id=gens.type_id))
    booking = BookingFacade()
    booking.confirm_reservation(order.first.id)
    grown = booking.add_order_line(
        AddOrderLine(order.id, OrderLine(2, equipment_type_id=lights.type_id))
    )
    assert [(r.line_no, r.reference, r.status) for r in grown.lines] == [
        (1, order.reference, S.CONFIRMED),
        (2, f"{order.reference}-2", S.CONFIRMED),
    ]
    with pytest.raises(OrderShort):
        booking.add_order_line(
            AddOrderLine(order.id, OrderLine(11, equipment_type_id=cables.type_id))
        )
    assert len(booking.get_order(order.id).lines) == 2


def test_the_customer_removes_one_item_and_a_kit_goes_whole(app, fleets):
    gens, lights, _ = fleets
    kit_id = kit((lights.type_id, 2), (gens.type_id, 1))
    token = secrets.token_urlsafe(24)
    order = place(
        make_customer(),
        OrderLine(1, equipment_type_id=gens.type_id),
        OrderLine(1, kit_id=kit_id),
        token=token,
    )
    BookingFacade().confirm_reservation(order.first.id)
    client = app.test_client()
    manage = client.get(f"/r/{order.reference}/{token}").get_data(as_text=True)
    assert f'id="remove-{order.reference}"' in manage  # the generator line
    assert f'id="remove-{order.reference}-2"' in manage  # the kit, once
    assert f'id="remove-{order.reference}-3"' not in manage
    kit_line = order.lines[1]
    ask = client.get(f"/r/{order.reference}/{token}/items/{kit_line.id}/remove")
    assert ask.status_code == 200 and "all its parts" in ask.get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', ask.get_data(as_text=True)).group(1)
    done = client.post(
        f"/r/{order.reference}/{token}/items/{kit_line.id}/remove", data={"csrf_token": csrf}
    )
    assert done.status_code == 303
    after = BookingFacade().get_order(order.id)
    assert [line.status for line in after.lines] == [S.CONFIRMED, S.CANCELLED, S.CANCELLED]
    assert after.total == order.lines[0].total
    # The last item left: that is cancelling the booking, not removing an item.
    last = client.get(f"/r/{order.reference}/{token}").get_data(as_text=True)
    assert f'id="remove-{order.reference}"' not in last
    refused = client.post(
        f"/r/{order.reference}/{token}/items/{order.first.id}/remove", data={"csrf_token": csrf}
    )
    assert refused.status_code == 409 and "cancel the booking instead" in refused.get_data(
        as_text=True
    )
    gone = client.get(f"/r/{order.reference}/{token}/items/{kit_line.id}/remove")
    assert gone.status_code == 404
    stranger = client.get(f"/r/{order.reference}/{token}/items/not-a-line/remove")
    assert stranger.status_code == 404


def test_the_customer_changes_how_many_of_one_line(app, fleets):
    gens, lights, _ = fleets
    token = secrets.token_urlsafe(24)
    order = place(
        make_customer(),
        OrderLine(1, equipment_type_id=gens.type_id),
        OrderLine(1, equipment_type_id=lights.type_id),
        token=token,
    )
    BookingFacade().confirm_reservation(order.first.id)
    client = app.test_client()
    lights_line = order.lines[1]
    manage = client.get(f"/r/{order.reference}/{token}").get_data(as_text=True)
    assert f'id="change-{lights_line.reference}"' in manage
    form = client.get(f"/r/{order.reference}/{token}/change?line={lights_line.id}")
    page = form.get_data(as_text=True)
    assert 'id="change-quantity"' in page and 'id="dates-only"' not in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    fields = {
        "start": SLOT.start.strftime("%Y-%m-%dT%H:%M"),
        "end": SLOT.end.strftime("%Y-%m-%dT%H:%M"),
        "quantity": "2",  # within what one online booking may take of 4
        "csrf_token": csrf,
        "step": "confirm",
        "version": str(BookingFacade().get_reservation(lights_line.id).version),
    }
    done = client.post(f"/r/{order.reference}/{token}/change?line={lights_line.id}", data=fields)
    assert done.status_code == 303
    assert [r.quantity for r in BookingFacade().get_order(order.id).lines] == [1, 2]
    unknown = client.get(f"/r/{order.reference}/{token}/change?line=nope")
    assert unknown.status_code == 404


def test_the_customer_adds_an_item_after_seeing_what_is_free_and_its_price(app, fleets):
    gens, lights, cables = fleets
    token = secrets.token_urlsafe(24)
    order = place(make_customer(), OrderLine(1, equipment_type_id=gens.type_id), token=token)
    BookingFacade().confirm_reservation(order.first.id)
    client = app.test_client()
    base = f"/r/{order.reference}/{token}"
    assert 'id="add-equipment"' in client.get(base).get_data(as_text=True)
    form = client.get(f"{base}/items/add").get_data(as_text=True)
    assert f'value="type:{cables.type_id}"' in form and 'id="add-check"' not in form
    checked = client.get(f"{base}/items/add?item=type:{cables.type_id}&quantity=2")
    page = checked.get_data(as_text=True)
    assert checked.status_code == 200 and 'id="add-it"' in page and "FREE" in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    added = client.post(
        f"{base}/items/add",
        data={"item": f"type:{cables.type_id}", "quantity": "2", "csrf_token": csrf},
    )
    assert added.status_code == 303
    grown = BookingFacade().get_order(order.id)
    assert [(r.equipment_type_id, r.quantity, r.status) for r in grown.lines] == [
        (gens.type_id, 1, S.CONFIRMED),
        (cables.type_id, 2, S.CONFIRMED),
    ]
    # More than one online booking may take of a fleet: "call us", nothing added.
    refused = client.post(
        f"{base}/items/add",
        data={"item": f"type:{lights.type_id}", "quantity": "4", "csrf_token": csrf},
    )
    assert refused.status_code == 409 and "please call us" in refused.get_data(as_text=True)
    bad = client.post(f"{base}/items/add", data={"item": "boat:1", "csrf_token": csrf})
    assert bad.status_code == 422
    assert len(BookingFacade().get_order(order.id).lines) == 2


def test_every_lines_events_name_its_order(fleets):
    import json

    gens, lights, _ = fleets
    order = place(
        make_customer(),
        OrderLine(1, equipment_type_id=gens.type_id),
        OrderLine(1, equipment_type_id=lights.type_id),
    )
    rows = db.session.execute(
        text("SELECT payload FROM outbox_messages WHERE event_type = 'ReservationCreated'")
    ).scalars()
    payloads = [json.loads(p) if isinstance(p, str) else p for p in rows]
    db.session.rollback()
    assert {(p["order_id"], p["order_reference"]) for p in payloads} == {
        (order.id, order.reference)
    }
    assert sorted(p["reference"] for p in payloads) == [order.reference, f"{order.reference}-2"]


def test_an_order_of_several_lines_counts_once_against_the_cap_on_waiting_bookings(fleets):
    """Three bookings may wait for one e-mail: an order of three lines is one of them."""
    gens, lights, cables = fleets
    customer = make_customer()

    def online(*lines: OrderLine):
        return BookingFacade().place_order(
            PlaceOrder(customer, lines, SLOT, PricingBasis.HOURLY, secrets.token_urlsafe(24))
        )

    online(
        OrderLine(1, equipment_type_id=gens.type_id),
        OrderLine(1, equipment_type_id=lights.type_id),
        OrderLine(1, equipment_type_id=cables.type_id),
    )
    online(OrderLine(1, equipment_type_id=cables.type_id))
    online(OrderLine(1, equipment_type_id=cables.type_id))
    with pytest.raises(ConflictError):  # the fourth waiting booking
        online(OrderLine(1, equipment_type_id=cables.type_id))
