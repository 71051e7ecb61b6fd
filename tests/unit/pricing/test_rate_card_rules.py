"""The rules for a rate card that staff set: refused input, and warnings that need a yes."""

from datetime import timedelta
from decimal import Decimal

import pytest

from rental.pricing.domain.models import (
    RateCard,
    RateCardLimits,
    minimum_from_hours,
    new_rate_card,
    rate_card_warnings,
)
from rental.shared.errors import NeedsConfirmation, ValidationError
from rental.shared.money import Money

GOOD = {"hourly": "20", "daily": "120", "weekly": "500", "deposit": "250"}
MIN = "minimum_duration"
EVERY_WARNING = {
    "hourly_above_daily",
    "daily_above_24_hours",
    "weekly_below_daily",
    "weekly_above_7_days",
    "deposit_above_20_days",
}


def make(currency="EUR", minimum=timedelta(hours=2), confirmed=(), limits=None, **amounts):
    values = {**GOOD, **amounts}
    return new_rate_card(
        "type-1",
        currency,
        *(Decimal(values[k]) if values[k] is not None else None for k in ("hourly", "daily")),
        Decimal(values["weekly"]) if values["weekly"] is not None else None,
        minimum,
        Decimal(values["deposit"]) if values["deposit"] is not None else None,
        limits=limits,
        confirmed=confirmed,
    )


def refused(**kw) -> dict[str, str]:
    with pytest.raises(ValidationError) as err:
        make(**kw)
    assert not isinstance(err.value, NeedsConfirmation)
    return err.value.errors


def test_a_sensible_card_passes_without_warnings():
    card = make(currency=" eur ")
    assert card.currency == "EUR" and card.hourly == Money(Decimal(20), "EUR")
    assert rate_card_warnings(card) == []
    assert make(weekly=None, deposit=None, minimum=timedelta(minutes=15)).weekly is None


# --- refused ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "message"),
    [
        ("XYZ", "XYZ is not a currency code we know. Use an ISO 4217 code such as EUR"),
        ("XAU", "XAU is not a currency code we know"),  # gold is ISO 4217 but not money
        ("HRK", "HRK is not a currency code we know"),  # withdrawn (Croatia uses EUR)
        ("EURO", "A currency is a three-letter code"),
        ("", "Give the currency"),
    ],
)
def test_currencies_outside_iso_4217_are_refused(currency, message):
    assert refused(currency=currency)["currency"].startswith(message)


@pytest.mark.parametrize("currency", ["USD", "GBP", "CHF", "JPY", "KWD", "SEK", "ZAR", "XOF"])
def test_real_currencies_are_accepted(currency):
    assert make(currency=currency.lower()).currency == currency


@pytest.mark.parametrize("field", ["hourly", "daily", "weekly", "deposit"])
def test_amounts_above_a_million_per_unit_are_refused(field):
    errors = refused(**{field: "99999999999999"})
    assert errors[field].endswith("can be at most €1,000,000.00.")
    card = make(**{field: "1000000"}, confirmed=EVERY_WARNING)
    assert getattr(card, field) == Money(Decimal(1_000_000), "EUR")


def test_amounts_must_be_positive_and_the_deposit_not_negative():
    errors = refused(hourly="0", daily="-5", weekly="0", deposit="-1")
    assert errors == {
        "hourly": "The hourly rate must be more than zero.",
        "daily": "The daily rate must be more than zero.",
        "weekly": "The weekly rate must be more than zero.",
        "deposit": "The deposit cannot be negative.",
    }
    assert make(deposit="0").deposit == Money(Decimal(0), "EUR")


@pytest.mark.parametrize(
    ("currency", "amount", "message"),
    [
        ("EUR", "10.005", "The hourly rate can have at most 2 decimals in EUR."),
        ("JPY", "1500.5", "The hourly rate can have no decimals in JPY."),
        ("KWD", "1.0005", "The hourly rate can have at most 3 decimals in KWD."),
    ],
)
def test_amounts_have_at_most_the_currencys_decimals(currency, amount, message):
    assert refused(currency=currency, hourly=amount, daily="50000")["hourly"] == message
    make(currency="KWD", hourly="1.005", daily="20", weekly="100", deposit=None)


def test_every_faulty_field_is_reported_at_once():
    errors = refused(currency="XYZ", hourly="0", minimum=timedelta(0))
    assert set(errors) == {"currency", "hourly", "minimum_duration"}


@pytest.mark.parametrize(
    ("minimum", "message"),
    [
        (timedelta(0), "The minimum rental must be more than zero"),
        (timedelta(hours=-1), "The minimum rental must be more than zero"),
        (timedelta(days=90, minutes=15), "at most 90 days (the longest booking)"),
        (timedelta(minutes=20), "in steps of 15 minutes (e.g. 1.5 or 2.25 hours)"),
        (timedelta(minutes=60, seconds=1), "in steps of 15 minutes"),
    ],
)
def test_the_minimum_rental_is_positive_on_the_grid_and_within_the_longest_booking(
    minimum, message
):
    assert message in refused(minimum=minimum)[MIN]


