"""Catalog domain: categories in a tree, equipment types with typed specifications.

Pure Python: no Flask, no SQLAlchemy."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

from rental.shared.errors import ConflictError, ValidationError
from rental.shared.images import StoredImage
from rental.shared.parsing import parse_decimal
from rental.shared.text import clean_block, clean_line

SpecValue = str | float | int | bool

_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def slugify(text: str) -> str:
    """'Scissor Lift 8 m' -> 'scissor-lift-8-m' (ASCII, lowercase, dashes)."""
    text = text.replace("ß", "ss").replace("æ", "ae").replace("ø", "o")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80].strip("-")


def clean_slug(raw: str | None, fallback_from: str, field_name: str = "slug") -> str:
    slug = (raw or "").strip().lower() or slugify(fallback_from)
    if not slug or not _SLUG_RE.match(slug) or len(slug) > 80:
        raise ValidationError(
            "Use lowercase letters, digits and dashes for the web address, e.g. 'scissor-lifts'.",
            field=field_name,
        )
    return slug


def clean_name(raw: str | None, what: str, field_name: str = "name", max_len: int = 120) -> str:
    name = clean_line(raw)
    if not name:
        raise ValidationError(f"Give the {what} a name.", field=field_name)
    if len(name) > max_len:
        raise ValidationError(
            f"Keep the name under {max_len} characters (it has {len(name)}).", field=field_name
        )
    return name


# --- categories -------------------------------------------------------------------------------


@dataclass
class Category:
    id: str
    name: str
    slug: str
    parent_id: str | None = None

    def rename(self, name: str) -> None:
        self.name = clean_name(name, "category")


def ensure_no_cycle(parents: Mapping[str, str | None], moving_id: str, new_parent_id: str | None):
    """Refuse to put a category under itself or under one of its own descendants.

    `parents` maps every category id to its current parent id."""
    if new_parent_id is None:
        return
    if new_parent_id == moving_id:
        raise ValidationError("A category cannot be its own parent.", field="parent_id")
    seen: set[str] = set()
    current: str | None = new_parent_id
    while current is not None:
        if current == moving_id:
            raise ValidationError(
                "That would put the category inside one of its own sub-categories. "
                "Choose a parent outside it.",
                field="parent_id",
            )
        if current in seen:  # defensive: existing data already has a loop
            raise ConflictError("The category tree is inconsistent; fix it before moving.")
        seen.add(current)
        current = parents.get(current)


def descendants(parents: Mapping[str, str | None], root_id: str) -> set[str]:
    """The category and all categories below it."""
    children: dict[str | None, list[str]] = {}
    for cid, pid in parents.items():
        children.setdefault(pid, []).append(cid)
    result: set[str] = set()
    stack = [root_id]
    while stack:
        cid = stack.pop()
        if cid in result:
            continue
        result.add(cid)
        stack.extend(children.get(cid, []))
    return result


# --- specifications ---------------------------------------------------------------------------


class SpecKind(StrEnum):
    NUMBER = "number"
    TEXT = "text"
    YES_NO = "yes_no"

    @property
    def label(self) -> str:
        return {"number": "Number", "text": "Text", "yes_no": "Yes / no"}[self.value]


def spec_kind(value: SpecValue) -> SpecKind:
    if isinstance(value, bool):
        return SpecKind.YES_NO
    if isinstance(value, int | float):
        return SpecKind.NUMBER
    return SpecKind.TEXT


_YES = {"yes", "y", "true", "1", "on", "ja"}
_NO = {"no", "n", "false", "0", "off", "nein"}


# Spec numbers are measurements (16 kW, 2,500 kg, -20 °C): bounded so that they stay exact in
# the float index behind filters and read as plain numbers, never 1e+15.
SPEC_NUMBER_LIMIT = Decimal(1_000_000_000)
SPEC_DECIMALS = 4


def check_spec_number(number: Decimal, key: str) -> None:
    if not number.is_finite():
        raise ValidationError(f"'{number}' is not a number (for {key}).")
    if abs(number) > SPEC_NUMBER_LIMIT:
        raise ValidationError(
            f"Keep {key} between -1,000,000,000 and 1,000,000,000 (a unit such as t instead "
            "of kg helps with very large values)."
        )
    if number != number.quantize(Decimal(1).scaleb(-SPEC_DECIMALS), rounding=ROUND_DOWN):
        raise ValidationError(f"Give {key} with at most {SPEC_DECIMALS} decimals.")


def parse_spec_value(kind: SpecKind, raw: str, key: str) -> SpecValue:
    text = clean_line(raw)
    if kind is SpecKind.NUMBER:
        number = parse_decimal(
            text,
            field=key,
            label=f"value of {key}",
            # Wide bounds here; check_spec_number gives the rule in its own words.
            minimum=-(Decimal(10) ** 30),
            maximum=Decimal(10) ** 30,
            example="16",
        )
        if number is None:
            raise ValidationError(f"Give a value for {key}.")
        check_spec_number(number, key)
        return int(number) if number == number.to_integral_value() else float(number)
    if kind is SpecKind.YES_NO:
        if text.lower() in _YES:
            return True
        if text.lower() in _NO:
            return False
        raise ValidationError(f"Write yes or no for {key}.")
    if not text:
        raise ValidationError(f"Give a value for {key}.")
    if len(text) > 200:
        raise ValidationError(f"Keep the value of {key} under 200 characters.")
    return text


def clean_spec_key(raw: str) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", (raw or "").strip().lower()).strip("_")
    if not key or not _KEY_RE.match(key):
        raise ValidationError(
            "A specification name starts with a letter and uses letters, digits and "
            "underscores, e.g. power_kw."
        )
    return key


_UNITS = {
    "kw": "kW",
    "kva": "kVA",
    "kg": "kg",
    "t": "t",
    "m": "m",
    "cm": "cm",
    "mm": "mm",
    "l": "l",
    "bar": "bar",
    "hp": "hp",
    "db": "dB",
    "v": "V",
    "a": "A",
    "w": "W",
    "m3": "m³",
    "l_min": "l/min",
    "l_h": "l/h",
    "kmh": "km/h",
    "rpm": "rpm",
}


def spec_label(key: str) -> str:
    """'power_kw' -> 'Power (kW)', 'flow_l_min' -> 'Flow (l/min)', 'fuel' -> 'Fuel'."""
    for suffix in sorted(_UNITS, key=len, reverse=True):
        if key.endswith("_" + suffix) and len(key) > len(suffix) + 1:
            stem = key[: -len(suffix) - 1]
            return f"{stem.replace('_', ' ').capitalize()} ({_UNITS[suffix]})"
    return key.replace("_", " ").capitalize()


def format_spec_value(value: SpecValue) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        # Plain digits up to the decimals a spec may have: 1234567.5, not 1.23457e+06.
        return f"{value:.{SPEC_DECIMALS}f}".rstrip("0").rstrip(".")
    return str(value)


def clean_specs(specs: Mapping[str, SpecValue]) -> dict[str, SpecValue]:
    cleaned: dict[str, SpecValue] = {}
    for raw_key, value in specs.items():
        key = clean_spec_key(raw_key)
        if key in cleaned:
            raise ValidationError(f"The specification {key} is given twice.")
        if isinstance(value, float) and not math.isfinite(value):  # NaN, infinity
            raise ValidationError(f"'{value}' is not a number (for {key}).")
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        if numeric and abs(value) > SPEC_NUMBER_LIMIT:
            raise ValidationError(f"The value of {key} is too large.")
        if isinstance(value, str):
            value = clean_line(value)
        if not isinstance(value, bool | int | float | str):
            raise ValidationError(f"The value of {key} must be a number, text or yes/no.")
        cleaned[key] = value
    if len(cleaned) > 40:
        raise ValidationError("An equipment type can have at most 40 specifications.")
    return cleaned


def ensure_spec_numbers_in_range(specs: Mapping[str, SpecValue]) -> None:
    """The limits of check_spec_number for specs given as values (the facade's callers).
    Only new input is checked: a stored type with an older out-of-range value still loads."""
    for key, value in specs.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
            except InvalidOperation:
                raise ValidationError(f"'{value}' is not a number (for {key}).") from None
            check_spec_number(number, key)


# --- similar types ------------------------------------------------------------------------------

# "Similar" (what a booking that is short offers instead, what a type page lists): the same
# category, and comparable where both types say something — power within ±25 % of the type
# asked about and the same fuel. Ranked by closeness: the mean relative difference of the
# numbers both have (a type sharing no number with it comes last), then by name.
SIMILAR_TOLERANCE = 0.25
SAME_VALUE_SPECS = ("fuel",)
T = TypeVar("T")


def _is_power(key: str) -> bool:
    return key == "power" or key.startswith("power_")


def _same(value: SpecValue) -> str:
    return str(value).strip().casefold()


def _number(value: SpecValue) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def similarity_distance(
    base: Mapping[str, SpecValue], other: Mapping[str, SpecValue]
) -> float | None:
    """How far `other` is from `base` (0: the same numbers; 1: nothing to compare), or None
    when it is not comparable (power more than ±25 % off, another fuel)."""
    for key in SAME_VALUE_SPECS:
        if key in base and key in other and _same(base[key]) != _same(other[key]):
            return None
    differences = []
    for key, value in base.items():
        a, b = _number(value), _number(other.get(key, ""))
        if a is None or b is None:
            continue
        if _is_power(key) and abs(b - a) > SIMILAR_TOLERANCE * abs(a):
            return None
        largest = max(abs(a), abs(b))
        differences.append(abs(a - b) / largest if largest else 0.0)
    return sum(differences) / len(differences) if differences else 1.0


def rank_similar(
    base: Mapping[str, SpecValue], candidates: list[tuple[T, str, Mapping[str, SpecValue]]]
) -> list[T]:
    """The comparable candidates — (item, name, specs) — closest first, then by name."""
    ranked = []
    for item, name, specs in candidates:
        distance = similarity_distance(base, specs)
        if distance is not None:
            ranked.append((distance, name.casefold(), item))
    ranked.sort(key=lambda entry: (entry[0], entry[1]))
    return [item for _, _, item in ranked]


def search_text(name: str, short: str, description: str, specs: Mapping[str, SpecValue]) -> str:
    """The lowercase text free-text search runs over: name, descriptions and spec values."""
    parts = [name, short, description]
    for key, value in specs.items():
        parts.append(spec_label(key))
        parts.append(format_spec_value(value))
    return " ".join(" ".join(parts).lower().split())


# --- equipment types --------------------------------------------------------------------------


@dataclass
class EquipmentType:
    id: str
    name: str
    slug: str
    category_id: str
    short_description: str = ""
    description: str = ""
    specs: dict[str, SpecValue] = field(default_factory=dict)
    image: StoredImage | None = None  # the uploaded photo (rental.shared.images)
    image_alt: str = ""  # its text alternative; empty: the type's name
    active: bool = True

    def __post_init__(self) -> None:
        self.name = clean_name(self.name, "equipment type")
        self.short_description = clean_line(self.short_description)
        if len(self.short_description) > 240:
            raise ValidationError(
                "Keep the short description under 240 characters.", field="short_description"
            )
        self.description = clean_block(self.description)
        if len(self.description) > 10_000:
            raise ValidationError(
                "Keep the description under 10,000 characters.", field="description"
            )
        self.specs = clean_specs(self.specs)
        self.image_alt = clean_image_alt(self.image_alt)

    @property
    def search_text(self) -> str:
        return search_text(self.name, self.short_description, self.description, self.specs)


def clean_image_alt(raw: str | None) -> str:
    """What the photo shows, for people who cannot see it (empty: the type's name is used)."""
    alt = clean_line(raw)
    if len(alt) > 200:
        raise ValidationError(
            f"Keep the photo's description under 200 characters (it has {len(alt)}).",
            field="image_alt",
        )
    return alt


def parse_spec_rows(rows: list[tuple[str, str, str]]) -> dict[str, SpecValue]:
    """Rows of (name, kind, value) from the admin form -> typed specs.

    Blank rows are skipped; every faulty row is reported under the key 'spec-<index>'."""
    specs: dict[str, SpecValue] = {}
    errors: dict[str, str] = {}
    for index, (raw_key, raw_kind, raw_value) in enumerate(rows):
        if not (raw_key or "").strip() and not (raw_value or "").strip():
            continue
        try:
            key = clean_spec_key(raw_key)
            try:
                kind = SpecKind(raw_kind)
            except ValueError:
                raise ValidationError("Choose number, text or yes/no.") from None
            if key in specs:
                raise ValidationError(f"{key} is already given above.")
            specs[key] = parse_spec_value(kind, raw_value, key)
        except ValidationError as exc:
            errors[f"spec-{index}"] = exc.message
    if errors:
        raise ValidationError(
            "Some specifications need fixing (see the marked rows).", errors=errors
        )
    return clean_specs(specs)
