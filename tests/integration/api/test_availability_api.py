"""GET /api/v1/availability on SQLite and PostgreSQL: for a type it answers what the availability
page (BookingFacade.check_availability) answers — free or not, how many, the quote, and for a
short request the page's alternatives (fewer, later, similar); for a kit what the cart's check
and the kit page say (whole kits free, the kit's price); bad periods are 422 problems with the
page's messages on the fields; a hidden or unknown type/kit is a 404."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest

from rental.booking import (
    BookingFacade,
    CheckAvailability,
    CheckCart,
    OrderLine,
    PricingBasis,
    parse_carried,
)
from rental.catalog import CatalogFacade, DefineKit, KitComponent, UpdateKit
from rental.extensions import db
from rental.shared.errors import ValidationError
from rental.shop import SaveShopSettings, ShopFacade
from tests.integration.api.conftest import assert_problem
from tests.support.daily import book, days, tomorrow
from tests.support.fleet import make_category, make_type


def ask(client, **params):
    return client.get("/api/v1/availability", query_string=params)


def money(value) -> dict:
    return {"amount": str(value.rounded().amount), "currency": value.currency}


def page_text(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


@pytest.fixture
def fleet(app):
    category = make_category()
    generators = make_type(units=3, category_id=category)
    similar = make_type(units=2, category_id=category, name="Generator")
    lights = make_type(units=4, name="Light", hourly="5.00", daily="30.00", weekly=None)
    db.session.remove()
    return generators, similar, lights


def test_a_type_gets_the_answer_of_the_availability_page_for_several_periods(fleet, client):
    generators, _, _ = fleet
    d = tomorrow()
    book(generators.type_id, days(d + timedelta(2), d + timedelta(3)), 2)
    book(generators.type_id, days(d + timedelta(5), d + timedelta(5)), 3)
    db.session.remove()
    booking = BookingFacade()
    cases = [(1, 1, 1), (2, 3, 1), (2, 3, 2), (5, 5, 1), (1, 2, 3)]  # first, last, quantity
    for first, last, quantity in cases:
        start, end = d + timedelta(first), d + timedelta(last)
        response = ask(
            client,
            equipment_type=generators.slug,
            start=start.isoformat(),
            end=end.isoformat(),
            quantity=quantity,
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        expected = booking.check_availability(
            CheckAvailability(generators.type_id, days(start, end), quantity, PricingBasis.DAILY)
        )
        assert body["basis"] == "daily" and body["quantity"] == quantity
        assert body["available"] is expected.is_available
        assert body["remaining_capacity"] == expected.remaining_capacity
        assert body["total_capacity"] == expected.total_capacity == 3
        assert body["quote"]["total"] == money(expected.quote.total)
        assert body["quote"]["deposit"] == money(expected.quote.deposit)
        assert [line["label"] for line in body["quote"]["lines"]] == [
            line.label for line in expected.quote.lines
        ]
        # The page says the same thing in words.
        page = page_text(
            client.get(
                f"/book/{generators.slug}",
                query_string={
                    "basis": "daily",
                    "start_date": start.isoformat(),
                    "end_date": end.isoformat(),
                    "quantity": quantity,
                },
            )
        )
        if expected.is_available:
            assert body["alternatives"] is None
            assert f"{expected.remaining_capacity} of 3 free" in page
        else:
            alt = expected.alternatives
            assert body["alternatives"]["fewer"] == (
                alt.max_quantity if 0 < alt.max_quantity < quantity else None
            )
            assert [s["slug"] for s in body["alternatives"]["similar"]] == [
                s.slug for s in alt.similar
            ]
            if alt.earliest_period:
                assert body["alternatives"]["later"]["text"] in page
            for option in body["alternatives"]["similar"]:
                assert option["name"] in page


def test_a_short_request_gets_fewer_later_and_similar_like_the_page(fleet, client):
    generators, similar, _ = fleet
    d = tomorrow()
    book(generators.type_id, days(d + timedelta(1), d + timedelta(1)), 2)
    db.session.remove()
    body = ask(
        client, equipment_type=generators.slug, start=(d + timedelta(1)).isoformat(), quantity=2
    ).get_json()
    assert body["available"] is False and body["remaining_capacity"] == 1
    alternatives = body["alternatives"]
    assert alternatives["fewer"] == 1
    # The same day of the next day is free for both: the page's "All 2 from …".
    later = alternatives["later"]
    assert later["start"].startswith((d + timedelta(2)).isoformat())
    assert alternatives["similar"] == [
        {
            "slug": similar.slug,
            "name": CatalogFacade().get_equipment_type_details(similar.type_id).name,
            "remaining_capacity": 2,
        }
    ]
    page = page_text(
        client.get(
            f"/book/{generators.slug}",
            query_string={
                "basis": "daily",
                "start_date": (d + timedelta(1)).isoformat(),
                "end_date": (d + timedelta(1)).isoformat(),
                "quantity": 2,
            },
        )
    )
    assert "Only 1 left" in page and "Book the 1 that is free" in page
    assert f"All 2 from {later['text']}" in page


def test_an_hourly_period_with_an_offset_is_the_same_instant(fleet, client):
    generators, _, _ = fleet
    booking = BookingFacade()
    tz = booking.policy.timezone
    d = tomorrow()
    start = f"{d.isoformat()}T10:00"
    end = f"{d.isoformat()}T13:30"
    local = ask(client, equipment_type=generators.slug, start=start, end=end).get_json()
    req = parse_carried({"start": start, "end": end}, booking.policy, booking.now())
    offset = req.period.start.astimezone(tz).isoformat()[-6:]
    instant = ask(
        client, equipment_type=generators.slug, start=start + offset, end=end + offset
    ).get_json()
    assert local == instant
    assert local["basis"] == "hourly" and local["available"] is True
    expected = booking.check_availability(
        CheckAvailability(generators.type_id, req.period, 1, PricingBasis.HOURLY)
    )
    assert local["quote"]["total"] == money(expected.quote.total)  # 4 started hours
    assert local["needs_approval"] is False


def test_bad_periods_are_422_with_the_pages_messages(fleet, client):
    generators, _, _ = fleet
    booking = BookingFacade()
    d = tomorrow()

    def page_errors(**args) -> dict[str, str]:
        req = parse_carried(args, booking.policy, booking.now())
        if req.errors:
            return req.errors
        try:
            booking.check_availability(
                CheckAvailability(generators.type_id, req.period, req.qty, req.basis)
            )
        except ValidationError as exc:
            return exc.errors
        raise AssertionError("the page accepts it")

    day, hour = d.isoformat(), f"{d.isoformat()}T"
    cases = [
        # end before start
        ({"start": hour + "15:00", "end": hour + "10:00"}, "end"),
        # in the past
        ({"start": "2001-01-01T10:00", "end": "2001-01-01T12:00"}, "start"),
        # too long (beyond the longest rental)
        ({"basis": "daily", "start_date": day,
          "end_date": (d + timedelta(days=400)).isoformat()}, None),
        # not a date
        ({"basis": "daily", "start_date": "soon", "end_date": day}, "start"),
    ]  # fmt: skip
    for args, field in cases:
        params = {
            "start": args.get("start") or args.get("start_date"),
            "end": args.get("end") or args.get("end_date"),
        }
        if "basis" in args:
            params["basis"] = args["basis"]
        problem = assert_problem(ask(client, equipment_type=generators.slug, **params), 422)
        expected = page_errors(**args)
        got = {e["field"]: e["message"] for e in problem["errors"]}
        assert got == {{"start_date": "start", "end_date": "end"}.get(k, k): v
                       for k, v in expected.items()}, args  # fmt: skip
        if field:
            assert field in got


def test_outside_opening_hours_and_under_the_minimum_rental_are_422(app, client):
    week = tuple(("08:00", "18:00") for _ in range(7))
    ShopFacade().save_settings(SaveShopSettings(name="Shop", week=week))
    long_minimum = make_type(units=1, minimum=timedelta(hours=4))
    db.session.remove()
    day = tomorrow().isoformat()
    night = assert_problem(
        ask(client, equipment_type=long_minimum.slug, start=f"{day}T19:00", end=f"{day}T23:00"),
        422,
    )
    fields = {e["field"] for e in night["errors"]}
    assert fields & {"start", "end"}
    assert "open" in night["detail"].lower() or "hours" in night["detail"].lower()
    short = assert_problem(
        ask(client, equipment_type=long_minimum.slug, start=f"{day}T09:00", end=f"{day}T10:00"),
        422,
    )
    assert short["errors"][0]["field"] == "end"
    assert "4 hours" in short["errors"][0]["message"]


def test_naming_neither_or_both_is_422_and_unknown_or_hidden_is_404(fleet, client):
    generators, _, _ = fleet
    day = tomorrow().isoformat()
    neither = assert_problem(ask(client, start=day), 422, "validation")
    assert {e["field"] for e in neither["errors"]} == {"equipment_type", "kit"}
    assert_problem(ask(client, equipment_type=generators.slug, kit="x", start=day), 422)
    assert_problem(ask(client, equipment_type="no-such-thing", start=day), 404)
    assert_problem(ask(client, kit="no-such-kit", start=day), 404)
    assert_problem(ask(client, equipment_type=generators.slug, start=day, quantity=0), 422)
    assert_problem(ask(client, equipment_type=generators.slug, start=day, colour="red"), 422)


def test_a_kit_gets_the_carts_answer_and_the_kit_pages_count(fleet, client):
    generators, _, lights = fleet
    kit_id = CatalogFacade().define_kit(
        DefineKit(
            name="Event power kit",
            slug="event-power",
            description="Stage power.",
            discount_percent=Decimal("10"),
            components=(KitComponent(generators.type_id, 1), KitComponent(lights.type_id, 2)),
        )
    )
    d = tomorrow()
    book(lights.type_id, days(d + timedelta(1), d + timedelta(1)), 3)  # 1 light left: 0 kits
    db.session.remove()
    booking = BookingFacade()
    for first, quantity in ((2, 1), (2, 2), (2, 4), (1, 1)):
        start = d + timedelta(first)
        body = ask(client, kit="event-power", start=start.isoformat(), quantity=quantity)
        assert body.status_code == 200, body.get_data(as_text=True)
        body = body.get_json()
        check = booking.check_cart(
            CheckCart(days(start, start), PricingBasis.DAILY, (OrderLine(quantity, kit_id=kit_id),))
        ).lines[0]
        assert body["item"]["kind"] == "kit" and body["total_capacity"] is None
        assert body["available"] is check.fits
        assert body["remaining_capacity"] == check.free_for_line
        assert body["quote"]["total"] == money(check.total)
        assert any("10 % kit discount" in x["label"] for x in body["quote"]["discounts"])
        page = page_text(
            client.get(
                "/catalog/kits/event-power",
                query_string={"start_date": start.isoformat(), "quantity": quantity},
            )
        )
        free = body["remaining_capacity"]
        if free == 0:
            assert "Booked out" in page and body["alternatives"] == {
                "fewer": None, "later": None, "similar": []
            }  # fmt: skip
        elif free < quantity:
            assert f"Only {free} free" in page and body["alternatives"]["fewer"] == free
        else:
            assert f"{free} free" in page and body["alternatives"] is None
    CatalogFacade().update_kit(
        UpdateKit(
            kit_id=kit_id,
            name="Event power kit",
            slug="event-power",
            description="Stage power.",
            discount_percent=Decimal("10"),
            components=(KitComponent(generators.type_id, 1), KitComponent(lights.type_id, 2)),
            active=False,
        )
    )
    db.session.remove()
    assert_problem(ask(client, kit="event-power", start=d.isoformat()), 404)
