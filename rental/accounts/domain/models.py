"""Staff users (email, role, active flag, password policy) and their sign-in sessions. Pure
Python — hashing is an infrastructure concern, the domain only sees the hash as an opaque
string."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from rental.shared.email import validate_email
from rental.shared.errors import ConflictError, DomainError, ValidationError

PASSWORD_MIN = 12
PASSWORD_MAX = 256


class Role(StrEnum):
    ADMIN = "ADMIN"
    STAFF = "STAFF"


class StaffUserAction(StrEnum):
    """What an admin may do with a staff user (the staff users page offers exactly these)."""

    DEACTIVATE = "deactivate"
    REACTIVATE = "reactivate"


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


def is_uuid(value: str) -> bool:
    """Staff user and session IDs are UUIDs in their canonical (lower-case) form."""
    try:
        return str(uuid.UUID(str(value))) == str(value)
    except ValueError:
        return False


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

    def allowed_actions(self, actor_id: str | None) -> frozenset[StaffUserAction]:
        """Besides changing roles (always offered; the last active admin is kept by the
        command): nobody deactivates (or, being signed in, reactivates) their own account."""
        if self.id == actor_id:
            return frozenset()
        return frozenset(
            {StaffUserAction.DEACTIVATE if self.active else StaffUserAction.REACTIVATE}
        )

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


# Ended sessions stay listed in the table this long (for support questions), then are purged.
SESSION_RECORDS_KEPT = timedelta(days=30)

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


def login_id(user: StaffUser, session_id: str) -> str:
    """What the login cookie stores: "<user id>:<session token>:<session id>". A new token
    (password change, deactivation) or an ended session makes every copy of it useless."""
    return f"{user.id}:{user.session_token}:{session_id}"


def split_login_id(value: str) -> tuple[str, str, str]:
    """(user id, session token, session id), or three empty strings for anything malformed."""
    parts = (value or "").split(":")
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 else ("", "", "")


# --- signing in -------------------------------------------------------------------------------

WRONG_CREDENTIALS = "That email and password do not match an active staff account."


class SignInRejected(DomainError):
    """Unknown email, wrong password or a deactivated account: one answer for all three, so
    the answer does not tell which accounts exist."""

    status_code = 422

    def __init__(self) -> None:
        super().__init__(WRONG_CREDENTIALS)


class SignInPaused(DomainError):
    """Too many failed sign-ins: this attempt is refused before the password is checked."""

    status_code = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds
