"""Transactional outbox: events are written in the caller's transaction and delivered later,
at least once, by the worker process, to every handler subscribed to their name.

Each handler's effects and its inbox row (message id, handler name) commit together, so a
redelivered message changes nothing. A failing handler is retried with exponential backoff
and, after `max_attempts`, the message is dead-lettered with the last error. A message that
cannot be decoded is dead-lettered at once, on its own; a message of an event type this
process does not know is left for a worker that knows it. Processed messages and their inbox
rows are purged after `retention_days`. A publisher may blank free text in its own stored
payloads when a customer is anonymised (`redact_payloads`).

Throughput (issue 15): a batch is claimed with one UPDATE … RETURNING (statements built once,
at import), its inbox rows are written with one INSERT … ON CONFLICT DO NOTHING RETURNING per
chunk of deliveries (what comes back is what this worker may apply), and the processed marks
with one UPDATE per transaction. On PostgreSQL consecutive deliveries share one transaction (a
"group", about `group_seconds` long at most), each handler inside a savepoint of its own that is
only opened when the handler uses the database, so a failing handler rolls back only itself,
a handler that needs no database costs no round trip, and one commit (one WAL flush) serves
many messages; a group opens at most `group_size` savepoints. On SQLite each delivery stays a
transaction of its own: a handler's failure hook may write in a transaction of its own
(notifications record a failed mail so), which SQLite's single write lock would block while a
group is open.

Wake-up: on PostgreSQL a statement-level trigger on outbox_messages (migration 0031) issues
NOTIFY on NOTIFY_CHANNEL in the inserting transaction — delivered at the commit, never for a
rolled-back one, and no extra statement for the recorder; the worker LISTENs and drains at once.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Engine,
    Integer,
    String,
    Text,
    bindparam,
    cast,
    delete,
    func,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.orm import Mapped, Session, SessionTransaction, defer, mapped_column

from rental.shared.db import (
    Base,
    UTCDateTime,
    add_on_commit,
    database_unreachable,
    db,
    forget_on_commit,
    in_unit_of_work,
    is_postgres,
    on_commit_count,
    unit_of_work,
)
from rental.shared.events import (
    Event,
    Message,
    Subscription,
    decode,
    event_class,
    from_payload,
    known_event_types,
    subscribers,
    to_payload,
)
from rental.shared.time_range import utcnow

log = logging.getLogger(__name__)

PURGE_EVERY_SECONDS = 600  # the worker job that deletes processed messages past retention
NOTIFY_CHANNEL = "rentkit_outbox"  # PostgreSQL: inserts notify it (0031), the worker listens
# A group's transaction is committed once it has been open this long, even if it could take
# more deliveries: slow handlers must not hold their locks (and the web's) for long.
GROUP_SECONDS = 0.1
# Most deliveries whose inbox rows one statement of a group writes (handlers that use no
# savepoint let a group's chunks grow up to this).
MAX_CHUNK = 800

_ID = BigInteger().with_variant(Integer(), "sqlite")  # SQLite only autoincrements INTEGER

# Partial indexes (PostgreSQL and SQLite): each serves one question without touching the
# processed rows, which are nearly all of the table.
_PENDING = text("processed_at IS NULL AND dead_at IS NULL")
_DEAD = text("dead_at IS NOT NULL")
_PROCESSED = text("processed_at IS NOT NULL")


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
    # Set by a worker that does not know this event type (it leaves the message for one that
    # does); cleared when a worker that knows the type has handled it.
    unknown_type_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        # The claim (oldest first) and the pending counts / oldest pending message.
        db.Index(
            "ix_outbox_messages_pending",
            "occurred_at",
            "id",
            postgresql_where=_PENDING,
            sqlite_where=_PENDING,
        ),
        # The dead count and the dead list, newest first.
        db.Index("ix_outbox_messages_dead", "dead_at", postgresql_where=_DEAD, sqlite_where=_DEAD),
        # "Delivered in the last 24 h" and the purge of messages past their retention.
        db.Index(
            "ix_outbox_messages_processed",
            "processed_at",
            postgresql_where=_PROCESSED,
            sqlite_where=_PROCESSED,
        ),
    )


class InboxEntity(Base):
    """Which handler has applied which message: the idempotency record of each consumer."""

    __tablename__ = "outbox_inbox"

    message_id: Mapped[int] = mapped_column(_ID, primary_key=True)
    handler: Mapped[str] = mapped_column(String(120), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime)


def record(event: Event) -> None:
    """Add `event` to the outbox inside the current unit of work (never on its own)."""
    if not in_unit_of_work():
        raise RuntimeError("outbox.record() must be called inside unit_of_work()")
    event_class(event.event_type)  # unknown types would be undeliverable: fail at the source
    now = utcnow()
    # Written at the commit (one INSERT for all of a transaction's messages), not flushed by
    # each autoflush on the way: nothing in the transaction reads its own outbox rows.
    add_on_commit(
        db.session(),
        OutboxMessageEntity(
            event_type=event.event_type,
            schema_version=event.version,
            payload=to_payload(event),
            occurred_at=now,
            available_at=now,
            attempts=0,
        ),
    )


REDACT_BATCH = 500


def redact_payloads(
    event_type: str,
    match: Mapping[str, Collection[str]],
    fields: Mapping[str, Any],
    *,
    batch_size: int = REDACT_BATCH,
) -> int:
    """Rewrite, in the current unit of work, the stored payload of every message of
    `event_type` (pending, processed or dead) whose payload matches `match` — each key's value
    is one of the given strings, all keys at once — setting each of `fields` that the payload
    holds non-empty to the given value. Returns how many messages changed.

    For privacy (anonymising or deleting a customer): a publisher blanks the free text its own
    events carry about that customer. The payload keeps its shape, so the handlers and CRM's
    rebuild still decode it; a second call changes nothing. Read in batches by ID, so a
    long-retained outbox is never loaded at once."""
    if not in_unit_of_work():
        raise RuntimeError("outbox.redact_payloads() must be called inside unit_of_work()")
    if any(not values for values in match.values()):
        return 0
    m = OutboxMessageEntity
    session = db.session()
    conditions = [m.event_type == event_type]
    conditions += [m.payload[key].as_string().in_(sorted(values)) for key, values in match.items()]
    changed, after = 0, 0
    while True:
        rows = session.execute(
            select(m.id, m.payload)
            .where(*conditions, m.id > after)
            .order_by(m.id)
            .limit(batch_size)
        ).all()
        for message_id, payload in rows:
            redacted = _redacted(payload, fields)
            if redacted is not None:
                session.execute(update(m).where(m.id == message_id).values(payload=redacted))
                changed += 1
        if len(rows) < batch_size:
            return changed
        after = rows[-1][0]


def _redacted(payload: Any, fields: Mapping[str, Any]) -> dict[str, Any] | None:
    """The payload with `fields` replaced where it holds them non-empty; None: nothing to do."""
    if not isinstance(payload, dict):
        return None  # undecodable (dead-lettered): nothing here to redact safely
    changes = {
        key: value
        for key, value in fields.items()
        if payload.get(key) not in (None, "") and payload[key] != value
    }
    return {**payload, **changes} if changes else None


@dataclass(frozen=True, slots=True)
class OutboxSettings:
    batch_size: int = 500
    max_attempts: int = 10
    backoff_seconds: float = 2.0
    max_backoff_seconds: float = 3600.0
    # Short, so a dead worker's messages come back soon; the heartbeat keeps a live worker's.
    lease_seconds: float = 30.0
    heartbeat_seconds: float | None = None  # None: a third of the lease
    # 400 days: longer than the loyalty window (12 months), so CRM can rebuild its projections
    # from the retained messages (issue 13). 0 keeps processed messages for ever.
    retention_days: int = 400
    purge_batch_size: int = 1000
    purge_max_batches: int = 50
    # PostgreSQL: savepoints per transaction — each handler that uses the database runs in
    # one; handlers that do not need none and share the transaction (`group_seconds` bounds
    # it). 1 commits every delivery on its own, as SQLite always does. At most 64: more
    # savepoints that write in one transaction overflow PostgreSQL's per-backend
    # subtransaction cache.
    group_size: int = 50
    group_seconds: float = GROUP_SECONDS  # a group's transaction is committed after this long

    @property
    def heartbeat_interval(self) -> float:
        return self.heartbeat_seconds or self.lease_seconds / 3

    @classmethod
    def from_config(cls, config: Any) -> OutboxSettings:
        lease = float(config.get("OUTBOX_LEASE_SECONDS", 30.0))
        heartbeat = config.get("OUTBOX_HEARTBEAT_SECONDS")
        return cls(
            batch_size=int(config.get("OUTBOX_BATCH_SIZE", 500)),
            max_attempts=int(config.get("OUTBOX_MAX_ATTEMPTS", 10)),
            backoff_seconds=float(config.get("OUTBOX_BACKOFF_SECONDS", 2.0)),
            max_backoff_seconds=float(config.get("OUTBOX_MAX_BACKOFF_SECONDS", 3600.0)),
            lease_seconds=lease,
            heartbeat_seconds=float(heartbeat) if heartbeat else None,
            retention_days=int(config.get("OUTBOX_RETENTION_DAYS", 400)),
            group_size=int(config.get("OUTBOX_GROUP_SIZE", 50)),
        )


@dataclass(frozen=True, slots=True)
class DrainResult:
    claimed: int = 0
    processed: int = 0
    failed: int = 0
    dead: int = 0
    released: int = 0  # leases handed back unused because the batch stopped at a failure


@dataclass(frozen=True, slots=True)
class OutboxStats:
    pending: int  # waiting for their first delivery
    retrying: int  # failed at least once, waiting for the next attempt
    dead: int
    processed_last_day: int  # delivered in the last 24 hours
    oldest_pending_at: datetime | None = None
    unknown: dict[str, int] = field(default_factory=dict)  # by type a worker does not know

    @property
    def unknown_total(self) -> int:
        return sum(self.unknown.values())


@dataclass(frozen=True, slots=True)
class Batch:
    messages: list[Message]
    lease_until: datetime | None = None
    dead: int = 0  # rows of the claim that could not be decoded and were dead-lettered


class UndecodableMessage(Exception):
    """The stored row cannot become a `Message`; retrying cannot help."""


def _pending() -> Any:
    m = OutboxMessageEntity
    return m.processed_at.is_(None) & m.dead_at.is_(None)


def decode_message(
    message_id: int, event_type: str, version: int, raw_payload: str | None, occurred_at: datetime
) -> Message:
    """Build the `Message` a handler receives from a stored row, or raise UndecodableMessage.

    The payload must be a JSON object; when it was written by this version of the event it
    must also decode into the event class (every required field present and well-formed).
    Older versions are passed on as they are: their handlers know how to read them."""
    return _decode_row(message_id, event_type, version, raw_payload, occurred_at)[0]


def _decode_row(
    message_id: int, event_type: str, version: int, raw_payload: str | None, occurred_at: datetime
) -> tuple[Message, Event | None]:
    """decode_message, and the event it decoded to check it (None for older versions)."""
    event = None
    try:
        payload = json.loads(raw_payload) if raw_payload is not None else None
    except ValueError as exc:
        raise UndecodableMessage(f"the payload is not valid JSON ({exc})") from None
    if not isinstance(payload, dict):
        kind = "null" if payload is None else type(payload).__name__
        raise UndecodableMessage(f"the payload is JSON {kind}, not an object")
    if version == event_class(event_type).version:
        try:
            event = from_payload(event_type, payload)
        except Exception as exc:
            raise UndecodableMessage(
                f"the payload does not fit {event_type} v{version}: {_describe(exc)}"
            ) from None
    return Message(message_id, event_type, version, payload, occurred_at), event


class _Lease:
    """The lease of one batch: extended by a heartbeat thread while its handlers run, and handed
    back at once for the messages not yet handled when the batch stops early.

    The heartbeat uses its own connection, so it works while a handler's transaction is open
    (PostgreSQL). On SQLite a handler's transaction holds the only write lock, so the heartbeat
    waits for it to end — but no other worker can claim anything meanwhile either."""

    def __init__(
        self, engine: Engine, ids: list[int], until: datetime, settings: OutboxSettings
    ) -> None:
        self.engine = engine
        self.until = until
        self.settings = settings
        self._open = set(ids)
        self._ids_lock = threading.Lock()
        self._db_lock = threading.Lock()  # one lease update at a time (heartbeat or release)
        self._stop = threading.Event()
        self._warned = False
        self._thread = threading.Thread(target=self._beat, name="outbox-heartbeat", daemon=True)

    def __enter__(self) -> _Lease:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if exc is not None:
            try:
                self.release()
            except Exception as error:  # then the lease runs out instead
                self._log_failure("could not hand back the rest of the batch's lease", error)
        self._thread.join()

    def finished(self, message_id: int) -> None:
        with self._ids_lock:
            self._open.discard(message_id)

    def _take_open(self, clear: bool = False) -> list[int]:
        with self._ids_lock:
            ids = sorted(self._open)
            if clear:
                self._open.clear()
            return ids

    def _ours(self, ids: list[int]) -> Any:
        m = OutboxMessageEntity
        # available_at still equal to our lease: nobody claimed them after it ran out.
        return m.id.in_(ids) & (m.available_at == self.until) & _pending()

    def extend(self) -> int:
        with self._db_lock:
            ids = self._take_open()
            if not ids:
                return 0
            until = utcnow() + timedelta(seconds=self.settings.lease_seconds)
            with self.engine.begin() as connection:
                result = connection.execute(
                    update(OutboxMessageEntity).where(self._ours(ids)).values(available_at=until)
                )
            self.until = until
            return result.rowcount or 0

    def release(self) -> int:
        """Make the messages not yet handled available to any worker now."""
        self._stop.set()
        with self._db_lock:
            ids = self._take_open(clear=True)
            if not ids:
                return 0
            with self.engine.begin() as connection:
                result = connection.execute(
                    update(OutboxMessageEntity).where(self._ours(ids)).values(available_at=utcnow())
                )
            return result.rowcount or 0

    def _beat(self) -> None:
        while not self._stop.wait(self.settings.heartbeat_interval):
            try:
                self.extend()
            except Exception as error:
                if not self._warned:  # once per batch, not once per beat
                    self._log_failure("could not extend the lease of the batch", error)
                    self._warned = True

    def _log_failure(self, what: str, error: Exception) -> None:
        # During a database outage the worker logs that once; do not add a line per batch.
        unreachable = database_unreachable(error, self.engine)
        log.log(logging.DEBUG if unreachable else logging.WARNING, "%s: %s", what, error)


class OutboxProcessor:
    def __init__(self, settings: OutboxSettings | None = None) -> None:
        self.settings = settings or OutboxSettings()
        self._reported_unknown: set[str] = set()
        # The events the claim decoded to check the payloads, by message id: handlers get them
        # instead of a second decode (frozen dataclasses, safe to share).
        self._events: dict[int, Event] = {}

    def backoff(self, attempts: int) -> timedelta:
        seconds = self.settings.backoff_seconds * (2 ** max(attempts - 1, 0))
        return timedelta(seconds=min(seconds, self.settings.max_backoff_seconds))

    def claim(self) -> Batch:
        """Lease the oldest available messages of known types so no other worker takes them
        meanwhile, in one statement (UPDATE … WHERE id IN (oldest due) RETURNING the rows).
        Rows that cannot be decoded are dead-lettered here, each on its own.

        PostgreSQL: FOR UPDATE SKIP LOCKED lets several workers claim disjoint batches.
        SQLite: the unit of work's BEGIN IMMEDIATE makes claims one at a time.
        A worker that dies mid-batch loses nothing: its lease runs out and the messages are
        claimed again; the inbox stops handlers from applying them twice."""
        now = utcnow()
        with unit_of_work() as session:
            lease_until = now + timedelta(seconds=self.settings.lease_seconds)
            claim = _CLAIM_POSTGRES if is_postgres(session) else _CLAIM_SQLITE
            # The payload is read as text and decoded here, row by row, so one bad row cannot
            # break the whole claim. On the connection: a statement built once, at import.
            parameters = {
                "now": now,
                "types": known_event_types(),
                "size": self.settings.batch_size,
                "until": lease_until,
            }
            rows = session.connection().execute(claim, parameters).all()
            if not rows:
                return Batch([])
            rows.sort(key=lambda r: (r[4], r[0]))  # RETURNING has no order: oldest first
            messages: list[Message] = []
            dead = 0
            for row in rows:
                try:
                    message, event = _decode_row(*row)
                except UndecodableMessage as exc:
                    self._dead_letter(session, row[0], f"Cannot decode the message: {exc}", now)
                    dead += 1
                    continue
                messages.append(message)
                if event is not None:
                    self._events[message.id] = event
            return Batch(messages, lease_until, dead)

    def has_due(self) -> bool:
        """Is any message of a known type due? One read on the pending index: the idle poll."""
        m = OutboxMessageEntity
        found = db.session.scalar(
            select(m.id)
            .where(_pending(), m.available_at <= utcnow(), m.event_type.in_(known_event_types()))
            .limit(1)
        )
        db.session.rollback()  # end the read (SQLite: never hold a snapshot between polls)
        return found is not None

    def claim_batch(self) -> list[Message]:
        return self.claim().messages

    def _dead_letter(self, session: Session, message_id: int, error: str, now: datetime) -> None:
        m = OutboxMessageEntity
        log.error("outbox message %s dead-lettered: %s", message_id, error)
        session.execute(
            update(m)
            .where(m.id == message_id)
            .values(dead_at=now, available_at=now, attempts=m.attempts + 1, last_error=error[:4000])
        )

    def deliver(self, subscription: Subscription, message: Message) -> bool:
        """Apply one message to one handler in a transaction of its own; False when it had
        already been applied. A handler subscribed with an event class gets the message
        decoded into it."""
        with unit_of_work() as session:
            if not _take_inbox(session, [(message.id, subscription.name)]):
                return False
            self._apply(subscription, message)
        return True

    def process(self, message: Message) -> str:
        """Deliver to every subscriber, then mark it processed, retrying or dead; return which.

        Losing the database is not the message's fault: that error propagates (no attempt is
        counted) and the worker waits for the database to come back."""
        tally = _Tally()
        self._deliver_all([message], tally, lambda _id: None)
        return tally.last

    def _finish(self, message_id: int, errors: list[str]) -> str:
        now = utcnow()
        with unit_of_work() as session:
            row = session.get(OutboxMessageEntity, message_id)
            if row is None:
                return "missing"
            row.unknown_type_at = None
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
        """Claim one batch and deliver it in order. The first failure stops the batch: the
        failed message waits for its backoff and the rest of the batch is handed back at once,
        for this or another worker to claim again without waiting for the lease."""
        batch = self.claim()
        tally = _Tally(dead=batch.dead)
        released = 0
        if batch.messages:
            assert batch.lease_until is not None
            ids = [message.id for message in batch.messages]
            try:
                with _Lease(db.engine, ids, batch.lease_until, self.settings) as lease:
                    self._deliver_all(batch.messages, tally, lease.finished)
                    released = lease.release()
            finally:
                self._events.clear()
        return DrainResult(
            claimed=len(batch.messages) + batch.dead,
            processed=tally.processed,
            failed=tally.failed,
            dead=tally.dead,
            released=released,
        )

    # --- delivery -------------------------------------------------------------------------------

    def _apply(self, subscription: Subscription, message: Message) -> None:
        if subscription.event_class is None:
            subscription.handler(message)
            return
        event = self._events.get(message.id)
        if type(event) is not subscription.event_class:
            event = decode(message)
        subscription.handler(event)

    def _grouped(self) -> bool:
        return self.settings.group_size > 1 and is_postgres()

    def _deliver_all(
        self, messages: list[Message], tally: _Tally, finished: Callable[[int], None]
    ) -> None:
        """Deliver `messages` in order until one fails (then stop)."""
        waiting = deque(messages)
        while waiting:
            if self._grouped():
                stopped = self._deliver_group(waiting, tally, finished)
            else:
                stopped = self._deliver_alone(waiting.popleft(), tally, finished)
            if stopped:
                return

    def _deliver_alone(
        self, message: Message, tally: _Tally, finished: Callable[[int], None]
    ) -> bool:
        """Each handler in a transaction of its own; the last one also marks the message
        processed when all went well. True when the message failed."""
        subscriptions = subscribers(message.event_type)
        errors: list[str] = []
        for index, subscription in enumerate(subscriptions):
            last = index == len(subscriptions) - 1
            try:
                with unit_of_work() as session:
                    if _take_inbox(session, [(message.id, subscription.name)]):
                        self._apply(subscription, message)
                    if last and not errors:
                        _mark_processed(session, [message.id])
            except Exception as exc:
                if database_unreachable(exc):
                    raise
                errors.append(_failure(subscription, message, exc))
        if not subscriptions:
            with unit_of_work() as session:
                _mark_processed(session, [message.id])
        outcome = self._finish(message.id, errors) if errors else "processed"
        finished(message.id)
        tally.add(outcome)
        return bool(errors)

    def _deliver_group(
        self, waiting: deque[Message], tally: _Tally, finished: Callable[[int], None]
    ) -> bool:
        """Deliver messages off `waiting` in one transaction, chunk by chunk (each chunk's
        inbox rows one INSERT), each handler in a savepoint of its own that is only opened
        when the handler uses the database. The transaction ends when `group_size`
        savepoints were opened, after `group_seconds`, or when `waiting` is empty. True when a
        message failed (the batch stops there; the messages after it in its chunk are left
        for the lease's release)."""
        size = self.settings.group_size
        deadline = time.monotonic() + self.settings.group_seconds
        processed: list[int] = []
        failed: tuple[Message, list[str]] | None = None
        outcome = ""
        with unit_of_work() as session:
            handlers = _Savepoints(session)
            chunk = size
            while waiting and failed is None and handlers.opened < size:
                if processed and time.monotonic() > deadline:
                    break
                opened = handlers.opened
                plan = _take_group(waiting, chunk, first=not processed)
                if not plan:  # the next message needs more savepoints than are left
                    break
                failed, full = self._deliver_chunk(
                    session, handlers, plan, waiting, deadline, processed
                )
                if full:
                    break
                # As many deliveries as savepoints are left, each may need one; twice as
                # many while none needed one (the few over are given back at the limit).
                left = size - handlers.opened
                chunk = left if handlers.opened > opened else min(2 * chunk, MAX_CHUNK)
            _mark_processed(session, processed)
            if failed is not None:
                outcome = self._finish(failed[0].id, failed[1])  # joins this transaction
        for message_id in processed:
            finished(message_id)
            tally.add("processed")
        if failed is not None:
            finished(failed[0].id)
            tally.add(outcome)
        return failed is not None

    def _deliver_chunk(
        self,
        session: Session,
        handlers: _Savepoints,
        plan: list[tuple[Message, list[Subscription]]],
        waiting: deque[Message],
        deadline: float,
        processed: list[int],
    ) -> tuple[tuple[Message, list[str]] | None, bool]:
        """Apply `plan` in the group's transaction, appending the ids of the messages all of
        whose handlers succeeded to `processed`; return the first failed message and its
        errors, and whether the group is full: out of time or savepoints, the rest of the plan
        goes back to the front of `waiting`."""
        wanted = [(m.id, s.name) for m, subs in plan for s in subs]
        fresh = _take_inbox(session, wanted)
        unused: list[tuple[int, str]] = []
        failed: tuple[Message, list[str]] | None = None
        full = False
        size = self.settings.group_size
        for index, (message, subscriptions) in enumerate(plan):
            if processed and failed is None:
                full = handlers.opened + len(subscriptions) > size or time.monotonic() > deadline
            if failed is not None or full:
                rest = plan[index:]
                unused += [(m.id, s.name) for m, subs in rest for s in subs]
                if failed is None:  # out of time or savepoints: the rest goes to the next group
                    waiting.extendleft(m for m, _ in reversed(rest))
                break
            errors: list[str] = []
            for subscription in subscriptions:
                key = (message.id, subscription.name)
                if key not in fresh:
                    continue
                try:
                    handlers.run(lambda s=subscription, m=message: self._apply(s, m))
                except Exception as exc:
                    if database_unreachable(exc):
                        raise
                    errors.append(_failure(subscription, message, exc))
                    unused.append(key)
            if errors:
                failed = (message, errors)
            else:
                processed.append(message.id)
        handlers.close()
        if unused:
            _give_back_inbox(session, unused, fresh)
        return failed, full

    # --- messages this process cannot deliver --------------------------------------------------

    def report_unknown(self) -> dict[str, int]:
        """Pending messages of event types this process does not know, counted by type.

        They stay pending for a worker that knows them (during a rolling upgrade an older
        worker must not swallow a newer event). They are flagged so /admin/outbox can show
        them, and each type is logged once per process, not on every poll."""
        m = OutboxMessageEntity
        unknown: dict[str, int] = {
            event_type: count
            for event_type, count in db.session.execute(
                select(m.event_type, func.count())
                .where(_pending(), m.event_type.not_in(known_event_types()))
                .group_by(m.event_type)
            )
        }
        db.session.rollback()  # end the read; the usual answer is "none" and needs no write
        if unknown:
            with unit_of_work() as session:
                session.execute(
                    update(m)
                    .where(_pending(), m.event_type.in_(unknown), m.unknown_type_at.is_(None))
                    .values(unknown_type_at=utcnow())
                )
        new = sorted(set(unknown) - self._reported_unknown)
        for event_type in new:
            log.warning(
                "outbox: %d message(s) of event type %r, which this worker does not know, are "
                "left for a worker that knows it (is a newer version deployed elsewhere?)",
                unknown[event_type],
                event_type,
            )
        self._reported_unknown.update(new)
        return unknown

    # --- retention ------------------------------------------------------------------------------

    def purge_processed(self, now: datetime | None = None) -> int:
        """Delete processed messages older than the retention, with their inbox rows, in small
        batches (each its own short transaction, so no long locks) and at most
        `purge_max_batches` batches per run. Pending and dead messages are never purged."""
        if self.settings.retention_days <= 0:
            return 0
        m, inbox = OutboxMessageEntity, InboxEntity
        cutoff = (now or utcnow()) - timedelta(days=self.settings.retention_days)
        size = self.settings.purge_batch_size
        total = 0
        for _ in range(self.settings.purge_max_batches):
            with unit_of_work() as session:
                ids = list(
                    session.scalars(
                        select(m.id)
                        .where(m.processed_at.is_not(None), m.processed_at < cutoff)
                        .order_by(m.processed_at)
                        .limit(size)
                    )
                )
                if ids:
                    options = {"synchronize_session": False}
                    session.execute(
                        delete(inbox).where(inbox.message_id.in_(ids)), execution_options=options
                    )
                    session.execute(delete(m).where(m.id.in_(ids)), execution_options=options)
            total += len(ids)
            if len(ids) < size:
                break
        if total:
            log.info("outbox: purged %d processed message(s) older than %s", total, cutoff)
        return total

    # --- operations (CLI and admin page) -------------------------------------------------------

    def dead_messages(self, limit: int = 100) -> list[OutboxMessageEntity]:
        m = OutboxMessageEntity
        return list(
            db.session.scalars(
                select(m)
                .options(defer(m.payload))  # may be the undecodable reason it is dead
                .where(m.dead_at.is_not(None))
                .order_by(m.dead_at.desc())
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

    def stats(self, now: datetime | None = None, *, delivered: bool = True) -> OutboxStats:
        """Counts for the admin pages, each query served by one partial index: the pending set
        and the dead set are small, and "delivered" counts the last 24 hours only, so no query
        reads the processed history (which is most of the table). `delivered=False` skips that
        count (the dashboard does not show it)."""
        m = OutboxMessageEntity
        now = now or utcnow()
        session = db.session
        pending, retrying, oldest = session.execute(
            select(
                func.count().filter(m.attempts == 0),
                func.count().filter(m.attempts > 0),
                func.min(m.occurred_at),
            ).where(_pending())
        ).one()
        dead = session.scalar(select(func.count()).where(m.dead_at.is_not(None)))
        processed = delivered and session.scalar(
            select(func.count()).where(
                m.processed_at.is_not(None), m.processed_at >= now - timedelta(days=1)
            )
        )
        unknown = {
            event_type: count
            for event_type, count in session.execute(
                select(m.event_type, func.count())
                .where(_pending(), m.unknown_type_at.is_not(None))
                .group_by(m.event_type)
                .order_by(m.event_type)
            )
        }
        return OutboxStats(
            pending=pending,
            retrying=retrying,
            dead=dead or 0,
            processed_last_day=processed or 0,
            oldest_pending_at=oldest,
            unknown=unknown,
        )


@dataclass(slots=True)
class _Tally:
    processed: int = 0
    failed: int = 0
    dead: int = 0
    last: str = "processed"

    def add(self, outcome: str) -> None:
        self.last = outcome
        if outcome in ("processed", "failed", "dead"):
            setattr(self, outcome, getattr(self, outcome) + 1)


def _take_group(
    waiting: deque[Message], size: int, *, first: bool = True
) -> list[tuple[Message, list[Subscription]]]:
    """The next messages of `waiting` whose deliveries fit in `size`; a group's first chunk
    takes at least one message whatever its subscribers, a later one may be empty."""
    plan: list[tuple[Message, list[Subscription]]] = []
    count = 0
    known: dict[str, list[Subscription]] = {}
    while waiting:
        event_type = waiting[0].event_type
        subs = known.get(event_type)
        if subs is None:
            subs = known[event_type] = subscribers(event_type)
        if (plan or not first) and count + len(subs) > size:
            break
        plan.append((waiting.popleft(), subs))
        count += len(subs)
    return plan


class _Savepoints:
    """Runs handlers in a group's transaction, each in a savepoint of its own — a failing
    handler rolls back only itself. SQLAlchemy emits a nested transaction's SAVEPOINT at its
    first statement, so a handler that does not use the database costs no round trip; then
    its nested transaction is kept for the next handler (nothing in it to roll back, the
    session is flushed), instead of paying the session's bookkeeping for each delivery.
    `opened` counts the savepoints emitted: PostgreSQL caches 64 subtransactions that write
    per transaction, so a group stays under `group_size` of them."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.connection = session.connection()
        self.nested: SessionTransaction | None = None
        self.opened = 0

    def run(self, apply: Callable[[], None]) -> None:
        nested = self.nested = self.nested or self.session.begin_nested()
        recorded = on_commit_count(self.session)
        try:
            apply()
            self.session.flush()  # pending changes go in this handler's savepoint
        except BaseException:
            self.nested = None
            self.opened += self.connection.in_nested_transaction()
            forget_on_commit(self.session, recorded)  # its events are rolled back too
            nested.rollback()
            raise
        if self.connection.in_nested_transaction():  # it used the database: RELEASE it
            self.nested = None
            self.opened += 1
            nested.commit()

    def close(self) -> None:
        """End the kept nested transaction (no savepoint was emitted: no statement)."""
        if self.nested is not None:
            self.nested.commit()
            self.nested = None


def _take_inbox(session: Session, keys: list[tuple[int, str]]) -> set[tuple[int, str]]:
    """Write the inbox rows of `keys` (message id, handler) in one statement; return those
    this transaction wrote — the deliveries it may apply. A key already there was applied
    before; on PostgreSQL one being written by another worker's open transaction waits for
    it and is left out if that commits."""
    if not keys:
        return set()
    now = utcnow()
    if is_postgres(session):
        # Arrays, so the statement is the same (and parsed once) whatever the group's size.
        rows = session.connection().execute(
            _INBOX_UNNEST,
            {"ids": [i for i, _ in keys], "handlers": [h for _, h in keys], "now": now},
        )
        return {(i, h) for i, h in rows}
    # SQLite: one delivery per transaction, so one row (statement built once, at import).
    connection = session.connection()
    return {
        (i, h)
        for key in keys
        for i, h in connection.execute(_INBOX_ONE, {"i": key[0], "h": key[1], "now": now})
    }


_INBOX_ONE = text(
    "INSERT INTO outbox_inbox (message_id, handler, processed_at) VALUES (:i, :h, :now) "
    "ON CONFLICT DO NOTHING RETURNING message_id, handler"
).bindparams(bindparam("now", type_=UTCDateTime()))
_INBOX_UNNEST = text(
    "INSERT INTO outbox_inbox (message_id, handler, processed_at) "
    "SELECT i, h, :now FROM unnest(CAST(:ids AS bigint[]), CAST(:handlers AS varchar[])) "
    "AS k(i, h) ON CONFLICT DO NOTHING RETURNING message_id, handler"
).bindparams(bindparam("now", type_=UTCDateTime()))


def _give_back_inbox(
    session: Session, keys: Iterable[tuple[int, str]], written: set[tuple[int, str]]
) -> None:
    """Delete the inbox rows this transaction wrote for deliveries it did not apply."""
    mine = [key for key in keys if key in written]
    if mine:
        table = InboxEntity.__table__
        session.execute(delete(table).where(tuple_(table.c.message_id, table.c.handler).in_(mine)))


_outbox = OutboxMessageEntity.__table__


def _claim_statement(*, skip_locked: bool) -> Any:
    """UPDATE … WHERE id IN (the oldest due messages of known types) RETURNING the rows,
    built once per dialect: the parameters are the only thing that changes."""
    c = _outbox.c
    due = (
        select(c.id)
        .where(
            c.processed_at.is_(None),
            c.dead_at.is_(None),
            c.available_at <= bindparam("now", type_=UTCDateTime()),
            c.event_type.in_(bindparam("types", expanding=True)),
        )
        .order_by(c.occurred_at, c.id)
        .limit(bindparam("size", type_=Integer()))
    )
    if skip_locked:
        due = due.with_for_update(skip_locked=True)
    return (
        update(_outbox)
        .where(c.id.in_(due.scalar_subquery()))
        .values(available_at=bindparam("until", type_=UTCDateTime()))
        .returning(c.id, c.event_type, c.schema_version, cast(c.payload, Text), c.occurred_at)
    )


_CLAIM_POSTGRES = _claim_statement(skip_locked=True)
_CLAIM_SQLITE = _claim_statement(skip_locked=False)
_MARK_VALUES = {"processed_at": bindparam("now"), "last_error": None, "unknown_type_at": None}
_MARK_PROCESSED = (
    update(_outbox).where(_outbox.c.id.in_(bindparam("ids", expanding=True))).values(_MARK_VALUES)
)
# PostgreSQL: one array parameter, so the statement text (and its prepared plan) is the same
# whatever the number of messages.
_MARK_PROCESSED_ARRAY = text(
    "UPDATE outbox_messages SET processed_at = :now, last_error = NULL, unknown_type_at = NULL "
    "WHERE id = ANY(CAST(:ids AS bigint[]))"
).bindparams(bindparam("now", type_=UTCDateTime()))


def _mark_processed(session: Session, message_ids: list[int]) -> None:
    if message_ids:
        # On the connection: a plain UPDATE built once, none of the ORM's bookkeeping.
        connection = session.connection()
        mark = _MARK_PROCESSED_ARRAY if connection.dialect.name == "postgresql" else _MARK_PROCESSED
        connection.execute(mark, {"ids": message_ids, "now": utcnow()})


def _failure(subscription: Subscription, message: Message, exc: Exception) -> str:
    log.warning(
        "handler %s failed on message %s (%s): %s",
        subscription.name,
        message.id,
        message.event_type,
        exc,
    )
    return f"{subscription.name}: {_describe(exc)}"


def purge_job() -> None:
    """The worker's periodic job (registered by create_app): purge past retention."""
    from flask import current_app

    current_app.extensions["outbox"].purge_processed()


def _describe(exc: BaseException) -> str:
    last = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return last[:1000]
