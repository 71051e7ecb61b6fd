"""Hand-over and return made safe (issue 11): the pick-up window, ON_HIRE, cancelling, and
what staff and customers are offered — the rules in the domain and StaffActions /
CustomerActions, without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from rental.booking.application.queries import CustomerActions, StaffActions
from rental.booking.domain.models import (
    HOLDING,
    FrozenQuote,
    PricingBasis,
    Reservation,
    ReservationStatus,
)
from rental.booking.domain.policy import BookingPolicy
from rental.shared.errors import ConflictError
from rental.shared.money import Money
from rental.shared.time_range import TimeRange

S = ReservationStatus
BERLIN = ZoneInfo("Europe/Berlin")
# Friday 8 March 2030, 09:00 in Berlin (08:00 UTC) to 17:00.
START = datetime(2030, 3, 8, 8, 0, tzinfo=UTC)
END = datetime(2030, 3, 8, 16, 0, tzinfo=UTC)
POLICY = BookingPolicy(BERLIN)  # early pick-up: 1 day (the default)


def booking(status: S = S.CONFIRMED) -> Reservation:
    zero = Money("0")
    return Reservation(
        id="r1",
        reference="RK-ABC234",
        customer_id="c1",
        equipment_type_id="t1",
        period=TimeRange(START, END),
        quantity=1,
        basis=PricingBasis.HOURLY,
        quote=FrozenQuote((), zero, (), zero, zero),
        status=status,
        created_at=START - timedelta(days=10),
        updated_at=START - timedelta(days=10),
        hold_expires_at=None,
        manage_token_hash="x" * 64,
    )


def test_pick_up_opens_at_local_midnight_the_configured_days_before_the_first_day():
    # Thursday 7 March 00:00 in Berlin is Wednesday 23:00 UTC.
    assert POLICY.pickup_opens(START) == datetime(2030, 3, 6, 23, 0, tzinfo=UTC)
    same_day = replace(POLICY, early_pickup_days=0)
    assert same_day.pickup_opens(START) == datetime(2030, 3, 7, 23, 0, tzinfo=UTC)
    # A booking starting at local midnight with no early pick-up opens at its start.
    midnight = datetime(2030, 3, 7, 23, 0, tzinfo=UTC)
    assert same_day.pickup_opens(midnight) == midnight


def test_a_hand_over_before_the_window_is_refused_naming_when_it_opens():
    opens = POLICY.pickup_opens(START)
    with pytest.raises(ConflictError) as refused:
        booking().hand_over(opens - timedelta(minutes=1), opens, BERLIN)
    message = refused.value.message
    assert "cannot be picked up yet" in message
    assert "Thu 07 Mar 2030 00:00" in message and "Fri 08 Mar 2030 09:00" in message
    assert booking().hand_over(opens, opens, BERLIN).status is S.ON_HIRE


def test_a_hand_over_after_the_end_or_of_a_booking_not_confirmed_is_refused():
    opens = POLICY.pickup_opens(START)
    with pytest.raises(ConflictError, match="can no longer be handed over"):
        booking().hand_over(END, opens, BERLIN)
    for status in (S.PENDING, S.REQUESTED, S.CANCELLED, S.COMPLETED, S.NO_SHOW, S.EXPIRED):
        with pytest.raises(ConflictError, match="only a confirmed booking can be handed over"):
            booking(status).hand_over(START, opens, BERLIN)


def test_on_hire_holds_capacity_and_cannot_be_cancelled_or_a_no_show():
    on_hire = booking(S.ON_HIRE)
    assert S.ON_HIRE in HOLDING and on_hire.holds_capacity(START)
    assert not on_hire.can_cancel and S.ON_HIRE.label == "ON HIRE"
    with pytest.raises(ConflictError, match="Take the equipment back first"):
        on_hire.cancel("changed my mind", START)
    with pytest.raises(ConflictError):
        on_hire.no_show(START + timedelta(hours=1))


def test_customers_cancel_a_confirmed_booking_only_before_its_start():
    confirmed = booking()
    assert confirmed.customer_may_cancel(START - timedelta(seconds=1))
    assert not confirmed.customer_may_cancel(START)
    # A hold or a request is not a rental yet: it can always be let go.
    assert booking(S.PENDING).customer_may_cancel(END)
    assert not booking(S.ON_HIRE).customer_may_cancel(START - timedelta(days=1))


def test_the_cancellation_rule_is_stated_with_the_start_in_local_time():
    before = POLICY.cancellation_rule(booking().period, START - timedelta(days=1), confirmed=True)
    assert "until the rental starts (Fri 08 Mar 2030, 09:00)" in before
    after = POLICY.cancellation_rule(booking().period, START, confirmed=True)
    assert "can no longer be cancelled online" in after
    phone = replace(POLICY, shop_phone="+49 30 1234")
    assert "call us on +49 30 1234" in phone.cancellation_rule(
        booking().period, START, confirmed=True
    )


ALLOCATED = [("a1", "ALLOCATED")]
OUT = [("a1", "PICKED_UP")]


def staff(r: Reservation, allocations, now: datetime) -> StaffActions:
    return StaffActions.of(r, allocations, now, POLICY.pickup_opens(r.period.start))


def test_staff_are_offered_the_hand_over_only_within_the_window():
    opens = POLICY.pickup_opens(START)
    early = staff(booking(), ALLOCATED, opens - timedelta(hours=1))
    assert not early.hand_over and early.pickup_opens_at == opens
    assert not early.take_back and early.cancel and not early.no_show
    within = staff(booking(), ALLOCATED, opens)
    assert within.hand_over and within.pickup_opens_at is None
    assert not staff(booking(), ALLOCATED, END).hand_over  # it has ended
    assert not staff(booking(S.PENDING), ALLOCATED, START).hand_over


def test_staff_take_back_only_what_is_out_and_never_cancel_a_booking_on_hire():
    waiting = staff(booking(), ALLOCATED, START)
    assert not waiting.take_back and not waiting.returnable
    on_hire = staff(booking(S.ON_HIRE), OUT, START)
    assert on_hire.take_back and on_hire.returnable == {"a1"}
    assert not on_hire.cancel and not on_hire.no_show and not on_hire.hand_over
    assert "Take the equipment back first" in (on_hire.cancel_refused or "")
    # Equipment out on a booking that still says CONFIRMED (older data): no cancel either.
    legacy = staff(booking(), OUT, START)
    assert not legacy.cancel and legacy.cancel_refused


def test_destructive_staff_actions_have_a_question():
    assert StaffActions.question("cancel", booking()).code == "cancel"
    assert "RK-ABC234" in StaffActions.question("no_show", booking()).message


def test_customers_are_offered_to_cancel_only_before_the_start_and_told_the_rule():
    before = CustomerActions.of(booking(), START - timedelta(hours=1), POLICY)
    assert before.cancel and "until the rental starts" in before.cancellation_rule
    after = CustomerActions.of(booking(), START, POLICY)
    assert not after.cancel and "can no longer be cancelled online" in after.cancellation_rule
    on_hire = CustomerActions.of(booking(S.ON_HIRE), START - timedelta(hours=1), POLICY)
    assert not on_hire.cancel and "out with you" in on_hire.cancellation_rule
    assert CustomerActions.of(booking(S.COMPLETED), START, POLICY).cancellation_rule == ""
