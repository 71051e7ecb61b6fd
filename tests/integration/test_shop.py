"""Shop settings (rental/shop) on SQLite and PostgreSQL: staff save them on /admin/shop (bad
input is refused field by field and nothing is saved), customers see them in the footer, on
the type page, the review page and the confirmation; hourly bookings must start and end
within opening hours, suggestions stay within them (the next working day, never overnight),
and "similar" means comparable specs ranked by closeness."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from rental.booking import BookingFacade, CheckAvailability, CreateReservation, PricingBasis
from rental.catalog import CatalogFacade, CreateCategory, DefineEquipmentType
from rental.inventory import InventoryFacade, RegisterEquipmentBulk
from rental.pricing import PricingFacade, SetRateCard
from rental.shared.errors import ValidationError
from rental.shared.seeding import seeders
from rental.shared.time_range import TimeRange
from rental.shop import SaveShopSettings, ShopFacade
from tests.integration.booking.test_booking_pages import DETAILS
from tests.support.auth import csrf_token
from tests.support.fleet import make_customer, make_type

WEEK = (("07:00", "18:00"),) * 5 + (("08:00", "13:00"), ("", ""))
SETTINGS = SaveShopSettings(
    name="Hafen Hire",
    address="Hafenstraße 12\n20457 Hamburg",
    phone="+49 40 999888",
    email="desk@hafen.example",
    week=WEEK,
    pickup_rules="Bring photo ID.",
    terms="Return it clean.\n\nDeposit refunded on return.",
)


def form_of(cmd: SaveShopSettings = SETTINGS, **changes: str) -> dict[str, str]:
    form = {
        "name": cmd.name,
        "address": cmd.address,
        "phone": cmd.phone,
        "email": cmd.email,
        "closed_dates": cmd.closed_dates,
        "pickup_rules": cmd.pickup_rules,
        "terms": cmd.terms,
    }
    for index, (opens, closes) in enumerate(cmd.week):
        form[f"opens_{index}"], form[f"closes_{index}"] = opens, closes
    return {**form, **changes}


def next_weekday(weekday: int) -> datetime:
    """Midnight UTC of a weekday (0 = Monday) of the week after next's Monday: every day the
    tests use lies after the clock's Monday 10:00."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    monday = today + timedelta(days=(0 - today.weekday()) % 7 + 7)
    return monday + timedelta(days=weekday)


def at(day: datetime, hour: int, minute: int = 0) -> datetime:
    return day.replace(hour=hour, minute=minute)


@pytest.fixture
def clock(app, monkeypatch):
    """The booking clock on the Monday before the Friday the tests book (`app` is in UTC)."""
    now = at(next_weekday(0), 10)
    monkeypatch.setitem(app.extensions, "booking.clock", lambda: now)
    return now


# --- the settings page ---------------------------------------------------------------------------


def test_an_admin_saves_the_settings_and_reads_them_back(app, admin_client):
    token = csrf_token(admin_client, "/admin/shop/")
    page = admin_client.get("/admin/shop/").get_data(as_text=True)
    assert "<h1>Shop settings</h1>" in page and 'id="opens_0"' in page
    saved = admin_client.post("/admin/shop/", data={**form_of(), "csrf_token": token})
    assert saved.status_code == 303
    settings = ShopFacade().get_settings()
    assert settings.name == "Hafen Hire" and settings.email == "desk@hafen.example"
    assert settings.hours.summary() == (
        "Mon\u2013Fri 07:00\u201318:00, Sat 08:00\u201313:00, Sun closed"
    )
    again = admin_client.get("/admin/shop/").get_data(as_text=True)
    assert "Shop settings saved." in again and 'value="07:00"' in again


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"opens_2": "7.30"}, "opens_2", "HH:MM"),
        ({"closes_0": "25:00"}, "closes_0", "HH:MM"),
        ({"opens_4": "18:00", "closes_4": "09:00"}, "closes_4", "before it opens"),
        ({"closes_5": ""}, "closes_5", "Give the closing time on Saturday"),
        ({"terms": "x" * 20_001}, "terms", "under 20,000 characters"),
        ({"name": "N" * 121}, "name", "under 120 characters"),
        ({"email": "desk@"}, "email", "valid email"),
        ({"closed_dates": "2027-13-01"}, "closed_dates", "not a day in the calendar"),
        ({"closed_dates": "next friday"}, "closed_dates", "YYYY-MM-DD"),
    ],
)
def test_bad_input_is_explained_next_to_the_field_and_nothing_is_saved(
    app, admin_client, changes, field, words
):
    token = csrf_token(admin_client, "/admin/shop/")
    response = admin_client.post("/admin/shop/", data={**form_of(**changes), "csrf_token": token})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(rf'<small id="{field}-error" class="field-error">([^<]*)</small>', body)
    assert error and words in error.group(1), body
    assert f'aria-describedby="{field}-error' in body
    assert 'value="+49 40 999888"' in body  # what was typed is kept
    assert ShopFacade().get_settings().is_empty  # nothing saved


