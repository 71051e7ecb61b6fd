"""SQLAlchemy entities of the catalog (tables prefixed `catalog_`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rental.shared.db import Base, UTCDateTime
from rental.shared.reference_cache import reference_tables


class CategoryEntity(Base):
    __tablename__ = "catalog_categories"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    parent_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("catalog_categories.id"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EquipmentTypeEntity(Base):
    __tablename__ = "catalog_equipment_types"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    category_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("catalog_categories.id"), index=True
    )
    short_description: Mapped[str] = mapped_column(String(240), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    specs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The uploaded photo: the key of its files (rental.shared.images) and its largest size.
    image_key: Mapped[str | None] = mapped_column(String(32), index=True)
    image_width: Mapped[int | None] = mapped_column(Integer)
    image_height: Mapped[int | None] = mapped_column(Integer)
    image_alt: Mapped[str] = mapped_column(String(200), default="", server_default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Read model for free-text search: name, descriptions and spec values, lowercased.
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SpecValueEntity(Base):
    """One row per (type, spec): the read index behind spec filters and facets.
    Rewritten whenever a type's specs change; the JSON column stays the source of truth."""

    __tablename__ = "catalog_spec_values"

    equipment_type_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("catalog_equipment_types.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    text_value: Mapped[str | None] = mapped_column(String(200))
    number_value: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (Index("ix_catalog_spec_values_key_number", "key", "number_value"),)


class KitEntity(Base):
    """A kit: several equipment types rented together, priced as their sum minus a discount
    (`pricing` "discount") or at its own rates (`pricing` "rates", the rate columns)."""

    __tablename__ = "catalog_kits"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    discount_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(0))
    pricing: Mapped[str] = mapped_column(String(10), default="discount", server_default="discount")
    # The kit's own rates (pricing "rates"), as a rate card's amounts: per kit, in rate_currency.
    hourly_rate: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    daily_rate: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    weekly_rate: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    rate_currency: Mapped[str | None] = mapped_column(String(3))
    # The uploaded photo, as on equipment types (rental.shared.images).
    image_key: Mapped[str | None] = mapped_column(String(32), index=True)
    image_width: Mapped[int | None] = mapped_column(Integer)
    image_height: Mapped[int | None] = mapped_column(Integer)
    image_alt: Mapped[str] = mapped_column(String(200), default="", server_default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class KitComponentEntity(Base):
    __tablename__ = "catalog_kit_components"

    kit_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("catalog_kits.id", ondelete="CASCADE"), primary_key=True
    )
    equipment_type_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("catalog_equipment_types.id"), primary_key=True, index=True
    )
    quantity: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)


# Read across requests from the web processes' cache: writes renew its token.
reference_tables(
    CategoryEntity, EquipmentTypeEntity, SpecValueEntity, KitEntity, KitComponentEntity
)
