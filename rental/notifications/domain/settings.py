"""The shop's notification settings: whether the pick-up reminder goes out and how many hours
before the pick-up, and whether the "return due today" mail goes out. Staff read them at
/admin/mail/settings; administrators change them there. No row yet: the defaults (both on,
24 hours)."""

from __future__ import annotations

from dataclasses import dataclass

from rental.shared.errors import ValidationError

DEFAULT_REMINDER_HOURS = 24
MIN_REMINDER_HOURS = 1
MAX_REMINDER_HOURS = 168  # a week


@dataclass(frozen=True, slots=True)
class NotificationSettings:
    reminders_enabled: bool = True
    reminder_hours: int = DEFAULT_REMINDER_HOURS
    return_due_enabled: bool = True


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
