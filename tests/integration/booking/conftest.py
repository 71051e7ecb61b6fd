"""Fixtures the cart's tests share."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rental.catalog import CatalogFacade, DefineKit, KitComponent
from tests.support.fleet import make_type


@pytest.fixture
def shop(app):
    generators = make_type(units=3, name="Generator", daily="120.00", deposit="200.00")
    lights = make_type(units=5, name="Light tower", daily="45.00", weekly=None, deposit="50.00")
    kit_id = CatalogFacade().define_kit(
        DefineKit(
            name="Event power kit",
            slug="event-power",
            description="Stage power.",
            discount_percent=Decimal(10),
            components=(KitComponent(generators.type_id, 1), KitComponent(lights.type_id, 2)),
        )
    )
    return generators, lights, kit_id
