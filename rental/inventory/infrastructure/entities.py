"""SQLAlchemy entities of inventory (tables prefixed `inventory_`)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from rental.shared.db import Base, UTCDateTime
from rental.shared.reference_cache import reference_tables

_ID = BigInteger().with_variant(Integer(), "sqlite")
# Items out with a customer: a handful of rows among every allocation ever made. Queries repeat
# it literally (SQLite uses a partial index only then; so does a prepared PostgreSQL statement).
OUT_PREDICATE = "status = 'PICKED_UP'"


class ItemEntity(Base):
    __tablename__ = "inventory_items"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    serial_number: Mapped[str] = mapped_column(String(64), unique=True)
    # The catalog's equipment type: an ID only, checked through CatalogFacade.
    equipment_type_id: Mapped[str] = mapped_column(String(36), index=True)
    status: Mapped[str] = mapped_column(String(20))
    acquired_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(120), default="")
    # In maintenance: when it is expected back (it counts again from then); None: unknown.
    expected_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StatusHistoryEntity(Base):
    __tablename__ = "inventory_status_history"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(String(36), ForeignKey("inventory_items.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(500), default="")
    actor: Mapped[str] = mapped_column(String(254), default="system")


class MaintenanceWindowEntity(Base):
    __tablename__ = "inventory_maintenance_windows"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(36), ForeignKey("inventory_items.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[str] = mapped_column(String(254), default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_inventory_maintenance_windows_item_period", "item_id", "starts_at", "ends_at"),
    )


class AllocationEntity(Base):
    """One item held for one reservation for a period. Overlaps are prevented by locking the
    item rows of the type (SELECT ... FOR UPDATE) and re-checking inside the lock; the unique
    (reservation_id, item_id) pair makes a redelivered allocation event harmless."""

    __tablename__ = "inventory_allocations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(36), ForeignKey("inventory_items.id"))
    reservation_id: Mapped[str] = mapped_column(String(36), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20))
    # Physical truth: when the item left with the customer and came back; when it was first
    # noticed overdue (so staff and the customer's booking are told once).
    picked_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_noticed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("reservation_id", "item_id"),
        Index("ix_inventory_allocations_item_period", "item_id", "starts_at", "ends_at"),
        # Whether an item is out (every availability check asks, per item): without it the
        # item's whole allocation history was read (migration 0033).
        Index(
            "ix_inventory_allocations_out",
            "item_id",
            postgresql_where=text(OUT_PREDICATE),
            sqlite_where=text(OUT_PREDICATE),
        ),
    )


class FollowedReservationEntity(Base):
    """What Inventory knows of a booking from Booking's events: the newest event applied (see
    FollowedReservation) and, for confirmed ones, what has to be served — so the fleet can be
    planned again without asking Booking."""

    __tablename__ = "inventory_followed_reservations"

    reservation_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str | None] = mapped_column(String(12))
    equipment_type_id: Mapped[str | None] = mapped_column(String(36))
    reference: Mapped[str | None] = mapped_column(String(16))
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    quantity: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Booking was told it is short of items (AllocationFailed) and not yet that it is served.
    shortage_reported: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_inventory_followed_reservations_type_status", "equipment_type_id", "status"),
    )


class TypeSettingsEntity(Base):
    """Per equipment type: the turnaround buffer (cleaning, checks) an item needs between two
    rentals. Owned here because it is about the physical items; Booking reads it to answer
    availability."""

    __tablename__ = "inventory_type_settings"

    equipment_type_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    turnaround_minutes: Mapped[int] = mapped_column(Integer, default=0)


# Read across requests from the web processes' cache: writes renew its token.
reference_tables(ItemEntity)
