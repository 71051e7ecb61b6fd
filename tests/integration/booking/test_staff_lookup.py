"""Staff find bookings by customer (issue 11, "Customers and staff lookup"), on both databases:
the reservations list shows the customer and its search matches the reference or the
customer's name, e-mail or phone — Customers answers which customers in one query and Booking
filters by their IDs, no join across the modules' tables; the staff customer page lists the
customer's bookings through the section Booking registers (Customers imports no Booking).
Any search string answers a page, never a 5xx."""

from __future__ import annotations

import re
import secrets

import pytest

from rental.booking import BookingFacade, CreateReservation, ListReservations, PricingBasis
from rental.customers import CustomerDetailsInput, CustomerFacade, RegisterCustomer
from rental.shared.time_range import TimeRange
from tests.support.fleet import make_type, tomorrow_at
from tests.support.statements import explain, statements


def customer(name: str, email: str, phone: str) -> str:
    return CustomerFacade().register_customer(
        RegisterCustomer(
            CustomerDetailsInput(
                name=name,
                email=email,
                phone=phone,
                street="Hauptstr. 1",
                city="Berlin",
                state="Berlin",
                postal_code="10115",
                country="Germany",
            )
        )
    )


def booked(type_id: str, customer_id: str, start: int, *, days: int = 1) -> str:
    booking = BookingFacade()
    rid = booking.create_reservation(
        CreateReservation(
            customer_id,
            type_id,
            TimeRange(tomorrow_at(start, days=days), tomorrow_at(start + 1, days=days)),
            1,
            PricingBasis.HOURLY,
            secrets.token_urlsafe(24),
        )
    )
    return booking.get_reservation(rid).reference


@pytest.fixture
def shop(app):
    fleet = make_type(units=5, name="Scissor lift")
    ada = customer("Ada Lovelace", "ada@engines.example", "+44 20 7946 0101")
    bob = customer("Bob Müller", "bob@builders.example", "(030) 555-0199")
    refs = {
        "ada1": booked(fleet.type_id, ada, 9),
        "ada2": booked(fleet.type_id, ada, 9, days=3),
        "bob": booked(fleet.type_id, bob, 11),
    }
    return {"fleet": fleet, "ada": ada, "bob": bob, "refs": refs}


def listed(admin_client, **params) -> tuple[int, str, list[str]]:
    response = admin_client.get("/admin/reservations/", query_string=params)
    body = response.get_data(as_text=True)
    return response.status_code, body, re.findall(r">(RK-[A-Z0-9]{6})</a>", body)


# --- the reservations list ------------------------------------------------------------------------


def test_the_list_shows_each_booking_s_customer_linked_to_their_page(admin_client, shop):
    status, body, refs = listed(admin_client)
    assert status == 200 and len(refs) == 3
    assert '<th scope="col">Customer</th>' in body
    row = body[body.index(shop["refs"]["bob"]) :].split("</tr>")[0]
    assert f'href="/admin/customers/{shop["bob"]}"' in row
    assert "Bob Müller" in row and "bob@builders.example" in row


@pytest.mark.parametrize(
    ("q", "who"),
    [
        ("lovelace", {"ada1", "ada2"}),  # part of the name, any case
        ("BOB@BUILDERS", {"bob"}),  # the e-mail
        ("0305550199", {"bob"}),  # the phone by its digits alone
        ("555-0199", {"bob"}),
        ("7946 0101", {"ada1", "ada2"}),
        ("example", {"ada1", "ada2", "bob"}),
    ],
)
def test_the_search_matches_customer_name_email_or_phone(admin_client, shop, q, who):
    status, _, refs = listed(admin_client, q=q)
    assert status == 200
    assert set(refs) == {shop["refs"][k] for k in who}


