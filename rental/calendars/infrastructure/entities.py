"""`calendar_feeds`: one row per staff feed. The token is kept only as its SHA-256."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from rental.shared.db import Base, UTCDateTime


class CalendarFeedEntity(Base):
    __tablename__ = "calendar_feeds"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    equipment_type_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(320))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
