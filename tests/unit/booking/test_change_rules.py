"""Changes of period and quantity (issue 11): what Reservation.change allows for staff and for
customers, the new quote replacing the frozen one, the preview's difference, what the pages
are offered, and ReservationChanged's upgrade — without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from rental.booking.application.queries import ChangePreview, CustomerActions, StaffActions
from rental.booking.domain.models import FrozenQuote, PricingBasis, ReservationStatus
from rental.contracts.booking import ReservationChanged
from rental.shared.errors import ConflictError, ValidationError
from rental.shared.events import Message, decode
from rental.shared.money import Money
from rental.shared.time_range import TimeRange
from tests.unit.booking.test_hand_over_rules import END, POLICY, START, booking

S = ReservationStatus
HOUR = timedelta(hours=1)
BEFORE = START - timedelta(days=2)
LONGER = TimeRange(START, END + 2 * HOUR)
PRICE = FrozenQuote((), Money("90"), (), Money("50"), Money("90"))


@pytest.mark.parametrize("status", [S.PENDING, S.CONFIRMED])
def test_staff_and_customers_change_period_and_quantity_before_the_start(status):
    for by_customer in (False, True):
        changed = booking(status).change(LONGER, 2, PRICE, BEFORE, by_customer=by_customer)
        assert (changed.period, changed.quantity, changed.status) == (LONGER, 2, status)
        assert changed.quote == PRICE and changed.total == Money("90")  # the quote is replaced
        assert changed.version == booking(status).version + 1 and changed.updated_at == BEFORE


@pytest.mark.parametrize("status", [S.REQUESTED, S.COMPLETED, S.CANCELLED, S.EXPIRED, S.NO_SHOW])
def test_finished_or_requested_bookings_cannot_change(status):
    with pytest.raises(ConflictError, match="cannot be changed"):
        booking(status).change(LONGER, 1, PRICE, BEFORE)
    assert not booking(status).may_change(BEFORE)


def test_customers_cannot_change_after_the_start_staff_can():
    started = START + HOUR
    with pytest.raises(ConflictError, match="can no longer be changed online"):
        booking().change(LONGER, 1, PRICE, started, by_customer=True)
    assert booking().change(LONGER, 1, PRICE, started).period == LONGER
    assert not booking(S.ON_HIRE).may_change(BEFORE, by_customer=True)


def test_on_hire_only_the_end_moves():
    on_hire = booking(S.ON_HIRE)
    now = START + HOUR
    assert on_hire.change(LONGER, 1, PRICE, now).period == LONGER
    shorter = TimeRange(START, END - 2 * HOUR)
    assert on_hire.change(shorter, 1, PRICE, now).period == shorter
    with pytest.raises(ValidationError, match="only its end") as moved:
        on_hire.change(TimeRange(START + HOUR, END), 1, PRICE, now)
    assert moved.value.field == "start"
    with pytest.raises(ValidationError, match="what was handed over") as more:
        on_hire.change(LONGER, 2, PRICE, now)
    assert more.value.field == "quantity"


def test_an_end_already_past_and_no_change_at_all_are_refused():
    with pytest.raises(ValidationError, match="already passed"):
        booking(S.ON_HIRE).change(TimeRange(START, START + HOUR), 1, PRICE, START + 2 * HOUR)
    with pytest.raises(ValidationError, match="booking as it is"):
        booking().change(TimeRange(START, END), 1, PRICE, BEFORE)
    with pytest.raises(ValidationError, match="at least 1"):
        booking().change(LONGER, 0, PRICE, BEFORE)


def test_the_preview_states_the_difference_either_way():
    shown = {
        "reservation_id": "r1",
        "reference": "RK-ABC234",
        "basis": PricingBasis.HOURLY,
        "old_period": TimeRange(START, END),
        "new_period": LONGER,
        "old_quantity": 1,
        "new_quantity": 1,
        "old_total": Money("60"),
        "free": 1,
    }
    assert ChangePreview(**shown, new_total=Money("90")).difference == Money("30")
    assert ChangePreview(**shown, new_total=Money("45")).difference == Money("-15")
    refused = ChangePreview(**shown, new_total=None, problem="None are free")
    assert not refused.fits and refused.difference is None


def test_the_pages_are_offered_a_change_only_when_allowed():
    assert StaffActions.of(booking(), [], BEFORE).change
    on_hire = StaffActions.of(booking(S.ON_HIRE), [("a1", "PICKED_UP")], START + HOUR)
    assert on_hire.change and on_hire.change_end_only
    assert not StaffActions.of(booking(S.COMPLETED), [], BEFORE).change
    assert CustomerActions.of(booking(), BEFORE, POLICY).change
    assert not CustomerActions.of(booking(), START + HOUR, POLICY).change
    assert not CustomerActions.of(booking(S.ON_HIRE), START + HOUR, POLICY).change
    assert CustomerActions.of(booking(S.PENDING), BEFORE, POLICY).change


def test_a_v2_reservation_changed_reads_as_a_confirmed_booking():
    event = ReservationChanged(
        reservation_id="r1",
        reference="RK-ABC234",
        customer_id="c1",
        equipment_type_id="t2",
        period=LONGER,
        quantity=1,
        total=Money("90"),
        sequence=3,
        previous_equipment_type_id="t1",
    )
    from rental.shared.events import to_payload

    payload = to_payload(event)
    for newer in ("status", "previous_period", "previous_quantity"):
        payload.pop(newer)
    old = decode(Message(1, "ReservationChanged", 2, payload, START))
    assert old.status == "CONFIRMED" and old.is_live and old.previous_period is None
    pending = replace(event, status="PENDING")
    assert not pending.is_live
