"""Staff users: email, role, active flag, and the password policy. Pure Python — hashing is
an infrastructure concern, the domain only sees the hash as an opaque string."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from rental.shared.email import validate_email
from rental.shared.errors import ConflictError, ValidationError

PASSWORD_MIN = 12
PASSWORD_MAX = 256


class Role(StrEnum):
    ADMIN = "ADMIN"
    STAFF = "STAFF"


def parse_role(raw: str) -> Role:
    try:
        return Role((raw or "").strip().upper())
    except ValueError:
        raise ValidationError("Choose a role: Admin or Staff.", field="role") from None


def check_password_policy(password: str, email: str = "", field: str = "password") -> None:
    """Long enough to resist guessing, short enough not to be a hashing DoS."""
    if len(password) < PASSWORD_MIN:
        raise ValidationError(
            f"Use at least {PASSWORD_MIN} characters for the password.", field=field
        )
    if len(password) > PASSWORD_MAX:
        raise ValidationError(
            f"The password is too long (at most {PASSWORD_MAX} characters).", field=field
        )
    if not password.strip():
        raise ValidationError("The password cannot be only spaces.", field=field)
    if email and password.strip().lower() == email.lower():
        raise ValidationError("The password must not be your email address.", field=field)


def validate_staff_email(raw: str) -> str:
    return validate_email(raw)


@dataclass(frozen=True, slots=True)
class StaffUser:
    id: str
    email: str
    password_hash: str
    role: Role
    active: bool
    created_at: datetime
    # Part of the login session's identity: a new token ends every existing session.
    session_token: str
    last_login_at: datetime | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def with_role(self, role: Role) -> StaffUser:
        return replace(self, role=role)

    def deactivated(self, new_session_token: str) -> StaffUser:
        return replace(self, active=False, session_token=new_session_token)

    def reactivated(self) -> StaffUser:
        return replace(self, active=True)

    def with_password(self, password_hash: str, new_session_token: str) -> StaffUser:
        return replace(self, password_hash=password_hash, session_token=new_session_token)


def ensure_an_admin_remains(active_admins_after: int) -> None:
    if active_admins_after < 1:
        raise ConflictError(
            "At least one active admin must remain; make someone else an admin first."
        )


# Seeing a session again within this long does not rewrite its "last seen" (one write per
# few minutes per session, not one per request).
LAST_SEEN_RESOLUTION = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class StaffSession:
    """One sign-in: its ID travels in the signed session cookie; signing out, a password change
    or deactivation ends it here, so a copied cookie stops working at once."""

    id: str
    user_id: str
    created_at: datetime
    last_seen_at: datetime
    revoked_at: datetime | None = None
    user_agent: str = ""
    ip: str = ""

    def is_live(self, now: datetime, max_age: timedelta) -> bool:
        return self.revoked_at is None and now < self.created_at + max_age

    def seen_long_ago(self, now: datetime) -> bool:
        return now - self.last_seen_at >= LAST_SEEN_RESOLUTION
