"""Transactional outbox: events are written in the caller's transaction and delivered later,
at least once, by the worker process, to every handler subscribed to their name.

Each handler's effects and its inbox row (message id, handler name) commit together, so a
redelivered message changes nothing. A failing handler is retried with exponential backoff
and, after `max_attempts`, the message is dead-lettered with the last error.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String, Text, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from rental.shared.db import Base, UTCDateTime, db, in_unit_of_work, is_postgres, unit_of_work
from rental.shared.events import Event, Message, Subscription, event_class, subscribers, to_payload
from rental.shared.time_range import utcnow

log = logging.getLogger(__name__)

_ID = BigInteger().with_variant(Integer(), "sqlite")  # SQLite only autoincrements INTEGER


class OutboxMessageEntity(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    event_type: Mapped[str] = mapped_column(String(120))
    schema_version: Mapped[int] = mapped_column(Integer, default=1)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dead_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        # The worker's claim query: pending messages by availability, oldest first.
        db.Index("ix_outbox_messages_pending", "processed_at", "dead_at", "available_at"),
    )


class InboxEntity(Base):
    """Which handler has applied which message: the idempotency record of each consumer."""

    __tablename__ = "outbox_inbox"

    message_id: Mapped[int] = mapped_column(_ID, primary_key=True)
    handler: Mapped[str] = mapped_column(String(120), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime)


def record(event: Event, session: Session | None = None) -> None:
    """Add `event` to the outbox inside the current unit of work (never on its own)."""
    if not in_unit_of_work():
        raise RuntimeError("outbox.record() must be called inside unit_of_work()")
    event_class(event.event_type)  # unknown types would be undeliverable: fail at the source
    now = utcnow()
    (session or db.session()).add(
        OutboxMessageEntity(
            event_type=event.event_type,
            schema_version=event.version,
            payload=to_payload(event),
            occurred_at=now,
            available_at=now,
            attempts=0,
        )
    )


@dataclass(frozen=True, slots=True)
class OutboxSettings:
    batch_size: int = 100
    max_attempts: int = 10
    backoff_seconds: float = 2.0
    max_backoff_seconds: float = 3600.0
    lease_seconds: float = 300.0

    @classmethod
    def from_config(cls, config: Any) -> OutboxSettings:
        return cls(
            batch_size=int(config.get("OUTBOX_BATCH_SIZE", 100)),
            max_attempts=int(config.get("OUTBOX_MAX_ATTEMPTS", 10)),
            backoff_seconds=float(config.get("OUTBOX_BACKOFF_SECONDS", 2.0)),
            max_backoff_seconds=float(config.get("OUTBOX_MAX_BACKOFF_SECONDS", 3600.0)),
            lease_seconds=float(config.get("OUTBOX_LEASE_SECONDS", 300.0)),
        )


@dataclass(frozen=True, slots=True)
class DrainResult:
    claimed: int = 0
    processed: int = 0
    failed: int = 0
    dead: int = 0


@dataclass(frozen=True, slots=True)
class OutboxStats:
    pending: int
    retrying: int
    dead: int
    processed: int


class _AlreadyApplied(Exception):
    pass


class OutboxProcessor:
    def __init__(self, settings: OutboxSettings | None = None) -> None:
        self.settings = settings or OutboxSettings()

    def backoff(self, attempts: int) -> timedelta:
        seconds = self.settings.backoff_seconds * (2 ** max(attempts - 1, 0))
        return timedelta(seconds=min(seconds, self.settings.max_backoff_seconds))

    def claim_batch(self) -> list[Message]:
        """Lease the oldest available messages so no other worker takes them meanwhile.

        PostgreSQL: FOR UPDATE SKIP LOCKED lets several workers claim disjoint batches.
        SQLite: the unit of work's BEGIN IMMEDIATE makes claims one at a time.
        A worker that dies mid-batch loses nothing: its lease runs out and the messages are
        claimed again; the inbox stops handlers from applying them twice."""
        now = utcnow()
        with unit_of_work() as session:
            query = (
                select(OutboxMessageEntity.id)
                .where(
                    OutboxMessageEntity.processed_at.is_(None),
                    OutboxMessageEntity.dead_at.is_(None),
                    OutboxMessageEntity.available_at <= now,
                )
                .order_by(OutboxMessageEntity.occurred_at, OutboxMessageEntity.id)
                .limit(self.settings.batch_size)
            )
            if is_postgres(session):
                query = query.with_for_update(skip_locked=True)
            ids = list(session.scalars(query))
            if not ids:
                return []
            lease_until = now + timedelta(seconds=self.settings.lease_seconds)
            session.execute(
                update(OutboxMessageEntity)
                .where(OutboxMessageEntity.id.in_(ids))
                .values(available_at=lease_until)
            )
            rows = session.scalars(
                select(OutboxMessageEntity)
                .where(OutboxMessageEntity.id.in_(ids))
                .order_by(OutboxMessageEntity.occurred_at, OutboxMessageEntity.id)
            ).all()
            return [
                Message(r.id, r.event_type, r.schema_version, dict(r.payload), r.occurred_at)
                for r in rows
            ]

    def deliver(self, subscription: Subscription, message: Message) -> bool:
        """Apply one message to one handler; False when it had already been applied."""
        try:
            with unit_of_work() as session:
                if session.get(InboxEntity, (message.id, subscription.name)) is not None:
                    raise _AlreadyApplied
                session.add(
                    InboxEntity(
                        message_id=message.id, handler=subscription.name, processed_at=utcnow()
                    )
                )
                try:
                    session.flush()
                except IntegrityError:
                    raise _AlreadyApplied from None  # another worker applied it just now
                subscription.handler(message)
        except _AlreadyApplied:
            return False
        return True

    def process(self, message: Message) -> str:
        """Deliver to every subscriber, then mark it processed, retrying or dead; return which."""
        errors: list[str] = []
        for subscription in subscribers(message.event_type):
            try:
                self.deliver(subscription, message)
            except Exception as exc:
                log.warning(
                    "handler %s failed on message %s (%s): %s",
                    subscription.name,
                    message.id,
                    message.event_type,
                    exc,
                )
                errors.append(f"{subscription.name}: {_describe(exc)}")
        return self._finish(message.id, errors)

    def _finish(self, message_id: int, errors: list[str]) -> str:
        now = utcnow()
        with unit_of_work() as session:
            row = session.get(OutboxMessageEntity, message_id)
            if row is None:
                return "missing"
            if not errors:
                row.processed_at = now
                row.last_error = None
                return "processed"
            row.attempts += 1
            row.last_error = "\n".join(errors)[:4000]
            if row.attempts >= self.settings.max_attempts:
                row.dead_at = now
                return "dead"
            row.available_at = now + self.backoff(row.attempts)
            return "failed"

    def drain_once(self) -> DrainResult:
        batch = self.claim_batch()
        counts = {"processed": 0, "failed": 0, "dead": 0, "missing": 0}
        for message in batch:
            counts[self.process(message)] += 1
        return DrainResult(len(batch), counts["processed"], counts["failed"], counts["dead"])

    # --- operations (CLI and admin page) -------------------------------------------------------

    def dead_messages(self, limit: int = 100) -> list[OutboxMessageEntity]:
        return list(
            db.session.scalars(
                select(OutboxMessageEntity)
                .where(OutboxMessageEntity.dead_at.is_not(None))
                .order_by(OutboxMessageEntity.dead_at.desc())
                .limit(limit)
            )
        )

    def requeue(self, message_id: int | None = None) -> int:
        """Give dead messages (one, or all) a fresh set of attempts. Returns how many."""
        with unit_of_work() as session:
            query = update(OutboxMessageEntity).where(OutboxMessageEntity.dead_at.is_not(None))
            if message_id is not None:
                query = query.where(OutboxMessageEntity.id == message_id)
            result = session.execute(query.values(dead_at=None, attempts=0, available_at=utcnow()))
            return result.rowcount or 0

    def stats(self) -> OutboxStats:
        m = OutboxMessageEntity
        pending = m.processed_at.is_(None) & m.dead_at.is_(None)
        row = db.session.execute(
            select(
                func.count().filter(pending & (m.attempts == 0)),
                func.count().filter(pending & (m.attempts > 0)),
                func.count().filter(m.dead_at.is_not(None)),
                func.count().filter(m.processed_at.is_not(None)),
            )
        ).one()
        return OutboxStats(*row)


def _describe(exc: BaseException) -> str:
    last = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return last[:1000]
