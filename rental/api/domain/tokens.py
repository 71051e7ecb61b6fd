"""API tokens: what a token may do (its scopes), how its secret looks and is kept.

A token is `rk_live_` + 43 URL-safe characters (32 random bytes). Only its SHA-256 is stored,
with a short prefix for display (`rk_live_ab12…`), so the secret is shown once, at creation,
and a leaked token is revoked, never read back. Scopes: `read`, `orders:write`, `admin`;
`admin` implies the other two."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from rental.shared.errors import ValidationError

TOKEN_PREFIX = "rk_live_"
TOKEN_BYTES = 32
DISPLAY_CHARS = 4  # of the secret part, after the prefix
NAME_MAX = 80
TOKEN_MAX = 200  # longer Authorization values are no token of ours (not even hashed)

READ = "read"
ORDERS_WRITE = "orders:write"
ADMIN = "admin"
SCOPES: tuple[str, ...] = (READ, ORDERS_WRITE, ADMIN)
SCOPE_LABELS = {
    READ: "Read: catalog, orders, customers, items, payments",
    ORDERS_WRITE: "Orders: create, change, confirm and cancel orders; record payments",
    ADMIN: "Admin: everything (includes read and orders)",
}
IMPLIED: dict[str, frozenset[str]] = {ADMIN: frozenset({READ, ORDERS_WRITE})}

# last_used_at is written at most this often per token (reads stay cheap).
LAST_USED_EVERY = timedelta(minutes=1)


def effective_scopes(scopes: Iterable[str]) -> frozenset[str]:
    granted = set(scopes)
    for scope in list(granted):
        granted |= IMPLIED.get(scope, frozenset())
    return frozenset(granted)


@dataclass(frozen=True, slots=True)
class ApiToken:
    id: str
    name: str
    prefix: str  # for display: "rk_live_ab12"
    scopes: tuple[str, ...]
    created_at: datetime
    created_by: str
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def display(self) -> str:
        return f"{self.prefix}…"

    def allows(self, scope: str) -> bool:
        return scope in effective_scopes(self.scopes)

    def needs_touch(self, now: datetime) -> bool:
        return self.last_used_at is None or now - self.last_used_at >= LAST_USED_EVERY


@dataclass(frozen=True, slots=True)
class NewToken:
    name: str
    scopes: tuple[str, ...]


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def display_prefix(secret: str) -> str:
    return secret[: len(TOKEN_PREFIX) + DISPLAY_CHARS]


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def looks_like_token(value: str) -> bool:
    return value.startswith(TOKEN_PREFIX) and len(value) <= TOKEN_MAX


def parse_new_token(name: str, scopes: Iterable[str]) -> NewToken:
    """The admin form's rules: a name (1–80 characters) and at least one known scope."""
    errors: dict[str, str] = {}
    name = " ".join(name.split())
    if not name:
        errors["name"] = "Enter a name, for example “Website” or “Accounting export”."
    elif len(name) > NAME_MAX:
        errors["name"] = f"The name can be at most {NAME_MAX} characters."
    chosen = [s for s in SCOPES if s in set(scopes)]
    if not chosen:
        errors["scopes"] = "Choose at least one scope."
    elif len(chosen) != len(set(scopes)):
        errors["scopes"] = "Choose among the scopes listed."
    if errors:
        raise ValidationError(next(iter(errors.values())), errors=errors)
    return NewToken(name, tuple(chosen))
