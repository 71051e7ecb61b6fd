"""The public catalog reads on SQLite and PostgreSQL: equipment types and kits as the storefront
shows them (active/public only, no staff fields), with specs and rate cards; filters by
category and text; cursor pages with a Link header; ETag/304; 404 problems for unknown or
hidden ones; no token needed, but counted per IP."""

from __future__ import annotations

from decimal import Decimal

from rental.catalog import (
    CatalogFacade,
    CreateCategory,
    DefineKit,
    KitComponent,
    UpdateEquipmentType,
)
from rental.extensions import db
from tests.integration.api.conftest import assert_problem
from tests.support.fleet import make_category, make_type


def _deactivate(type_id: str) -> None:
    details = CatalogFacade().get_equipment_type_details(type_id)
    CatalogFacade().update_equipment_type(
        UpdateEquipmentType(
            equipment_type_id=type_id,
            name=details.name,
            category_id=details.category_id,
            short_description=details.short_description,
            specs=details.specs,
            active=False,
        )
    )


def test_types_list_what_the_catalog_lists_with_specs_and_rate_cards(app, client):
    power = make_category("Power")
    generator = make_type(units=2, category_id=power, hourly="20.00", daily="120.00")
    light = make_type(units=1, name="Light", weekly=None, deposit=None)
    hidden = make_type(units=1, name="Old")
    _deactivate(hidden.type_id)
    db.session.remove()
    body = client.get("/api/v1/equipment-types").get_json()
    slugs = [t["slug"] for t in body["data"]]
    assert slugs == sorted([generator.slug, light.slug])  # by name, as the catalog sorts
    assert hidden.slug not in slugs and body["next_cursor"] is None
    first = next(t for t in body["data"] if t["slug"] == generator.slug)
    assert first["rate_card"] == {
        "hourly": {"amount": "20.00", "currency": "EUR"},
        "daily": {"amount": "120.00", "currency": "EUR"},
        "weekly": {"amount": "600.00", "currency": "EUR"},
        "minimum_rental_minutes": 60,
        "minimum_rental": "1 hour",
        "deposit": {"amount": "200.00", "currency": "EUR"},
        "currency": "EUR",
    }
    assert first["specs"][0]["key"] == "power_kw" and first["specs"][0]["value"] == 16
    assert first["url"] == f"/catalog/{generator.slug}"
    assert first["category"]["slug"].startswith("power")
    second = next(t for t in body["data"] if t["slug"] == light.slug)
    assert second["rate_card"]["weekly"] is None and second["rate_card"]["deposit"] is None
    # Staff-only fields never appear.
    assert "active" not in first and "image_alt" not in first
    # Filters: the category (a slug), text.
    category_slug = first["category"]["slug"]
    only = client.get(f"/api/v1/equipment-types?category={category_slug}").get_json()
    assert [t["slug"] for t in only["data"]] == [generator.slug]
    found = client.get("/api/v1/equipment-types?q=light").get_json()
    assert [t["slug"] for t in found["data"]] == [light.slug]
    unknown = assert_problem(client.get("/api/v1/equipment-types?category=nope"), 422)
    assert unknown["errors"][0]["field"] == "category"


def test_types_come_in_cursor_pages_with_a_link_header(app, client):
    for _ in range(5):
        make_type(units=1)
    db.session.remove()
    seen: list[str] = []
    url = "/api/v1/equipment-types?limit=2"
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        body = response.get_json()
        seen += [t["slug"] for t in body["data"]]
        pages += 1
        link = response.headers.get("Link")
        assert (link is None) == (body["next_cursor"] is None)
        url = link[1 : link.index(">")] if link else None
    assert pages == 3 and len(seen) == len(set(seen)) == 5
    forged = assert_problem(client.get("/api/v1/equipment-types?cursor=abc"), 422)
    assert forged["errors"][0]["field"] == "cursor"


