"""The write side of staff accounts: command dataclasses and their handlers.

- `StaffUserCommands`: creating users, roles, activation, passwords.
- `SessionCommands`: server-side sign-in sessions (started, seen, ended, purged).
- `LoginThrottle`: the failed sign-in counters on the shared rate-limit store.
- `SignInCommands`: signing in and recognising a signed-in browser. Each spans the throttle's
  counters and a unit of work; the counters run in short transactions of their own that must
  not be nested in a unit of work (on SQLite its write lock would block them), so this handler
  is given the `transaction` to open rather than running inside one.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from rental.accounts.application.queries import (
    AccountQueries,
    SignInStatus,
    StaffUserDetails,
)
from rental.accounts.domain.models import (
    SESSION_RECORDS_KEPT,
    Role,
    SignInPaused,
    SignInRejected,
    StaffSession,
    StaffUser,
    StaffUserAction,
    check_password_policy,
    ensure_an_admin_remains,
    is_uuid,
    login_id,
    parse_role,
    split_login_id,
    validate_staff_email,
)
from rental.accounts.infrastructure.passwords import Passwords
from rental.accounts.infrastructure.repositories import SessionRepository, UserRepository
from rental.shared.email import normalise_email
from rental.shared.errors import ConflictError, NotFoundError, ValidationError
from rental.shared.throttle import (
    Attempt,
    Decision,
    Limit,
    Throttle,
    current_throttle,
    describe_wait,
    parse_limit,
    seconds_until,
)
from rental.shared.time_range import utcnow

Clock = Callable[[], datetime]
Transaction = Callable[[], AbstractContextManager[Session]]


# --- commands -----------------------------------------------------------------------------------


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
class ResetPassword:
    """Operator recovery (CLI): a new password for the user with this email."""

    email: str
    new_password: str


@dataclass(frozen=True, slots=True)
class SignIn:
    email: str
    password: str
    ip: str
    user_agent: str


@dataclass(frozen=True, slots=True)
class StartSession:
    user_id: str
    ip: str
    user_agent: str


@dataclass(frozen=True, slots=True)
class EndSession:
    """Sign out: end the session the login cookie names."""

    login_id: str


@dataclass(frozen=True, slots=True)
class EndOtherSession:
    """End one of the user's own sessions (another device)."""

    user_id: str
    session_id: str


@dataclass(frozen=True, slots=True)
class EndOtherSessions:
    """End every session of the user except the one in use."""

    user_id: str
    keep_session_id: str


def new_session_token() -> str:
    return secrets.token_hex(16)


# --- staff users --------------------------------------------------------------------------------


class StaffUserCommands:
    def __init__(
        self,
        users: UserRepository,
        sessions: SessionRepository,
        passwords: Passwords,
        *,
        clock: Clock = utcnow,
    ) -> None:
        self._users = users
        self._sessions = sessions
        self._passwords = passwords
        self._clock = clock

    def _load(self, user_id: str) -> StaffUser:
        user = self._users.get(user_id, for_update=True) if is_uuid(user_id) else None
        if user is None:
            raise NotFoundError("No staff user with that ID.")
        return user

    def create(self, command: CreateStaffUser) -> str:
        email = validate_staff_email(command.email)
        role = parse_role(command.role)
        check_password_policy(command.password, email)
        if self._users.find_by_email(email) is not None:
            raise ConflictError(
                f"A staff user with the email {email} already exists.", field="email"
            )
        user = StaffUser(
            id=str(uuid.uuid4()),
            email=email,
            password_hash=self._passwords.hash(command.password),
            role=role,
            active=True,
            created_at=self._clock(),
            session_token=new_session_token(),
        )
        self._users.add(user)
        return user.id

    def authenticate(self, email: str, password: str) -> str:
        """The ID of the active user with these credentials, or SignInRejected — the same
        answer, after the same work, for an unknown email, a wrong password and a deactivated
        account. Notes the sign-in and upgrades an outdated password hash."""
        user = self._users.find_by_email(normalise_email(email)) if email else None
        ok = self._passwords.verify(user.password_hash if user else None, password or "")
        if user is None or not ok or not user.active:
            raise SignInRejected()
        password_hash = user.password_hash
        if self._passwords.needs_rehash(password_hash):
            password_hash = self._passwords.hash(password)
        self._users.save(replace(user, password_hash=password_hash, last_login_at=self._clock()))
        return user.id

    def change_role(self, command: ChangeRole) -> None:
        role = parse_role(command.role)
        user = self._load(command.user_id)
        if user.role is role:
            return
        if user.role is Role.ADMIN and user.active:
            ensure_an_admin_remains(self._users.count_active_admins(lock=True) - 1)
        self._users.save(user.with_role(role))

    def deactivate(self, command: DeactivateUser) -> None:
        user = self._load(command.user_id)
        if not user.active:
            return
        if StaffUserAction.DEACTIVATE not in user.allowed_actions(command.actor_id):
            raise ConflictError("You cannot deactivate your own account.")
        if user.is_admin:
            ensure_an_admin_remains(self._users.count_active_admins(lock=True) - 1)
        self._users.save(user.deactivated(new_session_token()))
        self._sessions.revoke_all(user.id, self._clock())

    def reactivate(self, command: ReactivateUser) -> None:
        user = self._load(command.user_id)
        if not user.active:
            self._users.save(user.reactivated())

    def change_own_password(self, command: ChangeOwnPassword) -> None:
        user = self._load(command.user_id)
        if not self._passwords.verify(user.password_hash, command.current_password or ""):
            raise ValidationError("That is not your current password.", field="current_password")
        check_password_policy(command.new_password, user.email, field="new_password")
        if command.new_password == command.current_password:
            raise ValidationError(
                "Choose a password different from the current one.", field="new_password"
            )
        self._set_password(user, command.new_password)

    def reset_password(self, command: ResetPassword) -> None:
        """Set a new password and end every session of the user."""
        email = normalise_email(command.email)
        found = self._users.find_by_email(email)
        if found is None:
            raise NotFoundError(f"No staff user with the email {email}.")
        check_password_policy(command.new_password, found.email)
        self._set_password(self._load(found.id), command.new_password)

    def _set_password(self, user: StaffUser, password: str) -> None:
        # A new session token and no live session: every device signed in as them is out.
        self._users.save(user.with_password(self._passwords.hash(password), new_session_token()))
        self._sessions.revoke_all(user.id, self._clock())


