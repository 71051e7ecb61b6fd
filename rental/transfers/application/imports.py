"""The CSV imports as use cases: every row goes through the owning module's own commands
(CatalogFacade, PricingFacade, InventoryFacade) — the same rules and messages as the staff
forms — inside ONE transaction the caller opens. Each row runs in a savepoint, so a faulty
row is reported and the next one still checked; the caller commits only an apply without a
single error (all-or-nothing) and rolls a preview back whatever it found.

Types are matched by slug (created or updated, rates set when the rate columns are filled),
items by serial number (registered, or their status, location, notes and acquisition date
changed). "Unchanged" rows call no command at all, so applying the same file twice changes
nothing the second time."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy.orm import Session

from rental.catalog import (
    CatalogFacade,
    DefineEquipmentType,
    EquipmentTypeDetails,
    UpdateEquipmentType,
    parse_spec_rows,
)
from rental.catalog import SpecKind as _SpecKind
from rental.inventory import (
    STATUSES,
    ChangeItemStatus,
    EditItemDetails,
    InventoryFacade,
    RegisterEquipment,
    clean_serial,
)
from rental.pricing import (
    PricingFacade,
    RateCard,
    form_errors,
    read_rate_card_form,
)
from rental.shared.errors import DomainError, NeedsConfirmation, NotFoundError, ValidationError
from rental.shared.parsing import parse_date
from rental.transfers.domain.csv_files import CsvRow, Kind

CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"
IMPORT_REASON = "CSV import"

# The rate columns of the types CSV and the rate card form's field names.
RATE_COLUMNS = {
    "Currency": "currency",
    "Hourly rate": "hourly",
    "Daily rate": "daily",
    "Weekly rate": "weekly",
    "Deposit": "deposit",
    "Minimum rental (hours)": "minimum_hours",
}
_TYPE_FIELDS = {
    "name": "Name",
    "slug": "Slug",
    "category_id": "Category",
    "short_description": "Short description",
    "description": "Description",
}
_ITEM_FIELDS = {
    "serial_number": "Serial number",
    "equipment_type_id": "Equipment type slug",
    "acquired_on": "Acquired on",
    "location": "Location",
    "notes": "Notes",
    "to_status": "Status",
    "reason": "Status",
}
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}


@dataclass(frozen=True, slots=True)
class CellError:
    column: str  # "" for the row as a whole
    message: str


@dataclass(frozen=True, slots=True)
class RowOutcome:
    number: int
    key: str  # the slug or serial number
    label: str  # the type's name / the item's type
    action: str  # create | update | unchanged | error
    errors: tuple[CellError, ...] = ()
    notes: tuple[str, ...] = ()  # warnings the import confirmed (a rate card's)


@dataclass(frozen=True, slots=True)
class ImportReport:
    kind: Kind
    rows: list[RowOutcome]
    applied: bool = False

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def error_count(self) -> int:
        return sum(len(r.errors) for r in self.rows)

    @property
    def ok(self) -> bool:
        return not any(r.errors for r in self.rows)


class _RowFailed(Exception):
    def __init__(self, errors: list[CellError]) -> None:
        self.errors = errors


def _mapped(exc: DomainError, columns: Mapping[str, str], default: str = "") -> list[CellError]:
    errors = getattr(exc, "errors", None) or {exc.field or "": exc.message}
    return [CellError(columns.get(k, default), v) for k, v in errors.items()]


def _same_text(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return "\n".join(line.rstrip() for line in s.replace("\r\n", "\n").split("\n")).strip()

    return norm(a) == norm(b)


class _Rows:
    """Runs each row in a savepoint and turns its DomainErrors into the row's errors."""

    def __init__(self, session: Session) -> None:
        self._session = session

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        with self._session.begin_nested():
            yield


