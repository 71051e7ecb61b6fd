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
    # What the login cookie stores: user ID, a token that changes with the password, and the ID
    # of this sign-in's server-side session (empty until a session is started).
    login_id: str
    session_id: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role == "ADMIN"


@dataclass(frozen=True, slots=True)
class StaffSessionDetails:
    id: str
    created_at: datetime
    last_seen_at: datetime
    user_agent: str
    ip: str
