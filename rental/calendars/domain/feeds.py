"""Staff calendar feeds: a secret URL a calendar app subscribes to, showing the pick-ups and
returns of confirmed and on-hire bookings — all of them, or one equipment type's.

The token in the URL is the only key (no login: calendar apps cannot sign in), so only its
SHA-256 is stored, as with a password: the URL is shown once, at creation, and a feed that
leaked is revoked (its URL then answers 404). Because such a URL may leak, a feed carries
the customer's name only — never an e-mail address or a phone number."""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from rental.shared.errors import ValidationError

NAME_MAX = 80
# What a feed shows: from a week ago (what just happened) to three months ahead.
WINDOW_BEFORE = timedelta(days=7)
WINDOW_AFTER = timedelta(days=90)
# A feed is read often by calendar apps: bound what one request composes.
MAX_LINES = 2000
TOKEN_BYTES = 32
# IDs are UUIDs: anything else is no feed and no equipment type, and is not sent to the
# database (PostgreSQL refuses a NUL byte in a string with an error, not "not found").
_ID = re.compile(r"[0-9a-fA-F-]{1,36}")


def looks_like_id(value: str) -> bool:
    return bool(_ID.fullmatch(value))


@dataclass(frozen=True, slots=True)
class CalendarFeed:
    id: str
    name: str
    equipment_type_id: str | None  # None: every type
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class NewFeed:
    """What an administrator asks for: a name and a scope (an equipment type, or all)."""

    name: str
    equipment_type_id: str | None


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What is stored and looked up: the token itself is never kept."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def parse_new_feed(name: str, scope: str, known_type: bool) -> NewFeed:
    """The form's fields checked; ValidationError with a message per field. `scope` is "all"
    or an equipment type's ID (`known_type`: Catalog knows it)."""
    errors: dict[str, str] = {}
    clean = " ".join(name.split())
    if not clean:
        errors["name"] = "Give the feed a name (for example “Front desk”)."
    elif len(clean) > NAME_MAX:
        errors["name"] = f"At most {NAME_MAX} characters."
    elif any(unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in clean):
        # Control and format characters (bidi overrides…) would mislead in a calendar app.
        errors["name"] = "The name has characters that cannot be shown."
    type_id = None if scope in ("", "all") else scope
    if type_id is not None and not known_type:
        errors["scope"] = "Choose all bookings or one of the equipment types listed."
    if errors:
        raise ValidationError(next(iter(errors.values())), errors=errors)
    return NewFeed(clean, type_id)


def window(now: datetime) -> tuple[datetime, datetime]:
    return now - WINDOW_BEFORE, now + WINDOW_AFTER
