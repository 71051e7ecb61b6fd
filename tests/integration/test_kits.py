"""Kits (issue 11, the catalog side) on SQLite and PostgreSQL: staff define, edit and
deactivate kits (bad input: 422 next to the fields, nothing saved); visitors see the kit page
with the components' prices minus the discount and, for dates, as many kits as the components'
check_availability allows; a hidden component hides the kit; the page's statements are
bounded; kits join the sitemap."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest

from rental.booking import BookingFacade, CheckAvailability, PricingBasis
from rental.catalog import (
    CatalogFacade,
    DefineKit,
    KitComponent,
    UpdateEquipmentType,
    UpdateKit,
)
from rental.shared.errors import ValidationError
from tests.support.auth import sign_in
from tests.support.daily import book, days, tomorrow
from tests.support.fleet import make_type
from tests.support.statements import cold_statements, explain


@pytest.fixture
def web(app, admin_user):
    client = sign_in(app.test_client(), admin_user)
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        yield client
    finally:
        app.config["WTF_CSRF_ENABLED"] = True


def text(response) -> str:
    return response.get_data(as_text=True)


def power_kit(generators, lights, discount="10", **more) -> str:
    return CatalogFacade().define_kit(
        DefineKit(
            name="Event power kit",
            slug="event-power",
            description="Stage power.",
            discount_percent=Decimal(discount),
            components=(KitComponent(generators.type_id, 1), KitComponent(lights.type_id, 2)),
            **more,
        )
    )


def form(generators, lights, **changes) -> dict[str, str]:
    data = {
        "name": "Event power kit",
        "slug": "",
        "description": "Stage power.",
        "discount_percent": "10",
        "active": "on",
        "type-0": generators.type_id,
        "quantity-0": "1",
        "type-1": lights.type_id,
        "quantity-1": "2",
        "type-2": "",
        "quantity-2": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def fleets(app):
    generators = make_type(units=3, name="Generator", hourly="20.00", daily="120.00")
    lights = make_type(units=5, name="Light tower", hourly="7.50", daily="45.55", weekly=None)
    return generators, lights


def test_staff_create_edit_and_deactivate_a_kit(web, fleets):
    generators, lights = fleets
    assert "No kits yet" in text(web.get("/admin/catalog/kits"))
    new = web.get("/admin/catalog/kits/new")
    assert new.status_code == 200 and 'name="type-0"' in text(new)
    created = web.post("/admin/catalog/kits", data=form(generators, lights))
    assert created.status_code == 303
    [kit] = CatalogFacade().list_kits()
    assert kit.slug == "event-power-kit" and kit.discount_percent == Decimal(10)
    assert [(line.equipment_type_id, line.quantity) for line in kit.lines] == [
        (generators.type_id, 1),
        (lights.type_id, 2),
    ]
    listing = text(web.get("/admin/catalog/kits"))
    assert "Event power kit" in listing and "2 × Light tower" in listing and "SHOWN" in listing
    edit = text(web.get(f"/admin/catalog/kits/{kit.id}/edit"))
    assert 'value="event-power-kit"' in edit and 'value="10"' in edit
    changed = form(generators, lights, name="Big power kit", discount_percent="25")
    changed.pop("active")  # unticked: deactivated
    assert web.post(f"/admin/catalog/kits/{kit.id}", data=changed).status_code == 303
    kit = CatalogFacade().get_kit(kit.id)
    assert (kit.name, kit.discount_percent, kit.active) == ("Big power kit", Decimal(25), False)
    assert "INACTIVE" in text(web.get("/admin/catalog/kits"))
    assert web.get("/catalog/kits/event-power-kit").status_code == 404


NO_COMPONENTS = {"type-0": "", "quantity-0": "", "type-1": "", "quantity-1": ""}


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"name": "  "}, "name", "Give the kit a name"),
        ({"discount_percent": "95"}, "discount_percent", "from 0 to 90"),
        ({"discount_percent": "-5"}, "discount_percent", "from 0 to 90"),
        ({"discount_percent": "ten"}, "discount_percent", "from 0 to 90"),
        (NO_COMPONENTS, "components", "at least one"),
        ({"type-1": "SAME"}, "components", "appears once"),
        ({"quantity-1": "0"}, "components", "from 1 to 99"),
        ({"quantity-1": "two"}, "components", "from 1 to 99"),
        ({"type-1": "no-such-type"}, "components", "active equipment types only"),
        ({"slug": "Not A Slug!"}, "slug", "lowercase letters"),
    ],
)
def test_bad_input_is_answered_next_to_the_field_and_nothing_is_saved(
    web, fleets, changes, field, words
):
    generators, lights = fleets
    if changes.get("type-1") == "SAME":
        changes = {**changes, "type-1": generators.type_id}
    response = web.post("/admin/catalog/kits", data=form(generators, lights, **changes))
    body = text(response)
    assert response.status_code == 422
    assert f'id="{field}-error"' in body and words in body, body
    assert CatalogFacade().list_kits() == []


def test_an_inactive_type_cannot_join_a_kit_and_a_taken_address_is_refused(web, fleets):
    generators, lights = fleets
    power_kit(generators, lights)
    again = web.post("/admin/catalog/kits", data=form(generators, lights, slug="event-power"))
    assert again.status_code == 422 and "already used by another kit" in text(again)
    assert len(CatalogFacade().list_kits()) == 1


def test_the_kit_page_lists_components_and_prices_minus_the_discount(client, fleets):
    generators, lights = fleets
    power_kit(generators, lights, discount="12.5")
    page = text(client.get("/catalog/kits/event-power"))
    assert "Event power kit" in page and "KIT" in page
    assert "2 ×" in page and generators.slug in page and lights.slug in page
    # hourly: (20 + 2 × 7.50) × 0.875 = 30.625 → €30.63; daily: (120 + 2 × 45.55) × 0.875
    # = 184.7125 → €184.71 (exact until shown)
    assert "€30.63" in page and "€184.71" in page
    assert '"@type": "Product"' in page or '"@type":"Product"' in page
    assert '"price": "184.71"' in page or '"price":"184.71"' in page
    listing = text(client.get("/catalog/kits"))
    assert "Event power kit" in listing and "€184.71" in listing
    assert 'href="/catalog/kits"' in text(client.get("/catalog"))
    sitemap = text(client.get("/sitemap.xml"))
    assert "/catalog/kits/event-power</loc>" in sitemap and "/catalog/kits</loc>" in sitemap


def test_with_dates_the_kit_page_says_what_the_components_availability_allows(client, fleets):
    generators, lights = fleets  # 3 generators, 5 light towers; a kit takes 1 + 2
    power_kit(generators, lights)
    d = tomorrow()
    book(lights.type_id, days(d, d), 2)  # 3 lights left on d: one kit (floor 3/2 = 1)
    for quantity in (2, 1):  # no generator left on d+1 (two bookings: 3 is above the online cap)
        book(generators.type_id, days(d + timedelta(1), d + timedelta(1)), quantity)
    booking = BookingFacade()
    for offset, expected in [(0, 1), (1, 0), (2, 2)]:
        day = d + timedelta(offset)
        free = {
            fleet.type_id: booking.check_availability(
                CheckAvailability(
                    fleet.type_id, days(day, day), 1, PricingBasis.DAILY, with_alternatives=False
                )
            ).remaining_capacity
            for fleet in fleets
        }
        assert min(free[generators.type_id] // 1, free[lights.type_id] // 2) == expected
        query = urlencode({"start_date": day.isoformat(), "end_date": day.isoformat()})
        page = text(client.get(f"/catalog/kits/event-power?{query}"))
        answer = re.search(r'id="kit-availability".*?<p>(.*?)</p>', page, re.S).group(1)
        said = " ".join(re.sub(r"<[^>]+>", " ", answer).split())
        assert said.startswith("Booked out" if expected == 0 else f"{expected} free"), said
    bad = client.get("/catalog/kits/event-power?start_date=2020-01-01&end_date=2020-01-01")
    assert bad.status_code == 422 and "field-error" in text(bad)
    garbage = client.get("/catalog/kits/event-power?start_date=tomorrow&quantity=x")
    assert garbage.status_code == 422


def test_an_inactive_component_hides_the_kit_from_visitors(client, fleets):
    generators, lights = fleets
    power_kit(generators, lights)
    assert client.get("/catalog/kits/event-power").status_code == 200
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
    assert client.get("/catalog/kits/event-power").status_code == 404
    assert "Event power kit" not in text(client.get("/catalog/kits"))
    assert "/catalog/kits/event-power" not in text(client.get("/sitemap.xml"))
    assert catalog.list_kits(public_only=True) == []
    assert len(catalog.list_kits()) == 1  # staff still see it


def test_an_unknown_kit_is_the_sites_404(client, app):
    response = client.get("/catalog/kits/nothing-here")
    assert response.status_code == 404


def test_kit_updates_refuse_bad_components_and_keep_the_kit(app, fleets):
    generators, lights = fleets
    kit_id = power_kit(generators, lights)
    with pytest.raises(ValidationError):
        CatalogFacade().update_kit(
            UpdateKit(kit_id, name="X", components=(), discount_percent=Decimal(5))
        )
    assert CatalogFacade().get_kit(kit_id).name == "Event power kit"


def test_the_kit_page_costs_the_same_statements_for_two_components_as_for_six(client, app):
    d = tomorrow() + timedelta(days=3)
    query = "?" + urlencode({"start_date": d.isoformat(), "end_date": d.isoformat()})
    small = [make_type(units=2) for _ in range(2)]
    catalog = CatalogFacade()
    catalog.define_kit(
        DefineKit("Small kit", tuple(KitComponent(f.type_id, 1) for f in small), slug="small")
    )
    big = [make_type(units=2) for _ in range(6)]
    catalog.define_kit(
        DefineKit("Big kit", tuple(KitComponent(f.type_id, 1) for f in big), slug="big")
    )
    book(big[0].type_id, days(d, d), 1)
    for suffix, budget in (("", 3), (query, 5)):
        with cold_statements() as few:
            assert client.get("/catalog/kits/small" + suffix).status_code == 200
        with cold_statements() as many:
            assert client.get("/catalog/kits/big" + suffix).status_code == 200
        # the kit with its components (1), their rate cards (1), the shop's footer (1);
        # with dates the fleets' capacity profiles (1) and their reservations (1)
        assert len(many) == len(few) <= budget, explain(many)


def test_a_catalog_search_finds_kits_by_name_or_what_is_in_them(app, client, fleets):
    generators, lights = fleets
    power_kit(generators, lights)
    lights_name = CatalogFacade().get_equipment_type_details(lights.type_id).name
    by_name = text(client.get("/catalog?q=power"))
    assert 'id="kit-matches"' in by_name and "/catalog/kits/event-power" in by_name
    by_part = text(client.get("/catalog", query_string={"q": lights_name.split()[0]}))
    assert "/catalog/kits/event-power" in by_part
    assert 'id="kit-matches"' not in text(client.get("/catalog?q=zzzz"))
    assert 'id="kit-matches"' not in text(client.get("/catalog"))
