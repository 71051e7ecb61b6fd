"""The inventory admin pages offer what the domain allows (both databases)."""

from __future__ import annotations

import re

import pytest

from rental.inventory import ChangeItemStatus, InventoryFacade, RegisterEquipment
from tests.integration.catalog_fixtures import make_type


@pytest.fixture
def item_id(app) -> str:
    generator = make_type("Diesel generator")
    return InventoryFacade().register_new_equipment(RegisterEquipment(generator, "GEN-1"))


def options(body: str) -> list[tuple[str, str]]:
    select = re.search(r'<select id="to_status".*?</select>', body, re.S)
    assert select is not None
    return re.findall(r'<option value="([A-Z]+)"\s*>([^<]+)</option>', select.group(0))


def test_an_available_item_offers_its_transitions_and_asks_before_retiring(admin_client, item_id):
    body = admin_client.get(f"/admin/inventory/items/{item_id}").get_data(as_text=True)
    assert options(body) == [
        ("ALLOCATED", "Allocated"),
        ("DAMAGED", "Damaged → maintenance"),
        ("MAINTENANCE", "Maintenance"),
        ("RETIRED", "Retired (final)"),
    ]
    assert 'data-confirm="Retire GEN-1? A retired item can never be rented again."' in body
    assert 'data-confirm-when="to_status=RETIRED"' in body
    assert 'name="expected_back_at"' in body
    assert 'name="maint_reason"' in body


def test_an_item_in_maintenance_can_only_come_back_or_retire(admin_client, item_id):
    InventoryFacade().change_item_status(ChangeItemStatus(item_id, "MAINTENANCE", "service"))
    body = admin_client.get(f"/admin/inventory/items/{item_id}").get_data(as_text=True)
    assert options(body) == [("AVAILABLE", "Available"), ("RETIRED", "Retired (final)")]
    assert 'name="expected_back_at"' not in body  # it is in maintenance already
    assert 'name="maint_reason"' in body


def test_a_retired_item_offers_no_status_change_and_no_maintenance(admin_client, item_id):
    InventoryFacade().change_item_status(ChangeItemStatus(item_id, "RETIRED", "sold"))
    body = admin_client.get(f"/admin/inventory/items/{item_id}").get_data(as_text=True)
    assert 'id="to_status"' not in body and "data-confirm-when" not in body
    assert "This item is retired; its status can no longer change." in body
    assert 'name="maint_reason"' not in body
