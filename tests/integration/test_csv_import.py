"""CSV import (issue 14, "CSV — Import" and "Bad input"): administrators upload equipment types
(with specs and rates) or items, see a preview with per-row errors, and apply it all-or-nothing.
The round trip: a catalog exported through the staff pages and imported into an emptied
database through the staff pages is the same catalog."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from rental.catalog import (
    CatalogFacade,
    CreateCategory,
    DefineEquipmentType,
    DeleteCategory,
    SearchEquipmentTypes,
)
from rental.extensions import db
from rental.inventory import ChangeItemStatus, InventoryFacade, RegisterEquipment
from rental.pricing import PricingFacade, SetRateCard
from rental.transfers import TYPES_CSV_HEADER
from tests.support.auth import create_staff, csrf_token, sign_in
from tests.support.databases import wipe

TYPES = ",".join(TYPES_CSV_HEADER)


def build_catalog() -> None:
    catalog = CatalogFacade()
    power = catalog.create_category(CreateCategory("Power"))
    lifts = catalog.create_category(CreateCategory("Lifts"))
    generator = catalog.define_equipment_type(
        DefineEquipmentType(
            name="Generator 16 kW",
            category_id=power,
            short_description="Quiet, for events",
            description="Comes with:\n- a spare fuel can\n=not a formula, just text",
            specs={"power_kw": 16, "fuel": "diesel", "weight_kg": 412.5, "electric_start": True},
            slug="generator-16",
        )
    )
    lift = catalog.define_equipment_type(
        DefineEquipmentType(
            name="Scissor lift 8 m", category_id=lifts, specs={"height_m": 8}, active=False
        )
    )
    catalog.define_equipment_type(DefineEquipmentType(name="Cable drum", category_id=power))
    pricing = PricingFacade()
    pricing.set_rate_card(
        SetRateCard(
            generator,
            Decimal("12.50"),
            Decimal("60"),
            Decimal("300"),
            "EUR",
            timedelta(hours=4),
            Decimal("250"),
        )
    )
    pricing.set_rate_card(SetRateCard(lift, Decimal("20"), Decimal("95.5")))
    inventory = InventoryFacade()
    inventory.register_new_equipment(
        RegisterEquipment(generator, "G-001", date(2024, 1, 15), "=SUM(A1:A9)", "Yard A")
    )
    second = inventory.register_new_equipment(RegisterEquipment(generator, "G-002"))
    inventory.change_item_status(ChangeItemStatus(second, "MAINTENANCE", "oil change"))
    retired = inventory.register_new_equipment(RegisterEquipment(lift, "L-001", notes="old"))
    inventory.change_item_status(ChangeItemStatus(retired, "RETIRED", "worn out"))
    db.session.remove()


def snapshot() -> tuple[dict, dict]:
    catalog, pricing = CatalogFacade(), PricingFacade()
    categories = {c.id: c.slug for c in catalog.list_categories()}
    found = catalog.search_equipment_types(
        SearchEquipmentTypes(include_inactive=True, page_size=100)
    )
    types = {}
    slugs = {}
    for summary in found.items:
        d = catalog.get_equipment_type_details(summary.id)
        card = pricing.get_rate_card(d.id)
        slugs[d.id] = d.slug
        types[d.slug] = (
            d.name,
            categories[d.category_id],
            d.short_description,
            d.description,
            d.specs,
            d.active,
            card
            and (
                card.hourly,
                card.daily,
                card.weekly,
                card.deposit,
                card.minimum_duration,
            ),
        )
    items = {
        i.serial_number: (slugs[i.equipment_type_id], i.status, i.location, i.notes, i.acquired_on)
        for i in InventoryFacade().list_items()
    }
    db.session.remove()
    return types, items


def download(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200
    data = response.get_data()
    db.session.remove()
    assert data.startswith(b"\xef\xbb\xbf")
    return data


def upload(client, kind: str, data: bytes, name: str = "catalog.csv"):
    return client.post(
        "/admin/imports",
        data={
            "csrf_token": csrf_token(client, "/admin/imports"),
            "kind": kind,
            "file": (io.BytesIO(data), name),
        },
        content_type="multipart/form-data",
    )


def token_of(response) -> str:
    match = re.search(r"/admin/imports/([0-9a-f]{32})/apply", response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[-3000:]
    return match.group(1)


def apply(client, kind: str, token: str):
    return client.post(
        f"/admin/imports/{token}/apply",
        data={"csrf_token": csrf_token(client, "/admin/imports"), "kind": kind},
    )


def preview_and_apply(client, kind: str, data: bytes) -> str:
    preview = upload(client, kind, data)
    assert preview.status_code == 200, preview.get_data(as_text=True)[-3000:]
    applied = apply(client, kind, token_of(preview))
    assert applied.status_code == 303, applied.get_data(as_text=True)[-3000:]
    return client.get(applied.headers["Location"]).get_data(as_text=True)


def type_count() -> int:
    found = CatalogFacade().search_equipment_types(SearchEquipmentTypes(include_inactive=True))
    db.session.remove()
    return found.total


def categories(client, *names: str) -> None:
    for name in names:
        token = csrf_token(client, "/admin/catalog/categories")
        response = client.post(
            "/admin/catalog/categories", data={"name": name, "csrf_token": token}
        )
        assert response.status_code == 303


# --- the round trip ---------------------------------------------------------------------------


def test_round_trip_export_then_import_into_an_empty_database_gives_the_same_catalog(
    app, admin_client
):
    build_catalog()
    types_csv = download(admin_client, "/admin/catalog/types.csv")
    items_csv = download(admin_client, "/admin/inventory/items.csv")
    before = snapshot()
    assert len(before[0]) == 3 and len(before[1]) == 3
    assert b"'=not a formula" not in types_csv  # only cells *starting* with = are escaped
    assert b"'=SUM(A1:A9)" in items_csv

    wipe(app)  # a fresh, empty database: no types, no items, no users
    assert type_count() == 0
    client = sign_in(app.test_client(), create_staff("ADMIN"))
    categories(client, "Power", "Lifts")  # categories are not imported

    preview = upload(client, "types", types_csv)
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "3 to create" in body and "0 errors" in body
    assert type_count() == 0  # a preview writes nothing
    page = client.post(
        f"/admin/imports/{token_of(preview)}/apply",
        data={"csrf_token": csrf_token(client, "/admin/imports"), "kind": "types"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "3 created, 0 updated, 0 unchanged" in page
    page = preview_and_apply(client, "items", items_csv)
    assert "3 created, 0 updated, 0 unchanged" in page

    assert snapshot() == before

    # Applying the same files again changes nothing.
    again = upload(client, "types", types_csv).get_data(as_text=True)
    assert "3 unchanged" in again and "0 to create" in again and "0 to update" in again
    again = upload(client, "items", items_csv).get_data(as_text=True)
    assert "3 unchanged" in again
    assert snapshot() == before


def test_updates_by_slug_and_serial_and_a_double_click_imports_once(app, admin_client):
    build_catalog()
    types_csv = download(admin_client, "/admin/catalog/types.csv").decode("utf-8-sig")
    changed = types_csv.replace("Quiet, for events", "Very quiet").replace(",60.00,", ",65,")
    preview = upload(admin_client, "types", changed.encode())
    body = preview.get_data(as_text=True)
    assert "1 to update" in body and "2 unchanged" in body
    token = token_of(preview)
    assert apply(admin_client, "types", token).status_code == 303
    second = apply(admin_client, "types", token)  # the double click
    assert second.status_code == 409 and "no longer here" in second.get_data(as_text=True)
    types, _ = snapshot()
    assert types["generator-16"][2] == "Very quiet" and types["generator-16"][6][1].amount == 65

    items_csv = download(admin_client, "/admin/inventory/items.csv").decode("utf-8-sig")
    rows = items_csv.splitlines()
    rows = [r.replace("Maintenance", "Available") if "G-002" in r else r for r in rows]
    rows.append(",N-1,,cable-drum,Cable drum,Available,Shelf 3,2025-02-01,new")
    preview = upload(admin_client, "items", "\n".join(rows).encode())
    body = preview.get_data(as_text=True)
    assert "1 to create" in body and "1 to update" in body and "2 unchanged" in body
    assert apply(admin_client, "items", token_of(preview)).status_code == 303
    _, items = snapshot()
    assert items["G-002"][1] == "AVAILABLE" and items["N-1"] == (
        "cable-drum",
        "AVAILABLE",
        "Shelf 3",
        "new",
        date(2025, 2, 1),
    )


# --- bad input ----------------------------------------------------------------------------------

GOOD_TYPE = "drill,Drill,power,,,yes,,EUR,5,20,,,1"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (b"\xef\xbb\xbf", "The file is empty"),
        (TYPES.encode(), "the header but no rows"),
        (b"PK\x03\x04\x14\x00\x06\x00rest of a workbook", "spreadsheet workbook"),
        (b"Slug,Name\x00\x01\x02binary", "not a CSV file"),
        ("Slug,Name\nbohrer,Größe".encode("cp1252"), "not UTF-8"),
        ("\ufeffSlug,Name".encode("utf-16"), "UTF-16"),
        (
            b"Slug,Name,Category\ndrill,Drill,power",
            "The first line must be: " + ", ".join(TYPES_CSV_HEADER),
        ),
        ((TYPES + ",Colour\n" + GOOD_TYPE + ",red").encode(), "not known: “Colour”"),
        ((TYPES + ",Name\n" + GOOD_TYPE + ",x").encode(), "“Name” appears more than once"),
        (TYPES.replace(",", ";").encode() + b"\n", "separated by semicolons"),
        (
            (
                TYPES + "\n" + "".join(f"t{i},T{i},power,,,yes,,,,,,,\n" for i in range(10_001))
            ).encode(),
            "more than 10,000 rows",
        ),
        ((TYPES + '\n"drill,Drill\n').encode() + b"x" * 200_000, "not readable CSV"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_with_a_message(admin_client, data, message):
    CatalogFacade().create_category(CreateCategory("Power"))
    db.session.remove()
    response = upload(admin_client, "types", data)
    body = response.get_data(as_text=True)
    assert response.status_code == 422, body[-2000:]
    assert message in body and "Nothing was imported" in body
    assert "/apply" not in body
    assert type_count() == 0


def test_a_huge_file_is_refused_before_it_is_read(admin_client):
    data = (TYPES + "\n").encode() + b"x,y,power,,,yes,,,,,,,\n" * 300_000  # ~7 MB
    response = upload(admin_client, "types", data)
    body = response.get_data(as_text=True)
    assert response.status_code == 413 and "larger than 5 MB" in body
    assert type_count() == 0


def row_errors(response) -> list[str]:
    return re.findall(r"<li>(Row \d+[^<]*)</li>", response.get_data(as_text=True))


def test_faulty_rows_are_listed_with_row_column_and_the_forms_message(admin_client):
    CatalogFacade().create_category(CreateCategory("Power"))
    db.session.remove()
    lines = [
        TYPES,
        GOOD_TYPE,  # row 2: fine
        "drill,Drill again,power,,,yes,,EUR,5,20,,,1",  # 3: same slug as row 2
        "saw,Saw,nowhere,,,yes,,EUR,5,20,,,1",  # 4: unknown category
        "pump,Pump,power,,,yes,,EUR,abc,-5,,,1",  # 5: not money, negative
        "fan,Fan,power,,,maybe,,EUR,5,20,,,1",  # 6: active
        'heater,=HYPERLINK("http://x"),power,,,yes,,EUR,5,20,,,1',  # 7: a formula
        'light,Light,power,,,yes,"{""power_kw"": 2000000000, ""fuel"": ""diesel""}",,,,,,',  # 8
        "hose,,power,,,yes,,EUR,5,20,,,1",  # 9: no name (the form's message)
        "cart,Cart,power,,,yes,not json,,,,,,",  # 10: specs not JSON
        "vac,Vac,power,,,yes,,EUR,5.123,20,,,1",  # 11: three decimals (the rate card's rule)
    ]
    response = upload(admin_client, "types", "\n".join(lines).encode())
    assert response.status_code == 422
    errors = row_errors(response)
    text = "\n".join(errors)
    assert "Row 3, Slug: “drill” is also on row 2" in text
    assert "Row 4, Category: No category has the address “nowhere”" in text
    assert "Row 5, Hourly rate:" in text and "Row 5, Daily rate:" in text
    assert "Row 6, Active: Write yes or no." in text
    assert "Row 11, Hourly rate: The hourly rate can have at most 2 decimals in EUR." in text
    assert "Row 7, Name: “=HYPERLINK" in text and "looks like a spreadsheet formula" in text
    assert "Row 8, Specs: power_kw: Keep power_kw between -1,000,000,000" in text
    assert "Row 9, Name: Give the equipment type a name." in text
    assert "Row 10, Specs: Write the specifications as in the export" in text
    body = response.get_data(as_text=True)
    assert "1 to create" in body and "/apply" not in body
    assert type_count() == 0  # one bad row: nothing written


def test_items_of_an_unknown_type_or_twice_in_the_file_are_errors(admin_client):
    build_catalog()
    header = (
        download(admin_client, "/admin/inventory/items.csv").decode("utf-8-sig").splitlines()[0]
    )
    lines = [
        header,
        ",X-1,,no-such-type,,Available,,,",
        ",X-2,,cable-drum,,Available,,,",
        ",x 2,,cable-drum,,Available,,,",  # the same serial once cleaned (X2? no: X-2 vs X2)
        ",X-2,,cable-drum,,Available,,,",
        ",X-3,,cable-drum,,Lost,,31.02.2024,",
        ",G-001,,cable-drum,,Available,,,",  # another type than it is registered as
        ",X-4,,cable-drum,,Allocated,,,",
    ]
    response = upload(admin_client, "items", "\n".join(lines).encode())
    assert response.status_code == 422
    text = "\n".join(row_errors(response))
    assert "Row 2, Equipment type slug: No equipment type has the address “no-such-type”" in text
    assert "Row 5, Serial number: X-2 is also on row 3" in text
    assert "Row 6, Status: Write one of" in text and "Row 6, Acquired on:" in text
    assert "Row 7, Equipment type slug: G-001 is registered as another equipment type" in text
    assert "Row 8, Status: An item is allocated only" in text
    assert {i.serial_number for i in InventoryFacade().list_items()} == {"G-001", "G-002", "L-001"}


def test_an_apply_that_fails_midway_writes_nothing_and_shows_the_preview_again(admin_client):
    catalog = CatalogFacade()
    catalog.create_category(CreateCategory("Power"))
    spare = catalog.create_category(CreateCategory("Spare"))
    db.session.remove()
    lines = [TYPES, GOOD_TYPE, "saw,Saw,power,,,yes,,EUR,5,20,,,1", "pump,Pump,spare,,,yes,,,,,,,"]
    preview = upload(admin_client, "types", "\n".join(lines).encode())
    assert preview.status_code == 200 and "3 to create" in preview.get_data(as_text=True)
    catalog.delete_category(DeleteCategory(spare))  # meanwhile, someone deletes a category
    db.session.remove()
    response = apply(admin_client, "types", token_of(preview))
    assert response.status_code == 409
    assert "Row 4, Category: No category has the address “spare”" in "\n".join(row_errors(response))
    assert type_count() == 0  # rows 2 and 3 went in before row 4 failed: rolled back


def test_a_rate_card_the_pricing_rules_refuse_is_a_row_error_and_nothing_is_written(admin_client):
    CatalogFacade().create_category(CreateCategory("Power"))
    db.session.remove()
    # The minimum rental is longer than any booking may be: Pricing's own rule, in its words.
    lines = [TYPES, GOOD_TYPE, "saw,Saw,power,,,yes,,EUR,5,20,,,100000"]
    response = upload(admin_client, "types", "\n".join(lines).encode())
    assert response.status_code == 422
    assert "Row 3, Minimum rental (hours): The minimum rental can be at most" in "\n".join(
        row_errors(response)
    )
    assert type_count() == 0


def test_an_unknown_or_expired_upload_gets_a_message(admin_client):
    response = apply(admin_client, "types", "0" * 32)
    assert response.status_code == 409 and "no longer here" in response.get_data(as_text=True)
    response = apply(admin_client, "types", "../../etc/passwd")
    assert response.status_code in (404, 409)
    response = apply(admin_client, "nonsense", "0" * 32)
    assert response.status_code == 422


def test_missing_kind_or_file_is_said_next_to_the_field(admin_client):
    response = admin_client.post(
        "/admin/imports",
        data={"csrf_token": csrf_token(admin_client, "/admin/imports"), "kind": "people"},
        content_type="multipart/form-data",
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "Choose what the file holds" in body


# --- who may import -----------------------------------------------------------------------------


def test_only_administrators_import(app, client, staff_client, admin_client):
    page = admin_client.get("/admin/imports")
    assert page.status_code == 200 and "At most 5 MB and 10,000 rows" in page.get_data(True)
    assert 'href="/admin/imports"' in admin_client.get("/admin/").get_data(as_text=True)
    assert staff_client.get("/admin/imports").status_code == 403
    token = csrf_token(staff_client, "/admin/")
    response = staff_client.post(
        "/admin/imports",
        data={"csrf_token": token, "kind": "types", "file": (io.BytesIO(b"x"), "x.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert (
        staff_client.post(
            f"/admin/imports/{'0' * 32}/apply", data={"csrf_token": token}
        ).status_code
        == 403
    )
    # Staff may download the catalog export (as every other export).
    assert staff_client.get("/admin/catalog/types.csv").status_code == 200
    db.session.remove()
    anonymous = client.get("/admin/imports")
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["Location"]
    assert client.get("/admin/catalog/types.csv").status_code in (302, 303)


def test_the_upload_and_the_apply_need_the_csrf_token(admin_client):
    CatalogFacade().create_category(CreateCategory("Power"))
    db.session.remove()
    response = admin_client.post(
        "/admin/imports",
        data={"kind": "types", "file": (io.BytesIO(f"{TYPES}\n{GOOD_TYPE}".encode()), "t.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    preview = upload(admin_client, "types", f"{TYPES}\n{GOOD_TYPE}".encode())
    response = admin_client.post(
        f"/admin/imports/{token_of(preview)}/apply", data={"kind": "types"}
    )
    assert response.status_code == 400
    assert type_count() == 0
