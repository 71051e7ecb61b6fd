"""Endpoints (where events go) and deliveries (one event for one endpoint, with its attempts)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from rental.shared.errors import ValidationError
from rental.webhooks.domain.events import PUBLIC_NAMES

DESCRIPTION_MAX = 120
# IDs are UUIDs: anything else is no endpoint and is not sent to the database.
_ID = re.compile(r"[0-9a-fA-F-]{1,36}")

PENDING = "PENDING"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
# How the reason of an endpoint the worker switched off begins (the banners look for it).
AUTO_DISABLED = "Disabled automatically"


def looks_like_id(value: str) -> bool:
    return bool(_ID.fullmatch(value))


@dataclass(frozen=True, slots=True)
class Endpoint:
    id: str
    url: str
    description: str
    event_types: tuple[str, ...]
    customers_scope: bool
    active: bool
    created_at: datetime
    created_by: str
    disabled_at: datetime | None = None
    disabled_reason: str | None = None
    failing_since: datetime | None = None

    def wants(self, public_type: str) -> bool:
        return public_type in self.event_types


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    message_id: str  # webhook-id: the same for every attempt
    endpoint_id: str
    event_type: str
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    first_attempt_at: datetime | None
    last_attempt_at: datetime | None
    response_code: int | None
    duration_ms: int | None
    error: str | None


@dataclass(frozen=True, slots=True)
class EndpointForm:
    """What an administrator asked for (the URL checked against the SSRF guard separately)."""

    url: str
    description: str
    event_types: tuple[str, ...]
    customers_scope: bool
    active: bool


def parse_form(
    url: str, description: str, event_types: list[str], customers: bool, active: bool
) -> EndpointForm:
    """ValidationError with a message per field (the URL's own check is the SSRF guard's)."""
    errors: dict[str, str] = {}
    clean = " ".join(description.split())
    if len(clean) > DESCRIPTION_MAX:
        errors["description"] = f"At most {DESCRIPTION_MAX} characters."
    elif any(unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in clean):
        errors["description"] = "The description has characters that cannot be shown."
    chosen = tuple(t for t in dict.fromkeys(event_types) if t in PUBLIC_NAMES)
    if not chosen or len(chosen) != len(set(event_types)):
        errors["event_types"] = "Tick at least one of the event types listed."
    if errors:
        raise ValidationError(next(iter(errors.values())), errors=errors)
    return EndpointForm(url.strip(), clean, chosen, customers, active)
