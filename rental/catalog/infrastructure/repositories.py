"""Repositories: domain models in, domain models out (mappers to_domain / to_entity here)."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from rental.catalog.domain.models import Category, EquipmentType, SpecKind, spec_kind
from rental.catalog.infrastructure.entities import (
    CategoryEntity,
    EquipmentTypeEntity,
    KitEntity,
    SpecValueEntity,
)
from rental.shared.images import StoredImage
from rental.shared.time_range import utcnow


def category_to_domain(e: CategoryEntity) -> Category:
    return Category(id=e.id, name=e.name, slug=e.slug, parent_id=e.parent_id)


def type_to_domain(e: EquipmentTypeEntity) -> EquipmentType:
    return EquipmentType(
        id=e.id,
        name=e.name,
        slug=e.slug,
        category_id=e.category_id,
        short_description=e.short_description or "",
        description=e.description or "",
        specs=dict(e.specs or {}),
        image=stored_image(e),
        image_alt=e.image_alt or "",
        active=bool(e.active),
    )


def stored_image(e: EquipmentTypeEntity | KitEntity) -> StoredImage | None:
    if not e.image_key:
        return None
    return StoredImage(e.image_key, e.image_width or 1, e.image_height or 1)


class CategoryRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, category_id: str) -> Category | None:
        entity = self._session.get(CategoryEntity, category_id)
        return category_to_domain(entity) if entity else None

    def parents(self) -> dict[str, str | None]:
        rows = self._session.execute(select(CategoryEntity.id, CategoryEntity.parent_id))
        return {cid: pid for cid, pid in rows}

    def slug_taken(self, slug: str, except_id: str | None = None) -> bool:
        query = select(CategoryEntity.id).where(CategoryEntity.slug == slug)
        if except_id:
            query = query.where(CategoryEntity.id != except_id)
        return self._session.scalar(query) is not None

    def has_children(self, category_id: str) -> bool:
        query = select(CategoryEntity.id).where(CategoryEntity.parent_id == category_id).limit(1)
        return self._session.scalar(query) is not None

    def add(self, category: Category) -> None:
        self._session.add(
            CategoryEntity(
                id=category.id,
                name=category.name,
                slug=category.slug,
                parent_id=category.parent_id,
                created_at=utcnow(),
            )
        )
        self._session.flush()

    def save(self, category: Category) -> None:
        entity = self._session.get(CategoryEntity, category.id)
        assert entity is not None
        entity.name = category.name
        entity.slug = category.slug
        entity.parent_id = category.parent_id
        self._session.flush()

    def remove(self, category_id: str) -> None:
        self._session.execute(delete(CategoryEntity).where(CategoryEntity.id == category_id))


class EquipmentTypeRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, type_id: str) -> EquipmentType | None:
        entity = self._session.get(EquipmentTypeEntity, type_id)
        return type_to_domain(entity) if entity else None

    def slug_taken(self, slug: str, except_id: str | None = None) -> bool:
        query = select(EquipmentTypeEntity.id).where(EquipmentTypeEntity.slug == slug)
        if except_id:
            query = query.where(EquipmentTypeEntity.id != except_id)
        return self._session.scalar(query) is not None

    def image_in_use(self, key: str) -> bool:
        """Does any type or kit still show the image with this key? (Its files go only once
        nothing does.)"""
        for entity in (EquipmentTypeEntity, KitEntity):
            query = select(entity.id).where(entity.image_key == key)
            if self._session.scalar(query.limit(1)) is not None:
                return True
        return False

    def count_in_category(self, category_id: str) -> int:
        query = select(func.count()).where(EquipmentTypeEntity.category_id == category_id)
        return self._session.scalar(query.select_from(EquipmentTypeEntity)) or 0

    def add(self, equipment_type: EquipmentType) -> None:
        now = utcnow()
        entity = EquipmentTypeEntity(id=equipment_type.id, created_at=now, updated_at=now)
        self._apply(entity, equipment_type)
        self._session.add(entity)
        self._session.flush()
        self._index_specs(equipment_type)

    def save(self, equipment_type: EquipmentType) -> None:
        entity = self._session.get(EquipmentTypeEntity, equipment_type.id)
        assert entity is not None
        self._apply(entity, equipment_type)
        entity.updated_at = utcnow()
        self._session.flush()
        self._index_specs(equipment_type)

    @staticmethod
    def _apply(entity: EquipmentTypeEntity, t: EquipmentType) -> None:
        entity.name = t.name
        entity.slug = t.slug
        entity.category_id = t.category_id
        entity.short_description = t.short_description
        entity.description = t.description
        entity.specs = dict(t.specs)
        entity.image_key = t.image.key if t.image else None
        entity.image_width = t.image.width if t.image else None
        entity.image_height = t.image.height if t.image else None
        entity.image_alt = t.image_alt
        entity.active = t.active
        entity.search_text = t.search_text

    def _index_specs(self, t: EquipmentType) -> None:
        self._session.execute(
            delete(SpecValueEntity).where(SpecValueEntity.equipment_type_id == t.id)
        )
        for key, value in t.specs.items():
            kind = spec_kind(value)
            self._session.add(
                SpecValueEntity(
                    equipment_type_id=t.id,
                    key=key,
                    kind=kind.value,
                    text_value=(
                        value
                        if kind is SpecKind.TEXT
                        else ("yes" if value else "no")
                        if kind is SpecKind.YES_NO
                        else None
                    ),
                    number_value=float(value) if kind is SpecKind.NUMBER else None,
                )
            )
        self._session.flush()
