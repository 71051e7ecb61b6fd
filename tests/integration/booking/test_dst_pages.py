"""Daylight-saving time through the pages, with BUSINESS_TIMEZONE=Europe/Berlin: the quote a
customer sees, the message for a time the clocks skip, the repeated hour, the 90-day limit,
availability of whole days and hours and the staff timeline, over both the spring and the
autumn change; and the same dates with BUSINESS_TIMEZONE=UTC as the control (24-hour days, no
notes) — on SQLite and PostgreSQL.

The dates are the next clock changes after today (always within the booking horizon), so the
tests never go stale."""

from __future__ import annotations

import html
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from rental.booking import BookingFacade, CreateReservation, ListReservations, PricingBasis
from rental.shared import local_time
from rental.shared.outbox import OutboxProcessor
from rental.shared.time_range import TimeRange
from tests.support.auth import create_staff, csrf_token, sign_in
from tests.support.fleet import make_customer, make_type

BERLIN = ZoneInfo("Europe/Berlin")
UTC_ZONE = ZoneInfo("UTC")
DETAILS = {
    "name": "Jo Builder",
    "email": "jo@example.com",
    "phone": "+49 30 555 0101",
    "street": "Baustr. 7",
    "city": "Berlin",
    "state": "Berlin",
    "postal_code": "10115",
    "country": "Germany",
}


def next_change(forward: bool) -> local_time.ClockChange:
    soon = datetime.now(UTC) + timedelta(days=3)
    changes = local_time.clock_changes(TimeRange(soon, soon + timedelta(days=370)), BERLIN)
    return next(c for c in changes if c.forward is forward)


@pytest.fixture
def autumn() -> date:
    """The Sunday the clocks go back (03:00 → 02:00)."""
    return next_change(forward=False).day


@pytest.fixture
def spring() -> date:
    """The Sunday the clocks go forward (02:00 → 03:00)."""
    return next_change(forward=True).day


def shop_fleet(units: int = 2):
    return make_type(units=units, hourly="15.00", daily="85.00", weekly="400.00", deposit=None)


def daily(first: date, last: date) -> dict[str, str]:
    return {
        "basis": "daily",
        "start_date": first.isoformat(),
        "end_date": last.isoformat(),
        "quantity": "1",
    }


def hourly(day: date, start: str, end: str) -> dict[str, str]:
    return {
        "basis": "hourly",
        "start": f"{day.isoformat()}T{start}",
        "end": f"{day.isoformat()}T{end}",
        "quantity": "1",
    }


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def reserve(fleet, period: TimeRange, basis: PricingBasis = PricingBasis.HOURLY) -> str:
    booking = BookingFacade()
    rid = booking.create_reservation(
        CreateReservation(
            make_customer(), fleet.type_id, period, 1, basis, secrets.token_urlsafe(24)
        )
    )
    booking.confirm_reservation(rid)
    return rid


def whole_days(first: date, last: date, tz: ZoneInfo = BERLIN) -> TimeRange:
    return TimeRange(
        local_time.start_of_day(first, tz),
        local_time.start_of_day(last + timedelta(days=1), tz),
    )


def at(day: date, clock: str, tz: ZoneInfo = BERLIN) -> datetime:
    """A wall-clock time that exists on `day` in `tz`, as an instant."""
    return datetime.combine(day, datetime.strptime(clock, "%H:%M").time(), tz).astimezone(UTC)


def test_a_whole_day_weekend_over_the_autumn_change_costs_two_days(berlin_app, autumn):
    fleet = shop_fleet()
    saturday = autumn - timedelta(days=1)
    page = berlin_app.test_client().get(f"/book/{fleet.slug}", query_string=daily(saturday, autumn))
    body = text(page)
    assert page.status_code == 200 and "AVAILABLE" in body
    assert "2 days × €85.00" in body and "€170.00" in body
    assert "hour × €15.00" not in body  # the clock's extra hour is not charged
    assert (
        f"Includes the clock change on {local_time.day_label(autumn)} "
        "(clocks go back from 03:00 to 02:00): that day has 25 hours but counts as one day."
    ) in body
    assert f"{saturday:%a %d %b} – {autumn:%a %d %b} (whole days)" in body


def test_a_whole_day_weekend_over_the_spring_change_costs_two_days(berlin_app, spring):
    fleet = shop_fleet()
    page = berlin_app.test_client().get(
        f"/book/{fleet.slug}", query_string=daily(spring - timedelta(days=1), spring)
    )
    body = text(page)
    assert page.status_code == 200 and "2 days × €85.00" in body and "€170.00" in body
    assert "that day has 23 hours but counts as one day" in body


