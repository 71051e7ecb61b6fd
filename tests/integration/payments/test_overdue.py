"""Overdue returns and late fees (issue 12), on SQLite and PostgreSQL, through the real job
function (`inventory.overdue_returns`' InventoryFacade.notice_overdue_returns, in process) and
the real staff and customer pages: the shop's grace period, the job told once, the order shown
OVERDUE, the dashboard's "Overdue now", the overdue unit kept from new bookings, and the late
fee proposed, charged or waived at check-in — once per line."""

from __future__ import annotations

import re
import secrets
import threading
import time
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from rental.booking import BookingChannel, BookingFacade, CreateReservation, PricingBasis
from rental.extensions import db
from rental.inventory import InventoryFacade
from rental.payments import (
    Category,
    LateFee,
    LateFeeDecision,
    PaymentPolicy,
    PaymentsFacade,
    SettleLateFee,
)
from rental.payments.infrastructure.entities import EntryEntity
from rental.payments.infrastructure.late_fees import LateFeeEntity
from rental.shared.money import Money
from rental.shared.outbox import OutboxMessageEntity
from tests.integration.booking.test_servable_bookings import (
    drain,
    flag,
    free,
    into_the_past,
    items_of,
    period,
)
from tests.integration.booking.test_servable_pages import public_answer
from tests.support.auth import csrf_token
from tests.support.deposits import take_deposit
from tests.support.fleet import make_customer, make_type

TOKENS: dict[str, str] = {}


def book(type_id: str, p, qty: int = 1, *, customer: str | None = None) -> str:
    token = secrets.token_urlsafe(24)
    booking = BookingFacade()
    rid = booking.create_reservation(
        CreateReservation(
            customer or make_customer(),
            type_id,
            p,
            qty,
            PricingBasis.HOURLY,
            token,
            channel=BookingChannel.STAFF,
        )
    )
    booking.confirm_reservation(rid)
    TOKENS[rid] = token
    return rid


def on_hire(type_id: str, qty: int = 1, *, customer: str | None = None, days: int = 1) -> str:
    rid = book(type_id, period(9, 17, days=days), qty, customer=customer)
    drain()  # allocated, and the ledger opened
    take_deposit(rid)
    BookingFacade().hand_over(rid, "staff@example.com")
    return rid


def overdue_notices(reservation_id: str) -> int:
    rows = db.session.scalars(
        select(OutboxMessageEntity.payload).where(OutboxMessageEntity.event_type == "ReturnOverdue")
    ).all()
    db.session.rollback()
    return sum(payload["reservation_id"] == reservation_id for payload in rows)


def job() -> int:
    """The overdue job's function, as the worker runs it every minute."""
    noticed = InventoryFacade().notice_overdue_returns()
    drain()
    return noticed


def token(client) -> str:
    return csrf_token(client, "/admin/")


def staff_page(client, rid: str) -> str:
    return client.get(f"/admin/reservations/{rid}").get_data(as_text=True)


def overdue_section(client) -> str:
    body = client.get("/admin/").get_data(as_text=True)
    return body.split('<h2 id="overdue-now">Overdue now</h2>', 1)[1].split("<h2>", 1)[0]


def late_fees(order_id: str) -> list[tuple[Decimal, str]]:
    rows = db.session.execute(
        select(EntryEntity.amount, EntryEntity.reason).where(
            EntryEntity.order_id == order_id, EntryEntity.category == Category.LATE_FEE.value
        )
    ).all()
    db.session.rollback()
    return [(Decimal(a).quantize(Decimal("0.01")), r) for a, r in rows]


def decisions() -> int:
    count = db.session.scalar(select(func.count()).select_from(LateFeeEntity)) or 0
    db.session.rollback()
    return count


def order_of(rid: str) -> str:
    return BookingFacade().get_reservation(rid).order_id


def set_grace(minutes: int) -> None:
    PaymentsFacade().save_policy(replace(PaymentPolicy(), overdue_grace_minutes=minutes))


# --- the job: grace period, told once ------------------------------------------------------------


def test_an_item_is_not_overdue_within_the_shops_grace_and_is_after_it(app):
    fleet = make_type(units=2)
    rid = on_hire(fleet.type_id)
    into_the_past(rid, ended=0.25)  # 15 minutes late: within the default 30 minutes
    assert job() == 0 and flag(rid) is None and overdue_notices(rid) == 0
    set_grace(10)  # the shop's own grace (payments' policy, registered with Inventory)
    assert job() == 1
    assert overdue_notices(rid) == 1 and "was not returned" in (flag(rid) or "")
    # A longer grace is read each time the job runs: 45 minutes keeps 40 minutes on time.
    other = on_hire(fleet.type_id)
    set_grace(45)
    into_the_past(other, ended=40 / 60)
    assert job() == 0 and flag(other) is None
    set_grace(30)
    assert job() == 1 and flag(other) is not None