@pytest.mark.parametrize("minimum", [timedelta(minutes=15), timedelta(hours=2.25), timedelta(90)])
def test_minimum_rentals_on_the_grid_are_accepted(minimum):
    assert make(minimum=minimum).minimum_duration == minimum


def test_the_minimum_follows_the_configured_booking_rules():
    limits = RateCardLimits(max_minimum=timedelta(days=30), minimum_step=timedelta(minutes=30))
    assert "at most 30 days" in refused(minimum=timedelta(days=31), limits=limits)[MIN]
    assert "steps of 30 minutes" in refused(minimum=timedelta(minutes=45), limits=limits)[MIN]


@pytest.mark.parametrize(
    ("hours", "expected"),
    [("2", timedelta(hours=2)), ("1.25", timedelta(minutes=75)), ("0", timedelta(0))],
)
def test_minimum_from_hours(hours, expected):
    assert minimum_from_hours(Decimal(hours)) == expected


@pytest.mark.parametrize("hours", ["999999999999999999999", "-1e30", "Infinity", "2400"])
def test_minimum_hours_no_duration_can_hold_are_refused_not_crashing(hours):
    with pytest.raises(ValidationError, match="at most 90 days") as err:
        minimum_from_hours(Decimal(hours))
    assert err.value.field == "minimum_duration"


# --- warnings -----------------------------------------------------------------------------------


def warnings_for(**kw) -> list[tuple[str, str | None, str]]:
    values = {**GOOD, **kw}
    card = RateCard(
        "t",
        Money(values["hourly"]),
        Money(values["daily"]),
        Money(values["weekly"]) if values["weekly"] else None,
        timedelta(hours=1),
        Money(values["deposit"]) if values["deposit"] else None,
    )
    return [(w.code, w.field, w.message) for w in rate_card_warnings(card)]


def test_an_hourly_rate_above_the_daily_rate_is_questioned():
    [(code, field, message)] = warnings_for(hourly="200", daily="100", weekly=None)
    assert (code, field) == ("hourly_above_daily", "hourly")
    assert message == (
        "The hourly rate (€200.00) is above the daily rate (€100.00): even a 1-hour rental "
        "would cost the daily rate, so the hourly rate is never charged."
    )
    [(code, _, message)] = warnings_for(hourly="100", daily="100", weekly=None)
    assert code == "hourly_above_daily" and "is the same as the daily rate" in message


def test_a_daily_rate_above_24_hours_is_questioned():
    [(code, field, message)] = warnings_for(hourly="2", daily="100", weekly=None)
    assert (code, field) == ("daily_above_24_hours", "daily")
    assert message.startswith("24 hours at the hourly rate cost €48.00, less than the daily")


def test_a_weekly_rate_below_the_daily_rate_is_questioned():
    [(code, field, message)] = warnings_for(weekly="100")
    assert (code, field) == ("weekly_below_daily", "weekly")
    assert "even a 1-day rental would cost only the weekly rate" in message


def test_a_weekly_rate_above_seven_days_is_questioned():
    [(code, field, message)] = warnings_for(weekly="900")
    assert (code, field) == ("weekly_above_7_days", "weekly")
    assert "(7 × €120.00 = €840.00): a week is charged as 7 days" in message
    # Seven days at the cheaper 24 hours count when hours undercut the daily rate.
    codes = [c for c, _, _ in warnings_for(hourly="2", daily="100", weekly="400")]
    assert codes == ["daily_above_24_hours", "weekly_above_7_days"]


def test_a_deposit_above_20_days_of_rent_is_questioned():
    assert warnings_for(deposit="2400") == []
    [(code, field, message)] = warnings_for(deposit="2400.01")
    assert (code, field) == ("deposit_above_20_days", "deposit")
    assert "(20 × €120.00 = €2,400.00)" in message


def test_warnings_stop_the_card_until_each_is_confirmed():
    with pytest.raises(NeedsConfirmation) as err:
        make(hourly="200", daily="100", weekly="1000")
    assert err.value.codes == ["hourly_above_daily", "weekly_above_7_days"]
    assert err.value.status_code == 422 and "hourly rate (€200.00)" in err.value.message
    with pytest.raises(NeedsConfirmation) as err:  # confirming one leaves the other
        make(hourly="200", daily="100", weekly="1000", confirmed={"hourly_above_daily"})
    assert err.value.codes == ["weekly_above_7_days"]
    card = make(
        hourly="200",
        daily="100",
        weekly="1000",
        confirmed={"hourly_above_daily", "weekly_above_7_days"},
    )
    assert card.hourly == Money(Decimal(200), "EUR")


def test_errors_come_before_warnings():
    errors = refused(hourly="200", daily="100", currency="XYZ", confirmed={"hourly_above_daily"})
    assert list(errors) == ["currency"]