def test_one_type_has_all_its_specs_and_404s_when_hidden_or_unknown(app, client):
    fleet = make_type(units=1)
    db.session.remove()
    response = client.get(f"/api/v1/equipment-types/{fleet.slug}")
    body = response.get_json()
    assert body["specs"] == [
        {"key": "power_kw", "label": "Power (kW)", "value": 16, "display": "16", "kind": "number"}
    ]
    assert body["rate_card"]["daily"]["amount"] == "120.00"
    assert body["availability"] == f"/api/v1/availability?equipment_type={fleet.slug}"
    etag = response.headers["ETag"]
    again = client.get(f"/api/v1/equipment-types/{fleet.slug}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert_problem(client.get("/api/v1/equipment-types/no-such-thing"), 404, "not-found")
    _deactivate(fleet.type_id)
    db.session.remove()
    gone = assert_problem(client.get(f"/api/v1/equipment-types/{fleet.slug}"), 404)
    assert gone["detail"] == "This equipment is no longer in our catalog."


def test_kits_show_components_and_the_kit_pages_prices(app, client):
    generators = make_type(units=2, hourly="20.00", daily="120.00")
    lights = make_type(units=4, name="Light", hourly="5.00", daily="30.00", weekly=None)
    hidden_part = make_type(units=1, name="Old")
    catalog = CatalogFacade()
    catalog.define_kit(
        DefineKit(
            name="Event power kit",
            slug="event-power",
            description="Stage power.",
            discount_percent=Decimal("10"),
            components=(KitComponent(generators.type_id, 1), KitComponent(lights.type_id, 2)),
        )
    )
    catalog.define_kit(
        DefineKit(
            name="Old kit",
            slug="old-kit",
            components=(KitComponent(hidden_part.type_id, 1),),
        )
    )
    _deactivate(hidden_part.type_id)
    db.session.remove()
    body = client.get("/api/v1/kits").get_json()
    assert [k["slug"] for k in body["data"]] == ["event-power"]  # a hidden component hides it
    kit = body["data"][0]
    assert [(c["equipment_type"]["slug"], c["quantity"]) for c in kit["components"]] == [
        (generators.slug, 1),
        (lights.slug, 2),
    ]
    # (20 + 2 × 5) − 10 % per started hour; (120 + 2 × 30) − 10 % per day: the kit page's.
    assert kit["prices"]["hourly"] == {"amount": "27.00", "currency": "EUR"}
    assert kit["prices"]["daily"] == {"amount": "162.00", "currency": "EUR"}
    assert kit["prices"]["pricing"] == "discount" and kit["prices"]["discount_percent"] == "10"
    page = client.get("/catalog/kits/event-power").get_data(as_text=True)
    assert "€27.00" in page and "€162.00" in page
    one = client.get("/api/v1/kits/event-power")
    assert one.get_json()["availability"] == "/api/v1/availability?kit=event-power"
    assert (
        client.get(
            "/api/v1/kits/event-power", headers={"If-None-Match": one.headers["ETag"]}
        ).status_code
        == 304
    )
    assert_problem(client.get("/api/v1/kits/old-kit"), 404)
    assert_problem(client.get("/api/v1/kits/no-such-kit"), 404)


def test_public_reads_need_no_token_and_are_counted_per_ip(app, client):
    CatalogFacade().create_category(CreateCategory(name="Audio"))
    db.session.remove()
    app.config["API_PUBLIC_RATE_LIMIT"] = "3 per minute"
    try:
        for _ in range(3):
            assert client.get("/api/v1/kits").status_code == 200
        limited = assert_problem(client.get("/api/v1/equipment-types"), 429, "rate-limited")
        assert limited["detail"]
    finally:
        app.config["API_PUBLIC_RATE_LIMIT"] = "300 per minute"


def test_the_root_links_the_catalog_availability_and_the_reference(client):
    links = client.get("/api/v1").get_json()["links"]
    assert links["equipment_types"] == "/api/v1/equipment-types"
    assert links["kits"] == "/api/v1/kits"
    assert links["availability"] == "/api/v1/availability"
