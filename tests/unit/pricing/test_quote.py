"""Quote arithmetic: the cheapest combination of hours, days and weeks, rounded once."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rental.pricing.domain.models import (
    DiscountContext,
    QuoteLine,
    RateCard,
    billable_hours,
    cheapest_breakdown,
    describe_duration,
    quote,
)
from rental.shared.errors import ValidationError
from rental.shared.money import Money
from rental.shared.time_range import TimeRange

T0 = datetime(2026, 12, 1, 8, tzinfo=UTC)


def eur(x) -> Money:
    return Money(Decimal(str(x)), "EUR")


def card(hourly="20", daily="120", weekly="500", minimum=timedelta(hours=1), deposit=None):
    return RateCard(
        "type-1",
        eur(hourly),
        eur(daily),
        eur(weekly) if weekly is not None else None,
        minimum,
        eur(deposit) if deposit is not None else None,
    )


def period(**kw) -> TimeRange:
    return TimeRange.of(T0, timedelta(**kw))


def labels(q):
    return [(line.label, line.amount) for line in q.lines]


def test_days_and_hours_are_itemised():
    q = quote(card(), period(days=2, hours=3), 1)
    assert labels(q) == [("2 days × €120.00", eur(240)), ("3 hours × €20.00", eur(60))]
    assert q.subtotal == q.total == eur(300)
    assert q.duration == timedelta(days=2, hours=3)


def test_a_partial_day_never_costs_more_than_a_day():
    q = quote(card(), period(hours=7), 1)  # 7 × 20 = 140 > 120
    assert labels(q) == [("1 day × €120.00", eur(120))]


def test_days_are_capped_at_the_weekly_rate():
    q = quote(card(), period(days=5), 1)  # 5 × 120 = 600 > 500
    assert labels(q) == [("1 week × €500.00", eur(500))]
    q = quote(card(), period(days=8, hours=2), 1)
    assert labels(q) == [
        ("1 week × €500.00", eur(500)),
        ("1 day × €120.00", eur(120)),
        ("2 hours × €20.00", eur(40)),
    ]


def test_started_hours_are_charged():
    assert billable_hours(timedelta(minutes=61)) == 2
    assert billable_hours(timedelta(hours=2)) == 2
    assert quote(card(), period(minutes=90), 1).total == eur(40)


def test_quantity_multiplies_each_line_and_the_deposit():
    q = quote(card(deposit="250"), period(days=2), 2)
    assert labels(q) == [("2 days × €120.00 × 2 units", eur(480))]
    assert q.total == eur(480)
    assert q.deposit == eur(500)  # separate, refundable, not in the total


def test_no_weekly_rate_means_weeks_are_seven_days():
    q = quote(card(weekly=None), period(days=9), 1)
    assert q.total == eur(9 * 120)


def test_the_minimum_duration_is_enforced_with_a_clear_message():
    with pytest.raises(ValidationError, match=r"The minimum rental for Generator is 2 hours\."):
        quote(card(minimum=timedelta(hours=2)), period(hours=1), 1, name="Generator")


@pytest.mark.parametrize("quantity", [0, -1])
def test_quantity_below_one_is_refused(quantity):
    with pytest.raises(ValidationError, match="at least one"):
        quote(card(), period(hours=3), quantity)


def test_rate_cards_refuse_nonsense():
    with pytest.raises(ValidationError):
        card(hourly="0")
    with pytest.raises(ValidationError, match="at most 2 decimals"):
        card(hourly="1.005")
    with pytest.raises(ValidationError, match="same currency"):
        RateCard("t", eur(1), Money(Decimal(5), "USD"))


def test_discount_rules_add_negative_lines_and_the_total_never_goes_below_zero():
    def ten_percent(ctx: DiscountContext):
        return [QuoteLine("Loyalty −10%", -(ctx.subtotal * Decimal("0.1")))]

    def too_much(ctx: DiscountContext):
        return [QuoteLine("Everything free", -(ctx.subtotal * 2))]

    q = quote(card(), period(hours=1), 1, discount_rules=[ten_percent])
    assert q.total == eur("18.00") and q.subtotal == eur(20)
    assert [d.label for d in q.discounts] == ["Loyalty −10%"]
    assert quote(card(), period(hours=1), 1, discount_rules=[too_much]).total == eur(0)


def test_rounding_happens_once_at_the_end():
    def third_off(ctx: DiscountContext):
        return [QuoteLine("A third off", -(ctx.subtotal * (Decimal(1) / 3)))]

    q = quote(card(hourly="10.00"), period(hours=1), 1, discount_rules=[third_off])
    assert q.total == eur("6.67")  # 10 - 3.3333… rounded once, not 10 - 3.33


def test_describe_duration():
    assert describe_duration(timedelta(hours=2)) == "2 hours"
    assert describe_duration(timedelta(days=1, hours=12)) == "1 day 12 hours"


# --- properties -------------------------------------------------------------------------------

cents = st.integers(min_value=1, max_value=100_000).map(lambda c: Decimal(c) / 100)


@st.composite
def rate_cards(draw):
    weekly = draw(st.one_of(st.none(), cents))
    return RateCard(
        "t",
        Money(draw(cents), "EUR"),
        Money(draw(cents), "EUR"),
        Money(weekly, "EUR") if weekly is not None else None,
        timedelta(0),
    )


durations = st.integers(min_value=1, max_value=60 * 24 * 40).map(lambda m: timedelta(minutes=m))


def pure_hourly(c: RateCard, d: timedelta) -> Money:
    return c.hourly * billable_hours(d)


@settings(max_examples=300, deadline=None)
@given(rate_cards(), durations, st.integers(min_value=1, max_value=5))
def test_a_quote_is_never_more_than_pure_hourly_pricing_and_never_negative(c, d, qty):
    q = quote(c, TimeRange.of(T0, d), qty)
    assert Money.zero() <= q.total <= pure_hourly(c, d) * qty
    assert q.total == sum((line.amount for line in q.lines), Money.zero()).rounded()


@settings(max_examples=300, deadline=None)
@given(rate_cards(), durations, durations)
def test_a_longer_rental_from_the_same_start_never_costs_less(c, a, b):
    shorter, longer = sorted([a, b])
    assert (
        quote(c, TimeRange.of(T0, shorter), 1).total <= quote(c, TimeRange.of(T0, longer), 1).total
    )


def optimum(c: RateCard, hours_needed: int) -> Decimal:
    """Brute force: the cheapest cover of `hours_needed` with 1 h, 24 h and 168 h blocks."""
    blocks = [(1, c.hourly.amount), (24, c.daily.amount)]
    if c.weekly is not None:
        blocks.append((168, c.weekly.amount))

    best = [Decimal(0)] * (hours_needed + 1)
    for h in range(1, hours_needed + 1):
        best[h] = min(price + best[max(0, h - size)] for size, price in blocks)
    return best[hours_needed]


@settings(max_examples=200, deadline=None)
@given(rate_cards(), st.integers(min_value=1, max_value=24 * 21))
def test_the_breakdown_is_the_cheapest_possible_combination(c, h):
    assert cheapest_breakdown(c, timedelta(hours=h)).total.amount == optimum(c, h)


# --- calendar days of the business time zone (daylight-saving time) -------------------------

BERLIN = ZoneInfo("Europe/Berlin")


def berlin_days(first: date, last: date) -> TimeRange:
    start = datetime.combine(first, datetime.min.time(), BERLIN)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), BERLIN)
    return TimeRange(start, end)


def berlin_hours(day: date, start: int, end: int, minute: int = 0) -> TimeRange:
    # Built from UTC-resolved wall times: a repeated time means its first occurrence.
    def moment(hour: int) -> datetime:
        return datetime.combine(day, datetime.min.time().replace(hour=hour, minute=minute), BERLIN)

    return TimeRange(moment(start), moment(end))


def shop_card() -> RateCard:
    return card(hourly="15", daily="85", weekly="400")


def test_whole_days_over_the_autumn_change_are_two_days_not_49_hours():
    weekend = berlin_days(date(2027, 10, 30), date(2027, 10, 31))
    assert weekend.duration == timedelta(hours=49)
    q = quote(shop_card(), weekend, 1, timezone=BERLIN)
    assert labels(q) == [("2 days × €85.00", eur(170))]
    assert q.total == eur(170)
    assert q.notes == (
        "Includes the clock change on Sun 31 Oct 2027 (clocks go back from 03:00 to 02:00): "
        "that day has 25 hours but counts as one day.",
    )
    # Without the zone the same instants are 2 days and an hour: what customers were charged.
    assert quote(shop_card(), weekend, 1).total == eur(185)


def test_whole_days_over_the_spring_change_are_two_days_not_47_hours():
    weekend = berlin_days(date(2027, 3, 27), date(2027, 3, 28))
    q = quote(shop_card(), weekend, 1, timezone=BERLIN)
    assert labels(q) == [("2 days × €85.00", eur(170))]
    assert "that day has 23 hours but counts as one day" in q.notes[0]


def test_hours_over_a_change_are_real_time_and_the_quote_says_so():
    autumn = berlin_hours(date(2027, 10, 31), 2, 4, minute=15)  # 02:15 (first) – 04:15
    q = quote(shop_card(), autumn, 1, timezone=BERLIN)
    assert labels(q) == [("3 hours × €15.00", eur(45))]
    assert q.notes == (
        "Includes the clock change on Sun 31 Oct 2027 (clocks go back from 03:00 to 02:00): "
        "02:15 is the first one (CEST, before the change), so this is 3 hours of real time.",
    )
    spring = berlin_hours(date(2027, 3, 28), 1, 4)  # 01:00–04:00 is 2 hours that night
    q = quote(shop_card(), spring, 1, timezone=BERLIN)
    assert labels(q) == [("2 hours × €15.00", eur(30))]
    assert q.notes == (
        "Includes the clock change on Sun 28 Mar 2027 (clocks go forward from 02:00 to 03:00): "
        "2 hours of real time.",
    )


def test_the_weekly_cap_counts_calendar_days():
    # Mon 25 – Sun 31 Oct: seven calendar days (169 hours) are one week, no extra hour.
    week = berlin_days(date(2027, 10, 25), date(2027, 10, 31))
    assert week.duration == timedelta(days=7, hours=1)
    q = quote(shop_card(), week, 1, timezone=BERLIN)
    assert labels(q) == [("1 week × €400.00", eur(400))]


def test_a_booking_inside_the_repeated_hour_says_which_one_it_is():
    first = TimeRange(
        datetime(2027, 10, 31, 2, tzinfo=BERLIN), datetime(2027, 10, 31, 2, 45, tzinfo=BERLIN)
    )
    q = quote(card(minimum=timedelta(0)), first, 1, timezone=BERLIN)
    assert labels(q) == [("1 hour × €20.00", eur(20))]
    assert q.notes == (
        "02:00–03:00 on Sun 31 Oct 2027 happens twice (the clocks go back from 03:00 to 02:00): "
        "02:00 is the first one (CEST, before the change) "
        "and 02:45 is the first one (CEST, before the change).",
        "Billed per started hour: 02:00–02:45 is 45 minutes, charged as 1 hour.",
    )


def test_a_one_day_minimum_is_met_by_the_23_hour_day():
    short_day = berlin_days(date(2027, 3, 28), date(2027, 3, 28))
    assert short_day.duration == timedelta(hours=23)
    q = quote(card(minimum=timedelta(days=1)), short_day, 1, timezone=BERLIN)
    assert labels(q) == [("1 day × €120.00", eur(120))]


def test_no_clock_change_no_note_and_utc_is_unchanged():
    summer = berlin_days(date(2027, 7, 3), date(2027, 7, 4))
    assert quote(shop_card(), summer, 1, timezone=BERLIN).notes == ()
    utc_weekend = TimeRange(datetime(2027, 10, 30, tzinfo=UTC), datetime(2027, 11, 1, tzinfo=UTC))
    q = quote(shop_card(), utc_weekend, 1, timezone=UTC)
    assert labels(q) == [("2 days × €85.00", eur(170))] and q.notes == ()


@settings(max_examples=200, deadline=None)
@given(
    rate_cards(),
    st.dates(date(2024, 1, 1), date(2032, 12, 31)),
    st.integers(min_value=1, max_value=60),
    st.integers(min_value=1, max_value=3),
)
def test_n_calendar_days_in_berlin_cost_what_n_days_cost_in_utc(c, first, n, qty):
    local = berlin_days(first, first + timedelta(days=n - 1))
    plain = TimeRange.of(T0, timedelta(days=n))
    in_berlin = quote(c, local, qty, timezone=BERLIN)
    in_utc = quote(c, plain, qty, timezone=UTC)
    assert labels(in_berlin) == labels(in_utc)
    assert in_berlin.total == in_utc.total


@settings(max_examples=200, deadline=None)
@given(rate_cards(), st.integers(0, 24 * 400), durations, durations)
def test_across_clock_changes_a_longer_rental_never_costs_less(c, offset_hours, a, b):
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=offset_hours)
    shorter, longer = sorted([a, b])
    assert (
        quote(c, TimeRange.of(start, shorter), 1, timezone=BERLIN).total
        <= quote(c, TimeRange.of(start, longer), 1, timezone=BERLIN).total
    )


def test_started_hours_are_said_next_to_the_price_when_they_round():
    morning = TimeRange(
        datetime(2030, 5, 6, 9, tzinfo=UTC), datetime(2030, 5, 6, 11, 15, tzinfo=UTC)
    )
    q = quote(shop_card(), morning, 1)
    assert labels(q) == [("3 hours × €15.00", eur(45))]
    assert q.notes == (
        "Billed per started hour: 09:00–11:15 is 2 hours 15 minutes, charged as 3 hours.",
    )
    # Local time of the business zone (09:00 UTC is 11:00 in Berlin in May).
    assert quote(shop_card(), morning, 1, timezone=BERLIN).notes == (
        "Billed per started hour: 11:00–13:15 is 2 hours 15 minutes, charged as 3 hours.",
    )
    # Beyond whole days.
    longer = TimeRange(morning.start, morning.end + timedelta(days=1))
    assert labels(quote(shop_card(), longer, 2)) == [
        ("1 day × €85.00 × 2 units", eur(170)),
        ("3 hours × €15.00 × 2 units", eur(90)),
    ]
    assert quote(shop_card(), longer, 2).notes == (
        "Billed per started hour: the 2 hours 15 minutes beyond 1 whole day are charged as "
        "3 hours.",
    )


def test_no_billing_note_for_whole_hours_or_when_a_day_is_cheaper():
    whole = TimeRange(datetime(2030, 5, 6, 9, tzinfo=UTC), datetime(2030, 5, 6, 11, tzinfo=UTC))
    assert quote(shop_card(), whole, 1).notes == ()
    # 09:00–17:15 is 9 started hours, €135, more than a day (€85): charged as a day.
    long_day = TimeRange(whole.start, datetime(2030, 5, 6, 17, 15, tzinfo=UTC))
    q = quote(shop_card(), long_day, 1)
    assert labels(q) == [("1 day × €85.00", eur(85))] and q.notes == ()