def test_the_job_run_twice_tells_booking_once_and_flags_once(app):
    fleet = make_type(units=2)
    rid = on_hire(fleet.type_id)
    into_the_past(rid, ended=3)
    assert job() == 1
    reason = flag(rid)
    version = BookingFacade().get_reservation(rid).version
    db.session.rollback()
    assert job() == 0 and job() == 0
    assert overdue_notices(rid) == 1
    assert flag(rid) == reason
    assert BookingFacade().get_reservation(rid).version == version  # flagged once


# --- capacity: the overdue unit is kept from new bookings; the one that needed it is flagged ----


def test_an_overdue_unit_is_not_offered_and_the_booking_that_needed_it_is_flagged(
    app, admin_client, client
):
    fleet = make_type(units=2)
    late = on_hire(fleet.type_id)
    needing = book(fleet.type_id, period(9, 17, days=2), 2)  # both units, the next day
    drain()
    assert len(items_of(needing)) == 2
    into_the_past(late, ended=6)  # its planned end was 6 hours ago: nobody brought it back
    assert job() == 1
    # The booking that needed both units keeps one (the other is out) and is flagged.
    assert len(items_of(needing)) < 2
    reason = flag(needing)
    assert reason and "was not returned" in reason
    # A new booking for a time after the overdue unit's planned end is not offered it.
    now_on = period(9, 17, days=3)
    assert free(fleet.type_id, now_on) == 1
    assert public_answer(client, fleet.slug, now_on) == "1 of 1 free"
    # Back: the unit is offered again and the short booking is served.
    BookingFacade().take_back(late, {}, "staff@example.com")
    drain()
    assert free(fleet.type_id, now_on) == 2
    assert len(items_of(needing)) == 2 and flag(needing) is None


# --- OVERDUE on the pages, the dashboard ---------------------------------------------------------


def test_an_overdue_order_shows_overdue_to_staff_and_the_customer_until_it_is_back(
    app, admin_client, client
):
    fleet = make_type(units=3, name="Plate compactor")
    assert "Nothing overdue." in overdue_section(admin_client)
    ann = make_customer("ann@example.com")
    first = on_hire(fleet.type_id, customer=ann)
    second = on_hire(fleet.type_id)
    on_time = on_hire(fleet.type_id)
    into_the_past(first, ended=26)  # the oldest
    into_the_past(second, ended=2)
    into_the_past(on_time, ended=0.1)  # within the grace: not overdue
    assert job() == 2
    booking = BookingFacade()
    refs = {rid: booking.get_reservation(rid).reference for rid in (first, second, on_time)}
    db.session.rollback()

    shown = staff_page(admin_client, first)
    badge = r"\s*<span class=\"badge badge-danger\">OVERDUE"
    assert re.search(r"<h1>\s*" + refs[first] + badge, shown)
    assert 'id="return-form"' in shown
    listed = admin_client.get("/admin/reservations/").get_data(as_text=True)
    assert listed.count(">OVERDUE</span>") == 2
    manage = client.get(f"/r/{refs[first]}/{TOKENS[first]}").get_data(as_text=True)
    assert 'id="overdue-state"' in manage and "please bring it back" in manage.lower()
    assert ">OVERDUE</span>" in manage
    on_time_page = client.get(f"/r/{refs[on_time]}/{TOKENS[on_time]}").get_data(as_text=True)
    assert 'id="overdue-state"' not in on_time_page

    section = overdue_section(admin_client)
    assert refs[on_time] not in section
    assert section.index(refs[first]) < section.index(refs[second])  # oldest first
    assert 'href="tel:+49301234567"' in section
    assert "1 day 2 h late" in section and "2 h 0 min late" in section
    assert "Plate compactor" in section

    # Back: no longer overdue anywhere (the flag went with the completion).
    booking.take_back(first, {}, "staff@example.com")
    assert ">OVERDUE<" not in staff_page(admin_client, first)
    manage = client.get(f"/r/{refs[first]}/{TOKENS[first]}").get_data(as_text=True)
    assert 'id="overdue-state"' not in manage
    assert refs[first] not in overdue_section(admin_client)


# --- the late fee at check-in --------------------------------------------------------------------


def take_back(client, rid: str, **form) -> str:
    data = {"csrf_token": token(client), **form}
    return client.post(
        f"/admin/reservations/{rid}/take-back", data=data, follow_redirects=True
    ).get_data(as_text=True)


def test_a_late_return_proposes_the_fee_from_the_rate_card_and_adds_it(app, admin_client):
    fleet = make_type(units=2, hourly="20.00", daily="120.00")
    rid = on_hire(fleet.type_id)
    into_the_past(rid, ended=2.5)  # 2 h 30 min late: 3 started hours at €20
    job()
    shown = staff_page(admin_client, rid)
    assert 'id="late-fee"' in shown
    assert "Late fee: €60.00" in shown and "2 h 30 min late: 3 hours × €20.00" in shown
    done = take_back(admin_client, rid)
    assert "Late fee of €60.00 added" in done
    assert late_fees(order_of(rid)) == [
        (
            Decimal("60.00"),
            f"Late return of {BookingFacade().get_reservation(rid).reference}: "
            "2 h 30 min late: 3 hours × €20.00, from the rate card",
        )
    ]
    assert 'id="late-fee-decision"' in staff_page(admin_client, rid)
    assert 'id="late-fee"' not in staff_page(admin_client, rid)


