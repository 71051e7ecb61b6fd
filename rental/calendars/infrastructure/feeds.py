"""The staff feeds' rows: added, listed, found by the token's hash, revoked."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rental.calendars.domain.feeds import CalendarFeed, NewFeed
from rental.calendars.infrastructure.entities import CalendarFeedEntity
from rental.shared.db import db


def _feed(row: CalendarFeedEntity) -> CalendarFeed:
    return CalendarFeed(
        row.id, row.name, row.equipment_type_id, row.created_at, row.created_by, row.revoked_at
    )


def add(session: Session, feed: NewFeed, hashed: str, now: datetime, actor: str) -> str:
    row = CalendarFeedEntity(
        id=str(uuid.uuid4()),
        name=feed.name,
        token_hash=hashed,
        equipment_type_id=feed.equipment_type_id,
        created_at=now,
        created_by=actor[:320],
        revoked_at=None,
    )
    session.add(row)
    return row.id


def all_feeds() -> list[CalendarFeed]:
    rows = db.session.scalars(
        select(CalendarFeedEntity).order_by(CalendarFeedEntity.created_at.desc())
    )
    return [_feed(r) for r in rows]


def active_by_hash(hashed: str) -> CalendarFeed | None:
    row = db.session.scalars(
        select(CalendarFeedEntity).where(
            CalendarFeedEntity.token_hash == hashed, CalendarFeedEntity.revoked_at.is_(None)
        )
    ).first()
    return _feed(row) if row else None


def revoke(session: Session, feed_id: str, now: datetime) -> bool:
    """False when there is no such feed; revoking twice keeps the first time."""
    row = session.get(CalendarFeedEntity, feed_id[:36], with_for_update=True)
    if row is None:
        return False
    if row.revoked_at is None:
        row.revoked_at = now
    return True
