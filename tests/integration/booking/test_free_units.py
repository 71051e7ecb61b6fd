"""BookingFacade.free_units — the catalog's cards for a period — against check_availability,
type by type, on SQLite and PostgreSQL: random bookings over types with different fleets,
turnarounds, a maintenance window, a longer minimum rental and no price; every card says what
the one-type check says, and costs the same few statements for 1 type or for 6."""

from __future__ import annotations

import random
import secrets
from datetime import timedelta

import pytest

from rental.booking import BookingFacade, CheckAvailability, CreateReservation, PricingBasis
from rental.catalog import CatalogFacade, DefineEquipmentType
from rental.inventory import InventoryFacade, ScheduleMaintenance, SetTurnaround
from rental.shared.errors import ConflictError, ValidationError
from rental.shared.time_range import TimeRange
from tests.support.fleet import make_customer, make_type, tomorrow_at
from tests.support.statements import statements


def period(start_hour: int, end_hour: int, days: int = 1) -> TimeRange:
    return TimeRange(tomorrow_at(start_hour, days=days), tomorrow_at(end_hour, days=days))


@pytest.fixture
def fleets(app):
    fleets = [make_type(units=n) for n in (1, 2, 3, 4)]
    fleets.append(make_type(units=2, minimum=timedelta(hours=4)))
    inventory = InventoryFacade()
    inventory.set_turnaround(SetTurnaround(fleets[1].type_id, 60))
    inventory.set_turnaround(SetTurnaround(fleets[2].type_id, 180))
    inventory.schedule_maintenance(
        ScheduleMaintenance(fleets[3].item_ids[0], period(10, 14), "Inspection")
    )
    return fleets


def test_each_card_says_what_check_availability_says_for_its_type(fleets):
    rng = random.Random(11)
    booking = BookingFacade()
    made = 0
    for _ in range(24):
        fleet = rng.choice(fleets)
        start = rng.randrange(6, 18)
        p = period(start, start + rng.randrange(4, 8), days=rng.randrange(1, 3))
        try:
            booking.create_reservation(
                CreateReservation(
                    make_customer(),
                    fleet.type_id,
                    p,
                    rng.randint(1, 2),
                    PricingBasis.HOURLY,
                    secrets.token_urlsafe(24),
                )
            )
            made += 1
        except (ConflictError, ValidationError):
            pass  # full, or too short for its minimum: the next one
    assert made >= 12
    ids = [f.type_id for f in fleets]
    for p in [
        period(h, h + length, days=d) for h in (7, 11, 15) for length in (1, 3) for d in (1, 2)
    ]:
        cards = booking.free_units(ids, p, PricingBasis.HOURLY)
        for type_id in ids:
            card = cards[type_id]
            for quantity in (1, 2, 3):
                query = CheckAvailability(type_id, p, quantity, with_alternatives=False)
                try:
                    single = booking.check_availability(query)
                except ValidationError as exc:  # the type's own minimum rental
                    assert card.problem == exc.message
                    assert not card.fits(quantity)
                    continue
                assert card.problem is None
                assert (card.free, card.total) == (
                    single.remaining_capacity,
                    single.total_capacity,
                ), (p, type_id)
                assert card.fits(quantity) is single.is_available


def test_a_type_without_a_price_has_a_problem_and_a_bad_period_is_refused(fleets):
    unpriced = CatalogFacade().define_equipment_type(
        DefineEquipmentType(name="Unpriced lift", category_id=fleets[0].category_id)
    )
    booking = BookingFacade()
    cards = booking.free_units([unpriced, fleets[0].type_id], period(9, 17), PricingBasis.HOURLY)
    assert cards[unpriced].problem and not cards[unpriced].fits(1)
    assert cards[fleets[0].type_id].fits(1)
    yesterday = TimeRange(tomorrow_at(9, days=-1), tomorrow_at(17, days=-1))
    with pytest.raises(ValidationError) as refused:
        booking.free_units([fleets[0].type_id], yesterday, PricingBasis.HOURLY)
    assert refused.value.field == "start"


def test_the_same_statements_for_one_type_or_six(fleets):
    booking = BookingFacade()
    more = [*fleets, make_type(units=1)]
    with statements() as one:
        booking.free_units([fleets[0].type_id], period(9, 17), PricingBasis.HOURLY)
    with statements() as six:
        booking.free_units([f.type_id for f in more], period(9, 17), PricingBasis.HOURLY)
    assert len(one) == len(six) <= 4, six
