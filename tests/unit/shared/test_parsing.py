"""The one parser of user-typed numbers, amounts and dates: bounded, ASCII digits only, no
exponents, clear messages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rental.shared.errors import ValidationError
from rental.shared.parsing import (
    MAX_PAGE,
    MAX_YEAR,
    page_number,
    parse_date,
    parse_decimal,
    parse_int,
    parse_local_datetime,
    parse_optional_int,
)

BERLIN = ZoneInfo("Europe/Berlin")


def _int(raw):
    return parse_int(raw, field="qty", label="quantity", minimum=1, maximum=999)


def _amount(raw):
    return parse_decimal(
        raw, field="rate", label="rate", minimum=Decimal(0), maximum=Decimal("99999.99"), places=2
    )


@pytest.mark.parametrize("raw", ["²", "٣", "１", "1.5", "1e3", "0x10", "", " ", "1 000", "9" * 41])
def test_integers_are_plain_ascii_digits(raw):
    with pytest.raises(ValidationError) as err:
        _int(raw)
    assert err.value.field == "qty" and "quantity" in err.value.message


@pytest.mark.parametrize("raw", ["0", "1000", "9223372036854775807", "-1"])
def test_integers_out_of_bounds_name_the_bounds(raw):
    with pytest.raises(ValidationError, match="between 1 and 999"):
        _int(raw)


def test_integers_within_bounds_parse():
    assert _int(" 12 ") == 12 and _int("+3") == 3
    assert parse_optional_int("", field="id", label="id", minimum=1, maximum=5) is None


@pytest.mark.parametrize("raw", ["9223372036854775807", "²", "0", "-3", "abc", "", None, "1e9"])
def test_a_mangled_page_number_is_the_first_page(raw):
    assert page_number(raw) == 1


def test_page_numbers_are_capped():
    assert page_number("7") == 7 and page_number(str(MAX_PAGE)) == MAX_PAGE
    assert page_number(str(MAX_PAGE + 1)) == 1


@pytest.mark.parametrize(
    "raw", ["1e309", "1E2", "NaN", "nan", "Infinity", "-inf", "sNaN", "²", "1.2.3", "12,5,0"]
)
def test_amounts_refuse_exponents_nan_infinity_and_odd_digits(raw):
    with pytest.raises(ValidationError, match="as a number"):
        _amount(raw)


def test_amounts_accept_what_people_type():
    assert _amount("12") == Decimal("12")
    assert _amount("12,50") == Decimal("12.50")
    assert _amount("€ 12.50") == Decimal("12.50")
    assert _amount("-0") == Decimal("0") and str(_amount("-0")) == "0"
    assert _amount("") is None


def test_amounts_are_bounded_and_have_limited_decimals():
    with pytest.raises(ValidationError, match=r"between 0 and 99,999\.99"):
        _amount("99999999999999")
    with pytest.raises(ValidationError, match="between"):
        _amount("-1")
    with pytest.raises(ValidationError, match="at most 2 decimals"):
        _amount("1.001")


@pytest.mark.parametrize("raw", ["9999-12-31", "0001-01-01", "1999-12-31", "3000-01-01"])
def test_dates_outside_the_calendar_bounds_are_refused(raw):
    with pytest.raises(ValidationError, match="between the years 2000 and 2999"):
        parse_date(raw, field="start", label="first day")


@pytest.mark.parametrize("raw", ["2030-02-30", "2030-13-01"])
def test_impossible_days_are_refused(raw):
    with pytest.raises(ValidationError, match="not a day in the calendar"):
        parse_date(raw, field="start", label="first day")


@pytest.mark.parametrize("raw", ["2030-1-1", "２０３０-01-01", "20300101", "2030-01-01T00:00"])
def test_dates_are_written_yyyy_mm_dd(raw):
    with pytest.raises(ValidationError, match="YYYY-MM-DD"):
        parse_date(raw, field="start", label="first day")


def test_the_last_allowed_day_still_has_room_for_arithmetic():
    last = parse_date(f"{MAX_YEAR}-12-31", field="d", label="day")
    assert last + timedelta(days=400) > last  # no OverflowError downstream
    assert parse_date("1950-06-01", field="d", label="day", min_year=1900) == date(1950, 6, 1)


def test_local_datetimes_take_the_business_zone_or_an_explicit_offset():
    assert parse_local_datetime("2030-05-06T09:00", BERLIN, field="s", label="start") == (
        datetime(2030, 5, 6, 9, 0, tzinfo=BERLIN)
    )
    utc = parse_local_datetime("2030-05-06T09:00Z", BERLIN, field="s", label="start")
    assert utc == datetime(2030, 5, 6, 9, 0, tzinfo=UTC)
    shifted = parse_local_datetime("2030-05-06T09:00:00+02:00", BERLIN, field="s", label="start")
    assert shifted == datetime(2030, 5, 6, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("9999-12-31T23:59", "between the years"),
        ("2030-05-06T25:00", "not a valid date and time"),
        ("2030-05-06T09:00+25:00", "time zone"),
        ("2030-05-06", "as a date and time"),
        ("tomorrow", "as a date and time"),
    ],
)
def test_local_datetimes_are_bounded_and_explained(raw, message):
    with pytest.raises(ValidationError, match=message):
        parse_local_datetime(raw, BERLIN, field="start", label="start")


@given(st.text(max_size=50))
def test_parsers_only_ever_raise_validation_errors(raw):
    for parse in (
        _int,
        _amount,
        lambda r: parse_date(r, field="d", label="day"),
        lambda r: parse_local_datetime(r, BERLIN, field="d", label="start"),
        page_number,
    ):
        try:
            value = parse(raw)
        except ValidationError:
            continue
        if isinstance(value, datetime | date):
            assert 2000 <= value.year <= MAX_YEAR
        if isinstance(value, Decimal):
            assert value.is_finite() and 0 <= value <= Decimal("99999.99")


def test_web_code_parses_user_input_only_through_the_helper():
    """No str.isdigit() (accepts '²') and no fromisoformat() (unbounded) in views and forms."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[3] / "rental"
    web_code = [*root.glob("*/web.py"), *root.glob("*/web/*.py"), root / "admin.py"]
    web_code.append(root / "pages.py")
    offenders = [
        f"{path.relative_to(root)}: {line.strip()}"
        for path in web_code
        for line in path.read_text().splitlines()
        if any(p in line for p in (".isdigit(", ".isdecimal(", ".isnumeric(", "fromisoformat("))
    ]
    assert offenders == []
