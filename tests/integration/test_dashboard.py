"""The staff dashboard (/admin) on SQLite and PostgreSQL: today's pick-ups and returns with the
customer's phone, the holds awaiting confirmation, the utilisation heat-map for a known fleet
and bookings, net revenue per day (refunds subtracted, reversed entries not counted, days of
the business time zone), the top customers by lifetime value with their tier (CRM), outbox
health, staff only, and a statement budget that does not grow with the number of types."""

from __future__ import annotations

import html
import re
import secrets
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from rental.booking import (
    BookingChannel,
    BookingFacade,
    CreateReservation,
    PricingBasis,
)
from rental.extensions import db
from rental.payments import Account, Method, PaymentsFacade
from rental.shared import local_time
from rental.shared.outbox import OutboxMessageEntity, OutboxProcessor
from rental.shared.time_range import TimeRange, utcnow
from tests.integration.payments.test_cash_up import at, refund, reverse
from tests.integration.payments.test_ledger import confirmed_order, drain, pay
from tests.support.auth import create_staff, sign_in
from tests.support.fleet import make_customer, make_type
from tests.support.statements import statements

BERLIN = ZoneInfo("Europe/Berlin")


def words(response) -> str:
    text = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(text).split())


def book(type_id: str, period: TimeRange, quantity: int = 1, customer: str | None = None) -> str:
    booking = BookingFacade()
    rid = booking.create_reservation(
        CreateReservation(
            customer or make_customer(),
            type_id,
            period,
            quantity,
            PricingBasis.HOURLY,
            secrets.token_urlsafe(24),
            channel=BookingChannel.STAFF,
        )
    )
    booking.confirm_reservation(rid)
    return rid


def day_at(day: date, hour: int, tz=UTC) -> datetime:
    return local_time.resolve(datetime.combine(day, datetime.min.time()).replace(hour=hour), tz)


def local_today(tz=UTC) -> date:
    return utcnow().astimezone(tz).date()


# --- access -------------------------------------------------------------------------------------


def test_staff_only(app, client, staff_client):
    anonymous = client.get("/admin/")
    assert anonymous.status_code in (302, 303, 401, 403)
    if anonymous.status_code in (302, 303):
        assert "/login" in anonymous.headers["Location"]
    page = staff_client.get("/admin/")
    assert page.status_code == 200
    body = words(page)
    # The empty states teach.
    assert "No equipment types yet" in body
    assert "No payments in the last 30 days" in body
    assert "No pick-ups today" in body and "No returns due today" in body
    assert "Nothing awaits confirmation" in body
    assert "No customer has paid anything yet" in body


# --- utilisation --------------------------------------------------------------------------------


def test_heat_map_values_for_a_known_fleet(app, staff_client):
    lifts = make_type(units=4, name="Scissor lift")
    make_type(units=2, name="Generator")
    tomorrow = local_today() + timedelta(days=1)
    book(lifts.type_id, TimeRange(day_at(tomorrow, 9), day_at(tomorrow, 12)), 2)
    # Back to back on the same day is still 2 at once at most, not 3.
    book(lifts.type_id, TimeRange(day_at(tomorrow, 12), day_at(tomorrow, 15)), 1)
    # Three days from 10:00 to 10:00: on the first, the middle and the last day.
    after = tomorrow + timedelta(days=2)
    book(lifts.type_id, TimeRange(day_at(after, 10), day_at(after + timedelta(days=2), 10)), 4)
    days = [local_today() + timedelta(days=i) for i in range(6)]
    found = BookingFacade().daily_utilisation(
        [lifts.type_id], [TimeRange(day_at(d, 0), day_at(d + timedelta(days=1), 0)) for d in days]
    )
    db.session.rollback()
    assert found[lifts.type_id].capacity == 4
    assert found[lifts.type_id].booked == (0, 2, 0, 4, 4, 4)
    page = staff_client.get("/admin/")
    text = page.get_data(as_text=True)
    svg = re.search(r'<svg id="utilisation-chart".*?</svg>', text, re.S).group(0)
    assert 'role="img"' in svg and "<title" in svg
    assert svg.count("<rect") == 2 * 14 + 6  # 14 days × 2 types, and the legend
    assert f"Scissor lift {lifts.slug.rsplit('-', 1)[-1]}" in svg or "Scissor lift" in svg
    assert re.search(r"Scissor lift \d+, \w{3} \d\d \w{3}: 2 of 4 units booked \(50 %\)", svg)
    assert "0 of 2 units booked (0 %)" in svg
    # The table alternative says the same.
    table = re.search(r'<details id="utilisation-table">.*?</details>', text, re.S).group(0)
    assert "2 (50 %)" in table and "4 (100 %)" in table
    assert re.search(
        r"<th scope=\"row\">Scissor lift \d+</th><td>4</td><td class=\"num\">0 \(0 %\)</td>"
        r"<td class=\"num\">2 \(50 %\)</td>",
        table,
    )


