"""The one row of `notifications_settings`: read (the defaults when there is none yet) and
written in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from rental.notifications.domain.settings import NotificationSettings
from rental.notifications.infrastructure.entities import NotificationSettingsEntity
from rental.shared.db import db

SETTINGS_ID = 1  # the one row


def get_settings() -> NotificationSettings:
    row = db.session.get(NotificationSettingsEntity, SETTINGS_ID)
    if row is None:
        return NotificationSettings()
    return NotificationSettings(row.reminders_enabled, row.reminder_hours, row.return_due_enabled)


def write_settings(session: Session, settings: NotificationSettings, now: datetime) -> None:
    """The row locked, created when missing (a first save racing another raises
    IntegrityError at commit: the caller tries once more), and updated."""
    row = session.get(NotificationSettingsEntity, SETTINGS_ID, with_for_update=True)
    if row is None:
        row = NotificationSettingsEntity(id=SETTINGS_ID)
        session.add(row)
    row.reminders_enabled = settings.reminders_enabled
    row.reminder_hours = settings.reminder_hours
    row.return_due_enabled = settings.return_due_enabled
    row.updated_at = now
