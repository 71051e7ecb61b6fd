"""Staff bookings (issue 11): `/admin/orders/new` (the old /admin/reservations/new sends
there) books an order of several lines (types and kits) for an existing customer or a new one,
confirmed at once (channel STAFF, no hold) in one transaction — a refused order leaves no new
customer and no line — or saves it as a quote that holds nothing and is checked again when it
is turned into a booking. Bad input answers next to the fields (422), a shortage names what is
free (409) and writes nothing. Both databases."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from rental.booking import BookingChannel, BookingFacade, ReservationStatus
from rental.customers import CustomerFacade
from rental.customers.infrastructure.entities import CustomerEntity
from rental.extensions import db
from rental.inventory import InventoryFacade
from rental.shared.outbox import OutboxProcessor
from tests.support.auth import csrf_token
from tests.support.fleet import make_customer, make_type

URL = "/admin/orders/new"
OLD_URL = "/admin/reservations/new"


def drain() -> None:
    processor = OutboxProcessor()
    while processor.drain_once().claimed:
        pass


def days_ahead(n: int) -> str:
    booking = BookingFacade()
    return (
        booking.now().astimezone(booking.policy.timezone).date() + timedelta(days=n)
    ).isoformat()


def booking_form(type_id: str, quantity: int = 1, **extra) -> dict:
    return {
        "item": f"type:{type_id}",
        "qty": str(quantity),
        "basis": "daily",
        "start_date": days_ahead(3),
        "end_date": days_ahead(4),
        **extra,
    }


NEW_CUSTOMER = {
    "name": "Grace Hopper",
    "email": "grace@navy.example",
    "phone": "+1 202 555 0100",
    "street": "1 Navy Way",
    "city": "Arlington",
    "state": "VA",
    "postal_code": "22202",
    "country": "USA",
}


def customers_count() -> int:
    return db.session.scalar(select(func.count()).select_from(CustomerEntity))


def reservation_ids(type_id: str) -> list[str]:
    from rental.booking import ListReservations

    page = BookingFacade().list_reservations(ListReservations(equipment_type_id=type_id))
    return [r.id for r in page.items]


FIELD_ERROR = re.compile(
    r'<small (?:class="field-error(?: line-error)?" id="(?:f-)?([a-z_0-9-]+)-error"|'
    r'id="(?:f-)?([a-z_0-9-]+)-error" class="field-error")>([^<]*)<'
)


def field_errors(body: str) -> list[tuple[str, str]]:
    """(field, message) of every message next to a field."""
    return [(a or b, message) for a, b, message in FIELD_ERROR.findall(body)]


def order_of(reservation_id: str):
    booking = BookingFacade()
    return booking.get_order(booking.get_reservation(reservation_id).order_id)


def order_form(shop, *, customer: str | None = None, **extra) -> dict:
    """Two types and a kit: a generator, a light tower and the event power kit (1 generator
    and 2 light towers), by the day."""
    generators, lights, kit_id = shop
    data = {
        "item": [f"type:{generators.type_id}", f"type:{lights.type_id}", f"kit:{kit_id}"],
        "qty": ["1", "1", "1"],
        "basis": "daily",
        "start_date": days_ahead(3),
        "end_date": days_ahead(4),
    }
    if customer:
        data["customer"] = customer
    data.update(extra)
    return data


def detail_id(response) -> str:
    location = response.headers["Location"]
    assert "/admin/reservations/" in location, location
    return location.rsplit("/", 1)[1]


def test_the_form_is_linked_from_the_list_and_the_customer_page(admin_client, app):
    customer_id = make_customer()
    body = admin_client.get("/admin/reservations/").get_data(as_text=True)
    assert f'href="{URL}"' in body
    page = admin_client.get(f"/admin/customers/{customer_id}").get_data(as_text=True)
    assert f'href="{URL}?customer={customer_id}"' in page
    response = admin_client.get(URL, query_string={"customer": customer_id})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert 'id="chosen-customer"' in text and 'name="item"' in text


def test_the_old_address_lands_on_the_order_form_with_the_customer(admin_client, app):
    customer_id = make_customer()
    response = admin_client.get(OLD_URL, query_string={"customer": customer_id})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{URL}?customer={customer_id}")
    followed = admin_client.get(
        OLD_URL, query_string={"customer": customer_id}, follow_redirects=True
    )
    assert 'id="chosen-customer"' in followed.get_data(as_text=True)


def test_staff_find_a_customer_by_name_email_or_phone(admin_client, app):
    customer_id = make_customer(email="findme-staffbook@example.com")
    for text in ("findme-staffbook", "Test Customer"):
        body = admin_client.get(URL, query_string={"q": text}).get_data(as_text=True)
        assert f"?customer={customer_id}" in body


def test_types_and_kits_are_offered_in_groups(admin_client, shop):
    generators, _, kit_id = shop
    body = admin_client.get(URL).get_data(as_text=True)
    assert '<optgroup label="Equipment">' in body and '<optgroup label="Kits">' in body
    assert f'value="type:{generators.type_id}"' in body and f'value="kit:{kit_id}"' in body


def test_availability_and_prices_per_line_as_a_fragment_and_without_javascript(admin_client, shop):
    generators, lights, _ = shop
    fragment = admin_client.get(
        URL, query_string={**order_form(shop), "_block": "result"}, headers={"HX-Request": "true"}
    )
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in text
    assert text.count('class="line-check') == 3
    assert 'id="order-total"' in text and 'id="order-deposit"' in text
    assert 'id="order-fits"' in text
    token = csrf_token(admin_client, URL)
    plain = admin_client.post(
        URL, data={**order_form(shop), "action": "check", "csrf_token": token}
    )
    assert plain.status_code == 200 and 'id="order-fits"' in plain.get_data(as_text=True)
    assert reservation_ids(generators.type_id) == reservation_ids(lights.type_id) == []


def test_a_phone_booking_of_two_types_and_a_kit_is_one_confirmed_order(admin_client, shop):
    generators, lights, kit_id = shop
    customer_id = make_customer()
    token = csrf_token(admin_client, URL)
    response = admin_client.post(
        URL,
        data={**order_form(shop, customer=customer_id), "action": "book", "csrf_token": token},
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    order = order_of(detail_id(response))
    assert order.first.id == detail_id(response)
    # A generator, a light tower, and the kit's generator and two light towers.
    assert [(r.equipment_type_id, r.quantity, r.kit_id) for r in order.lines] == [
        (generators.type_id, 1, None),
        (lights.type_id, 1, None),
        (generators.type_id, 1, kit_id),
        (lights.type_id, 2, kit_id),
    ]
    assert {r.status for r in order.lines} == {ReservationStatus.CONFIRMED}
    assert {r.channel for r in order.lines} == {BookingChannel.STAFF}
    assert {r.customer_id for r in order.lines} == {customer_id}
    page = admin_client.get(response.headers["Location"])
    body = page.get_data(as_text=True)
    assert f"Order {order.reference}" in body and "is confirmed" in body
    for line in order.lines[1:]:
        assert f'href="/admin/reservations/{line.id}"' in body
    assert 'id="order-total"' in body and 'id="convert-quote"' not in body
    drain()
    allocated = InventoryFacade().list_allocations_for_reservation(order.first.id)
    assert [a.status for a in allocated] == ["ALLOCATED"]


def test_a_quote_holds_nothing_and_becomes_a_booking_later(admin_client, shop):
    generators, lights, _ = shop
    customer_id = make_customer()
    token = csrf_token(admin_client, URL)
    data = {
        **order_form(shop, customer=customer_id),
        "item": [f"type:{generators.type_id}", f"type:{lights.type_id}"],
        "qty": ["3", "2"],
    }
    response = admin_client.post(URL, data={**data, "action": "quote", "csrf_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)
    quote = order_of(detail_id(response))
    assert {r.status for r in quote.lines} == {ReservationStatus.QUOTED}
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Quote {quote.reference}" in page and 'id="convert-quote"' in page
    assert 'id="discard-quote"' in page and "holds nothing" in page
    # Nothing held: all three generators are still free for the same days.
    check = admin_client.get(
        URL,
        query_string={**booking_form(generators.type_id, 3), "_block": "result"},
        headers={"HX-Request": "true"},
    )
    assert 'id="order-fits"' in check.get_data(as_text=True)
    listing = admin_client.get("/admin/reservations/", query_string={"status": "QUOTED"})
    assert quote.reference in listing.get_data(as_text=True)
    converted = admin_client.post(
        f"/admin/reservations/{quote.first.id}/convert-quote", data={"csrf_token": token}
    )
    assert converted.status_code == 303
    assert {r.status for r in order_of(quote.first.id).lines} == {ReservationStatus.CONFIRMED}


def test_a_quote_is_refused_as_a_booking_when_its_units_were_taken(admin_client, shop):
    generators, _, _ = shop
    customer_id = make_customer()
    token = csrf_token(admin_client, URL)
    quote = admin_client.post(
        URL,
        data={
            **booking_form(generators.type_id, 2),
            "customer": customer_id,
            "action": "quote",
            "csrf_token": token,
        },
    )
    quote_id = detail_id(quote)
    # Another booking takes two of the three generators: the quote held nothing.
    other = admin_client.post(
        URL,
        data={
            **booking_form(generators.type_id, 2),
            "customer": make_customer(),
            "action": "book",
            "csrf_token": token,
        },
    )
    assert other.status_code == 303, other.get_data(as_text=True)
    refused = admin_client.post(
        f"/admin/reservations/{quote_id}/convert-quote",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert refused.status_code == 200
    text = refused.get_data(as_text=True)
    assert 'id="convert-quote"' in text and "booked" in text  # still a quote; says why
    assert order_of(quote_id).status is ReservationStatus.QUOTED
    # Discarding asks first, then cancels every line.
    asked = admin_client.post(
        f"/admin/reservations/{quote_id}/discard-quote", data={"csrf_token": token}
    )
    assert asked.status_code == 409  # the confirm page: nothing done yet
    assert "Every line of it is cancelled" in asked.get_data(as_text=True)
    assert order_of(quote_id).status is ReservationStatus.QUOTED
    done = admin_client.post(
        f"/admin/reservations/{quote_id}/discard-quote",
        data={"csrf_token": token, "confirm": "discard_quote"},
    )
    assert done.status_code == 303
    assert {r.status for r in order_of(quote_id).lines} == {ReservationStatus.CANCELLED}


def test_rows_are_added_and_removed_without_javascript(admin_client, shop):
    generators, lights, _ = shop
    token = csrf_token(admin_client, URL)
    base = {**order_form(shop), "csrf_token": token}
    added = admin_client.post(URL, data={**base, "action": "add"})
    body = added.get_data(as_text=True)
    assert added.status_code == 200
    assert body.count('name="item"') == 4 and 'id="item-3"' in body
    removed = admin_client.post(URL, data={**base, "remove": "0"})
    body = removed.get_data(as_text=True)
    assert body.count('name="item"') == 2
    assert f'value="type:{generators.type_id}" selected' not in body
    assert f'value="type:{lights.type_id}" selected' in body
    fragment = admin_client.post(
        URL, data={**base, "action": "add", "_block": "lines"}, headers={"HX-Request": "true"}
    )
    text = fragment.get_data(as_text=True)
    assert "<html" not in text and text.count('name="item"') == 4
    assert reservation_ids(generators.type_id) == []


def test_the_same_form_sent_twice_books_once(admin_client, shop):
    generators, _, _ = shop
    customer_id = make_customer()
    token = csrf_token(admin_client, URL)
    data = {
        **order_form(shop, customer=customer_id),
        "action": "book",
        "csrf_token": token,
        "form_token": "A" * 32,
    }
    first = admin_client.post(URL, data=data)
    second = admin_client.post(URL, data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(reservation_ids(generators.type_id)) == 2  # the line and the kit's generator


def test_a_new_customer_s_form_sent_twice_books_once_and_registers_once(admin_client, app):
    fleet = make_type(units=3)
    token = csrf_token(admin_client, URL)
    data = {
        **booking_form(fleet.type_id),
        **NEW_CUSTOMER,
        "email": "twice@navy.example",
        "action": "book",
        "csrf_token": token,
        "form_token": "C" * 32,
    }
    first = admin_client.post(URL, data=data)
    second = admin_client.post(URL, data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(reservation_ids(fleet.type_id)) == 1
    customer = CustomerFacade().find_customer_by_email("twice@navy.example")
    assert customer is not None and customer.name == "Grace Hopper"


def test_one_short_line_writes_nothing_and_says_how_many_are_free(admin_client, shop):
    generators, lights, _ = shop
    before = customers_count()
    token = csrf_token(admin_client, URL)
    data = {
        **order_form(shop),
        **NEW_CUSTOMER,
        "email": "refused@navy.example",
        # 1 generator fits; 5 light towers + the kit's 2 do not (5 exist).
        "qty": ["1", "5", "1"],
        "action": "book",
        "csrf_token": token,
    }
    response = admin_client.post(URL, data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 409, body
    assert 'id="booking-refused"' in body and "Nothing was booked" in body
    errors = dict(field_errors(body))
    assert "item-1" in errors and "free" in errors["item-1"]
    assert "item-0" not in errors
    assert customers_count() == before
    assert CustomerFacade().find_customer_by_email("refused@navy.example") is None
    assert reservation_ids(generators.type_id) == reservation_ids(lights.type_id) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"item": "type:no-such-type"}, "item-0"),
        ({"item": "kit:no-such-kit"}, "item-0"),
        ({"item": "<script>"}, "item-0"),
        ({"qty": "0"}, "item-0"),
        ({"qty": "lots"}, "item-0"),
        ({"qty": "99999999999999999999"}, "item-0"),
        ({"item": "", "qty": "1"}, "lines"),
        ({"start_date": "not a day"}, "start"),
        ({"end_date": "2001-01-01"}, "end"),
        ({"basis": "hourly", "start": "", "end": ""}, "start"),
        ({"email": "not-an-email"}, "email"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_input_answers_next_to_the_field_and_writes_nothing(admin_client, app, change, field):
    fleet = make_type(units=2)
    before = customers_count()
    token = csrf_token(admin_client, URL)
    data = {**booking_form(fleet.type_id), **NEW_CUSTOMER, "action": "book", "csrf_token": token}
    response = admin_client.post(URL, data={**data, **change})
    body = response.get_data(as_text=True)
    assert response.status_code == 422, body
    assert field in dict(field_errors(body)), field_errors(body)
    assert customers_count() == before
    assert reservation_ids(fleet.type_id) == []


def test_too_many_lines_or_the_same_item_twice_is_refused(admin_client, app):
    fleet = make_type(units=2)
    customer_id = make_customer()
    token = csrf_token(admin_client, URL)
    base = {**booking_form(fleet.type_id), "customer": customer_id, "action": "book"}
    many = admin_client.post(
        URL,
        data={
            **base,
            "item": [f"type:{fleet.type_id}"] * 25,
            "qty": ["1"] * 25,
            "csrf_token": token,
        },
    )
    assert many.status_code == 422
    assert "lines" in dict(field_errors(many.get_data(as_text=True)))
    twice = admin_client.post(
        URL,
        data={
            **base,
            "item": [f"type:{fleet.type_id}"] * 2,
            "qty": ["1", "1"],
            "csrf_token": token,
        },
    )
    assert twice.status_code == 422
    assert "item-1" in dict(field_errors(twice.get_data(as_text=True)))
    assert reservation_ids(fleet.type_id) == []


def test_a_known_email_for_a_new_customer_is_refused_next_to_the_field(admin_client, app):
    fleet = make_type(units=2)
    make_customer(email="taken-staffbook@example.com")
    token = csrf_token(admin_client, URL)
    data = {
        **booking_form(fleet.type_id),
        **NEW_CUSTOMER,
        "email": "taken-staffbook@example.com",
        "action": "book",
        "csrf_token": token,
    }
    response = admin_client.post(URL, data=data)
    assert response.status_code == 422
    assert "email" in dict(field_errors(response.get_data(as_text=True)))
    assert reservation_ids(fleet.type_id) == []


def test_an_unknown_or_suspended_customer_is_refused(admin_client, app):
    fleet = make_type(units=2)
    suspended = make_customer()
    CustomerFacade().suspend_customer(suspended)
    token = csrf_token(admin_client, URL)
    for customer_id in ("nobody", suspended):
        data = {
            **booking_form(fleet.type_id),
            "customer": customer_id,
            "action": "book",
            "csrf_token": token,
        }
        for action in ("book", "quote"):
            response = admin_client.post(URL, data={**data, "action": action})
            assert response.status_code == 422, (customer_id, action)
            assert 'id="f-customer-error"' in response.get_data(as_text=True)
    assert reservation_ids(fleet.type_id) == []


def test_staff_may_book_and_visitors_are_sent_to_login(staff_client, client, app):
    assert staff_client.get(URL).status_code == 200
    response = client.get(URL)
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
    posted = client.post(URL, data={"item": "x"})
    assert posted.status_code in (302, 303, 400, 403)


def test_staff_add_a_line_to_a_booking_from_its_page(admin_client, app, shop):
    """A phone customer calls back: one more light tower for the same dates. Added in the
    order's state (confirmed); a line that does not fit is refused with why, nothing added."""
    generators, lights, _ = shop
    token = csrf_token(admin_client, URL)
    form = {
        "item": [f"type:{generators.type_id}"],
        "qty": ["1"],
        "basis": "daily",
        "start_date": days_ahead(3),
        "end_date": days_ahead(4),
        "customer": make_customer(),
        "action": "book",
        "csrf_token": token,
    }
    booked = admin_client.post(URL, data=form)
    first = detail_id(booked)
    page = admin_client.get(f"/admin/reservations/{first}").get_data(as_text=True)
    assert 'id="add-line"' in page and "kit:" in page
    added = admin_client.post(
        f"/admin/reservations/{first}/add-line",
        data={"item": f"type:{lights.type_id}", "qty": "2", "csrf_token": token},
    )
    assert added.status_code == 303
    order = order_of(first)
    assert [(r.equipment_type_id, r.quantity, r.status) for r in order.lines] == [
        (generators.type_id, 1, ReservationStatus.CONFIRMED),
        (lights.type_id, 2, ReservationStatus.CONFIRMED),
    ]
    for bad, message in (
        ({"item": f"type:{lights.type_id}", "qty": "999"}, "Nothing was added"),
        ({"item": "type:nope", "qty": "1"}, "Nothing was added"),
        ({"item": "", "qty": "1"}, "Choose the equipment"),
        ({"item": f"type:{lights.type_id}", "qty": "abc"}, "Nothing was added"),
    ):
        refused = admin_client.post(
            f"/admin/reservations/{first}/add-line", data={**bad, "csrf_token": token}
        )
        assert refused.status_code == 303
        shown = admin_client.get(f"/admin/reservations/{first}").get_data(as_text=True)
        assert message in shown, bad
    assert len(order_of(first).lines) == 2


def test_one_send_shows_every_problem_the_items_and_the_new_customers_fields(admin_client, app):
    token = csrf_token(admin_client, URL)
    response = admin_client.post(
        URL,
        data={"item": [""], "qty": ["1"], "basis": "daily", "action": "book", "csrf_token": token},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose at least one item for the booking." in body
    problems = dict(field_errors(body))
    assert {"name", "email"} <= set(problems), problems
    assert customers_count() == 0