def test_staff_see_the_settings_but_only_admins_change_them(app, staff_client):
    ShopFacade().save_settings(SETTINGS)
    page = staff_client.get("/admin/shop/").get_data(as_text=True)
    assert 'value="Hafen Hire"' in page and "Only administrators can change" in page
    token = csrf_token(staff_client, "/admin/shop/")
    refused = staff_client.post(
        "/admin/shop/", data={**form_of(name="Taken over"), "csrf_token": token}
    )
    assert refused.status_code == 403
    assert ShopFacade().get_settings().name == "Hafen Hire"


def test_the_facade_refuses_bad_settings_too(app):
    with pytest.raises(ValidationError) as err:
        ShopFacade().save_settings(SaveShopSettings(week=(("18:00", "07:00"),)))
    assert "closes_0" in err.value.errors
    assert ShopFacade().get_settings().is_empty


def test_the_demo_data_has_shop_settings(app):
    dict(seeders())["shop"]()
    settings = ShopFacade().get_settings()
    assert settings.address and settings.phone and settings.terms
    assert settings.hours.summary() == (
        "Mon\u2013Fri 07:00\u201318:00, Sat 08:00\u201313:00, Sun closed"
    )
    ShopFacade().save_settings(SETTINGS)
    dict(seeders())["shop"]()  # seeding again keeps what the shop saved
    assert ShopFacade().get_settings().name == "Hafen Hire"


# --- where customers see them ------------------------------------------------------------------


def test_without_settings_the_pages_show_no_shop_details(app, client):
    fleet = make_type(units=1)
    body = client.get(f"/catalog/{fleet.slug}").get_data(as_text=True)
    assert 'class="shop-footer"' not in body and "shop-info" not in body


def test_footer_type_review_and_confirmation_show_the_shop(app, client, clock):
    ShopFacade().save_settings(SETTINGS)
    fleet = make_type(units=2)
    home = client.get("/").get_data(as_text=True)
    footer = home.split('site-footer"')[1]
    assert "Hafen Hire" in footer and "Hafenstraße 12" in footer and "+49 40 999888" in footer
    assert "Open Mon\u2013Fri 07:00\u201318:00, Sat 08:00\u201313:00, Sun closed" in footer

    type_page = client.get(f"/catalog/{fleet.slug}").get_data(as_text=True)
    info = type_page.split('class="shop-info"')[1]
    assert "Hafenstraße 12" in info and "Bring photo ID." in info and "Sat 08:00" in info

    friday = next_weekday(4)
    params = {
        "basis": "hourly",
        "start": at(friday, 9).strftime("%Y-%m-%dT%H:%M"),
        "end": at(friday, 17).strftime("%Y-%m-%dT%H:%M"),
        "quantity": "1",
    }
    token = csrf_token(client, f"/book/{fleet.slug}")
    booked = client.post(
        f"/book/{fleet.slug}/details", data={**params, **DETAILS, "csrf_token": token}
    )
    assert booked.status_code == 303, booked.get_data(as_text=True)
    review = client.get(booked.headers["Location"]).get_data(as_text=True)
    assert "Return it clean." in review and "Deposit refunded on return." in review
    assert "Hafenstraße 12" in review.split('class="shop-info"')[1]
    confirmed = client.post(booked.headers["Location"], data={"csrf_token": token})
    done = client.get(confirmed.headers["Location"]).get_data(as_text=True)
    assert "Your booking is confirmed" in done
    section = done.split('class="shop-info"')[1]
    assert "Where to pick up" in section and "Hafenstraße 12" in section
    assert "desk@hafen.example" in section and "Return it clean." in section