def test_a_return_within_the_grace_proposes_no_fee(app, admin_client):
    fleet = make_type(units=1)
    rid = on_hire(fleet.type_id)
    into_the_past(rid, ended=0.2)
    assert 'id="late-fee"' not in staff_page(admin_client, rid)
    take_back(admin_client, rid)
    assert late_fees(order_of(rid)) == [] and decisions() == 0


def test_waiving_needs_a_reason_and_is_recorded_without_a_charge(app, admin_client):
    fleet = make_type(units=1)
    rid = on_hire(fleet.type_id)
    into_the_past(rid, ended=5)
    job()
    refused = take_back(admin_client, rid, late_fee="waive", late_fee_reason="  ")
    assert "Say why the late fee is waived" in refused
    assert 'id="late-fee-reason-error"' in refused  # next to the field, waive still chosen
    assert re.search(r'value="waive"\s+checked', refused)
    assert items_of(rid, "PICKED_UP")  # nothing was written: still out
    assert decisions() == 0 and late_fees(order_of(rid)) == []
    done = take_back(admin_client, rid, late_fee="waive", late_fee_reason="Customer called ahead")
    assert "waived: Customer called ahead" in done
    assert late_fees(order_of(rid)) == [] and decisions() == 1
    decision = PaymentsFacade().get_late_fee_decision(rid)
    assert decision is not None and decision.waived
    assert decision.amount.amount == Decimal("120")  # 6 started hours: as much as a day
    shown = staff_page(admin_client, rid)
    assert 'id="late-fee-decision"' in shown and "Customer called ahead" in shown


def test_a_partial_return_charges_once_at_the_final_check_in(app, admin_client):
    fleet = make_type(units=2, hourly="20.00", daily="120.00")
    rid = on_hire(fleet.type_id, qty=2)
    first, second = items_of(rid, "PICKED_UP")
    into_the_past(rid, ended=1.5)  # 2 started hours each
    job()
    partial = take_back(admin_client, rid, partial="1", returned=[first])
    assert "still out" in partial and "Late fee" not in partial.split('id="late-fee"')[0]
    assert late_fees(order_of(rid)) == [] and decisions() == 0  # decided at the last item
    done = take_back(admin_client, rid, partial="1", returned=[second])
    assert "Late fee of €80.00 added" in done  # 2 units × 2 hours × €20, each from its return
    assert len(late_fees(order_of(rid))) == 1 and decisions() == 1
    # Settling the line again (a retry) changes nothing: one decision, one charge.
    booking = BookingFacade()
    line = booking.get_reservation(rid)
    booking.late_returns().settle(line, replace(booking_choice(), waive=False), "x@example.com")
    db.session.commit()
    assert len(late_fees(order_of(rid))) == 1 and decisions() == 1


def booking_choice():
    from rental.booking.application.late_returns import LateFeeChoice

    return LateFeeChoice()


def test_two_decisions_on_one_line_take_turns_and_the_second_finds_the_first(app, backend):
    if backend != "postgresql":
        pytest.skip("SQLite serialises every write transaction: this window cannot open there")
    fleet = make_type(units=1)
    rid = on_hire(fleet.type_id)
    order_id = order_of(rid)
    # A second session is deciding the same line (waiving it) and holds the order's ledger.
    connection = db.engine.connect()
    transaction = connection.begin()
    connection.execute(
        text("SELECT * FROM payments_ledgers WHERE order_id = :id FOR UPDATE"), {"id": order_id}
    )
    connection.execute(
        text(
            "INSERT INTO payments_late_fees (line_id, order_id, line_reference, amount, "
            "currency, late_minutes, description, waived, reason, entry_id, actor, decided_at) "
            "VALUES (:line, :order, 'RK-FIRST', 60, 'EUR', 150, 'first', true, "
            "'Customer called ahead', NULL, 'first@example.com', now())"
        ),
        {"line": rid, "order": order_id},
    )
    fee = LateFee(Money(Decimal("60")), timedelta(hours=2, minutes=30), 1, ("3 hours × €20.00",))
    outcome: dict[str, object] = {}

    def second() -> None:
        with app.app_context():
            try:
                outcome["decision"] = PaymentsFacade().settle_late_fee(
                    SettleLateFee(order_id, rid, "RK-X", fee, False, "", "second@example.com")
                )
            finally:
                db.session.remove()

    thread = threading.Thread(target=second, daemon=True)
    thread.start()
    time.sleep(0.5)
    assert thread.is_alive(), "the second decision must wait for the ledger row"
    transaction.commit()
    connection.close()
    thread.join(10)
    decision = outcome["decision"]
    assert isinstance(decision, LateFeeDecision)
    assert decision.waived and decision.actor == "first@example.com"  # the first one's
    assert late_fees(order_id) == [] and decisions() == 1  # nothing charged on top
