"""Customers through the API (scope `read`) on SQLite and PostgreSQL: the list is the staff
list's search (`q`, `status`) paginated by cursor with a Link header, each customer as
CustomerFacade has them; an anonymised customer shows no personal data; bad filters and
cursors are 422; no or revoked token 401."""

from __future__ import annotations

import uuid

from rental.api import ApiFacade
from rental.customers import CustomerDetailsInput, CustomerFacade, RegisterCustomer
from rental.extensions import db
from rental.shared.time_range import utcnow
from tests.integration.api.conftest import assert_problem, bearer, make_token
from tests.support.world import make_world


def register(name: str) -> str:
    customer_id = CustomerFacade().register_customer(
        RegisterCustomer(
            CustomerDetailsInput(
                name=name,
                email=f"{name.split()[0].lower()}-{uuid.uuid4().hex[:6]}@example.com",
                phone="+49 30 1234567",
                street="Hauptstr. 1",
                city="Berlin",
                state="Berlin",
                postal_code="10115",
                country="Germany",
            )
        )
    )
    db.session.remove()
    return customer_id


def test_a_customer_is_what_the_facade_holds(app, client):
    world = make_world()
    customer_id = world.first("customer_id")
    secret = make_token("read")
    body = client.get(f"/api/v1/customers/{customer_id}", headers=bearer(secret)).get_json()
    c = CustomerFacade().get_customer_by_id(customer_id)
    assert body["id"] == c.id and body["name"] == c.name and body["email"] == c.email
    assert body["phone"] == c.phone and body["status"] == "ACTIVE" and body["can_book"]
    assert body["address"]["city"] == c.address.city and body["anonymised"] is False
    assert body["registered_at"] == c.registered_at.isoformat().replace("+00:00", "Z")
    assert_problem(client.get("/api/v1/customers/nope", headers=bearer(secret)), 404)


def test_the_list_searches_filters_and_pages_like_the_staff_list(app, client):
    names = [f"Anna Api {n}" for n in range(5)]
    ids = [register(n) for n in names]
    register("Bruno Other")
    CustomerFacade().suspend_customer(ids[4])
    db.session.remove()
    secret = make_token("read")
    first = client.get("/api/v1/customers?q=anna+api&limit=2", headers=bearer(secret))
    assert first.status_code == 200
    body = first.get_json()
    assert [c["name"] for c in body["data"]] == names[:2] and body["total"] == 5
    seen = [c["name"] for c in body["data"]]
    link = first.headers["Link"]
    while link:
        assert link.endswith('>; rel="next"')
        page = client.get(link[1 : link.index(">")], headers=bearer(secret))
        seen += [c["name"] for c in page.get_json()["data"]]
        link = page.headers.get("Link")
    assert seen == names
    suspended = client.get("/api/v1/customers?status=SUSPENDED", headers=bearer(secret))
    assert [c["id"] for c in suspended.get_json()["data"]] == [ids[4]]
    # A cursor is for the limit it was made with.
    problem = assert_problem(
        client.get(
            f"/api/v1/customers?limit=3&cursor={body['next_cursor']}", headers=bearer(secret)
        ),
        422,
    )
    assert problem["errors"][0]["field"] == "cursor"


def test_bad_filters_are_422(app, client):
    secret = make_token("read")
    for query, field in (("status=GONE", "status"), ("limit=0", "limit"), ("cursor=xyz", "cursor")):
        problem = assert_problem(
            client.get(f"/api/v1/customers?{query}", headers=bearer(secret)), 422
        )
        assert problem["errors"][0]["field"] == field
    problem = assert_problem(
        client.get("/api/v1/customers?colour=red", headers=bearer(secret)), 422
    )


def test_an_anonymised_customer_shows_no_personal_data(app, client):
    customer_id = register("Zelda Private")
    CustomerFacade().anonymise_customer(customer_id)
    db.session.remove()
    secret = make_token("read")
    body = client.get(f"/api/v1/customers/{customer_id}", headers=bearer(secret)).get_json()
    assert body["status"] == "ANONYMISED" and body["anonymised"] is True
    assert body["name"] is body["email"] is body["phone"] is body["address"] is None
    assert body["anonymised_at"] and not body["can_book"]
    listed = client.get("/api/v1/customers?status=ANONYMISED", headers=bearer(secret))
    text = listed.get_data(as_text=True)
    assert customer_id in text and "Zelda" not in text and "@example.com" not in text


def test_customers_need_a_valid_token_with_read(app, client):
    assert_problem(client.get("/api/v1/customers"), 401)
    secret = make_token("read")
    (token,) = [t for t in ApiFacade().list_tokens() if secret.startswith(t.prefix)]
    ApiFacade().revoke_token(token.id, utcnow())
    db.session.remove()
    assert_problem(client.get("/api/v1/customers", headers=bearer(secret)), 401)
    assert_problem(client.get("/api/v1/customers", headers=bearer(make_token("orders:write"))), 403)
    assert client.get("/api/v1/customers", headers=bearer(make_token("admin"))).status_code == 200
