"""Commands and the read models of staff accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class CreateStaffUser:
    email: str
    password: str
    role: str = "STAFF"


@dataclass(frozen=True, slots=True)
class ChangeRole:
    actor_id: str
    user_id: str
    role: str


@dataclass(frozen=True, slots=True)
class DeactivateUser:
    actor_id: str
    user_id: str


@dataclass(frozen=True, slots=True)
class ReactivateUser:
    user_id: str


@dataclass(frozen=True, slots=True)
class ChangeOwnPassword:
    user_id: str
    current_password: str
    new_password: str


@dataclass(frozen=True, slots=True)
class StaffUserDetails:
    id: str
    email: str
    role: str  # "ADMIN" | "STAFF"
    active: bool
    created_at: datetime
    last_login_at: datetime | None
    # What the login session stores: ID plus a token that changes with the password.
    login_id: str

    @property
    def is_admin(self) -> bool:
        return self.role == "ADMIN"
