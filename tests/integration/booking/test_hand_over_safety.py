"""Hand-over and return, made safe (issue 11): equipment is handed over only within the
pick-up window and only for confirmed bookings, taken back only after a hand-over; the
booking is ON HIRE while anything is out and COMPLETED when everything is back; a booking on
hire is never cancelled (nothing changes, the unit stays out and unavailable); customers
cancel only before the start and are told the rule. Through the facade and the staff and
customer pages, on SQLite and PostgreSQL; the race with a second session on PostgreSQL."""

from __future__ import annotations

import html
import secrets

import pytest
from sqlalchemy import text

from rental.booking import (
    BookingChannel,
    BookingFacade,
    CreateReservation,
    PricingBasis,
    ReservationStatus,
)
from rental.extensions import db
from rental.shared.errors import ConflictError
from tests.integration.booking.test_booking_races import (
    Attempt,
    RowLock,
    lock_waiters,
    postgres_only,
)
from tests.integration.booking.test_servable_bookings import (
    drain,
    free,
    into_the_past,
    items_of,
    period,
)
from tests.support.auth import csrf_token
from tests.support.deposits import take_deposit
from tests.support.fingerprint import changed_tables, database_fingerprint
from tests.support.fleet import make_customer, make_type
from tests.support.processes import wait_until

STAFF = "staff@example.com"
COUNTERS = frozenset({"throttle_counters"})  # the pages' rate limits count requests


def booked(type_id: str, days: int = 1, qty: int = 1, *, confirm: bool = True):
    """A booking (09:00–17:00, `days` from today) and its manage token."""
    token = secrets.token_urlsafe(24)
    booking = BookingFacade()
    rid = booking.create_reservation(
        CreateReservation(
            make_customer(),
            type_id,
            period(9, 17, days=days),
            qty,
            PricingBasis.HOURLY,
            token,
            channel=BookingChannel.STAFF,
        )
    )
    if confirm:
        booking.confirm_reservation(rid)
        drain()  # the worker allocates the items
    return rid, token


def status(rid: str) -> ReservationStatus:
    found = BookingFacade().get_reservation(rid).status
    db.session.rollback()
    return found


def reference(rid: str) -> str:
    found = BookingFacade().get_reservation(rid).reference
    db.session.rollback()
    return found


def staff_page(client, rid: str) -> str:
    return client.get(f"/admin/reservations/{rid}").get_data(as_text=True)


def staff_post(client, rid: str, action: str, **form) -> str:
    answer = client.post(
        f"/admin/reservations/{rid}/{action}",
        data={"csrf_token": csrf_token(client, "/admin/"), **form},
        follow_redirects=True,
    )
    return html.unescape(answer.get_data(as_text=True))


def manage_url(rid: str, token: str) -> str:
    return f"/r/{reference(rid)}/{token}"


def fingerprint():
    return database_fingerprint(db.engine, skip=COUNTERS)


# --- hand-over: only from the pick-up window, only for confirmed bookings ----------------------


def test_a_hand_over_before_the_window_is_refused_and_not_offered(app, admin_client):
    fleet = make_type(units=1)
    rid, _ = booked(fleet.type_id, days=3)  # the window opens the day before: in two days
    before = fingerprint()
    with pytest.raises(ConflictError, match="cannot be picked up yet: hand-over opens"):
        BookingFacade().hand_over(rid, STAFF)
    assert changed_tables(before, fingerprint()) == []
    body = staff_page(admin_client, rid)
    assert 'id="hand-over"' not in body and 'id="pickup-opens"' in body
    assert "Hand-over opens" in body
    answer = staff_post(admin_client, rid, "hand-over")  # a form sent anyway
    assert "cannot be picked up yet: hand-over opens" in answer
    assert changed_tables(before, fingerprint()) == []
    assert status(rid) is ReservationStatus.CONFIRMED and items_of(rid, "PICKED_UP") == []