# --- revenue ------------------------------------------------------------------------------------


def test_revenue_per_local_day_net_of_refunds_and_reversals(app):
    _, order_id = confirmed_order()
    day = date(2026, 10, 12)
    moves = {
        # Berlin (CEST, UTC+2): 23:30 UTC on the 11th is 01:30 on the 12th.
        pay(order_id, "30", method=Method.CASH): datetime(2026, 10, 11, 23, 30, tzinfo=UTC),
        pay(order_id, "20", method=Method.CARD_TERMINAL): datetime(2026, 10, 12, 9, tzinfo=UTC),
        refund(order_id, "10"): datetime(2026, 10, 12, 10, tzinfo=UTC),
        # 22:30 UTC on the 12th is 00:30 on the 13th in Berlin.
        pay(order_id, "7", method=Method.CASH): datetime(2026, 10, 12, 22, 30, tzinfo=UTC),
        # 21:30 UTC on the 11th is 23:30 on the 11th in Berlin.
        pay(order_id, "5", method=Method.CASH): datetime(2026, 10, 11, 21, 30, tzinfo=UTC),
    }
    # A deposit taken and given back is held money, not revenue (the cash-up counts it).
    deposit = pay(order_id, "200", account=Account.DEPOSIT, confirmed=frozenset({"more_than_due"}))
    moves[deposit] = datetime(2026, 10, 12, 8, tzinfo=UTC)
    twice = pay(order_id, "10", method=Method.CASH)
    moves[twice] = datetime(2026, 10, 12, 11, tzinfo=UTC)
    reversal = reverse(order_id, twice)
    moves[reversal] = datetime(2026, 10, 12, 12, tzinfo=UTC)
    for entry_id, when in moves.items():
        at(entry_id, when)
    revenue = PaymentsFacade().revenue_by_day(
        day - timedelta(days=1), day + timedelta(days=1), BERLIN, "EUR"
    )
    db.session.rollback()
    assert [(d.day, d.net.amount) for d in revenue.days] == [
        (date(2026, 10, 11), Decimal("5")),
        (date(2026, 10, 12), Decimal("40")),  # 30 + 20 − 10; the reversed 10 not counted
        (date(2026, 10, 13), Decimal("7")),
    ]
    assert revenue.total(day, day + timedelta(days=1)).amount == Decimal("47")
    # The cash-up of each day says the same, but for the deposit.
    for d in revenue.days:
        [totals] = PaymentsFacade().cash_up(d.day, BERLIN).totals
        held = Decimal("200") if d.day == day else Decimal(0)
        assert totals.net.amount == d.net.amount + held
    db.session.rollback()
    in_utc = PaymentsFacade().revenue_by_day(day, day, UTC, "EUR")
    db.session.rollback()
    assert in_utc.days[0].net.amount == Decimal("17")  # 20 − 10 + 7 (the 22:30 one)


