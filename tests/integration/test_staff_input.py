"""Issue 8 item 17: staff input that should be refused or questioned, on SQLite and PostgreSQL.

Through the facades (the rules live in the domain, so every caller gets them) and through the
admin pages (422, the message next to the field, what was typed kept; nothing saved)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from rental.catalog import CatalogFacade, DefineEquipmentType, SearchEquipmentTypes
from rental.inventory import (
    InventoryFacade,
    RegisterEquipment,
    RegisterEquipmentBulk,
    ScheduleMaintenance,
)
from rental.pricing import PricingFacade, SetRateCard
from rental.shared.errors import NeedsConfirmation, ValidationError
from rental.shared.money import Money
from rental.shared.time_range import TimeRange
from tests.integration.catalog_fixtures import make_type, price
from tests.support.auth import csrf_token

RATES = {"hourly": "20", "daily": "120", "weekly": "500", "deposit": "250"}


def rate_card(type_id: str, currency: str = "EUR", minimum=timedelta(hours=2), **amounts):
    values = {**RATES, **amounts}
    confirmed = values.pop("confirmed", frozenset())
    return SetRateCard(
        equipment_type_id=type_id,
        currency=currency,
        minimum_duration=minimum,
        confirmed_warnings=frozenset(confirmed),
        **{k: Decimal(v) if v is not None else None for k, v in values.items()},
    )


def text(response) -> str:
    return response.get_data(as_text=True)


def type_names() -> list[str]:
    found = CatalogFacade().search_equipment_types(SearchEquipmentTypes(include_inactive=True))
    return [t.name for t in found.items]


@pytest.fixture
def gen(app) -> str:
    return make_type("Diesel generator")


# --- pricing through the facade -------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"currency": "XYZ"}, "currency", "XYZ is not a currency code we know"),
        ({"hourly": "99999999999999"}, "hourly", "can be at most €1,000,000.00"),
        ({"deposit": "10000000"}, "deposit", "can be at most €1,000,000.00"),
        ({"daily": "12.345"}, "daily", "at most 2 decimals in EUR"),
        ({"minimum": timedelta(0)}, "minimum_duration", "must be more than zero"),
        ({"minimum": timedelta(days=91)}, "minimum_duration", "at most 90 days"),
        ({"minimum": timedelta(minutes=50)}, "minimum_duration", "steps of 15 minutes"),
    ],
)
def test_the_pricing_facade_refuses_bad_rate_cards_and_keeps_the_old_one(
    gen, change, field, message
):
    pricing = PricingFacade()
    with pytest.raises(ValidationError) as err:
        pricing.set_rate_card(rate_card(gen, **change))
    assert message in err.value.errors[field]
    assert pricing.get_rate_card(gen) is None  # nothing saved
    price(gen, hourly="15", daily="85", weekly="340")
    with pytest.raises(ValidationError):
        pricing.set_rate_card(rate_card(gen, **change))
    assert pricing.get_rate_card(gen).hourly == Money(Decimal(15))  # the old card stays


def test_the_pricing_facade_asks_before_saving_an_hourly_rate_above_the_daily_rate(gen):
    pricing = PricingFacade()
    with pytest.raises(NeedsConfirmation) as err:
        pricing.set_rate_card(rate_card(gen, hourly="200", daily="100", weekly=None))
    assert err.value.codes == ["hourly_above_daily"]
    assert pricing.get_rate_card(gen) is None
    with pytest.raises(NeedsConfirmation):  # confirming something else is no confirmation
        pricing.set_rate_card(
            rate_card(gen, hourly="200", daily="100", weekly=None, confirmed={"deposit"})
        )
    assert pricing.get_rate_card(gen) is None
    pricing.set_rate_card(
        rate_card(gen, hourly="200", daily="100", weekly=None, confirmed={"hourly_above_daily"})
    )
    card = pricing.get_rate_card(gen)
    assert (card.hourly.amount, card.daily.amount) == (Decimal(200), Decimal(100))


def test_the_minimum_rental_follows_the_configured_longest_booking(gen, app, monkeypatch):
    monkeypatch.setitem(app.config, "BOOKING_MAX_DAYS", 30)
    with pytest.raises(ValidationError, match="at most 30 days"):
        PricingFacade().set_rate_card(rate_card(gen, minimum=timedelta(days=31)))
    PricingFacade().set_rate_card(rate_card(gen, minimum=timedelta(days=30)))


# --- inventory and catalog through the facades -----------------------------------------------


def test_items_acquired_in_the_future_or_before_1950_are_refused(gen):
    inventory = InventoryFacade()
    for bad in (date(2030, 1, 1), date.today() + timedelta(days=2), date(1949, 12, 31)):
        with pytest.raises(ValidationError) as err:
            inventory.register_new_equipment(RegisterEquipment(gen, "GEN-1", acquired_on=bad))
        assert err.value.field == "acquired_on"
        with pytest.raises(ValidationError) as err:
            inventory.register_equipment_bulk(
                RegisterEquipmentBulk(gen, ["GEN-2", "GEN-3"], acquired_on=bad)
            )
        assert err.value.field == "acquired_on"
    assert inventory.list_items(gen) == []
    inventory.register_new_equipment(RegisterEquipment(gen, "GEN-1", acquired_on=date(1950, 1, 1)))
    assert [i.serial_number for i in inventory.list_items(gen)] == ["GEN-1"]


def test_today_for_the_acquisition_date_is_the_business_time_zones(gen, app, monkeypatch):
    # Kiritimati (UTC+14) is always a day or two ahead of Pago Pago (UTC-11).
    ahead = datetime.now(UTC).astimezone(ZoneInfo("Pacific/Kiritimati")).date()
    inventory = InventoryFacade()
    monkeypatch.setitem(app.config, "BUSINESS_TIMEZONE", "Pacific/Pago_Pago")
    with pytest.raises(ValidationError, match="is in the future"):
        inventory.register_new_equipment(RegisterEquipment(gen, "GEN-1", acquired_on=ahead))
    monkeypatch.setitem(app.config, "BUSINESS_TIMEZONE", "Pacific/Kiritimati")
    inventory.register_new_equipment(RegisterEquipment(gen, "GEN-1", acquired_on=ahead))
    assert inventory.list_items(gen)[0].acquired_on == ahead


def test_bulk_registration_takes_at_most_500_lines(gen):
    inventory = InventoryFacade()
    with pytest.raises(ValidationError, match="at most 500 serial numbers") as err:
        inventory.register_equipment_bulk(
            RegisterEquipmentBulk(gen, [f"GEN-{n}" for n in range(501)])
        )
    assert err.value.field == "serial_numbers" and inventory.list_items(gen) == []


def test_maintenance_in_the_past_or_longer_than_a_year_is_refused(gen):
    inventory = InventoryFacade()
    item_id = inventory.register_new_equipment(RegisterEquipment(gen, "GEN-1"))
    now = datetime.now(UTC)
    for period, message in [
        (TimeRange(now - timedelta(days=3), now - timedelta(days=2)), "already over"),
        (TimeRange.of(now + timedelta(days=1), timedelta(days=400)), "at most a year"),
        (TimeRange.of(now + timedelta(days=800), timedelta(days=1)), "at most 2 years ahead"),
    ]:
        with pytest.raises(ValidationError, match=message):
            inventory.schedule_maintenance(ScheduleMaintenance(item_id, period, "check"))
    assert inventory.get_item(item_id).maintenance == []


def test_the_catalog_facade_refuses_spec_numbers_out_of_range(app):
    make_type("Seed")
    category = CatalogFacade().list_categories()[0].id
    for key, value in (("weight_kg", 10**12), ("power_kw", float("inf"))):
        specs = {key: value}
        with pytest.raises(ValidationError, match=key):
            CatalogFacade().define_equipment_type(
                DefineEquipmentType(name="Breaker", category_id=category, specs=specs)
            )
    assert type_names() == ["Seed"]


# --- the admin pages -------------------------------------------------------------------------


def post_rates(client, type_id: str, **fields):
    data = {
        "hourly": "20",
        "daily": "120",
        "weekly": "500",
        "deposit": "250",
        "currency": "EUR",
        "minimum_hours": "2",
        "csrf_token": csrf_token(client, f"/admin/pricing/{type_id}"),
        **fields,
    }
    return client.post(f"/admin/pricing/{type_id}", data=data)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"currency": "XYZ"}, "currency", "XYZ is not a currency code we know."),
        ({"hourly": "99999999999999"}, "hourly", "The hourly rate can be at most €1,000,000.00."),
        ({"minimum_hours": "0"}, "minimum_hours", "The minimum rental must be more than zero"),
        ({"minimum_hours": "0.1"}, "minimum_hours", "in steps of 15 minutes"),
        ({"minimum_hours": "9" * 25}, "minimum_hours", "at most 90 days"),
        ({"minimum_hours": "2161"}, "minimum_hours", "at most 90 days"),
        ({"currency": ""}, "currency", "Give the currency, e.g. EUR."),
    ],
)
def test_the_rate_card_page_refuses_bad_input_next_to_the_field(
    admin_client, gen, fields, field, message
):
    response = post_rates(admin_client, gen, **fields)
    assert response.status_code == 422
    body = text(response)
    error = re.search(rf'<small id="{field}-error" class="field-error">([^<]*)</small>', body)
    assert error and message in error.group(1).replace("&#39;", "'")
    assert f'id="{field}"' in body and f'aria-describedby="{field}-error"' in body
    for value in fields.values():
        assert f'value="{value}"' in body  # what was typed is kept
    assert PricingFacade().get_rate_card(gen) is None


def test_the_rate_card_page_warns_and_saves_only_when_confirmed(admin_client, gen):
    response = post_rates(admin_client, gen, hourly="200", daily="100", weekly="")
    assert response.status_code == 422
    body = text(response)
    assert 'role="alert" id="rate-warnings"' in body
    assert "The hourly rate (€200.00) is above the daily rate (€100.00)" in body
    assert 'name="confirm" value="hourly_above_daily"' in body and "Save anyway" in body
    assert 'value="200"' in body and 'value="100"' in body
    assert PricingFacade().get_rate_card(gen) is None  # not confirmed: nothing saved

    # Changing the rates into a different questionable card asks again.
    again = post_rates(
        admin_client, gen, hourly="200", daily="100", weekly="1000", confirm="hourly_above_daily"
    )
    assert again.status_code == 422
    assert 'name="confirm" value="weekly_above_7_days"' in text(again)
    assert PricingFacade().get_rate_card(gen) is None

    saved = post_rates(
        admin_client, gen, hourly="200", daily="100", weekly="", confirm="hourly_above_daily"
    )
    assert saved.status_code == 303
    card = PricingFacade().get_rate_card(gen)
    assert (card.hourly.amount, card.daily.amount, card.weekly) == (200, 100, None)
    assert "Rates for Diesel generator saved." in text(admin_client.get("/admin/pricing/"))


def test_the_inventory_pages_refuse_future_acquisition_dates(admin_client, gen):
    page = f"/admin/inventory/types/{gen}"
    token = csrf_token(admin_client, page)
    one = admin_client.post(
        f"{page}/items",
        data={"serial_number": "GEN-1", "acquired_on": "2030-01-01", "csrf_token": token},
    )
    assert one.status_code == 422
    body = text(one)
    assert re.search(
        r'id="acquired_on-error" class="field-error">01 Jan 2030 is in the future', body
    )
    assert 'value="GEN-1"' in body and 'value="2030-01-01"' in body
    many = admin_client.post(
        f"{page}/bulk",
        data={
            "serial_numbers": "GEN-2\nGEN-3",
            "bulk_acquired_on": "1900-01-01",
            "csrf_token": token,
        },
    )
    assert many.status_code == 422
    assert re.search(
        r'id="bulk_acquired_on-error" class="field-error">01 Jan 1900 is before 1950', text(many)
    )
    assert InventoryFacade().list_items(gen) == []


def test_the_maintenance_form_refuses_a_period_that_is_over(admin_client, gen):
    item_id = InventoryFacade().register_new_equipment(RegisterEquipment(gen, "GEN-1"))
    page = f"/admin/inventory/items/{item_id}"
    response = admin_client.post(
        f"{page}/maintenance",
        data={
            "start": "2020-01-05T08:00",
            "end": "2020-01-05T17:00",
            "maint_reason": "check",
            "csrf_token": csrf_token(admin_client, page),
        },
    )
    assert response.status_code == 422
    assert re.search(
        r'id="end-error" class="field-error">That period is already over', text(response)
    )
    assert InventoryFacade().get_item(item_id).maintenance == []


def test_the_type_form_refuses_spec_numbers_out_of_range_on_their_row(admin_client, app):
    make_type("Seed")
    category = CatalogFacade().list_categories()[0].id
    response = admin_client.post(
        "/admin/catalog/types",
        data={
            "name": "Breaker",
            "category_id": category,
            "spec_key-0": "weight_kg",
            "spec_kind-0": "number",
            "spec_value-0": "99999999999999",
            "csrf_token": csrf_token(admin_client, "/admin/catalog/types/new"),
        },
    )
    assert response.status_code == 422
    assert re.search(
        r'id="spec-0-error" class="field-error">Keep weight_kg between', text(response)
    )
    assert type_names() == ["Seed"]
