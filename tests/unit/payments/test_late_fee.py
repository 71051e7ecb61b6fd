"""The late fee of a line back late (rental/payments/domain/late_fee.py), priced by Pricing's
own quote of the rate card: nothing within the grace, started hours past the end, whole days
(or weeks) when cheaper — the cheapest combination, as a booking's quote."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from rental.payments.domain.late_fee import describe_lateness, late_fee, overdue_stretch
from rental.pricing.domain.models import RateCard, quote
from rental.shared.money import Money
from rental.shared.time_range import TimeRange

DUE = datetime(2031, 7, 12, 17, 0, tzinfo=UTC)
GRACE = timedelta(minutes=30)


def card(hourly: str = "10", daily: str = "50", weekly: str | None = "200") -> RateCard:
    return RateCard(
        "type-1",
        Money(Decimal(hourly)),
        Money(Decimal(daily)),
        Money(Decimal(weekly)) if weekly else None,
        minimum_duration=timedelta(0),
    )


def price_with(rates: RateCard):
    def price(stretch: TimeRange, units: int):
        q = quote(rates, stretch, units)
        return q.total, [line.label for line in q.lines]

    return price


def fee(late: timedelta, *more: timedelta, rates: RateCard | None = None, grace=GRACE):
    moments = [DUE + late, *(DUE + m for m in more)]
    return late_fee(DUE, moments, grace, price_with(rates or card()))


def test_within_the_grace_nothing_is_owed():
    assert fee(timedelta(minutes=29)) is None
    assert fee(GRACE) is None  # at the end of the grace exactly: still on time
    assert fee(timedelta(0)) is None
    assert fee(-timedelta(hours=2)) is None  # back early
    assert overdue_stretch(DUE, DUE + GRACE, GRACE) is None


def test_past_the_grace_started_hours_from_the_planned_end_are_charged():
    late = fee(timedelta(hours=1, minutes=5))
    assert late is not None
    assert late.amount == Money(Decimal("20.00"))  # 2 started hours × 10
    assert late.lines == ("2 hours × €10.00",)
    assert late.units == 1 and late.late_by == timedelta(hours=1, minutes=5)
    assert late.description == "1 h 5 min late: 2 hours × €10.00, from the rate card"
    just_past = fee(timedelta(minutes=31))
    assert just_past is not None and just_past.amount == Money(Decimal("10.00"))
    assert overdue_stretch(DUE, DUE + timedelta(minutes=31), GRACE) == TimeRange(
        DUE, DUE + timedelta(minutes=31)
    )


def test_without_a_grace_a_minute_late_is_a_started_hour():
    late = fee(timedelta(minutes=1), grace=timedelta(0))
    assert late is not None and late.amount == Money(Decimal("10.00"))


def test_late_by_days_the_day_rate_is_charged_when_cheaper():
    # 6 hours × 10 = 60 > one day at 50: the cheaper cover, as a booking's quote.
    six_hours = fee(timedelta(hours=6))
    assert six_hours is not None and six_hours.amount == Money(Decimal("50.00"))
    # A day and 2 hours: 1 day + 2 hours (70), not 26 hours (260) nor 2 days (100).
    longer = fee(timedelta(days=1, hours=2))
    assert longer is not None and longer.amount == Money(Decimal("70.00"))
    assert longer.lines == ("1 day × €50.00", "2 hours × €10.00")
    assert describe_lateness(longer.late_by) == "1 day 2 h"


def test_late_by_a_week_the_week_rate_is_the_cheapest_combination():
    late = fee(timedelta(days=6, hours=1))
    assert late is not None
    assert late.amount == Money(Decimal("200.00"))  # a week at 200 < 6 days + 1 h (310)
    no_week = fee(timedelta(days=6, hours=1), rates=card(weekly=None))
    assert no_week is not None and no_week.amount == Money(Decimal("310.00"))


def test_each_unit_counts_the_moment_it_came_back():
    # Two units: one back within the grace (free), one 3 h late; two more back together 2 h
    # late are priced as 2 units of the same stretch.
    late = fee(
        timedelta(minutes=10),
        timedelta(hours=3),
        timedelta(hours=1, minutes=30),
        timedelta(hours=1, minutes=30),
    )
    assert late is not None
    assert late.units == 3
    assert late.amount == Money(Decimal("70.00"))  # 2 h × 10 × 2 units + 3 h × 10
    assert late.late_by == timedelta(hours=3)
    assert late.description.startswith("3 h late (3 units): ")
