"""Handlers for staff accounts: creation, authentication, roles, activation, passwords."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from rental.accounts.application.commands import (
    ChangeOwnPassword,
    ChangeRole,
    CreateStaffUser,
    DeactivateUser,
    ReactivateUser,
    StaffUserDetails,
)
from rental.accounts.domain.models import (
    Role,
    StaffUser,
    check_password_policy,
    ensure_an_admin_remains,
    parse_role,
    validate_staff_email,
)
from rental.accounts.infrastructure.passwords import Passwords
from rental.accounts.infrastructure.repositories import UserRepository
from rental.shared.email import normalise_email
from rental.shared.errors import ConflictError, NotFoundError, ValidationError

Clock = Callable[[], datetime]


def is_user_id(value: str) -> bool:
    try:
        return str(uuid.UUID(str(value))) == str(value)
    except ValueError:
        return False


def new_session_token() -> str:
    return secrets.token_hex(16)


def details(user: StaffUser) -> StaffUserDetails:
    return StaffUserDetails(
        id=user.id,
        email=user.email,
        role=user.role.value,
        active=user.active,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
        login_id=f"{user.id}:{user.session_token}",
    )


@dataclass
class AccountCommands:
    users: UserRepository
    passwords: Passwords
    now: Clock

    def _load(self, user_id: str, *, for_update: bool = True) -> StaffUser:
        user = self.users.get(user_id, for_update=for_update) if is_user_id(user_id) else None
        if user is None:
            raise NotFoundError("No staff user with that ID.")
        return user

    def create(self, command: CreateStaffUser) -> str:
        email = validate_staff_email(command.email)
        role = parse_role(command.role)
        check_password_policy(command.password, email)
        if self.users.find_by_email(email) is not None:
            raise ConflictError(
                f"A staff user with the email {email} already exists.", field="email"
            )
        user = StaffUser(
            id=str(uuid.uuid4()),
            email=email,
            password_hash=self.passwords.hash(command.password),
            role=role,
            active=True,
            created_at=self.now(),
            session_token=new_session_token(),
        )
        self.users.add(user)
        return user.id

    def authenticate(self, email: str, password: str) -> StaffUserDetails | None:
        """The active user with these credentials, or None — the same answer, after the same
        work, for an unknown email, a wrong password and a deactivated account."""
        user = self.users.find_by_email(normalise_email(email)) if email else None
        ok = self.passwords.verify(user.password_hash if user else None, password or "")
        if user is None or not ok or not user.active:
            return None
        password_hash = user.password_hash
        if self.passwords.needs_rehash(password_hash):
            password_hash = self.passwords.hash(password)
        updated = replace(user, password_hash=password_hash, last_login_at=self.now())
        self.users.save(updated)
        return details(updated)

    def change_role(self, command: ChangeRole) -> None:
        role = parse_role(command.role)
        user = self._load(command.user_id)
        if user.role is role:
            return
        if user.role is Role.ADMIN and user.active:
            ensure_an_admin_remains(self.users.count_active_admins(lock=True) - 1)
        self.users.save(user.with_role(role))

    def deactivate(self, command: DeactivateUser) -> None:
        user = self._load(command.user_id)
        if user.id == command.actor_id:
            raise ConflictError("You cannot deactivate your own account.")
        if not user.active:
            return
        if user.is_admin:
            ensure_an_admin_remains(self.users.count_active_admins(lock=True) - 1)
        self.users.save(user.deactivated(new_session_token()))

    def reactivate(self, command: ReactivateUser) -> None:
        user = self._load(command.user_id)
        if not user.active:
            self.users.save(user.reactivated())

    def change_own_password(self, command: ChangeOwnPassword) -> None:
        user = self._load(command.user_id)
        if not self.passwords.verify(user.password_hash, command.current_password or ""):
            raise ValidationError("That is not your current password.", field="current_password")
        check_password_policy(command.new_password, user.email, field="new_password")
        if command.new_password == command.current_password:
            raise ValidationError(
                "Choose a password different from the current one.", field="new_password"
            )
        self.users.save(
            user.with_password(self.passwords.hash(command.new_password), new_session_token())
        )

    def reset_password(self, email: str, new_password: str) -> None:
        """Operator recovery (CLI): set a new password and end every session of the user."""
        user = self.users.find_by_email(normalise_email(email))
        if user is None:
            raise NotFoundError(f"No staff user with the email {normalise_email(email)}.")
        check_password_policy(new_password, user.email)
        user = self._load(user.id)
        self.users.save(user.with_password(self.passwords.hash(new_password), new_session_token()))