def test_a_time_the_clocks_skip_is_explained_next_to_the_field(berlin_app, spring):
    fleet = make_type(units=2, minimum=timedelta(hours=2))
    page = berlin_app.test_client().get(
        f"/book/{fleet.slug}", query_string=hourly(spring, "02:00", "04:00")
    )
    body = text(page)
    assert page.status_code == 422
    assert (
        f'<small class="field-error" id="start-error">02:00 does not exist on '
        f"{local_time.day_label(spring)}: the clocks go forward from 02:00 to 03:00. "
        "Pick a time before 02:00 or from 03:00.</small>"
    ) in body
    assert 'aria-describedby="start-error"' in body
    assert "minimum rental" not in body
    # From 03:00 it is an ordinary booking.
    ok = berlin_app.test_client().get(
        f"/book/{fleet.slug}", query_string=hourly(spring, "03:00", "05:00")
    )
    assert ok.status_code == 200 and "AVAILABLE" in text(ok)


def test_the_repeated_hour_is_real_time_said_next_to_the_price_and_kept(berlin_app, autumn):
    fleet = shop_fleet()
    client = berlin_app.test_client()
    params = hourly(autumn, "02:15", "04:15")
    body = text(client.get(f"/book/{fleet.slug}", query_string=params))
    assert "3 hours × €15.00" in body and "€45.00" in body
    day = local_time.day_label(autumn)
    clock_note = (
        f"Includes the clock change on {day} (clocks go back from 03:00 to 02:00): "
        "02:15 is the first one (CEST, before the change), so this is 3 hours of real time."
    )
    assert clock_note in body
    assert f"{autumn:%a %d %b}, 02:15 CEST–04:15" in body

    # Booked, the review page shows the same price and notes (frozen with the quote).
    token = csrf_token(client, f"/book/{fleet.slug}")
    sent = client.post(
        f"/book/{fleet.slug}/details", data={**params, **DETAILS, "csrf_token": token}
    )
    assert sent.status_code == 303
    review = text(client.get(sent.headers["Location"]))
    assert "€45.00" in review and clock_note in review
    done = client.post(sent.headers["Location"], data={"csrf_token": token})
    assert clock_note in text(client.get(done.headers["Location"]))  # the confirmation too
    (reservation,) = BookingFacade().list_reservations(ListReservations()).items
    assert reservation.period.duration == timedelta(hours=3)


def test_ninety_calendar_days_are_accepted_across_the_autumn_change(berlin_app, autumn):
    fleet = shop_fleet()
    first = autumn - timedelta(days=85)
    last = first + timedelta(days=89)  # 90 calendar days, 90 days and 1 hour of real time
    assert whole_days(first, last).duration == timedelta(days=90, hours=1)
    client = berlin_app.test_client()
    ok = client.get(f"/book/{fleet.slug}", query_string=daily(first, last))
    assert ok.status_code == 200 and "AVAILABLE" in text(ok)
    too_long = client.get(
        f"/book/{fleet.slug}", query_string=daily(first, last + timedelta(days=1))
    )
    assert too_long.status_code == 422 and "Bookings can last at most 90 days." in text(too_long)


def test_whole_days_availability_uses_the_local_midnights(berlin_app, autumn):
    fleet = shop_fleet(units=1)
    saturday, monday = autumn - timedelta(days=1), autumn + timedelta(days=1)
    client = berlin_app.test_client()
    # Monday from local midnight (23:00 UTC on Sunday) does not touch Sat–Sun.
    reserve(fleet, whole_days(monday, monday), PricingBasis.DAILY)
    free = client.get(f"/book/{fleet.slug}", query_string=daily(saturday, autumn))
    assert "1 of 1 free" in text(free)
    # The last hour of the 25-hour Sunday belongs to the weekend.
    sunday_night = local_time.start_of_day(monday, BERLIN) - timedelta(hours=1)
    reserve(fleet, TimeRange(sunday_night, sunday_night + timedelta(hours=1)))
    taken = text(client.get(f"/book/{fleet.slug}", query_string=daily(saturday, autumn)))
    assert "NOT AVAILABLE" in taken and "None left" in taken


