"""Turning what people type (query strings, form fields) into numbers, amounts and dates.

The one place web code converts user text into values: views and forms call these instead of
int(), float(), Decimal(), fromisoformat() or str.isdigit() (which also accepts '²' and
'٣'). Pure Python, no Flask.

Every parser has bounds, so nothing that gets through can overflow further down: no
OverflowError from a date near year 9999, no 'bigint out of range' from a page number, no
'numeric field overflow' or Infinity from '1e309'. A refusal is a ValidationError naming the
field, with a message written for the person who typed it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation

from rental.shared.errors import ValidationError

# Calendar bounds for anything a person books, plans or filters by. Wide enough for every real
# use, narrow enough that adding a few weeks (buffers, a booking's last day, a week view) can
# never leave the range that Python, SQLite and PostgreSQL all handle.
MIN_YEAR = 2000
MAX_YEAR = 2999
MAX_PAGE = 10_000

_INT = re.compile(r"[+-]?[0-9]+")  # ASCII digits only, on purpose
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")  # no exponent, NaN or Infinity
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DATETIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]{1,6})?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?"
)
_MAX_LENGTH = 40  # longer than any number or date anyone types


def _text(raw: object) -> str:
    return raw.strip() if isinstance(raw, str) else ""


def _too_long(text: str, field: str, label: str) -> None:
    if len(text) > _MAX_LENGTH:
        raise ValidationError(f"The {label} is too long.", field=field)


def parse_int(
    raw: str | None,
    *,
    field: str,
    label: str,
    minimum: int,
    maximum: int,
    example: str | None = None,
) -> int:
    """A whole number from minimum to maximum; blank, '2.5', '²' or '1e3' are refused."""
    text = _text(raw)
    example = example or str(max(minimum, min(maximum, 2)))
    if not text:
        raise ValidationError(f"Enter the {label} as a whole number, e.g. {example}.", field=field)
    _too_long(text, field, label)
    if not _INT.fullmatch(text):
        raise ValidationError(f"Enter the {label} as a whole number, e.g. {example}.", field=field)
    value = int(text)
    if not minimum <= value <= maximum:
        raise ValidationError(
            f"The {label} must be between {minimum:,} and {maximum:,}.", field=field
        )
    return value


def parse_optional_int(
    raw: str | None, *, field: str, label: str, minimum: int, maximum: int
) -> int | None:
    if not _text(raw):
        return None
    return parse_int(raw, field=field, label=label, minimum=minimum, maximum=maximum)


def page_number(raw: str | None) -> int:
    """The page of a list: a plain number from 1 to MAX_PAGE, otherwise page 1 (links make
    these, so a mangled one shows the first page rather than an error)."""
    try:
        return parse_int(raw, field="page", label="page", minimum=1, maximum=MAX_PAGE)
    except ValidationError:
        return 1


def parse_decimal(
    raw: str | None,
    *,
    field: str,
    label: str,
    minimum: Decimal,
    maximum: Decimal,
    places: int = 4,
    example: str = "12.50",
) -> Decimal | None:
    """A plain decimal number ('12', '12.50', '12,50', '€12.50') or None when blank.

    Exponents ('1e309'), 'NaN' and 'Infinity' are refused by the pattern itself; the value must
    lie in [minimum, maximum] and have at most `places` decimals."""
    text = _text(raw)
    if not text:
        return None
    _too_long(text, field, label)
    text = text.strip("€$£¥ ").replace(" ", "")
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")  # '12,50' as typed in much of Europe
    if not _DECIMAL.fullmatch(text):
        raise ValidationError(f"Enter the {label} as a number, e.g. {example}.", field=field)
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid literals
        raise ValidationError(
            f"Enter the {label} as a number, e.g. {example}.", field=field
        ) from None
    if not minimum <= value <= maximum:
        raise ValidationError(
            f"The {label} must be between {_plain(minimum)} and {_plain(maximum)}.", field=field
        )
    value = abs(value) if value == 0 else value  # '-0' is zero
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise ValidationError(
            f"The {label} can have at most {places} decimal{'s' if places != 1 else ''}.",
            field=field,
        )
    return value


def _plain(value: Decimal) -> str:
    return f"{value:,f}"


def _check_year(year: int, field: str, label: str, min_year: int, max_year: int) -> None:
    if not min_year <= year <= max_year:
        raise ValidationError(
            f"The {label} must be between the years {min_year} and {max_year}.", field=field
        )


def parse_date(
    raw: str | None,
    *,
    field: str,
    label: str,
    min_year: int = MIN_YEAR,
    max_year: int = MAX_YEAR,
) -> date | None:
    """A calendar day written YYYY-MM-DD (what <input type=date> sends), or None when blank."""
    text = _text(raw)
    if not text:
        return None
    _too_long(text, field, label)
    match = _DATE.fullmatch(text)
    if not match:
        raise ValidationError(f"Enter the {label} as YYYY-MM-DD, e.g. 2030-05-06.", field=field)
    _check_year(int(match.group(1)), field, label, min_year, max_year)
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise ValidationError(f"{text} is not a day in the calendar.", field=field) from None


def parse_local_datetime(
    raw: str | None,
    tz: tzinfo,
    *,
    field: str,
    label: str,
    min_year: int = MIN_YEAR,
    max_year: int = MAX_YEAR,
) -> datetime | None:
    """A date and time as <input type=datetime-local> sends it ('2030-05-06T09:00'), read in
    `tz`; an explicit offset ('…+02:00', '…Z') is honoured. None when blank."""
    text = _text(raw)
    if not text:
        return None
    _too_long(text, field, label)
    match = _DATETIME.fullmatch(text)
    if not match:
        raise ValidationError(
            f"Enter the {label} as a date and time, e.g. 2030-05-06T09:00.", field=field
        )
    year, month, day, hour, minute = (int(match.group(i)) for i in range(1, 6))
    second = int(match.group(6) or 0)
    _check_year(year, field, label, min_year, max_year)
    zone: tzinfo = tz
    if offset := match.group(7):
        zone = UTC if offset == "Z" else _offset(offset, field, label)
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=zone)
    except ValueError:
        raise ValidationError(f"{text} is not a valid date and time.", field=field) from None


def _offset(text: str, field: str, label: str) -> tzinfo:
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 23 or minutes > 59:
        raise ValidationError(f"The time zone of the {label} is not valid.", field=field)
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if text[0] == "-" else delta)
