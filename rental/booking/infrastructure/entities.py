"""SQLAlchemy entities of the Booking module (persistence only, no behaviour)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from rental.shared.db import Base, UTCDateTime


class OrderEntity(Base):
    """An order: one reference, one manage link, one customer; its lines are reservations
    (their status, period and price are the lines')."""

    __tablename__ = "booking_orders"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    customer_id: Mapped[str] = mapped_column(String(36), index=True)
    manage_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(10), default="ONLINE", server_default="ONLINE")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


# The statuses that may take capacity (ReservationStatus.may_hold_capacity: HOLDING and HOLD),
# as the literal SQL the partial indexes are built on. A query that wants those indexes states
# this same text among its conditions (SQLite uses a partial index only when the query repeats
# its WHERE; PostgreSQL cannot prove it from bound parameters in a generic plan).
LIVE_STATUSES = ("PENDING", "CONFIRMED", "ON_HIRE")
LIVE_PREDICATE = "status IN ('PENDING', 'CONFIRMED', 'ON_HIRE')"
# Flagged lines (the dashboard's "Needs attention"), as each dialect renders `IS true`.
ATTENTION_PREDICATE = {"postgresql": "needs_attention IS true", "sqlite": "needs_attention IS 1"}


class ReservationEntity(Base):
    __tablename__ = "booking_reservations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    customer_id: Mapped[str] = mapped_column(String(36))
    equipment_type_id: Mapped[str] = mapped_column(String(36))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    quantity: Mapped[int] = mapped_column(Integer)
    basis: Mapped[str] = mapped_column(String(10))
    currency: Mapped[str] = mapped_column(String(3))
    total_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    quote: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The order's (lines of one order share it; the order is found by its own copy).
    manage_token_hash: Mapped[str] = mapped_column(String(64), index=True)
    # The order this reservation is a line of, and its place there; a kit's components are
    # lines that name the kit and how many kits were booked.
    order_id: Mapped[str] = mapped_column(String(36), index=True)
    line_no: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    kit_id: Mapped[str | None] = mapped_column(String(36))
    kit_quantity: Mapped[int | None] = mapped_column(Integer)
    cancellation_reason: Mapped[str | None] = mapped_column(Text)
    needs_attention: Mapped[bool] = mapped_column(Boolean, default=False)
    attention_reason: Mapped[str | None] = mapped_column(Text)
    attention_code: Mapped[str | None] = mapped_column(String(20))
    # The domain model's version, checked on every UPDATE (`... WHERE version = <as loaded>`):
    # a stale copy can never overwrite a newer state.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    channel: Mapped[str] = mapped_column(String(10), default="ONLINE", server_default="ONLINE")
    origin_key: Mapped[str | None] = mapped_column(String(64))
    # Booked online with an e-mail already on file (the profile was used), and what was typed
    # there differently from it (TypedDetails.to_dict), for staff to review.
    customer_known: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    typed_details: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    __table_args__ = (
        # The availability query: one type's reservations overlapping a range.
        Index("ix_booking_reservations_type_period", "equipment_type_id", "start_at", "end_at"),
        # The same for live reservations only, by end: what availability, the timeline and
        # the heat-map read. History (completed, cancelled, expired, no-show) is not in it, and
        # a booking that ended before the window (confirmed or on hire) is left of the range,
        # so the scan is bounded by what is booked from the window on, not by history.
        Index(
            "ix_booking_reservations_live_type_end",
            "equipment_type_id",
            "end_at",
            "start_at",
            postgresql_where=text(LIVE_PREDICATE),
            sqlite_where=text(LIVE_PREDICATE),
        ),
        # Live reservations of every type by end: the dashboard's today, pick-ups and returns.
        Index(
            "ix_booking_reservations_live_end",
            "end_at",
            "start_at",
            postgresql_where=text(LIVE_PREDICATE),
            sqlite_where=text(LIVE_PREDICATE),
        ),
        # The dashboard's "Needs attention" (flagged lines, newest start first).
        Index(
            "ix_booking_reservations_attention",
            "start_at",
            postgresql_where=text(ATTENTION_PREDICATE["postgresql"]),
            sqlite_where=text(ATTENTION_PREDICATE["sqlite"]),
        ),
        Index("ix_booking_reservations_status_hold", "status", "hold_expires_at"),
        # Open bookings per customer and per origin (the caps against hold flooding).
        Index("ix_booking_reservations_customer_status", "customer_id", "status"),
        Index("ix_booking_reservations_origin_status", "origin_key", "status"),
    )
