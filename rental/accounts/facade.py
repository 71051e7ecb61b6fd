"""AccountsFacade: staff users, sign-in and sessions, for the web layer and the CLI.

Wiring and transactions only: the password hasher (Argon2 parameters from config), the session
lifetime (STAFF_SESSION_HOURS), the app's login throttle, the repositories and the clock go
into the handlers of `application/`, and each command runs in one `unit_of_work`."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy.orm import Session

from rental.accounts.application.commands import (
    ChangeOwnPassword,
    ChangeRole,
    CreateStaffUser,
    DeactivateUser,
    EndOtherSession,
    EndOtherSessions,
    EndSession,
    LoginThrottle,
    ReactivateUser,
    ResetPassword,
    SessionCommands,
    SignIn,
    SignInCommands,
    StaffUserCommands,
    StartSession,
)
from rental.accounts.application.queries import (
    AccountQueries,
    SignInStatus,
    StaffSessionDetails,
    StaffUserDetails,
    StaffUserEntry,
)
from rental.accounts.infrastructure.passwords import Passwords
from rental.accounts.infrastructure.repositories import SessionRepository, UserRepository
from rental.shared.db import db, unit_of_work
from rental.shared.time_range import utcnow

PASSWORDS_KEY = "accounts.passwords"
LOGIN_THROTTLE_KEY = "accounts.login_throttle"  # set by module.init_app


def _passwords() -> Passwords:
    passwords = current_app.extensions.get(PASSWORDS_KEY)
    if passwords is None:
        passwords = current_app.extensions[PASSWORDS_KEY] = Passwords(
            current_app.config.get("ARGON2_TIME_COST"),
            current_app.config.get("ARGON2_MEMORY_COST"),
        )
    return passwords


def _max_session_age() -> timedelta:
    return timedelta(hours=float(current_app.config.get("STAFF_SESSION_HOURS", 12)))


def _throttle() -> LoginThrottle:
    return current_app.extensions[LOGIN_THROTTLE_KEY]


def _users(session: Session) -> StaffUserCommands:
    return StaffUserCommands(
        UserRepository(session), SessionRepository(session), _passwords(), clock=utcnow
    )


def _sessions(session: Session) -> SessionCommands:
    return SessionCommands(
        UserRepository(session),
        SessionRepository(session),
        max_age=_max_session_age(),
        clock=utcnow,
    )


def _queries() -> AccountQueries:
    session = db.session()
    return AccountQueries(
        UserRepository(session),
        SessionRepository(session),
        max_session_age=_max_session_age(),
        clock=utcnow,
    )


def _sign_ins() -> SignInCommands:
    return SignInCommands(_throttle(), unit_of_work, _users, _sessions, _queries)


class AccountsFacade:
    """Commands run in one transaction each and return an ID, a count or None; queries return
    frozen dataclasses. Errors: ValidationError, NotFoundError, ConflictError, and for signing
    in SignInRejected (422) and SignInPaused (429, with `retry_after`)."""

    # --- queries ---------------------------------------------------------------------------

    def get_user(self, user_id: str) -> StaffUserDetails:
        return _queries().get_user(user_id)

    def find_user_by_email(self, email: str) -> StaffUserDetails | None:
        return _queries().find_user_by_email(email)

    def list_users(self, actor_id: str | None = None) -> list[StaffUserEntry]:
        """Every staff user, with what `actor_id` (the signed-in admin) may do with each."""
        return _queries().list_users(actor_id)

    def has_users(self) -> bool:
        return _queries().has_users()

    def list_sessions(self, user_id: str) -> list[StaffSessionDetails]:
        """The user's live sign-ins, most recently seen first."""
        return _queries().live_sessions(user_id)

    def sign_in_status(self, email: str) -> SignInStatus:
        """The account's recent failed sign-ins, and until when signing in to it is paused."""
        return _throttle().status(email)

    # --- staff users -----------------------------------------------------------------------

    def create_user(self, command: CreateStaffUser) -> str:
        with unit_of_work() as session:
            return _users(session).create(command)

    def change_role(self, command: ChangeRole) -> None:
        with unit_of_work() as session:
            _users(session).change_role(command)

    def deactivate_user(self, command: DeactivateUser) -> None:
        with unit_of_work() as session:
            _users(session).deactivate(command)

    def reactivate_user(self, command: ReactivateUser) -> None:
        with unit_of_work() as session:
            _users(session).reactivate(command)

    def change_own_password(self, command: ChangeOwnPassword) -> None:
        with unit_of_work() as session:
            _users(session).change_own_password(command)

    def reset_password(self, email: str, new_password: str) -> None:
        with unit_of_work() as session:
            _users(session).reset_password(ResetPassword(email, new_password))

    def unlock_sign_in(self, email: str) -> None:
        """Forget the account's failed sign-ins, from every network."""
        _throttle().unlock(email)

    # --- signing in and sessions -----------------------------------------------------------

    def sign_in(self, command: SignIn) -> str:
        """The new session's login ID (what the login cookie keeps)."""
        return _sign_ins().sign_in(command)

    def user_for_session(self, login_id: str) -> StaffUserDetails | None:
        """The active user of the live server-side session named by this login ID; None once
        that session was signed out or expired, the password changed or the account was
        deactivated (the last two end every session of that user)."""
        return _sign_ins().resume(login_id)

    def start_session(self, user_id: str, ip: str, user_agent: str) -> str:
        """A new session for a signed-in user (after their password change); its login ID."""
        with unit_of_work() as session:
            return _sessions(session).start(StartSession(user_id, ip, user_agent))

    def end_session(self, login_id: str) -> bool:
        with unit_of_work() as session:
            return _sessions(session).end(EndSession(login_id))

    def end_other_session(self, user_id: str, session_id: str) -> bool:
        with unit_of_work() as session:
            return _sessions(session).end_other(EndOtherSession(user_id, session_id))

    def end_all_other_sessions(self, user_id: str, keep_session_id: str) -> int:
        with unit_of_work() as session:
            return _sessions(session).end_others(EndOtherSessions(user_id, keep_session_id))

    def purge_sessions(self) -> int:
        with unit_of_work() as session:
            return _sessions(session).purge()