class TypeImport:
    """Equipment types with their specifications and rate card, by slug."""

    def __init__(
        self, catalog: CatalogFacade, pricing: PricingFacade, session: Session, actor: str
    ) -> None:
        self._catalog = catalog
        self._pricing = pricing
        self._rows = _Rows(session)
        self._categories = {c.slug: c.id for c in catalog.list_categories()}

    def run(self, rows: list[CsvRow]) -> ImportReport:
        seen: dict[str, int] = {}
        outcomes = []
        for row in rows:
            slug = row.cells["Slug"].strip().lower()
            outcomes.append(self._one(row, slug, seen))
            if slug and slug not in seen:
                seen[slug] = row.number
        return ImportReport(Kind.TYPES, outcomes)

    def _one(self, row: CsvRow, slug: str, seen: dict[str, int]) -> RowOutcome:
        c = row.cells
        errors = [CellError(col, msg) for col, msg in row.problems]
        name = c["Name"]
        if not slug:
            errors.append(CellError("Slug", "Give the web address (slug): rows are matched by it."))
        elif slug in seen:
            errors.append(
                CellError("Slug", f"“{slug}” is also on row {seen[slug]}; give each type once.")
            )
        category_slug = c["Category"].strip().lower()
        category_id = self._categories.get(category_slug)
        if category_id is None:
            known = ", ".join(sorted(self._categories)[:10]) or "none yet"
            errors.append(
                CellError(
                    "Category",
                    f"No category has the address “{category_slug}”. Create it on the "
                    f"Categories page first (known: {known}).",
                )
            )
        active = c["Active"].strip().lower()
        if active not in _YES | _NO:
            errors.append(CellError("Active", "Write yes or no."))
        specs = self._specs(c["Specs"], errors)
        rate_form = {field: c[column].strip() for column, field in RATE_COLUMNS.items()}
        with_rates = any(v for k, v in rate_form.items() if k != "currency")
        if errors:
            return RowOutcome(row.number, slug, name, ERROR, tuple(errors))
        existing = self._existing(slug)
        notes: list[str] = []
        try:
            with self._rows.savepoint():
                action, type_id = self._save_type(
                    existing, name, slug, category_id or "", c, specs, active in _YES
                )
                if with_rates:
                    changed = self._save_rates(type_id, rate_form, notes)
                    if changed and action == UNCHANGED:
                        action = UPDATE
        except _RowFailed as failed:
            return RowOutcome(row.number, slug, name, ERROR, tuple(failed.errors))
        return RowOutcome(row.number, slug, name, action, (), tuple(notes))

    def _existing(self, slug: str) -> EquipmentTypeDetails | None:
        try:
            return self._catalog.get_equipment_type_by_slug(slug)
        except NotFoundError:
            return None

    def _specs(self, raw: str, errors: list[CellError]) -> dict:
        if not raw.strip():
            return {}
        try:
            given = json.loads(raw, parse_float=Decimal)
        except ValueError:
            given = None
        if not isinstance(given, dict):
            errors.append(
                CellError(
                    "Specs",
                    'Write the specifications as in the export, e.g. {"power_kw": 16, '
                    '"fuel": "diesel", "electric_start": true}.',
                )
            )
            return {}
        rows: list[tuple[str, str, str]] = []
        for key, value in given.items():
            if isinstance(value, bool):
                rows.append((key, _SpecKind.YES_NO.value, "yes" if value else "no"))
            elif isinstance(value, int | Decimal):
                rows.append((key, _SpecKind.NUMBER.value, str(value)))
            elif isinstance(value, str):
                rows.append((key, _SpecKind.TEXT.value, value))
            else:
                errors.append(CellError("Specs", f"{key}: give a number, text, or true/false."))
                return {}
        try:
            return parse_spec_rows(rows)
        except ValidationError as exc:
            for k, message in (exc.errors or {"": exc.message}).items():
                index = int(k.split("-")[1]) if k.startswith("spec-") else None
                key = rows[index][0] if index is not None else ""
                errors.append(CellError("Specs", f"{key}: {message}" if key else message))
            return {}

    def _save_type(
        self,
        existing: EquipmentTypeDetails | None,
        name: str,
        slug: str,
        category_id: str,
        c: Mapping[str, str],
        specs: dict,
        active: bool,
    ) -> tuple[str, str]:
        values = dict(
            name=name,
            category_id=category_id,
            short_description=c["Short description"],
            description=c["Description"],
            specs=specs,
            active=active,
            slug=slug,
        )
        try:
            if existing is None:
                return CREATE, self._catalog.define_equipment_type(DefineEquipmentType(**values))
            if (
                _same_text(existing.name, name)
                and existing.category_id == category_id
                and _same_text(existing.short_description, c["Short description"])
                and _same_text(existing.description, c["Description"])
                and existing.specs == specs
                and existing.active == active
            ):
                return UNCHANGED, existing.id
            self._catalog.update_equipment_type(
                UpdateEquipmentType(existing.id, image_alt=existing.image_alt, **values)
            )
            return UPDATE, existing.id
        except DomainError as exc:
            raise _RowFailed(_mapped(exc, _TYPE_FIELDS, "Specs")) from None

    def _save_rates(self, type_id: str, form: dict[str, str], notes: list[str]) -> bool:
        columns = {field: column for column, field in RATE_COLUMNS.items()}
        try:
            cmd = read_rate_card_form(type_id, form, self._pricing.rate_card_limits())
            card = self._pricing.get_rate_card(type_id)
            if card is not None and _same_card(card, cmd):
                return False
            try:
                self._pricing.set_rate_card(cmd)
            except NeedsConfirmation as exc:
                # Allowed but unusual (what the form's "Save anyway" confirms): the preview
                # shows them, and applying the file confirms them.
                notes.extend(w.message for w in exc.warnings)
                self._pricing.set_rate_card(replace(cmd, confirmed_warnings=frozenset(exc.codes)))
        except ValidationError as exc:
            errors = form_errors(exc)
            raise _RowFailed(
                [CellError(columns.get(k, "Hourly rate"), v) for k, v in errors.items()]
            ) from None
        except DomainError as exc:
            raise _RowFailed([CellError("Hourly rate", exc.message)]) from None
        return True