def test_whole_days_availability_across_the_spring_change(berlin_app, spring):
    """Sat–Sun over the spring change: 47 hours of real time, two days on the price, the 23-hour
    day explained, and availability counted between the local midnights."""
    fleet = shop_fleet(units=1)
    saturday, monday = spring - timedelta(days=1), spring + timedelta(days=1)
    weekend = whole_days(saturday, spring)
    assert weekend.duration == timedelta(hours=47)
    client = berlin_app.test_client()
    # Right up to the weekend on both sides: Friday's last hour and Monday from local midnight
    # (22:00 UTC on Sunday, summer time) do not touch Sat–Sun.
    friday_night = weekend.start - timedelta(hours=1)
    reserve(fleet, TimeRange(friday_night, weekend.start))
    reserve(fleet, whole_days(monday, monday), PricingBasis.DAILY)
    page = client.get(f"/book/{fleet.slug}", query_string=daily(saturday, spring))
    body = text(page)
    assert page.status_code == 200 and "AVAILABLE" in body and "1 of 1 free" in body
    assert f"{saturday:%a %d %b} – {spring:%a %d %b} (whole days)" in body
    assert "2 days × €85.00" in body and "€170.00" in body
    assert "hour × €15.00" not in body  # the missing hour is not taken off either
    assert (
        f"Includes the clock change on {local_time.day_label(spring)} "
        "(clocks go forward from 02:00 to 03:00): that day has 23 hours but counts as one day."
    ) in body
    # The last hour of the 23-hour Sunday (22:00–24:00 local is 20:00–22:00 UTC) is the weekend's.
    reserve(fleet, TimeRange(weekend.end - timedelta(hours=1), weekend.end))
    taken = text(client.get(f"/book/{fleet.slug}", query_string=daily(saturday, spring)))
    assert "NOT AVAILABLE" in taken and "None left" in taken


def test_hours_across_the_spring_change_are_real_time_on_the_availability_page(berlin_app, spring):
    """01:00–04:00 on the night the clocks go forward is 2 hours: priced as 2, said next to the
    price, and the hour 01:00–02:00 taken by someone else makes it unavailable."""
    fleet = shop_fleet(units=1)
    client = berlin_app.test_client()
    params = hourly(spring, "01:00", "04:00")
    page = client.get(f"/book/{fleet.slug}", query_string=params)
    body = text(page)
    assert page.status_code == 200 and "1 of 1 free" in body
    assert f"{spring:%a %d %b}, 01:00–04:00" in body
    assert "2 hours × €15.00" in body and "€30.00" in body
    assert (
        f"Includes the clock change on {local_time.day_label(spring)} "
        "(clocks go forward from 02:00 to 03:00): 2 hours of real time."
    ) in body
    # 00:00–01:00 ends where the booking starts; 03:00–04:00 is its last real hour.
    reserve(fleet, TimeRange(at(spring, "00:00"), at(spring, "01:00")))
    assert "1 of 1 free" in text(client.get(f"/book/{fleet.slug}", query_string=params))
    reserve(fleet, TimeRange(at(spring, "03:00"), at(spring, "04:00")))
    taken = text(client.get(f"/book/{fleet.slug}", query_string=params))
    assert "NOT AVAILABLE" in taken and "None left" in taken


def drain() -> None:
    processor = OutboxProcessor()
    while processor.drain_once().claimed:
        pass


@dataclass(frozen=True)
class Timeline:
    body: str
    days: list[str]  # the column labels, left to right
    xs: list[float]  # where each day's column starts
    column: float  # the width of one day
    bars: list[tuple[float, float]]  # (x, width) of every booking bar, left to right


def timeline(app, type_id: str, first: date) -> Timeline:
    drain()
    admin = sign_in(app.test_client(), create_staff("ADMIN"))
    page = admin.get("/admin/reservations/timeline", query_string={"type": type_id, "from": first})
    assert page.status_code == 200
    body = text(page)
    days = re.findall(r'<text x="([\d.]+)" [^>]*class="tl-day"[^>]*>([^<]+)</text>', body)
    xs = [float(x) - 3 for x, _ in days]
    bars = re.findall(r'<rect x="([\d.]+)" [^>]*width="([\d.]+)" [^>]*class="tl-bar', body)
    return Timeline(
        body,
        [label for _, label in days],
        xs,
        xs[1] - xs[0],
        sorted((float(x), float(w)) for x, w in bars),
    )


def assert_one_equal_column_per_day(chart: Timeline, first: date) -> None:
    expected = [first + timedelta(days=i) for i in range(14)]
    assert chart.days == [f"{d:%a %d}" for d in expected]  # each day once
    assert all(abs((b - a) - chart.column) < 0.2 for a, b in pairwise(chart.xs))


def test_the_timeline_has_one_column_per_calendar_day_across_the_change(berlin_app, autumn):
    fleet = shop_fleet(units=1)
    first = autumn - timedelta(days=3)
    reserve(fleet, whole_days(autumn, autumn), PricingBasis.DAILY)  # the 25-hour Sunday
    monday = autumn + timedelta(days=1)
    reserve(fleet, whole_days(monday, monday), PricingBasis.DAILY)
    chart = timeline(berlin_app, fleet.type_id, first)
    assert_one_equal_column_per_day(chart, first)
    xs, column = chart.xs, chart.column
    assert len(chart.bars) == 2
    sunday, monday_bar = chart.bars
    # Each booked day fills exactly its own column: Sunday's 25 hours included.
    assert sunday[0] == pytest.approx(xs[3]) and sunday[1] == pytest.approx(column)
    assert monday_bar[0] == pytest.approx(xs[4]) and monday_bar[1] == pytest.approx(column)
    assert f"{first:%a %d %b %Y}" in chart.body  # the heading names the range