def test_a_hand_over_within_the_window_is_offered_and_puts_the_booking_on_hire(
    app, admin_client, client
):
    fleet = make_type(units=1)
    rid, token = booked(fleet.type_id, days=1)  # tomorrow: the window opened at midnight
    assert 'id="hand-over"' in staff_page(admin_client, rid)
    take_deposit(rid)
    assert "Marked as picked up." in staff_post(admin_client, rid, "hand-over")
    assert status(rid) is ReservationStatus.ON_HIRE
    body = staff_page(admin_client, rid)
    assert "ON HIRE" in body and 'id="hand-over"' not in body and 'id="return-form"' in body
    manage = client.get(manage_url(rid, token)).get_data(as_text=True)
    assert 'id="booking-state">ON HIRE<' in manage and 'id="on-hire-state"' in manage


def test_the_window_is_configurable(app, monkeypatch):
    fleet = make_type(units=2)
    rid, _ = booked(fleet.type_id, days=3)
    monkeypatch.setitem(app.config, "BOOKING_EARLY_PICKUP_DAYS", 3)
    take_deposit(rid)
    BookingFacade().hand_over(rid, STAFF)  # an early pick-up the shop allows
    assert status(rid) is ReservationStatus.ON_HIRE
    monkeypatch.setitem(app.config, "BOOKING_EARLY_PICKUP_DAYS", 0)
    other, _ = booked(fleet.type_id, days=1, confirm=False)
    BookingFacade().confirm_reservation(other)
    with pytest.raises(ConflictError, match="cannot be picked up yet"):
        BookingFacade().hand_over(other, STAFF)  # tomorrow, and only from its own morning


def test_only_a_confirmed_booking_is_handed_over(app):
    fleet = make_type(units=1)
    held, _ = booked(fleet.type_id, confirm=False)
    with pytest.raises(Exception, match="Only confirmed reservations can be handed over"):
        BookingFacade().hand_over(held, STAFF)
    assert status(held) is ReservationStatus.PENDING


# --- return: only after a hand-over; ON HIRE until everything is back --------------------------


def test_a_return_is_not_offered_and_refused_before_any_hand_over(app, admin_client):
    fleet = make_type(units=1)
    rid, _ = booked(fleet.type_id)
    before = fingerprint()
    with pytest.raises(ConflictError, match="hand it over first"):
        BookingFacade().take_back(rid, {}, STAFF)
    assert 'id="return-form"' not in staff_page(admin_client, rid)
    assert "hand it over first" in staff_post(admin_client, rid, "take-back")
    assert changed_tables(before, fingerprint()) == []
    assert status(rid) is ReservationStatus.CONFIRMED


def test_on_hire_while_anything_is_out_completed_only_when_everything_is_back(
    app, admin_client, client
):
    fleet = make_type(units=2)
    rid, token = booked(fleet.type_id, qty=2)
    take_deposit(rid)
    staff_post(admin_client, rid, "hand-over")
    first, second = items_of(rid, "PICKED_UP")
    answer = staff_post(admin_client, rid, "take-back", partial="1", returned=[first])
    assert "1 item is still out" in answer
    assert status(rid) is ReservationStatus.ON_HIRE
    assert "ON HIRE" in staff_page(admin_client, rid)
    manage = client.get(manage_url(rid, token)).get_data(as_text=True)
    assert 'id="booking-state">ON HIRE<' in manage
    staff_post(admin_client, rid, "take-back", partial="1", returned=[second])
    assert status(rid) is ReservationStatus.COMPLETED
    assert "COMPLETED" in staff_page(admin_client, rid)


# --- cancelling a booking on hire: refused, nothing changes ------------------------------------


