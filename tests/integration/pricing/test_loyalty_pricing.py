"""Loyalty pricing (issue 13) on SQLite and PostgreSQL: a known customer's CRM tier is a
discount line of the quote (Silver 5 %, Gold 10 % by default, set on /admin/shop), frozen
with the booking: the online review page, the ledger's rental charge, a staff order; Bronze,
an unknown e-mail and an anonymous visitor get none; a change of period re-quotes with the
customer's current tier. The tier comes from CRM's own event handlers (the real outbox)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal

import pytest

from rental.booking import (
    BookingChannel,
    BookingFacade,
    ChangeReservation,
    CreateReservation,
    ListReservations,
    PricingBasis,
)
from rental.catalog import CatalogFacade, DefineKit, KitComponent
from rental.contracts.booking import ReservationCompleted, ReservationConfirmed
from rental.crm import CRMFacade, Tier
from rental.extensions import db
from rental.payments import PaymentsFacade
from rental.shared import outbox
from rental.shared.db import unit_of_work
from rental.shared.money import Money
from rental.shared.outbox import OutboxProcessor
from rental.shared.time_range import TimeRange
from rental.shop import SaveShopSettings, ShopFacade
from tests.integration.booking.test_booking_pages import DETAILS
from tests.support.auth import csrf_token
from tests.support.fleet import make_customer, make_type, tomorrow_at

PERIOD = TimeRange(tomorrow_at(9), tomorrow_at(13))  # 4 hours x EUR 20.00 = EUR 80.00
MINUS = "\u2212"
# A completed rental of this total earns the tier (1 point per 10): Silver 101+, Gold 501+.
TIER_TOTALS = {"Bronze": "500.00", "Silver": "1500.00", "Gold": "6000.00"}


def drain() -> None:
    processor = OutboxProcessor()
    while processor.drain_once().claimed:
        pass


def earn(customer_id: str, tier: str) -> None:
    """The customer's tier as CRM's handlers make it: one completed rental of a total."""
    fields = dict(
        reservation_id=f"past-{secrets.token_hex(4)}",
        reference="R-PAST",
        customer_id=customer_id,
        equipment_type_id="type-past",
        period=TimeRange(tomorrow_at(9, days=-30), tomorrow_at(13, days=-30)),
        quantity=1,
        total=Money(Decimal(TIER_TOTALS[tier]), "EUR"),
        order_id=f"order-past-{secrets.token_hex(4)}",
        order_reference="O-PAST",
    )
    with unit_of_work():
        outbox.record(ReservationConfirmed(**fields, sequence=1))
        outbox.record(ReservationCompleted(**fields, sequence=2))
    drain()
    assert CRMFacade().get_customer_loyalty_status(customer_id).tier is Tier[tier.upper()]
    db.session.rollback()


def customer_of(tier: str | None, email: str | None = None) -> str:
    customer_id = make_customer(email)
    if tier:
        earn(customer_id, tier)
    return customer_id


def book(customer_id: str, type_id: str, *, confirm: bool = True) -> str:
    booking = BookingFacade()
    rid = booking.create_reservation(
        CreateReservation(
            customer_id,
            type_id,
            PERIOD,
            1,
            PricingBasis.HOURLY,
            secrets.token_urlsafe(24),
            channel=BookingChannel.STAFF,
        )
    )
    if confirm:
        booking.confirm_reservation(rid)
    return rid


def online_review(client, slug: str, email: str) -> str:
    params = {
        "basis": "hourly",
        "start": PERIOD.start.strftime("%Y-%m-%dT%H:%M"),
        "end": PERIOD.end.strftime("%Y-%m-%dT%H:%M"),
        "quantity": "1",
    }
    form = {**params, **DETAILS, "email": email, "csrf_token": csrf_token(client, "/")}
    made = client.post(f"/book/{slug}/details", data=form)
    assert made.status_code == 303, made.get_data(as_text=True)
    assert "/book/review/" in made.headers["Location"]
    return client.get(made.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize(
    ("tier", "label", "total"),
    [
        ("Silver", f"Silver member {MINUS}5 %", "76.00"),
        ("Gold", f"Gold member {MINUS}10 %", "72.00"),
        ("Bronze", None, "80.00"),
        (None, None, "80.00"),  # a customer CRM has never seen
    ],
)
def test_the_online_review_shows_the_tier_discount_and_the_booking_keeps_it(
    app, client, tier, label, total
):
    fleet = make_type(hourly="20.00", deposit="200.00")
    email = f"loyal-{secrets.token_hex(4)}@example.com"
    customer_id = customer_of(tier, email)
    body = online_review(client, fleet.slug, email)
    if label:
        assert label in body
    else:
        assert "member" not in body
    # The frozen quote: the discount on the rental only, the deposit as it was.
    page = BookingFacade().list_reservations(
        ListReservations(customer_id=customer_id, equipment_type_id=fleet.type_id)
    )
    [frozen] = [r.quote for r in page.items]
    assert frozen.subtotal == Money(Decimal("80.00"), "EUR")
    assert frozen.total == Money(Decimal(total), "EUR")
    assert frozen.deposit == Money(Decimal("200.00"), "EUR")
    assert [d.label for d in frozen.discounts] == ([label] if label else [])


def test_an_anonymous_quote_has_no_discount(app, client):
    fleet = make_type(hourly="20.00")
    params = {
        "basis": "hourly",
        "start": PERIOD.start.strftime("%Y-%m-%dT%H:%M"),
        "end": PERIOD.end.strftime("%Y-%m-%dT%H:%M"),
        "quantity": "1",
    }
    body = client.get(f"/book/{fleet.slug}", query_string=params).get_data(as_text=True)
    assert "€80.00" in body and "member" not in body


def test_the_ledger_charges_the_discounted_total(app):
    customer_id = customer_of("Gold")
    rid = book(customer_id, make_type(hourly="20.00", deposit=None).type_id)
    drain()
    reservation = BookingFacade().get_reservation(rid)
    ledger = PaymentsFacade().get_ledger(reservation.order_id or reservation.id)
    db.session.rollback()
    assert reservation.quote.total == Money(Decimal("72.00"), "EUR")
    assert ledger.accounts["rental"].charged == Money(Decimal("72.00"), "EUR")


def test_the_shop_sets_the_percentages(app, admin_client):
    settings = ShopFacade().get_settings()
    assert (settings.loyalty_silver_percent, settings.loyalty_gold_percent) == (5, 10)
    ShopFacade().save_settings(
        SaveShopSettings(name="Hafen Hire", loyalty_silver="7.5", loyalty_gold="12")
    )
    assert ShopFacade().get_settings().name == "Hafen Hire"  # the other fields as typed
    customer_id = customer_of("Silver")
    quote = (
        BookingFacade()
        .get_reservation(book(customer_id, make_type(hourly="20.00").type_id, confirm=False))
        .quote
    )
    assert [(d.label, d.amount) for d in quote.discounts] == [
        (f"Silver member {MINUS}7.5 %", Money(Decimal("-6.00"), "EUR"))
    ]
    page = admin_client.get("/admin/shop/").get_data(as_text=True)
    assert 'id="loyalty_silver"' in page and 'value="7.5"' in page and 'value="12"' in page


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("loyalty_silver", "51", "from 0 to 50"),
        ("loyalty_gold", "-1", "from 0 to 50"),
        ("loyalty_gold", "ten", "from 0 to 50"),
        ("loyalty_silver", "NaN", "from 0 to 50"),
        ("loyalty_silver", "5.125", "two decimals"),
        ("loyalty_gold", "1e400", "from 0 to 50"),
    ],
)
def test_bad_percentages_are_explained_and_nothing_is_saved(app, admin_client, field, value, words):
    token = csrf_token(admin_client, "/admin/shop/")
    response = admin_client.post(
        "/admin/shop/", data={"name": "Hafen Hire", field: value, "csrf_token": token}
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert f'id="{field}-error"' in body and words in body
    db.session.rollback()
    assert ShopFacade().get_settings().name == ""


def test_a_change_of_period_requotes_with_the_current_tier(app):
    customer_id = customer_of(None)
    rid = book(customer_id, make_type(hourly="20.00").type_id)
    assert BookingFacade().get_reservation(rid).quote.discounts == ()
    earn(customer_id, "Silver")
    longer = TimeRange(PERIOD.start, PERIOD.start + timedelta(hours=5))  # EUR 100.00
    BookingFacade().change_reservation(ChangeReservation(rid, longer, 1))
    quote = BookingFacade().get_reservation(rid).quote
    assert quote.subtotal == Money(Decimal("100.00"), "EUR")
    assert quote.total == Money(Decimal("95.00"), "EUR")


def test_a_staff_order_shows_the_discount(app, admin_client):
    customer_id = customer_of("Gold")
    rid = book(customer_id, make_type(hourly="20.00").type_id)
    page = admin_client.get(f"/admin/reservations/{rid}").get_data(as_text=True)
    assert f"Gold member {MINUS}10 %" in page


def test_the_staff_order_form_prices_for_the_chosen_customer(app, admin_client):
    customer_id = customer_of("Gold")
    fleet = make_type(hourly="20.00", daily="120.00")
    booking = BookingFacade()
    today = booking.now().astimezone(booking.policy.timezone).date()
    form = {
        "item": f"type:{fleet.type_id}",
        "qty": "1",
        "basis": "daily",
        "start_date": (today + timedelta(days=3)).isoformat(),
        "end_date": (today + timedelta(days=3)).isoformat(),
    }
    with_customer = admin_client.get(
        "/admin/orders/new",
        query_string={**form, "customer": customer_id, "_block": "result"},
        headers={"HX-Request": "true"},
    ).get_data(as_text=True)
    assert f"incl. Gold member {MINUS}10 %" in with_customer
    assert "€108.00" in with_customer  # one day at 120.00, less 10 %
    anonymous = admin_client.get(
        "/admin/orders/new",
        query_string={**form, "_block": "result"},
        headers={"HX-Request": "true"},
    ).get_data(as_text=True)
    assert "member" not in anonymous and "€120.00" in anonymous
    # Booked: the order keeps it.
    token = csrf_token(admin_client, "/admin/orders/new")
    booked = admin_client.post(
        "/admin/orders/new",
        data={**form, "customer": customer_id, "action": "book", "csrf_token": token},
    )
    assert booked.status_code == 303, booked.get_data(as_text=True)
    page = admin_client.get(booked.headers["Location"]).get_data(as_text=True)
    assert f"Gold member {MINUS}10 %" in page


def test_a_kit_gets_the_loyalty_discount_after_its_own(app, admin_client):
    generators = make_type(units=3, name="Generator", daily="120.00", deposit="200.00")
    lights = make_type(units=5, name="Light tower", daily="45.00", weekly=None, deposit="50.00")
    kit_id = CatalogFacade().define_kit(
        DefineKit(
            name="Event power kit",
            slug=f"event-power-{secrets.token_hex(3)}",
            description="Stage power.",
            discount_percent=Decimal(10),
            components=(KitComponent(generators.type_id, 1), KitComponent(lights.type_id, 2)),
        )
    )
    customer_id = customer_of("Gold")
    booking = BookingFacade()
    day = (booking.now().astimezone(booking.policy.timezone).date() + timedelta(days=3)).isoformat()
    token = csrf_token(admin_client, "/admin/orders/new")
    booked = admin_client.post(
        "/admin/orders/new",
        data={
            "item": f"kit:{kit_id}",
            "qty": "1",
            "basis": "daily",
            "start_date": day,
            "end_date": day,
            "customer": customer_id,
            "action": "book",
            "csrf_token": token,
        },
    )
    assert booked.status_code == 303, booked.get_data(as_text=True)
    rid = booked.headers["Location"].rsplit("/", 1)[1]
    order = booking.get_order(booking.get_reservation(rid).order_id)
    quotes = [line.quote for line in order.lines]
    # Generator 120.00 and two light towers 90.00: less the kit's 10 %, then Gold's 10 %.
    assert [[d.label for d in q.discounts] for q in quotes] == [
        ["Event power kit: 10 % kit discount", f"Gold member {MINUS}10 %"]
    ] * 2
    assert [q.total for q in quotes] == [
        Money(Decimal("97.20"), "EUR"),
        Money(Decimal("72.90"), "EUR"),
    ]
    assert [q.deposit for q in quotes] == [
        Money(Decimal("200.00"), "EUR"),
        Money(Decimal("100.00"), "EUR"),
    ]
