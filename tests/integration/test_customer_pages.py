"""The customer admin pages over HTTP: search (full page and htmx fragment), pagination without
JavaScript, forms with errors next to fields, suspend, export download, anonymise with a
confirmation step."""

from __future__ import annotations

import json

from rental.customers import CustomerDetailsInput, CustomerFacade, RegisterCustomer
from tests.support.auth import csrf_token

facade = CustomerFacade()
FORM = {
    "name": "Jan de Vries",
    "email": "jan@devries.example",
    "phone": "+31 20 555 4433",
    "street": "Prinsengracht 301",
    "city": "Amsterdam",
    "state": "North Holland",
    "postal_code": "1016 GX",
    "country": "Netherlands",
}


def register(**changes: str) -> str:
    return facade.register_customer(RegisterCustomer(CustomerDetailsInput(**{**FORM, **changes})))


def test_search_page_and_htmx_fragment(admin_client):
    register()
    register(name="Maria Schneider", email="maria@example.com")
    page = admin_client.get("/admin/customers?q=devries")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in body
    assert "Jan de Vries" in body and "Maria Schneider" not in body
    fragment = admin_client.get("/admin/customers?q=MARIA", headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert "<html" not in text and "Maria Schneider" in text and "Jan de Vries" not in text
    assert "HX-Request" in fragment.headers["Vary"]
    empty = admin_client.get("/admin/customers?q=zzz").get_data(as_text=True)
    assert "No customers match" in empty and "Clear the search" in empty


def test_pagination_links_work_without_javascript(admin_client):
    for i in range(23):
        register(name=f"Person {i:02d}", email=f"p{i}@example.com")
    first = admin_client.get("/admin/customers?q=example.com").get_data(as_text=True)
    assert "Person 19" in first and "Person 20" not in first
    assert 'href="/admin/customers?q=example.com&amp;page=2"' in first
    second = admin_client.get("/admin/customers?q=example.com&page=2").get_data(as_text=True)
    assert "Person 20" in second and "Person 22" in second and 'rel="prev"' in second


def test_register_with_errors_shows_them_next_to_the_fields_and_keeps_the_input(admin_client):
    data = {**FORM, "email": "not-an-email", "phone": "", "csrf_token": csrf_token(admin_client)}
    response = admin_client.post("/admin/customers/new", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'aria-describedby="f-email-error"' in body and 'id="f-email-error"' in body
    assert "Enter a valid email address" in body and "Enter a phone number." in body
    assert 'value="Prinsengracht 301"' in body


def test_register_and_duplicate_email(admin_client):
    data = {**FORM, "csrf_token": csrf_token(admin_client)}
    created = admin_client.post("/admin/customers/new", data=data)
    assert created.status_code == 303
    assert "Jan de Vries" in admin_client.get(created.headers["Location"]).get_data(as_text=True)
    again = admin_client.post("/admin/customers/new", data={**data, "email": "JAN@devries.example"})
    assert again.status_code == 409
    assert "already exists" in again.get_data(as_text=True)


def test_edit_suspend_reactivate(admin_client):
    customer_id = register()
    token = csrf_token(admin_client)
    form = admin_client.get(f"/admin/customers/{customer_id}/edit").get_data(as_text=True)
    assert 'value="+31 20 555 4433"' in form
    saved = admin_client.post(
        f"/admin/customers/{customer_id}/edit",
        data={**FORM, "phone": "+31 6 1234 5678", "csrf_token": token},
    )
    assert saved.status_code == 303
    assert facade.get_customer_by_id(customer_id).phone == "+31 6 1234 5678"
    admin_client.post(f"/admin/customers/{customer_id}/suspend", data={"csrf_token": token})
    page = admin_client.get(f"/admin/customers/{customer_id}").get_data(as_text=True)
    assert "SUSPENDED" in page and "Reactivate" in page
    admin_client.post(f"/admin/customers/{customer_id}/reactivate", data={"csrf_token": token})
    assert facade.get_customer_by_id(customer_id).status == "ACTIVE"


def test_export_is_a_json_download(staff_client):
    customer_id = register()
    response = staff_client.get(f"/admin/customers/{customer_id}/export")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="customer-{customer_id}.json"'
    )
    assert json.loads(response.get_data())["customer"]["email"] == "jan@devries.example"


def test_anonymise_needs_a_confirmation_that_says_what_will_happen(admin_client):
    customer_id = register()
    confirm = admin_client.get(f"/admin/customers/{customer_id}/anonymise").get_data(as_text=True)
    assert "cannot be undone" in confirm and "reservations remain intact" in confirm
    token = csrf_token(admin_client)
    unticked = admin_client.post(
        f"/admin/customers/{customer_id}/anonymise", data={"csrf_token": token}
    )
    assert unticked.status_code == 422 and "Tick the box" in unticked.get_data(as_text=True)
    assert facade.get_customer_by_id(customer_id).anonymised_at is None
    done = admin_client.post(
        f"/admin/customers/{customer_id}/anonymise", data={"csrf_token": token, "confirm": "yes"}
    )
    assert done.status_code == 303
    page = admin_client.get(f"/admin/customers/{customer_id}").get_data(as_text=True)
    assert "Anonymised customer" in page and "Jan de Vries" not in page
    assert "Edit profile" not in page
    assert admin_client.get(f"/admin/customers/{customer_id}/edit").status_code == 409