def test_the_search_still_matches_the_reference_in_any_case_and_in_part(admin_client, shop):
    reference = shop["refs"]["bob"]
    for q in (reference, reference.lower(), reference[3:7], f"  {reference}  "):
        assert listed(admin_client, q=q)[2] == [reference]
    # The htmx request gets the results block alone, with the customer column.
    fragment = admin_client.get(
        "/admin/reservations/", query_string={"q": "müller"}, headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "<html" not in fragment and reference in fragment and "Bob Müller" in fragment


def test_one_customer_query_then_the_bookings_filtered_by_id_without_a_join(app, shop):
    with statements() as seen:
        page = BookingFacade().list_reservations(ListReservations(text="ada@engines"))
    assert {r.reference for r in page.items} == {shop["refs"]["ada1"], shop["refs"]["ada2"]}
    customers = [s for s in seen if "customers_customers" in s]
    bookings = [s for s in seen if "booking_reservations" in s]
    assert len(customers) == 1, explain(seen)
    assert len(bookings) == 2, explain(seen)  # the count and the page
    assert not set(customers) & set(bookings), "a statement reads both modules' tables"
    assert len(seen) == 3, explain(seen)


@pytest.mark.parametrize(
    "q",
    [
        "",
        "   ",
        "%",
        "_",
        "\\",
        "'",
        '"; DROP TABLE booking_reservations; --',
        "RK-%",
        "<script>alert(1)</script>",
        "ü" * 5000,
        "🙂🙂",
        "a" * 101,
        "12",
    ],
)
def test_odd_searches_answer_a_page_never_an_error(admin_client, shop, q):
    status, body, refs = listed(admin_client, q=q)
    assert status == 200 and "Traceback" not in body
    assert "<script>alert(1)</script>" not in body  # echoed escaped
    # Blank is no filter; anything else is looked for literally (% and _ are no wildcards),
    # and none of these is in a reference, a name, an e-mail or a phone here.
    assert len(refs) == (0 if q.strip() else 3)
    assert BookingFacade().list_reservations(ListReservations()).total == 3  # nothing changed


def test_a_control_character_in_the_search_is_a_clear_400(admin_client, shop):
    response = admin_client.get("/admin/reservations/?q=RK%00")
    assert response.status_code == 400


def test_a_search_matching_too_many_customers_says_so(admin_client, shop, monkeypatch):
    import rental.booking.application.queries as queries
    import rental.booking.web.staff as staff

    monkeypatch.setattr(queries, "MATCHED_CUSTOMERS_MAX", 1)
    monkeypatch.setattr(staff, "MATCHED_CUSTOMERS_MAX", 1)
    status, body, refs = listed(admin_client, q="example")
    assert status == 200 and 'id="search-capped"' in body
    assert "More than 1 customers match" in body
    assert refs and len(refs) < 3
    assert 'id="search-capped"' not in listed(admin_client, q="lovelace")[1]


def test_the_list_filters_by_one_customer_and_ignores_an_unknown_one(admin_client, shop):
    status, body, refs = listed(admin_client, customer=shop["ada"])
    assert status == 200 and 'id="customer-filter"' in body and "Ada Lovelace" in body
    assert set(refs) == {shop["refs"]["ada1"], shop["refs"]["ada2"]}
    for unknown in ("00000000-0000-4000-8000-000000000000", "not-an-id", "%"):
        status, body, refs = listed(admin_client, customer=unknown)
        assert status == 200 and len(refs) == 3
        assert "The customer filter was left out." in body


# --- the customer page ----------------------------------------------------------------------------


def test_the_customer_page_lists_their_bookings_newest_first(admin_client, shop):
    page = admin_client.get(f"/admin/customers/{shop['ada']}").get_data(as_text=True)
    section = page[page.index('id="customer-bookings"') :]
    refs = re.findall(r'<a href="/admin/reservations/[^"]+">(RK-[A-Z0-9]{6})</a>', section)
    assert refs == [shop["refs"]["ada2"], shop["refs"]["ada1"]]  # the later start first
    assert shop["refs"]["bob"] not in section
    assert "Scissor lift" in section and "PENDING" in section
    assert "Bookings <small" in section


def test_a_customer_without_bookings_gets_the_empty_state(admin_client, app):
    nobody = customer("Nora New", "nora@example.com", "+49 30 1111 2222")
    page = admin_client.get(f"/admin/customers/{nobody}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "No bookings yet." in body


def test_many_bookings_link_to_the_whole_list_of_the_customer(admin_client, shop, monkeypatch):
    import rental.booking.web.staff as staff

    monkeypatch.setattr(staff, "CUSTOMER_SECTION_SIZE", 1)
    page = admin_client.get(f"/admin/customers/{shop['ada']}").get_data(as_text=True)
    link = f'href="/admin/reservations/?customer={shop["ada"]}"'
    assert link in page and "All 2 bookings of this customer" in page
    status, _, refs = listed(admin_client, customer=shop["ada"])
    assert status == 200
    assert len(refs) == 2