def test_cancelling_a_booking_on_hire_is_refused_at_the_facade_and_on_the_pages(
    app, admin_client, client
):
    fleet = make_type(units=1)
    rid, token = booked(fleet.type_id)
    take_deposit(rid)
    BookingFacade().hand_over(rid, STAFF)
    (out,) = items_of(rid, "PICKED_UP")
    later = period(9, 17, days=1)
    assert free(fleet.type_id, later) == 0
    drain()  # the hand-over's event is delivered: what follows must change nothing at all
    before = fingerprint()
    with pytest.raises(ConflictError, match="Take the equipment back first"):
        BookingFacade().cancel_reservation(rid, "changed plans")
    with pytest.raises(ConflictError, match="Take the equipment back first"):
        BookingFacade().cancel_by_customer(rid, "changed plans")
    # The staff page offers no cancel and says why; a form sent anyway (confirmed) is refused.
    body = html.unescape(staff_page(admin_client, rid))
    assert "Cancel this reservation" not in body and 'id="cancel-refused"' in body
    assert "Take the equipment back first" in body
    answer = staff_post(admin_client, rid, "cancel", reason="no", confirm="cancel")
    assert "Take the equipment back first" in answer
    # The customer's manage page offers no cancel either; the form sent anyway: 409.
    manage = client.get(manage_url(rid, token)).get_data(as_text=True)
    assert 'id="cancel-booking"' not in manage
    csrf = csrf_token(client, manage_url(rid, token))
    refused = client.post(f"{manage_url(rid, token)}/cancel", data={"csrf_token": csrf})
    assert refused.status_code == 409
    assert "Take the equipment back first" in html.unescape(refused.get_data(as_text=True))
    # Nothing changed: still on hire, the unit still out and not free for anyone else.
    assert changed_tables(before, fingerprint()) == []
    assert status(rid) is ReservationStatus.ON_HIRE
    assert items_of(rid, "PICKED_UP") == [out] and free(fleet.type_id, later) == 0


def test_a_cancellation_never_frees_a_unit_that_is_out_whatever_the_status_says(app):
    """Data from before ON_HIRE existed (or any other way a booking with equipment out still
    says CONFIRMED): the facade checks what is out, not only the status."""
    fleet = make_type(units=1)
    rid, _ = booked(fleet.type_id)
    take_deposit(rid)
    BookingFacade().hand_over(rid, STAFF)
    db.session.execute(
        text("UPDATE booking_reservations SET status = 'CONFIRMED' WHERE id = :id"), {"id": rid}
    )
    db.session.commit()
    with pytest.raises(ConflictError, match="Take the equipment back first"):
        BookingFacade().cancel_reservation(rid, "changed plans")
    assert status(rid) is ReservationStatus.CONFIRMED
    assert len(items_of(rid, "PICKED_UP")) == 1 and free(fleet.type_id, period(9, 17)) == 0


def test_staff_cancel_asks_first_without_javascript(app, admin_client):
    fleet = make_type(units=1)
    rid, _ = booked(fleet.type_id)
    body = staff_page(admin_client, rid)
    assert 'data-confirm-code="cancel"' in body
    form = {"csrf_token": csrf_token(admin_client, "/admin/"), "reason": "Customer called"}
    asked = admin_client.post(f"/admin/reservations/{rid}/cancel", data=form)
    assert asked.status_code == 409 and "Nothing has changed yet" in asked.get_data(as_text=True)
    assert 'name="confirm" value="cancel"' in asked.get_data(as_text=True)
    assert status(rid) is ReservationStatus.CONFIRMED
    admin_client.post(f"/admin/reservations/{rid}/cancel", data={**form, "confirm": "cancel"})
    assert status(rid) is ReservationStatus.CANCELLED


# --- customers cancel only before the start, and are told so -----------------------------------


def test_customers_cancel_before_the_start_and_the_pages_state_the_rule(app, client):
    fleet = make_type(units=1)
    rid, token = booked(fleet.type_id, confirm=False)
    review = client.get(f"/book/review/{reference(rid)}/{token}").get_data(as_text=True)
    assert 'id="cancellation-rule"' in review
    assert "You can cancel free of charge from your booking link until the rental starts (" in (
        review
    )
    BookingFacade().confirm_reservation(rid)
    manage = client.get(manage_url(rid, token)).get_data(as_text=True)
    assert 'id="cancel-booking"' in manage and "until the rental starts (" in manage
    csrf = csrf_token(client, manage_url(rid, token))
    answer = client.post(f"{manage_url(rid, token)}/cancel", data={"csrf_token": csrf})
    assert answer.status_code == 303 and status(rid) is ReservationStatus.CANCELLED


