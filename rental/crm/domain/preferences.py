"""Communication preferences (pure): what the customer agreed to receive, all off by default,
and which fields a change touches (each change is written to the consent log)."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

FIELDS = ("marketing_email", "sms", "newsletter")
LABELS = {"marketing_email": "Marketing e-mail", "sms": "SMS", "newsletter": "Newsletter"}
_STAFF = re.compile(r"staff:[^\s@]{1,200}@[^\s@]{1,200}")


@dataclass(frozen=True)
class Preferences:
    marketing_email: bool = False
    sms: bool = False
    newsletter: bool = False


def changes(before: Preferences, after: Preferences) -> list[tuple[str, bool]]:
    """(field, new value) of every field that differs, in FIELDS order."""
    return [
        (f.name, getattr(after, f.name))
        for f in fields(Preferences)
        if getattr(before, f.name) != getattr(after, f.name)
    ]


def valid_source(source: str) -> bool:
    """'customer', or 'staff:<email>' of the staff member who changed it."""
    return source == "customer" or bool(_STAFF.fullmatch(source))
