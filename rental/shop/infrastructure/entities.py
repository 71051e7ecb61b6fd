"""SQLAlchemy entities of the shop (tables prefixed `shop_`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rental.shared.db import Base, UTCDateTime
from rental.shared.reference_cache import reference_tables

# The shop has one row of settings: this is its primary key.
SETTINGS_ID = 1


class ShopSettingsEntity(Base):
    __tablename__ = "shop_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    # {"week": [["07:00", "18:00"] | null, ... 7], "closed": ["2026-12-25", ...]}
    opening_hours: Mapped[dict[str, Any]] = mapped_column(JSON)
    pickup_rules: Mapped[str] = mapped_column(Text, default="")
    terms: Mapped[str] = mapped_column(Text, default="")
    # Loyalty discounts in percent (NULL: the defaults, 5 and 10).
    loyalty_silver_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2), nullable=True)
    loyalty_gold_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


# Read across requests from the web processes' cache: writes renew its token.
reference_tables(ShopSettingsEntity)