def test_revenue_chart_and_months_on_the_page(app, staff_client):
    _, order_id = confirmed_order()
    today = local_today()
    yesterday = today - timedelta(days=1)
    at(pay(order_id, "40"), day_at(today, 0) + timedelta(minutes=1))
    at(pay(order_id, "25"), day_at(yesterday, 12))
    at(refund(order_id, "5"), day_at(yesterday, 13))
    _, other_order = confirmed_order()
    at(pay(other_order, "60"), day_at(today - timedelta(days=45), 12))  # not in the 30 days
    first_of_month = today.replace(day=1)
    last_month = (first_of_month - timedelta(days=1)).replace(day=1)
    page = staff_client.get("/admin/")
    body = words(page)
    text = page.get_data(as_text=True)
    assert "Rental revenue in the last 30 days: €60.00" in body
    svg = re.search(r'<svg id="revenue-chart".*?</svg>', text, re.S).group(0)
    assert 'role="img"' in svg
    assert svg.count('class="bar"') + svg.count('class="bar-negative"') == 30
    assert f"{today.strftime('%a %d %b')}: €40.00" in svg
    assert f"{yesterday.strftime('%a %d %b')}: €20.00" in svg
    assert re.search(r'<text [^>]*class="chart-label"[^>]*>€\d', svg)  # a labelled value axis
    table = re.search(r'<details id="revenue-table">.*?</details>', text, re.S).group(0)
    assert f'{today.strftime("%a %d %b %Y")}</a></td><td class="num">€40.00' in table
    this_month = sum(
        amount for day, amount in ((today, 40), (yesterday, 20)) if day >= first_of_month
    )
    assert f"{first_of_month:%B} 1–{today.day}: €{this_month:.2f}" in body
    last_whole = 60 if (today - timedelta(days=45)) >= last_month else 0
    last_whole += 20 if last_month <= yesterday < first_of_month else 0
    assert f"{last_month:%B} in all: €{last_whole:.2f}" in body
    assert 'id="month-chart"' in text


def test_day_boundaries_follow_the_business_time_zone(berlin_app):
    client = sign_in(berlin_app.test_client(), create_staff("STAFF"))
    _, order_id = confirmed_order()
    today = local_today(BERLIN)
    # Just after local midnight: today in Berlin, yesterday in UTC.
    at(pay(order_id, "12"), day_at(today, 0, BERLIN) + timedelta(minutes=5))
    at(pay(order_id, "8"), day_at(today, 0, BERLIN) - timedelta(minutes=5))
    svg = re.search(
        r'<svg id="revenue-chart".*?</svg>', client.get("/admin/").get_data(as_text=True), re.S
    ).group(0)
    assert f"{today.strftime('%a %d %b')}: €12.00" in svg
    yesterday = today - timedelta(days=1)
    assert f"{yesterday.strftime('%a %d %b')}: €8.00" in svg


# --- today and the outbox -----------------------------------------------------------------------


def test_today_lists_pick_ups_and_returns_with_phone_and_outbox_health(app, staff_client):
    fleet = make_type(units=3, name="Mixer")
    today = local_today()
    now = utcnow()
    # The next quarter hour at least 15 minutes away (bookings start on the 15-minute mark).
    start = (now + timedelta(minutes=30)).replace(second=0, microsecond=0)
    start -= timedelta(minutes=start.minute % 15)
    end_today = day_at(today + timedelta(days=1), 0) - timedelta(minutes=15)
    if end_today - start < timedelta(hours=1):
        pytest.skip("too close to midnight for a pick-up and a return later today")
    customer = make_customer()
    pick_up = book(fleet.type_id, TimeRange(start, start + timedelta(days=2)), 1, customer)
    same_day = book(fleet.type_id, TimeRange(start, end_today))
    drain()
    # Outbox: one message made old, one retrying, one dead.
    m = OutboxMessageEntity
    ids = list(db.session.scalars(db.select(m.id).order_by(m.id)))
    db.session.rollback()
    OutboxProcessor()  # the stats read from the table, not from a worker
    db.session.execute(
        update(m)
        .where(m.id == ids[0])
        .values(processed_at=None, dead_at=None, attempts=0, occurred_at=now - timedelta(hours=3))
    )
    db.session.execute(
        update(m).where(m.id == ids[1]).values(processed_at=None, dead_at=None, attempts=2)
    )
    db.session.execute(update(m).where(m.id == ids[2]).values(processed_at=None, dead_at=now))
    db.session.commit()
    stats = OutboxProcessor().stats(delivered=False)
    db.session.rollback()
    assert (stats.pending, stats.retrying, stats.dead) == (1, 1, 1)
    page = staff_client.get("/admin/")
    text = page.get_data(as_text=True)
    body = words(page)
    reference = BookingFacade().get_reservation(pick_up).reference
    db.session.rollback()
    pick_ups = re.search(r'<table class="dense" id="pick-ups">.*?</table>', text, re.S).group(0)
    assert reference in pick_ups and 'href="tel:+49301234567"' in pick_ups
    assert "Test Customer" in pick_ups
    assert f"{start.astimezone(UTC):%H:%M}" in pick_ups
    returns = re.search(r'<table class="dense" id="returns">.*?</table>', text, re.S)
    same_reference = BookingFacade().get_reservation(same_day).reference
    db.session.rollback()
    assert returns and same_reference in returns.group(0)
    assert same_reference in pick_ups
    assert reference not in returns.group(0)
    assert "1 waiting 1 retrying 1 dead oldest waiting 3 h 0 min" in body
    assert 'action="/admin/outbox/requeue"' in text and "Requeue all 1 dead message" in body


