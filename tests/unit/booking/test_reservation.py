"""Reservation lifecycle transitions and the booking policy's messages."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from rental.booking.domain.models import (
    TRANSITIONS,
    FrozenQuote,
    PricingBasis,
    Reservation,
    ReservationStatus,
    TypedDetails,
    new_reference,
)
from rental.booking.domain.policy import BookingPolicy
from rental.shared.errors import ConflictError, ValidationError
from rental.shared.money import Money
from rental.shared.time_range import TimeRange

NOW = datetime(2030, 3, 4, 10, 0, tzinfo=UTC)
S = ReservationStatus


def reservation(status: S = S.PENDING, hold_minutes: int = 15) -> Reservation:
    zero = Money("0")
    return Reservation(
        id="r1",
        reference="RK-ABC234",
        customer_id="c1",
        equipment_type_id="t1",
        period=TimeRange(NOW + timedelta(days=1), NOW + timedelta(days=1, hours=8)),
        quantity=1,
        basis=PricingBasis.HOURLY,
        quote=FrozenQuote((), zero, (), zero, zero),
        status=status,
        created_at=NOW,
        updated_at=NOW,
        hold_expires_at=NOW + timedelta(minutes=hold_minutes) if status is S.PENDING else None,
        manage_token_hash="x" * 64,
    )


def test_happy_path_pending_confirmed_on_hire_completed():
    r = reservation().confirm(NOW)
    assert r.status is S.CONFIRMED and r.hold_expires_at is None
    start = r.period.start
    out = r.hand_over(start, start)
    assert out.status is S.ON_HIRE and out.version == r.version + 1
    assert out.hand_over(start, start) is out  # another item handed over: still on hire
    assert out.complete(start).status is S.COMPLETED


def test_a_confirmed_booking_is_completed_only_through_a_hand_over():
    with pytest.raises(ConflictError, match="was handed over, so it cannot be completed"):
        reservation(S.CONFIRMED).complete(NOW)


@pytest.mark.parametrize("start", list(S))
@pytest.mark.parametrize("action", ["confirm", "cancel", "complete", "expire"])
def test_every_transition_follows_the_table(start, action):
    target = {
        "confirm": S.CONFIRMED,
        "cancel": S.CANCELLED,
        "complete": S.COMPLETED,
        "expire": S.EXPIRED,
    }[action]
    r = reservation(start, hold_minutes=-1)  # an expired hold, so expire is allowed
    after_start = NOW + timedelta(days=2)  # so is expiring a request nobody approved in time
    args = {"cancel": ("changed my mind", NOW), "expire": (after_start,)}.get(action, (NOW,))
    if target in TRANSITIONS[start]:
        assert getattr(r, action)(*args).status is target
        assert r.status is start  # immutable: the transition is a new value
    else:
        refusal = {
            (S.ON_HIRE, "cancel"): "is on hire: equipment is out with the customer",
            (S.CONFIRMED, "complete"): "was handed over, so it cannot be completed",
        }.get((start, action), f"is {start.label.lower()} and cannot be")
        with pytest.raises(ConflictError, match=refusal):
            getattr(r, action)(*args)
        assert r.status is start


def test_a_live_hold_cannot_be_expired():
    with pytest.raises(ConflictError, match="not expired yet"):
        reservation().expire(NOW)


def test_an_expired_hold_keeps_when_it_ran_out_and_says_so():
    hold = reservation()
    expired = hold.expire(NOW + timedelta(minutes=16))
    assert expired.status is S.EXPIRED and expired.hold_ran_out
    assert expired.hold_expires_at == hold.hold_expires_at
    assert not expired.holds_capacity(NOW)  # a kept time is no hold: the status decides
    request = replace(reservation(S.REQUESTED), hold_expires_at=None)
    assert not request.expire(request.period.start).hold_ran_out


def test_a_request_is_open_until_its_start_and_holds_nothing():
    r = replace(reservation(S.REQUESTED), hold_expires_at=None)
    assert not S.REQUESTED.may_hold_capacity and S.REQUESTED.is_open
    assert not r.is_stale(r.period.start - timedelta(minutes=1))
    with pytest.raises(ConflictError, match="not expired yet"):
        r.expire(NOW)
    assert r.expire(r.period.start).status is S.EXPIRED


def test_bookings_start_within_the_horizon():
    policy = BookingPolicy(ZoneInfo("UTC"), horizon=timedelta(days=365))
    ok = TimeRange(NOW + timedelta(days=365), NOW + timedelta(days=365, hours=8))
    policy.check_period(ok, PricingBasis.HOURLY, NOW)
    too_far = TimeRange(NOW + timedelta(days=366), NOW + timedelta(days=366, hours=8))
    with pytest.raises(ValidationError, match="up to 365 days ahead") as caught:
        policy.check_period(too_far, PricingBasis.HOURLY, NOW)
    assert caught.value.field == "start"


@pytest.mark.parametrize(("capacity", "limit"), [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3), (20, 10)])
def test_one_online_booking_takes_at_most_half_the_fleet(capacity, limit):
    policy = BookingPolicy(ZoneInfo("UTC"), online_max_share=0.5)
    assert policy.online_limit(capacity) == limit
    assert not policy.needs_approval(limit, capacity)
    assert policy.needs_approval(limit + 1, capacity)


def test_cancel_records_the_reason():
    r = reservation(S.CONFIRMED).cancel("  Plans changed ", NOW)
    assert r.cancellation_reason == "Plans changed"


def test_only_pending_with_live_hold_and_confirmed_or_on_hire_hold_capacity():
    assert {s for s in S if s.may_hold_capacity} == {S.PENDING, S.CONFIRMED, S.ON_HIRE}
    assert reservation().hold_is_live(NOW)
    assert not reservation(hold_minutes=-1).hold_is_live(NOW)


def test_references_are_short_and_unambiguous():
    refs = {new_reference() for _ in range(500)}
    assert len(refs) == 500
    for ref in refs:
        assert ref.startswith("RK-") and len(ref) == 9
        assert not set(ref[3:]) & set("01OIL")


policy = BookingPolicy(timezone=ZoneInfo("Europe/Berlin"))


def period(start: datetime, hours: float) -> TimeRange:
    return TimeRange(start, start + timedelta(hours=hours))


def test_start_must_be_in_the_future_allowing_small_skew():
    # A start one minute ago is accepted (clocks drift); an hour ago is not.
    policy.check_period(period(NOW, 2), PricingBasis.HOURLY, NOW + timedelta(minutes=1))
    with pytest.raises(ValidationError, match="start must be in the future") as err:
        policy.check_period(period(NOW - timedelta(hours=1), 2), PricingBasis.HOURLY, NOW)
    assert err.value.field == "start"


def test_minimum_and_maximum_duration():
    with pytest.raises(ValidationError, match="minimum rental is 2 hours"):
        policy.check_period(
            period(NOW + timedelta(hours=1), 1),
            PricingBasis.HOURLY,
            NOW,
            minimum=timedelta(hours=2),
        )
    with pytest.raises(ValidationError, match="at most 90 days"):
        policy.check_period(period(NOW + timedelta(hours=1), 24 * 91), PricingBasis.HOURLY, NOW)


def test_hourly_bookings_sit_on_the_quarter_hour():
    with pytest.raises(ValidationError, match="15-minute mark") as err:
        policy.check_period(
            period(NOW + timedelta(hours=1, minutes=7), 2), PricingBasis.HOURLY, NOW
        )
    assert err.value.field == "start"


def test_daily_bookings_are_whole_days_in_the_business_time_zone():
    berlin = ZoneInfo("Europe/Berlin")
    days = policy.daily_period(datetime(2030, 3, 5).date(), datetime(2030, 3, 6).date())
    assert days.start == datetime(2030, 3, 5, tzinfo=berlin)
    assert days.duration == timedelta(days=2)
    policy.check_period(days, PricingBasis.DAILY, NOW)
    with pytest.raises(ValidationError, match="midnight to midnight"):
        policy.check_period(period(NOW + timedelta(days=1), 24), PricingBasis.DAILY, NOW)


def test_quantity_bounds():
    with pytest.raises(ValidationError, match="at least 1"):
        policy.check_quantity(0)
    policy.check_quantity(999)  # more than exist is a shortage, answered with what is free


def test_align_up_to_the_grid():
    at = datetime(2030, 3, 4, 9, 7, tzinfo=UTC)
    assert policy.align_up(at, PricingBasis.HOURLY) == datetime(2030, 3, 4, 9, 15, tzinfo=UTC)
    assert policy.align_up(at.replace(minute=15), PricingBasis.HOURLY).minute == 15
    midnight = policy.align_up(at, PricingBasis.DAILY).astimezone(ZoneInfo("Europe/Berlin"))
    assert (midnight.hour, midnight.minute, midnight.day) == (0, 0, 5)


def test_every_change_bumps_the_version_and_a_refused_one_does_not():
    r = reservation().flag("Could not allocate", NOW).confirm(NOW).clear_flag(NOW)
    assert r.version == 3
    assert r.clear_flag(NOW) is r  # nothing to clear: no change, no new version
    with pytest.raises(ConflictError):
        r.expire(NOW + timedelta(days=2))
    assert r.version == 3


def test_typed_details_keep_every_field_cleaned_in_form_order_and_mark_what_differs():
    typed = TypedDetails.of(
        {"name": " Mallory\u202e  Intruder ", "city": "London", "phone": "+44 1", "x": "ignored"},
        ["city", "name", "email"],
    )
    assert [f for f, *_ in typed.rows()] == [
        "name",
        "phone",
        "street",
        "city",
        "state",
        "postal_code",
        "country",
    ]
    assert typed.rows()[0] == ("name", "Name", "Mallory Intruder", True)  # bidi override gone
    assert typed.differs == ("name", "city")  # form order; unknown fields dropped
    assert TypedDetails.from_dict(typed.to_dict()) == typed
    assert len(TypedDetails.of({"name": "x" * 1000}, ["name"]).values[0][1]) == 255


def test_forgetting_typed_details_is_a_change_only_when_there_are_some():
    plain = reservation()
    assert plain.forget_typed_details(NOW) is plain
    noted = replace(plain, typed_details=TypedDetails.of({"name": "M"}, ["name"]))
    forgotten = noted.forget_typed_details(NOW + timedelta(minutes=1))
    assert forgotten.typed_details is None and forgotten.version == noted.version + 1


def test_the_neutral_refusal_names_the_shop_phone_only_when_there_is_one():
    policy = BookingPolicy(ZoneInfo("UTC"))
    assert policy.refusal() == "We could not take this booking online; please call us."
    phoned = replace(policy, shop_phone="+49 30 1234")
    assert (
        phoned.refusal() == "We could not take this booking online; please call us on +49 30 1234."
    )


def test_forgetting_personal_text_blanks_what_people_typed_and_keeps_generated_flags():
    later = NOW + timedelta(minutes=1)
    cancelled = replace(
        reservation().cancel("customer Zelda Quirinus called", NOW),
        typed_details=TypedDetails.of({"name": "Zelda Q"}, ["name"]),
    )
    forgotten = cancelled.forget_personal_text(later, "[gone]")
    assert forgotten.cancellation_reason == "[gone]" and forgotten.typed_details is None
    assert forgotten.version == cancelled.version + 1
    assert forgotten.forget_personal_text(later, "[gone]") is forgotten  # once only

    flagged = reservation().flag("Zelda Quirinus wants delivery", NOW)  # typed by staff
    assert flagged.forget_personal_text(later, "[gone]").attention_reason == "[gone]"
    overdue = reservation().flag("SN-1 was not returned", NOW, "overdue")  # the system's
    assert overdue.forget_personal_text(later, "[gone]") is overdue
    assert reservation().forget_personal_text(later, "[gone]") == reservation()
