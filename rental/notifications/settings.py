"""The shop's notification settings (`notifications_settings`, one row): whether the pick-up
reminder goes out and how many hours before the pick-up, and whether the "return due today"
mail goes out. Staff read them at /admin/mail/settings; administrators change them there.
No row yet: the defaults (both on, 24 hours)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Boolean, Integer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from rental.shared.db import Base, UTCDateTime, db, unit_of_work
from rental.shared.errors import ValidationError

SETTINGS_ID = 1  # the one row
DEFAULT_REMINDER_HOURS = 24
MIN_REMINDER_HOURS = 1
MAX_REMINDER_HOURS = 168  # a week


class NotificationSettingsEntity(Base):
    __tablename__ = "notifications_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reminders_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    reminder_hours: Mapped[int] = mapped_column(Integer, default=DEFAULT_REMINDER_HOURS)
    return_due_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


@dataclass(frozen=True, slots=True)
class NotificationSettings:
    reminders_enabled: bool = True
    reminder_hours: int = DEFAULT_REMINDER_HOURS
    return_due_enabled: bool = True


def get_settings() -> NotificationSettings:
    row = db.session.get(NotificationSettingsEntity, SETTINGS_ID)
    if row is None:
        return NotificationSettings()
    return NotificationSettings(row.reminders_enabled, row.reminder_hours, row.return_due_enabled)


def parse_settings(form: dict[str, str]) -> NotificationSettings:
    """What the settings form sent: the hours a whole number from 1 to 168 (ValidationError
    naming the field otherwise); a checkbox is on when sent at all."""
    raw = (form.get("reminder_hours") or "").strip()
    message = (
        f"Enter a whole number of hours from {MIN_REMINDER_HOURS} to {MAX_REMINDER_HOURS} "
        "(168 hours is a week)."
    )
    if not raw:
        raise ValidationError("Enter how many hours before the pick-up.", field="reminder_hours")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 4:
        raise ValidationError(message, field="reminder_hours")
    hours = int(raw)
    if not MIN_REMINDER_HOURS <= hours <= MAX_REMINDER_HOURS:
        raise ValidationError(message, field="reminder_hours")
    return NotificationSettings(
        reminders_enabled=bool(form.get("reminders_enabled")),
        reminder_hours=hours,
        return_due_enabled=bool(form.get("return_due_enabled")),
    )


def save_settings(settings: NotificationSettings, now: datetime) -> None:
    for attempt in (1, 2):
        try:
            with unit_of_work() as session:
                row = session.get(NotificationSettingsEntity, SETTINGS_ID, with_for_update=True)
                if row is None:
                    row = NotificationSettingsEntity(id=SETTINGS_ID)
                    session.add(row)
                row.reminders_enabled = settings.reminders_enabled
                row.reminder_hours = settings.reminder_hours
                row.return_due_enabled = settings.return_due_enabled
                row.updated_at = now
            return
        except IntegrityError:
            # Two first saves at once: the other one inserted the row; update it.
            if attempt == 2:
                raise
