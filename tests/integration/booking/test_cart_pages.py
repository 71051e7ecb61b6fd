"""The cart pages (/cart) with the Flask test client: add a type and a kit, change the shared
period (every line checked again), a line goes short and offers "Book the N", change and
remove lines, clear; bad input is a message or a 4xx, never a 500; plain posts redirect, htmx
posts get fragments; the page costs a bounded number of statements."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from rental.catalog import CatalogFacade, UpdateEquipmentType
from tests.support.auth import csrf_token
from tests.support.daily import book, days, tomorrow
from tests.support.fleet import make_type
from tests.support.statements import explain, statements

HTMX = {"HX-Request": "true"}


def text(response) -> str:
    return response.get_data(as_text=True)


def dates(first, last=None) -> dict[str, str]:
    return {
        "basis": "daily",
        "start_date": first.isoformat(),
        "end_date": (last or first).isoformat(),
    }


class Visitor:
    def __init__(self, client) -> None:
        self.client = client
        self.token = csrf_token(client, "/cart")

    def post(self, path: str, htmx: bool = False, **data):
        return self.client.post(
            path, data={"csrf_token": self.token, **data}, headers=HTMX if htmx else {}
        )

    def add(self, kind: str, item_id: str, quantity: int | str = 1, htmx=False, **more):
        return self.post("/cart/add", htmx, kind=kind, id=item_id, quantity=str(quantity), **more)

    def page(self) -> str:
        response = self.client.get("/cart")
        assert response.status_code == 200
        return text(response)


@pytest.fixture
def visitor(client):
    return Visitor(client)


def line(page: str, index: int) -> str:
    start = rf'<li class="cart-line[^"]*" id="cart-line-{index}">'
    match = re.search(start + r'(.*?)</li>\s*(<li class="cart-line|</ul>)', page, re.S)
    assert match, page
    return " ".join(match.group(1).split())


def test_the_empty_cart_teaches_and_the_header_says_nothing(visitor):
    page = visitor.page()
    assert "Your booking is empty" in page and 'href="/catalog"' in page
    assert "Booking (" not in page


def test_add_a_type_and_a_kit_then_see_both_checked_and_priced(visitor, shop):
    _generators, lights, kit_id = shop
    d = tomorrow() + timedelta(days=2)
    added = visitor.add("type", lights.type_id, 2, **dates(d))
    assert added.status_code == 303 and added.headers["Location"].endswith("/cart")
    assert visitor.add("kit", kit_id, 1).status_code == 303
    page = visitor.page()
    assert "Booking (2)" in page  # the header link
    assert "Added 1 × Event power kit to your booking." in page
    assert 'value="' + d.isoformat() + '"' in page  # the period the type page carried
    first, second = line(page, 0), line(page, 1)
    assert "Light tower" in first and "FREE" in first and "€90.00" in first
    # a kit: 1 generator (120) + 2 lights (90), each less 10 %
    assert "Event power kit" in second and "KIT" in second and "€189.00" in second
    assert 'id="cart-total">€279.00<' in page
    assert 'id="cart-deposit">€400.00<' in page  # 2 × 50 + 200 + 2 × 50
    # the lead's checkout step may not exist yet in this branch: the page says so, no crash
    assert 'id="cart-continue"' in page or 'id="cart-checkout-soon"' in page
    # a second add of the same item raises its quantity
    assert visitor.add("type", lights.type_id, 1).status_code == 303
    assert 'value="3"' in line(visitor.page(), 0)


def test_a_kit_by_slug_and_from_the_kit_and_type_pages(visitor, shop, client):
    generators, _lights, _ = shop
    d = tomorrow() + timedelta(days=1)
    kit_page = text(client.get(f"/catalog/kits/event-power?start_date={d}&end_date={d}"))
    assert "Add 1 × Event power kit to booking" in kit_page and "coming soon" not in kit_page
    type_page = text(client.get(f"/book/{generators.slug}?basis=daily&start_date={d}&end_date={d}"))
    assert 'action="/cart/add"' in type_page
    assert (
        visitor.post("/cart/add", kind="kit", slug="event-power", quantity="2").status_code == 303
    )
    assert "Event power kit" in line(visitor.page(), 0)


def test_changing_the_period_checks_every_line_again_and_a_short_line_offers_what_is_free(
    visitor, shop
):
    _generators, lights, kit_id = shop
    d = tomorrow() + timedelta(days=3)
    busy = d + timedelta(days=1)
    book(lights.type_id, days(busy, busy), 2)  # 3 lights left on `busy`
    visitor.add("type", lights.type_id, 2, **dates(d))
    visitor.add("kit", kit_id, 1)
    page = visitor.page()
    assert "cart-continue" in page or "cart-checkout-soon" in page
    moved = visitor.post("/cart/period", **dates(busy))
    assert moved.status_code == 303
    page = visitor.page()
    first, second = line(page, 0), line(page, 1)
    # 3 lights free; the kit takes 2 of them: 1 left for the light line (asked 2) — and the
    # kit is short too (3 - 2 for the light line = 1 < 2)
    assert "SHORT: 1 FREE" in first and "Book the 1 that is free" in first
    assert "with the rest of your booking counted" in first
    assert "from " in first and "moves the whole booking" in first  # a later period
    assert "NONE FREE" in second
    assert 'id="cart-not-ready"' in page and "cart-continue" not in page
    # take the suggestion: the light line becomes 1 and everything fits
    taken = visitor.post("/cart/lines/0/quantity", quantity="1", line=f"type:{lights.type_id}")
    assert taken.status_code == 303
    page = visitor.page()
    assert "FREE" in line(page, 0) and "SHORT" not in page and "cart-not-ready" not in page


def test_remove_and_clear(visitor, shop):
    generators, lights, kit_id = shop
    visitor.add("type", generators.type_id)
    visitor.add("type", lights.type_id)
    visitor.add("kit", kit_id)
    removed = visitor.post("/cart/lines/1/remove", line=f"type:{lights.type_id}")
    assert removed.status_code == 303
    page = visitor.page()
    assert "Booking (2)" in page and 'id="cart-line-2"' not in page
    assert "Generator" in line(page, 0) and "Event power kit" in line(page, 1)
    assert visitor.post("/cart/clear").status_code == 303
    page = visitor.page()
    assert "Your booking is empty" in page and "Booking (" not in page


def test_htmx_posts_answer_with_fragments_only(visitor, shop):
    generators, _lights, kit_id = shop
    added = visitor.add("type", generators.type_id, 1, htmx=True)
    assert added.status_code == 200
    body = text(added)
    assert "<html" not in body and "Added 1 × Generator" in body
    assert 'id="cart-nav" hx-swap-oob="true"' in body and "Booking (1)" in body
    visitor.add("kit", kit_id, 1, htmx=True)
    changed = visitor.post("/cart/lines/0/quantity", True, quantity="2")
    body = text(changed)
    assert changed.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith('<div id="cart-checked"') and 'id="cart-period"' not in body
    assert changed.headers["Vary"] and "HX-Request" in changed.headers["Vary"]
    period = visitor.post("/cart/period", True, **dates(tomorrow() + timedelta(days=4)))
    body = text(period)
    assert period.status_code == 200 and body.lstrip().startswith('<div id="cart"')
    assert 'id="cart-period"' in body and "<html" not in body
    removed = visitor.post("/cart/lines/1/remove", True)
    body = text(removed)
    assert "Removed from your booking." in body and "Booking (1)" in body and "<html" not in body
    cleared = visitor.post("/cart/clear", True)
    assert "Your booking is empty" in text(cleared) and 'id="cart-nav"' in text(cleared)


@pytest.mark.parametrize(
    "data, status",
    [
        ({"kind": "boat", "id": "x"}, 400),
        ({"kind": "type", "id": ""}, 400),
        ({"kind": "type", "id": "no-such-type"}, 404),
        ({"kind": "kit", "id": "no-such-kit"}, 404),
        ({"kind": "kit", "slug": "no-such-kit"}, 404),
        ({"kind": "type", "quantity": "many"}, 422),
        ({"kind": "type", "quantity": "0"}, 422),
        ({"kind": "type", "quantity": "1000"}, 422),
        ({"kind": "type", "quantity": "1e3"}, 422),
    ],
)
def test_bad_adds_are_4xx_with_a_message(visitor, shop, data, status):
    generators, _, _ = shop
    data = {"id": generators.type_id, "quantity": "1", **data}
    response = visitor.post("/cart/add", **data)
    assert response.status_code == status, text(response)
    assert "Booking (" not in text(visitor.client.get("/cart"))
    htmx = visitor.post("/cart/add", True, **data)
    assert htmx.status_code == status and "<html" not in text(htmx)


def test_bad_changes_are_answered_next_to_the_field_or_4xx(visitor, shop):
    generators, lights, _ = shop
    visitor.add("type", generators.type_id)
    for raw in ("", "abc", "0", "1000", "-1", "2.5"):
        response = visitor.post("/cart/lines/0/quantity", quantity=raw)
        assert response.status_code == 422, raw
        page = text(response)
        assert 'id="quantity-0-error"' in page and 'aria-invalid="true"' in page
    assert visitor.post("/cart/lines/5/quantity", quantity="1").status_code == 404
    assert visitor.post("/cart/lines/5/remove").status_code == 404
    assert visitor.client.post("/cart/lines/-1/remove", data={}).status_code in (400, 404)
    stale = visitor.post("/cart/lines/0/remove", line=f"type:{lights.type_id}")
    assert stale.status_code == 409
    for bad in (
        {"basis": "daily", "start_date": "tomorrow", "end_date": "2030-01-01"},
        {"basis": "daily", "start_date": "2020-01-01", "end_date": "2020-01-02"},
        {"basis": "hourly", "start": "2030-01-01T10:00", "end": "2030-01-01T09:00"},
        {"basis": "daily", "start_date": "2099-01-01", "end_date": "2099-01-02"},
    ):
        response = visitor.post("/cart/period", **bad)
        assert response.status_code == 422, bad
        assert "field-error" in text(response)
    # the cart and its accepted period are as they were
    page = visitor.page()
    assert "FREE" in line(page, 0)
    # without the token: refused
    assert visitor.client.post("/cart/clear").status_code == 400


def test_at_most_twenty_lines(visitor, app):
    fleets = [make_type(units=1) for _ in range(21)]
    for fleet in fleets[:20]:
        assert visitor.add("type", fleet.type_id).status_code == 303
    refused = visitor.add("type", fleets[20].type_id)
    assert refused.status_code == 422 and "at most 20" in text(refused)
    assert visitor.add("type", fleets[0].type_id).status_code == 303  # raising one is fine


def test_a_type_that_vanished_is_a_line_no_longer_offered_with_a_remove_button(visitor, shop):
    generators, lights, _ = shop
    visitor.add("type", generators.type_id)
    visitor.add("type", lights.type_id)
    catalog = CatalogFacade()
    details = catalog.get_equipment_type_details(lights.type_id)
    catalog.update_equipment_type(
        UpdateEquipmentType(
            equipment_type_id=details.id,
            name=details.name,
            category_id=details.category_id,
            short_description=details.short_description,
            specs=dict(details.specs),
            slug=details.slug,
            active=False,
        )
    )
    page = visitor.page()
    gone = line(page, 1)
    assert "NO LONGER OFFERED" in gone and "Remove" in gone and 'name="quantity"' not in gone
    assert "cart-not-ready" in page
    assert visitor.post("/cart/lines/1/remove").status_code == 303


def test_a_tampered_cookie_loses_what_it_cannot_use(visitor, shop, client):
    generators, _, _ = shop
    with client.session_transaction() as session:
        session["cart"] = {
            "lines": [["type", generators.type_id, 2], ["boat", "x", 1], "junk", ["kit", 3, 1]],
            "period": {"basis": "daily", "start_date": "nonsense"},
        }
    response = client.get("/cart")
    assert response.status_code == 200
    page = text(response)
    assert "Generator" in line(page, 0) and 'id="cart-line-1"' not in page
    assert "Choose valid dates" in page and "field-error" in page


def test_the_cart_page_costs_a_bounded_number_of_statements(visitor, shop):
    generators, lights, kit_id = shop
    visitor.add("type", generators.type_id, **dates(tomorrow() + timedelta(days=2)))
    visitor.add("type", lights.type_id)
    visitor.add("kit", kit_id)
    visitor.page()
    with statements() as seen:
        assert visitor.client.get("/cart").status_code == 200
    # the types (1), the kit (1), the rate cards (1), the fleets (1), the reservations (1),
    # the payment policy (1: whether the totals include VAT), the shop's settings (1): the
    # same for 2 type lines as for 20
    assert len(seen) <= 7, explain(seen)


def test_switching_to_hours_keeps_the_days_and_back(visitor, shop):
    generators, _, _ = shop
    d = tomorrow() + timedelta(days=2)
    visitor.add("type", generators.type_id, **dates(d))
    # the form sent with only the basis changed: the days shown become 09:00–17:00 of them
    hourly = visitor.post("/cart/period", **{**dates(d), "basis": "hourly"})
    assert hourly.status_code == 303
    page = visitor.page()
    assert f'value="{d.isoformat()}T09:00"' in page and f'value="{d.isoformat()}T17:00"' in page
    assert "FREE" in line(page, 0) and 'type="datetime-local"' in page
    back = visitor.post("/cart/period", basis="daily", start=f"{d}T09:00", end=f"{d}T17:00")
    assert back.status_code == 303
    page = visitor.page()
    assert 'type="date"' in page and f'value="{d.isoformat()}"' in page
    assert "€120.00" in line(page, 0)


def test_hours_outside_opening_hours_are_refused_next_to_the_field(visitor, shop):
    from rental.shop import ShopFacade
    from tests.integration.test_shop import SETTINGS, at, next_weekday

    ShopFacade().save_settings(SETTINGS)  # Mon–Fri 07:00–18:00
    generators, _, _ = shop
    visitor.add("type", generators.type_id)
    friday = next_weekday(4)
    late = {
        "basis": "hourly",
        "start": at(friday, 17).strftime("%Y-%m-%dT%H:%M"),
        "end": at(friday, 20).strftime("%Y-%m-%dT%H:%M"),
    }
    refused = visitor.post("/cart/period", **late)
    assert refused.status_code == 422
    assert re.search(r'id="end-error"[^>]*>[^<]*we are open 07:00', text(refused))
    fine = {**late, "end": at(friday, 18).strftime("%Y-%m-%dT%H:%M")}
    assert visitor.post("/cart/period", **fine).status_code == 303
    assert "FREE" in line(visitor.page(), 0)
