"""The read side of staff accounts: `AccountQueries` and every DTO the module returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from rental.accounts.domain.models import (
    StaffSession,
    StaffUser,
    is_uuid,
    login_id,
    split_login_id,
)
from rental.accounts.infrastructure.repositories import SessionRepository, UserRepository
from rental.shared.email import normalise_email
from rental.shared.errors import NotFoundError
from rental.shared.time_range import utcnow

Clock = Callable[[], datetime]


# --- DTOs ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StaffUserDetails:
    id: str
    email: str
    role: str  # "ADMIN" | "STAFF"
    active: bool
    created_at: datetime
    last_login_at: datetime | None
    # What the login cookie stores (domain.models.login_id); session_id is empty until a
    # session is started.
    login_id: str
    session_id: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role == "ADMIN"

    @classmethod
    def of(cls, user: StaffUser, session_id: str = "") -> StaffUserDetails:
        return cls(
            id=user.id,
            email=user.email,
            role=user.role.value,
            active=user.active,
            created_at=user.created_at,
            last_login_at=user.last_login_at,
            login_id=login_id(user, session_id),
            session_id=session_id,
        )


@dataclass(frozen=True, slots=True)
class StaffUserEntry:
    """A staff user as the staff users page lists them for one admin, with what that admin
    may do (domain.models: StaffUser.allowed_actions)."""

    user: StaffUserDetails
    allowed_actions: frozenset[str]


@dataclass(frozen=True, slots=True)
class StaffSessionDetails:
    id: str
    created_at: datetime
    last_seen_at: datetime
    user_agent: str
    ip: str

    @classmethod
    def of(cls, staff_session: StaffSession) -> StaffSessionDetails:
        return cls(
            id=staff_session.id,
            created_at=staff_session.created_at,
            last_seen_at=staff_session.last_seen_at,
            user_agent=staff_session.user_agent,
            ip=staff_session.ip,
        )


@dataclass(frozen=True, slots=True)
class SignedInUser:
    """The user of a live sign-in, and whether its "last seen" is worth writing again."""

    user: StaffUserDetails
    seen_long_ago: bool


@dataclass(frozen=True, slots=True)
class SignInStatus:
    """What an admin sees about an account's failed sign-ins (the per-account counter)."""

    failures: int
    paused_until: datetime | None


# --- the read service ---------------------------------------------------------------------------


class AccountQueries:
    def __init__(
        self,
        users: UserRepository,
        sessions: SessionRepository,
        *,
        max_session_age: timedelta,
        clock: Clock = utcnow,
    ) -> None:
        self._users = users
        self._sessions = sessions
        self._max_session_age = max_session_age
        self._clock = clock

    def get_user(self, user_id: str) -> StaffUserDetails:
        user = self._users.get(user_id) if is_uuid(user_id) else None
        if user is None:
            raise NotFoundError("No staff user with that ID.")
        return StaffUserDetails.of(user)

    def find_user_by_email(self, email: str) -> StaffUserDetails | None:
        user = self._users.find_by_email(normalise_email(email))
        return StaffUserDetails.of(user) if user else None

    def list_users(self, actor_id: str | None = None) -> list[StaffUserEntry]:
        """Every staff user, with what `actor_id` may do with each."""
        return [
            StaffUserEntry(
                StaffUserDetails.of(u), frozenset(a.value for a in u.allowed_actions(actor_id))
            )
            for u in self._users.list()
        ]

    def has_users(self) -> bool:
        return self._users.count() > 0

    def live_sessions(self, user_id: str) -> list[StaffSessionDetails]:
        """The user's live sign-ins, most recently seen first."""
        since = self._clock() - self._max_session_age
        return [StaffSessionDetails.of(s) for s in self._sessions.live_for_user(user_id, since)]

    def signed_in(self, login_id: str) -> SignedInUser | None:
        """The active user of a live session with this login ID; None once the session was
        ended or expired, the password changed or the account was deactivated."""
        user_id, token, session_id = split_login_id(login_id)
        if not (is_uuid(user_id) and token and is_uuid(session_id)):
            return None
        user = self._users.get(user_id)
        if user is None or not user.active or user.session_token != token:
            return None
        staff_session = self._sessions.get(session_id)
        now = self._clock()
        if (
            staff_session is None
            or staff_session.user_id != user.id
            or not staff_session.is_live(now, self._max_session_age)
        ):
            return None
        return SignedInUser(StaffUserDetails.of(user, session_id), staff_session.seen_long_ago(now))
