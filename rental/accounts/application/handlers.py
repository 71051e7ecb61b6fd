"""Handlers for staff accounts: creation, authentication, roles, activation, passwords."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from rental.accounts.application.commands import (
    ChangeOwnPassword,
    ChangeRole,
    CreateStaffUser,
    DeactivateUser,
    ReactivateUser,
    StaffSessionDetails,
    StaffUserDetails,
)
from rental.accounts.domain.models import (
    Role,
    StaffSession,
    StaffUser,
    check_password_policy,
    ensure_an_admin_remains,
    parse_role,
    validate_staff_email,
)
from rental.accounts.infrastructure.passwords import Passwords
from rental.accounts.infrastructure.repositories import SessionRepository, UserRepository
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


def details(user: StaffUser, session_id: str = "") -> StaffUserDetails:
    return StaffUserDetails(
        id=user.id,
        email=user.email,
        role=user.role.value,
        active=user.active,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
        login_id=f"{user.id}:{user.session_token}:{session_id}",
        session_id=session_id,
    )


@dataclass
class AccountCommands:
    users: UserRepository
    passwords: Passwords
    now: Clock
    sessions: SessionRepository

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
        self.sessions.revoke_all(user.id, self.now())

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
        self.sessions.revoke_all(user.id, self.now())

    def reset_password(self, email: str, new_password: str) -> None:
        """Operator recovery (CLI): set a new password and end every session of the user."""
        user = self.users.find_by_email(normalise_email(email))
        if user is None:
            raise NotFoundError(f"No staff user with the email {normalise_email(email)}.")
        check_password_policy(new_password, user.email)
        user = self._load(user.id)
        self.users.save(user.with_password(self.passwords.hash(new_password), new_session_token()))
        self.sessions.revoke_all(user.id, self.now())


def session_details(staff_session: StaffSession) -> StaffSessionDetails:
    return StaffSessionDetails(
        id=staff_session.id,
        created_at=staff_session.created_at,
        last_seen_at=staff_session.last_seen_at,
        user_agent=staff_session.user_agent,
        ip=staff_session.ip,
    )


@dataclass
class SessionCommands:
    """Server-side sign-in sessions: started at sign-in, checked on every request, ended by
    signing out (this one, or another of the user's own), a password change or deactivation."""

    users: UserRepository
    sessions: SessionRepository
    now: Clock
    max_age: timedelta

    def start(self, user_id: str, ip: str, user_agent: str) -> StaffUserDetails:
        user = self.users.get(user_id) if is_user_id(user_id) else None
        if user is None or not user.active:
            raise NotFoundError("No active staff user with that ID.")
        now = self.now()
        staff_session = StaffSession(
            id=str(uuid.uuid4()),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            user_agent=(user_agent or "")[:200],
            ip=(ip or "")[:45],
        )
        self.sessions.add(staff_session)
        return details(user, staff_session.id)

    def resolve(self, login_id: str) -> tuple[StaffUserDetails, bool] | None:
        """The active user of a live session with this login ID, and whether its "last seen"
        is worth updating; None once it was ended, expired, or the password changed."""
        user_id, token, session_id = _split_login_id(login_id)
        if not (is_user_id(user_id) and token and is_user_id(session_id)):
            return None
        user = self.users.get(user_id)
        if user is None or not user.active or user.session_token != token:
            return None
        staff_session = self.sessions.get(session_id)
        now = self.now()
        if (
            staff_session is None
            or staff_session.user_id != user.id
            or not staff_session.is_live(now, self.max_age)
        ):
            return None
        return details(user, session_id), staff_session.seen_long_ago(now)

    def touch(self, session_id: str) -> None:
        self.sessions.touch(session_id, self.now())

    def end(self, login_id: str) -> bool:
        user_id, _token, session_id = _split_login_id(login_id)
        if not (is_user_id(user_id) and is_user_id(session_id)):
            return False
        return self.sessions.revoke(session_id, user_id, self.now())

    def end_other(self, user_id: str, session_id: str) -> bool:
        """End one of the user's own sessions; False when it is not theirs or already ended."""
        if not (is_user_id(user_id) and is_user_id(session_id)):
            return False
        return self.sessions.revoke(session_id, user_id, self.now())

    def end_all_others(self, user_id: str, keep_session_id: str) -> int:
        return self.sessions.revoke_all(user_id, self.now(), keep=keep_session_id)

    def live(self, user_id: str) -> list[StaffSessionDetails]:
        since = self.now() - self.max_age
        return [session_details(s) for s in self.sessions.live_for_user(user_id, since)]

    def purge(self, keep_for: timedelta) -> int:
        cutoff = self.now() - keep_for
        return self.sessions.purge(ended_before=cutoff, created_before=cutoff - self.max_age)


def _split_login_id(login_id: str) -> tuple[str, str, str]:
    parts = (login_id or "").split(":")
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 else ("", "", "")