def test_error_and_staff_pages_do_not_read_the_shop(app, client, admin_client):
    ShopFacade().save_settings(SETTINGS)
    missing = client.get("/catalog/no-such-thing").get_data(as_text=True)
    assert "Hafen Hire" not in missing
    assert "Hafen Hire" not in admin_client.get("/admin/").get_data(as_text=True)


# --- opening hours and bookings ----------------------------------------------------------------


def test_an_hourly_booking_outside_opening_hours_is_refused_with_a_clear_message(
    app, client, clock
):
    ShopFacade().save_settings(SETTINGS)
    fleet = make_type(units=2)
    friday, sunday = next_weekday(4), next_weekday(6)
    late = {
        "basis": "hourly",
        "start": at(friday, 17).strftime("%Y-%m-%dT%H:%M"),
        "end": at(friday, 20).strftime("%Y-%m-%dT%H:%M"),
        "quantity": "1",
    }
    page = client.get(f"/book/{fleet.slug}", query_string=late)
    body = page.get_data(as_text=True)
    assert page.status_code == 422
    error = re.search(r'id="end-error"[^>]*>([^<]*)<', body)
    assert error and "we are open 07:00\u201318:00" in error.group(1), body
    with pytest.raises(ValidationError) as err:
        BookingFacade().check_availability(
            CheckAvailability(fleet.type_id, TimeRange(at(sunday, 9), at(sunday, 12)), 1)
        )
    assert err.value.field == "start" and "We are closed on Sun" in err.value.message
    # The details POST refuses it too, and holds nothing.
    token = csrf_token(client, f"/book/{fleet.slug}")
    posted = client.post(
        f"/book/{fleet.slug}/details", data={**late, **DETAILS, "csrf_token": token}
    )
    assert posted.status_code == 422


@pytest.mark.parametrize(
    ("today", "expected"),
    [(4, (5, "09:00", "13:00")), (5, (7, "09:00", "17:00")), (0, (1, "09:00", "17:00"))],
    ids=["friday: Saturday until closing", "saturday: Sunday is closed, so Monday", "monday"],
)
def test_the_form_opens_on_a_period_the_shop_is_open_for(app, client, monkeypatch, today, expected):
    """The default period (tomorrow 09:00–17:00) used to open with an error on Fridays and
    Saturdays: Saturday closes at 13:00 and Sunday is closed."""
    ShopFacade().save_settings(SETTINGS)
    now = at(next_weekday(today), 10)
    monkeypatch.setitem(app.extensions, "booking.clock", lambda: now)
    fleet = make_type(units=2)
    day, start, end = expected
    date_ = next_weekday(day).date().isoformat()
    for path, query in (
        (f"/book/{fleet.slug}", {}),
        (f"/book/{fleet.slug}", {"_block": "availability"}),
    ):
        page = client.get(path, query_string=query, headers={"HX-Request": "true"} if query else {})
        body = page.get_data(as_text=True)
        assert page.status_code == 200, body
        assert f'name="start" value="{date_}T{start}"' in body
        assert f'name="end" value="{date_}T{end}"' in body
        assert "field-error" not in body and "Please check your request" not in body


def test_whole_days_and_a_shop_without_hours_are_not_restricted(app, clock):
    fleet = make_type(units=1)
    saturday = next_weekday(5)
    evening = TimeRange(at(saturday, 19), at(saturday, 23))
    assert BookingFacade().check_availability(CheckAvailability(fleet.type_id, evening, 1))
    ShopFacade().save_settings(SETTINGS)
    sunday = next_weekday(6)
    days = TimeRange(sunday, sunday + timedelta(days=1))
    result = BookingFacade().check_availability(
        CheckAvailability(fleet.type_id, days, 1, PricingBasis.DAILY)
    )
    assert result.is_available


