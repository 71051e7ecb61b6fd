"""The staff user repository."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rental.accounts.domain.models import Role, StaffUser
from rental.accounts.infrastructure.entities import UserEntity
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
