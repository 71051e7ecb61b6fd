"""AccountsFacade: staff users and authentication, for the web layer and the CLI."""

from __future__ import annotations

from typing import Any

from flask import current_app

from rental.accounts.application.commands import (
    ChangeOwnPassword,
    ChangeRole,
    CreateStaffUser,
    DeactivateUser,
    ReactivateUser,
    StaffUserDetails,
)
from rental.accounts.application.handlers import AccountCommands, details, is_user_id
from rental.accounts.infrastructure.passwords import Passwords
from rental.accounts.infrastructure.repositories import UserRepository
from rental.shared.db import db, unit_of_work
from rental.shared.errors import NotFoundError
from rental.shared.time_range import utcnow

PASSWORDS_KEY = "accounts.passwords"


def _passwords() -> Passwords:
    passwords = current_app.extensions.get(PASSWORDS_KEY)
    if passwords is None:
        passwords = current_app.extensions[PASSWORDS_KEY] = Passwords(
            current_app.config.get("ARGON2_TIME_COST"),
            current_app.config.get("ARGON2_MEMORY_COST"),
        )
    return passwords


def _commands(session: Any) -> AccountCommands:
    return AccountCommands(UserRepository(session), _passwords(), utcnow)


class AccountsFacade:
    # --- queries ---------------------------------------------------------------------------

    def get_user(self, user_id: str) -> StaffUserDetails:
        user = UserRepository(db.session()).get(user_id) if is_user_id(user_id) else None
        if user is None:
            raise NotFoundError("No staff user with that ID.")
        return details(user)

    def find_user_by_email(self, email: str) -> StaffUserDetails | None:
        user = UserRepository(db.session()).find_by_email((email or "").strip().lower())
        return details(user) if user else None

    def user_for_session(self, login_id: str) -> StaffUserDetails | None:
        """The active user whose current login ID this is; None once the password changed or
        the account was deactivated (which ends every session of that user)."""
        user_id, _, token = (login_id or "").partition(":")
        user = UserRepository(db.session()).get(user_id) if is_user_id(user_id) and token else None
        if user is None or not user.active or user.session_token != token:
            return None
        return details(user)

    def list_users(self) -> list[StaffUserDetails]:
        return [details(u) for u in UserRepository(db.session()).list()]

    def has_users(self) -> bool:
        return UserRepository(db.session()).count() > 0

    # --- commands --------------------------------------------------------------------------

    def authenticate(self, email: str, password: str) -> StaffUserDetails | None:
        with unit_of_work() as session:
            return _commands(session).authenticate(email, password)

    def create_user(self, command: CreateStaffUser) -> str:
        with unit_of_work() as session:
            return _commands(session).create(command)

    def change_role(self, command: ChangeRole) -> None:
        with unit_of_work() as session:
            _commands(session).change_role(command)

    def deactivate_user(self, command: DeactivateUser) -> None:
        with unit_of_work() as session:
            _commands(session).deactivate(command)

    def reactivate_user(self, command: ReactivateUser) -> None:
        with unit_of_work() as session:
            _commands(session).reactivate(command)

    def change_own_password(self, command: ChangeOwnPassword) -> None:
        with unit_of_work() as session:
            _commands(session).change_own_password(command)

    def reset_password(self, email: str, new_password: str) -> None:
        with unit_of_work() as session:
            _commands(session).reset_password(email, new_password)
