"""Run a creating POST at most once per (token, Idempotency-Key).

The key's row is inserted in the SAME transaction as what the request creates (the facade's
unit_of_work joins ours), before the facade runs. A concurrent retry therefore waits: on
PostgreSQL on the unique index until the first commits (then its insert fails and it replays
the stored response) or rolls back (then it goes ahead); on SQLite at BEGIN IMMEDIATE. Only
successful responses are stored: a request that failed (4xx, nothing written) may be retried
with the same key. Expired keys (24 h) are deleted lazily when reused, and by a job."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from rental.api.domain.idempotency import KEY_LIFETIME, IdempotencyKeyReused
from rental.api.infrastructure.entities import ApiIdempotencyKeyEntity
from rental.api.infrastructure.repositories import IdempotencyRepository
from rental.shared.db import db, unit_of_work


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    body: str  # JSON text
    location: str | None = None


def _replay(row: ApiIdempotencyKeyEntity, fingerprint: str) -> StoredResponse:
    if row.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    return StoredResponse(row.status_code, row.body, row.location)


def run_once(
    token_id: str,
    key: str,
    fingerprint: str,
    now: datetime,
    create: Callable[[], StoredResponse],
) -> tuple[StoredResponse, bool]:
    """(response, replayed). `create` runs inside the transaction that stores the key."""
    session = db.session()
    repo = IdempotencyRepository(session)
    existing = repo.find(token_id, key)
    if existing is not None and existing.expires_at > now:
        return _replay(existing, fingerprint), True
    expired = existing is not None
    try:
        with unit_of_work() as session:
            repo = IdempotencyRepository(session)
            if expired:
                repo.delete_expired(now, token_id, key)
            row = ApiIdempotencyKeyEntity(
                token_id=token_id,
                key=key,
                fingerprint=fingerprint,
                status_code=0,
                body="",
                created_at=now,
                expires_at=now + KEY_LIFETIME,
            )
            repo.add(row)
            result = create()
            row.status_code, row.body, row.location = result.status, result.body, result.location
    except IntegrityError:
        db.session.rollback()
        again = IdempotencyRepository(db.session()).find(token_id, key)
        if again is None:
            raise
        return _replay(again, fingerprint), True
    return result, False


def purge_expired(now: datetime) -> int:
    with unit_of_work() as session:
        return IdempotencyRepository(session).delete_expired(now)