def test_the_timeline_has_one_column_per_calendar_day_across_the_spring_change(berlin_app, spring):
    """The 23-hour Sunday is one column like any other; a whole-day booking fills it exactly,
    and within the day x follows real time: 03:00 is 2 hours (2/23 of the column) after
    midnight, and 03:00–13:00 is 10 of its 23 hours."""
    fleet = shop_fleet(units=2)
    first = spring - timedelta(days=3)
    monday = spring + timedelta(days=1)
    reserve(fleet, whole_days(spring, spring), PricingBasis.DAILY)
    reserve(fleet, whole_days(monday, monday), PricingBasis.DAILY)
    reserve(fleet, TimeRange(at(spring, "03:00"), at(spring, "13:00")))
    chart = timeline(berlin_app, fleet.type_id, first)
    assert_one_equal_column_per_day(chart, first)
    xs, column = chart.xs, chart.column
    assert chart.bars == [
        pytest.approx((xs[3], column), abs=0.11),  # Sunday, all 23 hours
        pytest.approx((xs[3] + column * 2 / 23, column * 10 / 23), abs=0.11),
        pytest.approx((xs[4], column), abs=0.11),  # Monday from its local midnight
    ]


# --- the same days with BUSINESS_TIMEZONE=UTC: no clock changes, 24-hour days ------------------


@pytest.mark.parametrize("forward", [True, False], ids=["spring", "autumn"])
def test_in_utc_the_clock_change_weekends_are_ordinary_days(utc_app, forward):
    """The Berlin clock-change weekends priced and checked in UTC: whole days of 24 hours
    between UTC midnights, hours as on any day (02:00 exists, nothing happens twice), and not
    a word about clock changes."""
    sunday = next_change(forward).day
    saturday, monday = sunday - timedelta(days=1), sunday + timedelta(days=1)
    weekend = whole_days(saturday, sunday, UTC_ZONE)
    assert weekend.duration == timedelta(hours=48)
    fleet = shop_fleet(units=1)
    client = utc_app.test_client()
    reserve(fleet, whole_days(monday, monday, UTC_ZONE), PricingBasis.DAILY)
    page = client.get(f"/book/{fleet.slug}", query_string=daily(saturday, sunday))
    body = text(page)
    assert page.status_code == 200 and "1 of 1 free" in body
    assert f"{saturday:%a %d %b} – {sunday:%a %d %b} (whole days)" in body
    assert "2 days × €85.00" in body and "€170.00" in body and "hour × €15.00" not in body
    assert "quote-note" not in body and "clock change" not in body
    for start, end, hours in (("01:00", "04:00", 3), ("02:00", "04:00", 2), ("02:15", "04:15", 2)):
        page = client.get(f"/book/{fleet.slug}", query_string=hourly(sunday, start, end))
        body = text(page)
        assert page.status_code == 200 and "1 of 1 free" in body, (start, end)
        assert f"{sunday:%a %d %b}, {start}–{end}" in body
        assert f"{hours} hours × €15.00" in body and "quote-note" not in body
    # Sunday's last hour is 23:00–24:00 UTC, and it belongs to the weekend.
    reserve(fleet, TimeRange(weekend.end - timedelta(hours=1), weekend.end))
    taken = text(client.get(f"/book/{fleet.slug}", query_string=daily(saturday, sunday)))
    assert "NOT AVAILABLE" in taken and "None left" in taken


@pytest.mark.parametrize("forward", [True, False], ids=["spring", "autumn"])
def test_in_utc_the_timeline_has_24_hour_days_across_the_clock_change_dates(utc_app, forward):
    sunday = next_change(forward).day
    first, monday = sunday - timedelta(days=3), sunday + timedelta(days=1)
    fleet = shop_fleet(units=2)
    reserve(fleet, whole_days(sunday, sunday, UTC_ZONE), PricingBasis.DAILY)
    reserve(fleet, whole_days(monday, monday, UTC_ZONE), PricingBasis.DAILY)
    reserve(fleet, TimeRange(at(sunday, "03:00", UTC_ZONE), at(sunday, "15:00", UTC_ZONE)))
    chart = timeline(utc_app, fleet.type_id, first)
    assert_one_equal_column_per_day(chart, first)
    xs, column = chart.xs, chart.column
    assert chart.bars == [
        pytest.approx((xs[3], column), abs=0.11),
        pytest.approx((xs[3] + column / 8, column / 2), abs=0.11),  # 03:00–15:00 of 24 hours
        pytest.approx((xs[4], column), abs=0.11),
    ]
