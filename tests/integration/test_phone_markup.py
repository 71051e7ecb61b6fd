"""What keeps wide staff pages usable on a phone (issue 11), in the markup both databases
serve: every wide table sits in a labelled, keyboard-focusable box that scrolls by itself,
the timeline chart too, and a serial too long for the chart's label column is shortened
with the whole serial as its tooltip. (The widths themselves are measured in Chromium:
tests/e2e/test_phone_layout.py.)"""

from __future__ import annotations

import re

from rental.inventory import InventoryFacade, RegisterEquipmentBulk
from tests.support.fleet import make_type

WRAPPER = re.compile(r'<div class="table-wrap"([^>]*)>')


def test_admin_tables_scroll_in_labelled_focusable_boxes(app, admin_client):
    fleet = make_type(units=2)
    pages = [
        "/admin/inventory/",
        "/admin/pricing/",
        "/admin/catalog/",
        f"/admin/inventory/types/{fleet.type_id}",
    ]
    for path in pages:
        response = admin_client.get(path)
        assert response.status_code == 200, path
        wrappers = WRAPPER.findall(response.get_data(as_text=True))
        assert wrappers, path
        for attributes in wrappers:
            assert 'role="region"' in attributes and 'tabindex="0"' in attributes, path
            assert re.search(r'aria-label="[^"]+"', attributes), path


def test_the_timeline_scrolls_sideways_and_long_serials_fit_their_column(app, admin_client):
    fleet = make_type(units=1)
    serial = "LONG-SERIAL-NUMBER-WITHOUT-SPACES-01"
    InventoryFacade().register_equipment_bulk(RegisterEquipmentBulk(fleet.type_id, [serial]))
    body = admin_client.get(
        "/admin/reservations/timeline", query_string={"type": fleet.type_id}
    ).get_data(as_text=True)
    assert (
        '<div class="timeline-scroll" role="region" aria-label="Fleet timeline chart" '
        'tabindex="0">' in body
    )
    assert f'class="tl-serial"><title>{serial}</title>LONG-SERIAL-NUMBE…</text>' in body
    assert '<div class="table-wrap" role="region" aria-label="Fleet timeline as a table"' in body