# --- holds and top customers ---------------------------------------------------------------------


def test_holds_awaiting_confirmation_are_listed_with_the_customer(app, staff_client):
    fleet = make_type(units=2, name="Breaker")
    customer = make_customer()
    tomorrow = local_today() + timedelta(days=1)
    hold = BookingFacade().create_reservation(
        CreateReservation(
            customer,
            fleet.type_id,
            TimeRange(day_at(tomorrow, 9), day_at(tomorrow, 12)),
            1,
            PricingBasis.HOURLY,
            secrets.token_urlsafe(24),
        )
    )
    reference = BookingFacade().get_reservation(hold).reference
    db.session.rollback()
    page = staff_client.get("/admin/")
    text = page.get_data(as_text=True)
    table = re.search(r'<table class="dense" id="holds-table">.*?</table>', text, re.S).group(0)
    assert reference in table and "Test Customer" in table and "held until" in table
    assert 'href="tel:+49301234567"' in table and "1 × Breaker" in table
    assert "Awaiting confirmation (1)" in words(page)


def test_top_customers_by_lifetime_value_with_their_tier(app, staff_client):
    from rental.contracts.payments import PaymentReceived
    from tests.integration.crm.test_projections import emit, ledger_event
    from tests.integration.crm.test_staff_pages import completed

    customers = [make_customer() for _ in range(6)]
    emit(
        *(
            ledger_event(PaymentReceived, c, str(100 * (n + 1)), f"entry-{n}")
            for n, c in enumerate(customers)
        ),
        *completed(customers[5], "6000", "gold"),
        *completed(customers[4], "1500", "silver"),
    )
    page = staff_client.get("/admin/")
    text = page.get_data(as_text=True)
    table = re.search(r'<table [^>]*id="top-customers">.*?</table>', text, re.S).group(0)
    rows = re.findall(r"<tr><td.*?</tr>", table, re.S)
    assert len(rows) == 5  # the top five; the sixth is on the list page
    expected = [(5, "Gold", 600, "€600.00"), (4, "Silver", 150, "€500.00")]
    expected += [(n, "Bronze", 0, f"€{100 * (n + 1)}.00") for n in (3, 2, 1)]
    for row, (n, tier, points, value) in zip(rows, expected, strict=True):
        assert f'href="/admin/customers/{customers[n]}"' in row
        assert f">{tier}</span>" in row and f">{points}</td>" in row and value in row
    assert customers[0] not in table
    assert 'href="/admin/crm/customers" id="all-top-customers">All 6 customers' in text


# --- how fast -------------------------------------------------------------------------------------


def _seed(types: int) -> None:
    """`types` types, each with a booking picked up later today (so the lists, the customers
    and the type names are read) and one tomorrow, and a payment."""
    tomorrow = local_today() + timedelta(days=1)
    start = (utcnow() + timedelta(minutes=30)).replace(second=0, microsecond=0)
    start -= timedelta(minutes=start.minute % 15)
    _, order_id = confirmed_order()
    pay(order_id, "10")
    for _ in range(types):
        fleet = make_type(units=2)
        book(fleet.type_id, TimeRange(start, start + timedelta(hours=2)))
        book(fleet.type_id, TimeRange(day_at(tomorrow, 9), day_at(tomorrow, 17)))
    drain()


def _count(client) -> list[str]:
    client.get("/admin/")  # warm caches (settings, session user)
    with statements() as seen:
        assert client.get("/admin/").status_code == 200
    return seen


def test_statement_budget_does_not_grow_with_the_number_of_types(app, staff_client):
    """30 statements today, among them CRM's top customers (a count and a page) — their names
    come with the other customers' in one read — and one COUNT of the webhook endpoints the
    worker switched off (the alert)."""
    _seed(1)
    few = _count(staff_client)
    _seed(6)
    many = _count(staff_client)
    assert len(many) == len(few), "\n".join(many)
    assert len(few) <= 30, "\n".join(few)