def _same_card(card: RateCard, cmd) -> bool:
    def amount(money) -> Decimal | None:
        return money.amount if money is not None else None

    return (
        card.currency == cmd.currency.strip().upper()
        and amount(card.hourly) == cmd.hourly
        and amount(card.daily) == cmd.daily
        and amount(card.weekly) == cmd.weekly
        and amount(card.deposit) == cmd.deposit
        and card.minimum_duration == cmd.minimum_duration
    )


class ItemImport:
    """Items by serial number, of types named by their slug."""

    def __init__(
        self,
        catalog: CatalogFacade,
        inventory: InventoryFacade,
        session: Session,
        actor: str,
    ) -> None:
        self._catalog = catalog
        self._inventory = inventory
        self._rows = _Rows(session)
        self._actor = actor
        self._types: dict[str, EquipmentTypeDetails | None] = {}

    def _type(self, slug: str) -> EquipmentTypeDetails | None:
        if slug not in self._types:
            try:
                self._types[slug] = self._catalog.get_equipment_type_by_slug(slug)
            except NotFoundError:
                self._types[slug] = None
        return self._types[slug]

    def run(self, rows: list[CsvRow]) -> ImportReport:
        serials: dict[int, str] = {}
        for row in rows:
            with suppress(ValidationError):
                serials[row.number] = clean_serial(row.cells["Serial number"])
        existing = self._inventory.get_items_by_serial(serials.values())
        seen: dict[str, int] = {}
        outcomes = []
        for row in rows:
            serial = serials.get(row.number, "")
            outcomes.append(self._one(row, serial, existing, seen))
            if serial and serial not in seen:
                seen[serial] = row.number
        return ImportReport(Kind.ITEMS, outcomes)

    def _one(self, row: CsvRow, serial: str, existing: Mapping, seen: dict[str, int]):
        c = row.cells
        errors = [CellError(col, msg) for col, msg in row.problems]
        type_slug = c["Equipment type slug"].strip().lower()
        kind = self._type(type_slug) if type_slug else None
        label = kind.name if kind else c["Equipment type"]
        if not serial:
            try:
                clean_serial(c["Serial number"])
            except ValidationError as exc:
                errors.append(CellError("Serial number", exc.message))
        elif serial in seen:
            errors.append(
                CellError(
                    "Serial number", f"{serial} is also on row {seen[serial]}; give each item once."
                )
            )
        if kind is None:
            errors.append(
                CellError(
                    "Equipment type slug",
                    f"No equipment type has the address “{type_slug}”; import the equipment "
                    "types first (or correct the slug).",
                )
            )
        status = c["Status"].strip().upper()
        if status not in STATUSES:
            errors.append(
                CellError(
                    "Status",
                    "Write one of " + ", ".join(s.capitalize() for s in STATUSES) + ".",
                )
            )
        elif status == "ALLOCATED":
            errors.append(
                CellError(
                    "Status",
                    "An item is allocated only when a booking is handed over; import it as "
                    "Available.",
                )
            )
        acquired_on = None
        try:
            acquired_on = parse_date(
                c["Acquired on"], field="acquired_on", label="acquisition date", min_year=1900
            )
        except ValidationError as exc:
            errors.append(CellError("Acquired on", exc.message))
        current = existing.get(serial)
        if current is not None and kind is not None and current.equipment_type_id != kind.id:
            errors.append(
                CellError(
                    "Equipment type slug",
                    f"{serial} is registered as another equipment type; an import does not "
                    "move items between types.",
                )
            )
        if errors:
            return RowOutcome(row.number, serial or c["Serial number"], label, ERROR, tuple(errors))
        assert kind is not None
        try:
            with self._rows.savepoint():
                action = self._save(current, serial, kind.id, status, acquired_on, c)
        except _RowFailed as failed:
            return RowOutcome(row.number, serial, label, ERROR, tuple(failed.errors))
        return RowOutcome(row.number, serial, label, action)

    def _save(self, current, serial: str, type_id: str, status: str, acquired_on, c) -> str:
        location, notes = c["Location"], c["Notes"]
        try:
            if current is None:
                item_id = self._inventory.register_new_equipment(
                    RegisterEquipment(
                        type_id, serial, acquired_on, notes, location, actor=self._actor
                    )
                )
                action, from_status = CREATE, "AVAILABLE"
            else:
                item_id, action, from_status = current.id, UNCHANGED, current.status
                if not (
                    current.acquired_on == acquired_on
                    and _same_text(current.location, location)
                    and _same_text(current.notes, notes)
                ):
                    self._inventory.edit_item_details(
                        EditItemDetails(item_id, acquired_on, notes, location)
                    )
                    action = UPDATE
            if status != from_status:
                self._inventory.change_item_status(
                    ChangeItemStatus(item_id, status, IMPORT_REASON, self._actor)
                )
                action = CREATE if action == CREATE else UPDATE
        except DomainError as exc:
            raise _RowFailed(_mapped(exc, _ITEM_FIELDS)) from None
        return action


def spec_cell(specs: Mapping[str, object]) -> str:
    """A type's specifications as the CSV's JSON cell (kinds kept: 16, "diesel", true)."""
    return json.dumps(dict(specs), ensure_ascii=False) if specs else ""


__all__ = [
    "CREATE",
    "ERROR",
    "UNCHANGED",
    "UPDATE",
    "CellError",
    "ImportReport",
    "ItemImport",
    "RowOutcome",
    "TypeImport",
]
