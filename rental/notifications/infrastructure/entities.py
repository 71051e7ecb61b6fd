"""Notifications' tables: `notifications_messages` (every e-mail sent or tried, one row per
notification key) and `notifications_settings` (one row: the reminder settings)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rental.notifications.domain.settings import DEFAULT_REMINDER_HOURS
from rental.shared.db import Base, UTCDateTime


class MailMessageEntity(Base):
    __tablename__ = "notifications_messages"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    template: Mapped[str] = mapped_column(String(60))
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    order_id: Mapped[str | None] = mapped_column(String(36), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(36), index=True)
    order_reference: Mapped[str] = mapped_column(String(40), default="")
    message_id: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(10))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    html: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotificationSettingsEntity(Base):
    __tablename__ = "notifications_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reminders_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    reminder_hours: Mapped[int] = mapped_column(Integer, default=DEFAULT_REMINDER_HOURS)
    return_due_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