def test_a_customer_cannot_cancel_after_the_start(app, client):
    fleet = make_type(units=1)
    rid, token = booked(fleet.type_id)
    into_the_past(rid, started=1)  # the rental started an hour ago; nothing picked up yet
    url = manage_url(rid, token)
    manage = html.unescape(client.get(url).get_data(as_text=True))
    assert 'id="cancel-booking"' not in manage
    assert "so it can no longer be cancelled online: please call us" in manage
    form_page = client.get(f"{url}/cancel", follow_redirects=True)
    assert "can no longer be cancelled online" in html.unescape(form_page.get_data(as_text=True))
    before = fingerprint()
    csrf = csrf_token(client, url)
    refused = client.post(f"{url}/cancel", data={"csrf_token": csrf})
    assert refused.status_code == 409
    assert "can no longer be cancelled online" in html.unescape(refused.get_data(as_text=True))
    with pytest.raises(ConflictError, match="can no longer be cancelled online"):
        BookingFacade().cancel_by_customer(rid, "too late")
    assert changed_tables(before, fingerprint()) == []
    assert status(rid) is ReservationStatus.CONFIRMED
    BookingFacade().cancel_reservation(rid, "The customer called")  # staff still can
    assert status(rid) is ReservationStatus.CANCELLED


# --- the race: a cancellation waiting while the hand-over commits ------------------------------


def test_a_cancellation_waiting_for_a_hand_over_is_refused_once_it_is_on_hire(app, backend):
    """The hand-over holds the booking's row and waits for the fleet (a second session locks
    the item rows); a cancellation of the same booking comes in and waits for the row. When
    the hand-over commits, the cancellation re-reads the booking: on hire — refused, and the
    unit stays out."""
    postgres_only(backend)
    fleet = make_type(units=1)
    rid, _ = booked(fleet.type_id)
    items = RowLock(
        "SELECT id FROM inventory_items WHERE equipment_type_id = :t FOR UPDATE", t=fleet.type_id
    )
    take_deposit(rid)
    hand_over = Attempt(app, lambda: BookingFacade().hand_over(rid, STAFF))
    hand_over.start()
    wait_until(lambda: lock_waiters() >= 1, message="the hand-over never waited for the fleet")
    cancel = Attempt(app, lambda: BookingFacade().cancel_reservation(rid, "changed plans"))
    cancel.start()
    wait_until(
        lambda: cancel.outcome is not None or lock_waiters() >= 2,
        message="the cancellation never waited for the booking",
    )
    items.release()
    hand_over.join(30)
    cancel.join(30)
    assert hand_over.outcome == "ok", hand_over.outcome
    assert cancel.outcome and cancel.outcome.startswith("conflict:"), cancel.outcome
    assert "Take the equipment back first" in cancel.outcome
    assert status(rid) is ReservationStatus.ON_HIRE
    assert len(items_of(rid, "PICKED_UP")) == 1 and free(fleet.type_id, period(9, 17)) == 0


def test_staff_hand_over_everything_ready_of_an_order_at_once(app, admin_client):
    """An order of two lines picked up together: one button, both lines on hire, one
    transaction; not offered once nothing is left to hand over."""
    from rental.booking import OrderLine, PlaceOrder

    generators, lights = make_type(units=2), make_type(units=2, name="Light tower")
    booking = BookingFacade()
    order = booking.place_order(
        PlaceOrder(
            make_customer(),
            (
                OrderLine(1, equipment_type_id=generators.type_id),
                OrderLine(2, equipment_type_id=lights.type_id),
            ),
            period(9, 17, days=1),  # tomorrow: the pick-up window is open
            PricingBasis.HOURLY,
            secrets.token_urlsafe(24),
            channel=BookingChannel.STAFF,
        )
    )
    booking.confirm_reservation(order.first.id)
    drain()
    page = staff_page(admin_client, order.first.id)
    assert 'id="hand-over-order"' in page
    take_deposit(order.first.id)
    done = staff_post(admin_client, order.first.id, "hand-over-order")
    assert "Everything ready is marked as picked up." in done
    assert [status(line.id) for line in order.lines] == [ReservationStatus.ON_HIRE] * 2
    assert 'id="hand-over-order"' not in staff_page(admin_client, order.first.id)
    again = staff_post(admin_client, order.first.id, "hand-over-order")
    assert "Nothing of" in again and "ready to hand over" in again
