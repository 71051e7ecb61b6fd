"""The catalog, inventory and pricing pages through the Flask test client (real databases)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from rental.catalog import CatalogFacade, SearchEquipmentTypes
from rental.inventory import InventoryFacade, RegisterEquipment
from rental.pricing import PricingFacade
from rental.shared.seeding import seeders
from tests.integration.catalog_fixtures import make_type, price
from tests.support.auth import sign_in


@pytest.fixture
def web(app, admin_user):
    """A client signed in as an admin, with CSRF switched off (CSRF itself is covered by
    tests/integration/test_security.py and the e2e tests)."""
    client = sign_in(app.test_client(), admin_user)
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        yield client
    finally:
        app.config["WTF_CSRF_ENABLED"] = True


@pytest.fixture
def generator(app):
    type_id = make_type(
        "Diesel generator",
        specs={"power_kw": 16, "fuel": "diesel"},
        slug="generator",
        description="Runs all day.",
    )
    make_type("Petrol generator", specs={"power_kw": 3, "fuel": "petrol"})
    price(type_id, deposit="250")
    return type_id


def text(response) -> str:
    return response.get_data(as_text=True)


def test_catalog_page_lists_types_with_prices_and_filters(web, generator):
    page = text(web.get("/catalog/"))
    assert "Diesel generator" in page and "Petrol generator" in page
    assert "€20.00" in page and "Price on request" in page
    assert 'name="spec.power_kw.min"' in page and 'name="spec.fuel"' in page
    filtered = text(web.get("/catalog/?spec.fuel=diesel"))
    assert "Diesel generator" in filtered and "Petrol generator" not in filtered
    ranged = text(web.get("/catalog/?spec.power_kw.max=5"))
    assert "Petrol generator" in ranged and "Diesel generator" not in ranged


def test_htmx_search_returns_only_the_results(web, generator):
    response = web.get("/catalog/?q=petrol", headers={"HX-Request": "true"})
    body = text(response)
    assert "<html" not in body and "Petrol generator" in body
    assert "Diesel generator" not in body
    assert "HX-Request" in response.headers["Vary"]


def test_no_match_teaches_how_to_get_out(web, generator):
    body = text(web.get("/catalog/?q=xyz"))
    assert "No equipment matches “xyz”" in body
    assert re.search(r'<a href="/catalog">Clear filters</a>', body)


def test_detail_page_shows_specs_rates_and_the_booking_slot(web, generator):
    make_type("Site generator", specs={"power_kw": 18, "fuel": "diesel"})
    body = text(web.get("/catalog/generator"))
    assert "<h1>Diesel generator</h1>" in body
    assert "Power (kW)" in body and "Runs all day." in body
    assert "€20.00" in body and "€120.00" in body and "€500.00" in body
    assert "Minimum rental 2 hours" in body and "deposit €250.00" in body
    # Similar equipment: comparable power and the same fuel, not the 3 kW petrol one.
    similar = body.split('id="similar-heading"')[1]
    assert "Site generator" in similar and "Petrol generator" not in similar


def test_unknown_and_hidden_types_are_404(web, app):
    assert web.get("/catalog/nope").status_code == 404
    make_type("Old pump", active=False, slug="old-pump")
    assert web.get("/catalog/old-pump").status_code == 404


def test_the_staff_list_of_types_shows_the_rates_pricing_adds(web, generator):
    body = text(web.get("/admin/catalog/"))
    assert '<th scope="col">Rates</th>' in body
    assert "€20.00/h · €120.00/day" in body  # the diesel generator
    assert '<span class="badge badge-warn">NO PRICE</span>' in body  # the petrol one
    assert "/catalog/generator</small>" in body


def test_admin_type_form_reports_spec_errors_next_to_the_row(web, app):
    make_type("Seed")  # creates the Power category
    category = CatalogFacade().list_categories()[0].id
    response = web.post(
        "/admin/catalog/types",
        data={
            "name": "Breaker",
            "category_id": category,
            "spec_key-0": "weight_kg",
            "spec_kind-0": "number",
            "spec_value-0": "heavy",
        },
    )
    assert response.status_code == 422
    body = text(response)
    assert 'aria-invalid="true" aria-describedby="spec-0-error"' in body
    assert "as a number" in body and 'value="Breaker"' in body


def test_admin_defines_a_type_then_prices_it(web, app):
    make_type("Seed")
    category = CatalogFacade().list_categories()[0].id
    response = web.post(
        "/admin/catalog/types",
        data={
            "name": "Breaker 30 kg",
            "category_id": category,
            "active": "on",
            "spec_key-0": "weight_kg",
            "spec_kind-0": "number",
            "spec_value-0": "30",
            "spec_key-1": "indoor_use",
            "spec_kind-1": "yes_no",
            "spec_value-1": "no",
        },
    )
    assert response.status_code == 303
    details = CatalogFacade().get_equipment_type_by_slug("breaker-30-kg")
    assert details.specs == {"weight_kg": 30, "indoor_use": False}
    assert response.headers["Location"].endswith(f"/admin/pricing/{details.id}?new=1")
    bad = web.post(f"/admin/pricing/{details.id}", data={"hourly": "abc", "daily": "10"})
    assert bad.status_code == 422 and "Enter the hourly rate as a number" in text(bad)
    ok = web.post(
        f"/admin/pricing/{details.id}",
        data={"hourly": "12", "daily": "60", "currency": "EUR", "minimum_hours": "2"},
    )
    assert ok.status_code == 303
    assert PricingFacade().get_rate_card(details.id).daily.amount == 60


def test_bulk_registration_page_reports_each_bad_line(web, generator):
    InventoryFacade().register_new_equipment(RegisterEquipment(generator, "GEN-002"))
    response = web.post(
        f"/admin/inventory/types/{generator}/bulk",
        data={"serial_numbers": "GEN-001\nGEN-002\nGEN-003\n"},
    )
    assert response.status_code == 422
    body = text(response)
    assert "Registered 2 items (GEN-001, GEN-003)" in body
    assert "Line 2: GEN-002 is already registered." in body
    assert re.search(r"<textarea[^>]*>GEN-002</textarea>", body)
    assert InventoryFacade().get_total_capacity(generator) == 3


def test_item_page_status_errors_are_clear_not_500(web, generator):
    item_id = InventoryFacade().register_new_equipment(RegisterEquipment(generator, "GEN-9"))
    no_reason = web.post(f"/admin/inventory/items/{item_id}/status", data={"to_status": "DAMAGED"})
    assert no_reason.status_code == 422 and "Describe the damage." in text(no_reason)
    ok = web.post(
        f"/admin/inventory/items/{item_id}/status",
        data={"to_status": "RETIRED", "reason": "sold"},
    )
    assert ok.status_code == 303
    again = web.post(f"/admin/inventory/items/{item_id}/status", data={"to_status": "AVAILABLE"})
    assert again.status_code == 409 and "retired item cannot change status" in text(again)
    page = text(web.get(f"/admin/inventory/items/{item_id}"))
    assert "sold" in page and "RETIRED" in page


def test_maintenance_form_validates_the_period(web, generator):
    item_id = InventoryFacade().register_new_equipment(RegisterEquipment(generator, "GEN-9"))
    day = (date.today() + timedelta(days=2)).isoformat()  # maintenance must end in the future
    bad = web.post(
        f"/admin/inventory/items/{item_id}/maintenance",
        data={"start": f"{day}T17:00", "end": f"{day}T08:00", "maint_reason": "check"},
    )
    assert bad.status_code == 422 and "The end must be after the start." in text(bad)
    ok = web.post(
        f"/admin/inventory/items/{item_id}/maintenance",
        data={"start": f"{day}T08:00", "end": f"{day}T17:00", "maint_reason": "check"},
    )
    assert ok.status_code == 303
    assert "check" in text(web.get(f"/admin/inventory/items/{item_id}"))


def test_admin_pages_render(web, generator):
    for url in [
        "/admin/catalog/",
        "/admin/catalog/categories",
        "/admin/catalog/types/new",
        f"/admin/catalog/types/{generator}/edit",
        "/admin/pricing/",
        f"/admin/pricing/{generator}",
        "/admin/inventory/",
        f"/admin/inventory/types/{generator}",
    ]:
        assert web.get(url).status_code == 200, url


def test_demo_seed_is_idempotent_and_has_a_bookable_generator(app):
    for _ in range(2):
        for _name, seeder in seeders():
            seeder()
    catalog, inventory, pricing = CatalogFacade(), InventoryFacade(), PricingFacade()
    gen = catalog.get_equipment_type_by_slug("generator")
    assert inventory.get_total_capacity(gen.id) >= 3
    assert pricing.get_rate_card(gen.id) is not None
    tree = catalog.get_category_tree()
    assert len(tree) >= 3 and all(node.children for node in tree)
    items = inventory.list_items()
    assert len({i.serial_number for i in items}) == len(items)
    assert [i.serial_number for i in items if i.status == "MAINTENANCE"] == ["GEN-005"]
    types = catalog.search_equipment_types(SearchEquipmentTypes(page_size=100)).items
    assert len(types) >= 12
    assert len(pricing.get_rate_cards(t.id for t in types)) == len(types)
