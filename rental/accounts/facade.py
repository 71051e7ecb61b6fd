"""AccountsFacade: staff users and authentication, for the web layer and the CLI."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app

from rental.accounts.application.commands import (
    ChangeOwnPassword,
    ChangeRole,
    CreateStaffUser,
    DeactivateUser,
    ReactivateUser,
    StaffSessionDetails,
    StaffUserDetails,
)
from rental.accounts.application.handlers import (
    AccountCommands,
    SessionCommands,
    details,
    is_user_id,
)
from rental.accounts.infrastructure.passwords import Passwords
from rental.accounts.infrastructure.repositories import SessionRepository, UserRepository
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
    return AccountCommands(
        UserRepository(session), _passwords(), utcnow, SessionRepository(session)
    )


def _sessions(session: Any) -> SessionCommands:
    max_age = timedelta(hours=float(current_app.config.get("STAFF_SESSION_HOURS", 12)))
    return SessionCommands(UserRepository(session), SessionRepository(session), utcnow, max_age)


# Ended sessions stay listed in the table this long (for support questions), then are purged.
SESSION_RECORDS_KEPT = timedelta(days=30)


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
        """The active user of the live server-side session named by this login ID; None once
        that session was signed out or expired, the password changed or the account was
        deactivated (the last two end every session of that user)."""
        found = _sessions(db.session()).resolve(login_id)
        if found is None:
            return None
        user, stale = found
        if stale:
            with unit_of_work() as session:
                _sessions(session).touch(user.session_id)
        return user

    def list_sessions(self, user_id: str) -> list[StaffSessionDetails]:
        """The user's live sign-ins, most recently seen first."""
        return _sessions(db.session()).live(user_id)

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

    # --- sign-in sessions ------------------------------------------------------------------

    def start_session(self, user_id: str, ip: str, user_agent: str) -> StaffUserDetails:
        with unit_of_work() as session:
            return _sessions(session).start(user_id, ip, user_agent)

    def end_session(self, login_id: str) -> bool:
        with unit_of_work() as session:
            return _sessions(session).end(login_id)

    def end_other_session(self, user_id: str, session_id: str) -> bool:
        with unit_of_work() as session:
            return _sessions(session).end_other(user_id, session_id)

    def end_all_other_sessions(self, user_id: str, keep_session_id: str) -> int:
        with unit_of_work() as session:
            return _sessions(session).end_all_others(user_id, keep_session_id)

    def purge_sessions(self) -> int:
        with unit_of_work() as session:
            return _sessions(session).purge(SESSION_RECORDS_KEPT)
