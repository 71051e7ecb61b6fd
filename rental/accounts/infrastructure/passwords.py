"""Password hashing with Argon2id (argon2-cffi). Parameters default to argon2-cffi's
RFC 9106 low-memory profile; hashes made with older parameters are upgraded at login."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Passwords:
    def __init__(self, time_cost: int | None = None, memory_cost: int | None = None) -> None:
        kwargs = {}
        if time_cost:
            kwargs["time_cost"] = time_cost
        if memory_cost:
            kwargs["memory_cost"] = memory_cost
        self._hasher = PasswordHasher(**kwargs)
        self._dummy = self._hasher.hash("not a real password, used to even out timing")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """Constant work whether or not the account exists (no user enumeration by timing)."""
        try:
            return self._hasher.verify(password_hash or self._dummy, password) and bool(
                password_hash
            )
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)
