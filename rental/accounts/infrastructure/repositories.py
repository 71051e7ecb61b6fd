"""The staff user and staff session repositories."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rental.accounts.domain.models import LAST_SEEN_RESOLUTION, Role, StaffSession, StaffUser
from rental.accounts.infrastructure.entities import SessionEntity, UserEntity
from rental.shared.errors import ConflictError


def to_domain(entity: UserEntity) -> StaffUser:
    return StaffUser(
        id=entity.id,
        email=entity.email,
        password_hash=entity.password_hash,
        role=Role(entity.role),
        active=entity.active,
        created_at=entity.created_at,
        session_token=entity.session_token,
        last_login_at=entity.last_login_at,
    )


def _copy(user: StaffUser, entity: UserEntity) -> None:
    entity.email = user.email
    entity.password_hash = user.password_hash
    entity.role = user.role.value
    entity.active = user.active
    entity.session_token = user.session_token
    entity.created_at = user.created_at
    entity.last_login_at = user.last_login_at


class UserRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, user_id: str, *, for_update: bool = False) -> StaffUser | None:
        entity = self._entity(user_id, for_update=for_update)
        return to_domain(entity) if entity else None

    def _entity(self, user_id: str, *, for_update: bool = False) -> UserEntity | None:
        query = select(UserEntity).where(UserEntity.id == user_id)
        if for_update:
            query = query.with_for_update()
        return self._session.scalars(query).first()

    def find_by_email(self, email: str) -> StaffUser | None:
        entity = self._session.scalars(select(UserEntity).where(UserEntity.email == email)).first()
        return to_domain(entity) if entity else None

    def list(self) -> list[StaffUser]:
        rows = self._session.scalars(select(UserEntity).order_by(UserEntity.email))
        return [to_domain(e) for e in rows]

    def count_active_admins(self, *, lock: bool = False) -> int:
        query = select(UserEntity.id).where(
            UserEntity.role == Role.ADMIN.value, UserEntity.active.is_(True)
        )
        if lock:
            query = query.with_for_update()
        return len(list(self._session.scalars(query)))

    def count(self) -> int:
        return self._session.scalar(select(func.count()).select_from(UserEntity)) or 0

    def add(self, user: StaffUser) -> None:
        entity = UserEntity(id=user.id)
        _copy(user, entity)
        try:
            with self._session.begin_nested():
                self._session.add(entity)
                self._session.flush()
        except IntegrityError:
            raise ConflictError(
                f"A staff user with the email {user.email} already exists.", field="email"
            ) from None

    def save(self, user: StaffUser) -> None:
        entity = self._entity(user.id)
        assert entity is not None
        _copy(user, entity)
        self._session.flush()


def session_to_domain(entity: SessionEntity) -> StaffSession:
    return StaffSession(
        id=entity.id,
        user_id=entity.user_id,
        created_at=entity.created_at,
        last_seen_at=entity.last_seen_at,
        revoked_at=entity.revoked_at,
        user_agent=entity.user_agent,
        ip=entity.ip,
    )


class SessionRepository:
    """Sign-in sessions. Ending one is a conditional UPDATE (… AND revoked_at IS NULL), so two
    requests ending the same session, or a sign-out racing a password change, are both fine."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, staff_session: StaffSession) -> None:
        self._session.add(
            SessionEntity(
                id=staff_session.id,
                user_id=staff_session.user_id,
                created_at=staff_session.created_at,
                last_seen_at=staff_session.last_seen_at,
                revoked_at=staff_session.revoked_at,
                user_agent=staff_session.user_agent,
                ip=staff_session.ip,
            )
        )
        self._session.flush()

    def get(self, session_id: str) -> StaffSession | None:
        entity = self._session.get(SessionEntity, session_id)
        return session_to_domain(entity) if entity else None

    def live_for_user(self, user_id: str, created_after: datetime) -> list[StaffSession]:
        rows = self._session.scalars(
            select(SessionEntity)
            .where(
                SessionEntity.user_id == user_id,
                SessionEntity.revoked_at.is_(None),
                SessionEntity.created_at > created_after,
            )
            .order_by(SessionEntity.last_seen_at.desc(), SessionEntity.id)
        )
        return [session_to_domain(e) for e in rows]

    def revoke(self, session_id: str, user_id: str, now: datetime) -> bool:
        result = self._session.execute(
            update(SessionEntity)
            .where(
                SessionEntity.id == session_id,
                SessionEntity.user_id == user_id,
                SessionEntity.revoked_at.is_(None),
            )
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)

    def revoke_all(self, user_id: str, now: datetime, *, keep: str | None = None) -> int:
        query = update(SessionEntity).where(
            SessionEntity.user_id == user_id, SessionEntity.revoked_at.is_(None)
        )
        if keep:
            query = query.where(SessionEntity.id != keep)
        result = self._session.execute(
            query.values(revoked_at=now).execution_options(synchronize_session=False)
        )
        return result.rowcount or 0

    def touch(self, session_id: str, now: datetime) -> None:
        self._session.execute(
            update(SessionEntity)
            .where(
                SessionEntity.id == session_id,
                SessionEntity.last_seen_at <= now - LAST_SEEN_RESOLUTION,
            )
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )

    def purge(self, ended_before: datetime, created_before: datetime) -> int:
        """Forget sessions that ended (signed out, or past their lifetime) a while ago."""
        result = self._session.execute(
            delete(SessionEntity).where(
                or_(
                    SessionEntity.revoked_at < ended_before,
                    SessionEntity.created_at < created_before,
                )
            )
        )
        return result.rowcount or 0
