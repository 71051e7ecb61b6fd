"""SQLAlchemy entities of pricing (tables prefixed `pricing_`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from rental.shared.db import Base, UTCDateTime
from rental.shared.reference_cache import reference_tables

AMOUNT = Numeric(14, 4)


class RateCardEntity(Base):
    __tablename__ = "pricing_rate_cards"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # The catalog's equipment type (an ID only: no foreign key across modules).
    equipment_type_id: Mapped[str] = mapped_column(String(36), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    hourly: Mapped[Decimal] = mapped_column(AMOUNT)
    daily: Mapped[Decimal] = mapped_column(AMOUNT)
    weekly: Mapped[Decimal | None] = mapped_column(AMOUNT)
    deposit: Mapped[Decimal | None] = mapped_column(AMOUNT)
    minimum_minutes: Mapped[int] = mapped_column(Integer, default=60)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


# Read across requests from the web processes' cache: writes renew its token.
reference_tables(RateCardEntity)