# --- sign-in sessions ---------------------------------------------------------------------------


class SessionCommands:
    """Server-side sign-in sessions: started at sign-in, checked on every request, ended by
    signing out (this one, or another of the user's own), a password change or deactivation."""

    def __init__(
        self,
        users: UserRepository,
        sessions: SessionRepository,
        *,
        max_age: timedelta,
        clock: Clock = utcnow,
    ) -> None:
        self._users = users
        self._sessions = sessions
        self._max_age = max_age
        self._clock = clock

    def start(self, command: StartSession) -> str:
        """A new session for an active user; returns its login ID (what the cookie keeps)."""
        user = self._users.get(command.user_id) if is_uuid(command.user_id) else None
        if user is None or not user.active:
            raise NotFoundError("No active staff user with that ID.")
        now = self._clock()
        staff_session = StaffSession(
            id=str(uuid.uuid4()),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            user_agent=(command.user_agent or "")[:200],
            ip=(command.ip or "")[:45],
        )
        self._sessions.add(staff_session)
        return login_id(user, staff_session.id)

    def note_seen(self, session_id: str) -> None:
        self._sessions.touch(session_id, self._clock())

    def end(self, command: EndSession) -> bool:
        user_id, _token, session_id = split_login_id(command.login_id)
        return self._revoke(user_id, session_id)

    def end_other(self, command: EndOtherSession) -> bool:
        """False when the session is not the user's or has already ended."""
        return self._revoke(command.user_id, command.session_id)

    def _revoke(self, user_id: str, session_id: str) -> bool:
        if not (is_uuid(user_id) and is_uuid(session_id)):
            return False
        return self._sessions.revoke(session_id, user_id, self._clock())

    def end_others(self, command: EndOtherSessions) -> int:
        return self._sessions.revoke_all(
            command.user_id, self._clock(), keep=command.keep_session_id
        )

    def purge(self) -> int:
        """Forget sessions that ended (signed out, or past their lifetime) a while ago."""
        cutoff = self._clock() - SESSION_RECORDS_KEPT
        return self._sessions.purge(ended_before=cutoff, created_before=cutoff - self._max_age)


# --- the failed sign-in counters ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoginLimits:
    per_ip: Limit | None  # failed sign-ins from one client IP, any account
    per_account: Limit | None  # failed sign-ins for one account from anywhere: a high bar
    delay_after: Limit | None  # free failures per account and IP; then delays start
    max_delay: int  # seconds

    @classmethod
    def from_config(cls, config: Any) -> LoginLimits:
        return cls(
            parse_limit(config.get("LOGIN_RATE_LIMIT_IP", "20 per 15 minutes")),
            parse_limit(config.get("LOGIN_RATE_LIMIT_ACCOUNT", "50 per hour")),
            parse_limit(config.get("LOGIN_DELAY_AFTER", "5 per hour")),
            int(config.get("LOGIN_DELAY_MAX_SECONDS", 900)),
        )


# Counter scopes in the rate-limit store (stored keys: keep these names).
PAIR, IP, ACCOUNT = "login-pair", "login-ip", "login-account"


