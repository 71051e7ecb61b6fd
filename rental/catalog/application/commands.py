"""Catalog commands (state changes) and one handler class per aggregate: CategoryCommands and
EquipmentTypeCommands. Their repositories are passed in (the facade wires them); each command
returns an ID or None."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from rental.catalog.domain.kits import (
    Kit,
    KitComponent,
    KitRates,
    check_components,
    check_discount,
    check_rates,
)
from rental.catalog.domain.models import (
    Category,
    EquipmentType,
    SpecValue,
    clean_name,
    clean_slug,
    ensure_no_cycle,
    ensure_spec_numbers_in_range,
)
from rental.catalog.infrastructure.kits import KitRepository
from rental.catalog.infrastructure.repositories import (
    CategoryRepository,
    EquipmentTypeRepository,
)
from rental.shared.errors import ConflictError, NotFoundError, ValidationError
from rental.shared.images import StoredImage
from rental.shared.images.processing import ProcessedImage


@dataclass(frozen=True, slots=True)
class CreateCategory:
    name: str
    parent_id: str | None = None
    slug: str | None = None


@dataclass(frozen=True, slots=True)
class RenameCategory:
    category_id: str
    name: str


@dataclass(frozen=True, slots=True)
class MoveCategory:
    category_id: str
    new_parent_id: str | None


@dataclass(frozen=True, slots=True)
class DeleteCategory:
    category_id: str


@dataclass(frozen=True, slots=True)
class DefineEquipmentType:
    name: str
    category_id: str
    short_description: str = ""
    description: str = ""
    specs: dict[str, SpecValue] = field(default_factory=dict)
    active: bool = True
    slug: str | None = None
    image_alt: str = ""
    # A photo checked and re-encoded at the boundary (rental.shared.images.processing); the
    # facade stores its files before the row and removes them again if the row fails.
    new_image: ProcessedImage | None = None


@dataclass(frozen=True, slots=True)
class UpdateEquipmentType:
    equipment_type_id: str
    name: str
    category_id: str
    short_description: str = ""
    description: str = ""
    specs: dict[str, SpecValue] = field(default_factory=dict)
    active: bool = True
    slug: str | None = None
    image_alt: str = ""
    new_image: ProcessedImage | None = None  # replaces the photo
    remove_image: bool = False  # without a new one: no photo any more (the letter tile)


class CategoryCommands:
    def __init__(self, categories: CategoryRepository, types: EquipmentTypeRepository) -> None:
        self._categories = categories
        self._types = types

    def _require(self, category_id: str) -> Category:
        category = self._categories.get(category_id)
        if category is None:
            raise NotFoundError("That category does not exist (any more).")
        return category

    def _check_parent(self, parent_id: str | None) -> str | None:
        if not parent_id:
            return None
        if self._categories.get(parent_id) is None:
            raise ValidationError("Choose an existing parent category.", field="parent_id")
        return parent_id

    def create(self, cmd: CreateCategory) -> str:
        name = clean_name(cmd.name, "category")
        slug = clean_slug(cmd.slug, name)
        if self._categories.slug_taken(slug):
            raise ValidationError(
                f"A category with the address '{slug}' already exists; choose another name.",
                field="name",
            )
        category = Category(
            id=str(uuid.uuid4()), name=name, slug=slug, parent_id=self._check_parent(cmd.parent_id)
        )
        self._categories.add(category)
        return category.id

    def rename(self, cmd: RenameCategory) -> None:
        category = self._require(cmd.category_id)
        category.rename(cmd.name)
        self._categories.save(category)

    def move(self, cmd: MoveCategory) -> None:
        category = self._require(cmd.category_id)
        new_parent = self._check_parent(cmd.new_parent_id)
        ensure_no_cycle(self._categories.parents(), category.id, new_parent)
        category.parent_id = new_parent
        self._categories.save(category)

    def delete(self, cmd: DeleteCategory) -> None:
        category = self._require(cmd.category_id)
        if self._categories.has_children(category.id):
            raise ConflictError(
                f"'{category.name}' still has sub-categories; move or delete them first."
            )
        count = self._types.count_in_category(category.id)
        if count:
            raise ConflictError(
                f"'{category.name}' still holds {count} equipment type"
                f"{'s' if count != 1 else ''}; move them to another category first."
            )
        self._categories.remove(category.id)


class EquipmentTypeCommands:
    def __init__(self, categories: CategoryRepository, types: EquipmentTypeRepository) -> None:
        self._categories = categories
        self._types = types

    def _check(self, name: str, slug: str | None, category_id: str, except_id: str | None) -> str:
        """The web address to store; every faulty field (name, slug, category) at once."""
        errors: dict[str, str] = {}
        clean = None
        try:
            clean = clean_name(name, "equipment type")
        except ValidationError as exc:
            errors["name"] = exc.message
        final_slug = None
        try:
            final_slug = clean_slug(slug, clean or "")
            if self._types.slug_taken(final_slug, except_id):
                errors["slug"] = (
                    f"The address '{final_slug}' is already used by another equipment type."
                )
        except ValidationError as exc:
            if clean:
                errors["slug"] = exc.message
        if not category_id or self._categories.get(category_id) is None:
            errors["category_id"] = "Choose a category."
        if errors:
            first = next(iter(errors.values()))
            raise ValidationError(first, errors=errors)
        assert final_slug is not None  # set whenever no field is faulty
        return final_slug

    def define(self, cmd: DefineEquipmentType) -> str:
        image = cmd.new_image.image if cmd.new_image else None
        equipment_type = self._build(str(uuid.uuid4()), cmd, image, except_id=None)
        self._types.add(equipment_type)
        return equipment_type.id

    def update(self, cmd: UpdateEquipmentType) -> str | None:
        """Save the type; the key of the photo it no longer shows (replaced or removed), if
        any, so the facade can remove its files once nothing else shows it."""
        current = self._types.get(cmd.equipment_type_id)
        if current is None:
            raise NotFoundError("That equipment type does not exist (any more).")
        image = current.image
        if cmd.new_image is not None:
            image = cmd.new_image.image
        elif cmd.remove_image:
            image = None
        equipment_type = self._build(
            cmd.equipment_type_id, cmd, image, except_id=cmd.equipment_type_id
        )
        self._types.save(equipment_type)
        if current.image is not None and (image is None or image.key != current.image.key):
            return current.image.key
        return None

    def _build(
        self,
        type_id: str,
        cmd: DefineEquipmentType | UpdateEquipmentType,
        image: StoredImage | None,
        except_id: str | None,
    ) -> EquipmentType:
        slug = self._check(cmd.name, cmd.slug, cmd.category_id, except_id)
        ensure_spec_numbers_in_range(cmd.specs)
        return EquipmentType(
            id=type_id,
            name=cmd.name,
            slug=slug,
            category_id=cmd.category_id,
            short_description=cmd.short_description,
            description=cmd.description,
            specs=dict(cmd.specs),
            image=image,
            image_alt=cmd.image_alt,
            active=cmd.active,
        )


@dataclass(frozen=True, slots=True)
class KitRateInput:
    """A kit's own rates as staff gave them: per started hour, per day, optionally per week,
    in `currency` (checked by the command; None: left empty)."""

    hourly: Decimal | None
    daily: Decimal | None
    weekly: Decimal | None = None
    currency: str = "EUR"


@dataclass(frozen=True, slots=True)
class DefineKit:
    name: str
    components: tuple[KitComponent, ...]
    description: str = ""
    discount_percent: Decimal = Decimal(0)
    active: bool = True
    slug: str | None = None
    image_alt: str = ""
    # Its own rates instead of the components' less the discount (KitRateInput: as typed).
    own_rates: KitRateInput | None = None
    # As for types: checked and re-encoded at the boundary; the facade stores its files first.
    new_image: ProcessedImage | None = None


@dataclass(frozen=True, slots=True)
class UpdateKit:
    kit_id: str
    name: str
    components: tuple[KitComponent, ...]
    description: str = ""
    discount_percent: Decimal = Decimal(0)
    active: bool = True  # False: deactivated, no longer shown to visitors
    slug: str | None = None
    image_alt: str = ""
    own_rates: KitRateInput | None = None  # None: priced as the components less the discount
    new_image: ProcessedImage | None = None  # replaces the photo
    remove_image: bool = False  # without a new one: no photo any more (the letter tile)


class KitCommands:
    def __init__(self, kits: KitRepository) -> None:
        self._kits = kits

    def define(self, cmd: DefineKit) -> str:
        image = cmd.new_image.image if cmd.new_image else None
        kit = self._build(str(uuid.uuid4()), cmd, image, except_id=None)
        self._kits.add(kit)
        return kit.id

    def update(self, cmd: UpdateKit) -> str | None:
        """Save the kit; the key of the photo it no longer shows (replaced or removed), if
        any, so the facade can remove its files once nothing else shows it."""
        current = self._kits.get(cmd.kit_id)
        if current is None:
            raise NotFoundError("That kit does not exist (any more).")
        image = current.image
        if cmd.new_image is not None:
            image = cmd.new_image.image
        elif cmd.remove_image:
            image = None
        self._kits.save(self._build(cmd.kit_id, cmd, image, except_id=cmd.kit_id))
        if current.image is not None and (image is None or image.key != current.image.key):
            return current.image.key
        return None

    def _build(
        self,
        kit_id: str,
        cmd: DefineKit | UpdateKit,
        image: StoredImage | None,
        except_id: str | None,
    ) -> Kit:
        """Every faulty field (name, address, discount or rates, components, description) at
        once."""
        errors: dict[str, str] = {}
        name = slug = None
        try:
            name = clean_name(cmd.name, "kit")
        except ValidationError as exc:
            errors["name"] = exc.message
        try:
            slug = clean_slug(cmd.slug, name or "")
            if self._kits.slug_taken(slug, except_id):
                errors["slug"] = f"The address '{slug}' is already used by another kit."
        except ValidationError as exc:
            if name:
                errors["slug"] = exc.message
        rates: KitRates | None = None
        discount = cmd.discount_percent
        if cmd.own_rates is not None:
            given = cmd.own_rates
            discount = Decimal(0)  # not used at own rates
            try:
                rates = check_rates(given.hourly, given.daily, given.weekly, given.currency)
            except ValidationError as exc:
                errors.update(exc.errors or {"daily_rate": exc.message})
        else:
            try:
                check_discount(cmd.discount_percent)
            except ValidationError as exc:
                errors["discount_percent"] = exc.message
        wanted = {c.equipment_type_id for c in cmd.components}
        try:
            check_components(cmd.components, self._kits.active_type_ids(wanted))
        except ValidationError as exc:
            errors["components"] = exc.message
        kit = None
        try:
            kit = Kit(
                id=kit_id,
                name=name or "",
                slug=slug or "",
                description=cmd.description,
                discount_percent=discount,
                rates=rates,
                components=list(cmd.components),
                active=cmd.active,
                image=image,
                image_alt=cmd.image_alt,
            )
        except ValidationError as exc:
            errors[exc.field or "description"] = exc.message
        if errors:
            raise ValidationError(next(iter(errors.values())), errors=errors)
        assert kit is not None
        return kit
