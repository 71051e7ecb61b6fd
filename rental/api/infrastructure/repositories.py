"""Rows of api_tokens and api_idempotency_keys."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from rental.api.domain.tokens import ApiToken, NewToken
from rental.api.infrastructure.entities import ApiIdempotencyKeyEntity, ApiTokenEntity
from rental.shared.db import independent_transaction


def _token(row: ApiTokenEntity) -> ApiToken:
    return ApiToken(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        scopes=tuple(row.scopes.split()),
        created_at=row.created_at,
        created_by=row.created_by,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


class TokenRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, new: NewToken, prefix: str, token_hash: str, now: datetime, actor: str) -> str:
        token_id = str(uuid.uuid4())
        self.session.add(
            ApiTokenEntity(
                id=token_id,
                name=new.name,
                prefix=prefix,
                token_hash=token_hash,
                scopes=" ".join(new.scopes),
                created_at=now,
                created_by=actor[:320],
            )
        )
        return token_id

    def list(self) -> list[ApiToken]:
        rows = self.session.scalars(
            select(ApiTokenEntity).order_by(
                ApiTokenEntity.revoked_at.is_not(None),
                ApiTokenEntity.created_at.desc(),
                ApiTokenEntity.id,
            )
        )
        return [_token(r) for r in rows]

    def get(self, token_id: str) -> ApiToken | None:
        row = self.session.get(ApiTokenEntity, token_id)
        return _token(row) if row else None

    def by_hash(self, token_hash: str) -> ApiToken | None:
        row = self.session.scalars(
            select(ApiTokenEntity).where(ApiTokenEntity.token_hash == token_hash)
        ).first()
        return _token(row) if row else None

    def revoke(self, token_id: str, now: datetime) -> bool:
        result = self.session.execute(
            update(ApiTokenEntity)
            .where(ApiTokenEntity.id == token_id, ApiTokenEntity.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return bool(result.rowcount)


def touch_token(token_id: str, now: datetime, not_since: datetime) -> None:
    """last_used_at = now, unless already written after `not_since`: one small transaction of
    its own, apart from the request's work."""
    with independent_transaction() as conn:
        conn.execute(
            update(ApiTokenEntity)
            .where(
                ApiTokenEntity.id == token_id,
                or_(
                    ApiTokenEntity.last_used_at.is_(None),
                    ApiTokenEntity.last_used_at < not_since,
                ),
            )
            .values(last_used_at=now)
        )


class IdempotencyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def find(self, token_id: str, key: str) -> ApiIdempotencyKeyEntity | None:
        return self.session.scalars(
            select(ApiIdempotencyKeyEntity).where(
                ApiIdempotencyKeyEntity.token_id == token_id,
                ApiIdempotencyKeyEntity.key == key,
            )
        ).first()

    def delete_expired(self, now: datetime, token_id: str | None = None, key: str | None = None):
        stmt = delete(ApiIdempotencyKeyEntity).where(ApiIdempotencyKeyEntity.expires_at <= now)
        if token_id is not None:
            stmt = stmt.where(
                ApiIdempotencyKeyEntity.token_id == token_id,
                ApiIdempotencyKeyEntity.key == key,
            )
        return self.session.execute(stmt).rowcount

    def add(self, row: ApiIdempotencyKeyEntity) -> None:
        self.session.add(row)
        self.session.flush()  # takes the unique index entry now: a concurrent twin waits here