@dataclass
class LoginThrottle:
    """Failed sign-ins counted per client IP, per account, and per (account, IP) on the shared
    rate-limit store (rental.shared.throttle), so every gunicorn worker sees the same counts.

    - (account, IP): after `delay_after` failures each further attempt waits 1, 2, 4 … seconds
      after the previous failure (at most `max_delay`); someone mistyping is slowed down, not
      locked out, and a guesser elsewhere does not slow them down.
    - IP: `per_ip` failures pause sign-in from that address.
    - account: only `per_account` failures from anywhere pause the account itself.
    An attempt takes its IP and account places before the password is checked (so parallel
    guesses cannot overshoot) and gives them back when it succeeds; a refused attempt counts
    nothing. Success clears the (account, IP) counter; an admin's unlock clears the account.
    The counters are this class's state, so it also answers what they say (`status`).
    """

    limits: LoginLimits

    @property
    def throttle(self) -> Throttle:
        return current_throttle()

    def _pair_wait(self, account: str, ip: str) -> Decision | None:
        rule = self.limits.delay_after
        if rule is None:
            return None
        counter = self.throttle.counter(PAIR, (account, ip))
        if counter is None or counter.hits < rule.amount:
            return None
        delay_ms = min(2 ** (counter.hits - rule.amount), self.limits.max_delay) * 1000
        until, now = counter.last_hit_ms + delay_ms, self.throttle.now_ms()
        if now >= until:
            return None
        return Decision(
            False,
            counter.hits,
            seconds_until(until, now),
            datetime.fromtimestamp(until / 1000, UTC),
        )

    def admit(self, email: str, ip: str) -> None:
        """Reserve this attempt's places, or SignInPaused saying why and until when."""
        account = normalise_email(email)
        wait = self._pair_wait(account, ip)
        if wait is not None:
            raise _paused(
                wait,
                "Too many failed sign-in attempts for this account from your network. "
                "For your security, each new attempt has to wait a little longer.",
            )
        refused, decision = self.throttle.attempt_all(
            [
                Attempt(IP, ip, self.limits.per_ip),
                Attempt(ACCOUNT, account, self.limits.per_account),
            ]
        )
        if refused == 0:
            raise _paused(
                decision,
                "Too many failed sign-in attempts from your network, so signing in from here "
                "is paused.",
            )
        if refused == 1:
            raise _paused(
                decision,
                "Too many failed sign-in attempts for this account, so signing in to it is "
                "paused. An administrator can unlock it sooner.",
            )

    def failed(self, email: str, ip: str) -> None:
        self.throttle.hit(PAIR, (normalise_email(email), ip), self.limits.delay_after)

    def succeeded(self, email: str, ip: str) -> None:
        account = normalise_email(email)
        self.throttle.refund(IP, ip, self.limits.per_ip)
        self.throttle.refund(ACCOUNT, account, self.limits.per_account)
        self.throttle.clear(PAIR, (account, ip))

    def unlock(self, email: str) -> None:
        """An admin's unlock: forget the account's failures, from every IP."""
        account = normalise_email(email)
        self.throttle.clear(ACCOUNT, account)
        self.throttle.clear(PAIR, (account,), prefix=True)

    def status(self, email: str) -> SignInStatus:
        counter = self.throttle.counter(ACCOUNT, normalise_email(email))
        if counter is None:
            return SignInStatus(0, None)
        rule = self.limits.per_account
        paused = rule is not None and counter.hits >= rule.amount
        until = datetime.fromtimestamp(counter.window_ends_ms / 1000, UTC) if paused else None
        return SignInStatus(counter.hits, until)


def _paused(decision: Decision, reason: str) -> SignInPaused:
    wait = describe_wait(decision.retry_after, decision.retry_at)
    return SignInPaused(f"{reason} Please try again {wait}.", decision.retry_after)


# --- signing in ---------------------------------------------------------------------------------


class SignInCommands:
    def __init__(
        self,
        throttle: LoginThrottle,
        transaction: Transaction,
        users: Callable[[Session], StaffUserCommands],
        sessions: Callable[[Session], SessionCommands],
        queries: Callable[[], AccountQueries],
    ) -> None:
        self._throttle = throttle
        self._transaction = transaction
        self._users = users
        self._sessions = sessions
        self._queries = queries

    def sign_in(self, command: SignIn) -> str:
        """Check the throttle, then the password, then start a session; returns its login ID.
        While paused even the right password is refused (SignInPaused); wrong credentials
        raise SignInRejected and count as a failure."""
        self._throttle.admit(command.email, command.ip)
        try:
            with self._transaction() as session:
                user_id = self._users(session).authenticate(command.email, command.password)
                signed_in = self._sessions(session).start(
                    StartSession(user_id, command.ip, command.user_agent)
                )
        except SignInRejected:
            self._throttle.failed(command.email, command.ip)
            raise
        self._throttle.succeeded(command.email, command.ip)
        return signed_in

    def resume(self, login_id: str) -> StaffUserDetails | None:
        """The user of the live session this login ID names (None when there is none); its
        "last seen" is written at most every few minutes, not on every request."""
        found = self._queries().signed_in(login_id)
        if found is None:
            return None
        if found.seen_long_ago:
            with self._transaction() as session:
                self._sessions(session).note_seen(found.user.session_id)
        return found.user