def test_the_later_suggestion_is_the_next_working_day_within_opening_hours(app, clock):
    fleet = make_type(units=1)
    customer = make_customer()
    friday = next_weekday(4)
    day = TimeRange(at(friday, 9), at(friday, 17))
    BookingFacade().create_reservation(
        CreateReservation(
            customer, fleet.type_id, day, 1, PricingBasis.HOURLY, secrets.token_urlsafe(24)
        )
    )
    asked = CheckAvailability(fleet.type_id, day, 1)
    # Without hours (as before): right after the booking, overnight.
    before = BookingFacade().check_availability(asked).alternatives.earliest_period
    assert before == TimeRange(at(friday, 17), at(friday + timedelta(days=1), 1))
    ShopFacade().save_settings(SETTINGS)
    # Saturday's 08:00–13:00 cannot hold 8 hours, Sunday is closed: Monday from opening.
    monday = friday + timedelta(days=3)
    after = BookingFacade().check_availability(asked).alternatives.earliest_period
    assert after == TimeRange(at(monday, 7), at(monday, 15))


def test_a_closed_date_moves_the_suggestion_on(app, clock):
    fleet = make_type(units=1)
    friday = next_weekday(4)
    monday, tuesday = friday + timedelta(days=3), friday + timedelta(days=4)
    day = TimeRange(at(friday, 9), at(friday, 17))
    BookingFacade().create_reservation(
        CreateReservation(
            make_customer(), fleet.type_id, day, 1, PricingBasis.HOURLY, secrets.token_urlsafe(24)
        )
    )
    closed = SaveShopSettings(week=WEEK, closed_dates=monday.date().isoformat())
    ShopFacade().save_settings(closed)
    later = BookingFacade().check_availability(CheckAvailability(fleet.type_id, day, 1))
    assert later.alternatives.earliest_period == TimeRange(at(tuesday, 7), at(tuesday, 15))


# --- similar types -------------------------------------------------------------------------------


def generator(name: str, category: str, specs: dict, units: int = 1) -> str:
    type_id = CatalogFacade().define_equipment_type(
        DefineEquipmentType(name=name, category_id=category, specs=specs)
    )
    PricingFacade().set_rate_card(
        SetRateCard(equipment_type_id=type_id, hourly=Decimal(20), daily=Decimal(120))
    )
    InventoryFacade().register_equipment_bulk(
        RegisterEquipmentBulk(
            equipment_type_id=type_id,
            serial_numbers=[f"{name[:3].upper()}-{secrets.token_hex(3)}" for _ in range(units)],
        )
    )
    return type_id


def test_a_20_kva_diesel_is_offered_comparable_generators_closest_first(app, clock):
    category = CatalogFacade().create_category(CreateCategory("Generators"))
    asked = generator("Diesel 20 kVA", category, {"power_kva": 20, "fuel": "diesel"})
    generator("Petrol 3 kVA", category, {"power_kva": 3, "fuel": "petrol"})
    generator("Diesel 24 kVA", category, {"power_kva": 24, "fuel": "diesel"})
    generator("Diesel 21 kVA", category, {"power_kva": 21, "fuel": "diesel"})
    generator("Petrol 20 kVA", category, {"power_kva": 20, "fuel": "petrol"})
    friday = next_weekday(4)
    day = TimeRange(at(friday, 9), at(friday, 17))
    BookingFacade().create_reservation(
        CreateReservation(
            make_customer(), asked, day, 1, PricingBasis.HOURLY, secrets.token_urlsafe(24)
        )
    )
    result = BookingFacade().check_availability(CheckAvailability(asked, day, 1))
    assert [o.name for o in result.alternatives.similar] == ["Diesel 21 kVA", "Diesel 24 kVA"]


# --- the phone in the neutral refusal ----------------------------------------------------------


def test_the_shop_settings_phone_comes_before_the_shop_phone_setting(app, monkeypatch):
    monkeypatch.setitem(app.config, "SHOP_PHONE", "+49 30 111")
    assert BookingFacade().commands.refusal().endswith("on +49 30 111.")
    ShopFacade().save_settings(SETTINGS)
    assert BookingFacade().commands.refusal().endswith("on +49 40 999888.")
    ShopFacade().save_settings(SaveShopSettings(name="No phone"))
    assert BookingFacade().commands.refusal().endswith("on +49 30 111.")
