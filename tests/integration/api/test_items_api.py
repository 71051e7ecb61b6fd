"""Items through the API (scope `read`) on SQLite and PostgreSQL: the list is
InventoryFacade's (filters: equipment type slug, status) by serial, paginated with a Link
header; an item is what its staff page shows (type, status, notes, history, maintenance)
with its current/next booking; bad filters 422; unknown serial 404; tokens checked."""

from __future__ import annotations

from rental.booking import BookingFacade
from rental.catalog import CatalogFacade
from rental.inventory import InventoryFacade
from tests.integration.api.conftest import assert_problem, bearer, make_token
from tests.support.world import make_world


def walk(client, url, secret) -> list[dict]:
    """Every item, following the Link headers."""
    rows: list[dict] = []
    while url:
        response = client.get(url, headers=bearer(secret))
        assert response.status_code == 200, response.get_data(as_text=True)
        rows += response.get_json()["data"]
        link = response.headers.get("Link")
        url = link[1 : link.index(">")] if link else None
    return rows


def test_the_list_is_the_facades_paged_by_serial_and_filtered(app, client):
    world = make_world()
    secret = make_token("read")
    every = sorted(InventoryFacade().list_items(), key=lambda i: i.serial_number)
    assert len(every) > 2
    first = client.get("/api/v1/items?limit=2", headers=bearer(secret))
    assert len(first.get_json()["data"]) == 2 and 'rel="next"' in first.headers["Link"]
    rows = walk(client, "/api/v1/items?limit=2", secret)
    assert [r["serial_number"] for r in rows] == [i.serial_number for i in every]
    assert [r["status"] for r in rows] == [i.status for i in every]
    slug = world.first("slug")
    kind = CatalogFacade().get_equipment_type_by_slug(slug)
    of_type = walk(client, f"/api/v1/items?equipment_type={slug}", secret)
    assert {r["id"] for r in of_type} == set(world.values["item_id"])
    assert {r["equipment_type"]["name"] for r in of_type} == {kind.name}
    available = walk(client, "/api/v1/items?status=AVAILABLE", secret)
    assert {r["id"] for r in available} == {i.id for i in every if i.status == "AVAILABLE"}


def test_bad_filters_are_422(app, client):
    secret = make_token("read")
    for query, field in (
        ("status=BROKEN", "status"),
        ("equipment_type=no-such-thing", "equipment_type"),
        ("limit=101", "limit"),
    ):
        problem = assert_problem(client.get(f"/api/v1/items?{query}", headers=bearer(secret)), 422)
        assert problem["errors"][0]["field"] == field


def test_an_item_is_what_its_page_shows_with_its_bookings(app, client):
    world = make_world()
    secret = make_token("read")
    inventory = InventoryFacade()
    allocated = [
        inventory.get_item(i)
        for i in (s.id for s in inventory.list_items())
        if inventory.get_item(i).allocations
    ]
    assert allocated, "the world's confirmed order has items allocated"
    item = allocated[0]
    body = client.get(f"/api/v1/items/{item.serial_number.lower()}", headers=bearer(secret))
    assert body.status_code == 200, body.get_data(as_text=True)
    data = body.get_json()
    assert data["serial_number"] == item.serial_number and data["status"] == item.status
    assert data["notes"] == item.notes and data["location"] == item.location
    assert [h["to_status"] for h in data["history"]] == [h.to_status for h in item.history]
    upcoming = data["next_allocation"]
    assert data["current_allocation"] is None and upcoming is not None
    (allocation,) = [a for a in item.allocations if a.reservation_id == upcoming["reservation_id"]]
    order = BookingFacade().get_order(world.first("order_id"))
    assert upcoming["order_reference"] == order.reference
    assert upcoming["reservation_reference"] in {line.reference for line in order.lines}
    assert upcoming["start"] == allocation.period.start.isoformat().replace("+00:00", "Z")
    # The world's maintenance window is on the type's last item.
    maintained = inventory.get_item(world.values["item_id"][-1])
    body = client.get(f"/api/v1/items/{maintained.serial_number}", headers=bearer(secret))
    assert [w["reason"] for w in body.get_json()["maintenance"]] == ["Service"]
    assert_problem(client.get("/api/v1/items/NO-SUCH-SERIAL", headers=bearer(secret)), 404)
    assert_problem(client.get("/api/v1/items/bad%20serial!", headers=bearer(secret)), 404)


def test_items_need_a_token_with_read(app, client):
    assert_problem(client.get("/api/v1/items"), 401)
    assert_problem(client.get("/api/v1/items/X1"), 401)
    assert_problem(client.get("/api/v1/items", headers=bearer("rk_live_nonsense")), 401)
