"""SQLAlchemy mapping of CRM's projections (its own tables; never Booking's or Payments')."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from rental.shared.db import Base, UTCDateTime


class RentalHistoryEntity(Base):
    """One booking line of a customer, as Booking's events last described it."""

    __tablename__ = "crm_rental_history"

    line_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(36), index=True)
    order_id: Mapped[str] = mapped_column(String(36))
    order_reference: Mapped[str] = mapped_column(String(40), default="")
    reference: Mapped[str] = mapped_column(String(40), default="")
    equipment_type_id: Mapped[str] = mapped_column(String(36))
    equipment_name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(10))
    # The reservation's `sequence` of the last event applied: older ones are ignored.
    sequence: Mapped[int] = mapped_column(Integer)
    # Loyalty points the line earned when it completed (taken back if cancelled after).
    points: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoyaltyEntity(Base):
    __tablename__ = "crm_loyalty"

    customer_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    points: Mapped[int] = mapped_column(Integer, default=0)
    tier: Mapped[str] = mapped_column(String(10))
    last_qualifying_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tier_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CLVEntity(Base):
    """Lifetime value: payments received − refunds, in the ledgers' currency."""

    __tablename__ = "crm_clv"

    customer_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 4), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PreferencesEntity(Base):
    __tablename__ = "crm_preferences"

    customer_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    marketing_email: Mapped[bool] = mapped_column(Boolean, default=False)
    sms: Mapped[bool] = mapped_column(Boolean, default=False)
    newsletter: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ConsentLogEntity(Base):
    """Every change of a preference: who (the customer, or `staff:<email>`), what, when."""

    __tablename__ = "crm_consent_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(String(36), index=True)
    field: Mapped[str] = mapped_column(String(20))
    value: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(260))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
